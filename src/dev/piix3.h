/*
 * The PIIX3 PCI-to-ISA bridge, function 0 of slot 1 (8086:7000): the PIRQ
 * route registers (0x60-0x63) that connect PCI INTA#-INTD# to ISA IRQs,
 * port 0x92 (fast A20 and fast reset) and the reset control register at
 * 0xCF9.  The ELCR (0x4d0/0x4d1) is the PIC's (dev/devices.h); the IDE and
 * power-management functions are files of their own.
 *
 * A route register holds an IRQ in bits 3:0 and a disable bit 7 (the reset
 * value 0x80: not routed).  IRQs 0-2, 8 and 13 are not routable on the
 * chip, so a value naming one routes nowhere.
 */
#ifndef CORDON_DEV_PIIX3_H
#define CORDON_DEV_PIIX3_H

#include <stdint.h>

#include "dev/bus.h"
#include "dev/pci.h"

#define PIIX3_SLOT 1
#define PIIX3_PIRQRC 0x60 /* PIRQRC[A..D]: 0x60..0x63 */
#define PIIX3_PIRQ_DISABLE 0x80

struct piix3;

/* reset(opaque) is called for a reset through port 0x92 bit 0 or 0xCF9. */
struct piix3 *piix3_create(struct pci_bus *bus, struct iobus *io, void (*reset)(void *opaque),
			   void *opaque);
/* Call before pci_destroy (it releases 0xCF9 on the bus). */
void piix3_destroy(struct piix3 *p);

#endif
