/*
 * Starting a monitor and watching it end.
 *
 * A monitor is a fresh exec of cordon itself (`cordon monitor`), not
 * just a fork: it starts with a new address space (new ASLR layout,
 * nothing of the supervisor's memory -- no other VM's volume key, no
 * policy) and exactly four descriptors:
 *
 *   0, 1   /dev/null
 *   2      a pipe back to the supervisor, which prefixes each line with the
 *          VM's name and strips control characters before showing it (a
 *          monitor taken over by its guest must not write escape sequences
 *          to the operator's terminal)
 *   3      a SOCK_SEQPACKET socket on which the supervisor sends the
 *          start-up message (monitor_proto.h): the VM's description with
 *          the granted descriptors, then one message per LUKS disk with its
 *          volume key
 *
 * Everything the supervisor holds is close-on-exec, and the child closes
 * anything above 3 before the exec anyway.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "super/monitor_proto.h"
#include "sec/test_hooks.h"
#include "xfer/stream.h"

const char *vm_state_name(enum vm_state st)
{
	switch (st) {
	case VMS_REFUSED: return "refused";
	case VMS_RUNNING: return "running";
	case VMS_EXITED: return "exited";
	}
	return "?";
}

/* --- limits ------------------------------------------------------------------------ */

/*
 * What a monitor may use of the host.  RLIMIT_AS is set here before the
 * exec, so not even its first instruction runs without it: the guest's
 * RAM, the translator's code cache (128 MiB, src/engine/soft/jit.c,
 * mapped twice: writable and executable views) and 192 MiB for the
 * program, its libraries, heap and device buffers (a 16 MiB VM's monitor
 * peaks near 310 MiB).  The hard limit equals the soft one, so a monitor
 * cannot raise it once it has left root behind.
 *
 * RLIMIT_FSIZE goes in the start-up message instead: the code cache is a
 * 128 MiB memfd, so the monitor sets it itself once the VM is built and
 * before its guest runs (cli/monitor.c): the largest image it holds, or
 * its console log's quota and marker line if that is larger.  A
 * taken-over monitor can then neither pwrite at 1 TiB into a sparse image
 * nor grow its log without end.
 */
#define MONITOR_CODE_CACHE_VM (2ull * (128u << 20))
#define MONITOR_AS_SLACK (192ull << 20)
#define MONITOR_LOG_MARKER_MAX 4096

static uint64_t monitor_fsize(const struct grant *g)
{
	uint64_t fsize = g->largest_image;
	if (g->serial_fd >= 0 && g->serial_quota + MONITOR_LOG_MARKER_MAX > fsize)
		fsize = g->serial_quota + MONITOR_LOG_MARKER_MAX;
	return fsize < MONITOR_LOG_MARKER_MAX ? MONITOR_LOG_MARKER_MAX : fsize;
}

static void monitor_as(const struct vmrec *v, struct rlimit *l)
{
	uint64_t as = v->def->memory + MONITOR_CODE_CACHE_VM + MONITOR_AS_SLACK;
	*l = (struct rlimit){ (rlim_t)as, (rlim_t)as };
}

/* --- the start-up message ------------------------------------------------------ */

/* The description of v's VM with g's descriptors, in the order the
 * monitor builds its devices from: kernel, initrd, console log, disks,
 * NICs. */
static int describe_vm(const struct vmrec *v, const struct grant *g, struct monitor_start *st,
		       char *err)
{
	const struct sysdef_vm *d = v->def;
	monitor_start_init(st);
	st->memory = d->memory;
	st->uid = v->uid;
	st->fsize_limit = monitor_fsize(g);
	if (monitor_start_set_text(st->vm, sizeof(st->vm), "vm name", d->name, err) < 0 ||
	    monitor_start_set_text(st->label, sizeof(st->label), "label", v->label, err) < 0 ||
	    monitor_start_set_text(st->append, sizeof(st->append), "append", d->append, err) < 0 ||
	    monitor_start_set_text(st->kernel, sizeof(st->kernel), "kernel path", d->kernel, err) < 0 ||
	    monitor_start_set_text(st->initrd, sizeof(st->initrd), "initrd path", d->initrd, err) < 0)
		return -1;
	monitor_start_add_fd(st, MONITOR_FD_KERNEL, g->kernel_fd);
	if (g->initrd_fd >= 0)
		monitor_start_add_fd(st, MONITOR_FD_INITRD, g->initrd_fd);
	if (g->serial_fd >= 0)
		monitor_start_add_fd(st, MONITOR_FD_CONSOLE_LOG, g->serial_fd)->quota = g->serial_quota;
	if (g->transfer_fd >= 0)
		monitor_start_add_fd(st, MONITOR_FD_TRANSFER, g->transfer_fd);
	for (unsigned i = 0; i < g->ndisks; i++) {
		struct monitor_fd *f = monitor_start_add_fd(st, MONITOR_FD_DISK, g->disks[i].fd);
		if (!f)
			return -1;
		snprintf(f->name, sizeof(f->name), "%s", g->disks[i].name);
		f->read_only = g->disks[i].read_only;
		f->luks = g->disks[i].luks;
	}
	if (g->console_fd >= 0 && !monitor_start_add_fd(st, MONITOR_FD_CONSOLE, g->console_fd))
		return -1;
	for (unsigned i = 0; i < g->nnics; i++) {
		struct monitor_fd *f = monitor_start_add_fd(st, MONITOR_FD_NIC, g->nics[i].fd);
		if (!f)
			return -1;
		snprintf(f->name, sizeof(f->name), "%s", g->nics[i].name);
		f->link = g->nics[i].link;
		memcpy(f->mac, g->nics[i].mac, VM_MAC_LEN);
	}
	return 0;
}

