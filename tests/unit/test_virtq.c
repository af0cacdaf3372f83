/*
 * Split virtqueues against a hostile driver.  Guest RAM is an exact-size
 * heap block, so ASan reports any access past its end; every hostile case
 * must be refused with a message naming the problem.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/virtq.h"

#define RAM_SIZE (64u * 1024)
#define DESC_AT 0x1000u
#define AVAIL_AT 0x2000u
#define USED_AT 0x3000u
#define BUF_AT 0x8000u
#define FEAT_INDIRECT (1ull << VIRTIO_F_RING_INDIRECT_DESC)
#define FEAT_EVENT_IDX (1ull << VIRTIO_F_RING_EVENT_IDX)

struct rig {
	uint8_t *ram;
	uint32_t ram_size;
	uint16_t avail_idx;      /* the driver's next avail->idx */
	struct virtq q;
	struct virtq_chain c;
	char err[VIRTQ_ERRLEN];
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static struct virtq_layout layout(uint32_t size, uint64_t features)
{
	struct virtq_layout l = { size, DESC_AT, AVAIL_AT, USED_AT, features, false };
	return l;
}

static struct rig *rig_open_layout(uint32_t ram_size, const struct virtq_layout *l)
{
	struct rig *r = calloc(1, sizeof(*r));
	r->ram_size = ram_size;
	r->ram = calloc(1, ram_size);
	if (virtq_setup(&r->q, r->ram, ram_size, l, r->err))
		t_fail(__FILE__, __LINE__, "virtq_setup: %s", r->err);
	return r;
}

static struct rig *rig_open(uint32_t size, uint64_t features)
{
	struct virtq_layout l = layout(size, features);
	return rig_open_layout(RAM_SIZE, &l);
}

static void rig_close(struct rig *r)
{
	free(r->ram);
	free(r);
}

/* Writes a descriptor at table (guest address) entry i. */
static void put_desc(struct rig *r, uint32_t table, uint32_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *p = r->ram + table + 16 * i;
	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static void desc(struct rig *r, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put_desc(r, DESC_AT, i, addr, len, flags, next);
}

/* The driver makes chain `head` available. */
static void offer(struct rig *r, uint16_t head)
{
	put16(r->ram + AVAIL_AT + 4 + 2 * (r->avail_idx & (r->q.size - 1)), head);
	r->avail_idx++;
	put16(r->ram + AVAIL_AT + 2, r->avail_idx);
}

static uint16_t used_idx(const struct rig *r) { return get16(r->ram + USED_AT + 2); }
static uint32_t used_id(const struct rig *r, uint32_t slot) { return get32(r->ram + USED_AT + 4 + 8 * slot); }
static uint32_t used_len(const struct rig *r, uint32_t slot) { return get32(r->ram + USED_AT + 8 + 8 * slot); }

/* Pops, expecting an error that mentions `want`, and nothing consumed. */
static void expect_pop_error(struct rig *r, const char *want, int line)
{
	uint16_t before = r->q.last_avail_idx;
	r->err[0] = 0;
	int rc = virtq_pop(&r->q, &r->c, r->err);
	if (rc != -1)
		t_fail(__FILE__, line, "virtq_pop returned %d, expected -1 (%s)", rc, want);
	else if (!strstr(r->err, want))
		t_fail(__FILE__, line, "error \"%s\" does not mention \"%s\"", r->err, want);
	if (r->q.last_avail_idx != before)
		t_fail(__FILE__, line, "a failed pop consumed an avail entry");
}
#define POP_ERROR(r, want) expect_pop_error((r), (want), __LINE__)

/* ---- normal operation ---- */

TEST(virtq_two_descriptor_chain)
{
	struct rig *r = rig_open(8, 0);
	uint8_t hdr[16], status = 0x5a;
	for (int i = 0; i < 16; i++)
		r->ram[BUF_AT + i] = (uint8_t)(0xa0 + i);
	desc(r, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, BUF_AT + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 0);
	offer(r, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.head, 0);
	CHECK_EQ(r->c.nseg, 2);
	CHECK_EQ(r->c.nreadable, 1);
	CHECK_EQ(r->c.readable_len, 16);
	CHECK_EQ(r->c.writable_len, 1);
	CHECK_EQ(r->c.seg[0].addr, BUF_AT);
	CHECK(!r->c.seg[0].writable);
	CHECK(r->c.seg[1].writable);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 0, hdr, 16), 0);
	CHECK_EQ(hdr[15], 0xaf);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 1, hdr, 16), -1);
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 0, &status, 1), 0);
	CHECK_EQ(r->ram[BUF_AT + 0x100], 0x5a);
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 1, &status, 1), -1);
	CHECK_EQ(virtq_push(&r->q, 0, 1, r->err), 0);
	CHECK_EQ(used_idx(r), 1);
	CHECK_EQ(used_id(r, 0), 0);
	CHECK_EQ(used_len(r, 0), 1);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 0);
	rig_close(r);
}

