/*
 * The guard (src/guard/) driven through real sockets: the test plays the
 * supervisor on the link and the monitor on the transfer port.  A good
 * transfer becomes one canonical request and a spool in inbox form;
 * hostile and cut streams are each dropped with one reason while the
 * guard keeps serving; a transfer waits for its spool; a delivery is
 * checked against its manifest, streamed while the inbox is open, and
 * started over after a close.
 */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard/guard.h"
#include "scratch.h"
#include "xfer/manifest.h"
#include "xfer_util.h"

struct rig {
	struct guard g;
	int sup, mon;          /* the test's ends of the link and the port */
	unsigned spools;
};

static struct rig *rig_new(uint64_t max_bytes, uint32_t max_files)
{
	struct rig *r = calloc(1, sizeof(*r));
	int link[2], port[2];
	char err[GUARD_ERRLEN];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, port), 0);
	struct xfer_limits lim = { max_bytes, max_files };
	CHECK_EQ(guard_init(&r->g, "low", &lim, link[0], port[0], err), 0);
	r->sup = link[1];
	r->mon = port[1];
	return r;
}

static void rig_free(struct rig *r)
{
	guard_free(&r->g);
	close(r->sup);
	close(r->mon);
	free(r);
}

/* Runs the guard until it has nothing more to do right now. */
static void settle(struct rig *r)
{
	for (int i = 0; i < 50 && guard_step(&r->g, 0); i++)
		;
}

/* A new spool file (read-write) handed to the guard; its fd for reading
 * back is returned. */
static int give_spool(struct rig *r, uint64_t id)
{
	char path[256], name[32], err[GUARD_ERRLEN];
	snprintf(name, sizeof(name), "spool.%llu", (unsigned long long)id);
	scratch_path(path, sizeof(path), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int back = open(path, O_RDONLY | O_CLOEXEC);
	struct guard_msg m = { .type = GUARD_MSG_SPOOL, .id = id };
	CHECK_EQ(guard_send(r->sup, &m, fd, err), 0);
	close(fd);
	r->spools++;
	return back;
}

static void port_send(struct rig *r, enum port_msg_type type, uint32_t gen, const void *data,
		      size_t len)
{
	uint8_t buf[PORT_MSG_MAX];
	struct port_msg m = { .type = type, .gen = gen, .data = data, .len = len };
	size_t n = port_msg_encode(buf, &m);
	CHECK(n > 0);
	CHECK_EQ(send(r->mon, buf, n, 0), (ssize_t)n);
}

/* The guest writes a whole stream: open, data in pieces, close. */
static void guest_sends(struct rig *r, const uint8_t *p, size_t len, size_t piece)
{
	port_send(r, PORT_OUT_OPEN, 0, NULL, 0);
	for (size_t pos = 0; pos < len; pos += piece) {
		port_send(r, PORT_OUT_DATA, 0, p + pos, len - pos < piece ? len - pos : piece);
		settle(r);
	}
	port_send(r, PORT_OUT_CLOSE, 0, NULL, 0);
	settle(r);
}

/* The next message from the guard on the link; type 0 if none. */
static struct guard_msg next_msg(struct rig *r)
{
	struct guard_msg m = { 0 };
	int fd;
	bool hup;
	char err[GUARD_ERRLEN];
	int rc = guard_recv(r->sup, &m, &fd, &hup, err);
	if (rc != 1)
		m.type = 0;
	if (rc < 0)
		t_fail(__FILE__, __LINE__, "guard_recv: %s", err);
	return m;
}

static void read_all(int fd, struct xu_buf *out)
{
	uint8_t b[4096];
	ssize_t n;
	off_t off = 0;
	while ((n = pread(fd, b, sizeof(b), off)) > 0) {
		xu_put(out, b, (size_t)n);
		off += n;
	}
}

TEST(guard_good_transfer_becomes_request_and_spool)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	int spool = give_spool(r, 7);
	settle(r);
	struct xu_buf s = { 0 }, want = { 0 }, got = { 0 };
	uint8_t hdr[64], big[70000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 9));
	xu_put(&s, hdr, xfer_put_header(hdr, XFER_OUTBOX, "high", 2));
	xu_file(&s, XFER_OUTBOX, "report.txt", XFER_MODE_FILE, "hello\n", 6);
	xu_file(&s, XFER_OUTBOX, "big.bin", XFER_MODE_EXEC, big, sizeof(big));
	xu_put(&s, hdr, xfer_put_end(hdr, 2));
	guest_sends(r, s.p, s.len, 1000);

	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_REQ_BEGIN);
	CHECK_EQ(m.id, 7);
	CHECK_STR(m.target, "high");
	CHECK_EQ(m.nfiles, 2);
	CHECK_EQ(m.total, 6 + sizeof(big));
	/* The spool: the same files as an inbox stream from the source, with
	 * the trailers the guard computed. */
	xu_put(&want, hdr, xfer_put_header(hdr, XFER_INBOX, "low", 2));
	xu_file(&want, XFER_INBOX, "report.txt", XFER_MODE_FILE, "hello\n", 6);
	xu_file(&want, XFER_INBOX, "big.bin", XFER_MODE_EXEC, big, sizeof(big));
	xu_put(&want, hdr, xfer_put_end(hdr, 2));
	read_all(spool, &got);
	CHECK_EQ(m.spool_len, want.len);
	CHECK(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
	struct { const char *name; uint16_t mode; const void *data; size_t len; } f[2] = {
		{ "report.txt", 0644, "hello\n", 6 }, { "big.bin", 0755, big, sizeof(big) },
	};
	for (unsigned i = 0; i < 2; i++) {
		uint8_t d[XFER_DIGEST_LEN];
		m = next_msg(r);
		CHECK_EQ(m.type, GUARD_MSG_REQ_FILE);
		CHECK_EQ(m.index, i);
		CHECK_STR(m.name, f[i].name);
		CHECK_EQ(m.mode, f[i].mode);
		CHECK_EQ(m.size, f[i].len);
		xu_sha256(f[i].data, f[i].len, d);
		CHECK(memcmp(m.digest, d, sizeof(d)) == 0);
		CHECK(m.offset + m.size <= got.len && memcmp(got.p + m.offset, f[i].data, f[i].len) == 0);
	}
	m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_REQ_END);
	CHECK_EQ(m.id, 7);
	CHECK_EQ(next_msg(r).type, 0);
	close(spool);
	xu_free(&s), xu_free(&want), xu_free(&got);
	rig_free(r);
	scratch_remove();
}

