/*
 * Fuzz target: the virtqueue walker (src/dev/virtq.c).
 *
 * The input is a hostile driver's script: lay out a queue anywhere in a
 * small RAM (sizes legal or not, rings at its last bytes or past them),
 * write descriptors, indirect tables, ring entries and indices, pop and
 * push, change ring memory between pops.  Besides ASan's checks on the
 * exact-size RAM block, every popped chain must keep virtq.h's contract:
 * segments inside RAM, readable before writable, totals that add up, a
 * head below the queue size that was not in flight; pushes succeed for
 * exactly the heads that are in flight; every failure leaves a message.
 *
 * fuzz-plant: src/dev/virtq.c
 * fuzz-plant-from: if (!writable && c->nseg > c->nreadable)
 * fuzz-plant-to: if (!writable && c->nseg > c->nreadable + 1)
 */
#include "fuzz.h"

#include "dev/virtq.h"

#define MAX_RAM (256u << 10)
#define MAX_OPS 256
#define DESC_SIZE 16

static struct virtq q;
static struct virtq_chain chain;
static uint8_t scratch[64 << 10];

struct state {
	uint8_t *ram;
	uint32_t ram_size;
	uint16_t avail_idx;
	bool in_flight[VIRTQ_MAX_SIZE];
	uint32_t nflight;
};
static struct state st;

/* An address the way a hostile driver picks one: anywhere, in RAM, at
 * its very end, or just past it. */
static uint64_t pick_addr(struct fuzz_in *in)
{
	uint8_t mode = fin_u8(in);
	uint32_t v = fin_u32(in);
	switch (mode % 5) {
	case 0:
		return (uint64_t)v << 32 | fin_u32(in);
	case 1:
		return v;
	case 2:
		return v % st.ram_size;
	case 3:
		return st.ram_size - 1 - v % (st.ram_size < 64 ? st.ram_size : 64);
	default:
		return (uint64_t)st.ram_size + v % 64;
	}
}

static uint32_t pick_len(struct fuzz_in *in)
{
	uint8_t mode = fin_u8(in);
	uint32_t v = fin_u32(in);
	switch (mode % 4) {
	case 0:
		return v;
	case 1:
		return v % 64;
	case 2:
		return v % (st.ram_size + 1);
	default:
		return 0xffffffffu - v % 64;
	}
}

static void poke(uint64_t addr, const void *src, size_t len)
{
	if (addr <= st.ram_size && len <= st.ram_size - addr)
		memcpy(st.ram + addr, src, len);
}

static void put_desc(uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t d[DESC_SIZE];
	for (int b = 0; b < 8; b++)
		d[b] = (uint8_t)(addr >> (8 * b));
	for (int b = 0; b < 4; b++)
		d[8 + b] = (uint8_t)(len >> (8 * b));
	d[12] = (uint8_t)flags, d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next, d[15] = (uint8_t)(next >> 8);
	poke(table + (uint64_t)DESC_SIZE * i, d, sizeof(d));
}

static void put_u16(uint64_t addr, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	poke(addr, b, 2);
}

