/*
 * What an engine asks of the machine it runs in, and nothing more.
 *
 * An engine never includes vm/ or dev/: its glue (soft.c for the soft
 * engine) fills this in from struct vm, and the unit tests fill it in
 * with fakes.  Every call is about one guest-visible event; none hands
 * the engine a pointer into the machine's own state, except `stop`,
 * which the engine polls between blocks and so must cost one load.
 */
#ifndef CORDON_ENGINE_MACHINE_H
#define CORDON_ENGINE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

struct machine {
	void *ctx; /* passed back to every call */

	/* Non-zero once the machine wants the engine to return (a device,
	 * the user, a shutdown): polled between blocks and after OUT. */
	const volatile int *stop;

	/* Port and memory-mapped I/O (physical addresses outside RAM).
	 * size is 1, 2 or 4 bytes. */
	uint32_t (*io_in)(void *ctx, uint16_t port, int size);
	void (*io_out)(void *ctx, uint16_t port, int size, uint32_t v);
	uint32_t (*mmio_read)(void *ctx, uint32_t pa, int size);
	void (*mmio_write)(void *ctx, uint32_t pa, int size, uint32_t v);

	/* The interrupt controller's INTR output and its acknowledge cycle
	 * (the 8259A pair today; a local APIC answers when there is one). */
	bool (*intr_pending)(void *ctx);
	int (*intr_ack)(void *ctx);

	/* The x87's FERR# output, pulsed once per unmasked exception that a
	 * waiting instruction finds with CR0.NE clear (IRQ 13 on a PC). */
	void (*ferr)(void *ctx);

	/* Virtual time in nanoseconds, the clock the devices use. */
	uint64_t (*clock_ns)(void *ctx);

	/* The processor shut down (triple fault); msg says where. */
	void (*shutdown)(void *ctx, const char *msg);

	/* The local APIC.  lapic_present() decides CPUID.1:EDX.APIC; RDMSR
	 * and WRMSR of IA32_APIC_BASE (0x1B) go to the two others, which
	 * return false for a value the guest may not write or read (#GP).
	 * Any of the three may be NULL: no local APIC. */
	bool (*lapic_present)(void *ctx);
	bool (*apic_base_read)(void *ctx, uint64_t *v);
	bool (*apic_base_write)(void *ctx, uint64_t v);
};

#endif
