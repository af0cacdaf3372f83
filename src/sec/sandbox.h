/*
 * The monitor sandbox: what a cordon process gives up, for the rest of its
 * life, once every host resource it needs is open and before the first
 * guest instruction runs.  From then on the guest is assumed hostile, and
 * a guest that takes over the monitor should find a process that cannot
 * open files, create sockets, exec, fork, or regain privileges.  The
 * syscall allowlist and the reason for each entry are in docs/sandbox.md.
 */
#ifndef CORDON_SEC_SANDBOX_H
#define CORDON_SEC_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_NOBODY 65534u

/* Which allowlist: a monitor's (docs/sandbox.md); the narrower one of a
 * process that only moves frames between descriptors it was given (a
 * net's switch, a diode's relay); or a transfer guard's (sandbox_guard.c;
 * docs/sandbox.md, "The guard's allowlist"). */
enum sandbox_profile { SANDBOX_MONITOR, SANDBOX_CHANNEL, SANDBOX_GUARD };

struct sandbox_opts {
	enum sandbox_profile profile;
	uid_t uid;              /* switched to when running as root */
	gid_t gid;
	unsigned spare_fds;     /* descriptors still to be made (accept4 of a net peer) */
	uint64_t max_file_size; /* RLIMIT_FSIZE in bytes; 0 leaves it alone */
	bool skip_root_steps;   /* no chroot / uid switch even as root (tests) */
	bool die_with_parent;   /* SIGKILL when the parent (the supervisor) dies */
};

/* Human-readable lists ("a, b, c"): what was applied, and what could not
 * be and why.  Both are always NUL-terminated. */
struct sandbox_report {
	char applied[512];
	char skipped[512];
};

/* uid/gid nobody, two spare descriptors, no file size limit. */
void sandbox_default_opts(struct sandbox_opts *opts);

/*
 * Enters the sandbox: rlimits, new mount/IPC/network/PID namespaces, an
 * empty root and an unprivileged uid (as root), no capabilities,
 * no_new_privs, then a seccomp allowlist that kills the process on any
 * other syscall.  Irreversible.  Returns 0, or -1 with err (HOST_ERRLEN
 * bytes) when a required step failed: no_new_privs, the seccomp filter,
 * or a uid switch that did not stick.  Optional steps that fail are listed
 * in report->skipped.
 */
int sandbox_enter(const struct sandbox_opts *opts, struct sandbox_report *report, char *err);


#endif
