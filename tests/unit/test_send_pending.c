/*
 * send_pending (src/super/send_pending.c), the non-blocking drain shared
 * by control replies and the operator console, on a socketpair whose
 * buffers are far smaller than what is sent: it stops at a full socket
 * with the offset where it stopped, resumes there once the peer has
 * read, delivers every byte in order, and reports a peer that hung up.
 */
#include "t.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "super/send_pending.h"

#define BIG (1u << 20) /* far past the small buffers below */

static int small_pair(int sv[2])
{
	int sz = 4096;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

/* What the peer can read now, appended at got + *have. */
static void drain(int fd, uint8_t *got, size_t *have)
{
	ssize_t n;
	while (*have < BIG && (n = recv(fd, got + *have, BIG - *have, MSG_DONTWAIT)) > 0)
		*have += (size_t)n;
}

TEST(send_pending_partial_sends_resume_where_they_stopped)
{
	int sv[2];
	CHECK(small_pair(sv) == 0);
	uint8_t *buf = malloc(BIG), *got = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 11));
	size_t off = 0, have = 0;
	CHECK_EQ(send_pending(sv[0], buf, BIG, &off), SEND_AGAIN);
	CHECK(off > 0 && off < BIG); /* some went, the socket filled */
	size_t stopped = off;
	CHECK_EQ(send_pending(sv[0], buf, BIG, &off), SEND_AGAIN); /* still full: nothing moves */
	CHECK_EQ(off, stopped);
	unsigned rounds = 0;
	enum send_pending_result r = SEND_AGAIN;
	while (r == SEND_AGAIN && rounds++ < 100000) {
		drain(sv[1], got, &have);
		r = send_pending(sv[0], buf, BIG, &off);
	}
	drain(sv[1], got, &have);
	CHECK_EQ(r, SEND_DONE);
	CHECK(rounds > 2); /* it really took several partial sends */
	CHECK_EQ(off, BIG);
	CHECK_EQ(have, BIG);
	CHECK(memcmp(buf, got, BIG) == 0);
	CHECK_EQ(send_pending(sv[0], buf, BIG, &off), SEND_DONE); /* nothing left: no-op */
	free(buf);
	free(got);
	close(sv[0]);
	close(sv[1]);
}

TEST(send_pending_starts_at_the_offset)
{
	int sv[2];
	char got[16] = { 0 };
	CHECK(small_pair(sv) == 0);
	size_t off = 6;
	CHECK_EQ(send_pending(sv[0], "hello world", 11, &off), SEND_DONE);
	CHECK_EQ(off, 11);
	CHECK_EQ(recv(sv[1], got, sizeof(got) - 1, MSG_DONTWAIT), 5);
	CHECK_STR(got, "world");
	close(sv[0]);
	close(sv[1]);
}

TEST(send_pending_reports_a_peer_that_hung_up)
{
	int sv[2];
	CHECK(small_pair(sv) == 0);
	close(sv[1]);
	size_t off = 0;
	/* EPIPE, and no SIGPIPE: the test process would die of one. */
	CHECK_EQ(send_pending(sv[0], "bye", 3, &off), SEND_FAILED);
	CHECK_EQ(off, 0);
	close(sv[0]);

	/* Hung up halfway: what was taken counts, then it fails. */
	uint8_t *buf = calloc(1, BIG);
	CHECK(small_pair(sv) == 0);
	off = 0;
	CHECK_EQ(send_pending(sv[0], buf, BIG, &off), SEND_AGAIN);
	size_t part = off;
	close(sv[1]);
	CHECK_EQ(send_pending(sv[0], buf, BIG, &off), SEND_FAILED);
	CHECK_EQ(off, part);
	CHECK_EQ(send_pending(-1, buf, BIG, &off), SEND_FAILED); /* EBADF too */
	free(buf);
	close(sv[0]);
}
