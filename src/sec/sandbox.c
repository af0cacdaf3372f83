/*
 * The monitor sandbox (see sandbox.h, and docs/sandbox.md for the
 * allowlist).
 *
 * The steps run from the ones that need privilege to the ones that take it
 * away: rlimits and namespaces, the empty root (needs CAP_SYS_CHROOT), the
 * capability bounding set (needs CAP_SETPCAP), the uid switch (needs
 * CAP_SETUID), then dropping what capabilities are left, no_new_privs and
 * finally the seccomp filter, which forbids every one of the calls above.
 *
 * Each optional step that fails is written down and skipped: a sandbox
 * with fewer layers still beats refusing to run.  Only no_new_privs and
 * seccomp are required -- they are the layers every kernel we support
 * offers to an unprivileged process, and the filter is the one that makes
 * "cannot open files, create sockets or exec" true.
 */
#include "sec/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"
#include "sec/sandbox_internal.h"

#define FD_SCAN_MAX 65536 /* highest descriptor number we look for */
#define EMPTY_ROOT_TEMPLATE "/tmp/cordon-root.XXXXXX"

/* --- the report ------------------------------------------------------------ */

/* Appends one item to a ", "-separated list; a full list is cut short
 * rather than overflowing. */
__attribute__((format(printf, 3, 4)))
static void note(char *list, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(list);
	if (used + 3 >= cap)
		return;
	if (used) {
		memcpy(list + used, ", ", 3);
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(list + used, cap - used, fmt, ap);
	va_end(ap);
}

#define APPLIED(r, ...) note((r)->applied, sizeof((r)->applied), __VA_ARGS__)
#define SKIPPED(r, ...) note((r)->skipped, sizeof((r)->skipped), __VA_ARGS__)

/* --- rlimits --------------------------------------------------------------- */

static int highest_open_fd(void)
{
	struct rlimit rl;
	int limit = FD_SCAN_MAX, highest = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)limit)
		limit = (int)rl.rlim_cur;
	for (int fd = 0; fd < limit; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			highest = fd;
	return highest;
}

/* Lowers both the soft and the hard limit, so it cannot be raised again. */
static void lower_limit(int resource, const char *name, rlim_t value, struct sandbox_report *r)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == 0)
		APPLIED(r, "%s %llu", name, (unsigned long long)value);
	else
		SKIPPED(r, "%s: %s", name, strerror(errno));
}

static void apply_rlimits(const struct sandbox_opts *o, struct sandbox_report *r)
{
	/* New descriptors only for the spares (a network peer's accept4). */
	lower_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", (rlim_t)(highest_open_fd() + 1) + o->spare_fds, r);
	lower_limit(RLIMIT_NPROC, "RLIMIT_NPROC", 0, r);
	lower_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, r);
	if (o->max_file_size)
		lower_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", (rlim_t)o->max_file_size, r);
}

/* --- namespaces and the empty root ------------------------------------------ */

static const struct {
	int flag;
	const char *name;
} namespaces[] = {
	{ CLONE_NEWNS, "mount namespace" },
	{ CLONE_NEWIPC, "IPC namespace" },
	{ CLONE_NEWNET, "network namespace" },
	/* Only children enter it, and the filter forbids children: it is a
	 * second wall, not the first. */
	{ CLONE_NEWPID, "PID namespace (children only)" },
};

/* One at a time, so the report says exactly which the kernel refused. */
static void enter_namespaces(struct sandbox_report *r)
{
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		if (unshare(namespaces[i].flag) == 0)
			APPLIED(r, "%s", namespaces[i].name);
		else
			SKIPPED(r, "%s: %s", namespaces[i].name, strerror(errno));
	}
}

/*
 * chroot into a directory we made and then removed: an unlinked directory
 * is empty and nothing can ever be created in it, so the root stays empty
 * and no stray directory is left behind in /tmp.
 */
static void enter_empty_root(struct sandbox_report *r)
{
	char dir[] = EMPTY_ROOT_TEMPLATE;
	const char *step = "mkdtemp";
	if (!mkdtemp(dir))
		goto fail;
	step = "chdir";
	if (chdir(dir) == 0) {
		step = "rmdir";
		if (rmdir(dir) == 0) {
			step = "chroot";
			/* After chroot(".") the cwd is the new "/" already. */
			if (chroot(".") == 0 && chdir("/") == 0) {
				APPLIED(r, "empty root (chroot)");
				return;
			}
		}
	}
	int e = errno;
	rmdir(dir); /* if it is still there */
	(void)!chdir("/");
	errno = e;
fail:
	SKIPPED(r, "empty root: %s: %s", step, strerror(errno));
}

