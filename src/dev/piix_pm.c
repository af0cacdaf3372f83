/*
 * PIIX4-style ACPI power management; see dev/piix_pm.h.
 *
 * Everything the guest writes is a register value masked to its defined
 * bits; the only actions are the SCI level and poweroff().
 */
#include "dev/piix_pm.h"

#include <stdlib.h>

#include "dev/le.h"

#define CFG_SIZE 256
#define PMBA 0x40
#define DEVACTB 0x58
#define APMC_EN_BYTE 0x5b
#define APMC_EN_BIT 0x02
#define PMREGMISC 0x80
#define PM_IO_SIZE 64

#define PM1_STS 0x00
#define PM1_EN 0x02
#define PM1_CNT 0x04
#define PM_TMR 0x08

#define STS_TMR 0x0001
#define STS_GBL 0x0020
#define STS_PWRBTN 0x0100
#define STS_RTC 0x0400
#define STS_WAK 0x8000
#define STS_MASK (STS_TMR | STS_GBL | STS_PWRBTN | STS_RTC | STS_WAK)
#define EN_MASK (STS_TMR | STS_GBL | STS_PWRBTN | STS_RTC)
#define CNT_SCI_EN 0x0001
#define CNT_WRITABLE 0x1c07 /* SCI_EN, BM_RLD, GBL_RLS, SLP_TYP */
#define CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define CNT_SLP_EN 0x2000

struct piix_pm {
	struct piix_pm_config cfg;
	uint8_t conf[CFG_SIZE];
	uint8_t wmask[CFG_SIZE];
	uint16_t io_base; /* where the PM block is decoded; 0: not */
	uint16_t sts, en, cnt;
	uint16_t gpe_sts, gpe_en;
	uint8_t apms;
	int sci;
};

static void update_sci(struct piix_pm *pm)
{
	int level = (pm->cnt & CNT_SCI_EN) &&
		    ((pm->sts & pm->en & EN_MASK) || (pm->gpe_sts & pm->gpe_en));
	if (level != pm->sci) {
		pm->sci = level;
		pci_set_chipset_irq(pm->cfg.bus, PIIX_PM_SCI_IRQ, level);
	}
}

/* The 24-bit PM timer: ticks of 3.579545 MHz since the machine started,
 * computed in two parts so the product never overflows. */
static uint32_t pm_timer(const struct piix_pm *pm)
{
	uint64_t ns = vclock_now(pm->cfg.clock);
	uint64_t ticks = ns / 1000000000u * PIIX_PM_TIMER_HZ +
			 ns % 1000000000u * PIIX_PM_TIMER_HZ / 1000000000u;
	return (uint32_t)ticks & 0xffffff;
}

static void write_cnt(struct piix_pm *pm, uint16_t v)
{
	pm->cnt = (uint16_t)((pm->cnt & ~CNT_WRITABLE) | (v & CNT_WRITABLE));
	if (v & CNT_SLP_EN) {
		unsigned typ = CNT_SLP_TYP(v);
		if ((typ == 0 || typ == 2) && pm->cfg.poweroff)
			pm->cfg.poweroff(pm->cfg.opaque);
	}
	update_sci(pm);
}

/* --- the PM I/O block ----------------------------------------------------- */

/* Registers are 16 bits wide (the timer 32); a byte access reaches half
 * of one, so reads assemble bytes and writes merge into the old value. */
static uint8_t reg_byte(struct piix_pm *pm, uint32_t off)
{
	uint32_t v;
	switch (off & ~1u) {
	case PM1_STS: v = pm->sts; break;
	case PM1_EN: v = pm->en; break;
	case PM1_CNT: v = pm->cnt; break;
	case PM_TMR: v = pm_timer(pm); break;
	case PM_TMR + 2: v = pm_timer(pm) >> 16; break;
	default: v = 0; break;
	}
	return (uint8_t)(v >> (8 * (off & 1)));
}

