/*
 * The supervisor <-> monitor protocol: the one definition of what passes
 * between `cordon up` (super_spawn.c sends) and `cordon monitor`
 * (cli/monitor.c receives), on the SOCK_SEQPACKET socket at
 * MONITOR_SOCK_FD.  Both ends call only the functions below; nothing
 * else knows the wire format.
 *
 * Every message is one datagram: a struct monitor_hdr (version, type,
 * payload length, checked against the bytes that arrived), then the
 * payload, at most MONITOR_MSG_MAX bytes.  A truncated datagram, a length
 * that does not match, an unknown version or type, or descriptors on a
 * message that carries none is an error that names what was wrong.
 *
 *   MONITOR_MSG_START   the VM's description (a JSON object, below) with
 *                       its granted descriptors as SCM_RIGHTS, in the
 *                       order of its "fds" list
 *   MONITOR_MSG_KEY     one per disk with "luks":true, in disk order:
 *                       the disk's index, then a struct luks_key (the
 *                       same binary on both ends: the monitor is an exec
 *                       of the supervisor's own executable)
 *
 * Then the supervisor hangs up.  The description:
 *
 *   {"vm":NAME,"label":LABEL,"memory":BYTES,"uid":UID,"fsize":BYTES,"append":TEXT,
 *    "kernel":PATH,"initrd":PATH,"fds":[{"role":ROLE,...},...]}
 *
 * "initrd" is "" when there is none.  Paths and names are for messages
 * only: the monitor opens nothing.  Each "fds" entry describes the
 * descriptor at the same place in SCM_RIGHTS; its "role" says what it is
 * (monitor_fd_role_name), and the role's table entry in monitor_proto.c
 * says how many of it a VM may have and which other keys it carries.
 * To hand monitors a new kind of descriptor, add a role there and a
 * field to struct monitor_fd if it needs one; to add a scalar, add it to
 * struct monitor_start and to start_fields in monitor_proto.c.  Unknown
 * keys are refused, so both ends always agree.
 */
#ifndef CORDON_SUPER_MONITOR_PROTO_H
#define CORDON_SUPER_MONITOR_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/luks.h"
#include "sec/label.h"
#include "sec/sysdef.h"
#include "vm/vm.h"

/*
 * Each monitor runs under a uid and gid of its own, MONITOR_UID_BASE + n
 * for the n-th VM of the system file (n < SYSDEF_MAX_VMS): not "nobody",
 * which other daemons share, and not another VM's, so even without the
 * seccomp filter one monitor could not signal or trace another.  The
 * range sits above the 524288..1879048191 that systemd leaves to
 * containers and below 2^31 (some tools treat uids as signed); no file on
 * the host should belong to it.
 */
#define MONITOR_UID_BASE 2000000000u

#define MONITOR_SOCK_FD 3
#define MONITOR_PROTO_VERSION 1
#define MONITOR_ERRLEN 256
#define MONITOR_TEXT_MAX 4096  /* bytes of a path or the command line, with the NUL */
/* The largest payload.  A description is at most three texts of
 * MONITOR_TEXT_MAX bytes, each byte escaped as \u00XX at worst, plus
 * small fields: well under this. */
#define MONITOR_MSG_MAX (128u * 1024)

enum monitor_msg_type {
	MONITOR_MSG_START = 1,
	MONITOR_MSG_KEY = 2,
};

struct monitor_hdr {
	uint16_t version; /* MONITOR_PROTO_VERSION */
	uint16_t type;    /* enum monitor_msg_type */
	uint32_t len;     /* payload bytes after this header */
};

/* What a granted descriptor is for. */
enum monitor_fd_role {
	MONITOR_FD_KERNEL,      /* exactly one */
	MONITOR_FD_INITRD,      /* one when "initrd" is not "" */
	MONITOR_FD_CONSOLE_LOG, /* at most one: the serial port's output */
	MONITOR_FD_DISK,        /* up to VM_MAX_VIRTIO_DISKS, vda first */
	MONITOR_FD_NIC,         /* up to VM_MAX_NICS, eth0 first: a switch port or a diode end */
	MONITOR_FD_TRANSFER,    /* at most one: the transfer port to its guard */
	MONITOR_FD_CONSOLE,     /* at most one: the operator's console (vm/opcon.c) */
	MONITOR_FD_ROLES
};

#define MONITOR_MAX_FDS (5 + VM_MAX_VIRTIO_DISKS + VM_MAX_NICS)

