/* The local APIC: registers, priority, EOI, the timer on a fake clock,
 * LINT0 for the 8259, self-IPIs and the base MSR. */
#include "t.h"

#include <stdlib.h>

#include "dev/lapic.h"

struct rig {
	struct vclock clock;
	uint64_t now;
	int eois, last_eoi, ipis;
	uint32_t last_icr;
	struct lapic *a;
};

static uint64_t now(void *opaque)
{
	return ((struct rig *)opaque)->now;
}

static void on_eoi(void *opaque, int vector)
{
	struct rig *r = opaque;
	r->eois++;
	r->last_eoi = vector;
}

static void on_ipi(void *opaque, uint32_t lo, uint32_t hi)
{
	struct rig *r = opaque;
	(void)hi;
	r->ipis++;
	r->last_icr = lo;
}

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	r->clock = (struct vclock){ now, r };
	struct lapic_config c = { .id = 0, .bsp = true, .clock = &r->clock, .eoi = on_eoi,
				  .ipi = on_ipi, .opaque = r };
	r->a = lapic_create(&c);
	return r;
}

static void rig_free(struct rig *r)
{
	lapic_destroy(r->a);
	free(r);
}

static uint32_t rd(struct rig *r, uint32_t off)
{
	return lapic_read(r->a, off, 4);
}

static void wr(struct rig *r, uint32_t off, uint32_t v)
{
	lapic_write(r->a, off, 4, v);
}

static void enable(struct rig *r)
{
	wr(r, 0xf0, 0x1ff); /* software enable, spurious vector 0xff */
}

/* Takes the next interrupt the CPU would; -2 when none is pending. */
static int take(struct rig *r)
{
	if (!lapic_intr_pending(r->a, false))
		return -2;
	return lapic_intr_ack(r->a, false);
}

TEST(lapic_reset_state)
{
	struct rig *r = rig_new();
	CHECK_EQ(lapic_get_base(r->a), 0xfee00900u);
	CHECK_EQ(rd(r, 0x30), 0x00050014u);
	CHECK_EQ(rd(r, 0xf0), 0xff);
	CHECK_EQ(rd(r, 0xe0), 0xffffffffu);
	CHECK_EQ(rd(r, 0x320), 0x10000);
	CHECK_EQ(rd(r, 0x350), 0x700);  /* LINT0 ExtINT on the BSP */
	CHECK_EQ(rd(r, 0x360), 0x10000);
	CHECK_EQ(lapic_read(r->a, 0x31, 1), 0x00); /* bytes of a register */
	CHECK_EQ(lapic_read(r->a, 0x32, 1), 0x05);
	CHECK_EQ(lapic_read(r->a, 0x3e, 4), 0);    /* runs past it */
	rig_free(r);
}

TEST(lapic_read_only_registers_ignore_writes)
{
	struct rig *r = rig_new();
	enable(r);
	lapic_deliver(r->a, 0x40, false);
	wr(r, 0x30, 0);          /* version */
	wr(r, 0xa0, 0xff);       /* PPR */
	wr(r, 0x200 + 0x20, 0);  /* IRR word 2 */
	wr(r, 0x100 + 0x20, 0xffffffffu); /* ISR */
	wr(r, 0x390, 5);         /* current count */
	CHECK_EQ(rd(r, 0x30), 0x00050014u);
	CHECK_EQ(rd(r, 0xa0), 0);
	CHECK_EQ(rd(r, 0x220), 1u);
	CHECK_EQ(rd(r, 0x120), 0);
	CHECK_EQ(rd(r, 0x390), 0);
	lapic_write(r->a, 0x80, 1, 0xff); /* not a whole register: ignored */
	CHECK_EQ(rd(r, 0x80), 0);
	rig_free(r);
}

TEST(lapic_priority_eoi_and_level_broadcast)
{
	struct rig *r = rig_new();
	CHECK_EQ(take(r), -2);
	lapic_deliver(r->a, 0x41, false);
	CHECK_EQ(take(r), -2); /* software-disabled: held in IRR */
	enable(r);
	wr(r, 0x80, 0x50);     /* TPR class 5 blocks class 4 */
	CHECK_EQ(take(r), -2);
	CHECK_EQ(rd(r, 0xa0), 0x50);
	wr(r, 0x80, 0x00);
	lapic_deliver(r->a, 0x61, true); /* level */
	CHECK_EQ(take(r), 0x61);         /* highest first */
	CHECK_EQ(rd(r, 0xa0), 0x60);
	CHECK_EQ(take(r), -2);           /* 0x41 waits for class 6 to end */
	wr(r, 0xb0, 0);
	CHECK_EQ(r->eois, 1);
	CHECK_EQ(r->last_eoi, 0x61);
	CHECK_EQ(take(r), 0x41);
	wr(r, 0xb0, 0);
	CHECK_EQ(r->eois, 1);            /* edge: no broadcast */
	wr(r, 0xb0, 0);                  /* nothing in service: nothing happens */
	CHECK_EQ(r->eois, 1);
	CHECK_EQ(rd(r, 0x100 + 0x40), 0);
	rig_free(r);
}

