/*
 * The supervisor (`cordon up`): startup, the state directory, the event
 * loop and shutdown.  See super.h for the processes and the files, and
 * docs/security-model.md for why it is built this way.
 *
 * Order of startup matters: the system file is parsed completely (any
 * error starts nothing), then the state directory is checked, the audit
 * log opened and the control socket bound, and only then are VMs started,
 * one after the other, each after every decision about it is audited.
 */
#include "super/super_internal.h"
#include "super/monitor_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "sec/safe_open.h"
#include "sec/test_hooks.h"

#define STOP_GRACE_NS (3ull * 1000000000ull) /* SIGTERM, then SIGKILL after this */

/* struct super holds every VM's record: keep it off the stack. */
static struct super the_super;

void super_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cordon: ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

void super_err(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, SUPER_ERRLEN, fmt, ap);
	va_end(ap);
}

int super_path(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void super_begin_shutdown(struct super *s, const char *why)
{
	if (s->shutting_down)
		return;
	s->shutting_down = true;
	super_say("shutting down (%s)", why);
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].state == VMS_RUNNING)
			stop_monitor(s, &s->vms[i]);
}

void super_audit(struct super *s, const char *subject, const char *subject_label,
		 const char *object, const char *object_label, const char *mode,
		 const char *decision, const char *reason)
{
	struct audit_event ev = {
		.subject = subject, .object = object,
		.subject_label = subject_label, .object_label = object_label,
		.mode = mode, .decision = decision, .reason = reason,
	};
	char err[AUDIT_ERRLEN];
	if (audit_append(s->audit, &ev, err) == 0)
		return;
	super_audit_failed(s, err);
}

void super_audit_failed(struct super *s, const char *why)
{
	if (s->audit_broken)
		return;
	s->audit_broken = true;
	fprintf(stderr, "cordon up: the audit log cannot be written (%s): stopping every VM "
		"and the supervisor\n", why);
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].state == VMS_RUNNING)
			s->vms[i].stop_why = "stopped: the audit log cannot be written";
	super_begin_shutdown(s, "the audit log cannot be written");
}

/* --- the state directory ---------------------------------------------------- */

/*
 * DIR holds the audit log, the control socket and the console logs, so
 * only the supervisor's user may enter it: created 0700, and an existing
 * one must be ours and closed to everyone else already (we do not chmod
 * a directory someone may have been reading).
 */
