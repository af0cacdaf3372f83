/* The ACPI tables for direct boot: found the way an OS finds them, every
 * checksum right, and the values the PM device and the routing expect. */
#include "t.h"

#include <stdlib.h>

#include "boot/acpi.h"

#define RAM (64u << 20)

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static const struct acpi_platform plat = {
	.ram_size = RAM, .pm_base = 0xb000, .gpe0_base = 0xafe0, .sci_irq = 9,
	.smi_cmd = 0xb2, .acpi_enable = 0xf1, .acpi_disable = 0xf0,
	.pirq_irq = { 10, 11, 9, 5 },
	.lapic_addr = 0xfee00000u, .ioapic_addr = 0xfec00000u, .ioapic_id = 0,
};

/* The RSDP as an OS finds it: a 16-byte aligned signature in the BIOS area. */
static const uint8_t *find_rsdp(const uint8_t *ram)
{
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16)
		if (memcmp(ram + a, "RSD PTR ", 8) == 0 && sum(ram + a, 20) == 0)
			return ram + a;
	return NULL;
}

static const uint8_t *find_table(const uint8_t *ram, const char *sig)
{
	const uint8_t *rsdp = find_rsdp(ram);
	if (!rsdp)
		return NULL;
	const uint8_t *rsdt = ram + rd32(rsdp + 16);
	for (uint32_t i = 36; i < rd32(rsdt + 4); i += 4) {
		const uint8_t *t = ram + rd32(rsdt + i);
		if (memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

static bool contains(const uint8_t *p, uint32_t len, const void *needle, size_t n)
{
	for (uint32_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, needle, n) == 0)
			return true;
	return false;
}

TEST(acpi_tables_checksums_and_chain)
{
	uint8_t *ram = calloc(1, RAM);
	CHECK_EQ(boot_acpi_tables(ram, RAM, &plat), 0);
	const uint8_t *rsdp = find_rsdp(ram);
	CHECK(rsdp != NULL);
	const uint8_t *rsdt = ram + rd32(rsdp + 16);
	CHECK(memcmp(rsdt, "RSDT", 4) == 0);
	CHECK_EQ(sum(rsdt, rd32(rsdt + 4)), 0);
	const uint8_t *fadt = find_table(ram, "FACP");
	CHECK(fadt != NULL);
	CHECK_EQ(sum(fadt, rd32(fadt + 4)), 0);
	CHECK_EQ(rd32(fadt + 4), 116);
	const uint8_t *dsdt = ram + rd32(fadt + 40), *facs = ram + rd32(fadt + 36);
	CHECK(memcmp(dsdt, "DSDT", 4) == 0);
	CHECK_EQ(sum(dsdt, rd32(dsdt + 4)), 0);
	CHECK(memcmp(facs, "FACS", 4) == 0);
	CHECK_EQ(rd32(fadt + 36) & 63, 0);
	CHECK(find_table(ram, "APIC") == NULL); /* no APIC asked for */
	for (const uint8_t *t = ram + 0xe0000; t < ram + 0x100000; t++)
		CHECK(t < ram + 0xe0000 + ACPI_AREA_SIZE || t >= ram + ACPI_RSDP_ADDR || *t == 0);
	free(ram);
}

TEST(acpi_fadt_describes_the_pm_device)
{
	uint8_t *ram = calloc(1, RAM);
	CHECK_EQ(boot_acpi_tables(ram, RAM, &plat), 0);
	const uint8_t *f = find_table(ram, "FACP");
	CHECK(f != NULL);
	CHECK_EQ(f[46] | f[47] << 8, 9);        /* SCI_INT */
	CHECK_EQ(rd32(f + 48), 0xb2);           /* SMI_CMD */
	CHECK_EQ(f[52], 0xf1);
	CHECK_EQ(f[53], 0xf0);
	CHECK_EQ(rd32(f + 56), 0xb000);         /* PM1a_EVT */
	CHECK_EQ(rd32(f + 64), 0xb004);         /* PM1a_CNT */
	CHECK_EQ(rd32(f + 76), 0xb008);         /* PM_TMR */
	CHECK_EQ(rd32(f + 80), 0xafe0);         /* GPE0 */
	CHECK_EQ(f[88], 4);
	CHECK_EQ(f[89], 2);
	CHECK_EQ(f[91], 4);
	CHECK_EQ(rd32(f + 112) & (1u << 4), 0); /* a fixed power button */
	free(ram);
}

TEST(acpi_dsdt_has_root_bridge_s5_and_routing)
{
	uint8_t *ram = calloc(1, RAM);
	CHECK_EQ(boot_acpi_tables(ram, RAM, &plat), 0);
	const uint8_t *f = find_table(ram, "FACP");
	const uint8_t *d = ram + rd32(f + 40);
	uint32_t len = rd32(d + 4);
	CHECK(contains(d, len, "\x08_S5_\x12\x06\x04\x00\x00\x00\x00", 10)); /* Package(4){0,0,0,0} */
	CHECK(contains(d, len, "\x08_HID\x0c\x41\xd0\x0a\x03", 10));      /* EISAID PNP0A03 */
	CHECK(contains(d, len, "PCI0", 4));
	CHECK(contains(d, len, "_PRT", 4));
	CHECK(contains(d, len, "_CRS", 4));
	/* Slot 3, INTA -> PIRQD -> IRQ 5; slot 2, INTB -> PIRQD too. */
	CHECK(contains(d, len, "\x12\x0b\x04\x0c\xff\xff\x03\x00\x00\x00\x0a\x05", 12));
	CHECK(contains(d, len, "\x12\x0b\x04\x0c\xff\xff\x02\x00\x01\x00\x0a\x05", 12));
	free(ram);
}

TEST(acpi_madt_when_there_are_apics)
{
	uint8_t *ram = calloc(1, RAM);
	struct acpi_platform p = plat;
	p.apic = true;
	CHECK_EQ(boot_acpi_tables(ram, RAM, &p), 0);
	const uint8_t *m = find_table(ram, "APIC");
	CHECK(m != NULL);
	uint32_t len = rd32(m + 4);
	CHECK_EQ(sum(m, len), 0);
	CHECK_EQ(rd32(m + 36), 0xfee00000u);
	int lapics = 0, ioapics = 0, irq0 = 0;
	for (uint32_t o = 44; o + 2 <= len && m[o + 1] >= 2; o += m[o + 1]) {
		if (m[o] == 0)
			lapics++;
		if (m[o] == 1 && rd32(m + o + 4) == 0xfec00000u)
			ioapics++;
		if (m[o] == 2 && m[o + 3] == 0 && rd32(m + o + 4) == 2)
			irq0++;
	}
	CHECK_EQ(lapics, 1);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(irq0, 1);
	free(ram);
}

TEST(acpi_refuses_a_mismatched_ram_size)
{
	uint8_t *ram = calloc(1, RAM);
	struct acpi_platform p = plat;
	p.ram_size = RAM / 2;
	CHECK_EQ(boot_acpi_tables(ram, RAM, &p), -1);
	CHECK_EQ(boot_acpi_tables(ram, 0x80000, &plat), -1);
	free(ram);
}
