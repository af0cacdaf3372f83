/*
 * The control-socket protocol (see control_proto.h).  The command table
 * below is the schema both ends use: the client builds requests from it,
 * the supervisor checks requests against it.
 */
#include "super/control_proto.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xfer/stream.h" /* xfer_utf8_decode */

static const struct control_cmd_spec control_cmds[CONTROL_NCMDS] = {
	[CONTROL_PS] = { "ps", { NULL }, false },
	[CONTROL_STOP] = { "stop", { "vm", "timeout", NULL }, false },
	[CONTROL_DOWN] = { "down", { NULL }, false },
	[CONTROL_SANITIZE] = { "sanitize", { "media", NULL }, false },
	[CONTROL_TRANSFER_LIST] = { "transfer-list", { NULL }, false },
	[CONTROL_TRANSFER_SHOW] = { "transfer-show", { "id", NULL }, false },
	[CONTROL_TRANSFER_APPROVE] = { "transfer-approve", { "id", NULL }, false },
	[CONTROL_TRANSFER_DENY] = { "transfer-deny", { "id", NULL }, false },
	[CONTROL_CONSOLE] = { "console", { "vm", NULL }, true },
};

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, CONTROL_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

const struct control_cmd_spec *control_cmd_spec(enum control_cmd cmd)
{
	return (unsigned)cmd < CONTROL_NCMDS ? &control_cmds[cmd] : NULL;
}

const char *control_cmd_list(void)
{
	static char list[256];
	if (!list[0]) {
		size_t o = 0;
		for (unsigned i = 0; i < CONTROL_NCMDS && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
					      control_cmds[i].name);
	}
	return list;
}

static unsigned nargs(const struct control_cmd_spec *spec)
{
	unsigned n = 0;
	while (n < CONTROL_MAX_ARGS && spec->args[n])
		n++;
	return n;
}

/* --- requests -------------------------------------------------------------------- */

long control_request_encode(enum control_cmd cmd, const char *const *args, char *buf,
			    size_t cap, char *err)
{
	const struct control_cmd_spec *spec = control_cmd_spec(cmd);
	if (!spec)
		return fail(err, "unknown command %d", (int)cmd);
	json_t *o = json_object();
	int bad = !o || json_object_set_new(o, "cmd", json_string(spec->name)) < 0;
	for (unsigned i = 0; !bad && i < nargs(spec); i++) {
		if (!args || !args[i])
			bad = fail(err, "%s: missing %s", spec->name, spec->args[i]);
		else if (strlen(args[i]) >= CONTROL_ARG_MAX)
			bad = fail(err, "%s: %s is longer than %d bytes", spec->name,
				   spec->args[i], CONTROL_ARG_MAX - 1);
		else if (json_object_set_new(o, spec->args[i], json_string(args[i])) < 0)
			bad = fail(err, "%s: %s is not valid UTF-8", spec->name, spec->args[i]);
	}
	size_t len = bad ? 0 : json_dumpb(o, buf, cap, JSON_COMPACT);
	json_decref(o);
	if (bad)
		return -1;
	if (len == 0 || len + 2 > cap || len + 1 > CONTROL_REQUEST_MAX)
		return fail(err, "%s: request too long", spec->name);
	buf[len++] = '\n';
	buf[len] = '\0';
	return (long)len;
}

static int find_cmd(const char *name)
{
	for (unsigned i = 0; i < CONTROL_NCMDS; i++)
		if (strcmp(control_cmds[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool takes_arg(const struct control_cmd_spec *spec, const char *key)
{
	for (unsigned i = 0; i < nargs(spec); i++)
		if (strcmp(spec->args[i], key) == 0)
			return true;
	return false;
}

static int decode_args(json_t *o, const struct control_cmd_spec *spec,
		       struct control_request *req, char *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "cmd") != 0 && !takes_arg(spec, key))
			return fail(err, "%s: unknown argument \"%.64s\"", spec->name, key);
	}
	for (unsigned i = 0; i < nargs(spec); i++) {
		v = json_object_get(o, spec->args[i]);
		if (!json_is_string(v))
			return fail(err, "%s: missing \"%s\" (a string)", spec->name, spec->args[i]);
		if (json_string_length(v) >= CONTROL_ARG_MAX)
			return fail(err, "%s: \"%s\" is longer than %d bytes", spec->name,
				    spec->args[i], CONTROL_ARG_MAX - 1);
		memcpy(req->args[i], json_string_value(v), json_string_length(v) + 1);
	}
	return 0;
}

int control_request_decode(const char *line, size_t len, struct control_request *req,
			   char *err)
{
	json_error_t jerr;
	memset(req, 0, sizeof(*req));
	if (len >= CONTROL_REQUEST_MAX)
		return fail(err, "request longer than %d bytes", CONTROL_REQUEST_MAX - 1);
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *name = json_string_value(json_object_get(o, "cmd"));
	int cmd = name ? find_cmd(name) : -1, rc = -1;
	if (!json_is_object(o) || !name)
		fail(err, "a request is a JSON object with a \"cmd\" string");
	else if (cmd < 0)
		fail(err, "unknown command '%.64s' (%s)", name, control_cmd_list());
	else if ((rc = decode_args(o, &control_cmds[cmd], req, err)) == 0)
		req->cmd = (enum control_cmd)cmd;
	json_decref(o);
	return rc;
}

/* --- UTF-8 and the error reply ----------------------------------------------------- */

/* The length of the valid UTF-8 character at s (at most avail bytes), or 0
 * when the bytes there are not one: the transfer format's decoder, the one
 * every check of text in cordon uses. */
static size_t utf8_char(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	return xfer_utf8_decode(s, avail, &cp);
}

size_t control_utf8_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), at = 0;
	while (at < len) {
		size_t n = utf8_char(u + at, len - at);
		if (n == 0)
			n = 1; /* an invalid byte stands alone */
		if (at + n > max)
			break;
		at += n;
	}
	return at;
}

