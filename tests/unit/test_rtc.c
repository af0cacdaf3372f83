/*
 * The MC146818 against a fake clock.  The reference instant 1700000000 is
 * Tuesday 2023-11-14 22:13:20 UTC.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/devices.h"

#define T0 1700000000
#define NS 1000000000ull

struct rtc_rig {
	struct iobus *io;
	struct rtc *rtc;
	uint64_t now;
	struct vclock clock;
	struct irq_line line;
	int irq_level, irq_rises, irq_num;
};

static uint64_t rig_now(void *opaque)
{
	return ((struct rtc_rig *)opaque)->now;
}

static void rig_irq(void *opaque, int irq, int level)
{
	struct rtc_rig *r = opaque;
	r->irq_num = irq;
	if (level && !r->irq_level)
		r->irq_rises++;
	r->irq_level = level;
}

static struct rtc_rig *rig_open(int64_t epoch)
{
	struct rtc_rig *r = calloc(1, sizeof(*r));
	r->io = calloc(1, sizeof(*r->io));
	iobus_init(r->io);
	r->now = 7 * NS + 123; /* the vclock need not start at zero */
	r->clock = (struct vclock){ rig_now, r };
	r->line = (struct irq_line){ rig_irq, r };
	r->rtc = rtc_create(r->io, &r->line, &r->clock, epoch);
	return r;
}

static void rig_close(struct rtc_rig *r)
{
	rtc_destroy(r->rtc);
	free(r->io);
	free(r);
}

static uint8_t cmos_read(struct rtc_rig *r, uint8_t index)
{
	iobus_write(r->io, 0x70, 1, index | 0x80); /* NMI mask bit is ignored */
	return (uint8_t)iobus_read(r->io, 0x71, 1);
}

static void cmos_write(struct rtc_rig *r, uint8_t index, uint8_t v)
{
	iobus_write(r->io, 0x70, 1, index);
	iobus_write(r->io, 0x71, 1, v);
}

TEST(rtc_bcd_readout_of_known_epoch)
{
	struct rtc_rig *r = rig_open(T0);
	CHECK(r->rtc != NULL);
	CHECK_EQ(cmos_read(r, 0x00), 0x20);
	CHECK_EQ(cmos_read(r, 0x02), 0x13);
	CHECK_EQ(cmos_read(r, 0x04), 0x22);
	CHECK_EQ(cmos_read(r, 0x06), 3); /* Tuesday, Sunday = 1 */
	CHECK_EQ(cmos_read(r, 0x07), 0x14);
	CHECK_EQ(cmos_read(r, 0x08), 0x11);
	CHECK_EQ(cmos_read(r, 0x09), 0x23);
	CHECK_EQ(cmos_read(r, 0x32), 0x20);
	CHECK_EQ(cmos_read(r, 0x0a), 0x26);
	CHECK_EQ(cmos_read(r, 0x0b), 0x02);
	CHECK_EQ(cmos_read(r, 0x0d), 0x80);
	rig_close(r);
}

TEST(rtc_binary_and_12_hour_formats)
{
	struct rtc_rig *r = rig_open(T0);
	cmos_write(r, 0x0b, 0x06); /* binary, 24h */
	CHECK_EQ(cmos_read(r, 0x00), 20);
	CHECK_EQ(cmos_read(r, 0x04), 22);
	CHECK_EQ(cmos_read(r, 0x09), 23);
	CHECK_EQ(cmos_read(r, 0x32), 20);
	cmos_write(r, 0x0b, 0x04); /* binary, 12h */
	CHECK_EQ(cmos_read(r, 0x04), 0x80 | 10);
	cmos_write(r, 0x0b, 0x00); /* BCD, 12h */
	CHECK_EQ(cmos_read(r, 0x04), 0x90);
	rig_close(r);
}

TEST(rtc_time_advances_with_vclock)
{
	struct rtc_rig *r = rig_open(T0);
	r->now += NS - 1;
	CHECK_EQ(cmos_read(r, 0x00), 0x20);
	r->now += 1;
	CHECK_EQ(cmos_read(r, 0x00), 0x21);
	r->now += 2 * 3600 * NS; /* past midnight: Wednesday the 15th */
	CHECK_EQ(cmos_read(r, 0x04), 0x00);
	CHECK_EQ(cmos_read(r, 0x07), 0x15);
	CHECK_EQ(cmos_read(r, 0x06), 4);
	rig_close(r);
}