/* Each hostile stream is dropped with one reason, the spool it started is
 * spent, and a good transfer right after is served. */
TEST(guard_hostile_streams_dropped_and_guard_serves_on)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(1 << 20, 100);
	struct xu_buf b = { 0 };
	uint8_t hdr[64];
	const char *reasons[8];
	unsigned nreasons = 0;
	uint64_t id = 1;
	int spool = give_spool(r, id);
	close(spool);
	settle(r);
	/* 1: too many files. */
	xu_transfer(&b, XFER_OUTBOX, "high", 101);
	guest_sends(r, b.p, b.len, 4096);
	xu_free(&b);
	/* 2: a name with '/'. */
	xu_put(&b, hdr, xfer_put_header(hdr, XFER_OUTBOX, "high", 1));
	xu_file(&b, XFER_OUTBOX, "../etc/passwd", 0644, "x", 1);
	xu_put(&b, hdr, xfer_put_end(hdr, 1));
	guest_sends(r, b.p, b.len, 7);
	xu_free(&b);
	/* 3: cut short. */
	xu_transfer(&b, XFER_OUTBOX, "high", 3);
	guest_sends(r, b.p, b.len / 2, 100);
	xu_free(&b);
	/* 4: garbage. */
	guest_sends(r, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18, 18);
	for (struct guard_msg m; (m = next_msg(r)).type;) {
		CHECK_EQ(m.type, GUARD_MSG_DROP);
		if (nreasons < 8)
			reasons[nreasons++] = strdup(m.reason);
		/* A spool that was written to is spent: the supervisor gives another. */
		if (m.id) {
			CHECK_EQ(m.id, id);
			close(give_spool(r, ++id));
			settle(r);
		}
	}
	CHECK_EQ(nreasons, 4);
	if (nreasons == 4) {
		CHECK(strstr(reasons[0], "101 files: more than the limit of 100") != NULL);
		CHECK(strstr(reasons[1], "holds '/'") != NULL);
		CHECK(strstr(reasons[2], "closed in the middle of a transfer") != NULL);
		CHECK(strstr(reasons[3], "bad magic") != NULL);
	}
	for (unsigned i = 0; i < nreasons; i++)
		free((void *)reasons[i]);
	CHECK_EQ(r->g.out.drops, 4);
	/* Still serving. */
	xu_transfer(&b, XFER_OUTBOX, "high", 2);
	guest_sends(r, b.p, b.len, 3000);
	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_REQ_BEGIN);
	CHECK_EQ(m.id, id);
	CHECK_EQ(m.nfiles, 2);
	xu_free(&b);
	rig_free(r);
	scratch_remove();
}

