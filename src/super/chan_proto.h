/*
 * The supervisor <-> channel-process protocol: what `cordon up`
 * (super_chan.c) tells the processes that carry frames between VMs, and
 * what they (cli/chan.c) read.  Both ends call only the functions below.
 *
 *   cordon switch   one per net: a learning switch between the net's
 *                   ports (net/switch.h)
 *   cordon relay    one per diode: drains the sender's pipe into the
 *                   receiver's, dropping what the receiver does not take
 *                   (net/relay.h)
 *
 * Like a monitor, a channel process is a fresh exec of cordon with
 * exactly these descriptors:
 *
 *   0, 1        /dev/null
 *   2           a pipe back to the supervisor (its messages)
 *   3           CHAN_DESC_FD: a pipe holding one struct chan_start
 *   4 ..        CHAN_FIRST_FD: the descriptors it serves, in order --
 *               a switch's ports (a socket per VM, the uplink's tap
 *               device), a relay's sender end (the read end of the
 *               sender's pipe) then its receiver end (the write end of the
 *               receiver's pipe)
 *
 * The description is a fixed binary struct (both ends are the same
 * executable), checked by chan_start_check on both ends: the supervisor
 * cannot send one the process would refuse.  Its descriptors are found,
 * not received: the process checks that exactly nfds of them are open
 * from CHAN_FIRST_FD on, and nothing above.
 */
#ifndef CORDON_SUPER_CHAN_PROTO_H
#define CORDON_SUPER_CHAN_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "net/switch.h"
#include "sec/sysdef.h"
#include "super/monitor_proto.h"

#define CHAN_DESC_FD 3
#define CHAN_FIRST_FD 4
#define CHAN_PROTO_VERSION 1
#define CHAN_ERRLEN 256
#define CHAN_MAX_FDS SWITCH_MAX_PORTS

/*
 * Each channel process runs under a uid and gid of its own, above the
 * monitors' (monitor_proto.h): CHAN_UID_BASE + n for the n-th channel of
 * the system file, the nets' switches first, then the diodes' relays.
 */
#define CHAN_UID_BASE (MONITOR_UID_BASE + SYSDEF_MAX_VMS)
#define CHAN_UID_END (CHAN_UID_BASE + SYSDEF_MAX_NETS + SYSDEF_MAX_DIODES)

enum chan_kind { CHAN_SWITCH = 1, CHAN_RELAY = 2 };

struct chan_port {
	uint8_t mac[SWITCH_MAC_LEN]; /* switch: a VM port's MAC */
	uint8_t uplink;              /* switch: 1 for the tap device */
	char vm[SYSDEF_NAME_MAX];    /* switch: the port's VM ("" for the uplink); messages only */
};

struct chan_start {
	uint32_t version;            /* CHAN_PROTO_VERSION */
	uint32_t kind;               /* enum chan_kind */
	uint32_t uid;                /* to run as: CHAN_UID_BASE .. CHAN_UID_END - 1 */
	uint32_t nfds;               /* switch: its ports (1..CHAN_MAX_FDS); relay: 2 */
	char name[SYSDEF_NAME_MAX];  /* the net's or diode's name, for messages */
	struct chan_port port[CHAN_MAX_FDS];
};

/* 0, or -1 with err (CHAN_ERRLEN bytes) naming the rule st breaks. */
int chan_start_check(const struct chan_start *st, char *err);
/* Supervisor: writes st to fd (the pipe that becomes CHAN_DESC_FD). */
int chan_send_start(int fd, const struct chan_start *st, char *err);
/* Channel process: reads st from CHAN_DESC_FD and checks it, and that
 * descriptors CHAN_FIRST_FD .. + nfds - 1 are open and no higher one is. */
int chan_recv_start(struct chan_start *st, char *err);

#endif
