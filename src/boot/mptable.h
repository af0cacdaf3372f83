/*
 * The MultiProcessor Specification table for a kernel started directly:
 * the floating pointer and the configuration table in the reserved BIOS
 * area, describing one processor, the I/O APIC and the interrupt routing.
 */
#ifndef CORDON_BOOT_MPTABLE_H
#define CORDON_BOOT_MPTABLE_H

#include <stdint.h>

#define MPTABLE_FLOAT_ADDR 0xf0020u /* after the ACPI RSDP */
#define MPTABLE_ADDR 0xf0040u

struct mptable_platform {
	uint32_t lapic_addr, ioapic_addr;
	uint8_t ioapic_id;
	uint32_t cpu_signature, cpu_features; /* CPUID 1: EAX and EDX */
	uint8_t pirq_irq[4];                  /* the ISA IRQ of PIRQ A..D */
};

/* 0, or -1 when ram does not reach past 1 MiB. */
int boot_mptable(uint8_t *ram, uint32_t ram_size, const struct mptable_platform *p);

#endif