TEST(guard_transfer_waits_for_its_spool)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_OUTBOX, "high", 5);
	guest_sends(r, b.p, b.len, 50);
	CHECK(r->g.out.begin_waiting);
	CHECK_EQ(next_msg(r).type, 0);           /* nothing decided without a spool */
	int spool = give_spool(r, 3);
	settle(r);
	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_REQ_BEGIN);
	CHECK_EQ(m.id, 3);
	CHECK_EQ(m.nfiles, 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(next_msg(r).type, GUARD_MSG_REQ_FILE);
	CHECK_EQ(next_msg(r).type, GUARD_MSG_REQ_END);
	close(spool);
	xu_free(&b);
	rig_free(r);
	scratch_remove();
}

/* A spool for delivery into "low", from "high", and its manifest. */
static int make_delivery(const char *name, const char *source, uint8_t manifest[XFER_DIGEST_LEN],
			 struct xu_buf *stream)
{
	char path[256];
	uint8_t hdr[64], d[XFER_DIGEST_LEN];
	xu_put(stream, hdr, xfer_put_header(hdr, XFER_INBOX, source, 2));
	xu_file(stream, XFER_INBOX, "a.txt", 0644, "alpha\n", 6);
	static uint8_t big[100000];
	memset(big, 'b', sizeof(big));
	xu_file(stream, XFER_INBOX, "b.bin", 0755, big, sizeof(big));
	xu_put(stream, hdr, xfer_put_end(hdr, 2));
	struct digest md;
	struct xfer_hash h = digest_hash(&md);
	xfer_manifest_begin(&h, source, "low", 2);
	xu_sha256("alpha\n", 6, d);
	xfer_manifest_file(&h, "a.txt", 0644, 6, d);
	xu_sha256(big, sizeof(big), d);
	xfer_manifest_file(&h, "b.bin", 0755, sizeof(big), d);
	xfer_manifest_end(&h, manifest);
	digest_free(&md);
	scratch_path(path, sizeof(path), name);
	CHECK(scratch_write(path, stream->p, stream->len));
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void deliver(struct rig *r, uint64_t id, const uint8_t manifest[XFER_DIGEST_LEN], int fd)
{
	char err[GUARD_ERRLEN];
	struct guard_msg m = { .type = GUARD_MSG_DELIVER, .id = id };
	memcpy(m.manifest, manifest, XFER_DIGEST_LEN);
	CHECK_EQ(guard_send(r->sup, &m, fd, err), 0);
	close(fd);
	settle(r);
}

/* What the monitor receives for the inbox: bytes of generation gen, and
 * whether the last one was marked END. */
static bool monitor_reads(struct rig *r, uint32_t gen, struct xu_buf *got)
{
	uint8_t buf[PORT_MSG_MAX];
	bool end = false;
	for (int i = 0; i < 100000 && !end; i++) {
		settle(r);
		ssize_t n = recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		struct port_msg m;
		char err[PORT_ERRLEN];
		CHECK_EQ(port_msg_decode(buf, (size_t)n, &m, err), 0);
		CHECK_EQ(m.type, PORT_IN_DATA);
		CHECK_EQ(m.gen, gen);
		xu_put(got, m.data, m.len);
		end = m.end;
	}
	return end;
}

TEST(guard_delivers_checked_spool_while_inbox_open)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	struct xu_buf s = { 0 }, got = { 0 };
	uint8_t mf[XFER_DIGEST_LEN];
	deliver(r, 41, mf, make_delivery("d41", "high", mf, &s));
	CHECK_EQ(r->g.in.n, 1);
	/* Closed inbox: nothing is sent. */
	uint8_t buf[PORT_MSG_MAX];
	CHECK(recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	port_send(r, PORT_IN_OPEN, 1, NULL, 0);
	CHECK(monitor_reads(r, 1, &got));
	CHECK(got.len == s.len && memcmp(got.p, s.p, s.len) == 0);
	CHECK_EQ(next_msg(r).type, 0);            /* not delivered until taken */
	port_send(r, PORT_IN_TAKEN, 1, NULL, 0);
	settle(r);
	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_DELIVERED);
	CHECK_EQ(m.id, 41);
	CHECK_EQ(r->g.in.n, 0);
	xu_free(&s), xu_free(&got);
	rig_free(r);
	scratch_remove();
}