struct monitor_fd {
	enum monitor_fd_role role;
	int fd;
	char name[SYSDEF_NAME_MAX]; /* disks: the image's name; NICs: the net's or diode's */
	bool read_only, luks;       /* disks */
	uint64_t quota;             /* console-log: bytes it may grow to (sysdef serial log SIZE) */
	enum vm_nic_link link;      /* NICs: VM_NIC_PORT, _DIODE_TX or _DIODE_RX */
	uint8_t mac[VM_MAC_LEN];    /* NICs */
};

struct monitor_start {
	char vm[SYSDEF_NAME_MAX];
	char label[LABEL_TEXT_MAX];
	uint64_t memory;             /* bytes, SYSDEF_MEM_MIN..SYSDEF_MEM_MAX, 4 KiB multiple */
	uint32_t uid;                /* MONITOR_UID_BASE .. + SYSDEF_MAX_VMS - 1 */
	uint64_t fsize_limit;        /* RLIMIT_FSIZE the monitor sets before its guest runs */
	char append[MONITOR_TEXT_MAX];
	char kernel[MONITOR_TEXT_MAX];
	char initrd[MONITOR_TEXT_MAX]; /* "" when none */
	unsigned nfds;
	struct monitor_fd fds[MONITOR_MAX_FDS];
};

/* "kernel", "initrd", "console-log", "disk", "nic", "transfer", "console". */
const char *monitor_fd_role_name(enum monitor_fd_role role);

/*
 * Sets st to an empty description: every descriptor -1, no fds.  Then
 * monitor_start_set_text copies a text field with a length check, and
 * monitor_start_add_fd appends a descriptor (NULL when all
 * MONITOR_MAX_FDS are taken).  Text fields: 0, or -1 when src does not
 * fit (err names the field).
 */
void monitor_start_init(struct monitor_start *st);
int monitor_start_set_text(char *dst, size_t cap, const char *field, const char *src, char *err);
struct monitor_fd *monitor_start_add_fd(struct monitor_start *st, enum monitor_fd_role role, int fd);
/* The n-th descriptor (from 0) of a role, or NULL. */
const struct monitor_fd *monitor_start_fd(const struct monitor_start *st,
					  enum monitor_fd_role role, unsigned n);
/* Closes every descriptor st holds (>= 0) and sets them to -1. */
void monitor_start_close_fds(struct monitor_start *st);

/*
 * The description as the payload text (no header, no NUL) into buf (cap
 * bytes): its length, or -1 with err when st breaks a rule the decoder
 * checks or the text would not fit.
 */
long monitor_start_encode(const struct monitor_start *st, char *buf, size_t cap, char *err);
/*
 * Parses and checks a payload; the nfds descriptors received with it are
 * given to the "fds" entries in order.  0, or -1 with err; on failure st
 * holds no descriptor (the caller still owns and closes fds).
 */
int monitor_start_decode(const char *buf, size_t len, const int *fds, unsigned nfds,
			 struct monitor_start *st, char *err);

/* Supervisor: sends the description with st's descriptors (which stay
 * open: the caller closes them), and one disk's volume key. */
int monitor_send_start(int sock, const struct monitor_start *st, char *err);
int monitor_send_key(int sock, unsigned disk, const struct luks_key *key, char *err);
/* Monitor: receives the description (st then owns the descriptors that
 * came with it; on failure every one is closed), and the key of disk
 * number disk into key (locked memory the caller provides). */
int monitor_recv_start(int sock, struct monitor_start *st, char *err);
int monitor_recv_key(int sock, unsigned disk, struct luks_key *key, char *err);

/*
 * The monitor's exit status, the protocol's last word (the supervisor
 * has hung up by then).  Even statuses are the monitor's own; an odd one
 * is always the guest's debug-exit value v, as (v << 1) | 1 modulo 256.
 * cordon run's codes would not do: there a guest writing 0, 1 or 63 to
 * port 0xf4 exits with 1, 3 or 127 -- an error, a triple fault, an exec
 * that failed -- and a supervised guest could have its own end audited
 * as something its monitor did.
 */
enum monitor_exit {
	MONITOR_EXIT_DOWN = 0,          /* the guest powered off or reset */
	MONITOR_EXIT_FAILED = 2,        /* the monitor failed; its stderr says why */
	MONITOR_EXIT_TRIPLE_FAULT = 4,  /* the vCPU triple-faulted */
	MONITOR_EXIT_NOT_STARTED = 126, /* the supervisor's child could not exec it */
};
/* The monitor's side: its status for the way its VM stopped (debug_value
 * is the byte written to port 0xf4 for STOP_DEBUG_EXIT). */
int monitor_exit_status(enum stop_reason why, int debug_value);
/* The supervisor's side: what an exit status says, in words, into out. */
void monitor_exit_words(int status, char *out, size_t len);

#endif
