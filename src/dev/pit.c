/*
 * The 8254 programmable interval timer at 0x40-0x43 and the PC's
 * "system control port B" at 0x61, which gates PIT channel 2 and shows its
 * output.
 *
 * Counters are not stepped.  Each channel remembers when its current count
 * started (load_ns) and how many input clocks had already passed at that
 * moment (base_ticks, non-zero only after the gate paused it); its value
 * and OUT pin are computed from the clock on demand.  Channel 0's rising
 * OUT edges are reported to IRQ0 by pit_update(), which the run loop calls
 * at least as often as pit_next_event_ns() asks it to.
 *
 * Model of a count N (ticks d counted from the load):
 *   mode 0  value N-d (wrapping), OUT high from d = N on (one IRQ edge)
 *   mode 1  as mode 0, but started by a rising gate edge
 *   mode 2  value N - d%N, OUT low while the value is 1, edges at d = kN
 *   mode 3  value falls by 2 per tick in each half, OUT high for the first
 *           (N+1)/2 ticks of each period, edges at d = kN
 *   mode 4  value N-d, OUT low for the single tick d = N (edge at N+1)
 *   mode 5  as mode 4, but started by a rising gate edge
 * The one-clock load delay of the real part is not modelled; a new count is
 * used at once, also in modes 2 and 3.
 */
#include "dev/devices.h"

#include <stdlib.h>

#define PIT_HZ 1193182u
#define NS_PER_S 1000000000u
#define REFRESH_HALF_PERIOD_NS 15085u /* port 0x61 bit 4 toggle rate */

enum latch_state { LATCH_NONE, LATCH_LSB, LATCH_MSB, LATCH_WORD };

struct pit_channel {
	uint32_t count;      /* reload value, 1..65536 (BCD: 1..10000) */
	uint8_t mode;        /* 0..5, the effective mode */
	uint8_t mode_bits;   /* as programmed, for the status byte */
	uint8_t rw;          /* 1 lsb, 2 msb, 3 lsb then msb */
	bool bcd;
	bool armed;          /* a count was loaded since the control word */
	bool triggered;      /* modes 1/5: a gate edge started the count */
	bool gate;
	bool null_count;     /* count written but not yet loaded (status bit 6) */
	uint64_t load_ns;
	uint64_t base_ticks;
	uint64_t irq_ticks;  /* OUT edges up to this tick have been reported */
	bool write_msb_next;
	uint8_t write_lsb;
	bool read_msb_next;
	enum latch_state latch;
	uint16_t latched;
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct pit_channel ch[3];
	struct irq_line irq;
	struct vclock clock;
	const struct vclock *clk; /* &clock */
	uint8_t port61; /* bits 0-3 as written */
};

/* Input clocks in ns nanoseconds, split so that it cannot overflow. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The earliest ns at which ns_to_ticks() reaches ticks. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	uint64_t whole = ticks / PIT_HZ, part = ticks % PIT_HZ;
	if (whole > UINT64_MAX / NS_PER_S - 1)
		return UINT64_MAX;
	return whole * NS_PER_S + (part * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static uint32_t modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

/* Modes 0, 2, 3 and 4 stop counting while the gate is low. */
static bool gate_stops_count(const struct pit_channel *c)
{
	return c->mode != 1 && c->mode != 5;
}

static bool counting(const struct pit_channel *c)
{
	if (!c->armed)
		return false;
	if (c->mode == 1 || c->mode == 5)
		return c->triggered;
	return c->gate;
}

/* Input clocks counted since the current count was loaded. */
static uint64_t elapsed_ticks(const struct pit_channel *c, uint64_t now)
{
	if (!counting(c))
		return c->base_ticks;
	return c->base_ticks + (now > c->load_ns ? ns_to_ticks(now - c->load_ns) : 0);
}

static uint32_t counter_value(const struct pit_channel *c, uint64_t d)
{
	uint32_t n = c->count, m = modulus(c), v, half;
	if (!c->armed || ((c->mode == 1 || c->mode == 5) && !c->triggered))
		return n % m;
	switch (c->mode) {
	case 2:
		v = n - (uint32_t)(d % n);
		break;
	case 3:
		half = (n + 1) / 2;
		v = (uint32_t)(d % n);
		v = v < half ? n - 2 * v : n - 2 * (v - half);
		break;
	default: /* 0, 1, 4, 5 count down and wrap */
		v = (uint32_t)((n + m - d % m) % m);
		break;
	}
	return v % m;
}

