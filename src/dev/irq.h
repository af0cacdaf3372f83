/*
 * Interrupt lines and the virtual clock, as seen by device models.
 *
 * A device raises or lowers an ISA IRQ line through irq_line; the machine
 * wires that to the PIC.  Devices read time only through struct vclock so
 * unit tests can drive timers with a fake clock.
 */
#ifndef CORDON_DEV_IRQ_H
#define CORDON_DEV_IRQ_H

#include <stdint.h>

struct irq_line {
	void (*set)(void *opaque, int irq, int level);
	void *opaque;
};

static inline void irq_set(const struct irq_line *l, int irq, int level)
{
	if (l && l->set)
		l->set(l->opaque, irq, level);
}

struct vclock {
	uint64_t (*now_ns)(void *opaque);
	void *opaque;
};

static inline uint64_t vclock_now(const struct vclock *c)
{
	return c->now_ns(c->opaque);
}

#endif
