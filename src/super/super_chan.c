/*
 * Nets and diodes under the supervisor (docs/security-model.md, "Nets and
 * diodes").
 *
 * Before any VM starts, each net gets a switch process and each diode a
 * relay process (super/chan_proto.h), both sandboxed like monitors.  The
 * supervisor makes their descriptors and keeps each VM's end of them:
 *
 *   net     one SOCK_SEQPACKET socketpair per member VM: the switch holds
 *           one end (a port whose MAC is fixed), the VM's monitor gets the
 *           other; an `uplink tap IFNAME` adds the tap device as a port
 *   diode   two packet-mode pipes: the sender's monitor gets the write end
 *           of the first, the relay its read end and the write end of the
 *           second, the receiver's monitor the second's read end.  Nobody
 *           on the receiving side holds anything that leads back.
 *
 * When a VM starts, the reference monitor decides each of its NICs, and
 * every decision is audited (an allowed join too): a net only at the VM's
 * own label (read-write), a diode by refmon_decide_diode at its sending
 * end.  A denial refuses the VM; the other VMs start.  The ends of a VM
 * that did not start are closed, so its port is down and its diode dry.
 *
 * The supervisor never reads or writes a frame: it only hands out ends.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "host/host.h"
#include "super/chan_proto.h"

#define DIODE_PIPE_BYTES (1u << 20) /* 256 frames of buffer in each pipe */
#define WIND_DOWN_NS (2ull * 1000000000ull)

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static const char *vm_label(const struct super *s, const struct sysdef_vm *vm)
{
	return s->vms[vm - sysdef_vm(s->sys, 0)].label;
}

/* --- the uplink ------------------------------------------------------------- */

/* Attaches to the existing tap device ifname (never creates one: what it
 * is bridged to is the operator's decision, made beforehand). */
