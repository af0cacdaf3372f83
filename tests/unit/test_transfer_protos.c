/*
 * The two transfer protocols: port_proto (monitor <-> guard) and
 * guard_proto (supervisor <-> guard).  Round trips of every message type,
 * and the refusals: wrong lengths, unknown types, bad names and texts,
 * missing or stray descriptors, a length field that lies.
 */
#include "t.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "super/guard_proto.h"
#include "xfer/port_proto.h"

TEST(port_proto_round_trip)
{
	uint8_t buf[PORT_MSG_MAX], data[PORT_DATA_MAX];
	char err[PORT_ERRLEN];
	memset(data, 0xab, sizeof(data));
	struct port_msg in[] = {
		{ .type = PORT_OUT_OPEN }, { .type = PORT_OUT_CLOSE },
		{ .type = PORT_OUT_DATA, .data = data, .len = 1 },
		{ .type = PORT_OUT_DATA, .data = data, .len = PORT_DATA_MAX },
		{ .type = PORT_IN_OPEN, .gen = 7 }, { .type = PORT_IN_CLOSE, .gen = 0xffffffffu },
		{ .type = PORT_IN_TAKEN, .gen = 3 },
		{ .type = PORT_IN_DATA, .gen = 9, .end = true, .data = data, .len = 100 },
		{ .type = PORT_IN_DATA, .gen = 9, .data = data, .len = 0 },
	};
	for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = port_msg_encode(buf, &in[i]);
		struct port_msg out;
		CHECK(n > 0);
		CHECK_EQ(port_msg_decode(buf, n, &out, err), 0);
		CHECK_EQ(out.type, in[i].type);
		CHECK_EQ(out.gen, in[i].gen);
		CHECK_EQ(out.end, in[i].end);
		CHECK_EQ(out.len, in[i].len);
		if (in[i].len)
			CHECK(memcmp(out.data, data, out.len) == 0);
	}
	CHECK(port_msg_from_monitor(PORT_IN_TAKEN));
	CHECK(!port_msg_from_monitor(PORT_IN_DATA));
}

TEST(port_proto_refusals)
{
	uint8_t buf[PORT_MSG_MAX + 8] = { 0 }, data[8] = { 0 };
	char err[PORT_ERRLEN];
	struct port_msg m;
	/* Encoding refuses what decode would. */
	struct port_msg empty = { .type = PORT_OUT_DATA, .data = data, .len = 0 };
	CHECK_EQ(port_msg_encode(buf, &empty), 0);
	struct port_msg huge = { .type = PORT_IN_DATA, .data = data, .len = PORT_DATA_MAX + 1 };
	CHECK_EQ(port_msg_encode(buf, &huge), 0);
	/* Decoding. */
	CHECK_EQ(port_msg_decode(buf, 0, &m, err), -1);
	buf[0] = PORT_OUT_OPEN;
	CHECK_EQ(port_msg_decode(buf, 2, &m, err), -1);
	buf[0] = PORT_OUT_DATA;
	CHECK_EQ(port_msg_decode(buf, 1, &m, err), -1);
	buf[0] = PORT_IN_OPEN;
	CHECK_EQ(port_msg_decode(buf, 4, &m, err), -1);
	CHECK_EQ(port_msg_decode(buf, 6, &m, err), -1);
	buf[0] = PORT_IN_DATA;
	buf[5] = 2; /* an unknown flag */
	CHECK_EQ(port_msg_decode(buf, 8, &m, err), -1);
	buf[0] = 0;
	CHECK_EQ(port_msg_decode(buf, 5, &m, err), -1);
	buf[0] = 200;
	CHECK_EQ(port_msg_decode(buf, 5, &m, err), -1);
	CHECK(strstr(err, "unknown type") != NULL);
	buf[0] = PORT_OUT_DATA;
	CHECK_EQ(port_msg_decode(buf, PORT_MSG_MAX + 1, &m, err), -1);
	/* OUT_DATA of one byte more than PORT_DATA_MAX: it fits a datagram
	 * (which allows for IN_DATA's longer header), yet no encoder writes it. */
	CHECK_EQ(port_msg_decode(buf, 1 + PORT_DATA_MAX, &m, err), 0);
	CHECK_EQ(m.len, PORT_DATA_MAX);
	CHECK_EQ(port_msg_decode(buf, 2 + PORT_DATA_MAX, &m, err), -1);
	CHECK(strstr(err, "more data") != NULL);
}