TEST(virtq_three_descriptor_chain_across_segments)
{
	struct rig *r = rig_open(8, 0);
	uint8_t buf[8], out[6] = { 1, 2, 3, 4, 5, 6 };
	memcpy(r->ram + BUF_AT, "abcd", 4);
	memcpy(r->ram + BUF_AT + 0x40, "efgh", 4);
	desc(r, 5, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 2);
	desc(r, 2, BUF_AT + 0x40, 4, VIRTQ_DESC_F_NEXT, 7);
	desc(r, 7, BUF_AT + 0x80, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(r, 5);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.head, 5);
	CHECK_EQ(r->c.nseg, 3);
	CHECK_EQ(r->c.nreadable, 2);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 2, buf, 5), 0);
	CHECK(memcmp(buf, "cdefg", 5) == 0);
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 2, out, 6), 0);
	CHECK_EQ(r->ram[BUF_AT + 0x82], 1);
	CHECK_EQ(r->ram[BUF_AT + 0x87], 6);
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 3, out, 6), -1);
	CHECK_EQ(virtq_push(&r->q, 5, 6, r->err), 0);
	CHECK_EQ(used_id(r, 0), 5);
	rig_close(r);
}

TEST(virtq_indices_wrap_past_65535)
{
	struct rig *r = rig_open(4, 0);
	const uint32_t rounds = 70000;
	for (uint32_t i = 0; i < 4; i++)
		desc(r, i, BUF_AT + 16 * i, 16, VIRTQ_DESC_F_WRITE, 0);
	for (uint32_t i = 0; i < rounds; i++) {
		offer(r, (uint16_t)(i % 4));
		if (virtq_pop(&r->q, &r->c, r->err) != 1 || r->c.head != i % 4) {
			t_fail(__FILE__, __LINE__, "round %u: pop failed: %s", i, r->err);
			break;
		}
		if (virtq_push(&r->q, r->c.head, i, r->err)) {
			t_fail(__FILE__, __LINE__, "round %u: push failed: %s", i, r->err);
			break;
		}
	}
	CHECK_EQ(used_idx(r), rounds & 0xffff);
	CHECK_EQ(r->q.last_avail_idx, rounds & 0xffff);
	/* The last element went to slot (rounds - 1) % 4. */
	CHECK_EQ(used_len(r, (rounds - 1) % 4), rounds - 1);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 0);
	rig_close(r);
}