static int prepare_state_dir(const char *dir, char *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		super_err(err, "--state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return super_check_state_dir(dir, err);
}

int super_check_state_dir(const char *dir, char *err)
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		super_err(err, "--state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		super_err(err, "--state-dir %s: not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		super_err(err, "--state-dir %s: owned by uid %u, not by this user (%u)",
			 dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, SUPER_ERRLEN,
			 "--state-dir %s: mode %04o lets other users in (must be 0700)", dir,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	/* And no other user can swap it: its whole chain of directories is
	 * checked as safe_open checks the files inside it. */
	char why[SAFE_ERRLEN];
	int fd = safe_open_dir(dir, why);
	if (fd < 0) {
		super_err(err, "--state-dir %s", why);
		return -1;
	}
	close(fd);
	return 0;
}

static int open_audit(struct super *s, char *err)
{
	char path[PATH_MAX], why[AUDIT_ERRLEN];
	if (super_path(path, sizeof(path), "%s/%s", s->state_dir, SUPER_AUDIT_FILE) < 0) {
		super_err(err, "--state-dir %s: path too long", s->state_dir);
		return -1;
	}
	s->audit = audit_open(path, why);
	if (!s->audit) {
		super_err(err, "%s", why);
		return -1;
	}
	audit_anchor_to_syslog(s->audit);
	return 0;
}

/* SIGCHLD and the stop signals arrive as reads on a signalfd, so the loop
 * has one place where everything happens; SIGPIPE is ignored (a client
 * that hangs up on a reply must not kill the supervisor). */
static int setup_signals(struct super *s, char *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	/* A write past a file size limit fails with EFBIG (and is reported)
	 * instead of killing the supervisor unaudited. */
	signal(SIGXFSZ, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		super_err(err, "signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup(struct super *s, const char *system_path, const char *state_dir, char *err)
{
	s->listen_fd = s->signal_fd = s->devnull = -1;
	control_conns_init(s);
	s->state_dir = state_dir;
	test_hook_supervisor_init(); /* test builds only: sec/test_hooks.h */
	s->sys = sysdef_load(system_path, err);
	if (!s->sys)
		return 2;
	s->lat = sysdef_lattice(s->sys);
	struct sysdef_policy p = sysdef_policy(s->sys);
	s->pol = (struct refmon_policy){ .blp = p.blp, .biba = p.biba, .read_down_shares = p.read_down,
					 .write_up_transfers = p.write_up };
	s->nvms = sysdef_vm_count(s->sys);
	for (unsigned i = 0; i < s->nvms; i++) {
		struct vmrec *v = &s->vms[i];
		v->def = sysdef_vm(s->sys, i);
		v->uid = MONITOR_UID_BASE + i;
		v->ctl_fd = v->err.fd = v->console_fd = -1;
		v->guard.link_fd = v->guard.err.fd = -1;
		snprintf(v->guard.err.prefix, sizeof(v->guard.err.prefix), "vm %s: guard", v->def->name);
		v->state = VMS_REFUSED;
		if (label_format(s->lat, &v->def->label, v->label, sizeof(v->label)) < 0)
			snprintf(v->label, sizeof(v->label), "?");
	}
	if (prepare_state_dir(state_dir, err) < 0 || open_audit(s, err) < 0 ||
	    setup_signals(s, err) < 0 || control_listen(s, err) < 0)
		return 1;
	s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s->devnull < 0) {
		super_err(err, "/dev/null: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* --- starting VMs --------------------------------------------------------- */

static void refuse(struct super *s, struct vmrec *v, const char *why)
{
	v->state = VMS_REFUSED;
	v->exit_status = 1;
	snprintf(v->outcome, sizeof(v->outcome), "not started: %.140s", why);
	super_say("vm %s: not started: %s", v->def->name, why);
	super_audit(s, v->def->name, v->label, "monitor", v->label, "start", "refused", why);
}

/* "transfer on": the VM's transfer port, one end for its guard (started
 * here, before the monitor), the other in the monitor's grant. */
static int start_guard(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	int sv[2];
	if (!v->def->transfer)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		super_err(err, "transfer port: %s", strerror(errno));
		return -1;
	}
	if (guard_spawn(s, v, sv[1], err) < 0) {
		close(sv[0]);
		return -1;
	}
	g->transfer_fd = sv[0];
	return 0;
}

static void start_vm(struct super *s, struct vmrec *v)
{
	struct grant g;
	char err[SUPER_ERRLEN] = "";
	if (grant_for_vm(s, v, &g, err) < 0)
		refuse(s, v, err);
	else if (s->audit_broken)
		grant_release(&g), refuse(s, v, "the audit log cannot be written");
	else if (start_guard(s, v, &g, err) < 0)
		grant_release(&g), refuse(s, v, err);
	else if (spawn_monitor(s, v, &g, err) < 0)
		refuse(s, v, err);
	chans_close_vm(s, v); /* what a refused VM did not take: its ports go down */
	if (v->state != VMS_RUNNING)
		console_vm_ended(s, v);
}

/* --- the event loop --------------------------------------------------------- */

static bool any_running(const struct super *s)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].state == VMS_RUNNING)
			return true;
	return false;
}

static void handle_signals(struct super *s)
{
	struct signalfd_siginfo si;
	while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap_monitors(s);
		else
			super_begin_shutdown(s, strsignal((int)si.ssi_signo));
	}
	/* SIGCHLDs coalesce: reap again in case one was folded into another. */
	reap_monitors(s);
}

void super_check_signals(struct super *s)
{
	if (s->signal_fd >= 0)
		handle_signals(s);
}

/* Monitors that ignored SIGTERM past the grace period get SIGKILL. */
static int kill_overdue(struct super *s)
{
	uint64_t now = host_monotonic_ns(), next = 0;
	for (unsigned i = 0; i < s->nvms; i++) {
		struct vmrec *v = &s->vms[i];
		if (v->state != VMS_RUNNING || !v->kill_at_ns)
			continue;
		if (now >= v->kill_at_ns) {
			kill(v->pid, SIGKILL);
			v->kill_at_ns = 0;
		} else if (!next || v->kill_at_ns < next) {
			next = v->kill_at_ns;
		}
	}
	return next ? (int)((next - now) / 1000000u) + 1 : -1;
}

/*
 * A later request never waits for an earlier one: `cordon stop --timeout
 * 3600` arms a kill an hour away, and a `cordon down` or a broken audit
 * log after it must still send its SIGTERM and bring the kill within its
 * own grace.  So the kill comes at the earliest time any request asked
 * for; the signal goes out unless the SIGKILL already has (kill_at_ns 0
 * once stop_requested).  A repeated signal is harmless: SIGPWR presses
 * the power button again, and a monitor ends at its first SIGTERM.
 */
static void signal_monitor(struct vmrec *v, int sig, uint64_t grace_ns)
{
	if (v->state != VMS_RUNNING || (v->stop_requested && !v->kill_at_ns))
		return;
	uint64_t kill_at = host_monotonic_ns() + grace_ns;
	if (!v->stop_requested || kill_at < v->kill_at_ns)
		v->kill_at_ns = kill_at;
	v->stop_requested = true;
	kill(v->pid, sig);
}

/* SIGPWR: the monitor presses the guest's ACPI power button (or ends by
 * SIGTERM at once if the guest cannot hear it); SIGKILL once grace_ns has
 * passed. */
void stop_monitor_after(struct super *s, struct vmrec *v, uint64_t grace_ns)
{
	(void)s;
	signal_monitor(v, SIGPWR, grace_ns);
}

void stop_monitor(struct super *s, struct vmrec *v)
{
	(void)s;
	signal_monitor(v, SIGTERM, STOP_GRACE_NS);
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* A monitor's and a guard's per VM, a switch's per net, a relay's per diode. */
#define MAX_STREAMS (2 * SYSDEF_MAX_VMS + SYSDEF_MAX_NETS + SYSDEF_MAX_DIODES)

/* The ends of the nets and diodes that VMs never started did not take. */
static void close_unused_ends(struct super *s)
{
	for (unsigned i = 0; i < s->nvms; i++)
		chans_close_vm(s, &s->vms[i]);
}

/*
 * One poll over the signalfd, the monitors' and channel processes' stderr
 * pipes and the control socket's connections.  VMs are started here too,
 * one per turn, so that signals, reaping and control requests are served
 * between any two starts: a SIGTERM during start-up stops it there.  The
 * nets' switches and diodes' relays are started before the first VM, and
 * waited for after the last.
 */
static void run_loop(struct super *s)
{
	unsigned next_start = 0;
	bool all_started = false;
	chans_start(s);
	for (;;) {
		bool starting = next_start < s->nvms && !s->shutting_down;
		if (!starting && !all_started) {
			close_unused_ends(s);
			all_started = true;
		}
		if (!starting && !any_running(s) && !chans_running(s) && !guards_running(s))
			break;
		struct pollfd p[1 + MAX_STREAMS + SYSDEF_MAX_VMS + 1 + CONTROL_MAX_CONNS + SYSDEF_MAX_VMS];
		struct vmrec *con_owner[SYSDEF_MAX_VMS];
		struct errstream *owner[1 + MAX_STREAMS];
		struct vmrec *linked[SYSDEF_MAX_VMS];
		nfds_t n = 0;
		p[n] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
		owner[n++] = NULL;
		for (unsigned i = 0; i < s->nvms; i++) {
			if (s->vms[i].err.fd < 0)
				continue;
			p[n] = (struct pollfd){ .fd = s->vms[i].err.fd, .events = POLLIN };
			owner[n++] = &s->vms[i].err;
		}
		unsigned nc = chans_err_streams(s, owner + n, MAX_STREAMS - (unsigned)(n - 1));
		for (unsigned i = 0; i < nc; i++, n++)
			p[n] = (struct pollfd){ .fd = owner[n]->fd, .events = POLLIN };
		n += guards_err_streams(s, p + n, owner + n);
		nfds_t first_link = n;
		n += guards_poll_links(s, p + n, linked);
		nfds_t first_ctl = n;
		n += control_poll_fill(s, p + n);
		nfds_t first_con = n;
		n += console_poll_fill(s, p + n, con_owner);
		int wait = starting || any_running(s) ? kill_overdue(s) : chans_wind_down(s);
		int timeout = min_timeout(min_timeout(wait, control_timeout_ms(s)), xfer_expire(s));
		if (starting)
			timeout = 0;
		if (poll(p, n, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "cordon up: poll: %s\n", strerror(errno));
			super_begin_shutdown(s, "internal error");
			for (nfds_t i = 0; i < n; i++)
				p[i].revents = 0;
		}
		for (nfds_t i = 1; i < first_link; i++)
			if (p[i].revents)
				errstream_forward(owner[i]);
		guards_links_ready(s, p + first_link, linked, (unsigned)(first_ctl - first_link));
		if (p[0].revents)
			handle_signals(s);
		control_poll_ready(s, p + first_ctl, (unsigned)(first_con - first_ctl));
		console_poll_ready(s, p + first_con, con_owner, (unsigned)(n - first_con));
		if (starting && !s->shutting_down)
			start_vm(s, &s->vms[next_start++]);
	}
}

/* --- the end ------------------------------------------------------------------ */

static int final_status(const struct super *s)
{
	if (s->audit_broken || !chans_all_clean(s))
		return 1;
	for (unsigned i = 0; i < s->nvms; i++) {
		const struct vmrec *v = &s->vms[i];
		if (v->state == VMS_REFUSED)
			return 1;
		if (v->exit_status != 0 && !v->stop_requested)
			return 1;
	}
	return 0;
}

static void teardown(struct super *s)
{
	control_close(s);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->devnull >= 0)
		close(s->devnull);
	if (s->audit)
		audit_close(s->audit);
	xfer_store_close(s);
	sysdef_free(s->sys);
}

int super_up(const char *system_path, const char *state_dir)
{
	struct super *s = &the_super;
	char err[SUPER_ERRLEN] = "";
	memset(s, 0, sizeof(*s));
	int rc = setup(s, system_path, state_dir, err);
	if (rc != 0) {
		fprintf(stderr, "cordon up: %s\n", err);
		teardown(s);
		return rc;
	}
	char reason[SUPER_ERRLEN + 64];
	snprintf(reason, sizeof(reason), "%s: %u vm(s)", system_path, s->nvms);
	super_audit(s, "supervisor", "", "system", "", "start", "start", reason);
	super_say("supervisor %d: %s, state in %s", (int)getpid(), system_path, state_dir);
	if (xfer_store_open(s, err) < 0) {
		fprintf(stderr, "cordon up: %s\n", err);
		super_begin_shutdown(s, "the transfer store cannot be opened");
	}
	run_loop(s);
	rc = final_status(s);
	control_refusals_flush(s);
	if (s->audit && !s->audit_broken)
		super_audit(s, "supervisor", "", "system", "", "stop", "stop",
			    rc == 0 ? "every vm ended cleanly" : "some vm did not end cleanly");
	if (s->audit) {
		/* The chain cannot show records cut off its end; the count and
		 * last hash, kept elsewhere by whoever reads this, can. */
		uint64_t seq;
		char hash[AUDIT_HASH_HEX];
		audit_head(s->audit, &seq, hash);
		super_say("audit log %s/%s: %llu records, last hash %s", state_dir, SUPER_AUDIT_FILE,
			  (unsigned long long)seq, hash);
	}
	if (s->audit_broken)
		super_say("supervisor stopped: the audit log could not be written (see above)");
	super_say("supervisor done (exit %d)", rc);
	teardown(s);
	return rc;
}
