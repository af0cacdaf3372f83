/*
 * The 8254 against a fake clock.  Expected counts come from
 * ticks = floor(ns * 1193182 / 1e9); e.g. 41905 ns is tick 50 and 41904 ns
 * still tick 49.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/devices.h"

struct pit_rig {
	struct iobus *io;
	struct pit *pit;
	uint64_t now;
	struct vclock clock;
	struct irq_line line;
	int irq0_rises, irq0_level, other_irq;
};

static uint64_t rig_now(void *opaque)
{
	return ((struct pit_rig *)opaque)->now;
}

static void rig_irq(void *opaque, int irq, int level)
{
	struct pit_rig *r = opaque;
	if (irq != 0) {
		r->other_irq++;
		return;
	}
	if (level && !r->irq0_level)
		r->irq0_rises++;
	r->irq0_level = level;
}

static struct pit_rig *rig_open(uint64_t start_ns)
{
	struct pit_rig *r = calloc(1, sizeof(*r));
	r->io = calloc(1, sizeof(*r->io));
	iobus_init(r->io);
	r->now = start_ns;
	r->clock = (struct vclock){ rig_now, r };
	r->line = (struct irq_line){ rig_irq, r };
	r->pit = pit_create(r->io, &r->line, &r->clock);
	return r;
}

static void rig_close(struct pit_rig *r)
{
	pit_destroy(r->pit);
	free(r->io);
	free(r);
}

static void outb(struct pit_rig *r, uint16_t port, uint8_t v)
{
	iobus_write(r->io, port, 1, v);
}

static uint8_t inb(struct pit_rig *r, uint16_t port)
{
	return (uint8_t)iobus_read(r->io, port, 1);
}

/* Control word then a 16-bit count, low byte first. */
static void program(struct pit_rig *r, int ch, uint8_t ctrl, uint16_t count)
{
	outb(r, 0x43, ctrl);
	outb(r, (uint16_t)(0x40 + ch), (uint8_t)count);
	outb(r, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static unsigned latch_read(struct pit_rig *r, int ch)
{
	outb(r, 0x43, (uint8_t)(ch << 6));
	unsigned lo = inb(r, (uint16_t)(0x40 + ch));
	return lo | (unsigned)inb(r, (uint16_t)(0x40 + ch)) << 8;
}

static uint8_t status(struct pit_rig *r, int ch)
{
	outb(r, 0x43, (uint8_t)(0xe0 | 2 << ch)); /* read-back: status only */
	return inb(r, (uint16_t)(0x40 + ch));
}

TEST(pit_mode0_counts_exactly_and_wraps)
{
	struct pit_rig *r = rig_open(5000);
	program(r, 0, 0x30, 100);
	CHECK_EQ(status(r, 0) & 0x80, 0); /* OUT low after the count */
	r->now = 5000 + 41904;
	CHECK_EQ(latch_read(r, 0), 51);
	r->now = 5000 + 41905;
	CHECK_EQ(latch_read(r, 0), 50);
	r->now = 5000 + 83809;
	CHECK_EQ(latch_read(r, 0), 1);
	CHECK_EQ(status(r, 0) & 0x80, 0);
	r->now = 5000 + 83810;
	CHECK_EQ(latch_read(r, 0), 0);
	CHECK_EQ(status(r, 0) & 0x80, 0x80);
	r->now = 5000 + 84648;
	CHECK_EQ(latch_read(r, 0), 0xffff);
	rig_close(r);
}

TEST(pit_latch_holds_value_until_read)
{
	struct pit_rig *r = rig_open(0);
	program(r, 0, 0x34, 1000);
	r->now = 1000000; /* tick 1193 */
	outb(r, 0x43, 0x00);
	r->now = 2000000;
	outb(r, 0x43, 0x00); /* a second latch does not overwrite the first */
	unsigned lo = inb(r, 0x40), hi = inb(r, 0x40);
	CHECK_EQ(lo | hi << 8, 1000 - 193);
	/* Unlatched lo/hi reads follow the live counter (tick 2386). */
	lo = inb(r, 0x40);
	hi = inb(r, 0x40);
	CHECK_EQ(lo | hi << 8, 1000 - 386);
	rig_close(r);
}

TEST(pit_mode2_rate_generator)
{
	struct pit_rig *r = rig_open(0);
	program(r, 0, 0x34, 1000);
	CHECK_EQ(latch_read(r, 0), 1000);
	r->now = 838096 - 1; /* tick 999: the count is 1, OUT low */
	CHECK_EQ(latch_read(r, 0), 1);
	CHECK_EQ(status(r, 0) & 0x80, 0);
	r->now = 838096; /* tick 1000: reloaded */
	CHECK_EQ(latch_read(r, 0), 1000);
	CHECK_EQ(status(r, 0) & 0x80, 0x80);
	rig_close(r);
}

TEST(pit_mode3_square_wave)
{
	struct pit_rig *r = rig_open(0);
	program(r, 0, 0x36, 1000);
	r->now = 41905; /* tick 50: first half, counting down by two */
	CHECK_EQ(latch_read(r, 0), 900);
	CHECK_EQ(status(r, 0) & 0x80, 0x80);
	r->now = 838096 / 2 + 1000; /* past tick 500: second half */
	CHECK_EQ(status(r, 0) & 0x80, 0);
	r->now = 838096; /* tick 1000: high again */
	CHECK_EQ(status(r, 0) & 0x80, 0x80);
	rig_close(r);
}

TEST(pit_readback_status_and_count)
{
	struct pit_rig *r = rig_open(0);
	outb(r, 0x43, 0x34);
	CHECK_EQ(status(r, 0), 0x40 | 0x80 | 0x34); /* null count, OUT high */
	outb(r, 0x40, 0xe8);
	outb(r, 0x40, 0x03);
	r->now = 41905;
	outb(r, 0x43, 0xc2); /* latch both for channel 0 */
	CHECK_EQ(inb(r, 0x40), 0xb4); /* status first */
	unsigned lo = inb(r, 0x40), hi = inb(r, 0x40);
	CHECK_EQ(lo | hi << 8, 950);
	rig_close(r);
}

TEST(pit_byte_access_modes_and_bcd)
{
	struct pit_rig *r = rig_open(0);
	outb(r, 0x43, 0x10); /* lsb only, mode 0 */
	outb(r, 0x40, 50);
	CHECK_EQ(inb(r, 0x40), 50);
	outb(r, 0x43, 0x20); /* msb only */
	outb(r, 0x40, 0x02);
	CHECK_EQ(inb(r, 0x40), 0x02);
	r->now = 41905;
	outb(r, 0x43, 0x00);
	CHECK_EQ(inb(r, 0x40), 0x01); /* 512 - 50 = 462 = 0x1ce */
	program(r, 0, 0x31, 0x0100); /* BCD 100 */
	r->now += 41905;
	CHECK_EQ(latch_read(r, 0), 0x0050);
	rig_close(r);
}

TEST(pit_count_zero_means_65536)
{
	struct pit_rig *r = rig_open(0);
	program(r, 0, 0x34, 0);
	CHECK_EQ(pit_next_event_ns(r->pit), 54925402);
	r->now = 839; /* tick 1 */
	CHECK_EQ(latch_read(r, 0), 0xffff);
	rig_close(r);
}

TEST(pit_irq0_edges_and_next_event)
{
	struct pit_rig *r = rig_open(1000);
	CHECK_EQ(pit_next_event_ns(r->pit), UINT64_MAX); /* not programmed */
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 0);
	program(r, 0, 0x34, 1193);
	CHECK_EQ(pit_next_event_ns(r->pit), 1000 + 999848);
	r->now = 1000 + 999847;
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 0);
	r->now = 1000 + 999848;
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 1);
	CHECK_EQ(r->irq0_level, 0); /* a pulse: the PIC latched the edge */
	CHECK_EQ(pit_next_event_ns(r->pit), 1000 + 1999695);
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 1);
	r->now += 10 * 999848; /* missed periods coalesce into one edge */
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 2);
	CHECK(pit_next_event_ns(r->pit) > r->now);
	CHECK(pit_next_event_ns(r->pit) <= r->now + 999848);
	CHECK_EQ(r->other_irq, 0);
	rig_close(r);
}