TEST(virtq_indirect_table)
{
	struct rig *r = rig_open(8, FEAT_INDIRECT);
	const uint32_t table = 0x5000;
	put_desc(r, table, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(r, table, 2, BUF_AT + 0x100, 512, VIRTQ_DESC_F_NEXT, 1);
	put_desc(r, table, 1, BUF_AT + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	/* WRITE on the descriptor pointing at the table is ignored (spec 2.7.5.3.2). */
	desc(r, 3, table, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	offer(r, 3);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.head, 3);
	CHECK_EQ(r->c.nseg, 3);
	CHECK_EQ(r->c.nreadable, 2);
	CHECK_EQ(r->c.readable_len, 528);
	CHECK_EQ(r->c.seg[2].addr, BUF_AT + 0x400);
	CHECK_EQ(virtq_push(&r->q, 3, 1, r->err), 0);

	/* Direct descriptors followed by one indirect descriptor. */
	desc(r, 0, BUF_AT, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, table + 16, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(r, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.nseg, 2);
	CHECK_EQ(r->c.nreadable, 1);
	CHECK_EQ(r->c.writable_len, 1);
	rig_close(r);
}

TEST(virtq_empty_descriptor_when_allowed)
{
	struct virtq_layout l = layout(8, 0);
	l.allow_empty_desc = true;
	struct rig *r = rig_open_layout(RAM_SIZE, &l);
	desc(r, 0, RAM_SIZE, 0, 0, 0);          /* zero bytes at the very end is fine */
	offer(r, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.nseg, 1);
	CHECK_EQ(r->c.seg[0].len, 0);
	rig_close(r);
}

/* ---- hostile chains ---- */

TEST(virtq_rejects_descriptor_loops)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(r, 0);
	POP_ERROR(r, "descriptor 0: descriptor chain loops");
	rig_close(r);

	r = rig_open(8, 0);
	desc(r, 6, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 6);
	offer(r, 6);
	POP_ERROR(r, "descriptor 6: descriptor chain loops");
	rig_close(r);
}

TEST(virtq_rejects_next_past_queue_size)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 8);
	offer(r, 0);
	POP_ERROR(r, "descriptor 0: next index 8 is past the end of the table (8 entries)");
	rig_close(r);
}

TEST(virtq_rejects_buffers_outside_ram)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, RAM_SIZE - 256, 512, 0, 0);
	offer(r, 0);
	POP_ERROR(r, "x");
	CHECK_STR(r->err, "descriptor 0: address 0xff00 + 512 is past the end of RAM (64 KiB)");
	desc(r, 0, 0xffffff00u, 0x200, 0, 0);          /* wraps 32 bits */
	POP_ERROR(r, "past the end of RAM");
	desc(r, 0, 0xffffffffffffff00ull, 0x200, 0, 0); /* wraps 64 bits */
	POP_ERROR(r, "past the end of RAM");
	desc(r, 0, 0x100000000ull + BUF_AT, 16, 0, 0);  /* aliases RAM if truncated */
	POP_ERROR(r, "past the end of RAM");
	desc(r, 0, RAM_SIZE - 1, 2, 0, 0);
	POP_ERROR(r, "past the end of RAM");
	desc(r, 0, RAM_SIZE - 2, 2, 0, 0);             /* the last two bytes are fine */
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	rig_close(r);
}

TEST(virtq_rejects_empty_buffer)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, BUF_AT, 0, VIRTQ_DESC_F_WRITE, 0);
	offer(r, 0);
	POP_ERROR(r, "descriptor 1: buffer length is 0");
	rig_close(r);
}

TEST(virtq_rejects_readable_after_writable)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, BUF_AT, 16, 0, 0);
	offer(r, 0);
	POP_ERROR(r, "descriptor 1: device-readable buffer after a device-writable one");
	rig_close(r);
}

