/* ACPI power management: PM1 registers, the PM timer, sleep, SCI, APM
 * and GPE0, through the ports and config space as a guest sees them. */
#include "t.h"

#include <stdlib.h>

#include "dev/piix_pm.h"

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line line;
	struct vclock clock;
	uint64_t now;
	int level[16];
	int poweroffs;
	struct pci_bus *pci;
	struct piix_pm *pm;
};

static void set_line(void *opaque, int irq, int level)
{
	((struct rig *)opaque)->level[irq] = level;
}

static uint64_t now(void *opaque)
{
	return ((struct rig *)opaque)->now;
}

static void poweroff(void *opaque)
{
	((struct rig *)opaque)->poweroffs++;
}

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->line = (struct irq_line){ set_line, r };
	r->clock = (struct vclock){ now, r };
	r->pci = pci_create(&r->io, &r->mmio, &r->line);
	struct piix_pm_config c = {
		.bus = r->pci, .slot = 1, .io = &r->io, .clock = &r->clock,
		.poweroff = poweroff, .opaque = r,
	};
	r->pm = piix_pm_create(&c);
	return r;
}

static void rig_free(struct rig *r)
{
	piix_pm_destroy(r->pm);
	pci_destroy(r->pci);
	free(r);
}

#define PM(off) ((uint16_t)(PIIX_PM_BASE + (off)))

TEST(piix_pm_identity_and_io_decode)
{
	struct rig *r = rig_new();
	CHECK(r->pm != NULL);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 3, 0, 4), 0x71138086u);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 3, 0x40, 4), 1); /* PMBA: I/O indicator */
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 3, 0x5b, 1) & 2, 2); /* APMC_EN: no SMM */
	pci_config_write_fn(r->pci, 1, 3, 0x58, 4, 0);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 3, 0x5b, 1) & 2, 2); /* sticks */
	CHECK_EQ(iobus_read(&r->io, PM(4), 2), 0xffff);          /* not decoded yet */
	pci_config_write_fn(r->pci, 1, 3, 0x40, 4, PIIX_PM_BASE | 0x3f);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 3, 0x40, 4), PIIX_PM_BASE | 1);
	CHECK_EQ(iobus_read(&r->io, PM(4), 2), 0xffff);          /* PMIOSE still off */
	pci_config_write_fn(r->pci, 1, 3, 0x80, 1, 1);
	CHECK_EQ(iobus_read(&r->io, PM(4), 2), 0);
	pci_config_write_fn(r->pci, 1, 3, 0x40, 4, 0x1001);      /* moves */
	CHECK_EQ(iobus_read(&r->io, PM(4), 2), 0xffff);
	CHECK_EQ(iobus_read(&r->io, 0x1004, 2), 0);
	/* Onto another device's ports: left undecoded, the other one keeps them. */
	CHECK_EQ(iobus_register(&r->io, "other", 0x2000, 4, NULL, NULL, NULL), 0);
	pci_config_write_fn(r->pci, 1, 3, 0x40, 4, 0x2001);
	CHECK_EQ(iobus_read(&r->io, 0x1004, 2), 0xffff);
	CHECK_EQ(iobus_read(&r->io, 0x2004, 2), 0xffff);
	CHECK(piix_pm_create(&(struct piix_pm_config){ .bus = r->pci, .slot = 1, .io = &r->io }) == NULL);
	rig_free(r);
}

TEST(piix_pm_timer_counts_at_3_58_mhz_and_wraps)
{
	struct rig *r = rig_new();
	piix_pm_enable_io(r->pm);
	CHECK_EQ(iobus_read(&r->io, PM(8), 4), 0);
	r->now = 1000000000ull; /* one second */
	CHECK_EQ(iobus_read(&r->io, PM(8), 4), PIIX_PM_TIMER_HZ & 0xffffff);
	r->now = 3600ull * 1000000000ull * 24; /* a day: no overflow in the math */
	uint64_t ticks = 3600ull * 24 * PIIX_PM_TIMER_HZ;
	CHECK_EQ(iobus_read(&r->io, PM(8), 4), ticks & 0xffffff);
	CHECK_EQ(iobus_read(&r->io, PM(8), 2), ticks & 0xffff);
	iobus_write(&r->io, PM(8), 4, 0); /* read-only */
	CHECK_EQ(iobus_read(&r->io, PM(8), 4), ticks & 0xffffff);
	rig_free(r);
}

