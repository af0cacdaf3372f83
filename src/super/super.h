/*
 * The security kernel's processes (docs/security-model.md):
 *
 *   supervisor  `cordon up SYSTEM --state-dir DIR`: trusted.  It owns the
 *               system definition, the reference monitor's decisions, the
 *               audit log and every host file.  It opens what the policy
 *               lets each VM have and starts one monitor per VM.
 *   monitor     `cordon monitor` (started only by the supervisor): one per
 *               VM.  It receives its already-open descriptors over a unix
 *               socket, builds the VM, enters the sandbox (src/sec/sandbox.h)
 *               and runs the guest.  Untrusted once the guest runs.
 *
 * The state directory (mode 0700) holds:
 *   DIR/audit.log             the hash-chained audit log (src/sec/audit.h)
 *   DIR/control               the control socket (mode 0600; JSON lines)
 *   DIR/logs/LABELDIR/        one directory per label (mode 0700) with a
 *                             "label" file naming it and VM.console logs
 *                             (mode 0600): each VM's serial output
 */
#ifndef CORDON_SUPER_SUPER_H
#define CORDON_SUPER_SUPER_H

#include <stddef.h>

#include "sec/audit.h"
#include "super/control_proto.h"
#include "sec/sysdef.h"

#define SUPER_ERRLEN 512
#define SUPER_AUDIT_FILE "audit.log"
#define SUPER_CONTROL_FILE "control"
#define SUPER_LOGS_DIR "logs"

/* Runs the supervisor in the foreground until every VM has ended or a
 * `down` request (or SIGINT/SIGTERM) ends it.  Returns the exit status:
 * 0 when every VM ran and ended cleanly (reset, power-off, or stopped by
 * the operator), 1 otherwise, 2 when the system file is bad (nothing is
 * started then). */
int super_up(const char *system_path, const char *state_dir);
/* DIR is a state directory no one else can enter or swap: a directory of
 * this user, mode 0700, whose chain safe_open_dir accepts.  0, or -1 with
 * err.  (super_up creates it first; offline commands only check it.) */
int super_check_state_dir(const char *dir, char *err);

/*
 * `cordon media sanitize`: zero-fills media image NAME of sys in place,
 * resets its label record to the declared label, and writes one audit
 * record (subject who, mode "sanitize", allow or deny) to log -- before
 * writing anything.  Fails while any VM has the image attached (its
 * lock).  0; -1 with err; SUPER_SANITIZE_AUDIT_FAILED with err when the
 * audit log could not be written (then nothing was written, or the
 * failure is what the last record says).
 */
#define SUPER_SANITIZE_AUDIT_FAILED (-2)
int super_sanitize_media(const struct sysdef *sys, struct audit_log *log, const char *who,
			 const char *name, char *err);

/* Client side of the control socket: sends one request (control_proto.h)
 * and returns its reply: 0 with *reply (json_decref it), 1 when the
 * supervisor refused, -1 when there was no answer; err (SUPER_ERRLEN
 * bytes) says why, e.g. "no supervisor is running on DIR". */
int super_request(const char *state_dir, enum control_cmd cmd, const char *const *args,
		  json_t **reply, char *err);

/* The same for a command that opens a session (console): on 0 the
 * connection stays open in *session_fd (the caller closes it), and what
 * comes after the reply on it is the session's. */
int super_session(const char *state_dir, enum control_cmd cmd, const char *const *args,
		  json_t **reply, int *session_fd, char *err);

/* Reads one line from a control connection into buf (cap bytes): the line
 * without its newline, NUL-terminated.  Its length, or -1 when no complete
 * line came (EOF, a timeout, or a line of cap bytes or more). */
long super_read_line(int fd, char *buf, size_t cap);

#endif
