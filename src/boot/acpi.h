/*
 * ACPI tables for a kernel started without firmware, as QEMU's pc machine
 * gives them through SeaBIOS: RSDP, RSDT, FADT (ACPI 1.0 layout), FACS,
 * a DSDT with the PCI root bridge, its interrupt routing (_PRT) and _S5,
 * and, when the machine has APICs, a MADT.  They go in the BIOS area
 * (0xE0000-0xFFFFF), which the loaders' memory map reserves and where an
 * OS looks for the RSDP.  With firmware boot, the firmware builds its own.
 */
#ifndef CORDON_BOOT_ACPI_H
#define CORDON_BOOT_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_AREA_BASE 0xe0000u /* tables */
#define ACPI_AREA_SIZE 0x10000u
#define ACPI_RSDP_ADDR 0xf0000u
#define ACPI_PCI_HOLE_END 0xfebfffffu /* memory BARs end below the I/O APIC */

/* What the tables describe; the machine fills it in from its devices. */
struct acpi_platform {
	uint32_t ram_size;    /* memory BARs go above it */
	uint16_t pm_base;     /* PM1a event block; control at +4, timer at +8 */
	uint16_t gpe0_base;   /* 4 bytes: status, enable */
	uint8_t sci_irq;
	uint8_t smi_cmd, acpi_enable, acpi_disable;
	uint8_t pirq_irq[4];  /* the ISA IRQ of PIRQ A..D: _PRT's GSIs */
	bool apic;            /* a local APIC and an I/O APIC: write a MADT */
	uint32_t lapic_addr, ioapic_addr;
	uint8_t ioapic_id;
};

/* Writes the tables into ram (which must reach past 1 MiB); 0 or -1 if
 * they do not fit their area (a bug, never the guest's doing). */
int boot_acpi_tables(uint8_t *ram, uint32_t ram_size, const struct acpi_platform *p);

#endif
