/*
 * The Intel MultiProcessor Specification 1.4 table for a kernel started
 * without firmware, so a kernel that does not use ACPI (acpi=off, or one
 * without ACPI support) still finds the local APIC, the I/O APIC and how
 * ISA and PCI interrupts reach it; see boot/mptable.h.
 *
 * Bus 0 is PCI, bus 1 ISA.  ISA IRQs are identity-mapped onto I/O APIC
 * pins except IRQ 0 (pin 2, as on QEMU's pc) and the IRQs PCI uses; every
 * PCI slot's pins are listed with the routing of dev/pci.h, level and
 * active low.  The 8259 reaches LINT0 as ExtINT, NMI is LINT1.
 */
#include "boot/mptable.h"

#include <string.h>

#include "boot/boot_internal.h"

#define BUS_PCI 0
#define BUS_ISA 1
#define MAX_ENTRIES 200
#define TABLE_MAX (44 + 20 + 16 + 8 + 8 * MAX_ENTRIES)

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* An 8-byte I/O (type 3) or local (type 4) interrupt entry. */
static uint32_t intr_entry(uint8_t *t, uint32_t at, uint8_t type, uint8_t kind, uint8_t flags,
			   uint8_t bus, uint8_t bus_irq, uint8_t apic, uint8_t pin)
{
	uint8_t e[8] = { type, kind, flags, 0, bus, bus_irq, apic, pin };
	memcpy(t + at, e, 8);
	return at + 8;
}

static bool pci_irq(const struct mptable_platform *p, int irq)
{
	for (int i = 0; i < 4; i++)
		if (p->pirq_irq[i] == irq)
			return true;
	return false;
}

static uint32_t write_entries(uint8_t *t, uint32_t at, const struct mptable_platform *p, uint16_t *count)
{
	uint16_t n = 0;
	/* The processor: enabled, the bootstrap one. */
	t[at] = 0, t[at + 1] = 0, t[at + 2] = 0x14, t[at + 3] = 3;
	boot_put32(t, at + 4, p->cpu_signature);
	boot_put32(t, at + 8, p->cpu_features);
	at += 20, n++;
	memcpy(t + at, "\x01\x00PCI   ", 8), at += 8, n++;
	memcpy(t + at, "\x01\x01ISA   ", 8), at += 8, n++;
	t[at] = 2, t[at + 1] = p->ioapic_id, t[at + 2] = 0x11, t[at + 3] = 1;
	boot_put32(t, at + 4, p->ioapic_addr);
	at += 8, n++;
	at = intr_entry(t, at, 3, 3, 0, BUS_ISA, 0, p->ioapic_id, 0), n++; /* ExtINT */
	for (int irq = 0; irq < 16; irq++) {
		if (irq == 2 || pci_irq(p, irq))
			continue;
		at = intr_entry(t, at, 3, 0, 0, BUS_ISA, (uint8_t)irq, p->ioapic_id,
				(uint8_t)(irq == 0 ? 2 : irq)), n++;
	}
	for (int slot = 0; slot < 32; slot++)
		for (int pin = 0; pin < 4; pin++)
			at = intr_entry(t, at, 3, 0, 0x0f, BUS_PCI, (uint8_t)(slot << 2 | pin),
					p->ioapic_id, p->pirq_irq[(slot + pin) & 3]), n++;
	at = intr_entry(t, at, 4, 3, 0, BUS_ISA, 0, 0xff, 0), n++; /* LINT0: ExtINT */
	at = intr_entry(t, at, 4, 1, 0, BUS_ISA, 0, 0xff, 1), n++; /* LINT1: NMI */
	*count = n;
	return at;
}

int boot_mptable(uint8_t *ram, uint32_t ram_size, const struct mptable_platform *p)
{
	if (ram_size < BOOT_HIGH_START)
		return -1;
	uint8_t *fp = ram + MPTABLE_FLOAT_ADDR, *t = ram + MPTABLE_ADDR;
	memset(t, 0, TABLE_MAX);
	memcpy(t, "PCMP", 4);
	t[6] = 4; /* spec 1.4 */
	memcpy(t + 8, "CORDON  ", 8);
	memcpy(t + 16, "PC          ", 12);
	boot_put32(t, 36, p->lapic_addr);
	uint16_t count;
	uint32_t len = write_entries(t, 44, p, &count);
	boot_put16(t, 4, (uint16_t)len);
	boot_put16(t, 34, count);
	t[7] = checksum(t, len);

	memset(fp, 0, 16);
	memcpy(fp, "_MP_", 4);
	boot_put32(fp, 4, MPTABLE_ADDR);
	fp[8] = 1; /* 16 bytes */
	fp[9] = 4;
	fp[10] = checksum(fp, 16);
	return 0;
}
