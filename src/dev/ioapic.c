/*
 * The I/O APIC; see dev/ioapic.h.  The guest picks registers through an
 * 8-bit index, so every index is checked against the register file before
 * it is used.
 */
#include "dev/ioapic.h"

#include <stdlib.h>

#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10
#define VERSION (0x11u | (uint32_t)(IOAPIC_PINS - 1) << 16)

#define E_DELIVERY_STATUS (1ull << 12)
#define E_REMOTE_IRR (1ull << 14)
#define E_LEVEL (1ull << 15)
#define E_MASKED (1ull << 16)
/* vector, delivery mode, destination mode, polarity, trigger, mask; destination */
#define E_WRITABLE (0xff00000000000000ull | 0x1afffull)

struct ioapic {
	struct ioapic_config cfg;
	uint32_t sel;
	uint8_t id;
	uint64_t redir[IOAPIC_PINS];
	uint32_t lines; /* input levels */
};

static void send(struct ioapic *io, int pin)
{
	uint64_t e = io->redir[pin];
	struct ioapic_msg m = {
		.vector = (uint8_t)e, .mode = (uint8_t)((e >> 8) & 7),
		.dest = (uint8_t)(e >> 56), .logical = (e >> 11) & 1, .level = (e & E_LEVEL) != 0,
	};
	if (m.level)
		io->redir[pin] |= E_REMOTE_IRR;
	if (io->cfg.deliver)
		io->cfg.deliver(io->cfg.opaque, &m);
}

/* A level pin that is asserted, unmasked and not waiting for an EOI. */
static void service_level(struct ioapic *io, int pin)
{
	uint64_t e = io->redir[pin];
	if ((e & E_LEVEL) && !(e & (E_MASKED | E_REMOTE_IRR)) && (io->lines & (1u << pin)))
		send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, int pin, int level)
{
	if (pin < 0 || pin >= IOAPIC_PINS)
		return;
	uint32_t bit = 1u << pin;
	bool was = io->lines & bit;
	io->lines = level ? io->lines | bit : io->lines & ~bit;
	uint64_t e = io->redir[pin];
	if (e & E_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(e & E_MASKED))
		send(io, pin);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];
		if ((e & E_LEVEL) && (e & E_REMOTE_IRR) && (int)(e & 0xff) == vector) {
			io->redir[pin] &= ~E_REMOTE_IRR;
			service_level(io, pin);
		}
	}
}

/* --- registers ------------------------------------------------------------ */

static uint32_t read_reg(struct ioapic *io, uint32_t sel)
{
	switch (sel) {
	case REG_ID: return (uint32_t)io->id << 24;
	case REG_VERSION: return VERSION;
	case REG_ARB: return (uint32_t)io->id << 24;
	}
	if (sel >= REG_REDIR && sel < REG_REDIR + 2 * IOAPIC_PINS) {
		uint64_t e = io->redir[(sel - REG_REDIR) / 2];
		return (sel & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0;
}

static void write_redir(struct ioapic *io, int pin, bool high, uint32_t v)
{
	uint64_t e = io->redir[pin];
	uint64_t nv = high ? (e & 0xffffffffull) | (uint64_t)v << 32 : (e & ~0xffffffffull) | v;
	/* Remote IRR and delivery status are the chip's; an edge pin has no
	 * remote IRR. */
	nv = (nv & E_WRITABLE) | (e & E_REMOTE_IRR);
	if (!(nv & E_LEVEL))
		nv &= ~E_REMOTE_IRR;
	io->redir[pin] = nv;
	service_level(io, pin); /* unmasked while asserted */
}

static void write_reg(struct ioapic *io, uint32_t sel, uint32_t v)
{
	if (sel == REG_ID)
		io->id = (uint8_t)((v >> 24) & 0x0f);
	else if (sel >= REG_REDIR && sel < REG_REDIR + 2 * IOAPIC_PINS)
		write_redir(io, (int)(sel - REG_REDIR) / 2, sel & 1, v);
}

uint32_t ioapic_read(struct ioapic *io, uint32_t offset, int size)
{
	uint32_t v;
	if (offset < 4)
		v = io->sel;
	else if (offset >= 0x10 && offset < 0x14)
		v = read_reg(io, io->sel);
	else
		return 0;
	v >>= 8 * (offset & 3);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void ioapic_write(struct ioapic *io, uint32_t offset, int size, uint32_t v)
{
	if (offset == 0)
		io->sel = v & 0xff; /* byte or dword: the index is bits 7:0 */
	else if (offset == 0x10 && size == 4)
		write_reg(io, io->sel, v);
}

/* --- lifetime ------------------------------------------------------------- */

struct ioapic *ioapic_create(const struct ioapic_config *cfg)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->cfg = *cfg;
	io->id = cfg->id & 0x0f;
	for (int i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = E_MASKED;
	return io;
}

void ioapic_destroy(struct ioapic *io)
{
	free(io);
}