TEST(rtc_dates_across_leap_years_and_centuries)
{
	struct rtc_rig *r = rig_open(951782400); /* 2000-02-29 00:00:00 */
	CHECK_EQ(cmos_read(r, 0x07), 0x29);
	CHECK_EQ(cmos_read(r, 0x08), 0x02);
	CHECK_EQ(cmos_read(r, 0x09), 0x00);
	CHECK_EQ(cmos_read(r, 0x32), 0x20);
	CHECK_EQ(cmos_read(r, 0x06), 3); /* a Tuesday */
	rig_close(r);
	r = rig_open(-1); /* 1969-12-31 23:59:59, a Wednesday */
	CHECK_EQ(cmos_read(r, 0x09), 0x69);
	CHECK_EQ(cmos_read(r, 0x32), 0x19);
	CHECK_EQ(cmos_read(r, 0x00), 0x59);
	CHECK_EQ(cmos_read(r, 0x06), 4);
	rig_close(r);
}

TEST(rtc_update_in_progress_window)
{
	struct rtc_rig *r = rig_open(T0);
	uint64_t second = r->now;
	r->now = second + NS / 2;
	CHECK_EQ(cmos_read(r, 0x0a) & 0x80, 0);
	r->now = second + NS - 300000;
	CHECK_EQ(cmos_read(r, 0x0a) & 0x80, 0);
	r->now = second + NS - 100000;
	CHECK_EQ(cmos_read(r, 0x0a) & 0x80, 0x80);
	CHECK_EQ(cmos_read(r, 0x00), 0x20); /* still the old second */
	r->now = second + NS;
	CHECK_EQ(cmos_read(r, 0x0a) & 0x80, 0);
	CHECK_EQ(cmos_read(r, 0x00), 0x21);
	cmos_write(r, 0x0a, 0xa6); /* UIP is read-only */
	CHECK_EQ(cmos_read(r, 0x0a), 0x26);
	rig_close(r);
}

TEST(rtc_update_interrupt_and_register_c)
{
	struct rtc_rig *r = rig_open(T0);
	uint64_t start = r->now;
	CHECK_EQ(rtc_next_event_ns(r->rtc), UINT64_MAX);
	cmos_write(r, 0x0a, 0x20); /* periodic rate off, so PF stays clear */
	cmos_write(r, 0x0b, 0x12); /* UIE */
	CHECK_EQ(rtc_next_event_ns(r->rtc), start + NS);
	r->now = start + NS - 1;
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 0);
	r->now = start + NS;
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(r->irq_num, 8);
	CHECK_EQ(rtc_next_event_ns(r->rtc), UINT64_MAX); /* line stays up until C is read */
	CHECK_EQ(cmos_read(r, 0x0c), 0x90);
	CHECK_EQ(r->irq_level, 0);
	CHECK_EQ(cmos_read(r, 0x0c), 0x00);
	CHECK_EQ(rtc_next_event_ns(r->rtc), start + 2 * NS);
	rig_close(r);
}

TEST(rtc_periodic_interrupt)
{
	struct rtc_rig *r = rig_open(T0);
	uint64_t start = r->now;
	CHECK_EQ(cmos_read(r, 0x0c), 0x00);
	cmos_write(r, 0x0b, 0x42); /* PIE at the default 1024 Hz */
	CHECK_EQ(rtc_next_event_ns(r->rtc), start + 976563);
	r->now = start + 976562;
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 0);
	r->now = start + 976563;
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(cmos_read(r, 0x0c), 0xc0);
	cmos_write(r, 0x0a, 0x2f); /* 2 Hz */
	CHECK_EQ(rtc_next_event_ns(r->rtc), start + NS / 2);
	/* PF is set even with PIE off, but then IRQF is not. */
	cmos_write(r, 0x0b, 0x02);
	r->now = start + NS / 2;
	CHECK_EQ(cmos_read(r, 0x0c) & 0xc0, 0x40);
	rig_close(r);
}

TEST(rtc_alarm_interrupt)
{
	struct rtc_rig *r = rig_open(T0);
	uint64_t start = r->now;
	cmos_write(r, 0x0a, 0x20);
	cmos_write(r, 0x01, 0x23);
	cmos_write(r, 0x03, 0x13);
	cmos_write(r, 0x05, 0xc0); /* any hour */
	cmos_write(r, 0x0b, 0x22); /* AIE */
	CHECK_EQ(cmos_read(r, 0x01), 0x23);
	r->now = start + 2 * NS;
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 0);
	r->now = start + 3 * NS; /* 22:13:23 */
	rtc_update(r->rtc);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(cmos_read(r, 0x0c), 0xb0);
	rig_close(r);
}

