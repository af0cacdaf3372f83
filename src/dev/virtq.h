/*
 * Split virtqueues (virtio 1.x, section 2.7), shared by every virtio device.
 *
 * The module never sees the engine: guest RAM is a (ram, ram_size) pair and
 * every guest-physical address is checked against it before use, so nothing
 * outside [ram, ram + ram_size) is ever read or written, whatever the guest
 * puts in its rings.  All ring fields are little-endian.
 *
 * Everything the guest controls is treated as hostile: ring placement
 * (checked once, at virtq_setup), the avail index and ring entries, and
 * every descriptor (address, length, flags, next) on every virtq_pop.
 *
 * Errors.  Functions that can fail return -1 and write a one-line message
 * (VIRTQ_ERRLEN bytes, no queue or device name; the caller prefixes that)
 * into err.  A -1 from virtq_setup, virtq_pop or virtq_push means the guest
 * driver is broken: the device layer must then set DEVICE_NEEDS_RESET in the
 * device status and stop processing the queue until the driver resets the
 * device.  Nothing is consumed from the ring by a failed pop.
 *
 * Not covered (on purpose): descriptors of one in-flight chain overlapping
 * those of another, and rings overlapping each other.  Both are driver bugs
 * that cannot make the device touch memory outside RAM.
 */
#ifndef CORDON_DEV_VIRTQ_H
#define CORDON_DEV_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_ERRLEN 256
#define VIRTQ_MAX_SIZE 32768u            /* largest queue size (virtio limit) */
#define VIRTQ_MAX_SEGS 1024u             /* segments in one popped chain */
#define VIRTQ_MAX_CHAIN_BYTES (256u << 20) /* total length of one chain */

/* Feature bit numbers (device-independent "reserved" bits). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

/* avail->flags and used->flags. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* What the driver programmed for one queue, plus the negotiated features. */
struct virtq_layout {
	uint32_t size;           /* power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_addr;      /* 16-byte aligned, 16 * size bytes */
	uint64_t avail_addr;     /* 2-byte aligned, 6 + 2 * size bytes */
	uint64_t used_addr;      /* 4-byte aligned, 6 + 8 * size bytes */
	uint64_t features;       /* only the VIRTIO_F_RING_* bits are looked at */
	bool allow_empty_desc;   /* accept descriptors with len == 0 */
};

/* One guest buffer of a popped chain; always inside RAM. */
struct virtq_seg {
	uint32_t addr;           /* guest-physical */
	uint32_t len;
	bool writable;           /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/*
 * A popped chain.  Device-readable segments come first: seg[0..nreadable)
 * are readable, seg[nreadable..nseg) writable.  Indirect tables are already
 * flattened into seg[].  About 12 KiB: keep it off small stacks if needed.
 */
struct virtq_chain {
	uint16_t head;           /* pass to virtq_push */
	uint32_t nseg, nreadable;
	uint32_t readable_len, writable_len;   /* byte totals */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

/* Zero-initialise (or virtq_reset) before first use; size 0 = not set up. */
struct virtq {
	uint8_t *ram;
	uint32_t ram_size;
	uint32_t size;
	uint32_t desc_addr, avail_addr, used_addr;
	bool indirect, event_idx, allow_empty_desc;
	uint16_t last_avail_idx; /* next avail ring entry the device will take */
	uint16_t used_idx;       /* device's copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last virtq_needs_notify */
	uint32_t in_flight;      /* popped, not yet pushed */
	uint8_t busy[VIRTQ_MAX_SIZE / 8];    /* heads popped and not pushed */
	uint8_t visited[VIRTQ_MAX_SIZE / 8]; /* scratch for loop detection */
};

/* Forget the queue (device reset or queue disabled). */
void virtq_reset(struct virtq *q);

/* Checks the layout against RAM and enables the queue with both indices at
 * 0.  Returns 0, or -1 with err set (the queue is then left reset). */
int virtq_setup(struct virtq *q, uint8_t *ram, uint32_t ram_size,
		const struct virtq_layout *l, char *err);

static inline bool virtq_ready(const struct virtq *q) { return q->size != 0; }

/* Takes the next available chain.  Returns 1 and fills *out, 0 if the ring
 * is empty (or the queue is not set up), -1 with err set if the guest broke
 * a rule.  With EVENT_IDX, also publishes avail_event = last_avail_idx. */
int virtq_pop(struct virtq *q, struct virtq_chain *out, char *err);

/* Returns a popped chain to the driver with written_len bytes written into
 * its writable part.  head must be a popped, not yet pushed head. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written_len, char *err);

/* After one or more pushes: should the device interrupt the driver?  False
 * if nothing was pushed since the previous call; otherwise honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event when EVENT_IDX is negotiated. */
bool virtq_needs_notify(struct virtq *q);

/* Copy len bytes starting at byte offset of the chain's readable part into
 * buf (read) or from buf into its writable part (write).  All or nothing:
 * returns 0, or -1 if the range does not fit in that part or in RAM. */
int virtq_chain_read(const uint8_t *ram, uint32_t ram_size, const struct virtq_chain *c,
		     uint32_t offset, void *buf, uint32_t len);
int virtq_chain_write(uint8_t *ram, uint32_t ram_size, const struct virtq_chain *c,
		      uint32_t offset, const void *buf, uint32_t len);

#endif
