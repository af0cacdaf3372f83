/*
 * The control socket's connections, served inside the supervisor's event
 * loop without ever blocking it.
 *
 * Every connection is non-blocking and lives in a slot of s->conns; the
 * loop polls each, so a client that sends one byte a second, never reads
 * its reply, or never says anything costs one slot and nothing else --
 * reaping, signals and the other clients go on.  Limits:
 *
 *   CONTROL_MAX_CONNS    connections at once; one more is told "busy"
 *   CONTROL_REQUEST_MAX  bytes of request, newline included
 *   CONTROL_DEADLINE_NS  for the whole request to arrive after connecting,
 *                        and again for the reply to be taken once ready;
 *                        past it the client gets an error reply (when its
 *                        socket takes one) and is hung up on
 *
 * A connection from another uid than the supervisor's (or root's) is
 * refused with an audit record; past CONTROL_REFUSED_BURST such records
 * in a CONTROL_REFUSED_WINDOW_NS window the rest are counted and written
 * as one record when the window ends, so refused connections cannot fill
 * the audit log.
 *
 * A command may keep its connection after the reply (a session, e.g. a
 * console): its handler sets c->session, and may set c->pass_fd, a
 * descriptor sent with the reply's first byte (SCM_RIGHTS) and then
 * closed here.  The session's ready() then gets the connection's poll
 * events until it calls control_conn_close.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/host.h"
#include "super/send_pending.h"

static void conn_reset(struct control_conn *c)
{
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = c->pass_fd = -1;
	c->state = CONN_FREE;
}

void control_conn_close(struct super *s, struct control_conn *c)
{
	if (c->state == CONN_FREE)
		return;
	if (c->session && c->session->end)
		c->session->end(s, c);
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	close(c->fd);
	conn_reset(c);
}

void control_conns_init(struct super *s)
{
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++) {
		s->conns[i].out = NULL;
		conn_reset(&s->conns[i]);
	}
}

void control_conns_close(struct super *s)
{
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++)
		control_conn_close(s, &s->conns[i]);
	control_refusals_flush(s);
}

/* --- refused connections, audited at a bounded rate ------------------------------ */

void control_refusals_flush(struct super *s)
{
	if (!s->refused_suppressed)
		return;
	char reason[128];
	snprintf(reason, sizeof(reason),
		 "%u more connections refused in %u s (not recorded one by one)",
		 s->refused_suppressed, (unsigned)(CONTROL_REFUSED_WINDOW_NS / 1000000000ull));
	s->refused_suppressed = 0;
	super_audit(s, "control", "", "control", "", "connect", "deny", reason);
}

static void audit_refusal(struct super *s, const char *who, uint64_t now)
{
	if (now - s->refused_window_start >= CONTROL_REFUSED_WINDOW_NS) {
		control_refusals_flush(s);
		s->refused_window_start = now;
		s->refused_in_window = 0;
	}
	if (s->refused_in_window++ < CONTROL_REFUSED_BURST)
		super_audit(s, who, "", "control", "", "connect", "deny", "not the supervisor's user");
	else
		s->refused_suppressed++;
}

/* --- replies ----------------------------------------------------------------------- */

/* One try at a short line on a socket we are about to close: it takes it
 * or it does not, and we never wait. */
static void send_and_forget(int fd, const char *msg)
{
	char buf[CONTROL_ERROR_REPLY_MAX];
	size_t n = control_reply_error(buf, msg);
	(void)!send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The reply is in c->out: from now on the connection waits to write it. */
static void start_writing(struct control_conn *c, size_t len)
{
	c->outlen = len;
	c->outoff = 0;
	c->state = CONN_WRITING;
	c->deadline_ns = host_monotonic_ns() + CONTROL_DEADLINE_NS;
}

static void reply_now(struct super *s, struct control_conn *c, const char *line, size_t len)
{
	if (!c->out)
		c->out = malloc(CONTROL_REPLY_MAX);
	if (!c->out) {
		send_and_forget(c->fd, "out of memory");
		control_conn_close(s, c);
		return;
	}
	size_t n = control_dispatch(s, c, line, len, c->out);
	start_writing(c, n);
}

static void reply_error_and_close_later(struct super *s, struct control_conn *c, const char *msg)
{
	if (!c->out)
		c->out = malloc(CONTROL_REPLY_MAX);
	if (!c->out) {
		send_and_forget(c->fd, msg);
		control_conn_close(s, c);
		return;
	}
	start_writing(c, control_reply_error(c->out, msg));
}

static ssize_t send_first(struct control_conn *c, const char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	memset(&ctl, 0, sizeof(ctl));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
	ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		close(c->pass_fd);
		c->pass_fd = -1;
	}
	return n;
}

/* The descriptor to pass goes with the reply's first bytes (one sendmsg
 * that the socket takes, or not); the rest is drained as any reply is. */
static enum send_pending_result send_descriptor(struct control_conn *c)
{
	ssize_t n;
	do
		n = send_first(c, c->out + c->outoff, c->outlen - c->outoff);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return SEND_AGAIN;
	if (n <= 0)
		return SEND_FAILED;
	c->outoff += (size_t)n;
	return SEND_DONE;
}