TEST(lapic_illegal_vectors_set_esr)
{
	struct rig *r = rig_new();
	enable(r);
	lapic_deliver(r->a, 5, false);
	lapic_deliver(r->a, 300, false);
	CHECK_EQ(rd(r, 0x280), 0);   /* latched only by an ESR write */
	wr(r, 0x280, 0);
	CHECK_EQ(rd(r, 0x280), 0x40);
	CHECK_EQ(take(r), -2);
	wr(r, 0x370, 0xe0);          /* LVT error unmasked, vector 0xe0 */
	wr(r, 0x300, 0x00040003);    /* self IPI, vector 3: illegal to send */
	wr(r, 0x280, 0);
	CHECK_EQ(rd(r, 0x280), 0x20);
	CHECK_EQ(take(r), 0xe0);
	rig_free(r);
}

TEST(lapic_every_lvt_mask)
{
	struct rig *r = rig_new();
	for (uint32_t reg = 0x320; reg <= 0x370; reg += 0x10) {
		wr(r, reg, 0x30);                        /* disabled: stays masked */
		CHECK_EQ(rd(r, reg) & 0x10000, 0x10000);
	}
	enable(r);
	for (uint32_t reg = 0x320; reg <= 0x370; reg += 0x10) {
		wr(r, reg, 0x30);
		CHECK_EQ(rd(r, reg), 0x30);
		wr(r, reg, 0xffffffffu);
		CHECK_EQ(rd(r, reg) & 0x10000, 0x10000);
		CHECK_EQ(rd(r, reg) & 0x1000, 0);        /* delivery status is read-only */
	}
	CHECK_EQ(rd(r, 0x320) & 0x40000, 0);         /* no TSC-deadline mode */
	wr(r, 0xf0, 0xff);                           /* software disable masks them all */
	for (uint32_t reg = 0x320; reg <= 0x370; reg += 0x10)
		CHECK_EQ(rd(r, reg) & 0x10000, 0x10000);
	rig_free(r);
}