TEST(piix_pm_sleep_types)
{
	struct rig *r = rig_new();
	piix_pm_enable_io(r->pm);
	iobus_write(&r->io, PM(4), 2, 1u << 10); /* SLP_TYP 1, no SLP_EN */
	CHECK_EQ(r->poweroffs, 0);
	CHECK_EQ(iobus_read(&r->io, PM(4), 2), 1u << 10);
	iobus_write(&r->io, PM(4), 2, 0x2000 | 1u << 10); /* S1..S3: ignored */
	CHECK_EQ(r->poweroffs, 0);
	CHECK_EQ(iobus_read(&r->io, PM(4), 2) & 0x2000, 0); /* SLP_EN reads 0 */
	iobus_write(&r->io, PM(4), 2, 0x2000 | 7u << 10);
	CHECK_EQ(r->poweroffs, 0);
	iobus_write(&r->io, PM(5), 1, 0x20); /* SLP_EN, SLP_TYP 0 through the high byte */
	CHECK_EQ(r->poweroffs, 1);
	iobus_write(&r->io, PM(4), 2, 0x2000 | 2u << 10); /* S4 is off too */
	CHECK_EQ(r->poweroffs, 2);
	rig_free(r);
}

TEST(piix_pm_power_button_and_sci)
{
	struct rig *r = rig_new();
	piix_pm_enable_io(r->pm);
	CHECK(!piix_pm_power_button(r->pm)); /* nobody listening */
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	CHECK_EQ(iobus_read(&r->io, PM(0), 2) & 0x100, 0x100); /* latched */
	iobus_write(&r->io, PM(0), 2, 0x100);                   /* write 1 clears */
	CHECK_EQ(iobus_read(&r->io, PM(0), 2) & 0x100, 0);
	iobus_write(&r->io, PM(2), 2, 0xffff);
	CHECK_EQ(iobus_read(&r->io, PM(2), 2), 0x0521); /* only defined enables */
	CHECK(!piix_pm_power_button(r->pm));             /* SCI_EN still off */
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	iobus_write(&r->io, PIIX_PM_SMI_CMD, 1, PIIX_PM_ACPI_ENABLE);
	CHECK_EQ(iobus_read(&r->io, PM(4), 2) & 1, 1);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 1);          /* the latched press */
	iobus_write(&r->io, PM(0), 2, 0x100);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	CHECK(piix_pm_power_button(r->pm));
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 1);
	iobus_write(&r->io, PIIX_PM_SMI_CMD, 1, PIIX_PM_ACPI_DISABLE);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	rig_free(r);
}

TEST(piix_pm_gpe0_has_no_sources)
{
	struct rig *r = rig_new();
	CHECK_EQ(iobus_read(&r->io, PIIX_PM_GPE0, 4), 0);
	iobus_write(&r->io, PIIX_PM_GPE0, 4, 0xffffffffu);
	CHECK_EQ(iobus_read(&r->io, PIIX_PM_GPE0, 2), 0);      /* status: nothing to clear */
	CHECK_EQ(iobus_read(&r->io, PIIX_PM_GPE0 + 2, 2), 0xffff); /* enable: kept */
	CHECK_EQ(iobus_read(&r->io, PIIX_PM_GPE0 + 3, 2), 0xffff); /* straddles the end */
	iobus_write(&r->io, PIIX_PM_GPE0 + 3, 1, 0);
	CHECK_EQ(iobus_read(&r->io, PIIX_PM_GPE0 + 2, 2), 0x00ff);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	rig_free(r);
}

/* The SCI is a shareable level line, and by default PIRQ C (here slot 2's
 * INTA) is routed to the same IRQ 9: the line is high while either
 * source asserts it, so neither can take the other's interrupt away. */
TEST(piix_pm_sci_and_a_pci_device_share_irq9)
{
	struct rig *r = rig_new();
	piix_pm_enable_io(r->pm);
	struct pci_device_info info = { .vendor_id = 0x1234, .interrupt_pin = 1 };
	struct pci_device *dev = pci_register(r->pci, 2, &info);
	CHECK(dev != NULL);
	CHECK_EQ(pci_slot_irq(2, 1), PIIX_PM_SCI_IRQ);
	iobus_write(&r->io, PIIX_PM_SMI_CMD, 1, PIIX_PM_ACPI_ENABLE);
	iobus_write(&r->io, PM(2), 2, 0x100); /* PWRBTN_EN */

	pci_set_irq(dev, 1);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 1);
	CHECK(piix_pm_power_button(r->pm));
	iobus_write(&r->io, PM(0), 2, 0x100); /* the SCI ends; the device's INTx does not */
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 1);
	pci_set_irq(dev, 0);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);

	CHECK(piix_pm_power_button(r->pm)); /* the other way round */
	pci_set_irq(dev, 1);
	pci_set_irq(dev, 0);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 1);
	iobus_write(&r->io, PM(0), 2, 0x100);
	CHECK_EQ(r->level[PIIX_PM_SCI_IRQ], 0);
	rig_free(r);
}
