/*
 * A PCI bus (bus 0 only) reached through configuration mechanism #1.
 *
 * The guest writes a dword address to port 0xCF8 (bit 31 enable, bus in
 * bits 23:16, device 15:11, function 10:8, register 7:2) and then reads
 * or writes 1, 2 or 4 bytes at 0xCFC-0xCFF.  Slot 0 holds a host bridge
 * (Intel 82441FX ids, class 06/00/00) so that Linux's conf1 sanity check,
 * which looks for a host bridge or VGA device on bus 0, passes.
 *
 * Devices register with pci_register() (function 0) or pci_register_fn()
 * (functions 1..7 of a multi-function device such as the PIIX3); function
 * 0's header type then says the slot is multi-function.  The bus
 * owns their configuration header: it keeps a write mask per byte so that
 * read-only fields ignore writes, sizes BARs the usual way (write all
 * ones, read back ~(size-1) | type bits) and maps a BAR's region on the
 * port or MMIO bus only while it is programmed and the matching decode
 * bit of the command register is set.  BAR callbacks receive the offset
 * within the BAR, so a device never sees where the guest put it.
 *
 * Legacy INTx: device D's pin P (1 = INTA#) goes to PIRQ (D + P - 1) mod 4,
 * the swizzle real boards use.  The chipset (the PIIX3's PIRQ route
 * registers, dev/piix3.h) says which ISA IRQ each PIRQ drives; until it
 * does, PIRQ A-D drive ISA IRQs 10, 11, 9, 5, which is also what cordon
 * writes into each device's Interrupt Line register for a guest started
 * without firmware.  Lines are level-triggered and may be shared; the bus
 * ORs the levels of every device on a PIRQ and of every PIRQ on an IRQ.
 *
 * The host bridge at 00:00.0 is a plain 82441FX until the chipset model
 * (dev/i440fx.h) puts its own in with pci_replace_host_bridge().
 */
#ifndef CORDON_DEV_PCI_H
#define CORDON_DEV_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/irq.h"

#define PCI_SLOTS 32
#define PCI_FUNCS 8
#define PCI_CF9_PORT 0xcf9     /* the chipset's reset control register */
#define PCI_NUM_BARS 6
#define PCI_CONFIG_SIZE 256
#define PCI_CAP_START 0x40     /* device-specific space: capabilities etc. */
#define PCI_IRQ_MASK ((1u << 5) | (1u << 9) | (1u << 10) | (1u << 11)) /* ISA IRQs used for INTx */

/* Configuration header offsets cordon's users need. */
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_IO };

/* read/write get the offset within the BAR in place of the bus address. */
struct pci_bar_desc {
	enum pci_bar_kind kind;
	uint32_t size;  /* a power of two: I/O 4..256 bytes, memory 16 bytes..1 GiB */
	bus_read_fn read;
	bus_write_fn write;
};

struct pci_device_info {
	const char *name;
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint8_t revision;
	uint8_t class_code, subclass, prog_if;
	uint8_t interrupt_pin; /* 0 = none, 1..4 = INTA#..INTD# */
	struct pci_bar_desc bars[PCI_NUM_BARS];
	/* Capability list bytes, copied to offset 0x40 (the capability pointer
	 * then points there).  Next pointers are absolute config offsets; the
	 * chain must stay inside the bytes given and end with 0. */
	const uint8_t *caps;
	unsigned caps_len; /* at most 192 */
	/* Optional: accesses at offsets >= 0x40.  Without cfg_read those bytes
	 * read from caps (zero past them); without cfg_write they are read-only.
	 * size is 1, 2 or 4 and the access never crosses a dword. */
	uint32_t (*cfg_read)(void *opaque, unsigned offset, int size);
	void (*cfg_write)(void *opaque, unsigned offset, int size, uint32_t val);
	void *opaque; /* passed to every callback */
};

struct pci_bus;
struct pci_device;

/* For a device's own registers above the header: merges the bytes of a
 * config write into conf where wmask allows. */