TEST(guard_delivery_starts_over_after_close)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	struct xu_buf s = { 0 }, first = { 0 }, again = { 0 };
	uint8_t mf[XFER_DIGEST_LEN], buf[PORT_MSG_MAX];
	deliver(r, 5, mf, make_delivery("d5", "high", mf, &s));
	port_send(r, PORT_IN_OPEN, 1, NULL, 0);
	settle(r);
	ssize_t n = recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT); /* one piece taken... */
	CHECK(n > 6);
	port_send(r, PORT_IN_CLOSE, 1, NULL, 0);                  /* ...then the reader quits */
	settle(r);
	while (recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT) > 0)  /* the monitor drops gen 1 */
		;
	port_send(r, PORT_IN_TAKEN, 1, NULL, 0);                  /* stale: changes nothing */
	settle(r);
	CHECK_EQ(next_msg(r).type, 0);
	port_send(r, PORT_IN_OPEN, 2, NULL, 0);
	CHECK(monitor_reads(r, 2, &again));
	CHECK(again.len == s.len && memcmp(again.p, s.p, s.len) == 0); /* whole, from the start */
	port_send(r, PORT_IN_TAKEN, 2, NULL, 0);
	settle(r);
	CHECK_EQ(next_msg(r).type, GUARD_MSG_DELIVERED);
	xu_free(&s), xu_free(&first), xu_free(&again);
	rig_free(r);
	scratch_remove();
}

TEST(guard_refuses_spool_that_does_not_match_manifest)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	struct xu_buf s = { 0 };
	uint8_t mf[XFER_DIGEST_LEN];
	int fd = make_delivery("d9", "high", mf, &s);
	mf[0] ^= 1;                                     /* decided on something else */
	deliver(r, 9, mf, fd);
	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_UNDELIVERABLE);
	CHECK_EQ(m.id, 9);
	CHECK(strstr(m.reason, "manifest") != NULL);
	CHECK_EQ(r->g.in.n, 0);
	/* A spool naming another source than the manifest's. */
	xu_free(&s);
	fd = make_delivery("d10", "high", mf, &s);
	char path[256];
	scratch_path(path, sizeof(path), "d10");
	s.p[XFER_HEADER_LEN] = 'H';                     /* "High" */
	CHECK(scratch_write(path, s.p, s.len));
	deliver(r, 10, mf, fd);
	CHECK_EQ(next_msg(r).type, GUARD_MSG_UNDELIVERABLE);
	/* A spool with a bad stream. */
	xu_free(&s);
	fd = make_delivery("d11", "high", mf, &s);
	scratch_path(path, sizeof(path), "d11");
	CHECK(scratch_write(path, s.p, s.len - 3));     /* cut */
	deliver(r, 11, mf, fd);
	m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_UNDELIVERABLE);
	CHECK(strstr(m.reason, "ends in the middle") != NULL);
	port_send(r, PORT_IN_OPEN, 1, NULL, 0);
	settle(r);
	uint8_t buf[PORT_MSG_MAX];
	CHECK(recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT) < 0); /* nothing was sent */
	xu_free(&s);
	rig_free(r);
	scratch_remove();
}

TEST(guard_ignores_hostile_monitor_messages)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	uint8_t junk[8] = { 99, 1, 2, 3 };
	CHECK_EQ(send(r->mon, junk, 4, 0), 4);                 /* unknown type */
	CHECK_EQ(send(r->mon, junk, 0, 0), 0);                 /* empty */
	uint8_t in_data[8] = { PORT_IN_DATA, 1, 0, 0, 0, 0, 'x', 'y' }; /* the guard's own type */
	CHECK_EQ(send(r->mon, in_data, 8, 0), 8);
	uint8_t open_extra[2] = { PORT_OUT_OPEN, 0 };
	CHECK_EQ(send(r->mon, open_extra, 2, 0), 2);
	settle(r);
	CHECK(r->g.bad_port_msgs >= 3);
	CHECK(!r->g.port_gone);
	/* Still works. */
	int spool = give_spool(r, 1);
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_OUTBOX, "high", 1);
	guest_sends(r, b.p, b.len, 100);
	CHECK_EQ(next_msg(r).type, GUARD_MSG_REQ_BEGIN);
	close(spool);
	xu_free(&b);
	rig_free(r);
	scratch_remove();
}

TEST(guard_monitor_gone_cuts_transfer)
{
	CHECK(scratch_make("cordon-guard"));
	struct rig *r = rig_new(XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES);
	close(give_spool(r, 2));
	settle(r);
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_OUTBOX, "high", 2);
	port_send(r, PORT_OUT_OPEN, 0, NULL, 0);
	port_send(r, PORT_OUT_DATA, 0, b.p, 40);
	settle(r);
	close(r->mon);
	r->mon = -1;
	bool alive = true;
	for (int i = 0; i < 10 && alive; i++)
		alive = guard_step(&r->g, 0);
	CHECK(!alive);
	struct guard_msg m = next_msg(r);
	CHECK_EQ(m.type, GUARD_MSG_DROP);
	CHECK_EQ(m.id, 2);
	CHECK(strstr(m.reason, "the VM stopped") != NULL);
	xu_free(&b);
	r->mon = open("/dev/null", O_RDONLY);
	rig_free(r);
	scratch_remove();
}
