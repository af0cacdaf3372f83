/*
 * The guard's loop: the supervisor's link and the VM's transfer port,
 * one poll() for both.  See guard.h.
 */
#include "guard/guard.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A monitor taken over by its guest may send garbage without end: report
 * the first few and count the rest. */
#define BAD_MSG_REPORTS 5

void guard_say(const struct guard *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "guard %s: ", g->vm);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void guard_tell(struct guard *g, const struct guard_msg *m)
{
	char err[GUARD_ERRLEN];
	if (g->link_gone)
		return;
	for (;;) {
		int rc = guard_send(g->link_fd, m, -1, err);
		if (rc == 0)
			return;
		if (rc < 0) {
			guard_say(g, "to the supervisor: %s", err);
			g->link_gone = true;
			return;
		}
		struct pollfd p = { .fd = g->link_fd, .events = POLLOUT };
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			g->link_gone = true;
			return;
		}
	}
}

int guard_init(struct guard *g, const char *vm, const struct xfer_limits *lim, int link_fd,
	       int port_fd, char *err)
{
	memset(g, 0, sizeof(*g));
	g->link_fd = link_fd;
	g->port_fd = port_fd;
	g->out.spool_fd = -1;
	snprintf(g->vm, sizeof(g->vm), "%s", vm);
	g->lim = *lim;
	for (unsigned i = 0; i < GUARD_MAX_DELIVERIES; i++)
		g->in.q[i].fd = -1;
	return outbox_init(g, err);
}

void guard_free(struct guard *g)
{
	outbox_free(g);
	inbox_free(g);
	if (g->link_fd >= 0)
		close(g->link_fd);
	if (g->port_fd >= 0)
		close(g->port_fd);
	g->link_fd = g->port_fd = -1;
}

/* --- the supervisor's messages ------------------------------------------------------ */

static void link_messages(struct guard *g)
{
	for (;;) {
		struct guard_msg m;
		int fd;
		bool hung_up;
		char err[GUARD_ERRLEN];
		int rc = guard_recv(g->link_fd, &m, &fd, &hung_up, err);
		if (rc == 0)
			return;
		if (rc < 0) {
			/* The supervisor is trusted: a bad message is a bug, not an attack. */
			if (!hung_up)
				guard_say(g, "from the supervisor: %s", err);
			g->link_gone = true;
			return;
		}
		if (m.type == GUARD_MSG_SPOOL) {
			outbox_spool(g, m.id, fd);
		} else if (m.type == GUARD_MSG_DELIVER) {
			inbox_deliver(g, m.id, m.manifest, fd);
		} else {
			guard_say(g, "unexpected %s message from the supervisor", guard_msg_name(m.type));
			if (fd >= 0)
				close(fd);
		}
	}
}

/* --- the monitor's messages ----------------------------------------------------------- */

static void bad_port_msg(struct guard *g, const char *why)
{
	if (g->bad_port_msgs++ < BAD_MSG_REPORTS)
		guard_say(g, "from the monitor: %s", why);
	else if (g->bad_port_msgs == BAD_MSG_REPORTS + 1)
		guard_say(g, "from the monitor: more bad messages (not shown)");
}

/* recv() says 0 both for an empty datagram and for the end: tell them apart. */
static bool peer_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

static void port_messages(struct guard *g)
{
	for (unsigned i = 0; i < GUARD_PORT_BURST && !g->out.begin_waiting; i++) {
		ssize_t n = recv(g->port_fd, g->buf, sizeof(g->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n < 0 || (n == 0 && peer_hung_up(g->port_fd))) {
			g->port_gone = true;
			outbox_gone(g);
			return;
		}
		struct port_msg m;
		char err[PORT_ERRLEN];
		if ((size_t)n > sizeof(g->buf)) {
			bad_port_msg(g, "an oversized message");
			continue;
		}
		if (port_msg_decode(g->buf, (size_t)n, &m, err) < 0) {
			bad_port_msg(g, err);
			continue;
		}
		if (!port_msg_from_monitor(m.type)) {
			bad_port_msg(g, "a message only the guard sends");
			continue;
		}
		if (m.type <= PORT_OUT_CLOSE)
			outbox_port_msg(g, &m);
		else
			inbox_port_msg(g, &m);
	}
}

bool guard_step(struct guard *g, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = g->link_fd, .events = POLLIN },
		{ .fd = g->port_fd, .events = 0 },
	};
	/* While a transfer waits for its spool, the port is not read: the
	 * guest's writes wait in its own ring (back-pressure, no buffering). */
	if (!g->out.begin_waiting)
		p[1].events |= POLLIN;
	if (g->in.blocked)
		p[1].events |= POLLOUT;
	if (poll(p, 2, timeout_ms) < 0 && errno != EINTR) {
		guard_say(g, "poll: %s", strerror(errno));
		return false;
	}
	if (p[0].revents)
		link_messages(g);
	if (p[1].revents & POLLOUT)
		g->in.blocked = false;
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
		if (g->out.begin_waiting && !(p[1].revents & POLLIN)) {
			g->port_gone = true; /* the monitor went away while we waited */
			outbox_gone(g);
		} else {
			port_messages(g);
		}
	}
	if (!g->port_gone)
		inbox_pump(g);
	return !g->port_gone && !g->link_gone;
}
