/*
 * Port-I/O and MMIO buses.
 *
 * Device models register handlers for a range of ports or guest-physical
 * addresses.  The engine (soft or kvm) dispatches every guest IN/OUT or
 * non-RAM access here; devices never learn which engine runs the guest.
 *
 * Ports are decoded through a flat 64K table of region pointers, so a
 * dispatch costs one load.  Unclaimed ports read as all ones and ignore
 * writes, as on a real ISA bus.
 *
 * Every region records its owner, the device it belongs to.  A device
 * registers all its regions in one call, which adds all of them or none
 * (so a failed create leaves nothing behind and needs no look at the
 * bus's tables first), and the machine removes a device's regions by
 * owner before it frees the device (vm/devlist.c).
 */
#ifndef CORDON_DEV_BUS_H
#define CORDON_DEV_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* size is 1, 2 or 4; port/addr is the absolute port or physical address. */
typedef uint32_t (*bus_read_fn)(void *opaque, uint32_t addr, int size);
typedef void (*bus_write_fn)(void *opaque, uint32_t addr, int size, uint32_t val);

struct bus_region {
	const char *name;
	uint32_t base, len;
	bus_read_fn read;
	bus_write_fn write;
	void *opaque;      /* passed to read and write */
	const void *owner; /* the device: set by the register calls */
};

#define IOBUS_MAX_REGIONS 64
#define MMIOBUS_MAX_REGIONS 32

struct iobus {
	struct bus_region regions[IOBUS_MAX_REGIONS];
	int nregions;
	uint8_t map[65536]; /* region index + 1, 0 = unclaimed */
};

struct mmiobus {
	struct bus_region regions[MMIOBUS_MAX_REGIONS];
	int nregions;
};

void iobus_init(struct iobus *b);
/* Registers regions r[0..n) of one owner (their owner fields are ignored):
 * 0, or -1 with none of them registered when one is empty, leaves the
 * port space, overlaps a registered region or another of r, or the table
 * lacks room for all n. */
int iobus_register_all(struct iobus *b, const void *owner, const struct bus_region *r, unsigned n);
/* One region whose owner is opaque; 0 or -1 as above. */
int iobus_register(struct iobus *b, const char *name, uint16_t base, uint32_t len,
		   bus_read_fn rd, bus_write_fn wr, void *opaque);
/* Removes the region that starts at base (so a PCI BAR can move); -1 when none does. */
int iobus_unregister(struct iobus *b, uint16_t base);
/* Removes every region of owner; returns how many there were. */
unsigned iobus_unregister_owner(struct iobus *b, const void *owner);
uint32_t iobus_read(struct iobus *b, uint16_t port, int size);
void iobus_write(struct iobus *b, uint16_t port, int size, uint32_t val);

void mmiobus_init(struct mmiobus *b);
int mmiobus_register_all(struct mmiobus *b, const void *owner, const struct bus_region *r,
			 unsigned n);
int mmiobus_register(struct mmiobus *b, const char *name, uint32_t base, uint32_t len,
		     bus_read_fn rd, bus_write_fn wr, void *opaque);
/* Removes the region that starts at base; -1 when none does. */
int mmiobus_unregister(struct mmiobus *b, uint32_t base);
unsigned mmiobus_unregister_owner(struct mmiobus *b, const void *owner);
/* Returns false when no device claims addr (reads then yield all ones). */
bool mmiobus_read(struct mmiobus *b, uint32_t addr, int size, uint32_t *val);
bool mmiobus_write(struct mmiobus *b, uint32_t addr, int size, uint32_t val);

#endif