TEST(lapic_timer_one_shot_and_divide)
{
	static const struct { uint32_t reg, div; } divs[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	for (unsigned i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
		struct rig *r = rig_new();
		enable(r);
		wr(r, 0x3e0, divs[i].reg);
		CHECK_EQ(rd(r, 0x3e0), divs[i].reg);
		wr(r, 0x320, 0x30);   /* one-shot, vector 0x30 */
		wr(r, 0x380, 1000);
		uint64_t period = 1000ull * divs[i].div;
		CHECK_EQ(lapic_next_event_ns(r->a), period);
		r->now = period / 2;
		CHECK_EQ(rd(r, 0x390), 500);
		lapic_update(r->a);
		CHECK_EQ(take(r), -2);
		r->now = period;
		lapic_update(r->a);
		CHECK_EQ(take(r), 0x30);
		CHECK_EQ(rd(r, 0x390), 0);
		CHECK_EQ(lapic_next_event_ns(r->a), UINT64_MAX);
		r->now = 5 * period;
		lapic_update(r->a);
		CHECK_EQ(rd(r, 0x200 + 0x10), 0); /* fired once */
		rig_free(r);
	}
}

/* A slower divide mid-count keeps the count: the ticks already counted
 * can stand for more nanoseconds at the new rate than the clock has run,
 * and the current count must not read as the initial one then. */
TEST(lapic_timer_divide_slowed_early_keeps_the_count)
{
	struct rig *r = rig_new();
	enable(r);
	r->now = 1000;
	wr(r, 0x3e0, 0xb);     /* divide by 1 */
	wr(r, 0x320, 0x30);
	wr(r, 0x380, 1000000);
	r->now = 101000;       /* 100000 ticks counted */
	CHECK_EQ(rd(r, 0x390), 900000);
	wr(r, 0x3e0, 0xa);     /* divide by 128: 100000 ticks are 12.8 ms now */
	CHECK_EQ(rd(r, 0x390), 900000);
	r->now += 128 * 1000;
	CHECK_EQ(rd(r, 0x390), 899000);
	CHECK_EQ(lapic_next_event_ns(r->a), 101000 + 900000ull * 128);
	r->now = lapic_next_event_ns(r->a) - 1;
	lapic_update(r->a);
	CHECK_EQ(take(r), -2);
	r->now++;
	lapic_update(r->a);
	CHECK_EQ(take(r), 0x30);
	CHECK_EQ(rd(r, 0x390), 0);
	rig_free(r);
}

TEST(lapic_timer_periodic_masked_and_stopped)
{
	struct rig *r = rig_new();
	enable(r);
	wr(r, 0x3e0, 0xb);
	wr(r, 0x320, 0x20031); /* periodic */
	wr(r, 0x380, 100);
	for (int k = 1; k <= 3; k++) {
		r->now = 100ull * (uint64_t)k;
		lapic_update(r->a);
		CHECK_EQ(take(r), 0x31);
		wr(r, 0xb0, 0);
	}
	r->now = 350;
	CHECK_EQ(rd(r, 0x390), 50);
	r->now = 1000; /* late: one tick, and the next on the old grid */
	lapic_update(r->a);
	CHECK_EQ(take(r), 0x31);
	wr(r, 0xb0, 0);
	CHECK_EQ(take(r), -2);
	CHECK_EQ(lapic_next_event_ns(r->a), 1100);
	wr(r, 0x320, 0x30031); /* masked: counts, delivers nothing */
	r->now = 1100;
	lapic_update(r->a);
	CHECK_EQ(take(r), -2);
	CHECK_EQ(lapic_next_event_ns(r->a), 1200);
	wr(r, 0x380, 0);       /* a zero count stops it */
	CHECK_EQ(lapic_next_event_ns(r->a), UINT64_MAX);
	CHECK_EQ(rd(r, 0x390), 0);
	rig_free(r);
}

TEST(lapic_lint0_passes_the_8259)
{
	struct rig *r = rig_new();
	CHECK(lapic_intr_pending(r->a, true));      /* ExtINT at reset */
	CHECK_EQ(lapic_intr_ack(r->a, true), -1);    /* the PIC answers */
	CHECK(!lapic_intr_pending(r->a, false));
	enable(r);
	wr(r, 0x350, 0x10700);                       /* masked */
	CHECK(!lapic_intr_pending(r->a, true));
	CHECK(lapic_set_base(r->a, 0xfee00000u));     /* globally off */
	CHECK(lapic_intr_pending(r->a, true));       /* straight to the CPU */
	lapic_deliver(r->a, 0x50, false);
	CHECK_EQ(lapic_intr_ack(r->a, true), -1);    /* no APIC vectors then */
	rig_free(r);
}

TEST(lapic_self_ipi_and_others)
{
	struct rig *r = rig_new();
	enable(r);
	wr(r, 0x300, 0x00040055);       /* shorthand self, fixed 0x55 */
	CHECK_EQ(take(r), 0x55);
	CHECK_EQ(r->ipis, 0);
	wr(r, 0x310, 0x00000000);       /* physical destination 0: us */
	wr(r, 0x300, 0x00000066);
	CHECK_EQ(take(r), 0x66);
	wr(r, 0x310, 0x01000000);       /* CPU 1: someone else's */
	wr(r, 0x300, 0x00000077);
	CHECK_EQ(r->ipis, 1);
	wr(r, 0x300, 0x000c4500);       /* INIT to all but self */
	wr(r, 0x300, 0x000c4608);       /* SIPI */
	CHECK_EQ(r->ipis, 3);
	CHECK_EQ(r->last_icr, 0x000c4608);
	CHECK_EQ(rd(r, 0x300) & 0x1000, 0); /* delivery status: idle */
	rig_free(r);
}

TEST(lapic_base_msr)
{
	struct rig *r = rig_new();
	CHECK(!lapic_set_base(r->a, 0x1fee00900ull)); /* bit 32: reserved */
	CHECK(!lapic_set_base(r->a, 0xfee00901u));    /* bit 0: reserved */
	CHECK_EQ(lapic_get_base(r->a), 0xfee00900u);
	CHECK(lapic_set_base(r->a, 0xfed00800u));     /* move; BSP flag kept */
	CHECK_EQ(lapic_get_base(r->a), 0xfed00900u);
	CHECK_EQ(lapic_mmio_base(r->a), 0xfed00000u);
	CHECK(lapic_hw_enabled(r->a));
	rig_free(r);
}

TEST(lapic_logical_destinations)
{
	struct rig *r = rig_new();
	CHECK(lapic_match_dest(r->a, 0, false));
	CHECK(!lapic_match_dest(r->a, 1, false));
	CHECK(lapic_match_dest(r->a, 0xff, false));
	wr(r, 0xd0, 0x01000000);    /* logical id bit 0, flat */
	CHECK(lapic_match_dest(r->a, 0x01, true));
	CHECK(!lapic_match_dest(r->a, 0x02, true));
	wr(r, 0xe0, 0x0fffffff);    /* cluster model */
	wr(r, 0xd0, 0x21000000);    /* cluster 2, member 1 */
	CHECK(lapic_match_dest(r->a, 0x21, true));
	CHECK(!lapic_match_dest(r->a, 0x11, true));
	rig_free(r);
}