/* --- identity and capabilities -------------------------------------------------- */

/* Needs CAP_SETPCAP, so it comes before the uid switch. */
static void drop_bounding_set(struct sandbox_report *r)
{
	int kept = 0, first_errno = 0;
	/* PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability. */
	for (int cap = 0, held; (held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; cap++) {
		if (held && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			kept++;
			if (!first_errno)
				first_errno = errno;
		}
	}
	if (kept)
		SKIPPED(r, "capability bounding set (%d kept: %s)", kept, strerror(first_errno));
	else
		APPLIED(r, "capability bounding set emptied");
}

/* 0 when every uid and gid is the asked-for one and root cannot come back. */
static int verify_identity(const struct sandbox_opts *o)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -1;
	if (ru != o->uid || eu != o->uid || su != o->uid ||
	    rg != o->gid || eg != o->gid || sg != o->gid)
		return -1;
	if (o->uid != 0 && (setresuid(0, 0, 0) == 0 || setuid(0) == 0))
		return -1;
	return 0;
}

static int switch_identity(const struct sandbox_opts *o, struct sandbox_report *r, char *err)
{
	if (setgroups(0, NULL) < 0 || setresgid(o->gid, o->gid, o->gid) < 0 ||
	    setresuid(o->uid, o->uid, o->uid) < 0) {
		SKIPPED(r, "uid switch: %s", strerror(errno));
		return 0;
	}
	if (verify_identity(o) < 0) {
		snprintf(err, HOST_ERRLEN, "sandbox: the switch to uid %u gid %u did not stick",
			 (unsigned)o->uid, (unsigned)o->gid);
		return -1;
	}
	APPLIED(r, "uid %u gid %u without groups", (unsigned)o->uid, (unsigned)o->gid);
	return 0;
}

/* Empties the effective, permitted, inheritable and ambient sets; a
 * process may always drop its own capabilities. */
static void drop_capabilities(struct sandbox_report *r)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	memset(data, 0, sizeof(data));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		SKIPPED(r, "capabilities: %s", strerror(errno));
		return;
	}
	if (syscall(SYS_capget, &hdr, data) == 0 && !data[0].permitted && !data[1].permitted &&
	    !data[0].effective && !data[1].effective)
		APPLIED(r, "no capabilities");
	else
		SKIPPED(r, "capabilities: still held after capset");
}

/* --- the seccomp filter ------------------------------------------------------ */

/*
 * Allowed with any arguments.  Keep in step with docs/sandbox.md, which
 * says why each one is here.
 */
#define ARGUMENT_RULE_SYSCALLS 7 /* mmap mprotect ioctl tgkill sendto accept4 setsockopt */

static const int allowed_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(fdatasync),
	SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime), SCMP_SYS(getrandom),
	SCMP_SYS(recvfrom), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* ioctls on stdin: isatty and the terminal restore (tcsetattr). */
static const unsigned long tty_ioctls[] = { TCGETS, TCSETS, TCSETSW, TCSETSF };

static int add_plain_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0) < 0)
			return -1;
	return 0;
}

static int add_argument_rules(scmp_filter_ctx ctx)
{
	int rc = 0;
	/* Memory for malloc, never executable: no new code after this point. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	for (size_t i = 0; i < sizeof(tty_ioctls) / sizeof(tty_ioctls[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
				       SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO),
				       SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]));
	/* raise() from the terminal's fatal-signal handler: this process only. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* The network link: send() on the connected peer, accept4() of a new
	 * one exactly as host/netsock.c asks -- no addresses either way. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 3,
			       SCMP_A1(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0),
			       SCMP_A3(SCMP_CMP_EQ, SOCK_NONBLOCK | SOCK_CLOEXEC));
	/* ...and widens the accepted peer's send buffer, as it does for the
	 * sockets it makes before this filter: only SO_SNDBUF, which the
	 * kernel caps at net.core.wmem_max (SO_SNDBUFFORCE is another name). */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
			       SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_SNDBUF));
	/* Denied without killing: stdio's fstat of a stream, and the lstat
	 * before host/netsock.c removes its socket file at exit (which then
	 * stays for the next cordon on that path to clean up). */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 0);
	return rc < 0 ? -1 : 0;
}

