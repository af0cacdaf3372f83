/*
 * A local APIC (xAPIC, as on a P6 with an APIC bus), one per vCPU: the
 * registers at its 4 KiB MMIO page (0xFEE00000 by default, moved with the
 * IA32_APIC_BASE MSR), the IRR/ISR/TMR bitmaps and task/processor priority
 * that decide which interrupt the CPU takes next, EOI (broadcast to the
 * I/O APIC for level-triggered vectors), the LVT timer in one-shot and
 * periodic modes, LINT0 as the 8259's ExtINT input, the error status
 * register, and the ICR for self-IPIs (INIT, SIPI and IPIs to other CPUs
 * go to a callback, for a later SMP machine).
 *
 * The timer counts down at the APIC bus clock (LAPIC_BUS_HZ) divided by the
 * divide configuration register, on the machine's virtual clock; the run
 * loop calls lapic_update() and sleeps until lapic_next_event_ns().  Not
 * modelled: NMI (LINT1 and the NMI delivery mode, which the engine lacks),
 * SMI, TSC-deadline mode, the thermal and performance counter sources.
 */
#ifndef CORDON_DEV_LAPIC_H
#define CORDON_DEV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/irq.h"

#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_SIZE 0x1000u
#define LAPIC_BUS_HZ 1000000000ull /* 1 ns a bus tick, as QEMU's */

#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_ENABLE (1u << 11)

struct lapic_config {
	uint8_t id;
	bool bsp;
	const struct vclock *clock;
	/* EOI of a level-triggered vector: the I/O APIC clears remote IRR. */
	void (*eoi)(void *opaque, int vector);
	/* An IPI to other CPUs (or INIT/SIPI): the raw ICR; may be NULL. */
	void (*ipi)(void *opaque, uint32_t icr_lo, uint32_t icr_hi);
	void *opaque;
};

struct lapic;

struct lapic *lapic_create(const struct lapic_config *cfg);
void lapic_destroy(struct lapic *a);

/* Register access at offset (0..0xfff) of the APIC page.  Registers are
 * 32 bits on 16-byte boundaries; reads of other widths get the bytes they
 * cover, writes that are not a whole register are ignored. */
uint32_t lapic_read(struct lapic *a, uint32_t offset, int size);
void lapic_write(struct lapic *a, uint32_t offset, int size, uint32_t v);

/* IA32_APIC_BASE: base address, BSP flag, global enable.  Setting a
 * reserved bit is refused (false: #GP). */
uint64_t lapic_get_base(const struct lapic *a);
bool lapic_set_base(struct lapic *a, uint64_t v);
uint32_t lapic_mmio_base(const struct lapic *a);
bool lapic_hw_enabled(const struct lapic *a);

/* An interrupt message for this CPU (from the I/O APIC or an IPI):
 * fixed delivery of vector, edge or level.  A vector below 16 is an
 * illegal vector (error register bit 6) and is dropped. */
void lapic_deliver(struct lapic *a, int vector, bool level);
/* Whether this APIC accepts a message for dest in physical (logical =
 * false) or logical mode. */
bool lapic_match_dest(const struct lapic *a, uint8_t dest, bool logical);

/* The CPU side.  intr_pending: a vector beats the processor priority, or
 * the 8259's INTR (pic_intr) passes LINT0.  intr_ack: the vector to take,
 * or -1 when the 8259 must answer (ExtINT). */
bool lapic_intr_pending(struct lapic *a, bool pic_intr);
int lapic_intr_ack(struct lapic *a, bool pic_intr);

/* Time: fire the timer for time elapsed; when it next fires. */
void lapic_update(struct lapic *a);
uint64_t lapic_next_event_ns(const struct lapic *a);

#endif
