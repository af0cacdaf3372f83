/*
 * Local APIC; see dev/lapic.h.
 *
 * Every value the guest writes is masked to the register's defined bits,
 * the timer's arithmetic is in 64 bits with the divisor at most 128, and
 * vectors index 256-bit bitmaps, so no guest value reaches memory outside
 * this struct.
 */
#include "dev/lapic.h"

#include <stdlib.h>
#include <string.h>

enum {
	R_ID = 0x020, R_VERSION = 0x030, R_TPR = 0x080, R_APR = 0x090, R_PPR = 0x0a0,
	R_EOI = 0x0b0, R_RRD = 0x0c0, R_LDR = 0x0d0, R_DFR = 0x0e0, R_SVR = 0x0f0,
	R_ISR = 0x100, R_TMR = 0x180, R_IRR = 0x200, R_ESR = 0x280,
	R_ICR_LO = 0x300, R_ICR_HI = 0x310,
	R_LVT_TIMER = 0x320, R_LVT_THERMAL = 0x330, R_LVT_PERF = 0x340,
	R_LVT_LINT0 = 0x350, R_LVT_LINT1 = 0x360, R_LVT_ERROR = 0x370,
	R_TIMER_INIT = 0x380, R_TIMER_CUR = 0x390, R_TIMER_DIV = 0x3e0,
};

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, NLVT };

#define VERSION 0x00050014u /* version 0x14, six LVT entries */
#define SVR_ENABLE 0x100u
#define LVT_MASKED 0x10000u
#define LVT_PERIODIC 0x20000u
#define LVT_MODE(v) (((v) >> 8) & 7)
#define MODE_FIXED 0
#define MODE_EXTINT 7
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECV_ILLEGAL 0x40u
#define ESR_ILLEGAL_REG 0x80u
#define BASE_ADDR_MASK 0xfffff000ull
#define BASE_WRITABLE (BASE_ADDR_MASK | APIC_BASE_ENABLE | APIC_BASE_BSP)

/* Writable bits of each LVT: vector, mode, polarity, trigger, mask as
 * each entry has them (the timer: vector, mask, periodic). */
static const uint32_t lvt_writable[NLVT] = {
	0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff,
};

struct lapic {
	struct lapic_config cfg;
	uint64_t base;
	uint32_t id, tpr, ldr, dfr, svr, esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[NLVT];
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t timer_init, timer_div;
	uint64_t timer_start;    /* when the count (re)started; may wrap below 0 */
	uint64_t timer_next;     /* next expiry, UINT64_MAX: none */
	uint32_t timer_shift;    /* log2 of the divisor */
};

/* --- bitmaps and priority ------------------------------------------------- */

static void set_bit(uint32_t *map, int v)
{
	map[v >> 5] |= 1u << (v & 31);
}

static void clear_bit(uint32_t *map, int v)
{
	map[v >> 5] &= ~(1u << (v & 31));
}

static bool test_bit(const uint32_t *map, int v)
{
	return map[v >> 5] & (1u << (v & 31));
}

static int highest(const uint32_t *map)
{
	for (int i = 7; i >= 0; i--)
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	return -1;
}

static uint32_t ppr(const struct lapic *a)
{
	int isrv = highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

static bool sw_enabled(const struct lapic *a)
{
	return (a->svr & SVR_ENABLE) && lapic_hw_enabled(a);
}

static void error(struct lapic *a, uint32_t bits)
{
	a->esr_pending |= bits;
	uint32_t lvt = a->lvt[LVT_ERROR];
	if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16)
		set_bit(a->irr, (int)(lvt & 0xff));
}

void lapic_deliver(struct lapic *a, int vector, bool level)
{
	if (vector < 16 || vector > 255) {
		error(a, ESR_RECV_ILLEGAL);
		return;
	}
	set_bit(a->irr, vector);
	if (level)
		set_bit(a->tmr, vector);
	else
		clear_bit(a->tmr, vector);
}

/* --- the timer ------------------------------------------------------------ */

static uint64_t now(const struct lapic *a)
{
	return vclock_now(a->cfg.clock);
}

/* Nanoseconds the whole initial count lasts: count x divisor bus ticks. */
static uint64_t timer_period(const struct lapic *a)
{
	return ((uint64_t)a->timer_init << a->timer_shift) * (1000000000ull / LAPIC_BUS_HZ);
}

static void timer_arm(struct lapic *a, uint64_t start)
{
	a->timer_start = start;
	a->timer_next = a->timer_init ? start + timer_period(a) : UINT64_MAX;
}

static uint32_t timer_current(const struct lapic *a)
{
	if (!a->timer_init || a->timer_next == UINT64_MAX)
		return 0;
	/* Modulo 2^64: set_divide may put the start before the clock's 0. */
	uint64_t period = timer_period(a), elapsed = now(a) - a->timer_start;
	if (elapsed >= period) {
		if (!(a->lvt[LVT_TIMER] & LVT_PERIODIC))
			return 0;
		elapsed %= period;
	}
	return (uint32_t)((period - elapsed) >> a->timer_shift);
}

