/*
 * host/netsock.c on real unix sockets in a private temporary directory:
 * who listens and who connects, frames both ways with their boundaries,
 * size limits, peers coming and going, and what may be found at PATH.
 */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/netsock.h"

#define POLL_TRIES 1000

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_open(struct tmp *t, const char *name)
{
	strcpy(t->dir, "/tmp/cordon-net-XXXXXX");
	if (!mkdtemp(t->dir))
		t_fail(__FILE__, __LINE__, "mkdtemp");
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
}

/* The directory must be empty again: every test cleans up after itself. */
static void tmp_close(struct tmp *t)
{
	if (rmdir(t->dir) < 0)
		t_fail(__FILE__, __LINE__, "rmdir %s: not empty?", t->dir);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Polls s until it reports a change (bounded); returns whether it did. */
static bool poll_until_change(struct host_netsock *s)
{
	for (int i = 0; i < POLL_TRIES; i++) {
		if (host_netsock_poll(s))
			return true;
		usleep(1000);
	}
	return false;
}

/* Receives the next frame on s, waiting a little for it to arrive. */
static int recv_wait(struct host_netsock *s, void *buf, size_t cap)
{
	for (int i = 0; i < POLL_TRIES; i++) {
		int n = host_netsock_recv(s, buf, cap);
		if (n != 0)
			return n;
		usleep(1000);
	}
	return 0;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed ^ (i * 31) ^ (i >> 8));
}

/* Sends a frame of len bytes on from and checks it arrives intact on to. */
static void check_frame_passes(struct host_netsock *from, struct host_netsock *to, size_t len, uint8_t seed)
{
	uint8_t out[HOST_NET_MAX_FRAME], in[HOST_NET_MAX_FRAME + 16];
	fill(out, len, seed);
	CHECK_EQ(host_netsock_send(from, out, len), 0);
	CHECK_EQ(recv_wait(to, in, sizeof(in)), len);
	CHECK(memcmp(in, out, len) == 0);
}

TEST(host_netsock_first_listens_second_connects)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK(exists(t.path));
	CHECK(!host_netsock_connected(a));
	CHECK(host_netsock_wait_fd(a) >= 0);
	CHECK(!host_netsock_poll(a));
	uint8_t frame[64] = { 1 };
	CHECK_EQ(host_netsock_send(a, frame, sizeof(frame)), 0); /* no peer: dropped */
	CHECK_EQ(host_netsock_recv(a, frame, sizeof(frame)), 0);

	struct host_netsock *b = host_netsock_open(t.path, err);
	CHECK(b != NULL);
	if (b) {
		CHECK(host_netsock_connected(b));
		CHECK(poll_until_change(a));
		CHECK(host_netsock_connected(a));
		CHECK(host_netsock_wait_fd(a) != host_netsock_wait_fd(b));
		CHECK(!host_netsock_poll(b));
	}
	host_netsock_close(b);
	host_netsock_close(a);
	CHECK(!exists(t.path)); /* the listener removed its socket file */
	tmp_close(&t);
}