static void setup(struct fuzz_in *in)
{
	uint8_t shape = fin_u8(in), flags = fin_u8(in);
	struct virtq_layout l = { 0 };
	l.size = shape & 0x80 ? fin_u16(in) : 1u << (shape % 16);
	uint64_t at[3];
	for (int i = 0; i < 3; i++)
		at[i] = flags & 1 ? pick_addr(in) : fin_u32(in) % st.ram_size;
	/* Mostly aligned, so the walk is reached; raw when flag bit 0 is set. */
	l.desc_addr = flags & 1 ? at[0] : at[0] & ~15ull;
	l.avail_addr = flags & 1 ? at[1] : at[1] & ~1ull;
	l.used_addr = flags & 1 ? at[2] : at[2] & ~3ull;
	l.features = (uint64_t)(flags >> 1 & 1) << VIRTIO_F_RING_INDIRECT_DESC |
		     (uint64_t)(flags >> 2 & 1) << VIRTIO_F_RING_EVENT_IDX;
	l.allow_empty_desc = flags >> 3 & 1;
	char err[VIRTQ_ERRLEN] = "";
	int rc = virtq_setup(&q, st.ram, st.ram_size, &l, err);
	memset(st.in_flight, 0, sizeof(st.in_flight));
	st.nflight = 0;
	st.avail_idx = 0;
	if (rc < 0) {
		FUZZ_CHECK(rc == -1 && fuzz_message_ok(err, sizeof(err)), "setup rc %d", rc);
		FUZZ_CHECK(!virtq_ready(&q), "a failed setup left the queue ready");
		return;
	}
	FUZZ_CHECK(rc == 0 && virtq_ready(&q), "setup rc %d", rc);
	FUZZ_CHECK(l.desc_addr + 16ull * l.size <= st.ram_size &&
		   l.avail_addr + 6 + 2ull * l.size <= st.ram_size &&
		   l.used_addr + 6 + 8ull * l.size <= st.ram_size,
		   "setup accepted rings outside %u bytes of RAM", st.ram_size);
}

static void check_chain(void)
{
	const struct virtq_chain *c = &chain;
	uint64_t rd = 0, wr = 0;
	FUZZ_CHECK(c->head < q.size, "head %u, queue size %u", c->head, q.size);
	FUZZ_CHECK(!st.in_flight[c->head], "head %u popped twice", c->head);
	FUZZ_CHECK(c->nseg >= 1 && c->nseg <= VIRTQ_MAX_SEGS && c->nreadable <= c->nseg,
		   "nseg %u nreadable %u", c->nseg, c->nreadable);
	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct virtq_seg *s = &c->seg[i];
		FUZZ_CHECK((uint64_t)s->addr + s->len <= st.ram_size, "segment %u at %#x+%u past RAM",
			   i, s->addr, s->len);
		FUZZ_CHECK(s->writable == (i >= c->nreadable), "segment %u out of order", i);
		FUZZ_CHECK(s->len || q.allow_empty_desc, "empty segment %u", i);
		*(s->writable ? &wr : &rd) += s->len;
	}
	FUZZ_CHECK(rd == c->readable_len && wr == c->writable_len, "totals %llu/%llu vs %u/%u",
		   (unsigned long long)rd, (unsigned long long)wr, c->readable_len, c->writable_len);
	FUZZ_CHECK(rd + wr <= VIRTQ_MAX_CHAIN_BYTES, "chain of %llu bytes",
		   (unsigned long long)(rd + wr));
}

/* Copies one part of the chain from byte off to its end, as a device
 * does; one byte past the part must be refused. */
static int copy_part(bool writable, uint32_t off, uint32_t n)
{
	if (writable)
		return virtq_chain_write(st.ram, st.ram_size, &chain, off, scratch, n);
	return virtq_chain_read(st.ram, st.ram_size, &chain, off, scratch, n);
}

static void use_part(bool writable, uint32_t off)
{
	uint32_t len = writable ? chain.writable_len : chain.readable_len;
	uint32_t n = len > off ? len - off : 0;
	if (n > sizeof(scratch))
		n = sizeof(scratch);
	FUZZ_CHECK(copy_part(writable, off, n) == (off <= len ? 0 : -1),
		   "copy at %u of %u bytes (writable %d)", off, n, writable);
	FUZZ_CHECK(copy_part(writable, len, 1) == -1, "copy past the end (writable %d)", writable);
}

static void use_chain(struct fuzz_in *in)
{
	uint32_t off = fin_u8(in);
	use_part(false, off);
	use_part(true, off);
}