static uint32_t pm_io_read(void *opaque, uint32_t port, int size)
{
	struct piix_pm *pm = opaque;
	uint32_t off = port - pm->io_base, v = 0;
	if (off == PM_TMR && size == 4)
		return pm_timer(pm); /* one sample, not four */
	for (int i = 0; i < size; i++)
		v |= (uint32_t)reg_byte(pm, off + (uint32_t)i) << (8 * i);
	return v;
}

static void write_reg16(struct piix_pm *pm, uint32_t reg, uint16_t v, uint16_t bytes)
{
	switch (reg) {
	case PM1_STS: /* write 1 to clear */
		pm->sts &= (uint16_t)~(v & bytes & STS_MASK);
		update_sci(pm);
		break;
	case PM1_EN:
		pm->en = (uint16_t)((pm->en & ~bytes) | (v & bytes & EN_MASK));
		update_sci(pm);
		break;
	case PM1_CNT:
		write_cnt(pm, (uint16_t)((pm->cnt & ~bytes) | (v & bytes)));
		break;
	}
}

/* Byte by byte: SLP_TYP and SLP_EN share PM1_CNT's high byte, so a
 * sleep request is always seen whole. */
static void pm_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct piix_pm *pm = opaque;
	uint32_t off = port - pm->io_base;
	for (int i = 0; i < size; i++) {
		uint32_t o = off + (uint32_t)i;
		unsigned shift = 8 * (o & 1);
		write_reg16(pm, o & ~1u, (uint16_t)(((val >> (8 * i)) & 0xff) << shift),
			    (uint16_t)(0xff << shift));
	}
}

/* --- GPE0 and the APM ports ----------------------------------------------- */

static uint32_t gpe_read(void *opaque, uint32_t port, int size)
{
	struct piix_pm *pm = opaque;
	uint8_t regs[4] = { (uint8_t)pm->gpe_sts, (uint8_t)(pm->gpe_sts >> 8),
			    (uint8_t)pm->gpe_en, (uint8_t)(pm->gpe_en >> 8) };
	uint32_t off = port - PIIX_PM_GPE0, v = 0;
	for (int i = 0; i < size; i++)
		v |= (off + (uint32_t)i < 4 ? regs[off + (uint32_t)i] : 0xffu) << (8 * i);
	return v;
}

static void gpe_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct piix_pm *pm = opaque;
	uint32_t off = port - PIIX_PM_GPE0;
	for (int i = 0; i < size && off + (uint32_t)i < 4; i++) {
		uint32_t o = off + (uint32_t)i;
		uint16_t b = (uint16_t)(((val >> (8 * i)) & 0xff) << (8 * (o & 1)));
		if (o < 2)
			pm->gpe_sts &= (uint16_t)~b;
		else
			pm->gpe_en = (uint16_t)((pm->gpe_en & ~(0xff << (8 * (o & 1)))) | b);
	}
	update_sci(pm);
}

static uint32_t apm_read(void *opaque, uint32_t port, int size)
{
	struct piix_pm *pm = opaque;
	(void)size;
	return port == PIIX_PM_SMI_CMD ? 0 : pm->apms;
}

static void apm_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct piix_pm *pm = opaque;
	(void)size;
	if (port != PIIX_PM_SMI_CMD) {
		pm->apms = (uint8_t)val;
		return;
	}
	if ((val & 0xff) == PIIX_PM_ACPI_ENABLE)
		pm->cnt |= CNT_SCI_EN;
	else if ((val & 0xff) == PIIX_PM_ACPI_DISABLE)
		pm->cnt &= (uint16_t)~CNT_SCI_EN;
	update_sci(pm);
}

/* --- configuration space -------------------------------------------------- */

