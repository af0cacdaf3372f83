/*
 * The supervisor's control socket, DIR/control: a unix stream socket,
 * mode 0600 inside the 0700 state directory, and a peer-credential check
 * on top (only the supervisor's own user, or root, is served).
 *
 * One request per connection: a JSON object on one line, answered by one
 * JSON object on one line, then the supervisor hangs up (unless the
 * command opens a session).  The messages are control_proto.h's; the
 * connections are control_conn.c's, served without blocking inside the
 * event loop; the commands are the handlers[] table below.
 *
 *   ps        the VMs, their labels, states, monitor pids and outcomes
 *   stop VM   SIGPWR to its monitor, which presses the guest's power
 *             button; SIGKILL after the request's timeout
 *   down      stop every VM, then exit
 *   sanitize  zero-fill a media image and reset its label
 *   transfer-list, -show, -approve, -deny   the operator's review of
 *             transfers (super_review.c)
 *   console   attach to a VM's serial console (a session: super_console.c)
 *
 * stop, down and sanitize are audited with the requesting uid as the
 * subject.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "super/control_proto.h"

static int socket_path(const char *dir, struct sockaddr_un *sa, char *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir, SUPER_CONTROL_FILE) >=
	    sizeof(sa->sun_path)) {
		super_err(err, "--state-dir %s: path too long for a unix socket "
			 "(at most %zu bytes)", dir, sizeof(sa->sun_path) - 1 - strlen(SUPER_CONTROL_FILE) - 1);
		return -1;
	}
	return 0;
}

int control_listen(struct super *s, char *err)
{
	struct sockaddr_un sa;
	if (socket_path(s->state_dir, &sa, err) < 0)
		return -1;
	/* The audit log's lock already proved no other supervisor uses DIR,
	 * so a socket left here is stale. */
	unlink(sa.sun_path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(077);
	int rc = s->listen_fd < 0 ? -1 : bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(s->listen_fd, 8) < 0) {
		super_err(err, "control socket %s: %s", sa.sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

void control_close(struct super *s)
{
	struct sockaddr_un sa;
	char err[SUPER_ERRLEN];
	control_conns_close(s);
	if (s->listen_fd < 0)
		return;
	close(s->listen_fd);
	s->listen_fd = -1;
	if (socket_path(s->state_dir, &sa, err) == 0)
		unlink(sa.sun_path);
}

/* --- the commands ------------------------------------------------------------------ */

/*
 * A handler answers one decoded request: it fills out (CONTROL_REPLY_MAX
 * bytes) with the reply line and returns its length.  reply_error and
 * reply_ok do the encoding.
 */
typedef size_t (*control_handler)(struct super *s, struct control_conn *c,
				  const struct control_request *req, char *out);

static size_t reply_error(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t reply_error(char *out, const char *fmt, ...)
{
	char msg[CONTROL_ERROR_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return control_reply_error(out, msg);
}

static size_t reply_ok(char *out, json_t *fields)
{
	long n = control_reply_ok(out, CONTROL_REPLY_MAX, fields);
	return n < 0 ? reply_error(out, "the reply is too large or cannot be encoded") : (size_t)n;
}

static size_t do_ps(struct super *s, struct control_conn *c, const struct control_request *req,
		    char *out)
{
	static struct control_ps ps; /* large: off the stack */
	(void)c, (void)req;
	memset(&ps, 0, sizeof(ps));
	ps.supervisor = (long)getpid();
	ps.nvms = s->nvms;
	for (unsigned i = 0; i < s->nvms; i++) {
		const struct vmrec *v = &s->vms[i];
		struct control_ps_vm *p = &ps.vms[i];
		const char *state = vm_state_name(v->state);
		if (v->state == VMS_RUNNING && v->stop_requested)
			state = "stopping";
		snprintf(p->name, sizeof(p->name), "%s", v->def->name);
		snprintf(p->label, sizeof(p->label), "%s", v->label);
		snprintf(p->state, sizeof(p->state), "%s", state);
		snprintf(p->outcome, sizeof(p->outcome), "%s", v->outcome);
		p->pid = v->state == VMS_RUNNING ? (long)v->pid : 0;
	}
	json_t *fields = control_ps_fields(&ps);
	return fields ? reply_ok(out, fields) : reply_error(out, "out of memory");
}

static struct vmrec *vm_named(struct super *s, const char *name)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (strcmp(s->vms[i].def->name, name) == 0)
			return &s->vms[i];
	return NULL;
}

static size_t do_stop(struct super *s, struct control_conn *c, const struct control_request *req,
		      char *out)
{
	const char *who = c->who;
	const char *name = req->args[0];
	struct vmrec *v = vm_named(s, name);
	if (!v)
		return reply_error(out, "no vm named '%s'", name);
	if (v->state != VMS_RUNNING)
		return reply_error(out, "vm '%s' is not running", name);
	char *end;
	long grace = strtol(req->args[1], &end, 10);
	if (!req->args[1][0] || *end || grace < 0 || grace > STOP_TIMEOUT_MAX)
		return reply_error(out, "timeout '%s' is not 0..%d seconds", req->args[1], STOP_TIMEOUT_MAX);
	super_audit(s, who, "", name, v->label, "stop", "allow", "cordon stop");
	super_say("vm %s: stop requested by %s (power button, %ld s to shut down)", name, who, grace);
	stop_monitor_after(s, v, (uint64_t)grace * 1000000000ull);
	return reply_ok(out, NULL);
}

static size_t do_down(struct super *s, struct control_conn *c, const struct control_request *req,
		      char *out)
{
	const char *who = c->who;
	(void)req;
	super_audit(s, who, "", "system", "", "down", "allow", "cordon down");
	super_begin_shutdown(s, "cordon down");
	return reply_ok(out, NULL);
}

static size_t do_sanitize(struct super *s, struct control_conn *c,
			  const struct control_request *req, char *out)
{
	const char *who = c->who;
	const char *name = req->args[0];
	char err[SUPER_ERRLEN];
	int rc = super_sanitize_media(s->sys, s->audit, who, name, err);
	if (rc == SUPER_SANITIZE_AUDIT_FAILED)
		super_audit_failed(s, err);
	if (rc < 0)
		return reply_error(out, "%s", err);
	super_say("media %s: sanitized by %s", name, who);
	return reply_ok(out, NULL);
}

static size_t do_console(struct super *s, struct control_conn *c,
			 const struct control_request *req, char *out)
{
	char err[SUPER_ERRLEN];
	struct vmrec *v = vm_named(s, req->args[0]);
	if (!v)
		return reply_error(out, "no vm named '%s'", req->args[0]);
	long n = console_attach(s, c, v, out, err);
	return n < 0 ? reply_error(out, "%s", err) : (size_t)n;
}

/* Every command the supervisor serves; the wire format of each is in
 * control_proto.c's table. */
static const control_handler handlers[CONTROL_NCMDS] = {
	[CONTROL_PS] = do_ps,
	[CONTROL_STOP] = do_stop,
	[CONTROL_DOWN] = do_down,
	[CONTROL_SANITIZE] = do_sanitize,
	[CONTROL_TRANSFER_LIST] = review_list,
	[CONTROL_TRANSFER_SHOW] = review_show,
	[CONTROL_TRANSFER_APPROVE] = review_approve,
	[CONTROL_TRANSFER_DENY] = review_deny,
	[CONTROL_CONSOLE] = do_console,
};

size_t control_dispatch(struct super *s, struct control_conn *c, const char *line, size_t len,
			char *out)
{
	struct control_request req;
	char err[CONTROL_ERRLEN];
	if (control_request_decode(line, len, &req, err) < 0)
		return reply_error(out, "%s", err);
	if (!handlers[req.cmd])
		return reply_error(out, "command '%s' is not served", control_cmd_spec(req.cmd)->name);
	return handlers[req.cmd](s, c, &req, out);
}
