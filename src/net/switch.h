/*
 * The core of a net's switch: a learning Ethernet switch with bounded
 * per-port queues, as pure code (no I/O, time passed in) so unit tests and
 * the fuzzer drive it directly.  The switch process (net/switch_proc.c)
 * moves frames between its ports' descriptors and this core.
 *
 * Every frame that enters is checked before anything else looks at it:
 *
 *   - its size: SWITCH_MIN_FRAME (an Ethernet header) to SWITCH_MAX_FRAME
 *     (1514 + one VLAN tag), else dropped (in_bad_size);
 *   - its source MAC: on a VM's port exactly the MAC the supervisor fixed
 *     for it; on an uplink any unicast address except a VM port's (the
 *     host side may not pose as a VM); a multicast source is never valid.
 *     Anything else is dropped (in_spoofed).
 *
 * Then the source is learned (MAC -> port, refreshed on every frame,
 * forgotten SWITCH_AGE_NS after the last one; a full table replaces its
 * oldest entry) and the frame is queued: to the learned port of a unicast
 * destination, or to every other live port for a broadcast, multicast or
 * unknown destination (flooding).  A frame for the port it came from is
 * dropped (in_filtered).  A full queue drops the frame for that port only
 * (out_dropped): a slow port never holds up the others, and nothing here
 * ever waits.
 */
#ifndef CORDON_NET_SWITCH_H
#define CORDON_NET_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWITCH_MAX_PORTS 17          /* one per VM (at most 16) and an uplink */
#define SWITCH_MIN_FRAME 14
#define SWITCH_MAX_FRAME 1518
#define SWITCH_QUEUE_FRAMES 128      /* per port, unless the config says otherwise */
#define SWITCH_TABLE_ENTRIES 256     /* learned MACs */
#define SWITCH_AGE_NS (300ull * 1000000000ull)
#define SWITCH_MAC_LEN 6

struct switch_port_config {
	uint8_t mac[SWITCH_MAC_LEN]; /* a VM port's only valid source */
	bool uplink;                 /* a host tap device: any unicast source but a VM's */
};

struct switch_config {
	unsigned nports;             /* 1 .. SWITCH_MAX_PORTS */
	struct switch_port_config port[SWITCH_MAX_PORTS];
	unsigned queue_frames;       /* 0: SWITCH_QUEUE_FRAMES */
	uint64_t age_ns;             /* 0: SWITCH_AGE_NS */
};

struct switch_port_stats {
	uint64_t in_frames;     /* accepted from the port */
	uint64_t in_bad_size;   /* dropped: shorter than 14 or longer than 1518 bytes */
	uint64_t in_spoofed;    /* dropped: a source MAC the port may not use */
	uint64_t in_filtered;   /* dropped: addressed to the port it came from */
	uint64_t out_queued;    /* queued for the port */
	uint64_t out_dropped;   /* not queued: the port's queue was full */
	uint64_t out_sent;      /* taken off the queue (switch_pop) */
};

struct vswitch;

/* NULL when the config is invalid (no ports, too many, a VM port with a
 * multicast MAC, two VM ports with one MAC) or memory is short. */
struct vswitch *switch_create(const struct switch_config *cfg);
void switch_destroy(struct vswitch *sw);

/*
 * One frame that arrived on port in at time now_ns (a monotonic clock).
 * Returns how many ports it was queued to (0 when it went nowhere), or -1
 * when it was dropped at the door (bad size, spoofed, port down or out of
 * range).  Never blocks; copies the frame.
 */
int switch_input(struct vswitch *sw, unsigned in, const uint8_t *frame, size_t len,
		 uint64_t now_ns);

/* The oldest frame queued for port out (valid until the next call that
 * changes that queue), or NULL when none is. */
const uint8_t *switch_peek(const struct vswitch *sw, unsigned out, size_t *len);
/* Drops the frame switch_peek returned (it was sent). */
void switch_pop(struct vswitch *sw, unsigned out);
unsigned switch_queued(const struct vswitch *sw, unsigned out);

/* The port hung up: its queue is emptied, its learned MACs forgotten, and
 * nothing is queued for it or accepted from it again. */
void switch_port_down(struct vswitch *sw, unsigned port);
bool switch_port_is_up(const struct vswitch *sw, unsigned port);

/* The port a unicast frame to mac goes to now, or -1 (not learned, or
 * aged out: it would be flooded). */
int switch_lookup(const struct vswitch *sw, const uint8_t mac[SWITCH_MAC_LEN], uint64_t now_ns);
unsigned switch_table_size(const struct vswitch *sw); /* learned entries, aged or not */

struct switch_port_stats switch_stats(const struct vswitch *sw, unsigned port);

#endif
