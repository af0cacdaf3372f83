/*
 * The MC146818 real-time clock and its 128 bytes of CMOS memory, at ports
 * 0x70 (index; bit 7 is the NMI mask, which nothing here models) and 0x71
 * (data), interrupting on IRQ8.
 *
 * The clock is "epoch + elapsed vclock time": nothing ticks.  Time
 * registers are computed in the format register B asks for whenever they
 * are read.  A guest write to a time register, or clearing B.SET after
 * writing them, moves the epoch so the clock continues from the new value
 * without losing the sub-second phase.  While B.SET is set the registers
 * read back whatever was written and no update cycle happens.
 *
 * Interrupt flags (register C) are brought up to date lazily: on every
 * register access and on rtc_update(), by looking at what happened between
 * the last such point and now.  The update-ended and alarm checks are made
 * for the second reached; the run loop calls rtc_update() at each second
 * boundary whenever those interrupts are enabled (see rtc_next_event_ns).
 */
#include "dev/devices.h"

#include <stdlib.h>

#define NS_PER_S 1000000000ull
#define RTC_HZ 32768u
#define UIP_WINDOW_NS 244000ull

enum {
	REG_SEC = 0x00, REG_SEC_ALARM, REG_MIN, REG_MIN_ALARM, REG_HOUR, REG_HOUR_ALARM,
	REG_WDAY, REG_MDAY, REG_MONTH, REG_YEAR,
	REG_A = 0x0a, REG_B, REG_C, REG_D,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

/* Seconds range accepted for the clock: years 1900 through 9999. */
#define EPOCH_MIN (-2208988800ll)
#define EPOCH_MAX 253402300799ll

struct rtc {
	struct irq_line irq;
	struct vclock clock;
	uint8_t cmos[128];
	uint8_t index;
	uint64_t start_ns;       /* vclock time at creation */
	int64_t epoch_at_start;  /* clock reading at start_ns, moved by guest writes */
	uint64_t processed_ns;   /* events up to start_ns + this are in register C */
	bool irq_level;
};

struct civil {
	int64_t year;
	int month, mday, wday, hour, min, sec;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int year_days(int64_t y)
{
	return is_leap(y) ? 366 : 365;
}

static int month_days(int64_t y, int m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Any 400 consecutive Gregorian years hold exactly this many days, so whole
 * cycles can be skipped before walking year by year. */
#define DAYS_PER_400Y 146097

static struct civil civil_from_epoch(int64_t t)
{
	struct civil c;
	int64_t days = floor_div(t, 86400), secs = t - days * 86400;
	int64_t cycles = floor_div(days, DAYS_PER_400Y);
	c.hour = (int)(secs / 3600);
	c.min = (int)(secs / 60 % 60);
	c.sec = (int)(secs % 60);
	/* 1970-01-01 was a Thursday; the RTC counts Sunday as 1. */
	c.wday = (int)(days + 4 - floor_div(days + 4, 7) * 7) + 1;
	days -= cycles * DAYS_PER_400Y;
	c.year = 1970 + cycles * 400;
	while (days >= year_days(c.year))
		days -= year_days(c.year++);
	c.month = 1;
	while (days >= month_days(c.year, c.month))
		days -= month_days(c.year, c.month++);
	c.mday = (int)days + 1;
	return c;
}

/* Fields are clamped into range first: a guest may write anything. */
static int64_t epoch_from_civil(struct civil c)
{
	int m = c.month < 1 ? 1 : c.month > 12 ? 12 : c.month;
	int d = c.mday < 1 ? 1 : c.mday > 31 ? 31 : c.mday;
	int64_t cycles = floor_div(c.year - 1970, 400);
	int64_t days = cycles * DAYS_PER_400Y;
	for (int64_t y = 1970 + cycles * 400; y < c.year; y++)
		days += year_days(y);
	for (int i = 1; i < m; i++)
		days += month_days(c.year, i);
	days += d - 1;
	int h = c.hour > 23 ? 23 : c.hour, mi = c.min > 59 ? 59 : c.min, s = c.sec > 59 ? 59 : c.sec;
	return days * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t clamp_epoch(int64_t t)
{
	return t < EPOCH_MIN ? EPOCH_MIN : t > EPOCH_MAX ? EPOCH_MAX : t;
}

/* ---- register formats ---------------------------------------------------- */

static bool binary_mode(const struct rtc *r)
{
	return r->cmos[REG_B] & B_BINARY;
}

static uint8_t encode(const struct rtc *r, int v)
{
	return binary_mode(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int decode(const struct rtc *r, uint8_t b)
{
	return binary_mode(r) ? b : (b >> 4) * 10 + (b & 15);
}

static uint8_t encode_hour(const struct rtc *r, int h)
{
	if (r->cmos[REG_B] & B_24H)
		return encode(r, h);
	int h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(encode(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int decode_hour(const struct rtc *r, uint8_t b)
{
	if (r->cmos[REG_B] & B_24H)
		return decode(r, b);
	return decode(r, b & 0x7f) % 12 + ((b & 0x80) ? 12 : 0);
}

/* ---- time ------------------------------------------------------------------ */

static uint64_t rel_now(const struct rtc *r)
{
	uint64_t now = vclock_now(&r->clock);
	return now > r->start_ns ? now - r->start_ns : 0;
}

static int64_t clock_seconds(const struct rtc *r, uint64_t rel)
{
	return r->epoch_at_start + (int64_t)(rel / NS_PER_S);
}

static void store_time(struct rtc *r, int64_t t)
{
	struct civil c = civil_from_epoch(t);
	uint8_t *m = r->cmos;
	m[REG_SEC] = encode(r, c.sec);
	m[REG_MIN] = encode(r, c.min);
	m[REG_HOUR] = encode_hour(r, c.hour);
	m[REG_WDAY] = encode(r, c.wday);
	m[REG_MDAY] = encode(r, c.mday);
	m[REG_MONTH] = encode(r, c.month);
	m[REG_YEAR] = encode(r, (int)(c.year % 100));
	m[REG_CENTURY] = encode(r, (int)(c.year / 100));
}

static int64_t stored_time(const struct rtc *r)
{
	const uint8_t *m = r->cmos;
	struct civil c = {
		.year = decode(r, m[REG_CENTURY]) * 100 + decode(r, m[REG_YEAR]),
		.month = decode(r, m[REG_MONTH]),
		.mday = decode(r, m[REG_MDAY]),
		.hour = decode_hour(r, m[REG_HOUR]),
		.min = decode(r, m[REG_MIN]),
		.sec = decode(r, m[REG_SEC]),
	};
	return epoch_from_civil(c);
}

/* Makes the clock read t now, keeping the phase within the second. */
static void set_clock(struct rtc *r, int64_t t)
{
	r->epoch_at_start += clamp_epoch(t) - clock_seconds(r, rel_now(r));
}

static bool is_time_reg(int reg)
{
	switch (reg) {
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY:
	case REG_MDAY: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		return true;
	default:
		return false; /* the alarm registers are plain storage */
	}
}

/* ---- interrupts ------------------------------------------------------------ */

/* Periodic interrupt period in 32.768 kHz ticks, 0 when off. */
static uint32_t periodic_ticks(const struct rtc *r)
{
	int rs = r->cmos[REG_A] & 0x0f;
	if (!rs)
		return 0;
	return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

static uint64_t ns_to_rtc_ticks(uint64_t ns)
{
	return ns / NS_PER_S * RTC_HZ + ns % NS_PER_S * RTC_HZ / NS_PER_S;
}

static uint64_t rtc_ticks_to_ns(uint64_t ticks)
{
	return ticks / RTC_HZ * NS_PER_S + (ticks % RTC_HZ * NS_PER_S + RTC_HZ - 1) / RTC_HZ;
}

static bool alarm_field_matches(uint8_t alarm, uint8_t value)
{
	return (alarm & 0xc0) == 0xc0 || alarm == value; /* 11xxxxxx = don't care */
}

/* The alarm registers are compared with the time in the current format. */
static bool alarm_matches(const struct rtc *r, int64_t t)
{
	struct civil c = civil_from_epoch(t);
	const uint8_t *m = r->cmos;
	return alarm_field_matches(m[REG_SEC_ALARM], encode(r, c.sec)) &&
	       alarm_field_matches(m[REG_MIN_ALARM], encode(r, c.min)) &&
	       alarm_field_matches(m[REG_HOUR_ALARM], encode_hour(r, c.hour));
}

static void update_irq(struct rtc *r)
{
	uint8_t *c = &r->cmos[REG_C];
	if (*c & r->cmos[REG_B] & (C_PF | C_AF | C_UF))
		*c |= C_IRQF;
	bool level = *c & C_IRQF;
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_set(&r->irq, 8, level);
	}
}

/* Sets the register C flags for what happened since the last call. */
static void process_events(struct rtc *r)
{
	uint64_t last = r->processed_ns, cur = rel_now(r);
	uint32_t period = periodic_ticks(r);
	if (cur <= last)
		return;
	if (period && ns_to_rtc_ticks(cur) / period != ns_to_rtc_ticks(last) / period)
		r->cmos[REG_C] |= C_PF;
	if (!(r->cmos[REG_B] & B_SET) && cur / NS_PER_S != last / NS_PER_S) {
		r->cmos[REG_C] |= C_UF;
		if (alarm_matches(r, clock_seconds(r, cur)))
			r->cmos[REG_C] |= C_AF;
	}
	r->processed_ns = cur;
	update_irq(r);
}

void rtc_update(struct rtc *r)
{
	process_events(r);
}

uint64_t rtc_next_event_ns(struct rtc *r)
{
	uint64_t next = UINT64_MAX, cur = r->processed_ns;
	uint8_t b = r->cmos[REG_B];
	uint32_t period = periodic_ticks(r);
	if (r->irq_level)
		return UINT64_MAX; /* nothing can change the line until C is read */
	if ((b & B_PIE) && period)
		next = rtc_ticks_to_ns((ns_to_rtc_ticks(cur) / period + 1) * period);
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
		uint64_t second = (cur / NS_PER_S + 1) * NS_PER_S;
		next = second < next ? second : next;
	}
	return next == UINT64_MAX ? next : r->start_ns + next;
}

/* ---- port access ------------------------------------------------------------ */

static uint8_t read_reg_a(struct rtc *r)
{
	uint8_t a = r->cmos[REG_A] & 0x7f;
	if (!(r->cmos[REG_B] & B_SET) && rel_now(r) % NS_PER_S >= NS_PER_S - UIP_WINDOW_NS)
		a |= A_UIP;
	return a;
}

static uint8_t rtc_read_reg(struct rtc *r, int reg)
{
	uint8_t v;
	process_events(r);
	if (is_time_reg(reg) && !(r->cmos[REG_B] & B_SET)) {
		store_time(r, clock_seconds(r, rel_now(r)));
		return r->cmos[reg];
	}
	switch (reg) {
	case REG_A:
		return read_reg_a(r);
	case REG_C:
		v = r->cmos[REG_C];
		r->cmos[REG_C] = 0;
		update_irq(r);
		return v;
	default:
		return r->cmos[reg];
	}
}

static void write_reg_b(struct rtc *r, uint8_t val)
{
	bool was_set = r->cmos[REG_B] & B_SET;
	if (val & B_SET) {
		val &= (uint8_t)~B_UIE; /* SET clears UIE on the real part */
		if (!was_set)
			store_time(r, clock_seconds(r, rel_now(r)));
	}
	r->cmos[REG_B] = val;
	if (was_set && !(val & B_SET))
		set_clock(r, stored_time(r));
}

static void rtc_write_reg(struct rtc *r, int reg, uint8_t val)
{
	process_events(r);
	if (is_time_reg(reg)) {
		if (!(r->cmos[REG_B] & B_SET))
			store_time(r, clock_seconds(r, rel_now(r)));
		r->cmos[reg] = val;
		if (!(r->cmos[REG_B] & B_SET))
			set_clock(r, stored_time(r));
		return;
	}
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = val & 0x7f; /* UIP is read-only */
		break;
	case REG_B:
		write_reg_b(r, val);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = val;
		break;
	}
	update_irq(r);
}

static uint32_t rtc_io_read(void *opaque, uint32_t port, int size)
{
	struct rtc *r = opaque;
	(void)size;
	if (port == 0x70)
		return 0xff; /* the index register is write-only */
	return rtc_read_reg(r, r->index);
}

static void rtc_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct rtc *r = opaque;
	(void)size;
	if (port == 0x70)
		r->index = val & 0x7f;
	else
		rtc_write_reg(r, r->index, (uint8_t)val);
}

/* ---- memory size and setup -------------------------------------------------- */

static void store_word(struct rtc *r, int reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[reg] = (uint8_t)v;
	r->cmos[reg + 1] = (uint8_t)(v >> 8);
}

/* The standard AT checksum over 0x10-0x2d, stored big-endian at 0x2e. */
static void update_checksum(struct rtc *r)
{
	unsigned sum = 0;
	for (int i = 0x10; i <= 0x2d; i++)
		sum += r->cmos[i];
	r->cmos[0x2e] = (uint8_t)(sum >> 8);
	r->cmos[0x2f] = (uint8_t)sum;
}

void rtc_set_memory_size(struct rtc *r, uint64_t ram_bytes)
{
	const uint64_t kib = 1024, mib = 1024 * kib;
	uint64_t base_kib = ram_bytes / kib < 640 ? ram_bytes / kib : 640;
	uint64_t ext_kib = ram_bytes > mib ? (ram_bytes - mib) / kib : 0;
	uint64_t high_64k = ram_bytes > 16 * mib ? (ram_bytes - 16 * mib) / (64 * kib) : 0;
	store_word(r, 0x15, base_kib);
	store_word(r, 0x17, ext_kib);
	store_word(r, 0x30, ext_kib);
	store_word(r, 0x34, high_64k);
	update_checksum(r);
}

struct rtc *rtc_create(struct iobus *io, const struct irq_line *irq, const struct vclock *clk,
		       int64_t start_epoch_seconds)
{
	if (!clk || !clk->now_ns)
		return NULL;
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (irq)
		r->irq = *irq;
	r->clock = *clk;
	r->start_ns = vclock_now(clk);
	r->epoch_at_start = clamp_epoch(start_epoch_seconds);
	r->cmos[REG_A] = 0x26;  /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->cmos[REG_B] = B_24H; /* BCD, 24-hour: what PC firmware leaves */
	r->cmos[REG_D] = D_VRT; /* battery good */
	update_checksum(r);
	if (iobus_register(io, "rtc", 0x70, 2, rtc_io_read, rtc_io_write, r) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void rtc_destroy(struct rtc *r)
{
	free(r);
}
