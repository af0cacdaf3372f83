/*
 * The operator's console of a running VM (`cordon console VM`), through
 * the supervisor.
 *
 * Each VM with `serial log` gets, besides its console log, a
 * SOCK_SEQPACKET socketpair: its monitor copies the serial port's output
 * to one end and types what arrives there into the serial port
 * (vm/opcon.c); the supervisor keeps the other end, console_fd.  A
 * `console` request on the control socket turns its connection into a
 * session: from then on the supervisor copies bytes between the
 * connection and console_fd, both ways, never looking at them and never
 * waiting on either side:
 *
 *   operator -> guest   at most OPCON_IN bytes per message to the monitor;
 *                       while those wait, the operator's socket is not read
 *   guest -> operator   buffered up to OUT_MAX bytes; while the operator
 *                       does not take them, console_fd is not read, the
 *                       monitor's copy finds no room and is dropped (the
 *                       console log still gets everything)
 *
 * One operator per VM: a second attach is refused.  Attach, refusal and
 * detach are audited with the caller's uid and pid.  Between sessions
 * console_fd is not read, so the socket fills and the monitor's copies
 * fail at once; on attach what is left in it is thrown away, so an
 * operator sees the guest from now on, not a backlog.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "host/host.h"
#include "super/control_proto.h"
#include "super/send_pending.h"

#define OPCON_IN 256         /* bytes per message to the monitor (vm/opcon.c's buffer) */
#define OUT_MAX (64 * 1024)  /* guest output held for a slow operator */
#define PACKET_MAX 8192      /* the largest message a monitor sends (one outsink flush) */

struct console_sess {
	struct vmrec *v;
	uint8_t in[OPCON_IN];      /* from the operator, not yet sent to the monitor */
	size_t inlen;
	uint8_t out[OUT_MAX];      /* from the monitor, not yet sent to the operator */
	size_t outlen, outoff;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int console_grant(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	int sv[2];
	(void)s;
	g->console_fd = -1;
	if (g->serial_fd < 0)
		return 0; /* serial none: nothing to attach to */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		super_err(err, "the operator console: socketpair: %s", strerror(errno));
		return -1;
	}
	close_fd(&v->console_fd);
	v->console_fd = sv[0]; /* used with MSG_DONTWAIT only */
	g->console_fd = sv[1];
	return 0;
}

/* --- moving bytes ---------------------------------------------------------------- */

/* What each side may do now, from what the buffers hold. */
static void set_events(struct control_conn *c, struct console_sess *cs)
{
	c->session_events = (short)((cs->inlen == 0 ? POLLIN : 0) |
				    (cs->outlen > cs->outoff ? POLLOUT : 0));
}

