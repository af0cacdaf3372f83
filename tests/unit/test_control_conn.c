/*
 * The control socket's connections (src/super/control_conn.c), driven
 * through the event loop's three calls on socketpairs: a request served
 * and answered, a late request answered with a timeout and hung up on,
 * an over-long one refused, and a session command's connection kept
 * after its reply, with the descriptor it passes arriving by SCM_RIGHTS
 * and the session's hooks called.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/host.h"
#include "super/super_internal.h"

static struct super s;

/* One turn of the loop: poll the connections (up to ms), serve them. */
static void turn(int ms)
{
	struct pollfd p[1 + CONTROL_MAX_CONNS];
	unsigned n = control_poll_fill(&s, p);
	if (n)
		poll(p, n, ms);
	control_poll_ready(&s, p, n);
}

/* A connection in slot 0 over a fresh socketpair; the client's end. */
static int connect_slot(enum conn_state state)
{
	int sv[2];
	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	control_conns_init(&s);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct control_conn *c = &s.conns[0];
	c->state = state;
	c->fd = sv[0];
	snprintf(c->who, sizeof(c->who), "operator uid 0");
	c->deadline_ns = host_monotonic_ns() + CONTROL_DEADLINE_NS;
	return sv[1];
}

static long read_reply(int fd, char *buf, size_t cap)
{
	long n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

TEST(control_conn_serves_a_request)
{
	char buf[512];
	int client = connect_slot(CONN_READING);
	CHECK(client >= 0);
	CHECK(write(client, "{\"cmd\":", 7) == 7);
	turn(100);
	CHECK_EQ(s.conns[0].state, CONN_READING); /* half a request: still waiting */
	CHECK(write(client, "\"ps\"}\n", 6) == 6);
	turn(100); /* read and answered */
	turn(100); /* written and closed */
	CHECK(read_reply(client, buf, sizeof(buf)) > 0);
	CHECK(strncmp(buf, "{\"ok\":true,\"supervisor\":", 24) == 0);
	CHECK(strstr(buf, "\"vms\":[]}\n") != NULL);
	CHECK_EQ(s.conns[0].state, CONN_FREE);
	close(client);
}

TEST(control_conn_deadline_and_size_limit)
{
	char buf[512];
	int client = connect_slot(CONN_READING);
	CHECK(write(client, "{\"cmd\":\"p", 9) == 9);
	s.conns[0].deadline_ns = host_monotonic_ns() - 1; /* a second has gone by */
	CHECK_EQ(control_timeout_ms(&s), 0);
	turn(0);
	CHECK_EQ(s.conns[0].state, CONN_FREE);
	CHECK(read_reply(client, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"error\":\"request timed out") != NULL);
	close(client);

	client = connect_slot(CONN_READING);
	char *big = malloc(CONTROL_REQUEST_MAX);
	memset(big, ' ', CONTROL_REQUEST_MAX);
	CHECK(write(client, big, CONTROL_REQUEST_MAX) == CONTROL_REQUEST_MAX);
	free(big);
	turn(100);
	turn(100);
	CHECK(read_reply(client, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"ok\":false,\"error\":\"request longer than 4095 bytes\"}\n");
	CHECK_EQ(s.conns[0].state, CONN_FREE);
	close(client);
}

static int ready_calls, end_calls;
static void session_ready(struct super *sp, struct control_conn *c, short revents)
{
	char b[8];
	ready_calls++;
	if ((revents & POLLIN) && read(c->fd, b, sizeof(b)) == 1 && b[0] == 'q')
		control_conn_close(sp, c);
}
static void session_end(struct super *sp, struct control_conn *c)
{
	(void)sp, (void)c;
	end_calls++;
}
static const struct control_session test_session = { session_ready, session_end };

TEST(control_conn_session_keeps_the_connection_and_passes_a_descriptor)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char line[64];
	struct iovec iov = { line, sizeof(line) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	int client = connect_slot(CONN_WRITING);
	struct control_conn *c = &s.conns[0];
	c->out = malloc(CONTROL_REPLY_MAX);
	memcpy(c->out, "{\"ok\":true}\n", 12);
	c->outlen = 12;
	c->session = &test_session;
	c->session_events = POLLIN;
	c->pass_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ready_calls = end_calls = 0;
	turn(100);
	CHECK_EQ(c->state, CONN_SESSION);
	CHECK_EQ(c->pass_fd, -1);
	CHECK_EQ(control_timeout_ms(&s), -1); /* a session has no deadline */
	ssize_t n = recvmsg(client, &msg, MSG_DONTWAIT);
	CHECK_EQ(n, 12);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	if (cm) {
		int fd;
		struct stat a, b;
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		CHECK(fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && a.st_rdev == b.st_rdev);
		close(fd);
	}
	CHECK(write(client, "x", 1) == 1);
	turn(100);
	CHECK_EQ(ready_calls, 1);
	CHECK_EQ(c->state, CONN_SESSION);
	CHECK(write(client, "q", 1) == 1);
	turn(100);
	CHECK_EQ(ready_calls, 2);
	CHECK_EQ(end_calls, 1);
	CHECK_EQ(c->state, CONN_FREE);
	close(client);
}
