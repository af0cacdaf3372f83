/*
 * The supervisor's private state, shared by its files:
 *
 *   super.c          startup, the state directory, the event loop, shutdown
 *   super_grant.c    what the policy gives one VM: decisions and open files
 *   super_spawn.c    starting a monitor process and watching it end
 *   super_control.c  the control socket: listening, and the commands
 *   control_conn.c   the control socket's connections, served non-blocking
 *   super_chan.c     nets and diodes: their switch and relay processes,
 *                    and the decisions about each VM's NICs
 *   super_guard.c    the transfer guards: starting them, their links
 *   super_transfer.c the transfers: spools, decisions, delivery, expiry
 *   super_review.c   the operator's review: transfer list/show/approve/deny
 *
 * Everything here runs in the supervisor: trusted, unsandboxed, the only
 * process that opens host files.  Like src/sec, it calls the OS itself.
 */
#ifndef CORDON_SUPER_SUPER_INTERNAL_H
#define CORDON_SUPER_SUPER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

#include "disk/luks.h"
#include "host/secret.h"
#include "sec/audit.h"
#include "sec/refmon.h"
#include "sec/sysdef.h"
#include "super/control_proto.h"
#include "super/super.h"
#include "vm/vm.h"

enum vm_state {
	VMS_REFUSED,  /* the policy or a host file stopped it before it started */
	VMS_RUNNING,  /* a monitor process exists */
	VMS_EXITED,   /* its monitor has ended */
};

/* One disk or media image handed to a monitor. */
struct granted_disk {
	const char *name;     /* the image's name in the system file */
	int fd;
	bool read_only;
	bool luks;
	struct luks_key *key; /* luks: the volume key, in keymem (locked, not dumped) */
	struct secret keymem;
};

/* A NIC handed to a monitor: its end of a switch port or of a diode. */
struct granted_nic {
	int fd;
	enum vm_nic_link link;
	uint8_t mac[VM_MAC_LEN];
	const char *name;     /* the net's or diode's name in the system file */
};

/* Every descriptor one monitor gets, opened by the supervisor. */
struct grant {
	int kernel_fd, initrd_fd, serial_fd; /* -1 when absent */
	unsigned ndisks;
	struct granted_disk disks[VM_MAX_VIRTIO_DISKS];
	uint64_t largest_image;  /* bytes: the monitor's RLIMIT_FSIZE starts here */
	uint64_t serial_quota;   /* the console log's, when serial_fd >= 0 */
	unsigned nnics;
	struct granted_nic nics[VM_MAX_NICS];
	int transfer_fd;         /* its end of the transfer port, or -1 */
	int console_fd;          /* the monitor's end of its operator console, or -1 */
};

/* A child's stderr pipe, shown on ours line by line (super_spawn.c). */
struct errstream {
	int fd;               /* the read end; -1 once it is closed */
	char prefix[48];      /* "vm NAME", "net NAME", ... before each line */
	char buf[512];        /* a partial line */
	size_t len;
	size_t forwarded;     /* bytes shown so far (capped) */
};

/* A guard's record holds a struct errstream: included here, after it. */
#include "super/super_transfer.h"

struct vmrec {
	const struct sysdef_vm *def;
	char label[LABEL_TEXT_MAX];
	enum vm_state state;
	pid_t pid;
	uid_t uid;             /* its monitor's uid and gid (monitor_proto.h) */
	int ctl_fd;            /* our end of the monitor's socketpair */
	struct errstream err;  /* the monitor's stderr */
	bool stop_requested;   /* cordon stop / down: SIGPWR or SIGTERM sent */
	const char *stop_why;  /* its outcome when so stopped; NULL: "stopped by the operator" */
	uint64_t kill_at_ns;   /* SIGKILL if still alive then (0: not armed) */
	int exit_status;       /* the monitor's (enum monitor_exit), 128 + a signal, 0 if stopped */
	char outcome[160];     /* "powered off", "killed by SIGSYS (...)", ... */
	struct guardrec guard; /* "transfer on": its guard (super_guard.c) */
	int console_fd;        /* our end of its operator console (super_console.c), or -1 */
	struct control_conn *operator; /* the attached `cordon console`, or NULL */
};

/* --- control connections (control_conn.c) --- */

#define CONTROL_MAX_CONNS 16
#define CONTROL_DEADLINE_NS (1000000000ull)         /* a whole request; a reply */
#define CONTROL_REFUSED_BURST 10                    /* audited refusals per window */
#define CONTROL_REFUSED_WINDOW_NS (60ull * 1000000000ull)

struct super;
struct control_conn;