TEST(host_netsock_frames_keep_their_boundaries)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	struct host_netsock *b = a ? host_netsock_open(t.path, err) : NULL;
	CHECK(b != NULL);
	if (!b) {
		host_netsock_close(a);
		tmp_close(&t);
		return;
	}
	CHECK(poll_until_change(a));
	/* Three frames queued back to back come out as three. */
	static const size_t sizes[3] = { 60, HOST_NET_MAX_FRAME, 14 };
	uint8_t out[3][HOST_NET_MAX_FRAME], in[2048];
	for (int i = 0; i < 3; i++) {
		fill(out[i], sizes[i], (uint8_t)(0x40 + i));
		CHECK_EQ(host_netsock_send(a, out[i], sizes[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		memset(in, 0, sizeof(in));
		CHECK_EQ(recv_wait(b, in, sizeof(in)), sizes[i]);
		CHECK(memcmp(in, out[i], sizes[i]) == 0);
	}
	CHECK_EQ(host_netsock_recv(b, in, sizeof(in)), 0); /* nothing more */
	check_frame_passes(b, a, 1000, 0x77);              /* and the other way */

	/* Oversize: refused on send; discarded whole on receive. */
	CHECK_EQ(host_netsock_send(a, out[1], HOST_NET_MAX_FRAME + 1), -1);
	CHECK_EQ(host_netsock_send(a, out[1], 500), 0);
	CHECK_EQ(recv_wait(b, in, 100), -1);
	check_frame_passes(a, b, 200, 0x13);               /* the next one is whole */
	CHECK_EQ(host_netsock_recv(b, in, sizeof(in)), 0);
	host_netsock_close(b);
	host_netsock_close(a);
	tmp_close(&t);
}

TEST(host_netsock_full_peer_queue_drops_without_blocking)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	struct host_netsock *b = a ? host_netsock_open(t.path, err) : NULL;
	if (b) {
		CHECK(poll_until_change(a));
		uint8_t frame[HOST_NET_MAX_FRAME], in[HOST_NET_MAX_FRAME];
		fill(frame, sizeof(frame), 1);
		for (int i = 0; i < 5000; i++) /* far more than the socket buffers hold */
			CHECK_EQ(host_netsock_send(a, frame, sizeof(frame)), 0);
		int got = 0;
		while (host_netsock_recv(b, in, sizeof(in)) > 0)
			got++;
		CHECK(got > 0);
		CHECK(got < 5000);
		CHECK(host_netsock_connected(a));
		check_frame_passes(a, b, 64, 2); /* the link still works */
	}
	CHECK(b != NULL);
	host_netsock_close(b);
	host_netsock_close(a);
	tmp_close(&t);
}

/* The send buffer the link asks for (netsock.c's LINK_SNDBUF), as far as
 * net.core.wmem_max lets it: a guest's TCP burst must fit, or each loss
 * costs the guest a retransmission timeout. */
static long wanted_sndbuf(void)
{
	long max = 0;
	FILE *f = fopen("/proc/sys/net/core/wmem_max", "r");
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 0;
		fclose(f);
	}
	long want = 2 * 1024 * 1024;
	return max > 0 && max < want ? max : want;
}

static long sndbuf_of(const struct host_netsock *s)
{
	int size = 0;
	socklen_t len = sizeof(size);
	if (getsockopt(host_netsock_wait_fd(s), SOL_SOCKET, SO_SNDBUF, &size, &len) < 0)
		return -1;
	return size; /* the kernel reports twice what it granted */
}

TEST(host_netsock_both_ends_have_room_for_a_burst)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	struct host_netsock *b = a ? host_netsock_open(t.path, err) : NULL;
	if (b) {
		CHECK(poll_until_change(a));
		CHECK(host_netsock_connected(a));
		CHECK(sndbuf_of(b) >= 2 * wanted_sndbuf());
		/* The listener's accepted socket: it inherits nothing from the
		 * listening one, so it is widened on its own. */
		CHECK(sndbuf_of(a) >= 2 * wanted_sndbuf());
	}
	CHECK(b != NULL);
	host_netsock_close(b);
	host_netsock_close(a);
	tmp_close(&t);
}

TEST(host_netsock_listener_takes_a_new_peer)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	struct host_netsock *b = a ? host_netsock_open(t.path, err) : NULL;
	CHECK(b != NULL);
	if (!b) {
		host_netsock_close(a);
		tmp_close(&t);
		return;
	}
	CHECK(poll_until_change(a));
	/* A third cordon while B is attached: refused, its link goes down. */
	struct host_netsock *extra = host_netsock_open(t.path, err);
	CHECK(extra != NULL);
	if (extra) {
		CHECK(!host_netsock_poll(a)); /* still B: no change */
		CHECK(poll_until_change(extra));
		CHECK(!host_netsock_connected(extra));
		CHECK_EQ(host_netsock_wait_fd(extra), -1);
		uint8_t frame[64] = { 0 };
		CHECK_EQ(host_netsock_send(extra, frame, sizeof(frame)), 0); /* no SIGPIPE */
		host_netsock_close(extra);
	}
	check_frame_passes(a, b, 64, 3);

	host_netsock_close(b);
	CHECK(poll_until_change(a));
	CHECK(!host_netsock_connected(a));
	uint8_t frame[64] = { 0 };
	CHECK_EQ(host_netsock_send(a, frame, sizeof(frame)), 0);
	struct host_netsock *c = host_netsock_open(t.path, err);
	CHECK(c != NULL);
	if (c) {
		CHECK(host_netsock_connected(c));
		CHECK(poll_until_change(a));
		CHECK(host_netsock_connected(a));
		check_frame_passes(c, a, 300, 4);
		check_frame_passes(a, c, 301, 5);
		/* The listener goes away: the connector stays down. */
		host_netsock_close(a);
		a = NULL;
		CHECK(poll_until_change(c));
		CHECK(!host_netsock_connected(c));
		CHECK_EQ(host_netsock_recv(c, frame, sizeof(frame)), 0);
		CHECK(!host_netsock_poll(c));
	}
	host_netsock_close(c);
	host_netsock_close(a);
	tmp_close(&t);
}