static int send_grant(int sock, const struct vmrec *v, const struct grant *g, char *err)
{
	static struct monitor_start st; /* large: off the stack */
	char why[MONITOR_ERRLEN] = "too many descriptors";
	int rc = describe_vm(v, g, &st, why) < 0 ? -1 : monitor_send_start(sock, &st, why);
	for (unsigned i = 0; rc == 0 && i < g->ndisks; i++)
		if (g->disks[i].luks)
			rc = monitor_send_key(sock, i, g->disks[i].key, why);
	if (rc < 0)
		super_err(err, "cannot hand the monitor its descriptors: %s", why);
	return rc;
}

/* --- the child side of the fork ------------------------------------------------ */

/* Only async-signal-safe calls between fork and exec.  The child of
 * `cordon up` that becomes `cordon CMD`: descriptors 0 and 1 on
 * /dev/null, 2 on errpipe, 3 on sock, nothing else; its address space
 * limited to *as. */
_Noreturn void spawn_exec_child(struct super *s, const struct rlimit *as, int sock, int errpipe,
				char *cmd, char *const envp[])
{
	/* Move the three we keep out of the way first, so dup2 onto 0..3 can
	 * never overwrite one of them. */
	int dn = fcntl(s->devnull, F_DUPFD, 10), sk = fcntl(sock, F_DUPFD, 10),
	    ep = fcntl(errpipe, F_DUPFD, 10);
	if (dn < 0 || sk < 0 || ep < 0 || dup2(dn, 0) < 0 || dup2(dn, 1) < 0 || dup2(ep, 2) < 0 ||
	    dup2(sk, MONITOR_SOCK_FD) < 0)
		_exit(MONITOR_EXIT_NOT_STARTED);
	close_range(MONITOR_SOCK_FD + 1, ~0u, 0);
	if (setrlimit(RLIMIT_AS, as) < 0)
		_exit(MONITOR_EXIT_NOT_STARTED);
	/* Its own session: no controlling terminal, and the operator's Ctrl-C
	 * reaches only the supervisor, which then stops the VMs in order. */
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	/* The VM's name travels in the start-up message: other users' ps
	 * shows "cordon monitor" (or guard) and its uid, nothing more. */
	char *argv[] = { "cordon", cmd, NULL };
	execve("/proc/self/exe", argv, envp);
	_exit(MONITOR_EXIT_NOT_STARTED);
}

static void exec_monitor(struct super *s, const struct vmrec *v, const struct rlimit *as,
			 int sock, int errpipe)
{
	/* Empty, but in a test build (sec/test_hooks.h). */
	char *envp[2] = { test_hook_monitor_env(v->def->name), NULL };
	spawn_exec_child(s, as, sock, errpipe, "monitor", envp);
}

int spawn_monitor(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	int sv[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		super_err(err, "socketpair: %s", strerror(errno));
		grant_release(g);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		super_err(err, "pipe: %s", strerror(errno));
		close(sv[0]), close(sv[1]);
		grant_release(g);
		return -1;
	}
	struct rlimit as;
	monitor_as(v, &as);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		exec_monitor(s, v, &as, sv[1], ep[1]);
	close(sv[1]);
	close(ep[1]);
	if (pid < 0) {
		super_err(err, "fork: %s", strerror(errno));
		close(sv[0]), close(ep[0]);
		grant_release(g);
		return -1;
	}
	int rc = send_grant(sv[0], v, g, err);
	grant_release(g);
	/* The monitor needs nothing more from us: hanging up is its EOF. */
	close(sv[0]);
	v->pid = pid;
	v->err.fd = ep[0];
	snprintf(v->err.prefix, sizeof(v->err.prefix), "vm %s", v->def->name);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	v->state = VMS_RUNNING;
	char reason[80];
	snprintf(reason, sizeof(reason), "pid %d, uid %u", (int)pid, (unsigned)v->uid);
	super_audit(s, v->def->name, v->label, "monitor", v->label, "start", "start", reason);
	super_say("vm %s (%s): started, monitor pid %d uid %u", v->def->name, v->label, (int)pid,
		  (unsigned)v->uid);
	if (rc < 0) {
		super_say("vm %s: %s", v->def->name, err);
		kill(pid, SIGKILL); /* reaped and reported like any other death */
	}
	return 0;
}