/* A command that keeps its connection after the reply (see control_conn.c). */
struct control_session {
	/* The connection's poll events (c->session_events) happened. */
	void (*ready)(struct super *s, struct control_conn *c, short revents);
	/* The connection is being closed: release what the session holds. */
	void (*end)(struct super *s, struct control_conn *c);
};

enum conn_state { CONN_FREE, CONN_READING, CONN_WRITING, CONN_SESSION };

struct control_conn {
	enum conn_state state;
	int fd;
	uid_t uid;
	pid_t pid;             /* the client's, when it connected (SO_PEERCRED) */
	char who[64];          /* "operator uid N": the audit records' subject */
	uint64_t deadline_ns;  /* monotonic; 0 in a session without one */
	int poll_index;        /* in this turn's pollfd array, or -1 */
	size_t inlen;
	char in[CONTROL_REQUEST_MAX];
	char *out;             /* the reply (CONTROL_REPLY_MAX bytes) */
	size_t outlen, outoff;
	int pass_fd;           /* sent with the reply's first byte, then closed; -1 none */
	const struct control_session *session; /* set by a session command's handler */
	void *session_ctx;
	short session_events;  /* what to poll for in the session */
};

/* A net's switch or a diode's relay (super_chan.c). */
struct chan_proc {
	const char *name;      /* the net's or diode's */
	bool is_switch;
	char label[LABEL_TEXT_MAX];   /* the net's label, or "FROM -> TO" for a diode */
	pid_t pid;             /* 0 when it is not running */
	bool failed;           /* could not be started: its VMs are refused */
	bool unclean;          /* ended with a failure or a signal not ours */
	char why[256];         /* why, or how it ended */
	struct errstream err;
};

/* Every channel, and each VM's ends of them until its monitor gets them. */
struct chan_state {
	unsigned nprocs;
	struct chan_proc proc[SYSDEF_MAX_NETS + SYSDEF_MAX_DIODES];
	int end[SYSDEF_MAX_VMS][VM_MAX_NICS]; /* -1 once handed over or closed */
	uint64_t kill_at_ns;   /* after the last VM: SIGKILL for stragglers then */
};

struct super {
	struct sysdef *sys;
	const struct lattice *lat;
	struct refmon_policy pol;
	const char *state_dir;
	struct audit_log *audit;
	int listen_fd;    /* control socket */
	struct control_conn conns[CONTROL_MAX_CONNS];
	uint64_t refused_window_start; /* refused connections: rate of audit records */
	unsigned refused_in_window, refused_suppressed;
	int signal_fd;    /* SIGCHLD, SIGINT, SIGTERM, SIGHUP */
	int devnull;
	unsigned nvms;
	struct vmrec vms[SYSDEF_MAX_VMS];
	bool shutting_down;
	bool audit_broken; /* a record could not be written: stop everything */
	uint64_t log_space_promised; /* bytes the console logs may still grow by */
	struct chan_state chans;
	struct xfer_store xfers; /* transfers held or waiting (super_transfer.c) */
};

/* super.c */
/* Formats a one-line error into err (SUPER_ERRLEN bytes).  A message longer
 * than that is cut short, which is what an error line wants. */
void super_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One audit record; on failure says so on stderr and starts a shutdown
 * (an unaudited supervisor must not go on).  Empty strings for no label. */
void super_audit(struct super *s, const char *subject, const char *subject_label,
		 const char *object, const char *object_label, const char *mode,
		 const char *decision, const char *reason);