TEST(virtq_rejects_bad_indirect_descriptors)
{
	struct rig *r = rig_open(8, FEAT_INDIRECT);
	const uint32_t table = 0x5000;
	offer(r, 0);

	put_desc(r, table, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(r, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "indirect descriptor 0 (table at 0x5000): indirect descriptor inside an indirect table");

	desc(r, 0, table, 24, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "indirect table length 24 is not a multiple of 16");
	desc(r, 0, table, 0, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "indirect table is empty");
	desc(r, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "indirect table at 0xfff0 + 32 is past the end of RAM");
	desc(r, 0, 0xfffffff0u, 32, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "past the end of RAM");
	desc(r, 0, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	POP_ERROR(r, "both INDIRECT and NEXT");

	/* Problems inside the table. */
	desc(r, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(r, table, 0, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(r, table, 1, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 0);
	POP_ERROR(r, "indirect descriptor 0 (table at 0x5000): descriptor chain loops");
	put_desc(r, table, 1, BUF_AT, 4, VIRTQ_DESC_F_NEXT, 2);
	POP_ERROR(r, "indirect descriptor 1 (table at 0x5000): next index 2 is past the end");
	put_desc(r, table, 1, RAM_SIZE, 4, 0, 0);
	POP_ERROR(r, "indirect descriptor 1 (table at 0x5000): address 0x10000 + 4 is past the end of RAM");
	put_desc(r, table, 0, BUF_AT, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(r, table, 1, BUF_AT, 4, 0, 0);
	POP_ERROR(r, "readable buffer after a device-writable one");

	/* Writable direct descriptor, then a table starting with a readable one. */
	desc(r, 0, BUF_AT, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, table + 16, 16, VIRTQ_DESC_F_INDIRECT, 0);
	POP_ERROR(r, "indirect descriptor 0 (table at 0x5010): device-readable buffer after");
	rig_close(r);

	r = rig_open(8, 0);
	desc(r, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(r, 0);
	POP_ERROR(r, "VIRTIO_F_RING_INDIRECT_DESC was not negotiated");
	rig_close(r);
}

TEST(virtq_rejects_too_many_segments)
{
	struct rig *r = rig_open(8, FEAT_INDIRECT);
	const uint32_t table = 0x4000, n = VIRTQ_MAX_SEGS + 1;
	for (uint32_t i = 0; i < n; i++)
		put_desc(r, table, i, BUF_AT, 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	desc(r, 0, table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	offer(r, 0);
	POP_ERROR(r, "indirect descriptor 1024 (table at 0x4000): chain has more than 1024 buffers");
	rig_close(r);
}

TEST(virtq_rejects_chain_over_256_mib)
{
	const uint32_t big = 260u << 20;
	struct virtq_layout l = layout(8, 0);
	struct rig *r = rig_open_layout(big, &l);
	desc(r, 0, 0, 200u << 20, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, 0, 100u << 20, VIRTQ_DESC_F_WRITE, 0);
	offer(r, 0);
	POP_ERROR(r, "descriptor 1: chain is longer than 256 MiB");
	desc(r, 1, 0, 56u << 20, VIRTQ_DESC_F_WRITE, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(r->c.writable_len, 56u << 20);
	rig_close(r);
}

TEST(virtq_rejects_bad_avail_ring)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 4, 0, 0);
	put16(r->ram + AVAIL_AT + 2, 9);
	POP_ERROR(r, "available index 9 is 9 entries ahead of the device's 0 (queue size 8)");
	put16(r->ram + AVAIL_AT + 2, 0xffff);   /* behind the device: 65535 ahead */
	POP_ERROR(r, "ahead");
	put16(r->ram + AVAIL_AT + 2, 0);
	offer(r, 8);
	POP_ERROR(r, "available ring entry 0: head 8 is not below the queue size 8");
	put16(r->ram + AVAIL_AT + 4, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	offer(r, 0);                            /* same head again before it was used */
	POP_ERROR(r, "available ring entry 1: head 0 is still in use by the device");
	CHECK_EQ(virtq_push(&r->q, 0, 0, r->err), 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	rig_close(r);
}

TEST(virtq_rejects_pushes_that_were_not_popped)
{
	struct rig *r = rig_open(8, 0);
	CHECK_EQ(virtq_push(&r->q, 0, 0, r->err), -1);
	CHECK(strstr(r->err, "push of head 0: it was not popped") != NULL);
	CHECK_EQ(virtq_push(&r->q, 8, 0, r->err), -1);
	CHECK(strstr(r->err, "not below the queue size 8") != NULL);
	desc(r, 2, BUF_AT, 4, 0, 0);
	offer(r, 2);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(virtq_push(&r->q, 2, 0, r->err), 0);
	CHECK_EQ(virtq_push(&r->q, 2, 0, r->err), -1);   /* would overflow the used ring */
	CHECK_EQ(used_idx(r), 1);
	CHECK_EQ(r->q.in_flight, 0);
	rig_close(r);

	struct virtq q;
	char err[VIRTQ_ERRLEN];
	virtq_reset(&q);
	CHECK_EQ(virtq_push(&q, 0, 0, err), -1);
	CHECK_EQ(virtq_pop(&q, NULL, err), 0);
	CHECK(!virtq_needs_notify(&q));
}

/* ---- setup ---- */

static void expect_setup_error(uint32_t ram_size, struct virtq_layout l, const char *want, int line)
{
	struct rig *r = calloc(1, sizeof(*r));
	uint8_t *ram = calloc(1, ram_size);
	if (virtq_setup(&r->q, ram, ram_size, &l, r->err) != -1)
		t_fail(__FILE__, line, "virtq_setup accepted a bad layout (%s)", want);
	else if (!strstr(r->err, want))
		t_fail(__FILE__, line, "error \"%s\" does not mention \"%s\"", r->err, want);
	if (virtq_ready(&r->q))
		t_fail(__FILE__, line, "queue is ready after a failed setup");
	free(ram);
	free(r);
}
#define SETUP_ERROR(l, want) expect_setup_error(RAM_SIZE, (l), (want), __LINE__)

TEST(virtq_setup_rejects_bad_layouts)
{
	struct virtq_layout l;
	SETUP_ERROR(layout(0, 0), "queue size 0 is not a power of two");
	SETUP_ERROR(layout(3, 0), "queue size 3 is not a power of two");
	SETUP_ERROR(layout(65536, 0), "queue size 65536");

	l = layout(8, 0); l.desc_addr = 0x1008;
	SETUP_ERROR(l, "descriptor table at 0x1008 is not 16-byte aligned");
	l = layout(8, 0); l.avail_addr = 0x2001;
	SETUP_ERROR(l, "available ring at 0x2001 is not 2-byte aligned");
	l = layout(8, 0); l.used_addr = 0x3002;
	SETUP_ERROR(l, "used ring at 0x3002 is not 4-byte aligned");

	l = layout(8, 0); l.desc_addr = RAM_SIZE - 64;
	SETUP_ERROR(l, "descriptor table at 0xffc0 (128 bytes) is past the end of RAM (64 KiB)");
	l = layout(8, 0); l.avail_addr = RAM_SIZE - 20;     /* needs 22 bytes */
	SETUP_ERROR(l, "available ring at 0xffec (22 bytes) is past the end of RAM");
	l = layout(8, 0); l.used_addr = RAM_SIZE - 64;      /* needs 70 bytes */
	SETUP_ERROR(l, "used ring at 0xffc0 (70 bytes) is past the end of RAM");
	l = layout(8, 0); l.used_addr = 0x100003000ull;
	SETUP_ERROR(l, "used ring at 0x100003000");
	l = layout(8, 0); l.desc_addr = 0xfffffffffffffff0ull;
	SETUP_ERROR(l, "past the end of RAM");
	l = layout(32768, 0);                                 /* 512 KiB of descriptors */
	SETUP_ERROR(l, "descriptor table at 0x1000 (524288 bytes) is past the end of RAM");

	/* Each ring may end exactly at the end of RAM. */
	for (int ring = 0; ring < 3; ring++) {
		l = layout(8, 0);
		if (ring == 0)
			l.desc_addr = RAM_SIZE - 128;
		else if (ring == 1)
			l.avail_addr = RAM_SIZE - 22;
		else
			l.used_addr = RAM_SIZE - 72;   /* 70 bytes, rounded to the alignment */
		struct rig *r = rig_open_layout(RAM_SIZE, &l);
		CHECK(virtq_ready(&r->q));
		rig_close(r);
	}
}

/* ---- interrupt suppression ---- */

static void pop_push(struct rig *r)
{
	offer(r, 0);
	if (virtq_pop(&r->q, &r->c, r->err) != 1 || virtq_push(&r->q, 0, 0, r->err) != 0)
		t_fail(__FILE__, __LINE__, "pop/push failed: %s", r->err);
}

TEST(virtq_notify_honours_no_interrupt)
{
	struct rig *r = rig_open(8, 0);
	desc(r, 0, BUF_AT, 4, 0, 0);
	CHECK(!virtq_needs_notify(&r->q));          /* nothing pushed */
	pop_push(r);
	CHECK(virtq_needs_notify(&r->q));
	CHECK(!virtq_needs_notify(&r->q));          /* already signalled */
	put16(r->ram + AVAIL_AT, VIRTQ_AVAIL_F_NO_INTERRUPT);
	pop_push(r);
	CHECK(!virtq_needs_notify(&r->q));
	put16(r->ram + AVAIL_AT, 0);
	pop_push(r);
	CHECK(virtq_needs_notify(&r->q));
	rig_close(r);
}

TEST(virtq_notify_honours_used_event)
{
	struct rig *r = rig_open(8, FEAT_EVENT_IDX);
	uint8_t *used_event = r->ram + AVAIL_AT + 4 + 2 * 8;
	uint8_t *avail_event = r->ram + USED_AT + 4 + 8 * 8;
	desc(r, 0, BUF_AT, 4, 0, 0);
	/* The flag is ignored once EVENT_IDX is negotiated. */
	put16(r->ram + AVAIL_AT, VIRTQ_AVAIL_F_NO_INTERRUPT);
	put16(used_event, 0);
	pop_push(r);                                /* used idx 0 -> 1 crosses event 0 */
	CHECK(virtq_needs_notify(&r->q));
	CHECK_EQ(get16(avail_event), 1);            /* the device asks for the next kick */
	put16(used_event, 3);
	pop_push(r);                                /* 1 -> 2 */
	CHECK(!virtq_needs_notify(&r->q));
	pop_push(r);                                /* 2 -> 3 */
	CHECK(!virtq_needs_notify(&r->q));
	pop_push(r);                                /* 3 -> 4: entry 3 is past the event */
	pop_push(r);                                /* 4 -> 5, checked together */
	CHECK(virtq_needs_notify(&r->q));
	CHECK_EQ(get16(avail_event), 5);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 0);
	CHECK_EQ(get16(avail_event), 5);
	rig_close(r);
}

/* ---- chain copies ---- */

TEST(virtq_chain_copies_are_bounds_checked)
{
	struct rig *r = rig_open(8, 0);
	uint8_t buf[32] = { 0 };
	desc(r, 0, BUF_AT, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 1, BUF_AT + 0x10, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(r, 0);
	CHECK_EQ(virtq_pop(&r->q, &r->c, r->err), 1);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 0, buf, 9), -1);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 0xffffffffu, buf, 2), -1);
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 8, buf, 0), 0);
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 4, buf, 5), -1);
	/* A chain that claims a segment outside RAM is refused, not followed. */
	struct virtq_chain *bad = malloc(sizeof(*bad));
	memcpy(bad, &r->c, sizeof(*bad));
	bad->seg[1].addr = RAM_SIZE - 4;
	CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, bad, 0, buf, 1), -1);
	bad->seg[1].addr = BUF_AT;
	bad->nreadable = 3;
	CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, bad, 0, buf, 1), -1);
	free(bad);
	rig_close(r);
}