static inline void pci_masked_write(uint8_t *conf, const uint8_t *wmask, unsigned offset, int size,
				    uint32_t val)
{
	for (int i = 0; i < size; i++) {
		unsigned o = offset + (unsigned)i;
		conf[o] = (uint8_t)((conf[o] & ~wmask[o]) | ((val >> (8 * i)) & wmask[o]));
	}
}

/* Claims ports 0xCF8-0xCFF and adds the host bridge at 00:00.0; NULL on failure. */
struct pci_bus *pci_create(struct iobus *io, struct mmiobus *mmio, const struct irq_line *irq);
/* Removes every function left and the bus, without touching an interrupt
 * line: the controllers they lead to may be gone already (a machine is
 * torn down as a whole). */
void pci_destroy(struct pci_bus *bus);
/* Adds a device in slot 1..31 (the bus keeps its own copy of info, but not of
 * the caps bytes' owner).  NULL when the slot is taken or info is invalid. */
struct pci_device *pci_register(struct pci_bus *bus, int slot, const struct pci_device_info *info);
/* The same for function fn (0..7) of slot (1..31). */
struct pci_device *pci_register_fn(struct pci_bus *bus, int slot, int fn,
				   const struct pci_device_info *info);
/* Replaces the plain host bridge at 00:00.0 with the chipset's (its
 * cfg_read/cfg_write serve offsets 0x40 up); NULL for invalid info. */
struct pci_device *pci_replace_host_bridge(struct pci_bus *bus, const struct pci_device_info *info);
/* The chipset's byte register at port 0xCF9 (inside the conf1 ports). */
void pci_set_cf9_handler(struct pci_bus *bus, bus_read_fn rd, bus_write_fn wr, void *opaque);
/* Routes PIRQ 0..3 (A..D) to ISA IRQ isa_irq (0..15; anything else: not
 * routed).  A PIRQ asserted now moves to its new line at once. */
void pci_set_pirq_route(struct pci_bus *bus, int pirq, int isa_irq);
/* A chipset function's own level interrupt on ISA IRQ isa_irq (the ACPI
 * SCI): ORed with the PIRQs routed there, as on the shared wire, so a
 * source that goes low never takes away another's interrupt. */
void pci_set_chipset_irq(struct pci_bus *bus, int isa_irq, int level);
/* Removes a function while the bus lives on (a hot unplug): it stops
 * asserting INTx, its BARs leave the buses and its slot is free again.
 * pci_destroy removes whatever is left, so a machine that goes as a whole
 * need not. */
void pci_unregister(struct pci_device *dev);

/* Configuration space as a guest sees it through conf1 (what firmware uses
 * to pre-program BARs).  Absent devices read all ones; offset + size must not
 * cross a dword and size is 1, 2 or 4, or the read yields all ones and the
 * write is ignored. */
uint32_t pci_config_read(struct pci_bus *bus, int slot, unsigned offset, int size);
void pci_config_write(struct pci_bus *bus, int slot, unsigned offset, int size, uint32_t val);
uint32_t pci_config_read_fn(struct pci_bus *bus, int slot, int fn, unsigned offset, int size);
void pci_config_write_fn(struct pci_bus *bus, int slot, int fn, unsigned offset, int size,
			 uint32_t val);

/* Raises (1) or lowers (0) the device's INTx; the status register's
 * interrupt bit follows level, the ISA line also needs INTx enabled. */
void pci_set_irq(struct pci_device *dev, int level);
/* The PIRQ (0..3) that pin (1..4) of slot drives, -1 for a bad pin or slot. */
int pci_slot_pirq(int slot, int pin);
/* The ISA IRQ that pin routes to by default, -1 for a bad pin or slot. */
int pci_slot_irq(int slot, int pin);
/* Whether the guest has enabled bus mastering: a device must not DMA without it. */
bool pci_bus_master_enabled(const struct pci_device *dev);
/* Where the BAR is decoded now; false when it is not decoded. */
bool pci_bar_mapped(const struct pci_device *dev, int bar, uint32_t *base);

#endif