/* --- a child's stderr ---------------------------------------------------------- */

/*
 * A monitor's (or a switch's) messages are a handful of lines; one taken
 * over by its guest
 * could write without end.  Past this many bytes the rest is read and
 * dropped, so it can neither flood the operator's terminal nor block on a
 * full pipe.
 */
#define STDERR_FORWARD_MAX (64u * 1024)

static void emit_line(struct errstream *e, char *line, size_t len)
{
	if (e->forwarded >= STDERR_FORWARD_MAX)
		return;
	e->forwarded += len + 1;
	if (e->forwarded >= STDERR_FORWARD_MAX) {
		fprintf(stderr, "%s: (more output suppressed)\n", e->prefix);
		return;
	}
	/* Control characters, C1 ones too (U+009B is CSI, U+009D OSC to a
	 * terminal that honours them), and bytes that are not UTF-8 (a raw
	 * 0x9B is CSI to an 8-bit terminal) become '?'. */
	for (size_t i = 0, k; i < len; i += k) {
		uint32_t cp;
		k = xfer_utf8_decode((const uint8_t *)line + i, len - i, &cp);
		if (k == 0)
			k = 1, cp = 0;
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp < 0xa0))
			memset(line + i, '?', k);
	}
	fprintf(stderr, "%s: %.*s\n", e->prefix, (int)len, line);
}

void errstream_forward(struct errstream *e)
{
	for (;;) {
		size_t room = sizeof(e->buf) - e->len;
		ssize_t n = read(e->fd, e->buf + e->len, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (e->len)
				emit_line(e, e->buf, e->len);
			e->len = 0;
			close(e->fd);
			e->fd = -1;
			return;
		}
		e->len += (size_t)n;
		char *start = e->buf, *nl;
		while ((nl = memchr(start, '\n', e->len - (size_t)(start - e->buf)))) {
			emit_line(e, start, (size_t)(nl - start));
			start = nl + 1;
		}
		e->len -= (size_t)(start - e->buf);
		memmove(e->buf, start, e->len);
		if (e->len == sizeof(e->buf)) { /* a line longer than the buffer */
			emit_line(e, e->buf, e->len);
			e->len = 0;
		}
	}
}

/* --- a monitor's end ---------------------------------------------------------- */

static void describe_exit(struct vmrec *v, int status, const char **decision)
{
	*decision = "exit";
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		v->exit_status = 128 + sig;
		if (v->stop_requested && (sig == SIGTERM || sig == SIGKILL)) {
			snprintf(v->outcome, sizeof(v->outcome), "%s",
				 v->stop_why ? v->stop_why : "stopped by the operator");
			v->exit_status = 0;
		} else if (sig == SIGSYS) {
			*decision = "killed";
			snprintf(v->outcome, sizeof(v->outcome),
				 "killed by SIGSYS: the sandbox stopped a forbidden system call");
		} else {
			*decision = "killed";
			snprintf(v->outcome, sizeof(v->outcome), "killed by signal %d (%s)", sig,
				 strsignal(sig));
		}
		return;
	}
	v->exit_status = WEXITSTATUS(status);
	monitor_exit_words(v->exit_status, v->outcome, sizeof(v->outcome));
}

static struct vmrec *vm_by_pid(struct super *s, pid_t pid)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].state == VMS_RUNNING && s->vms[i].pid == pid)
			return &s->vms[i];
	return NULL;
}

void reap_monitors(struct super *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct vmrec *v = vm_by_pid(s, pid);
		if (!v) {
			if (!guard_reaped(s, pid, status))
				chans_reaped(s, pid, status);
			continue;
		}
		if (v->err.fd >= 0) /* its last words come before the verdict */
			errstream_forward(&v->err);
		const char *decision;
		describe_exit(v, status, &decision);
		v->state = VMS_EXITED;
		v->kill_at_ns = 0;
		console_vm_ended(s, v);
		super_say("vm %s: %s", v->def->name, v->outcome);
		super_audit(s, v->def->name, v->label, "monitor", v->label, "exit", decision,
			    v->outcome);
	}
}
