/*
 * The transfer-port protocol: what passes between a VM's monitor (its
 * virtio-console outbox and inbox, src/vm/xferport.c) and the VM's guard
 * (src/guard/), on one SOCK_SEQPACKET socket pair the supervisor made.
 * Both ends encode and decode only here.
 *
 * A message is one datagram: a type byte, then its payload, checked
 * against the datagram's exact length.
 *
 *   monitor -> guard
 *     OUT_OPEN                the guest opened the outbox: a stream starts
 *     OUT_DATA   bytes        1..PORT_DATA_MAX bytes the guest wrote
 *     OUT_CLOSE               the guest closed the outbox (or its driver
 *                             was reset): a stream not at an end is cut
 *     IN_OPEN    u32 gen      the guest opened the inbox; gen counts opens
 *     IN_CLOSE   u32 gen      ... and closed that open
 *     IN_TAKEN   u32 gen      the guest's buffers took every byte of
 *                             open gen up to an IN_DATA marked END
 *   guard -> monitor
 *     IN_DATA    u32 gen, u8 flags, bytes
 *                             0..PORT_DATA_MAX inbox bytes for open gen;
 *                             flags PORT_F_END marks a transfer's last
 *
 * The generation makes a closed inbox safe: bytes the guard sent for an
 * open that has ended are dropped by the monitor, never shown to the
 * next reader, and the guard starts the transfer over at the next open.
 *
 * The monitor is untrusted once its guest runs, so the guard decodes
 * everything from it as hostile; the guard is untrusted too (it parses
 * guest data), so the monitor checks its messages just the same.
 */
#ifndef CORDON_XFER_PORT_PROTO_H
#define CORDON_XFER_PORT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORT_DATA_MAX 32768u
#define PORT_HDR_MAX 6                         /* type, gen, flags */
#define PORT_MSG_MAX (PORT_DATA_MAX + PORT_HDR_MAX)
#define PORT_ERRLEN 96
#define PORT_F_END 1u

enum port_msg_type {
	PORT_OUT_OPEN = 1,
	PORT_OUT_DATA = 2,
	PORT_OUT_CLOSE = 3,
	PORT_IN_OPEN = 4,
	PORT_IN_CLOSE = 5,
	PORT_IN_TAKEN = 6,
	PORT_IN_DATA = 7,
};

struct port_msg {
	enum port_msg_type type;
	uint32_t gen;            /* IN_* */
	bool end;                /* IN_DATA */
	const uint8_t *data;     /* OUT_DATA, IN_DATA: points into the datagram */
	size_t len;
};

/* The datagram for m into buf (PORT_MSG_MAX bytes): its length, or 0 when
 * m breaks a rule decode would refuse (so nothing invalid is ever sent). */
size_t port_msg_encode(uint8_t *buf, const struct port_msg *m);
/* Parses one datagram of len bytes.  0, or -1 with err (PORT_ERRLEN). */
int port_msg_decode(const uint8_t *buf, size_t len, struct port_msg *m, char *err);
/* Which end may send each type: true for the monitor's. */
bool port_msg_from_monitor(enum port_msg_type type);

#endif