static bool out_level(const struct pit_channel *c, uint64_t d)
{
	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return d >= c->count;
	case 1:
		return !c->triggered || d >= c->count;
	case 2:
		return !c->gate || d % c->count != c->count - 1;
	case 3:
		return !c->gate || d % c->count < (c->count + 1) / 2;
	case 5:
		return !c->triggered || d != c->count;
	default: /* 4 */
		return d != c->count;
	}
}

/* The first tick after `after` at which OUT rises, or UINT64_MAX. */
static uint64_t next_rising_edge(const struct pit_channel *c, uint64_t after)
{
	uint64_t at;
	if (!counting(c))
		return UINT64_MAX;
	switch (c->mode) {
	case 0:
	case 1:
		at = c->count;
		break;
	case 2:
	case 3:
		return (after / c->count + 1) * c->count;
	default: /* 4, 5 */
		at = (uint64_t)c->count + 1;
		break;
	}
	return at > after ? at : UINT64_MAX;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

static uint32_t from_bcd(uint16_t v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000u;
}

/* The value a read or latch sees now, in the channel's number format. */
static uint16_t readable_value(const struct pit *p, const struct pit_channel *c)
{
	uint32_t v = counter_value(c, elapsed_ticks(c, vclock_now(p->clk)));
	return c->bcd ? to_bcd(v) : (uint16_t)v;
}

static void latch_count(struct pit *p, struct pit_channel *c)
{
	if (c->latch != LATCH_NONE)
		return; /* the first latch holds until it is read */
	c->latched = readable_value(p, c);
	c->latch = c->rw == 1 ? LATCH_LSB : c->rw == 2 ? LATCH_MSB : LATCH_WORD;
}

static void latch_status(struct pit *p, struct pit_channel *c)
{
	if (c->status_latched)
		return;
	bool out = out_level(c, elapsed_ticks(c, vclock_now(p->clk)));
	c->status = (uint8_t)(out << 7 | c->null_count << 6 | c->rw << 4 | c->mode_bits << 1 | c->bcd);
	c->status_latched = true;
}

static void read_back(struct pit *p, uint8_t cmd)
{
	for (int i = 0; i < 3; i++) {
		if (!(cmd & (2u << i)))
			continue;
		/* The status is latched first so it reports the OUT level the
		 * latched count belongs to. */
		if (!(cmd & 0x10))
			latch_status(p, &p->ch[i]);
		if (!(cmd & 0x20))
			latch_count(p, &p->ch[i]);
	}
}

static void control_word(struct pit *p, uint8_t val)
{
	int sel = val >> 6;
	if (sel == 3) {
		read_back(p, val);
		return;
	}
	struct pit_channel *c = &p->ch[sel];
	uint8_t rw = (val >> 4) & 3;
	if (rw == 0) {
		latch_count(p, c);
		return;
	}
	c->rw = rw;
	c->mode_bits = (val >> 1) & 7;
	c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
	c->bcd = val & 1;
	c->armed = false;
	c->triggered = false;
	c->null_count = true;
	c->base_ticks = 0;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->latch = LATCH_NONE;
	c->status_latched = false;
}

static void load_count(struct pit *p, struct pit_channel *c, uint16_t raw)
{
	uint32_t n = c->bcd ? from_bcd(raw) : raw;
	c->count = n ? n : modulus(c);
	c->armed = true;
	c->triggered = false;
	c->null_count = false;
	c->load_ns = vclock_now(p->clk);
	c->base_ticks = 0;
	c->irq_ticks = 0;
}

static void write_count(struct pit *p, struct pit_channel *c, uint8_t val)
{
	switch (c->rw) {
	case 1:
		load_count(p, c, val);
		break;
	case 2:
		load_count(p, c, (uint16_t)(val << 8));
		break;
	case 3:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
			/* Mode 0 stops counting when the first byte arrives. */
			if (c->mode == 0)
				c->armed = false;
		} else {
			c->write_msb_next = false;
			load_count(p, c, (uint16_t)(c->write_lsb | val << 8));
		}
		break;
	default: /* no control word written since reset */
		break;
	}
}

