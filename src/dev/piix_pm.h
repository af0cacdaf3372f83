/*
 * PIIX4-style ACPI power management, function 3 of the PIIX3's slot
 * (8086:7113, as QEMU's pc has it): the ACPI fixed hardware that a guest's
 * ACPI driver uses to power the machine off and to hear the power button.
 *
 *   PMBA (config 0x40) + 0x00  PM1a status / enable (timer, power button)
 *                      + 0x04  PM1a control: SCI_EN, SLP_TYP, SLP_EN
 *                      + 0x08  PM timer, 24 bits at 3.579545 MHz
 *   0xb2 / 0xb3                APM control / status: 0xf1 enables ACPI mode
 *                              (SCI_EN), 0xf0 disables it
 *   0xafe0                     GPE0 status / enable (no GPE sources)
 *
 * The PM I/O block is decoded while PMREGMISC (config 0x80) bit 0 is set.
 * Writing SLP_EN with SLP_TYP 0 (the _S5 value in the tables SeaBIOS and
 * cordon give the guest) or 2 powers the machine off through poweroff();
 * other sleep types are ignored (no S1-S3).  The SCI is ISA IRQ 9, level,
 * asserted while SCI_EN is set and an enabled status bit is; it goes out
 * through the PCI bus, which ORs it with the PIRQs routed to IRQ 9.  SMM is not
 * modelled: DEVACTB's APMC_EN reads as set, which tells SeaBIOS that SMM
 * setup is done, as QEMU does when SMM is off.
 */
#ifndef CORDON_DEV_PIIX_PM_H
#define CORDON_DEV_PIIX_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/irq.h"
#include "dev/pci.h"

#define PIIX_PM_FN 3
#define PIIX_PM_SCI_IRQ 9
#define PIIX_PM_BASE 0xb000   /* where firmware (and cordon, without one) puts PMBA */
#define PIIX_PM_GPE0 0xafe0
#define PIIX_PM_SMI_CMD 0xb2
#define PIIX_PM_ACPI_ENABLE 0xf1
#define PIIX_PM_ACPI_DISABLE 0xf0
#define PIIX_PM_TIMER_HZ 3579545u

struct piix_pm_config {
	struct pci_bus *bus;
	int slot;
	struct iobus *io;
	const struct vclock *clock;
	void (*poweroff)(void *opaque);
	void *opaque;
};

struct piix_pm;

struct piix_pm *piix_pm_create(const struct piix_pm_config *cfg);
void piix_pm_destroy(struct piix_pm *pm);
/* What firmware does: PM I/O at PIIX_PM_BASE, decoded. */
void piix_pm_enable_io(struct piix_pm *pm);
/* A press of the power button: PWRBTN_STS, an SCI if the guest enabled
 * it.  Returns whether the guest had the button enabled (an ACPI OS that
 * listens); the press is latched either way. */
bool piix_pm_power_button(struct piix_pm *pm);

#endif
