/*
 * The supervisor's control socket, DIR/control: a unix stream socket,
 * mode 0600 inside the 0700 state directory, and a peer-credential check
 * on top (only the supervisor's own user, or root, is served).
 *
 * One request per connection: a JSON object on one line, answered by one
 * JSON object on one line, then the supervisor hangs up.
 *
 *   {"cmd":"ps"}                 -> {"ok":true,"supervisor":PID,"vms":[
 *                                     {"name","label","state","pid","outcome"}...]}
 *   {"cmd":"stop","vm":NAME}     -> {"ok":true}  (SIGTERM; SIGKILL 3 s later)
 *   {"cmd":"down"}               -> {"ok":true}  (stop every VM, then exit)
 *   {"cmd":"sanitize","media":NAME} -> {"ok":true}  (zero-fill, reset the label)
 *   anything else                -> {"ok":false,"error":"..."}
 *
 * The connection is served synchronously with one-second timeouts: a
 * client that stalls costs the loop at most that, and only the
 * supervisor's user can connect at all.  stop, down and sanitize are
 * audited with the requesting uid as the subject.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>


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
	if (s->listen_fd < 0)
		return;
	close(s->listen_fd);
	s->listen_fd = -1;
	if (socket_path(s->state_dir, &sa, err) == 0)
		unlink(sa.sun_path);
}

/* --- requests ---------------------------------------------------------------------- */

static json_t *error_reply(const char *fmt, const char *arg)
{
	char msg[SUPER_ERRLEN];
	snprintf(msg, sizeof(msg), fmt, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *do_ps(struct super *s)
{
	json_t *vms = json_array();
	for (unsigned i = 0; i < s->nvms; i++) {
		const struct vmrec *v = &s->vms[i];
		const char *state = vm_state_name(v->state);
		if (v->state == VMS_RUNNING && v->stop_requested)
			state = "stopping";
		json_array_append_new(vms, json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", v->def->name,
						     "label", v->label, "state", state, "pid",
						     v->state == VMS_RUNNING ? (int)v->pid : 0,
						     "outcome", v->outcome));
	}
	return json_pack("{s:b, s:i, s:o}", "ok", 1, "supervisor", (int)getpid(), "vms", vms);
}

static struct vmrec *vm_named(struct super *s, const char *name)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (strcmp(s->vms[i].def->name, name) == 0)
			return &s->vms[i];
	return NULL;
}

static json_t *do_stop(struct super *s, const char *who, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "vm"));
	if (!name)
		return error_reply("%s", "stop: missing \"vm\"");
	struct vmrec *v = vm_named(s, name);
	if (!v)
		return error_reply("no vm named '%s'", name);
	if (v->state != VMS_RUNNING)
		return error_reply("vm '%s' is not running", name);
	super_audit(s, who, "", name, v->label, "stop", "allow", "cordon stop");
	super_say("vm %s: stop requested by %s", name, who);
	stop_monitor(s, v);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *do_down(struct super *s, const char *who)
{
	super_audit(s, who, "", "system", "", "down", "allow", "cordon down");
	super_begin_shutdown(s, "cordon down");
	return json_pack("{s:b}", "ok", 1);
}

static json_t *do_sanitize(struct super *s, const char *who, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "media"));
	char err[SUPER_ERRLEN];
	if (!name)
		return error_reply("%s", "sanitize: missing \"media\"");
	if (super_sanitize_media(s->sys, s->audit, who, name, err) < 0)
		return error_reply("%s", err);
	super_say("media %s: sanitized by %s", name, who);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *dispatch(struct super *s, const char *who, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	json_t *reply;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	if (!req || !json_is_object(req) || !cmd)
		reply = error_reply("%s", "a request is a JSON object with a \"cmd\" string");
	else if (strcmp(cmd, "ps") == 0)
		reply = do_ps(s);
	else if (strcmp(cmd, "stop") == 0)
		reply = do_stop(s, who, req);
	else if (strcmp(cmd, "down") == 0)
		reply = do_down(s, who);
	else if (strcmp(cmd, "sanitize") == 0)
		reply = do_sanitize(s, who, req);
	else
		reply = error_reply("unknown command '%s' (ps, stop, down, sanitize)", cmd);
	json_decref(req);
	return reply;
}

/* --- one connection ---------------------------------------------------------------- */

static void send_reply(int fd, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	if (text) {
		size_t len = strlen(text);
		if (write(fd, text, len) == (ssize_t)len)
			(void)!write(fd, "\n", 1);
	}
	free(text);
	json_decref(reply);
}

void control_serve(struct super *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char who[64], line[SUPER_REQUEST_MAX];
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		close(fd);
		return;
	}
	snprintf(who, sizeof(who), "operator uid %u", (unsigned)cred.uid);
	if (cred.uid != geteuid() && cred.uid != 0) {
		super_audit(s, who, "", "control", "", "connect", "deny", "not the supervisor's user");
		send_reply(fd, error_reply("%s", "permission denied"));
	} else if (super_read_line(fd, line, sizeof(line)) >= 0) {
		send_reply(fd, dispatch(s, who, line));
	}
	close(fd);
}
