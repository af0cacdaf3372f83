/*
 * The control-socket protocol: the one definition of what `cordon ps`,
 * `stop`, `down` and `media sanitize` (super_client.c, cli/up.c) and the
 * supervisor (super_control.c) say to each other over DIR/control.  Both
 * ends call only the functions below.
 *
 * A request is one JSON object on one line, at most CONTROL_REQUEST_MAX
 * bytes with its newline: "cmd" names the command, and each of the
 * command's arguments is a string key (control_cmds[] in control_proto.c
 * lists them).  A key the command does not take is an error, so a client
 * and a supervisor of different versions never misread each other.
 *
 *   {"cmd":"ps"}                      -> {"ok":true,"supervisor":PID,"vms":[
 *                                          {"name","label","state","pid","outcome"}...]}
 *   {"cmd":"stop","vm":NAME,"timeout":SECONDS} -> {"ok":true}
 *   {"cmd":"down"}                    -> {"ok":true}
 *   {"cmd":"sanitize","media":NAME}   -> {"ok":true}
 *   {"cmd":"transfer-list"}           -> {"ok":true,"transfers":[...]}  (control_transfer.h)
 *   {"cmd":"transfer-show","id":ID}   -> {"ok":true,"transfer":{...}}
 *   {"cmd":"transfer-approve","id":ID}, {"cmd":"transfer-deny","id":ID} -> {"ok":true}
 *   {"cmd":"console","vm":NAME}       -> {"ok":true,"vm":NAME,"label":LABEL}, then the
 *                                        connection carries the VM's serial console
 *                                        both ways, raw bytes (super_console.c)
 *   anything else                     -> {"ok":false,"error":"..."}
 *
 * A reply is one JSON object on one line, at most CONTROL_REPLY_MAX bytes
 * with its newline; every reply has "ok", and a refusal has "error".  An
 * error reply can always be produced: its message is cut to
 * CONTROL_ERROR_MAX bytes on a UTF-8 character boundary, invalid bytes
 * become '?', and it is escaped here without an allocation.
 *
 * To add a command: a value in enum control_cmd and its line in
 * control_cmds[] here, then its handler in super_control.c's table.  A
 * command that keeps its connection open afterwards (a console session)
 * says so in its spec (session); what flows after the reply is that
 * command's own business.
 */
#ifndef CORDON_SUPER_CONTROL_PROTO_H
#define CORDON_SUPER_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sec/label.h"
#include "sec/sysdef.h"

#define CONTROL_ERRLEN 512
#define CONTROL_REQUEST_MAX 4096   /* bytes in one request line, its newline included */
#define CONTROL_REPLY_MAX 65536    /* bytes in one reply line, its newline included */
#define CONTROL_ERROR_MAX 400      /* bytes of the message in an error reply */
#define CONTROL_ARG_MAX 256        /* bytes of one argument, with the NUL */
#define CONTROL_MAX_ARGS 2
#define CONTROL_OUTCOME_MAX 160

enum control_cmd {
	CONTROL_PS,
	CONTROL_STOP,
	CONTROL_DOWN,
	CONTROL_SANITIZE,
	CONTROL_TRANSFER_LIST,    /* control_transfer.h has these replies */
	CONTROL_TRANSFER_SHOW,
	CONTROL_TRANSFER_APPROVE,
	CONTROL_TRANSFER_DENY,
	CONTROL_CONSOLE,
	CONTROL_NCMDS
};

struct control_cmd_spec {
	const char *name;
	const char *args[CONTROL_MAX_ARGS + 1]; /* its string arguments; NULL ends */
	bool session; /* the connection stays open after the reply */
};

/* The spec of cmd (never NULL for cmd < CONTROL_NCMDS). */
const struct control_cmd_spec *control_cmd_spec(enum control_cmd cmd);
/* "ps, stop, down, sanitize": for messages. */
const char *control_cmd_list(void);

struct control_request {
	enum control_cmd cmd;
	char args[CONTROL_MAX_ARGS][CONTROL_ARG_MAX]; /* in the spec's order */
};

/*
 * Client: the request line (with its newline, NUL-terminated) into buf,
 * cap bytes.  Its length, or -1 with err (CONTROL_ERRLEN bytes) when an
 * argument is missing, too long or not UTF-8.  args: the spec's
 * arguments in order.
 */
long control_request_encode(enum control_cmd cmd, const char *const *args, char *buf,
			    size_t cap, char *err);
/*
 * Supervisor: parses one request line (len bytes, without its newline).
 * 0, or -1 with err holding the message for the error reply.
 */
int control_request_decode(const char *line, size_t len, struct control_request *req,
			   char *err);

/* The longest error reply line, with its newline and a NUL. */
#define CONTROL_ERROR_REPLY_MAX (CONTROL_ERROR_MAX * 6 + 32)
/* The largest length <= max at which s (NUL-terminated) can be cut
 * without splitting a UTF-8 character. */
size_t control_utf8_cut(const char *s, size_t max);
/*
 * Supervisor: {"ok":false,"error":MSG} and a newline into buf (at least
 * CONTROL_ERROR_REPLY_MAX bytes); cannot fail.  Its length.
 */
size_t control_reply_error(char *buf, const char *msg);
/*
 * Supervisor: {"ok":true} with the members of fields (an object or NULL;
 * consumed) and a newline into buf (cap bytes).  Its length, or -1 when
 * it cannot be encoded or would not fit (send an error reply then).
 */
long control_reply_ok(char *buf, size_t cap, json_t *fields);

/* Client: parses a reply line (without its newline).  0 with *reply (the
 * object; json_decref it) when "ok" is true; 1 with err holding the
 * supervisor's message when it refused; -1 with err when the reply is
 * malformed.  Control characters in the message are replaced. */
int control_reply_decode(const char *line, size_t len, json_t **reply, char *err);

/* --- ps ------------------------------------------------------------------------ */

struct control_ps_vm {
	char name[SYSDEF_NAME_MAX];
	char label[LABEL_TEXT_MAX];
	char state[16];   /* refused, running, stopping, exited */
	long pid;         /* its monitor's, while running; else 0 */
	char outcome[CONTROL_OUTCOME_MAX];
};

struct control_ps {
	long supervisor;  /* the supervisor's pid */
	unsigned nvms;
	struct control_ps_vm vms[SYSDEF_MAX_VMS];
};

/* Supervisor: the ps reply's fields, for control_reply_ok.  NULL when
 * out of memory. */
json_t *control_ps_fields(const struct control_ps *ps);
/* Client: a ps reply (from control_reply_decode) into ps; 0, or -1 with err. */
int control_ps_decode(json_t *reply, struct control_ps *ps, char *err);

#endif