/* ---- fuzz ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Addresses and lengths near the interesting edges. */
static uint64_t fuzz_addr(uint32_t ram_size)
{
	switch (rnd() % 24) {
	case 0: return ((uint64_t)rnd() << 32) | rnd();
	case 1: return 0xffffffffu - rnd() % 64;
	case 2: return ram_size - rnd() % 64;
	default: return rnd() % ram_size;
	}
}

static uint32_t fuzz_len(void)
{
	switch (rnd() % 20) {
	case 0: return rnd();
	case 1: return 0;
	case 2: return 16 * (rnd() % 8);
	default: return rnd() % 300;
	}
}

static uint16_t fuzz_flags(void)
{
	uint32_t pick = rnd() % 16;
	if (pick == 0)
		return (uint16_t)rnd();
	if (pick <= 2)
		return VIRTQ_DESC_F_INDIRECT | (rnd() % 4 ? 0 : VIRTQ_DESC_F_NEXT);
	return (uint16_t)((rnd() % 2 ? VIRTQ_DESC_F_NEXT : 0) | (rnd() % 3 ? 0 : VIRTQ_DESC_F_WRITE));
}

static void fuzz_table(struct rig *r, uint32_t table, uint32_t entries, uint32_t qsize)
{
	for (uint32_t i = 0; i < entries; i++)
		put_desc(r, table, i, fuzz_addr(r->ram_size), fuzz_len(),
			 fuzz_flags(),
			 (uint16_t)(rnd() % (qsize + 2)));
}

