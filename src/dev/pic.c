/*
 * The two cascaded 8259A programmable interrupt controllers of a PC, and
 * the ELCR (edge/level control) registers of PIIX-class chipsets.
 *
 * The master sits at 0x20/0x21 and receives the slave's INT output on IR2;
 * the slave sits at 0xA0/0xA1 and serves IRQ8-15.  What is modelled is what
 * an x86 OS uses: the ICW1-ICW4 init sequence, the mask register, OCW2
 * (specific/non-specific EOI, rotation), OCW3 (IRR/ISR read select, poll),
 * auto-EOI, special fully nested mode and the ELCR.  Special mask mode and
 * the 8080/8085 call-address modes are not.
 *
 * Priority is resolved as on the chip: lowest pending IR number wins once
 * the rotation offset is applied, and a request is forwarded only if it
 * beats every bit already in service.
 */
#include "dev/devices.h"

#include <stdlib.h>

enum { INIT_NONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic8259 {
	uint8_t irr;      /* interrupt request register */
	uint8_t isr;      /* in-service register */
	uint8_t imr;      /* interrupt mask register */
	uint8_t lines;    /* current level of each IR input, for edge detection */
	uint8_t elcr;     /* 1 = level triggered */
	uint8_t elcr_mask;/* which ELCR bits are writable */
	uint8_t vector_base;
	uint8_t lowest_priority_add; /* rotation: IR (n + add) & 7 has priority n */
	uint8_t init_step;
	bool need_icw4, single, auto_eoi, rotate_on_aeoi, fully_nested;
	bool read_isr, poll;
};

struct pic {
	struct pic8259 chip[2]; /* 0 = master, 1 = slave */
	bool intr;              /* INTR output to the CPU */
};

#define CASCADE_IR 2

/* Priority level (0 = highest) of the best bit in mask, 8 if none. */
static int best_priority(const struct pic8259 *c, uint8_t mask)
{
	if (!mask)
		return 8;
	int prio = 0;
	while (!(mask & (1u << ((prio + c->lowest_priority_add) & 7))))
		prio++;
	return prio;
}

/* The IR number this chip would forward to its INT output, or -1. */
static int chip_pending_irq(const struct pic8259 *c, bool is_master)
{
	int prio = best_priority(c, c->irr & ~c->imr);
	if (prio == 8)
		return -1;
	uint8_t in_service = c->isr;
	/* Special fully nested mode lets a slave interrupt of higher priority
	 * through while another slave interrupt is in service. */
	if (is_master && c->fully_nested)
		in_service &= (uint8_t)~(1u << CASCADE_IR);
	if (prio < best_priority(c, in_service))
		return (prio + c->lowest_priority_add) & 7;
	return -1;
}

/* The slave's INT output is wired to the master's IR2 as a level, so a
 * second slave request is never lost behind an edge the master missed. */
static void pic_update(struct pic *p)
{
	struct pic8259 *m = &p->chip[0];
	if (chip_pending_irq(&p->chip[1], false) >= 0)
		m->irr |= 1u << CASCADE_IR;
	else
		m->irr &= (uint8_t)~(1u << CASCADE_IR);
	p->intr = chip_pending_irq(m, true) >= 0;
}

static void chip_set_input(struct pic8259 *c, int ir, int level)
{
	uint8_t bit = (uint8_t)(1u << ir);
	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
}

void pic_set_irq(struct pic *p, int irq, int level)
{
	if (!p || irq < 0 || irq > 15)
		return;
	/* On the ISA bus the IRQ2 pin is routed to the slave's IR1 (IRQ9);
	 * the master's IR2 only ever carries the cascade. */
	if (irq == CASCADE_IR)
		irq = 9;
	chip_set_input(&p->chip[irq >> 3], irq & 7, level != 0);
	pic_update(p);
}

void pic_irq_line_set(void *pic, int irq, int level)
{
	pic_set_irq(pic, irq, level);
}

bool pic_intr_pending(struct pic *p)
{
	return p->intr;
}

/* The acknowledge half of an INTA cycle (or a poll read) for one chip. */
static void chip_ack(struct pic8259 *c, int ir)
{
	uint8_t bit = (uint8_t)(1u << ir);
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest_priority_add = (uint8_t)((ir + 1) & 7);
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= (uint8_t)~bit;
}

int pic_intr_ack(struct pic *p)
{
	struct pic8259 *m = &p->chip[0], *s = &p->chip[1];
	int vector;
	int irq = chip_pending_irq(m, true);
	if (irq < 0) {
		/* The request went away before INTA: the chip answers with
		 * IR7's vector and sets no ISR bit. */
		vector = m->vector_base | 7;
	} else if (irq == CASCADE_IR) {
		int irq2 = chip_pending_irq(s, false);
		if (irq2 >= 0) {
			chip_ack(s, irq2);
			vector = s->vector_base | irq2;
		} else {
			vector = s->vector_base | 7; /* spurious IRQ15 */
		}
		chip_ack(m, irq);
	} else {
		chip_ack(m, irq);
		vector = m->vector_base | irq;
	}
	pic_update(p);
	return vector;
}

/* ICW1: restart initialisation.  The mask, the in-service bits, latched
 * edges and the OCW state are cleared, as the datasheet describes. */
static void chip_icw1(struct pic8259 *c, uint8_t val)
{
	c->init_step = INIT_ICW2;
	c->need_icw4 = val & 0x01;
	c->single = val & 0x02;
	c->imr = 0;
	c->isr = 0;
	c->irr &= c->elcr & c->lines;
	c->lowest_priority_add = 0;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->fully_nested = false;
	c->read_isr = false;
	c->poll = false;
}

static void chip_eoi(struct pic8259 *c, int ir, bool rotate)
{
	c->isr &= (uint8_t)~(1u << ir);
	if (rotate)
		c->lowest_priority_add = (uint8_t)((ir + 1) & 7);
}

static void chip_ocw2(struct pic8259 *c, uint8_t val)
{
	int cmd = val >> 5;
	int prio;
	switch (cmd) {
	case 0: /* clear rotate in auto-EOI */
	case 4: /* set rotate in auto-EOI */
		c->rotate_on_aeoi = cmd == 4;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		prio = best_priority(c, c->isr);
		if (prio != 8)
			chip_eoi(c, (prio + c->lowest_priority_add) & 7, cmd == 5);
		break;
	case 3: /* specific EOI */
	case 7: /* rotate on specific EOI */
		chip_eoi(c, val & 7, cmd == 7);
		break;
	case 6: /* set priority: IR (val & 7) becomes the lowest */
		c->lowest_priority_add = (uint8_t)((val + 1) & 7);
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic8259 *c, uint8_t val)
{
	if (val & 0x04)
		c->poll = true;
	if (val & 0x02)
		c->read_isr = val & 0x01;
}

static void chip_write_data(struct pic8259 *c, uint8_t val)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = val & 0xf8;
		if (!c->single)
			c->init_step = INIT_ICW3;
		else
			c->init_step = c->need_icw4 ? INIT_ICW4 : INIT_NONE;
		break;
	case INIT_ICW3: /* cascade wiring is fixed on a PC */
		c->init_step = c->need_icw4 ? INIT_ICW4 : INIT_NONE;
		break;
	case INIT_ICW4:
		c->auto_eoi = val & 0x02;
		c->fully_nested = val & 0x10;
		c->init_step = INIT_NONE;
		break;
	default:
		c->imr = val;
		break;
	}
}

