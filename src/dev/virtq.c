/*
 * Split virtqueues: ring setup, popping descriptor chains, pushing used
 * elements and interrupt suppression.  See virtq.h for the contract.
 *
 * Safety argument: virtq_setup proves that each ring lies wholly inside
 * RAM, and every ring access afterwards uses an index reduced modulo the
 * queue size (or a fixed header offset), so ring accesses cannot leave
 * RAM.  Buffers and indirect tables are checked with overflow-free 64-bit
 * arithmetic (addr <= ram_size && len <= ram_size - addr) before they become
 * segments or are read.  Loops are caught with a visited bitmap, so a walk
 * touches each descriptor of a table at most once.
 */
#include "dev/virtq.h"
#include "dev/le.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DESC_SIZE 16u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* What the descriptor walk needs to know about the table it is in. */
struct table {
	uint32_t addr;           /* guest-physical, whole table inside RAM */
	uint32_t entries;
	bool indirect;
};

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, VIRTQ_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

static bool bit_test(const uint8_t *map, uint32_t i) { return map[i / 8] >> (i % 8) & 1; }
static void bit_set(uint8_t *map, uint32_t i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void bit_clear(uint8_t *map, uint32_t i) { map[i / 8] &= (uint8_t)~(1u << (i % 8)); }

static bool in_ram(uint32_t ram_size, uint64_t addr, uint64_t len)
{
	return addr <= ram_size && len <= ram_size - addr;
}

/* "256 MiB", "640 KiB" or "1000 bytes", for messages. */
static const char *size_str(char *buf, size_t n, uint32_t size)
{
	if (size && size % (1u << 20) == 0)
		snprintf(buf, n, "%u MiB", size >> 20);
	else if (size && size % 1024 == 0)
		snprintf(buf, n, "%u KiB", size >> 10);
	else
		snprintf(buf, n, "%u bytes", size);
	return buf;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* ---- setup ---- */

static int check_ring(const char *what, uint64_t addr, uint64_t bytes, uint32_t align,
		      uint32_t ram_size, char *err)
{
	char rs[32];
	if (addr % align)
		return fail(err, "%s at %#llx is not %u-byte aligned", what,
			    (unsigned long long)addr, align);
	if (!in_ram(ram_size, addr, bytes))
		return fail(err, "%s at %#llx (%llu bytes) is past the end of RAM (%s)", what,
			    (unsigned long long)addr, (unsigned long long)bytes,
			    size_str(rs, sizeof(rs), ram_size));
	return 0;
}

int virtq_setup(struct virtq *q, uint8_t *ram, uint32_t ram_size,
		const struct virtq_layout *l, char *err)
{
	uint64_t n = l->size;
	virtq_reset(q);
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return fail(err, "queue size %u is not a power of two between 1 and %u",
			    l->size, VIRTQ_MAX_SIZE);
	if (check_ring("descriptor table", l->desc_addr, DESC_SIZE * n, 16, ram_size, err) ||
	    check_ring("available ring", l->avail_addr, 6 + 2 * n, 2, ram_size, err) ||
	    check_ring("used ring", l->used_addr, 6 + 8 * n, 4, ram_size, err))
		return -1;
	q->ram = ram;
	q->ram_size = ram_size;
	q->size = l->size;
	q->desc_addr = (uint32_t)l->desc_addr;
	q->avail_addr = (uint32_t)l->avail_addr;
	q->used_addr = (uint32_t)l->used_addr;
	q->indirect = l->features >> VIRTIO_F_RING_INDIRECT_DESC & 1;
	q->event_idx = l->features >> VIRTIO_F_RING_EVENT_IDX & 1;
	q->allow_empty_desc = l->allow_empty_desc;
	return 0;
}

/* ---- ring fields (offsets from the virtio spec) ---- */

static uint8_t *avail_at(const struct virtq *q, uint32_t off) { return q->ram + q->avail_addr + off; }
static uint8_t *used_at(const struct virtq *q, uint32_t off) { return q->ram + q->used_addr + off; }

static uint16_t avail_flags(const struct virtq *q) { return get_le16(avail_at(q, 0)); }
static uint16_t avail_idx(const struct virtq *q) { return get_le16(avail_at(q, 2)); }
static uint16_t avail_ring(const struct virtq *q, uint16_t i) { return get_le16(avail_at(q, 4 + 2 * (i & (q->size - 1)))); }
static uint16_t used_event(const struct virtq *q) { return get_le16(avail_at(q, 4 + 2 * q->size)); }
static void set_avail_event(struct virtq *q, uint16_t v) { put_le16(used_at(q, 4 + 8 * q->size), v); }

static struct desc read_desc(const struct virtq *q, const struct table *t, uint32_t i)
{
	const uint8_t *p = q->ram + t->addr + DESC_SIZE * i;
	struct desc d = { get_le64(p), get_le32(p + 8), get_le16(p + 12), get_le16(p + 14) };
	return d;
}

/* ---- popping ---- */

/* "descriptor 5" or "indirect descriptor 2 (table at 0x1000)". */
static const char *desc_name(char *buf, size_t n, const struct table *t, uint32_t i)
{
	if (t->indirect)
		snprintf(buf, n, "indirect descriptor %u (table at %#x)", i, t->addr);
	else
		snprintf(buf, n, "descriptor %u", i);
	return buf;
}

static int add_segment(const struct virtq *q, struct virtq_chain *c, const char *name,
		       const struct desc *d, char *err)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	char rs[32];
	if (d->len == 0 && !q->allow_empty_desc)
		return fail(err, "%s: buffer length is 0", name);
	if (!in_ram(q->ram_size, d->addr, d->len))
		return fail(err, "%s: address %#llx + %u is past the end of RAM (%s)", name,
			    (unsigned long long)d->addr, d->len,
			    size_str(rs, sizeof(rs), q->ram_size));
	if (!writable && c->nseg > c->nreadable)
		return fail(err, "%s: device-readable buffer after a device-writable one", name);
	if (c->nseg == VIRTQ_MAX_SEGS)
		return fail(err, "%s: chain has more than %u buffers", name, VIRTQ_MAX_SEGS);
	if ((uint64_t)c->readable_len + c->writable_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return fail(err, "%s: chain is longer than %u MiB", name, VIRTQ_MAX_CHAIN_BYTES >> 20);
	c->seg[c->nseg].addr = (uint32_t)d->addr;
	c->seg[c->nseg].len = d->len;
	c->seg[c->nseg].writable = writable;
	c->nseg++;
	if (writable) {
		c->writable_len += d->len;
	} else {
		c->nreadable++;
		c->readable_len += d->len;
	}
	return 0;
}

/* Checks an indirect descriptor d and describes the table it points to. */
static int open_indirect(const struct virtq *q, const char *name, const struct desc *d,
			 struct table *out, char *err)
{
	char rs[32];
	if (!q->indirect)
		return fail(err, "%s: indirect descriptor, but VIRTIO_F_RING_INDIRECT_DESC "
			    "was not negotiated", name);
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return fail(err, "%s: both INDIRECT and NEXT are set", name);
	if (d->len == 0)
		return fail(err, "%s: indirect table is empty", name);
	if (d->len % DESC_SIZE)
		return fail(err, "%s: indirect table length %u is not a multiple of %u",
			    name, d->len, DESC_SIZE);
	if (d->len / DESC_SIZE > VIRTQ_MAX_SIZE)
		return fail(err, "%s: indirect table has %u entries (at most %u)", name,
			    d->len / DESC_SIZE, VIRTQ_MAX_SIZE);
	if (!in_ram(q->ram_size, d->addr, d->len))
		return fail(err, "%s: indirect table at %#llx + %u is past the end of RAM (%s)",
			    name, (unsigned long long)d->addr, d->len,
			    size_str(rs, sizeof(rs), q->ram_size));
	out->addr = (uint32_t)d->addr;
	out->entries = d->len / DESC_SIZE;
	out->indirect = true;
	return 0;
}

/*
 * Follows NEXT links through table t from entry i, appending segments.  A
 * chain in the ring may end in one indirect descriptor (spec 2.7.5.3.2);
 * its table is walked in turn, and may not itself hold indirect ones.
 */
static int walk_table(struct virtq *q, struct table t, uint32_t i,
		      struct virtq_chain *c, char *err)
{
	char name[64];
	memset(q->visited, 0, (t.entries + 7) / 8);
	for (;;) {
		desc_name(name, sizeof(name), &t, i);
		if (bit_test(q->visited, i))
			return fail(err, "%s: descriptor chain loops", name);
		bit_set(q->visited, i);
		struct desc d = read_desc(q, &t, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			struct table sub;
			if (t.indirect)
				return fail(err, "%s: indirect descriptor inside an indirect table", name);
			if (open_indirect(q, name, &d, &sub, err))
				return -1;
			return walk_table(q, sub, 0, c, err);
		}
		if (add_segment(q, c, name, &d, err))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= t.entries)
			return fail(err, "%s: next index %u is past the end of the table (%u entries)",
				    name, d.next, t.entries);
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *out, char *err)
{
	if (!virtq_ready(q))
		return 0;
	uint16_t idx = avail_idx(q);
	uint16_t pending = (uint16_t)(idx - q->last_avail_idx);
	if (pending > q->size)
		return fail(err, "available index %u is %u entries ahead of the device's %u "
			    "(queue size %u)", idx, pending, q->last_avail_idx, q->size);
	if (pending == 0) {
		if (q->event_idx)
			set_avail_event(q, q->last_avail_idx);
		return 0;
	}
	/* Read the ring entry only after seeing the index that covers it. */
	atomic_thread_fence(memory_order_acquire);
	uint16_t head = avail_ring(q, q->last_avail_idx);
	if (head >= q->size)
		return fail(err, "available ring entry %u: head %u is not below the queue size %u",
			    q->last_avail_idx & (q->size - 1), head, q->size);
	if (bit_test(q->busy, head))
		return fail(err, "available ring entry %u: head %u is still in use by the device",
			    q->last_avail_idx & (q->size - 1), head);
	memset(out, 0, offsetof(struct virtq_chain, seg));
	out->head = head;
	struct table ring = { q->desc_addr, q->size, false };
	if (walk_table(q, ring, head, out, err))
		return -1;
	bit_set(q->busy, head);
	q->in_flight++;
	q->last_avail_idx++;
	if (q->event_idx)
		set_avail_event(q, q->last_avail_idx);
	return 1;
}

/* ---- pushing and notification ---- */

int virtq_push(struct virtq *q, uint16_t head, uint32_t written_len, char *err)
{
	if (!virtq_ready(q))
		return fail(err, "push to a queue that is not set up");
	if (head >= q->size)
		return fail(err, "push of head %u: not below the queue size %u", head, q->size);
	if (!bit_test(q->busy, head))
		return fail(err, "push of head %u: it was not popped (or was already pushed)", head);
	uint32_t slot = q->used_idx & (q->size - 1);
	put_le32(used_at(q, 4 + 8 * slot), head);
	put_le32(used_at(q, 8 + 8 * slot), written_len);
	/* The element must be visible before the index that publishes it. */
	atomic_thread_fence(memory_order_release);
	q->used_idx++;
	put_le16(used_at(q, 2), q->used_idx);
	bit_clear(q->busy, head);
	q->in_flight--;
	return 0;
}

bool virtq_needs_notify(struct virtq *q)
{
	if (!virtq_ready(q))
		return false;
	uint16_t old = q->signalled_used, now = q->used_idx;
	q->signalled_used = now;
	if (old == now)
		return false;
	/* Our used->idx store must be ordered before reading the driver's hint. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!q->event_idx)
		return !(avail_flags(q) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* Interrupt iff used_event lies in [old, now): the spec's vring_need_event. */
	return (uint16_t)(now - used_event(q) - 1) < (uint16_t)(now - old);
}

/* ---- copying to and from chains ---- */

/*
 * Calls fn on each piece of [offset, offset + len) of seg[0..count), after
 * checking that every segment is in RAM and that the whole range fits (the
 * segments are re-checked because a chain is plain data the caller holds).
 */
typedef void (*copy_fn)(uint8_t *guest, uint8_t *buf, uint32_t n);

static void to_buf(uint8_t *guest, uint8_t *buf, uint32_t n) { memcpy(buf, guest, n); }
static void to_guest(uint8_t *guest, uint8_t *buf, uint32_t n) { memcpy(guest, buf, n); }

static int chain_copy(uint8_t *ram, uint32_t ram_size, const struct virtq_seg *seg,
		      uint32_t count, uint32_t offset, uint8_t *buf, uint32_t len, copy_fn fn)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < count; i++) {
		if (!in_ram(ram_size, seg[i].addr, seg[i].len))
			return -1;
		total += seg[i].len;
	}
	if ((uint64_t)offset + len > total)
		return -1;
	for (uint32_t i = 0; i < count && len; i++) {
		if (offset >= seg[i].len) {
			offset -= seg[i].len;
			continue;
		}
		uint32_t n = seg[i].len - offset;
		if (n > len)
			n = len;
		fn(ram + seg[i].addr + offset, buf, n);
		buf += n;
		len -= n;
		offset = 0;
	}
	return 0;
}

int virtq_chain_read(const uint8_t *ram, uint32_t ram_size, const struct virtq_chain *c,
		     uint32_t offset, void *buf, uint32_t len)
{
	if (c->nreadable > c->nseg || c->nseg > VIRTQ_MAX_SEGS)
		return -1;
	/* to_buf only reads guest memory; the cast lets both directions share chain_copy. */
	return chain_copy((uint8_t *)(uintptr_t)ram, ram_size, c->seg, c->nreadable,
			  offset, buf, len, to_buf);
}

int virtq_chain_write(uint8_t *ram, uint32_t ram_size, const struct virtq_chain *c,
		      uint32_t offset, const void *buf, uint32_t len)
{
	if (c->nreadable > c->nseg || c->nseg > VIRTQ_MAX_SEGS)
		return -1;
	return chain_copy(ram, ram_size, c->seg + c->nreadable, c->nseg - c->nreadable,
			  offset, (uint8_t *)(uintptr_t)buf, len, to_guest);
}
