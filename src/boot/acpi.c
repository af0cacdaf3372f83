/*
 * ACPI tables for direct kernel boot; see boot/acpi.h.
 *
 * Layout in the reserved BIOS area:
 *     0xE0000  FACS (64-byte aligned)
 *     0xE0040  DSDT, then FADT, MADT, RSDT, each 16-byte aligned
 *     0xF0000  RSDP (ACPI 1.0, 20 bytes)
 *
 * The DSDT is written in AML by the small builder below: just the byte
 * encodings of Scope, Device, Name, Package and integers that it needs.
 */
#include "boot/acpi.h"

#include <string.h>

#include "boot/boot_internal.h"

#define HDR 36
#define OEM_ID "CORDON"
#define OEM_TABLE "CORDONPC"
#define EISA_PNP0A03 0x030ad041u
#define DSDT_MAX 4096

/* --- AML ------------------------------------------------------------------ */

struct aml {
	uint8_t b[DSDT_MAX];
	size_t n;
	bool overflow;
};

static void aml_byte(struct aml *a, uint8_t v)
{
	if (a->n < sizeof(a->b))
		a->b[a->n++] = v;
	else
		a->overflow = true;
}

static void aml_bytes(struct aml *a, const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		aml_byte(a, ((const uint8_t *)p)[i]);
}