static uint8_t read_count(struct pit *p, struct pit_channel *c)
{
	uint16_t v;
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	switch (c->latch) {
	case LATCH_LSB:
		c->latch = LATCH_NONE;
		return (uint8_t)c->latched;
	case LATCH_MSB:
		c->latch = LATCH_NONE;
		return (uint8_t)(c->latched >> 8);
	case LATCH_WORD:
		c->latch = LATCH_MSB;
		return (uint8_t)c->latched;
	default:
		break;
	}
	v = readable_value(p, c);
	if (c->rw == 2)
		return (uint8_t)(v >> 8);
	if (c->rw == 3) {
		c->read_msb_next = !c->read_msb_next;
		if (!c->read_msb_next)
			return (uint8_t)(v >> 8);
	}
	return (uint8_t)v;
}

static uint32_t pit_io_read(void *opaque, uint32_t port, int size)
{
	struct pit *p = opaque;
	(void)size;
	if (port - 0x40 < 3)
		return read_count(p, &p->ch[port - 0x40]);
	return 0xff; /* the control register is write-only */
}

static void pit_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct pit *p = opaque;
	(void)size;
	if (port == 0x43)
		control_word(p, (uint8_t)val);
	else if (port - 0x40 < 3)
		write_count(p, &p->ch[port - 0x40], (uint8_t)val);
}

static void set_gate(struct pit *p, struct pit_channel *c, bool gate)
{
	uint64_t now = vclock_now(p->clk);
	if (gate == c->gate)
		return;
	uint64_t d = elapsed_ticks(c, now);
	c->gate = gate;
	if (gate_stops_count(c)) {
		/* Pause by folding the ticks so far into base_ticks; modes 2
		 * and 3 start a fresh period on the rising edge. */
		c->base_ticks = (gate && (c->mode == 2 || c->mode == 3)) ? 0 : d;
	} else if (gate && c->armed) {
		c->triggered = true; /* modes 1 and 5 (re)start on a rising edge */
		c->base_ticks = 0;
	} else {
		return; /* a falling gate does not affect modes 1 and 5 */
	}
	c->load_ns = now;
	c->irq_ticks = c->base_ticks;
}

static uint32_t port61_read(void *opaque, uint32_t port, int size)
{
	struct pit *p = opaque;
	struct pit_channel *c2 = &p->ch[2];
	uint64_t now = vclock_now(p->clk);
	bool refresh = (now / REFRESH_HALF_PERIOD_NS) & 1;
	bool out2 = out_level(c2, elapsed_ticks(c2, now));
	(void)port;
	(void)size;
	return (uint32_t)((p->port61 & 0x0f) | refresh << 4 | out2 << 5);
}

static void port61_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct pit *p = opaque;
	(void)port;
	(void)size;
	p->port61 = val & 0x0f;
	set_gate(p, &p->ch[2], val & 1);
}

void pit_update(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t d = elapsed_ticks(c, vclock_now(p->clk));
	if (next_rising_edge(c, c->irq_ticks) <= d) {
		/* Edges that happened since the last call are coalesced into
		 * one: the PIC latches a rising edge and cannot count them. */
		irq_set(&p->irq, 0, 1);
		irq_set(&p->irq, 0, 0);
	}
	c->irq_ticks = d;
}

uint64_t pit_next_event_ns(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t edge = next_rising_edge(c, c->irq_ticks);
	if (edge == UINT64_MAX || !counting(c))
		return UINT64_MAX;
	uint64_t ns = ticks_to_ns(edge - c->base_ticks);
	return ns > UINT64_MAX - c->load_ns ? UINT64_MAX : c->load_ns + ns;
}

struct pit *pit_create(struct iobus *io, const struct irq_line *irq, const struct vclock *clk)
{
	if (!clk || !clk->now_ns)
		return NULL;
	struct pit *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (irq)
		p->irq = *irq;
	p->clock = *clk;
	p->clk = &p->clock;
	/* Until the guest programs them the counters do not run: there is no
	 * BIOS to have started channel 0. */
	for (int i = 0; i < 3; i++) {
		p->ch[i].count = 65536;
		p->ch[i].gate = i != 2;
	}
	const struct bus_region ports[] = {
		{ "pit", 0x40, 4, pit_io_read, pit_io_write, p, NULL },
		{ "port61", 0x61, 1, port61_read, port61_write, p, NULL },
	};
	if (iobus_register_all(io, p, ports, 2) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void pit_destroy(struct pit *p)
{
	free(p);
}