void lapic_update(struct lapic *a)
{
	uint64_t t = now(a);
	if (a->timer_next == UINT64_MAX || t < a->timer_next)
		return;
	uint32_t lvt = a->lvt[LVT_TIMER];
	if (!(lvt & LVT_MASKED))
		lapic_deliver(a, (int)(lvt & 0xff), false);
	if (!(lvt & LVT_PERIODIC)) {
		a->timer_next = UINT64_MAX;
		return;
	}
	/* One interrupt however many periods went by, as a late tick. */
	uint64_t period = timer_period(a);
	uint64_t n = (t - a->timer_start) / period + 1;
	a->timer_next = a->timer_start + n * period;
}

uint64_t lapic_next_event_ns(const struct lapic *a)
{
	return a->timer_next;
}

/* Bits 0, 1 and 3 select a divisor of 2, 4, ... 128, or 1 for 0b111. */
static void set_divide(struct lapic *a, uint32_t v)
{
	uint32_t cur = timer_current(a);
	a->timer_div = v & 0xb;
	uint32_t sel = (v & 3) | ((v >> 1) & 4);
	a->timer_shift = (sel + 1) & 7;
	if (a->timer_next != UINT64_MAX && cur) {
		/* Keep the remaining count; it now runs at the new rate. */
		uint64_t t = now(a);
		a->timer_start = t - (((uint64_t)(a->timer_init - cur)) << a->timer_shift);
		a->timer_next = a->timer_start + timer_period(a);
	}
}

/* --- the interrupt command register --------------------------------------- */

static void send_ipi(struct lapic *a)
{
	uint32_t lo = a->icr_lo, mode = LVT_MODE(lo), vector = lo & 0xff;
	uint32_t shorthand = (lo >> 18) & 3;
	bool self = shorthand == 1 || shorthand == 2 ||
		    (shorthand == 0 && lapic_match_dest(a, (uint8_t)(a->icr_hi >> 24), lo & 0x800));
	bool others = shorthand >= 2 || (shorthand == 0 && (a->icr_hi >> 24) != a->id);
	if ((mode == MODE_FIXED || mode == 1) && vector < 16) {
		error(a, ESR_SEND_ILLEGAL);
		return;
	}
	if (self && (mode == MODE_FIXED || mode == 1))
		lapic_deliver(a, (int)vector, false);
	if ((others || mode == 5 || mode == 6) && a->cfg.ipi)
		a->cfg.ipi(a->cfg.opaque, lo, a->icr_hi);
}

bool lapic_match_dest(const struct lapic *a, uint8_t dest, bool logical)
{
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == a->id;
	uint8_t ldr = (uint8_t)(a->ldr >> 24);
	if ((a->dfr >> 28) == 0xf) /* flat model */
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf); /* cluster */
}

/* --- registers ------------------------------------------------------------ */

static uint32_t read_reg(struct lapic *a, uint32_t reg)
{
	if (reg >= R_ISR && reg < R_ISR + 0x80)
		return a->isr[(reg - R_ISR) >> 4];
	if (reg >= R_TMR && reg < R_TMR + 0x80)
		return a->tmr[(reg - R_TMR) >> 4];
	if (reg >= R_IRR && reg < R_IRR + 0x80)
		return a->irr[(reg - R_IRR) >> 4];
	if (reg >= R_LVT_TIMER && reg <= R_LVT_ERROR)
		return a->lvt[(reg - R_LVT_TIMER) >> 4];
	switch (reg) {
	case R_ID: return a->id << 24;
	case R_VERSION: return VERSION;
	case R_TPR: return a->tpr;
	case R_PPR: return ppr(a);
	case R_LDR: return a->ldr;
	case R_DFR: return a->dfr;
	case R_SVR: return a->svr;
	case R_ESR: return a->esr;
	case R_ICR_LO: return a->icr_lo;
	case R_ICR_HI: return a->icr_hi;
	case R_TIMER_INIT: return a->timer_init;
	case R_TIMER_CUR: return timer_current(a);
	case R_TIMER_DIV: return a->timer_div;
	}
	return 0;
}