static void pop(struct fuzz_in *in)
{
	char err[VIRTQ_ERRLEN] = "";
	uint16_t before = q.last_avail_idx;
	int rc = virtq_pop(&q, &chain, err);
	if (rc < 0) {
		FUZZ_CHECK(rc == -1 && fuzz_message_ok(err, sizeof(err)), "pop rc %d", rc);
		FUZZ_CHECK(q.last_avail_idx == before, "a failed pop consumed an entry");
		return;
	}
	if (rc == 0) {
		FUZZ_CHECK(q.last_avail_idx == before, "an empty pop consumed an entry");
		return;
	}
	FUZZ_CHECK(rc == 1 && q.last_avail_idx == (uint16_t)(before + 1), "pop rc %d", rc);
	check_chain();
	st.in_flight[chain.head] = true;
	st.nflight++;
	FUZZ_CHECK(q.in_flight == st.nflight, "in_flight %u, expected %u", q.in_flight, st.nflight);
	use_chain(in);
}

static void push(uint16_t head, uint32_t len)
{
	char err[VIRTQ_ERRLEN] = "";
	bool ok = virtq_ready(&q) && head < q.size && st.in_flight[head];
	int rc = virtq_push(&q, head, len, err);
	FUZZ_CHECK(rc == (ok ? 0 : -1), "push of head %u: rc %d", head, rc);
	if (rc < 0) {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "push without a message");
		return;
	}
	st.in_flight[head] = false;
	st.nflight--;
}

/* A head that is in flight, found from a starting point, or any value. */
static uint16_t pick_head(struct fuzz_in *in)
{
	uint16_t start = fin_u16(in);
	if (!virtq_ready(&q) || (start & 1))
		return start >> 1;
	for (uint32_t i = 0; i < q.size; i++) {
		uint16_t h = (uint16_t)((start + i) % q.size);
		if (st.in_flight[h])
			return h;
	}
	return start >> 1;
}

static void step(struct fuzz_in *in)
{
	uint32_t qsize = virtq_ready(&q) ? q.size : 1;
	switch (fin_u8(in) % 10) {
	case 0: { /* a descriptor in the ring's table or in an indirect one */
		bool indirect = fin_u8(in) & 1;
		uint64_t table = indirect ? pick_addr(in) : q.desc_addr;
		uint32_t i = indirect ? fin_u8(in) : fin_u16(in) % qsize;
		uint64_t addr = pick_addr(in);
		uint32_t len = pick_len(in);
		uint16_t flags = fin_u8(in), next = fin_u16(in);
		put_desc(table, i, addr, len, flags & 8 ? flags : flags & 7,
			 next & 0x8000 ? next : next % qsize);
		break;
	}
	case 1: { /* an available ring entry */
		uint16_t slot = fin_u16(in), head = fin_u16(in);
		put_u16(q.avail_addr + 4 + 2ull * (slot % qsize), head & 0x8000 ? head : head % qsize);
		break;
	}
	case 2: /* publish more entries (or run the index far ahead) */
		st.avail_idx = (uint16_t)(st.avail_idx + fin_u8(in) % 4 + 1);
		if (fin_u8(in) == 0xff)
			st.avail_idx = fin_u16(in);
		put_u16(q.avail_addr + 2, st.avail_idx);
		break;
	case 3:
		pop(in);
		break;
	case 4:
		push(pick_head(in), pick_len(in));
		break;
	case 5: { /* raw bytes anywhere in RAM */
		uint8_t buf[64];
		uint32_t at = fin_u32(in) % st.ram_size;
		size_t n = fin_bytes(in, buf, fin_u8(in) % sizeof(buf));
		poke(at, buf, n);
		break;
	}
	case 6: /* avail flags and used_event */
		put_u16(q.avail_addr, fin_u16(in));
		put_u16(q.avail_addr + 4 + 2ull * qsize, fin_u16(in));
		break;
	case 7:
		(void)virtq_needs_notify(&q);
		break;
	case 8:
		setup(in);
		break;
	default:
		virtq_reset(&q);
		memset(st.in_flight, 0, sizeof(st.in_flight));
		st.nflight = 0;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint32_t pages = 1 + fin_u8(&in) % (MAX_RAM / 4096);
	st.ram_size = pages * 4096 - fin_u8(&in) % 64;
	st.ram = calloc(1, st.ram_size); /* exact size: ASan sees any access past it */
	if (!st.ram)
		abort();
	setup(&in);
	for (int i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(&in);
	free(st.ram);
	return 0;
}