TEST(rtc_guest_sets_time)
{
	struct rtc_rig *r = rig_open(T0);
	cmos_write(r, 0x0b, 0x82); /* SET: updates stop */
	cmos_write(r, 0x00, 0x05);
	cmos_write(r, 0x02, 0x04);
	cmos_write(r, 0x04, 0x03);
	cmos_write(r, 0x07, 0x02);
	cmos_write(r, 0x08, 0x01);
	cmos_write(r, 0x09, 0x99);
	cmos_write(r, 0x32, 0x19);
	r->now += 5 * NS;
	CHECK_EQ(cmos_read(r, 0x00), 0x05); /* frozen while SET */
	CHECK_EQ(cmos_read(r, 0x0a) & 0x80, 0);
	cmos_write(r, 0x0b, 0x02);
	CHECK_EQ(cmos_read(r, 0x09), 0x99);
	CHECK_EQ(cmos_read(r, 0x06), 7); /* 1999-01-02 was a Saturday */
	r->now += NS;
	CHECK_EQ(cmos_read(r, 0x00), 0x06);
	cmos_write(r, 0x02, 0x30); /* a single field, clock running */
	CHECK_EQ(cmos_read(r, 0x02), 0x30);
	CHECK_EQ(cmos_read(r, 0x04), 0x03);
	rig_close(r);
}

TEST(rtc_memory_size_bytes)
{
	struct rtc_rig *r = rig_open(T0);
	rtc_set_memory_size(r->rtc, 128ull << 20);
	CHECK_EQ(cmos_read(r, 0x15) | cmos_read(r, 0x16) << 8, 640);
	CHECK_EQ(cmos_read(r, 0x17) | cmos_read(r, 0x18) << 8, 0xffff);
	CHECK_EQ(cmos_read(r, 0x30) | cmos_read(r, 0x31) << 8, 0xffff);
	CHECK_EQ(cmos_read(r, 0x34) | cmos_read(r, 0x35) << 8, (128 - 16) * 16);
	rtc_set_memory_size(r->rtc, 8ull << 20);
	CHECK_EQ(cmos_read(r, 0x17) | cmos_read(r, 0x18) << 8, 7 * 1024);
	CHECK_EQ(cmos_read(r, 0x30) | cmos_read(r, 0x31) << 8, 7 * 1024);
	CHECK_EQ(cmos_read(r, 0x34) | cmos_read(r, 0x35) << 8, 0);
	unsigned sum = 0;
	for (int i = 0x10; i <= 0x2d; i++)
		sum += cmos_read(r, (uint8_t)i);
	CHECK_EQ(cmos_read(r, 0x2e) << 8 | cmos_read(r, 0x2f), sum);
	rtc_set_memory_size(r->rtc, UINT64_MAX);
	CHECK_EQ(cmos_read(r, 0x34) | cmos_read(r, 0x35) << 8, 0xffff);
	rtc_set_memory_size(r->rtc, 100);
	CHECK_EQ(cmos_read(r, 0x15) | cmos_read(r, 0x16) << 8, 0);
	rig_close(r);
}

TEST(rtc_hostile_values)
{
	struct rtc_rig *r = rig_open(INT64_MAX); /* clamped to year 9999 */
	CHECK_EQ(cmos_read(r, 0x32), 0x99);
	rig_close(r);
	r = rig_open(INT64_MIN);
	CHECK_EQ(cmos_read(r, 0x32), 0x19);
	cmos_write(r, 0x0b, 0x82);
	for (int i = 0; i < 10; i++)
		cmos_write(r, (uint8_t)i, 0xff);
	cmos_write(r, 0x32, 0xff);
	cmos_write(r, 0x0b, 0x02); /* garbage BCD must not break anything */
	(void)cmos_read(r, 0x00);
	for (int v = 0; v < 256; v++) {
		cmos_write(r, (uint8_t)v, (uint8_t)v);
		(void)cmos_read(r, (uint8_t)v);
		r->now += 999999;
		rtc_update(r->rtc);
		(void)rtc_next_event_ns(r->rtc);
	}
	CHECK_EQ(iobus_read(r->io, 0x70, 1), 0xff);
	CHECK_EQ(cmos_read(r, 0x0d), 0x80); /* D stayed read-only */
	rig_close(r);
}