size_t control_reply_error(char *buf, const char *msg)
{
	static const char head[] = "{\"ok\":false,\"error\":\"";
	const unsigned char *u = (const unsigned char *)msg;
	size_t end = control_utf8_cut(msg, CONTROL_ERROR_MAX), o = sizeof(head) - 1;
	memcpy(buf, head, o);
	for (size_t at = 0; at < end;) {
		size_t n = utf8_char(u + at, end - at);
		unsigned c = u[at];
		if (n == 0) {
			buf[o++] = '?';
			n = 1;
		} else if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, 7, "\\u%04x", c);
		} else {
			memcpy(buf + o, u + at, n);
			o += n;
		}
		at += n;
	}
	memcpy(buf + o, "\"}\n", 4);
	return o + 3;
}

long control_reply_ok(char *buf, size_t cap, json_t *fields)
{
	json_t *o = json_object();
	int bad = !o || json_object_set_new(o, "ok", json_true()) < 0 ||
		  (fields && json_object_update(o, fields) < 0);
	json_decref(fields);
	size_t len = bad ? 0 : json_dumpb(o, buf, cap, JSON_COMPACT);
	json_decref(o);
	if (len == 0 || len + 2 > cap || len + 1 > CONTROL_REPLY_MAX)
		return -1;
	buf[len++] = '\n';
	buf[len] = '\0';
	return (long)len;
}

/* Copies s into dst (cap bytes) with control characters made '?'. */
static void printable_copy(char *dst, size_t cap, const char *s)
{
	size_t n = control_utf8_cut(s, cap - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
}

int control_reply_decode(const char *line, size_t len, json_t **reply, char *err)
{
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ok = json_object_get(o, "ok");
	*reply = NULL;
	if (!json_is_object(o) || !json_is_boolean(ok)) {
		json_decref(o);
		return fail(err, "malformed reply from the supervisor");
	}
	if (json_is_true(ok)) {
		*reply = o;
		return 0;
	}
	const char *msg = json_string_value(json_object_get(o, "error"));
	printable_copy(err, CONTROL_ERRLEN, msg ? msg : "refused");
	json_decref(o);
	return 1;
}

/* --- ps ------------------------------------------------------------------------------ */

json_t *control_ps_fields(const struct control_ps *ps)
{
	json_t *vms = json_array();
	for (unsigned i = 0; vms && i < ps->nvms; i++) {
		const struct control_ps_vm *v = &ps->vms[i];
		/* An outcome quotes a refusal, which may have been cut to a
		 * length in the middle of a character: one bad byte must not
		 * cost the whole reply. */
		char outcome[CONTROL_OUTCOME_MAX];
		snprintf(outcome, sizeof(outcome), "%s", v->outcome);
		xfer_utf8_repair(outcome, strlen(outcome));
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", v->name, "label",
				      v->label, "state", v->state, "pid", (json_int_t)v->pid,
				      "outcome", outcome);
		if (!o || json_array_append_new(vms, o) < 0) {
			json_decref(vms);
			return NULL;
		}
	}
	return vms ? json_pack("{s:I, s:o}", "supervisor", (json_int_t)ps->supervisor, "vms", vms)
		   : NULL;
}

static int copy_string(json_t *o, const char *key, char *dst, size_t cap, unsigned i, char *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return fail(err, "malformed ps reply: vm %u: bad \"%s\"", i, key);
	printable_copy(dst, cap, json_string_value(v));
	return 0;
}

int control_ps_decode(json_t *reply, struct control_ps *ps, char *err)
{
	json_t *vms = json_object_get(reply, "vms"), *v;
	json_t *sup = json_object_get(reply, "supervisor");
	size_t i;
	memset(ps, 0, sizeof(*ps));
	if (!json_is_integer(sup) || !json_is_array(vms) || json_array_size(vms) > SYSDEF_MAX_VMS)
		return fail(err, "malformed ps reply from the supervisor");
	ps->supervisor = (long)json_integer_value(sup);
	json_array_foreach(vms, i, v) {
		struct control_ps_vm *p = &ps->vms[i];
		json_t *pid = json_object_get(v, "pid");
		if (copy_string(v, "name", p->name, sizeof(p->name), (unsigned)i, err) < 0 ||
		    copy_string(v, "label", p->label, sizeof(p->label), (unsigned)i, err) < 0 ||
		    copy_string(v, "state", p->state, sizeof(p->state), (unsigned)i, err) < 0 ||
		    copy_string(v, "outcome", p->outcome, sizeof(p->outcome), (unsigned)i, err) < 0)
			return -1;
		if (!json_is_integer(pid) || json_integer_value(pid) < 0 ||
		    json_integer_value(pid) > INT32_MAX)
			return fail(err, "malformed ps reply: vm %zu: bad \"pid\"", i);
		p->pid = (long)json_integer_value(pid);
		ps->nvms = (unsigned)i + 1;
	}
	return 0;
}
