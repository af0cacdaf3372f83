/*
 * An 82093AA-style I/O APIC at 0xFEC00000: 24 input pins, each with a
 * redirection entry (vector, delivery and destination mode, polarity,
 * trigger mode, mask, destination).  An edge-triggered pin sends a message
 * on each rising edge; a level-triggered one sends while asserted and sets
 * remote IRR until the local APIC broadcasts the vector's EOI
 * (ioapic_eoi), then sends again if the line is still asserted.
 *
 * Registers through the index/data window: IOREGSEL at +0x00, IOWIN at
 * +0x10.  Version 0x11 (no EOI register, as the 82093AA).  Polarity is
 * stored but the model works on logical levels (asserted = 1), as QEMU's
 * does: cordon's devices drive asserted lines as 1 whatever the wire.
 * Messages go to deliver(); the machine routes them to the local APIC.
 */
#ifndef CORDON_DEV_IOAPIC_H
#define CORDON_DEV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_SIZE 0x20u
#define IOAPIC_PINS 24

/* A message: vector, fixed/lowest-priority/ExtINT... (bits 10:8 of the
 * entry), destination and its mode, edge (false) or level (true). */
struct ioapic_msg {
	uint8_t vector, mode, dest;
	bool logical, level;
};

struct ioapic_config {
	uint8_t id;
	void (*deliver)(void *opaque, const struct ioapic_msg *m);
	void *opaque;
};

struct ioapic;

struct ioapic *ioapic_create(const struct ioapic_config *cfg);
void ioapic_destroy(struct ioapic *io);
/* Register window access at offset (0..IOAPIC_SIZE-1). */
uint32_t ioapic_read(struct ioapic *io, uint32_t offset, int size);
void ioapic_write(struct ioapic *io, uint32_t offset, int size, uint32_t v);
/* Input pin 0..23 goes to level (0 or 1); others are ignored. */
void ioapic_set_irq(struct ioapic *io, int pin, int level);
/* The local APIC's EOI broadcast for vector. */
void ioapic_eoi(struct ioapic *io, int vector);

#endif