static struct guard_msg round_trip(const struct guard_msg *in)
{
	uint8_t buf[GUARD_MSG_MAX];
	char err[GUARD_ERRLEN] = "";
	struct guard_msg out;
	long n = guard_msg_encode(in, buf, err);
	CHECK(n > 0);
	if (n <= 0)
		t_fail(__FILE__, __LINE__, "%s: %s", guard_msg_name(in->type), err);
	CHECK_EQ(guard_msg_decode(in->type, buf, (size_t)n, &out, err), 0);
	return out;
}

TEST(guard_proto_round_trip)
{
	struct guard_msg m = { .type = GUARD_MSG_INIT, .uid = 2000001003u,
			       .limits = { 64 << 20, 1000 } };
	strcpy(m.vm, "low-1");
	struct guard_msg o = round_trip(&m);
	CHECK_EQ(o.uid, m.uid);
	CHECK_EQ(o.limits.max_bytes, 64 << 20);
	CHECK_EQ(o.limits.max_files, 1000);
	CHECK_STR(o.vm, "low-1");

	m = (struct guard_msg){ .type = GUARD_MSG_REQ_BEGIN, .id = 12, .nfiles = 3, .total = 99,
				.spool_len = 500 };
	strcpy(m.target, "high");
	o = round_trip(&m);
	CHECK_EQ(o.id, 12);
	CHECK_EQ(o.nfiles, 3);
	CHECK_EQ(o.total, 99);
	CHECK_EQ(o.spool_len, 500);
	CHECK_STR(o.target, "high");

	m = (struct guard_msg){ .type = GUARD_MSG_REQ_FILE, .id = 12, .index = 2, .mode = 0755,
				.size = 7, .offset = 123 };
	memset(m.digest, 0x5a, sizeof(m.digest));
	strcpy(m.name, "r\xc3\xa9sum\xc3\xa9 \"quoted\".txt");
	o = round_trip(&m);
	CHECK_EQ(o.index, 2);
	CHECK_EQ(o.mode, 0755);
	CHECK_EQ(o.size, 7);
	CHECK_EQ(o.offset, 123);
	CHECK(memcmp(o.digest, m.digest, sizeof(m.digest)) == 0);
	CHECK_STR(o.name, m.name);

	m = (struct guard_msg){ .type = GUARD_MSG_DELIVER, .id = 1 };
	memset(m.manifest, 0xc3, sizeof(m.manifest));
	o = round_trip(&m);
	CHECK(memcmp(o.manifest, m.manifest, sizeof(m.manifest)) == 0);

	m = (struct guard_msg){ .type = GUARD_MSG_DROP, .id = 0 };
	strcpy(m.reason, "file 3: name holds '/'");
	o = round_trip(&m);
	CHECK_STR(o.reason, m.reason);
	enum guard_msg_type plain[] = { GUARD_MSG_SPOOL, GUARD_MSG_REQ_END, GUARD_MSG_DELIVERED };
	for (unsigned i = 0; i < 3; i++) {
		m = (struct guard_msg){ .type = plain[i], .id = 77 };
		CHECK_EQ(round_trip(&m).id, 77);
	}
}

static void expect_refused(const struct guard_msg *m, const char *why)
{
	uint8_t buf[GUARD_MSG_MAX];
	char err[GUARD_ERRLEN] = "";
	CHECK_EQ(guard_msg_encode(m, buf, err), -1);
	if (!strstr(err, why))
		t_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", err, why);
}

TEST(guard_proto_refusals)
{
	struct guard_msg m = { .type = GUARD_MSG_REQ_FILE, .id = 1, .mode = 04755 };
	strcpy(m.name, "x");
	expect_refused(&m, "mode");
	m.mode = 0644;
	strcpy(m.name, "a/b");
	expect_refused(&m, "'/'");
	strcpy(m.name, "line\nbreak");
	expect_refused(&m, "control");
	strcpy(m.name, "ok");
	m.id = 0;
	expect_refused(&m, "transfer id 0");
	m = (struct guard_msg){ .type = GUARD_MSG_REQ_BEGIN, .id = 1, .nfiles = 0 };
	strcpy(m.target, "x");
	expect_refused(&m, "out of range");
	m.nfiles = 1, m.total = 10, m.spool_len = 5;
	expect_refused(&m, "spool shorter");
	m.spool_len = 100;
	strcpy(m.target, "../x");
	expect_refused(&m, "bad target");
	m = (struct guard_msg){ .type = GUARD_MSG_DROP, .id = 1 };
	expect_refused(&m, "printable");
	strcpy(m.reason, "esc\x1b[2J");
	expect_refused(&m, "printable");
	m = (struct guard_msg){ .type = GUARD_MSG_INIT, .limits = { 0, 1 } };
	strcpy(m.vm, "v");
	expect_refused(&m, "limits");

	/* Decoding: cut, stray bytes, a NUL inside a name. */
	uint8_t buf[GUARD_MSG_MAX];
	char err[GUARD_ERRLEN];
	m = (struct guard_msg){ .type = GUARD_MSG_REQ_FILE, .id = 1, .mode = 0644, .size = 1 };
	strcpy(m.name, "abc");
	long n = guard_msg_encode(&m, buf, err);
	struct guard_msg o;
	CHECK_EQ(guard_msg_decode(GUARD_MSG_REQ_FILE, buf, (size_t)n - 1, &o, err), -1);
	CHECK(strstr(err, "cut short") != NULL);
	buf[n] = 0;
	CHECK_EQ(guard_msg_decode(GUARD_MSG_REQ_FILE, buf, (size_t)n + 1, &o, err), -1);
	CHECK(strstr(err, "stray bytes") != NULL);
	buf[n - 2] = 0; /* "a\0c" */
	CHECK_EQ(guard_msg_decode(GUARD_MSG_REQ_FILE, buf, (size_t)n, &o, err), -1);
	CHECK_EQ(guard_msg_decode(42, buf, (size_t)n, &o, err), -1);
}