/* Formats a path into out (len bytes): 0, or -1 when it does not fit. */
int super_path(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void super_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void super_begin_shutdown(struct super *s, const char *why);
/* An audit record could not be written (why): says so on stderr, marks
 * every running VM's outcome as stopped for that reason, and shuts down
 * (an unaudited supervisor must not go on). */
void super_audit_failed(struct super *s, const char *why);
/* Reads pending signals (SIGINT/SIGTERM begin a shutdown; SIGCHLD reaps)
 * without waiting: for long steps of start-up. */
void super_check_signals(struct super *s);

/* super_grant.c */
/* Decides every attachment of v's VM and opens what it may have.  -1 with
 * err when the VM must not start (everything opened is closed again). */
int grant_for_vm(struct super *s, struct vmrec *v, struct grant *g, char *err);
void grant_release(struct grant *g); /* closes fds, wipes keys */
/* The per-label directory name for a label text ("SECRET:NATO/LOW" ->
 * "SECRET.NATO@LOW"); names never hold '.', '+' or '@'. */
void grant_label_dir_name(const char *label, char *out, size_t len);
/* mkdir 0700, or an existing directory of ours with mode 0700. */
int grant_private_dir(const char *path, char *err);
/* The "label" file in a label directory names the label of everything in
 * it; one that names another label means the directory is not ours. */
int grant_dir_label(const char *dir, const char *label, char *err);

/* super_spawn.c */
/* Starts v's monitor with g's descriptors; g is released either way. */
int spawn_monitor(struct super *s, struct vmrec *v, struct grant *g, char *err);
/* Reaps ended monitors, reports and audits each. */
void reap_monitors(struct super *s);
/* Shows what a child wrote to its stderr (e->fd readable) line by line,
 * each after e->prefix and with control characters replaced, up to a cap;
 * closes e->fd at its end. */
void errstream_forward(struct errstream *e);
/* In a child of fork: becomes `cordon CMD` with 0, 1 on /dev/null, 2 on
 * errpipe and 3 on sock, its address space limited to *as.  Does not
 * return. */
struct rlimit;
_Noreturn void spawn_exec_child(struct super *s, const struct rlimit *as, int sock, int errpipe,
				char *cmd, char *const envp[]);
/* SIGTERM now, SIGKILL after a grace period (see super.c's loop); it
 * overrides an earlier, longer stop_monitor_after. */
void stop_monitor(struct super *s, struct vmrec *v);
/* SIGPWR (the power button) now, SIGKILL after grace_ns (cordon stop
 * --timeout), or sooner if an earlier request asked for sooner. */
void stop_monitor_after(struct super *s, struct vmrec *v, uint64_t grace_ns);
#define STOP_TIMEOUT_MAX 3600
const char *vm_state_name(enum vm_state st);

/* super_chan.c */
/* Starts every net's switch and every diode's relay, before any VM; one
 * that cannot be started is reported and audited, and refuses its VMs. */
void chans_start(struct super *s);
/* Decides each of v's NICs (audited, every one) and moves its ends into
 * g.  -1 with err when the VM must not start. */
int chans_grant(struct super *s, struct vmrec *v, struct grant *g, char *err);
/* Closes v's ends that were not handed over (the VM did not start). */
void chans_close_vm(struct super *s, struct vmrec *v);
/* A reaped pid: true when it was a channel process (reported, audited). */
bool chans_reaped(struct super *s, pid_t pid, int status);
bool chans_running(const struct super *s);
/* No channel process ended with a failure status or a signal other than our wind-down SIGKILL. */
bool chans_all_clean(const struct super *s);
/* Once no VM runs: what still runs a moment later (its ports hung up) gets SIGKILL.
 * Returns the poll timeout until then in ms (-1: none). */
int chans_wind_down(struct super *s);
/* Their stderr pipes to poll (at most max), and the streams behind them. */
unsigned chans_err_streams(struct super *s, struct errstream **out, unsigned max);

/* super_console.c */
/* The operator console's socketpair for a VM with a console log: v keeps
 * one end, g gets the other.  0, or -1 with err. */
int console_grant(struct super *s, struct vmrec *v, struct grant *g, char *err);
/* A console request: the reply line into out (its length), the
 * connection now a session; or -1 with err (the refusal's message). */
long console_attach(struct super *s, struct control_conn *c, struct vmrec *v, char *out,
		    char *err);
/* The attached VMs' console sockets to poll (owner[i] for p[i]), and
 * what to do when they are ready. */
unsigned console_poll_fill(struct super *s, struct pollfd *p, struct vmrec **owner);
void console_poll_ready(struct super *s, const struct pollfd *p, struct vmrec *const *owner,
			unsigned n);
/* v's monitor is gone (or never started): the session ends, the socket closes. */
void console_vm_ended(struct super *s, struct vmrec *v);

/* super_control.c */
int control_listen(struct super *s, char *err);
void control_close(struct super *s); /* the listening socket and every connection */
/* Answers one request line (len bytes, no newline) from c: the reply line
 * into out (CONTROL_REPLY_MAX bytes), its length. */
size_t control_dispatch(struct super *s, struct control_conn *c, const char *line, size_t len,
			char *out);

/* control_conn.c */
void control_conns_init(struct super *s);
void control_conns_close(struct super *s);
void control_conn_close(struct super *s, struct control_conn *c);
/* Writes the record of refusals not yet recorded one by one. */
void control_refusals_flush(struct super *s);
/* The loop's turn: fill p (1 + CONTROL_MAX_CONNS entries at most) with the
 * listening socket and the connections; after poll, serve what is ready
 * and expire what is overdue; the ms until the next deadline (-1: none). */
unsigned control_poll_fill(struct super *s, struct pollfd *p);
void control_poll_ready(struct super *s, const struct pollfd *p, unsigned n);
int control_timeout_ms(const struct super *s);

#endif