uint32_t lapic_read(struct lapic *a, uint32_t offset, int size)
{
	offset &= LAPIC_SIZE - 1;
	uint32_t shift = 8 * (offset & 3);
	if ((offset & 0xf) + (uint32_t)size > 4)
		return 0; /* past the register: reserved bytes */
	uint32_t v = read_reg(a, offset & ~0xfu) >> shift;
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void write_eoi(struct lapic *a)
{
	int v = highest(a->isr);
	if (v < 0)
		return; /* nothing in service: no effect */
	clear_bit(a->isr, v);
	if (test_bit(a->tmr, v) && a->cfg.eoi)
		a->cfg.eoi(a->cfg.opaque, v);
}

static void write_lvt(struct lapic *a, int i, uint32_t v)
{
	v &= lvt_writable[i];
	if (!(a->svr & SVR_ENABLE))
		v |= LVT_MASKED; /* software-disabled: every LVT stays masked */
	a->lvt[i] = v;
}

static void write_svr(struct lapic *a, uint32_t v)
{
	a->svr = v & 0x3ff;
	if (!(a->svr & SVR_ENABLE))
		for (int i = 0; i < NLVT; i++)
			a->lvt[i] |= LVT_MASKED;
}

static void write_reg(struct lapic *a, uint32_t reg, uint32_t v)
{
	if (reg >= R_LVT_TIMER && reg <= R_LVT_ERROR) {
		write_lvt(a, (int)((reg - R_LVT_TIMER) >> 4), v);
		return;
	}
	switch (reg) {
	case R_ID: a->id = v >> 24; break;
	case R_TPR: a->tpr = v & 0xff; break;
	case R_EOI: write_eoi(a); break;
	case R_LDR: a->ldr = v & 0xff000000u; break;
	case R_DFR: a->dfr = v | 0x0fffffffu; break;
	case R_SVR: write_svr(a, v); break;
	case R_ESR: a->esr = a->esr_pending; a->esr_pending = 0; break;
	case R_ICR_LO: a->icr_lo = v & 0x000cdfffu; send_ipi(a); break;
	case R_ICR_HI: a->icr_hi = v & 0xff000000u; break;
	case R_TIMER_INIT: a->timer_init = v; timer_arm(a, now(a)); break;
	case R_TIMER_DIV: set_divide(a, v); break;
	case R_VERSION: case R_APR: case R_PPR: case R_RRD: case R_TIMER_CUR:
		break; /* read-only */
	default:
		if (reg < R_ISR || reg >= R_ICR_LO)
			error(a, ESR_ILLEGAL_REG);
		break; /* ISR, TMR, IRR: read-only */
	}
}

void lapic_write(struct lapic *a, uint32_t offset, int size, uint32_t v)
{
	offset &= LAPIC_SIZE - 1;
	if (size != 4 || (offset & 0xf))
		return;
	write_reg(a, offset, v);
}

/* --- the CPU side --------------------------------------------------------- */

static int deliverable(const struct lapic *a)
{
	if (!sw_enabled(a))
		return -1;
	int v = highest(a->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return v;
}

/* The 8259 reaches the CPU through LINT0, as QEMU wires it: always while
 * the APIC is off, else while LINT0 is unmasked. */
static bool pic_passes(const struct lapic *a, bool pic_intr)
{
	if (!pic_intr)
		return false;
	return !lapic_hw_enabled(a) || !(a->lvt[LVT_LINT0] & LVT_MASKED);
}

bool lapic_intr_pending(struct lapic *a, bool pic_intr)
{
	return deliverable(a) >= 0 || pic_passes(a, pic_intr);
}

int lapic_intr_ack(struct lapic *a, bool pic_intr)
{
	int v = deliverable(a);
	if (v >= 0) {
		clear_bit(a->irr, v);
		set_bit(a->isr, v);
		return v;
	}
	if (pic_passes(a, pic_intr))
		return -1;
	return (int)(a->svr & 0xff); /* nothing left: the spurious vector */
}

/* --- the base MSR --------------------------------------------------------- */

uint64_t lapic_get_base(const struct lapic *a)
{
	return a->base;
}

uint32_t lapic_mmio_base(const struct lapic *a)
{
	return (uint32_t)(a->base & BASE_ADDR_MASK);
}

bool lapic_hw_enabled(const struct lapic *a)
{
	return a->base & APIC_BASE_ENABLE;
}

bool lapic_set_base(struct lapic *a, uint64_t v)
{
	if (v & ~(uint64_t)BASE_WRITABLE)
		return false;
	/* The BSP flag is the hardware's to say. */
	a->base = (v & ~(uint64_t)APIC_BASE_BSP) | (a->base & APIC_BASE_BSP);
	return true;
}

/* --- lifetime ------------------------------------------------------------- */

struct lapic *lapic_create(const struct lapic_config *cfg)
{
	struct lapic *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cfg = *cfg;
	a->id = cfg->id;
	a->base = LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (cfg->bsp ? APIC_BASE_BSP : 0);
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	for (int i = 0; i < NLVT; i++)
		a->lvt[i] = LVT_MASKED;
	/* As QEMU's BSP at reset: LINT0 in ExtINT mode, so the 8259 works
	 * before the OS (or firmware) sets up virtual wire mode. */
	if (cfg->bsp)
		a->lvt[LVT_LINT0] = MODE_EXTINT << 8;
	a->timer_next = UINT64_MAX;
	a->timer_shift = 1; /* divide register 0: divide by 2 */
	return a;
}

void lapic_destroy(struct lapic *a)
{
	free(a);
}