TEST(host_netsock_send_notices_a_dead_peer)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "link");
	struct host_netsock *a = host_netsock_open(t.path, err);
	struct host_netsock *b = a ? host_netsock_open(t.path, err) : NULL;
	CHECK(b != NULL);
	if (b) {
		CHECK(poll_until_change(a));
		host_netsock_close(a); /* b has not polled yet */
		a = NULL;
		uint8_t frame[64] = { 0 };
		CHECK_EQ(host_netsock_send(b, frame, sizeof(frame)), 0);
		CHECK(!host_netsock_connected(b));
		CHECK(host_netsock_poll(b)); /* the change send saw is reported */
		CHECK(!host_netsock_poll(b));
	}
	host_netsock_close(b);
	host_netsock_close(a);
	tmp_close(&t);
}

/* A socket file left behind by a listener that died. */
static void make_stale_socket(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		t_fail(__FILE__, __LINE__, "cannot make a stale socket at %s", path);
	if (fd >= 0)
		close(fd);
}

TEST(host_netsock_replaces_a_stale_socket)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "";
	tmp_open(&t, "stale");
	make_stale_socket(t.path);
	CHECK(exists(t.path));
	struct host_netsock *a = host_netsock_open(t.path, err);
	CHECK(a != NULL);
	if (a) {
		CHECK(!host_netsock_connected(a)); /* it listens */
		struct host_netsock *b = host_netsock_open(t.path, err);
		CHECK(b != NULL && host_netsock_connected(b));
		CHECK(poll_until_change(a));
		host_netsock_close(b);
	}
	host_netsock_close(a);
	CHECK(!exists(t.path));
	tmp_close(&t);
}

TEST(host_netsock_refuses_a_non_socket)
{
	struct tmp t;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	tmp_open(&t, "file");
	FILE *f = fopen(t.path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("precious", f);
		fclose(f);
	}
	CHECK(host_netsock_open(t.path, err) == NULL);
	snprintf(want, sizeof(want), "%s: exists and is not a socket", t.path);
	CHECK_STR(err, want);
	struct stat st;
	CHECK(lstat(t.path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8);
	unlink(t.path);
	/* A symlink to a socket is refused the same way, and left alone. */
	char target[160];
	snprintf(target, sizeof(target), "%s/real", t.dir);
	make_stale_socket(target);
	CHECK_EQ(symlink(target, t.path), 0);
	CHECK(host_netsock_open(t.path, err) == NULL);
	CHECK_STR(err, want);
	CHECK(lstat(t.path, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(exists(target));
	unlink(t.path);
	unlink(target);
	tmp_close(&t);
}

TEST(host_netsock_path_errors)
{
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	char path[200];
	memset(path, 'x', sizeof(path));
	memcpy(path, "/tmp/", 5);
	path[108] = '\0'; /* 108 bytes: one too many for sun_path */
	CHECK(host_netsock_open(path, err) == NULL);
	snprintf(want, sizeof(want), "%s: path too long for a unix socket (max 107 bytes)", path);
	CHECK_STR(err, want);
	CHECK(!exists(path));
	CHECK(host_netsock_open("/nonexistent-cordon-dir/link", err) == NULL);
	CHECK_STR(err, "/nonexistent-cordon-dir/link: No such file or directory");
	CHECK(host_netsock_open("", err) == NULL);
	CHECK(err[0] != '\0');
	host_netsock_close(NULL);
}