TEST(pit_mode0_oneshot_fires_once)
{
	struct pit_rig *r = rig_open(0);
	program(r, 0, 0x30, 100);
	CHECK_EQ(pit_next_event_ns(r->pit), 83810);
	r->now = 100000;
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 1);
	CHECK_EQ(pit_next_event_ns(r->pit), UINT64_MAX);
	r->now = 100000000;
	pit_update(r->pit);
	CHECK_EQ(r->irq0_rises, 1);
	rig_close(r);
}

/* What Linux's pit_calibrate_tsc() does with channel 2. */
TEST(pit_channel2_gate_and_out2_on_port61)
{
	struct pit_rig *r = rig_open(0);
	outb(r, 0x61, (inb(r, 0x61) & ~0x02) | 0x01);
	CHECK_EQ(inb(r, 0x61) & 0x03, 0x01);
	program(r, 2, 0xb0, 1000);
	CHECK_EQ(inb(r, 0x61) & 0x20, 0);
	r->now = 838096 - 1;
	CHECK_EQ(inb(r, 0x61) & 0x20, 0);
	r->now = 838096;
	CHECK_EQ(inb(r, 0x61) & 0x20, 0x20);
	CHECK_EQ(pit_next_event_ns(r->pit), UINT64_MAX); /* channel 2 has no IRQ */
	rig_close(r);
}