static void aml_int(struct aml *a, uint32_t v)
{
	if (v <= 1) {
		aml_byte(a, (uint8_t)v); /* ZeroOp, OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		aml_bytes(a, (uint8_t[]){ (uint8_t)v, (uint8_t)(v >> 8) }, 2);
	} else {
		aml_byte(a, 0x0c);
		aml_bytes(a, (uint8_t[]){ (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) }, 4);
	}
}

/* A PkgLength counts itself: one byte up to 63, else 2 or 3 bytes. */
static void aml_pkglen(struct aml *a, size_t body)
{
	size_t len = body + 1;
	if (len < 0x40) {
		aml_byte(a, (uint8_t)len);
		return;
	}
	len = body + 2;
	if (len < 0x1000) {
		aml_byte(a, (uint8_t)(0x40 | (len & 0xf)));
		aml_byte(a, (uint8_t)(len >> 4));
		return;
	}
	len = body + 3;
	aml_byte(a, (uint8_t)(0x80 | (len & 0xf)));
	aml_byte(a, (uint8_t)(len >> 4));
	aml_byte(a, (uint8_t)(len >> 12));
}

/* op (1 or 2 bytes), PkgLength, then body: Scope, Device, Package. */
static void aml_wrap(struct aml *out, const uint8_t *op, size_t oplen, const struct aml *body)
{
	aml_bytes(out, op, oplen);
	aml_pkglen(out, body->n);
	aml_bytes(out, body->b, body->n);
	out->overflow |= body->overflow;
}

static void aml_name(struct aml *a, const char *name4)
{
	aml_byte(a, 0x08); /* NameOp */
	aml_bytes(a, name4, 4);
}

/* Package { DWord slot<<16|0xffff, pin, 0 (no link device), GSI } for
 * every slot and pin: the ACPI form of the swizzle in dev/pci.h. */
static void aml_prt(struct aml *a, const struct acpi_platform *p)
{
	static struct aml list, entry;
	list.n = 0;
	list.overflow = false;
	aml_byte(&list, 128); /* NumElements */
	for (uint32_t slot = 0; slot < 32; slot++) {
		for (uint32_t pin = 0; pin < 4; pin++) {
			entry.n = 0;
			entry.overflow = false;
			aml_byte(&entry, 4);
			aml_int(&entry, slot << 16 | 0xffff);
			aml_int(&entry, pin);
			aml_int(&entry, 0);
			aml_int(&entry, p->pirq_irq[(slot + pin) & 3]);
			aml_wrap(&list, (const uint8_t[]){ 0x12 }, 1, &entry);
		}
	}
	aml_name(a, "_PRT");
	aml_wrap(a, (const uint8_t[]){ 0x12 }, 1, &list);
}

/* --- the root bridge's resources (_CRS) ------------------------------------ */

static void res_word(struct aml *r, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint16_t len = (uint16_t)(max - min + 1);
	aml_bytes(r, (uint8_t[]){ 0x88, 0x0d, 0x00, type, 0x0c, tflags, 0, 0 }, 8);
	aml_bytes(r, (uint8_t[]){ (uint8_t)min, (uint8_t)(min >> 8), (uint8_t)max, (uint8_t)(max >> 8),
				   0, 0, (uint8_t)len, (uint8_t)(len >> 8) }, 8);
}

static void res_dword_mem(struct aml *r, uint32_t min, uint32_t max)
{
	uint32_t f[5] = { 0, min, max, 0, max - min + 1 }; /* granularity .. length */
	aml_bytes(r, (uint8_t[]){ 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01 }, 6);
	for (int i = 0; i < 5; i++)
		aml_bytes(r, (uint8_t[]){ (uint8_t)f[i], (uint8_t)(f[i] >> 8), (uint8_t)(f[i] >> 16),
					   (uint8_t)(f[i] >> 24) }, 4);
}

/* Bus 0-255; the conf1 ports; I/O around them; the VGA window and the
 * hole between RAM and the APICs for memory BARs. */
static void aml_crs(struct aml *a, const struct acpi_platform *p)
{
	static struct aml res, buf;
	res.n = buf.n = 0;
	res.overflow = buf.overflow = false;
	res_word(&res, 2, 0, 0, 0xff);
	aml_bytes(&res, (uint8_t[]){ 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 }, 8);
	res_word(&res, 1, 3, 0, 0x0cf7);
	res_word(&res, 1, 3, 0x0d00, 0xffff);
	res_dword_mem(&res, 0xa0000, 0xbffff);
	uint32_t hole = (uint32_t)boot_align_up(p->ram_size, 0x10000000);
	res_dword_mem(&res, hole, ACPI_PCI_HOLE_END);
	aml_bytes(&res, (uint8_t[]){ 0x79, 0x00 }, 2);
	aml_int(&buf, (uint32_t)res.n);
	aml_bytes(&buf, res.b, res.n);
	buf.overflow |= res.overflow;
	aml_name(a, "_CRS");
	aml_wrap(a, (const uint8_t[]){ 0x11 }, 1, &buf); /* BufferOp */
}

static void aml_dsdt_body(struct aml *a, const struct acpi_platform *p)
{
	static struct aml pci0, sb;
	pci0.n = sb.n = 0;
	pci0.overflow = sb.overflow = false;
	aml_bytes(&pci0, "PCI0", 4);
	aml_name(&pci0, "_HID");
	aml_int(&pci0, EISA_PNP0A03);
	aml_name(&pci0, "_ADR");
	aml_int(&pci0, 0);
	aml_name(&pci0, "_UID");
	aml_int(&pci0, 0);
	aml_crs(&pci0, p);
	aml_prt(&pci0, p);
	aml_bytes(&sb, "\\_SB_", 5);
	aml_wrap(&sb, (const uint8_t[]){ 0x5b, 0x82 }, 2, &pci0); /* DeviceOp */
	aml_wrap(a, (const uint8_t[]){ 0x10 }, 1, &sb);            /* ScopeOp */
	/* \_S5: SLP_TYP 0 for PM1a and PM1b, which the PM device reads as off. */
	struct aml s5 = { .n = 0 };
	aml_byte(&s5, 4);
	for (int i = 0; i < 4; i++)
		aml_int(&s5, 0);
	aml_name(a, "_S5_");
	aml_wrap(a, (const uint8_t[]){ 0x12 }, 1, &s5);
}

/* --- tables --------------------------------------------------------------- */

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	boot_put32(t, 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE, 8);
	boot_put32(t, 24, 1);          /* OEM revision */
	memcpy(t + 28, "CRDN", 4);     /* creator */
	boot_put32(t, 32, 1);
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* FADT in the ACPI 1.0 layout (116 bytes), as QEMU's pc has it. */
static uint32_t write_fadt(uint8_t *t, uint32_t facs, uint32_t dsdt, const struct acpi_platform *p)
{
	const uint32_t len = 116;
	memset(t, 0, len);
	boot_put32(t, 36, facs);
	boot_put32(t, 40, dsdt);
	boot_put16(t, 46, p->sci_irq);
	boot_put32(t, 48, p->smi_cmd);
	t[52] = p->acpi_enable;
	t[53] = p->acpi_disable;
	boot_put32(t, 56, p->pm_base);      /* PM1a_EVT_BLK */
	boot_put32(t, 64, p->pm_base + 4u); /* PM1a_CNT_BLK */
	boot_put32(t, 76, p->pm_base + 8u); /* PM_TMR_BLK */
	boot_put32(t, 80, p->gpe0_base);
	t[88] = 4; /* PM1_EVT_LEN */
	t[89] = 2; /* PM1_CNT_LEN */
	t[91] = 4; /* PM_TMR_LEN */
	t[92] = 4; /* GPE0_BLK_LEN */
	boot_put16(t, 96, 0xfff);  /* no C2 */
	boot_put16(t, 98, 0xfff);  /* no C3 */
	/* WBINVD, C1 on all processors, no fixed sleep button (the power
	 * button is the fixed one), RTC wake from S4. */
	boot_put32(t, 112, 1u << 0 | 1u << 2 | 1u << 5 | 1u << 7);
	header(t, "FACP", len, 1);
	return len;
}

static uint32_t write_madt(uint8_t *t, const struct acpi_platform *p)
{
	uint32_t n = 44;
	memset(t, 0, 128);
	boot_put32(t, 36, p->lapic_addr);
	boot_put32(t, 40, 1); /* PCAT_COMPAT: there are 8259s to mask */
	/* Processor local APIC: processor 0, APIC id 0, enabled. */
	t[n] = 0, t[n + 1] = 8, t[n + 2] = 0, t[n + 3] = 0;
	boot_put32(t, n + 4, 1);
	n += 8;
	/* The I/O APIC, GSIs from 0. */
	t[n] = 1, t[n + 1] = 12, t[n + 2] = p->ioapic_id;
	boot_put32(t, n + 4, p->ioapic_addr);
	boot_put32(t, n + 8, 0);
	n += 12;
	/* ISA IRQ 0 (the PIT) is wired to pin 2, as on QEMU's pc. */
	t[n] = 2, t[n + 1] = 10, t[n + 2] = 0, t[n + 3] = 0;
	boot_put32(t, n + 4, 2);
	boot_put16(t, n + 8, 0);
	n += 10;
	/* LINT1 of every processor is NMI. */
	t[n] = 4, t[n + 1] = 6, t[n + 2] = 0xff;
	boot_put16(t, n + 3, 0);
	t[n + 5] = 1;
	n += 6;
	header(t, "APIC", n, 1);
	return n;
}

static uint32_t align16(uint32_t v)
{
	return (v + 15) & ~15u;
}

int boot_acpi_tables(uint8_t *ram, uint32_t ram_size, const struct acpi_platform *p)
{
	if (ram_size < BOOT_HIGH_START || p->ram_size != ram_size)
		return -1;
	static struct aml dsdt;
	dsdt.n = 0;
	dsdt.overflow = false;
	aml_dsdt_body(&dsdt, p);
	if (dsdt.overflow || HDR + dsdt.n > ACPI_AREA_SIZE / 2)
		return -1;
	uint8_t *area = ram + ACPI_AREA_BASE;
	memset(area, 0, ACPI_AREA_SIZE);
	uint32_t facs = ACPI_AREA_BASE, at = facs + 64;
	memcpy(ram + facs, "FACS", 4);
	boot_put32(ram, facs + 4, 64);

	uint32_t dsdt_addr = at;
	memcpy(ram + at + HDR, dsdt.b, dsdt.n);
	header(ram + at, "DSDT", (uint32_t)(HDR + dsdt.n), 1);
	at = align16(at + HDR + (uint32_t)dsdt.n);

	uint32_t tables[2], ntables = 0;
	tables[ntables++] = at;
	at = align16(at + write_fadt(ram + at, facs, dsdt_addr, p));
	if (p->apic) {
		tables[ntables++] = at;
		at = align16(at + write_madt(ram + at, p));
	}
	uint32_t rsdt = at, rsdt_len = HDR + 4 * ntables;
	for (uint32_t i = 0; i < ntables; i++)
		boot_put32(ram, rsdt + HDR + 4 * i, tables[i]);
	header(ram + rsdt, "RSDT", rsdt_len, 1);

	uint8_t *rsdp = ram + ACPI_RSDP_ADDR;
	memset(rsdp, 0, 20);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	boot_put32(rsdp, 16, rsdt);
	rsdp[8] = checksum(rsdp, 20);
	return 0;
}