/*
 * A channel process (a switch, a relay) reads and writes frames on the
 * descriptors it was given and waits for them: nothing else.  Keep in
 * step with docs/sandbox.md.
 */
static const int channel_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(recvfrom),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(clock_gettime), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};
#define CHANNEL_ARGUMENT_RULE_SYSCALLS 2 /* mmap sendto */

static int add_channel_rules(scmp_filter_ctx ctx)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof(channel_syscalls) / sizeof(channel_syscalls[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, channel_syscalls[i], 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 0);
	return rc < 0 ? -1 : 0;
}

static int add_profile_rules(scmp_filter_ctx ctx, enum sandbox_profile profile, size_t *count)
{
	if (profile == SANDBOX_GUARD) {
		unsigned n = 0;
		int rc = sandbox_guard_rules(ctx, &n);
		*count = n;
		return rc;
	}
	if (profile == SANDBOX_CHANNEL) {
		*count = sizeof(channel_syscalls) / sizeof(channel_syscalls[0]) +
			 CHANNEL_ARGUMENT_RULE_SYSCALLS;
		return add_channel_rules(ctx);
	}
	*count = sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]) + ARGUMENT_RULE_SYSCALLS;
	return add_plain_rules(ctx) < 0 || add_argument_rules(ctx) < 0 ? -1 : 0;
}

static int load_filter(enum sandbox_profile profile, struct sandbox_report *r, char *err)
{
	size_t count = 0;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = -1;
	if (!ctx) {
		snprintf(err, HOST_ERRLEN, "sandbox: seccomp_init failed");
		return -1;
	}
	/* Other ABIs (i386 int 0x80, x32) would bypass a native-only list. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
	    add_profile_rules(ctx, profile, &count) < 0) {
		snprintf(err, HOST_ERRLEN, "sandbox: cannot build the seccomp filter");
		goto out;
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		snprintf(err, HOST_ERRLEN, "sandbox: cannot load the seccomp filter: %s", strerror(-rc));
		rc = -1;
		goto out;
	}
	APPLIED(r, "seccomp allowlist (%zu syscalls, others kill)", count);
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

/* --- the whole sequence ------------------------------------------------------ */

void sandbox_default_opts(struct sandbox_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->uid = SANDBOX_NOBODY;
	opts->gid = SANDBOX_NOBODY;
	opts->spare_fds = 2;
}

static int drop_privileges(const struct sandbox_opts *o, struct sandbox_report *r, char *err)
{
	bool as_root = geteuid() == 0 && !o->skip_root_steps;
	if (as_root)
		enter_empty_root(r);
	else
		SKIPPED(r, "empty root (%s)", o->skip_root_steps ? "not asked for" : "not root");
	drop_bounding_set(r);
	if (as_root) {
		if (switch_identity(o, r, err) < 0)
			return -1;
	} else {
		SKIPPED(r, "uid switch (%s)", o->skip_root_steps ? "not asked for" : "not root");
	}
	drop_capabilities(r);
	return 0;
}

/*
 * A monitor must not outlive its supervisor: nobody would audit its end or
 * stop it.  Set after the uid switch, which clears the parent-death
 * signal; if the parent is already gone by then, getppid has changed.
 */
static int die_with_parent(struct sandbox_report *r, char *err)
{
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent || parent == 1) {
		snprintf(err, HOST_ERRLEN, "sandbox: the parent process is gone");
		return -1;
	}
	APPLIED(r, "killed with its parent");
	return 0;
}

int sandbox_enter(const struct sandbox_opts *opts, struct sandbox_report *report, char *err)
{
	memset(report, 0, sizeof(*report));
	err[0] = '\0';
	apply_rlimits(opts, report);
	enter_namespaces(report);
	if (drop_privileges(opts, report, err) < 0)
		return -1;
	if (opts->die_with_parent && die_with_parent(report, err) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, HOST_ERRLEN, "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	APPLIED(report, "no_new_privs");
	return load_filter(opts->profile, report, err);
}