TEST(pit_channel2_gate_low_stops_mode0)
{
	struct pit_rig *r = rig_open(0);
	outb(r, 0x61, 0x00);
	program(r, 2, 0xb0, 1000);
	r->now = 10000000;
	CHECK_EQ(inb(r, 0x61) & 0x20, 0);
	CHECK_EQ(latch_read(r, 2), 1000);
	outb(r, 0x61, 0x01); /* counting starts now */
	r->now += 41905;
	CHECK_EQ(latch_read(r, 2), 950);
	outb(r, 0x61, 0x00); /* pause */
	r->now += 5000000;
	CHECK_EQ(latch_read(r, 2), 950);
	outb(r, 0x61, 0x01);
	r->now += 41905;
	CHECK_EQ(latch_read(r, 2), 900);
	rig_close(r);
}

TEST(pit_port61_refresh_bit_toggles)
{
	struct pit_rig *r = rig_open(0);
	uint8_t a = inb(r, 0x61) & 0x10;
	r->now = 15085;
	uint8_t b = inb(r, 0x61) & 0x10;
	CHECK(a != b);
	outb(r, 0x61, 0xff); /* only bits 0-3 are writable */
	CHECK_EQ(inb(r, 0x61) & 0xcf, 0x0f);
	rig_close(r);
}

TEST(pit_hostile_programming)
{
	struct pit_rig *r = rig_open(UINT64_MAX / 4);
	for (int v = 0; v < 256; v++) {
		outb(r, 0x43, (uint8_t)v);
		outb(r, 0x40, (uint8_t)(v * 7));
		outb(r, 0x41, 1);
		outb(r, 0x42, 0);
		(void)inb(r, 0x40);
		(void)inb(r, 0x41);
		(void)inb(r, 0x42);
		(void)inb(r, 0x43);
		r->now += 12345;
		pit_update(r->pit);
		(void)pit_next_event_ns(r->pit);
	}
	program(r, 0, 0x34, 1); /* count 1 in mode 2: legal-ish, must not hang */
	r->now += 1000000;
	pit_update(r->pit);
	CHECK(pit_next_event_ns(r->pit) > r->now);
	program(r, 0, 0x3e, 3); /* mode 7 aliases mode 3 */
	CHECK_EQ(status(r, 0) & 0x0e, 0x0e);
	iobus_write(r->io, 0x40, 4, 0xffffffff);
	CHECK(pit_create(r->io, &r->line, &r->clock) == NULL); /* ports taken */
	rig_close(r);
}