static int open_tap(const char *ifname, char *why, size_t whylen)
{
	if (if_nametoindex(ifname) == 0) {
		snprintf(why, whylen, "uplink tap %s: no such network interface (create it first, e.g. ip tuntap add dev %s mode tap)",
			 ifname, ifname);
		return -1;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "uplink tap %s: /dev/net/tun: %s", ifname, strerror(errno));
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(why, whylen, "uplink tap %s: %s (not a tap device, or in use)", ifname,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* --- starting a channel process ------------------------------------------------- */

/* Only async-signal-safe calls between fork and exec.  fds[0..n) become
 * CHAN_FIRST_FD.., desc becomes CHAN_DESC_FD. */
static void exec_chan(struct super *s, bool is_switch, int desc, int errpipe, const int *fds,
		      unsigned n)
{
	int moved[CHAN_MAX_FDS];
	/* Everything we keep goes above every target first, so no dup2 onto
	 * 0..CHAN_FIRST_FD+n can overwrite one still to be moved. */
	int dn = fcntl(s->devnull, F_DUPFD, 64), dd = fcntl(desc, F_DUPFD, 64),
	    ep = fcntl(errpipe, F_DUPFD, 64);
	if (dn < 0 || dd < 0 || ep < 0)
		_exit(127);
	for (unsigned i = 0; i < n; i++)
		if ((moved[i] = fcntl(fds[i], F_DUPFD, 64)) < 0)
			_exit(127);
	if (dup2(dn, 0) < 0 || dup2(dn, 1) < 0 || dup2(ep, 2) < 0 || dup2(dd, CHAN_DESC_FD) < 0)
		_exit(127);
	for (unsigned i = 0; i < n; i++)
		if (dup2(moved[i], CHAN_FIRST_FD + (int)i) < 0)
			_exit(127);
	close_range(CHAN_FIRST_FD + n, ~0u, 0);
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	char *argv[] = { "cordon", is_switch ? "switch" : "relay", NULL };
	char *envp[] = { NULL };
	execve("/proc/self/exe", argv, envp);
	_exit(127);
}

/* Forks and execs the process, hands it st; the caller still closes fds. */
static int spawn_chan(struct super *s, struct chan_proc *c, const struct chan_start *st,
		      const int *fds)
{
	int dp[2], ep[2];
	char err[CHAN_ERRLEN];
	if (chan_start_check(st, err) < 0) {
		snprintf(c->why, sizeof(c->why), "%s", err);
		return -1;
	}
	if (pipe2(dp, O_CLOEXEC) < 0) {
		snprintf(c->why, sizeof(c->why), "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(c->why, sizeof(c->why), "pipe: %s", strerror(errno));
		close(dp[0]), close(dp[1]);
		return -1;
	}
	/* The description fits the pipe: written before the child reads it. */
	int rc = chan_send_start(dp[1], st, err);
	close(dp[1]);
	fflush(NULL);
	pid_t pid = rc < 0 ? -1 : fork();
	if (pid == 0)
		exec_chan(s, c->is_switch, dp[0], ep[1], fds, st->nfds);
	close(dp[0]);
	close(ep[1]);
	if (pid < 0) {
		snprintf(c->why, sizeof(c->why), "%s", rc < 0 ? err : strerror(errno));
		close(ep[0]);
		return -1;
	}
	c->pid = pid;
	c->err.fd = ep[0];
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static void audit_start(struct super *s, struct chan_proc *c, const char *what)
{
	char subject[SYSDEF_NAME_MAX + 8], reason[256];
	snprintf(subject, sizeof(subject), "%s:%s", c->is_switch ? "net" : "diode", c->name);
	if (c->failed) {
		super_say("%s %s: not started: %s", c->is_switch ? "net" : "diode", c->name, c->why);
		super_audit(s, subject, c->label, c->is_switch ? "switch" : "relay", c->label, "start",
			    "refused", c->why);
		return;
	}
	snprintf(reason, sizeof(reason), "pid %d, uid %u, %s", (int)c->pid,
		 (unsigned)(CHAN_UID_BASE + (unsigned)(c - s->chans.proc)), what);
	super_say("%s %s (%s): %s started, pid %d", c->is_switch ? "net" : "diode", c->name,
		  c->label, c->is_switch ? "switch" : "relay", (int)c->pid);
	super_audit(s, subject, c->label, c->is_switch ? "switch" : "relay", c->label, "start",
		    "start", reason);
}

/* --- a net ------------------------------------------------------------------------ */

static void start_net(struct super *s, unsigned ni)
{
	const struct sysdef_net *net = sysdef_net(s->sys, ni);
	struct chan_proc *c = &s->chans.proc[s->chans.nprocs++];
	struct chan_start st;
	int fds[CHAN_MAX_FDS];
	char ports[160] = "ports:";
	memset(&st, 0, sizeof(st));
	c->name = net->name;
	c->is_switch = true;
	if (label_format(s->lat, &net->label, c->label, sizeof(c->label)) < 0)
		snprintf(c->label, sizeof(c->label), "?");
	snprintf(c->err.prefix, sizeof(c->err.prefix), "net %s", net->name);
	c->err.fd = -1;
	st.version = CHAN_PROTO_VERSION;
	st.kind = CHAN_SWITCH;
	st.uid = CHAN_UID_BASE + (uint32_t)(c - s->chans.proc);
	snprintf(st.name, sizeof(st.name), "%s", net->name);
	for (unsigned v = 0; v < s->nvms; v++) {
		const struct sysdef_vm *vm = s->vms[v].def;
		for (unsigned i = 0; i < vm->nnics; i++) {
			int sv[2];
			if (vm->nic[i].net != net)
				continue;
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
				snprintf(c->why, sizeof(c->why), "socketpair: %s", strerror(errno));
				c->failed = true;
				goto out;
			}
			fds[st.nfds] = sv[0];
			s->chans.end[v][i] = sv[1];
			memcpy(st.port[st.nfds].mac, vm->nic[i].mac, SWITCH_MAC_LEN);
			snprintf(st.port[st.nfds++].vm, SYSDEF_NAME_MAX, "%s", vm->name);
			size_t used = strlen(ports);
			snprintf(ports + used, sizeof(ports) - used, " %s", vm->name);
		}
	}
	if (net->uplink[0]) {
		int tap = open_tap(net->uplink, c->why, sizeof(c->why));
		if (tap < 0) {
			c->failed = true;
			goto out;
		}
		fds[st.nfds] = tap;
		st.port[st.nfds++].uplink = 1;
		size_t used = strlen(ports);
		snprintf(ports + used, sizeof(ports) - used, ", uplink tap %s", net->uplink);
	}
	if (st.nfds == 0 || (st.nfds == 1 && net->uplink[0])) {
		snprintf(c->why, sizeof(c->why), "no vm joins it");
		c->failed = true;
	} else if (spawn_chan(s, c, &st, fds) < 0) {
		c->failed = true;
	}
out:
	for (unsigned i = 0; i < st.nfds; i++)
		close(fds[i]);
	audit_start(s, c, ports);
}

/* --- a diode ------------------------------------------------------------------------ */

/* The NIC of vm on diode d (there is exactly one: the parser checked). */
static unsigned nic_index(const struct sysdef_vm *vm, const struct sysdef_diode *d)
{
	for (unsigned i = 0; i < vm->nnics; i++)
		if (vm->nic[i].diode == d)
			return i;
	return 0;
}

static int packet_pipe(int p[2], char *why, size_t whylen)
{
	if (pipe2(p, O_CLOEXEC | O_DIRECT) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	(void)fcntl(p[1], F_SETPIPE_SZ, DIODE_PIPE_BYTES); /* a smaller one still works */
	return 0;
}

static void start_diode(struct super *s, unsigned di)
{
	const struct sysdef_diode *d = sysdef_diode(s->sys, di);
	struct chan_proc *c = &s->chans.proc[s->chans.nprocs++];
	unsigned from = (unsigned)(d->from - sysdef_vm(s->sys, 0));
	unsigned to = (unsigned)(d->to - sysdef_vm(s->sys, 0));
	int a[2] = { -1, -1 }, b[2] = { -1, -1 };
	struct chan_start st;
	memset(&st, 0, sizeof(st));
	c->name = d->name;
	snprintf(c->label, sizeof(c->label), "%s -> %s", vm_label(s, d->from), vm_label(s, d->to));
	snprintf(c->err.prefix, sizeof(c->err.prefix), "diode %s", d->name);
	c->err.fd = -1;
	st.version = CHAN_PROTO_VERSION;
	st.kind = CHAN_RELAY;
	st.uid = CHAN_UID_BASE + (uint32_t)(c - s->chans.proc);
	st.nfds = 2;
	snprintf(st.name, sizeof(st.name), "%s", d->name);
	if (packet_pipe(a, c->why, sizeof(c->why)) < 0 || packet_pipe(b, c->why, sizeof(c->why)) < 0) {
		c->failed = true;
	} else {
		int fds[2] = { a[0], b[1] };
		c->failed = spawn_chan(s, c, &st, fds) < 0;
		s->chans.end[from][nic_index(d->from, d)] = a[1];
		s->chans.end[to][nic_index(d->to, d)] = b[0];
		a[1] = b[0] = -1;
	}
	for (int i = 0; i < 2; i++) {
		close_fd(&a[i]);
		close_fd(&b[i]);
	}
	char what[2 * SYSDEF_NAME_MAX + 16];
	snprintf(what, sizeof(what), "from %s to %s", d->from->name, d->to->name);
	audit_start(s, c, what);
}

void chans_start(struct super *s)
{
	for (unsigned v = 0; v < SYSDEF_MAX_VMS; v++)
		for (unsigned i = 0; i < VM_MAX_NICS; i++)
			s->chans.end[v][i] = -1;
	for (unsigned i = 0; i < sysdef_net_count(s->sys); i++)
		start_net(s, i);
	for (unsigned i = 0; i < sysdef_diode_count(s->sys); i++)
		start_diode(s, i);
}

/* --- a VM's NICs --------------------------------------------------------------------- */

static struct chan_proc *proc_named(struct super *s, const char *name, bool is_switch)
{
	for (unsigned i = 0; i < s->chans.nprocs; i++)
		if (s->chans.proc[i].is_switch == is_switch && !strcmp(s->chans.proc[i].name, name))
			return &s->chans.proc[i];
	return NULL;
}

/* The reference monitor's decision about one NIC, audited whatever it is. */
static int decide_nic(struct super *s, struct vmrec *v, const struct sysdef_nic *nic, char *err)
{
	const struct sysdef_vm *vm = v->def;
	char object[SYSDEF_NAME_MAX + 8], detail[SYSDEF_NAME_MAX + 16], why[AUDIT_ERRLEN] = "";
	struct decision d;
	if (nic->kind == SYSDEF_NIC_NET) {
		snprintf(object, sizeof(object), "net:%s", nic->net->name);
		d = refmon_decide(s->lat, &s->pol, vm->name, &vm->label, object, &nic->net->label,
				  ACCESS_READ_WRITE);
		if (refmon_record(s->audit, s->lat, vm->name, &vm->label, object, &nic->net->label,
				  ACCESS_READ_WRITE, d, NULL, why) < 0)
			d = (struct decision){ false, REFMON_R_AUDIT_FAILED };
		if (!d.allow)
			super_err(err, "net %s (%s) read-write: denied: %s%s%s", nic->net->name,
				  nic->net->label_text, d.reason, why[0] ? ": " : "", why);
		return d.allow ? 0 : -1;
	}
	if (nic->diode->from != vm)
		return 0; /* the receiving end: the flow is decided at the sending end */
	const struct sysdef_vm *to = nic->diode->to;
	snprintf(object, sizeof(object), "diode:%s", nic->diode->name);
	snprintf(detail, sizeof(detail), "to vm %s", to->name);
	d = refmon_decide_diode(s->lat, &s->pol, &vm->label, &to->label);
	if (refmon_record(s->audit, s->lat, vm->name, &vm->label, object, &to->label, ACCESS_TRANSFER,
			  d, detail, why) < 0)
		d = (struct decision){ false, REFMON_R_AUDIT_FAILED };
	if (!d.allow)
		super_err(err, "diode %s (to %s, %s) transfer: denied: %s%s%s", nic->diode->name,
			  to->name, vm_label(s, to), d.reason, why[0] ? ": " : "", why);
	return d.allow ? 0 : -1;
}

int chans_grant(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	const struct sysdef_vm *vm = v->def;
	unsigned vi = (unsigned)(v - s->vms);
	for (unsigned i = 0; i < vm->nnics; i++) {
		const struct sysdef_nic *nic = &vm->nic[i];
		bool is_net = nic->kind == SYSDEF_NIC_NET;
		const char *name = is_net ? nic->net->name : nic->diode->name;
		if (decide_nic(s, v, nic, err) < 0)
			return -1;
		struct chan_proc *c = proc_named(s, name, is_net);
		if (!c || c->failed || s->chans.end[vi][i] < 0) {
			super_err(err, "%s %s: its %s is not running%s%s", is_net ? "net" : "diode", name,
				  is_net ? "switch" : "relay", c && c->why[0] ? ": " : "",
				  c ? c->why : "");
			return -1;
		}
		struct granted_nic *gn = &g->nics[g->nnics++];
		gn->fd = s->chans.end[vi][i];
		s->chans.end[vi][i] = -1;
		gn->link = is_net ? VM_NIC_PORT : nic->diode->from == vm ? VM_NIC_DIODE_TX : VM_NIC_DIODE_RX;
		memcpy(gn->mac, nic->mac, VM_MAC_LEN);
		gn->name = name;
	}
	return 0;
}

void chans_close_vm(struct super *s, struct vmrec *v)
{
	unsigned vi = (unsigned)(v - s->vms);
	for (unsigned i = 0; i < VM_MAX_NICS; i++)
		close_fd(&s->chans.end[vi][i]);
}

/* --- their ends ------------------------------------------------------------------------- */

bool chans_reaped(struct super *s, pid_t pid, int status)
{
	struct chan_proc *c = NULL;
	for (unsigned i = 0; i < s->chans.nprocs && !c; i++)
		if (s->chans.proc[i].pid == pid)
			c = &s->chans.proc[i];
	if (!c)
		return false;
	if (c->err.fd >= 0)
		errstream_forward(&c->err);
	const char *decision = "exit";
	if (WIFEXITED(status)) {
		snprintf(c->why, sizeof(c->why), "exited with status %d", WEXITSTATUS(status));
		c->unclean = WEXITSTATUS(status) != 0;
	} else {
		/* Our SIGKILL after the last VM is the only signal it is meant to get. */
		c->unclean = !(s->chans.kill_at_ns && WTERMSIG(status) == SIGKILL);
		int sig = WTERMSIG(status);
		decision = "killed";
		snprintf(c->why, sizeof(c->why), "killed by signal %d (%s)%s", sig, strsignal(sig),
			 sig == SIGSYS ? ": the sandbox stopped a forbidden system call" : "");
	}
	c->pid = 0;
	char subject[SYSDEF_NAME_MAX + 8];
	snprintf(subject, sizeof(subject), "%s:%s", c->is_switch ? "net" : "diode", c->name);
	super_say("%s %s: %s %s", c->is_switch ? "net" : "diode", c->name,
		  c->is_switch ? "switch" : "relay", c->why);
	super_audit(s, subject, c->label, c->is_switch ? "switch" : "relay", c->label, "exit",
		    decision, c->why);
	return true;
}

bool chans_all_clean(const struct super *s)
{
	for (unsigned i = 0; i < s->chans.nprocs; i++)
		if (s->chans.proc[i].unclean)
			return false;
	return true;
}

bool chans_running(const struct super *s)
{
	for (unsigned i = 0; i < s->chans.nprocs; i++)
		if (s->chans.proc[i].pid > 0)
			return true;
	return false;
}

int chans_wind_down(struct super *s)
{
	uint64_t now = host_monotonic_ns();
	if (!chans_running(s))
		return -1;
	if (!s->chans.kill_at_ns) {
		/* Their VMs are gone, so they end by themselves (their ports
		 * hang up); this is for one that does not. */
		s->chans.kill_at_ns = now + WIND_DOWN_NS;
		return (int)(WIND_DOWN_NS / 1000000u);
	}
	if (now < s->chans.kill_at_ns)
		return (int)((s->chans.kill_at_ns - now) / 1000000u) + 1;
	for (unsigned i = 0; i < s->chans.nprocs; i++)
		if (s->chans.proc[i].pid > 0)
			kill(s->chans.proc[i].pid, SIGKILL);
	return 100;
}

unsigned chans_err_streams(struct super *s, struct errstream **out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->chans.nprocs && n < max; i++)
		if (s->chans.proc[i].err.fd >= 0)
			out[n++] = &s->chans.proc[i].err;
	return n;
}