/* A poll read acts as an acknowledge: it returns 0x80 | IR and sets the
 * ISR bit, or 0 when nothing is pending. */
static uint8_t pic_poll_read(struct pic *p, int which)
{
	struct pic8259 *c = &p->chip[which];
	int ir = chip_pending_irq(c, which == 0);
	c->poll = false;
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	pic_update(p);
	return (uint8_t)(0x80 | ir);
}

static uint8_t pic_read_byte(struct pic *p, uint32_t port)
{
	int which = (port & 0x80) ? 1 : 0;
	struct pic8259 *c = &p->chip[which];
	if (c->poll)
		return pic_poll_read(p, which);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void pic_write_byte(struct pic *p, uint32_t port, uint8_t val)
{
	struct pic8259 *c = &p->chip[(port & 0x80) ? 1 : 0];
	if (port & 1)
		chip_write_data(c, val);
	else if (val & 0x10)
		chip_icw1(c, val);
	else if (val & 0x08)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
	pic_update(p);
}

/* Each chip decodes one address bit, so a wider access is taken byte by
 * byte as the bus would split it. */
static uint32_t pic_io_read(void *opaque, uint32_t port, int size)
{
	struct pic *p = opaque;
	uint32_t val = 0;
	for (int i = 0; i < size; i++) {
		uint32_t a = port + (uint32_t)i;
		uint32_t b = ((a & ~0x81u) == 0x20) ? pic_read_byte(p, a) : 0xff;
		val |= b << (8 * i);
	}
	return val;
}

static void pic_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct pic *p = opaque;
	for (int i = 0; i < size; i++) {
		uint32_t a = port + (uint32_t)i;
		if ((a & ~0x81u) == 0x20)
			pic_write_byte(p, a, (uint8_t)(val >> (8 * i)));
	}
}

static uint32_t elcr_io_read(void *opaque, uint32_t port, int size)
{
	struct pic *p = opaque;
	uint32_t val = 0;
	for (int i = 0; i < size; i++) {
		uint32_t a = port + (uint32_t)i;
		uint32_t b = (a == 0x4d0 || a == 0x4d1) ? p->chip[a - 0x4d0].elcr : 0xff;
		val |= b << (8 * i);
	}
	return val;
}

static void elcr_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct pic *p = opaque;
	for (int i = 0; i < size; i++) {
		uint32_t a = port + (uint32_t)i;
		if (a != 0x4d0 && a != 0x4d1)
			continue;
		struct pic8259 *c = &p->chip[a - 0x4d0];
		c->elcr = (uint8_t)(val >> (8 * i)) & c->elcr_mask;
		/* A line switched to level mode requests exactly while high. */
		c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
	}
	pic_update(p);
}

struct pic *pic_create(struct iobus *io)
{
	struct pic *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	/* IRQ0-2, IRQ8 and IRQ13 are edge-only on PIIX. */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	const struct bus_region ports[] = {
		{ "pic-master", 0x20, 2, pic_io_read, pic_io_write, p, NULL },
		{ "pic-slave", 0xa0, 2, pic_io_read, pic_io_write, p, NULL },
		{ "elcr", 0x4d0, 2, elcr_io_read, elcr_io_write, p, NULL },
	};
	if (iobus_register_all(io, p, ports, 3) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void pic_destroy(struct pic *p)
{
	free(p);
}