static void to_monitor(struct console_sess *cs)
{
	struct vmrec *v = cs->v;
	if (!cs->inlen || v->console_fd < 0)
		return;
	ssize_t n = send(v->console_fd, cs->in, cs->inlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		cs->inlen = 0; /* sent, or the monitor is gone: the keys are lost with it */
}

/* Guest output into cs->out while it has room for a whole message. */
static void from_monitor(struct console_sess *cs)
{
	struct vmrec *v = cs->v;
	if (cs->outoff == cs->outlen)
		cs->outoff = cs->outlen = 0;
	while (v->console_fd >= 0 && OUT_MAX - cs->outlen >= PACKET_MAX) {
		ssize_t n = recv(v->console_fd, cs->out + cs->outlen, PACKET_MAX, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nothing waiting (the monitor's end is watched by reaping) */
		cs->outlen += (size_t)n;
	}
}

static void to_operator(struct super *s, struct control_conn *c, struct console_sess *cs)
{
	if (send_pending(c->fd, cs->out, cs->outlen, &cs->outoff) == SEND_FAILED)
		control_conn_close(s, c);
}

/* The operator's side of the session is ready. */
static void operator_ready(struct super *s, struct control_conn *c, short revents)
{
	struct console_sess *cs = c->session_ctx;
	if (revents & POLLOUT) {
		to_operator(s, c, cs);
		if (c->state == CONN_FREE)
			return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = cs->inlen ? -1 : recv(c->fd, cs->in, sizeof(cs->in), MSG_DONTWAIT);
		bool gone = n == 0 || (n < 0 && !cs->inlen && errno != EAGAIN && errno != EWOULDBLOCK &&
					errno != EINTR) || (cs->inlen && (revents & (POLLHUP | POLLERR)));
		if (gone) {
			control_conn_close(s, c); /* the operator detached */
			return;
		}
		if (n > 0)
			cs->inlen = (size_t)n;
		to_monitor(cs);
	}
	from_monitor(cs);
	set_events(c, cs);
}

/* "operator uid U pid P": who attached, for the audit log and messages. */
static void operator_name(const struct control_conn *c, char *out, size_t len)
{
	snprintf(out, len, "operator uid %u pid %d", (unsigned)c->uid, (int)c->pid);
}

static void audit_console(struct super *s, const struct control_conn *c, const struct vmrec *v,
			  const char *mode, const char *decision, const char *reason)
{
	char object[SYSDEF_NAME_MAX + 16], who[80];
	snprintf(object, sizeof(object), "console:%s", v->def->name);
	operator_name(c, who, sizeof(who));
	super_audit(s, who, "", object, v->label, mode, decision, reason);
}

static void session_end(struct super *s, struct control_conn *c)
{
	struct console_sess *cs = c->session_ctx;
	struct vmrec *v = cs->v;
	const char *why = v->state != VMS_RUNNING ? "the vm ended"
			: s->shutting_down ? "the supervisor is stopping" : "the operator detached";
	char who[80];
	operator_name(c, who, sizeof(who));
	audit_console(s, c, v, "detach", "allow", why);
	super_say("vm %s: operator console detached (%s, %s)", v->def->name, who, why);
	v->operator = NULL;
	free(cs);
	c->session_ctx = NULL;
}

static const struct control_session console_session = { operator_ready, session_end };

/* --- attaching ------------------------------------------------------------------- */

/* What sat in the socket between sessions is not for this operator. */
static void discard_backlog(int fd)
{
	char buf[PACKET_MAX];
	for (int i = 0; i < 1024 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

long console_attach(struct super *s, struct control_conn *c, struct vmrec *v, char *out,
		    char *err)
{
	if (v->def->serial != SYSDEF_SERIAL_LOG) {
		super_err(err, "vm '%s' has no serial console (serial none)", v->def->name);
		return -1;
	}
	if (v->state != VMS_RUNNING || v->console_fd < 0) {
		super_err(err, "vm '%s' is not running", v->def->name);
		return -1;
	}
	if (v->operator) {
		char who[80], why[128];
		operator_name(v->operator, who, sizeof(who));
		snprintf(why, sizeof(why), "refused: %s is attached", who);
		audit_console(s, c, v, "attach", "deny", why);
		super_err(err, "vm '%s' already has an operator attached (%s)", v->def->name, who);
		return -1;
	}
	struct console_sess *cs = calloc(1, sizeof(*cs));
	json_t *fields = json_pack("{s:s, s:s}", "vm", v->def->name, "label", v->label);
	long n = fields ? control_reply_ok(out, CONTROL_REPLY_MAX, fields) : -1;
	if (!cs || n < 0) {
		free(cs);
		super_err(err, "out of memory");
		return -1;
	}
	cs->v = v;
	discard_backlog(v->console_fd);
	v->operator = c;
	c->session = &console_session;
	c->session_ctx = cs;
	set_events(c, cs);
	char who[80];
	operator_name(c, who, sizeof(who));
	audit_console(s, c, v, "attach", "allow", "cordon console");
	super_say("vm %s: operator console attached (%s)", v->def->name, who);
	return n;
}

/* --- the monitor's side, from the event loop ---------------------------------------- */

unsigned console_poll_fill(struct super *s, struct pollfd *p, struct vmrec **owner)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nvms; i++) {
		struct vmrec *v = &s->vms[i];
		if (!v->operator || v->console_fd < 0)
			continue;
		struct console_sess *cs = v->operator->session_ctx;
		short ev = (short)((OUT_MAX - cs->outlen >= PACKET_MAX ? POLLIN : 0) |
				   (cs->inlen ? POLLOUT : 0));
		p[n] = (struct pollfd){ .fd = ev ? v->console_fd : -1, .events = ev };
		owner[n++] = v;
	}
	return n;
}

void console_poll_ready(struct super *s, const struct pollfd *p, struct vmrec *const *owner,
			unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct vmrec *v = owner[i];
		if (!p[i].revents || !v->operator)
			continue;
		struct control_conn *c = v->operator;
		struct console_sess *cs = c->session_ctx;
		to_monitor(cs);
		from_monitor(cs);
		if (c->state == CONN_SESSION) /* not before the reply is out */
			to_operator(s, c, cs);
		if (c->state != CONN_FREE)
			set_events(c, cs);
	}
}

void console_vm_ended(struct super *s, struct vmrec *v)
{
	if (v->operator) {
		struct control_conn *c = v->operator;
		struct console_sess *cs = c->session_ctx;
		from_monitor(cs); /* its last words */
		if (c->state == CONN_SESSION)
			to_operator(s, c, cs);
		if (v->operator)
			control_conn_close(s, v->operator);
	}
	close_fd(&v->console_fd);
}