/* A NUL inside any text is refused, not only in a file name: "v\0x" as
 * a VM name, target or reason would decode as "v", which no encoder
 * writes (neither end accepts what the other could not have sent). */
TEST(guard_proto_nul_in_any_text_refused)
{
	static const struct guard_msg msgs[] = {
		{ .type = GUARD_MSG_INIT, .limits = { 1, 1 }, .vm = "vmx" },
		{ .type = GUARD_MSG_REQ_BEGIN, .id = 1, .nfiles = 1, .total = 1, .spool_len = 1,
		  .target = "vmx" },
		{ .type = GUARD_MSG_DROP, .id = 1, .reason = "why" },
		{ .type = GUARD_MSG_UNDELIVERABLE, .id = 1, .reason = "why" },
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		uint8_t buf[GUARD_MSG_MAX];
		char err[GUARD_ERRLEN];
		struct guard_msg o;
		long n = guard_msg_encode(&msgs[i], buf, err);
		CHECK(n > 2);
		CHECK_EQ(guard_msg_decode(msgs[i].type, buf, (size_t)n, &o, err), 0);
		buf[n - 2] = 0; /* the text's middle byte */
		CHECK_EQ(guard_msg_decode(msgs[i].type, buf, (size_t)n, &o, err), -1);
		CHECK(strstr(err, "NUL") != NULL);
	}
}

TEST(guard_proto_descriptors_on_the_socket)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	char err[GUARD_ERRLEN];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got;
	bool hup;
	struct guard_msg m = { .type = GUARD_MSG_SPOOL, .id = 5 }, o;
	CHECK_EQ(guard_send(sv[0], &m, -1, err), -1);          /* a spool needs its fd */
	CHECK_EQ(guard_send(sv[0], &m, fd, err), 0);
	CHECK_EQ(guard_recv(sv[1], &o, &got, &hup, err), 1);
	CHECK_EQ(o.id, 5);
	CHECK(got >= 0);
	close(got);
	m = (struct guard_msg){ .type = GUARD_MSG_REQ_END, .id = 5 };
	CHECK_EQ(guard_send(sv[0], &m, fd, err), -1);          /* and this takes none */
	CHECK_EQ(guard_recv(sv[1], &o, &got, &hup, err), 0);   /* nothing was sent */
	/* A forged datagram: right header, but a descriptor where none belongs. */
	struct guard_hdr h = { GUARD_PROTO_VERSION, GUARD_MSG_REQ_END, 8 };
	uint8_t pay[8] = { 5 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { pay, 8 } };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &msg, 0), (ssize_t)(sizeof(h) + 8));
	CHECK_EQ(guard_recv(sv[1], &o, &got, &hup, err), -1);
	CHECK(strstr(err, "descriptors") != NULL);
	CHECK_EQ(got, -1);
	/* A length field that lies. */
	h.len = 100;
	msg.msg_control = NULL, msg.msg_controllen = 0;
	CHECK_EQ(sendmsg(sv[0], &msg, 0), (ssize_t)(sizeof(h) + 8));
	CHECK_EQ(guard_recv(sv[1], &o, &got, &hup, err), -1);
	CHECK(strstr(err, "length") != NULL);
	close(sv[0]);
	CHECK_EQ(guard_recv(sv[1], &o, &got, &hup, err), -1);
	CHECK(hup);
	close(sv[1]);
	close(fd);
}