static void write_some(struct super *s, struct control_conn *c)
{
	enum send_pending_result r = SEND_DONE;
	if (c->pass_fd >= 0 && c->outoff < c->outlen)
		r = send_descriptor(c);
	if (r == SEND_DONE)
		r = send_pending(c->fd, c->out, c->outlen, &c->outoff);
	if (r == SEND_AGAIN)
		return;
	if (r == SEND_FAILED) {
		control_conn_close(s, c);
		return;
	}
	free(c->out);
	c->out = NULL;
	if (!c->session) {
		control_conn_close(s, c);
		return;
	}
	c->state = CONN_SESSION;
	c->deadline_ns = 0;
}

/* --- requests ---------------------------------------------------------------------- */

static void read_some(struct super *s, struct control_conn *c)
{
	for (;;) {
		size_t room = CONTROL_REQUEST_MAX - c->inlen;
		ssize_t n = recv(c->fd, c->in + c->inlen, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* hung up before a whole request: nothing to answer */
			control_conn_close(s, c);
			return;
		}
		char *nl = memchr(c->in + c->inlen, '\n', (size_t)n);
		c->inlen += (size_t)n;
		if (nl) {
			reply_now(s, c, c->in, (size_t)(nl - c->in));
			return;
		}
		if (c->inlen == CONTROL_REQUEST_MAX) {
			char msg[80];
			snprintf(msg, sizeof(msg), "request longer than %d bytes",
				 CONTROL_REQUEST_MAX - 1);
			reply_error_and_close_later(s, c, msg);
			return;
		}
	}
}

static struct control_conn *free_slot(struct super *s)
{
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++)
		if (s->conns[i].state == CONN_FREE)
			return &s->conns[i];
	return NULL;
}

static void accept_one(struct super *s, int fd, uint64_t now)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char who[64];
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		close(fd);
		return;
	}
	snprintf(who, sizeof(who), "operator uid %u", (unsigned)cred.uid);
	if (cred.uid != geteuid() && cred.uid != 0) {
		audit_refusal(s, who, now);
		send_and_forget(fd, "permission denied");
		close(fd);
		return;
	}
	struct control_conn *c = free_slot(s);
	if (!c) {
		send_and_forget(fd, "busy: too many control connections, try again");
		close(fd);
		return;
	}
	c->state = CONN_READING;
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	snprintf(c->who, sizeof(c->who), "%s", who);
	c->deadline_ns = now + CONTROL_DEADLINE_NS;
}

static void accept_all(struct super *s)
{
	uint64_t now = host_monotonic_ns();
	/* A bounded number per turn, so a flood of connects cannot keep the
	 * loop here. */
	for (unsigned i = 0; i < 2 * CONTROL_MAX_CONNS; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		accept_one(s, fd, now);
	}
}

/* --- the event loop's side ----------------------------------------------------------- */

unsigned control_poll_fill(struct super *s, struct pollfd *p)
{
	unsigned n = 0;
	if (s->listen_fd >= 0)
		p[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++) {
		struct control_conn *c = &s->conns[i];
		short ev = c->state == CONN_READING ? POLLIN
			 : c->state == CONN_WRITING ? POLLOUT
			 : c->state == CONN_SESSION ? c->session_events : 0;
		c->poll_index = -1;
		if (c->state == CONN_FREE)
			continue;
		c->poll_index = (int)n;
		p[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
	}
	return n;
}

static void expire(struct super *s, uint64_t now)
{
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++) {
		struct control_conn *c = &s->conns[i];
		if (c->state == CONN_FREE || !c->deadline_ns || now < c->deadline_ns)
			continue;
		if (c->state == CONN_READING)
			send_and_forget(c->fd, "request timed out (a whole request must arrive "
					       "within a second)");
		control_conn_close(s, c);
	}
}

void control_poll_ready(struct super *s, const struct pollfd *p, unsigned n)
{
	uint64_t now = host_monotonic_ns();
	if (s->refused_suppressed && now - s->refused_window_start >= CONTROL_REFUSED_WINDOW_NS)
		control_refusals_flush(s);
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++) {
		struct control_conn *c = &s->conns[i];
		if (c->state == CONN_FREE || c->poll_index < 0 || (unsigned)c->poll_index >= n)
			continue;
		short re = p[c->poll_index].revents;
		if (!re)
			continue;
		if (c->state == CONN_READING)
			read_some(s, c);
		else if (c->state == CONN_WRITING)
			write_some(s, c);
		else if (c->state == CONN_SESSION && c->session && c->session->ready)
			c->session->ready(s, c, re);
		else
			control_conn_close(s, c);
	}
	if (n && s->listen_fd >= 0 && p[0].fd == s->listen_fd && p[0].revents)
		accept_all(s);
	expire(s, host_monotonic_ns());
}

int control_timeout_ms(const struct super *s)
{
	uint64_t now = host_monotonic_ns(), next = 0;
	for (unsigned i = 0; i < CONTROL_MAX_CONNS; i++) {
		const struct control_conn *c = &s->conns[i];
		if (c->state != CONN_FREE && c->deadline_ns && (!next || c->deadline_ns < next))
			next = c->deadline_ns;
	}
	if (s->refused_suppressed) {
		uint64_t roll = s->refused_window_start + CONTROL_REFUSED_WINDOW_NS;
		if (!next || roll < next)
			next = roll;
	}
	if (!next)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}