static void update_io(struct piix_pm *pm)
{
	uint16_t base = (uint16_t)(get_le(&pm->conf[PMBA], 2) & 0xffc0);
	if (!(pm->conf[PMREGMISC] & 1))
		base = 0;
	if (base == pm->io_base)
		return;
	if (pm->io_base)
		iobus_unregister(pm->cfg.io, pm->io_base);
	pm->io_base = 0;
	/* A base on top of another device's ports stays undecoded. */
	if (base && iobus_register(pm->cfg.io, "acpi-pm", base, PM_IO_SIZE, pm_io_read, pm_io_write, pm) == 0)
		pm->io_base = base;
}

static uint32_t cfg_read(void *opaque, unsigned offset, int size)
{
	struct piix_pm *pm = opaque;
	return get_le(&pm->conf[offset], size);
}

static void cfg_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct piix_pm *pm = opaque;
	pci_masked_write(pm->conf, pm->wmask, offset, size, val);
	update_io(pm);
}

static void init_conf(struct piix_pm *pm)
{
	pm->conf[PMBA] = 0x01; /* I/O space indicator */
	pm->wmask[PMBA] = 0xc0;
	pm->wmask[PMBA + 1] = 0xff;
	for (int o = DEVACTB; o < DEVACTB + 4; o++)
		pm->wmask[o] = 0xff;
	pm->conf[APMC_EN_BYTE] = APMC_EN_BIT; /* "SMM already set up" */
	pm->wmask[APMC_EN_BYTE] = (uint8_t)~APMC_EN_BIT;
	pm->wmask[PMREGMISC] = 0x01;
	pm->conf[0x90] = 0x01; /* SMBus base: I/O, no SMBus behind it */
	pm->wmask[0x90] = 0xf0;
	pm->wmask[0x91] = 0xff;
	pm->wmask[0xd2] = 0x0f;
}

/* --- lifetime ------------------------------------------------------------- */

static const struct pci_device_info pm_info = {
	.name = "piix4-pm",
	.vendor_id = 0x8086, .device_id = 0x7113, /* 82371AB PIIX4 ACPI */
	.revision = 0x03,
	.class_code = 0x06, .subclass = 0x80, .prog_if = 0x00,
	.cfg_read = cfg_read, .cfg_write = cfg_write,
};

struct piix_pm *piix_pm_create(const struct piix_pm_config *cfg)
{
	struct piix_pm *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->cfg = *cfg;
	init_conf(pm);
	struct pci_device_info info = pm_info;
	info.opaque = pm;
	if (iobus_register(cfg->io, "apm", PIIX_PM_SMI_CMD, 2, apm_read, apm_write, pm) < 0)
		goto fail;
	if (iobus_register(cfg->io, "acpi-gpe0", PIIX_PM_GPE0, 4, gpe_read, gpe_write, pm) < 0)
		goto fail_apm;
	if (!pci_register_fn(cfg->bus, cfg->slot, PIIX_PM_FN, &info))
		goto fail_gpe;
	return pm;
fail_gpe:
	iobus_unregister(cfg->io, PIIX_PM_GPE0);
fail_apm:
	iobus_unregister(cfg->io, PIIX_PM_SMI_CMD);
fail:
	free(pm);
	return NULL;
}

void piix_pm_destroy(struct piix_pm *pm)
{
	if (!pm)
		return;
	if (pm->io_base)
		iobus_unregister(pm->cfg.io, pm->io_base);
	iobus_unregister(pm->cfg.io, PIIX_PM_GPE0);
	iobus_unregister(pm->cfg.io, PIIX_PM_SMI_CMD);
	free(pm);
}

void piix_pm_enable_io(struct piix_pm *pm)
{
	pci_config_write_fn(pm->cfg.bus, pm->cfg.slot, PIIX_PM_FN, PMBA, 4, PIIX_PM_BASE);
	pci_config_write_fn(pm->cfg.bus, pm->cfg.slot, PIIX_PM_FN, PMREGMISC, 1, 1);
}

bool piix_pm_power_button(struct piix_pm *pm)
{
	pm->sts |= STS_PWRBTN;
	update_sci(pm);
	return (pm->cnt & CNT_SCI_EN) && (pm->en & STS_PWRBTN);
}
