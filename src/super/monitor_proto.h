/*
 * What passes between the supervisor and a monitor (super_spawn.c sends,
 * monitor.c receives), on the SOCK_SEQPACKET socket at MONITOR_SOCK_FD:
 *
 *   1. one JSON object describing the VM, with SCM_RIGHTS descriptors:
 *        {"vm":NAME,"label":LABEL,"memory":BYTES,"append":STR,
 *         "uid":UID,"kernel":PATH,["initrd":PATH,]"serial":BOOL,
 *         "disks":[{"name":NAME,"ro":BOOL,"luks":BOOL},...]}
 *      descriptors: kernel, initrd (when present), console log (when
 *      serial is true), then one per disk, in that order.  Paths and names
 *      are for messages only: the monitor opens nothing.
 *   2. for each disk with "luks":true, in order, one message holding a
 *      struct luks_key (disk/luks.h) -- the same binary on both ends, as
 *      the monitor is an exec of the supervisor's own executable.
 *
 * Then the supervisor hangs up.
 */
#ifndef CORDON_SUPER_MONITOR_PROTO_H
#define CORDON_SUPER_MONITOR_PROTO_H

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
#define MONITOR_MAX_FDS (3 + VM_MAX_DISKS)
#define MONITOR_MSG_MAX 65536

#endif