static bool chain_is_sane(const struct rig *r)
{
	const struct virtq_chain *c = &r->c;
	uint64_t rd = 0, wr = 0;
	if (c->nseg == 0 || c->nseg > VIRTQ_MAX_SEGS || c->nreadable > c->nseg || c->head >= r->q.size)
		return false;
	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if ((uint64_t)s->addr + s->len > r->ram_size || s->writable != (i >= c->nreadable))
			return false;
		*(s->writable ? &wr : &rd) += s->len;
	}
	return rd == c->readable_len && wr == c->writable_len && rd + wr <= VIRTQ_MAX_CHAIN_BYTES;
}

TEST(virtq_fuzz_random_tables)
{
	uint32_t popped = 0, errors = 0;
	uint8_t buf[512];
	for (int iter = 0; iter < 4000; iter++) {
		uint32_t qsize = 1u << (rnd() % 7);
		uint32_t ram_size = 0x4000 + (rnd() % 4) * 0x1000 + rnd() % 16 * 16;
		struct virtq_layout l = layout(qsize, rnd() % 4 ? FEAT_INDIRECT : 0);
		l.allow_empty_desc = rnd() % 2;
		struct rig *r = rig_open_layout(ram_size, &l);
		for (uint32_t i = 0; i < ram_size; i++)
			r->ram[i] = (uint8_t)rnd();
		fuzz_table(r, DESC_AT, qsize, qsize);
		/* Plausible indirect tables where fuzz_addr likes to point. */
		fuzz_table(r, 0x100, 8, 8);
		fuzz_table(r, ram_size - 128, 8, 8);
		for (uint32_t i = 0; i < qsize; i++)
			put16(r->ram + AVAIL_AT + 4 + 2 * i, (uint16_t)(rnd() % (qsize + 1)));
		put16(r->ram + AVAIL_AT + 2, (uint16_t)(rnd() % 3 ? rnd() % (qsize + 1) : rnd()));
		for (uint32_t n = 0; n <= qsize; n++) {
			int rc = virtq_pop(&r->q, &r->c, r->err);
			if (rc == -1) {
				CHECK(r->err[0] != 0);
				errors++;
				break;
			}
			if (rc == 0)
				break;
			popped++;
			CHECK(chain_is_sane(r));
			uint32_t rl = r->c.readable_len < sizeof(buf) ? r->c.readable_len : sizeof(buf);
			uint32_t wl = r->c.writable_len < sizeof(buf) ? r->c.writable_len : sizeof(buf);
			CHECK_EQ(virtq_chain_read(r->ram, r->ram_size, &r->c, 0, buf, rl), 0);
			CHECK_EQ(virtq_chain_write(r->ram, r->ram_size, &r->c, 0, buf, wl), 0);
			if (rnd() % 2)
				CHECK_EQ(virtq_push(&r->q, r->c.head, wl, r->err), 0);
		}
		virtq_needs_notify(&r->q);
		rig_close(r);
	}
	/* The generator must exercise both outcomes, or the test proves little. */
	if (popped < 1000 || errors < 1000)
		t_fail(__FILE__, __LINE__, "fuzz too one-sided: %u chains popped, %u errors",
		       popped, errors);
}
