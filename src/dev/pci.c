/*
 * PCI bus 0 behind configuration mechanism #1; see dev/pci.h.
 *
 * Each device's 256-byte configuration space is a byte array.  The first
 * 64 bytes (the type 0 header) have a per-byte write mask, so a guest write
 * changes only the writable bits and every read-only field stays as the
 * device registered it.  After a write that touches the command register
 * or a BAR, the BAR regions on the port and MMIO buses are brought in line
 * with the new values.
 */
#include "dev/pci.h"

#include <stdlib.h>
#include <string.h>

#define CONF1_PORT 0xcf8
#define CONF1_DATA 0xcfc
#define CONF1_ENABLE 0x80000000u
#define CONF1_WRITABLE 0x80fffffcu /* enable, bus, device, function, register */
#define HEADER_SIZE PCI_CAP_START
#define MAX_CAPS_LEN (PCI_CONFIG_SIZE - PCI_CAP_START)

struct pci_bar_state {
	struct pci_device *dev;
	int index;
	bool mapped;
	uint32_t base; /* where it is mapped, valid while mapped */
};

struct pci_device {
	struct pci_bus *bus;
	int slot, fn;
	struct pci_device_info info;
	uint8_t cfg[PCI_CONFIG_SIZE];
	uint8_t wmask[HEADER_SIZE];
	struct pci_bar_state bars[PCI_NUM_BARS];
	bool irq_level;  /* what the device asks for */
	bool irq_driven; /* whether it counts toward its PIRQ now */
};

struct pci_bus {
	struct iobus *io;
	struct mmiobus *mmio;
	struct irq_line irq;
	uint32_t address; /* the 0xCF8 register */
	struct pci_device *slots[PCI_SLOTS][PCI_FUNCS];
	int pirq_count[4];  /* devices asserting each PIRQ */
	int pirq_route[4];  /* ISA IRQ of each PIRQ, -1: not routed */
	uint16_t chipset_level; /* ISA IRQs a chipset function asserts (the SCI) */
	int isa_level[16];  /* the level last driven on each ISA IRQ */
	bus_read_fn cf9_read; /* the chipset's byte register at 0xCF9 */
	bus_write_fn cf9_write;
	void *cf9_opaque;
};

/* PIRQ A-D to ISA IRQs until the chipset routes them: lines no legacy
 * device of cordon's platform uses. */
static const int default_route[4] = { 10, 11, 9, 5 };

static uint32_t ones(int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t command(const struct pci_device *d)
{
	return (uint16_t)(d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8);
}

int pci_slot_pirq(int slot, int pin)
{
	if (slot < 0 || slot >= PCI_SLOTS || pin < 1 || pin > 4)
		return -1;
	return (slot + pin - 1) & 3;
}

int pci_slot_irq(int slot, int pin)
{
	int pirq = pci_slot_pirq(slot, pin);
	return pirq < 0 ? -1 : default_route[pirq];
}

/* --- INTx ----------------------------------------------------------------- */

/* An ISA IRQ is asserted while any PIRQ routed to it is, or the chipset
 * function sharing it: several PIRQs may share one IRQ, and each PIRQ is
 * shared by several devices. */
static void update_isa_irq(struct pci_bus *bus, int isa)
{
	int level = (bus->chipset_level >> isa) & 1;
	for (int p = 0; p < 4; p++)
		if (bus->pirq_route[p] == isa && bus->pirq_count[p] > 0)
			level = 1;
	if (level != bus->isa_level[isa]) {
		bus->isa_level[isa] = level;
		irq_set(&bus->irq, isa, level);
	}
}

void pci_set_pirq_route(struct pci_bus *bus, int pirq, int isa_irq)
{
	if (pirq < 0 || pirq > 3)
		return;
	if (isa_irq < 0 || isa_irq > 15)
		isa_irq = -1;
	int old = bus->pirq_route[pirq];
	bus->pirq_route[pirq] = isa_irq;
	if (old >= 0)
		update_isa_irq(bus, old);
	if (isa_irq >= 0)
		update_isa_irq(bus, isa_irq);
}

void pci_set_chipset_irq(struct pci_bus *bus, int isa_irq, int level)
{
	if (isa_irq < 0 || isa_irq > 15)
		return;
	if (level)
		bus->chipset_level |= (uint16_t)(1u << isa_irq);
	else
		bus->chipset_level &= (uint16_t)~(1u << isa_irq);
	update_isa_irq(bus, isa_irq);
}

static void update_intx(struct pci_device *d)
{
	bool drive = d->irq_level && !(command(d) & PCI_COMMAND_INTX_DISABLE);
	if (drive == d->irq_driven || !d->info.interrupt_pin)
		return;
	int pirq = pci_slot_pirq(d->slot, d->info.interrupt_pin);
	struct pci_bus *bus = d->bus;
	bus->pirq_count[pirq] += drive ? 1 : -1;
	d->irq_driven = drive;
	if (bus->pirq_route[pirq] >= 0)
		update_isa_irq(bus, bus->pirq_route[pirq]);
}

void pci_set_irq(struct pci_device *d, int level)
{
	d->irq_level = level != 0;
	if (d->irq_level)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	update_intx(d);
}

/* --- BAR decode ----------------------------------------------------------- */

static const struct pci_bar_desc *bar_desc(const struct pci_bar_state *b)
{
	return &b->dev->info.bars[b->index];
}

/* Accesses that would run past the end of the BAR never reach the device. */
static uint32_t bar_read(void *opaque, uint32_t addr, int size)
{
	struct pci_bar_state *b = opaque;
	const struct pci_bar_desc *desc = bar_desc(b);
	uint32_t off = addr - b->base;
	if (!desc->read || off + (uint32_t)size > desc->size)
		return ones(size);
	return desc->read(b->dev->info.opaque, off, size);
}

static void bar_write(void *opaque, uint32_t addr, int size, uint32_t val)
{
	struct pci_bar_state *b = opaque;
	const struct pci_bar_desc *desc = bar_desc(b);
	uint32_t off = addr - b->base;
	if (desc->write && off + (uint32_t)size <= desc->size)
		desc->write(b->dev->info.opaque, off, size, val);
}

/* Where BAR i should be decoded now.  Address 0 means unprogrammed; a
 * memory BAR reaching the top of the 4 GiB space is what sizing leaves
 * behind (all ones), not a real placement, so neither is decoded. */
static bool bar_wanted(const struct pci_device *d, int i, uint32_t *base)
{
	const struct pci_bar_desc *desc = &d->info.bars[i];
	uint32_t addr = get32(&d->cfg[PCI_BAR0 + 4 * i]) & ~(desc->size - 1);
	uint64_t end = (uint64_t)addr + desc->size;
	*base = addr;
	if (desc->kind == PCI_BAR_IO)
		return (command(d) & PCI_COMMAND_IO) && addr && end <= 0x10000;
	if (desc->kind == PCI_BAR_MEM32)
		return (command(d) & PCI_COMMAND_MEMORY) && addr && end < (1ull << 32);
	return false;
}

static void unmap_bar(struct pci_device *d, struct pci_bar_state *b)
{
	if (!b->mapped)
		return;
	if (bar_desc(b)->kind == PCI_BAR_IO)
		iobus_unregister(d->bus->io, (uint16_t)b->base);
	else
		mmiobus_unregister(d->bus->mmio, b->base);
	b->mapped = false;
}

/* A BAR that overlaps another device's region stays undecoded, as if two
 * cards fought over the addresses and neither won. */
static void map_bar(struct pci_device *d, struct pci_bar_state *b, uint32_t base)
{
	const struct pci_bar_desc *desc = bar_desc(b);
	const char *name = d->info.name;
	int rc;
	b->base = base;
	if (desc->kind == PCI_BAR_IO)
		rc = iobus_register(d->bus->io, name, (uint16_t)base, desc->size, bar_read, bar_write, b);
	else
		rc = mmiobus_register(d->bus->mmio, name, base, desc->size, bar_read, bar_write, b);
	b->mapped = rc == 0;
}

static void update_bars(struct pci_device *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar_state *b = &d->bars[i];
		uint32_t base;
		bool want = bar_wanted(d, i, &base);
		if (b->mapped && (!want || b->base != base))
			unmap_bar(d, b);
		if (want && !b->mapped)
			map_bar(d, b, base);
	}
}

bool pci_bus_master_enabled(const struct pci_device *d)
{
	return command(d) & PCI_COMMAND_MASTER;
}

bool pci_bar_mapped(const struct pci_device *d, int bar, uint32_t *base)
{
	if (bar < 0 || bar >= PCI_NUM_BARS || !d->bars[bar].mapped)
		return false;
	*base = d->bars[bar].base;
	return true;
}

/* --- configuration space -------------------------------------------------- */

static struct pci_device *config_target(struct pci_bus *bus, int slot, int fn, unsigned offset,
					 int size)
{
	if (slot < 0 || slot >= PCI_SLOTS || fn < 0 || fn >= PCI_FUNCS || offset >= PCI_CONFIG_SIZE)
		return NULL;
	if ((size != 1 && size != 2 && size != 4) || (offset & 3) + (unsigned)size > 4)
		return NULL;
	return bus->slots[slot][fn];
}

uint32_t pci_config_read(struct pci_bus *bus, int slot, unsigned offset, int size)
{
	return pci_config_read_fn(bus, slot, 0, offset, size);
}

void pci_config_write(struct pci_bus *bus, int slot, unsigned offset, int size, uint32_t val)
{
	pci_config_write_fn(bus, slot, 0, offset, size, val);
}

uint32_t pci_config_read_fn(struct pci_bus *bus, int slot, int fn, unsigned offset, int size)
{
	struct pci_device *d = config_target(bus, slot, fn, offset, size);
	if (!d)
		return ones(size);
	if (offset >= PCI_CAP_START && d->info.cfg_read)
		return d->info.cfg_read(d->info.opaque, offset, size) & ones(size);
	uint32_t v = 0;
	for (int i = 0; i < size; i++)
		v |= (uint32_t)d->cfg[offset + i] << (8 * i);
	return v;
}

static bool touches(unsigned offset, int size, unsigned lo, unsigned hi)
{
	return offset < hi && offset + (unsigned)size > lo;
}

void pci_config_write_fn(struct pci_bus *bus, int slot, int fn, unsigned offset, int size,
			 uint32_t val)
{
	struct pci_device *d = config_target(bus, slot, fn, offset, size);
	if (!d)
		return;
	if (offset >= PCI_CAP_START) {
		if (d->info.cfg_write)
			d->info.cfg_write(d->info.opaque, offset, size, val & ones(size));
		return;
	}
	for (int i = 0; i < size; i++) {
		uint8_t m = d->wmask[offset + i], b = (uint8_t)(val >> (8 * i));
		d->cfg[offset + i] = (uint8_t)((d->cfg[offset + i] & ~m) | (b & m));
	}
	if (touches(offset, size, PCI_COMMAND, PCI_COMMAND + 2) ||
	    touches(offset, size, PCI_BAR0, PCI_BAR0 + 4 * PCI_NUM_BARS))
		update_bars(d);
	if (touches(offset, size, PCI_COMMAND, PCI_COMMAND + 2))
		update_intx(d);
}

/* --- the conf1 ports ------------------------------------------------------ */

/* Which slot the address register selects, or -1 when the access must
 * see an empty bus: decode disabled or another bus.  The function is in
 * bits 10:8. */
static int conf1_slot(const struct pci_bus *bus, int *fn)
{
	uint32_t a = bus->address;
	*fn = (int)((a >> 8) & 7);
	if (!(a & CONF1_ENABLE) || ((a >> 16) & 0xff))
		return -1;
	return (int)((a >> 11) & 31);
}

/* An access at 0xCFC + k of size n covers config bytes reg + k ...; bytes
 * that fall past 0xCFF read as all ones and are not written. */
static uint32_t conf1_data_read(struct pci_bus *bus, uint32_t port, int size)
{
	int fn, slot = conf1_slot(bus, &fn), k = (int)(port - CONF1_DATA);
	unsigned reg = (bus->address & 0xfc) + (unsigned)k;
	if (slot < 0)
		return ones(size);
	if (k + size <= 4)
		return pci_config_read_fn(bus, slot, fn, reg, size);
	uint32_t v = ones(size);
	for (int i = 0; i < 4 - k; i++) {
		v &= ~(0xffu << (8 * i));
		v |= pci_config_read_fn(bus, slot, fn, reg + (unsigned)i, 1) << (8 * i);
	}
	return v;
}

static void conf1_data_write(struct pci_bus *bus, uint32_t port, int size, uint32_t val)
{
	int fn, slot = conf1_slot(bus, &fn), k = (int)(port - CONF1_DATA);
	unsigned reg = (bus->address & 0xfc) + (unsigned)k;
	if (slot < 0)
		return;
	if (k + size <= 4) {
		pci_config_write_fn(bus, slot, fn, reg, size, val);
		return;
	}
	for (int i = 0; i < 4 - k; i++)
		pci_config_write_fn(bus, slot, fn, reg + (unsigned)i, 1, (val >> (8 * i)) & 0xff);
}

/* Only a dword access at 0xCF8 is the address register.  A byte at 0xCF9
 * is the chipset's reset control register when the chipset claims it;
 * other byte accesses there (conf2) read all ones, which also makes
 * Linux's conf2 probe fail. */
static uint32_t conf1_read(void *opaque, uint32_t port, int size)
{
	struct pci_bus *bus = opaque;
	if (port >= CONF1_DATA)
		return conf1_data_read(bus, port, size);
	if (port == CONF1_PORT && size == 4)
		return bus->address;
	if (port == PCI_CF9_PORT && size == 1 && bus->cf9_read)
		return bus->cf9_read(bus->cf9_opaque, port, size) & 0xff;
	return ones(size);
}

static void conf1_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct pci_bus *bus = opaque;
	if (port >= CONF1_DATA)
		conf1_data_write(bus, port, size, val);
	else if (port == CONF1_PORT && size == 4)
		bus->address = val & CONF1_WRITABLE;
	else if (port == PCI_CF9_PORT && size == 1 && bus->cf9_write)
		bus->cf9_write(bus->cf9_opaque, port, size, val & 0xff);
}

void pci_set_cf9_handler(struct pci_bus *bus, bus_read_fn rd, bus_write_fn wr, void *opaque)
{
	bus->cf9_read = rd;
	bus->cf9_write = wr;
	bus->cf9_opaque = opaque;
}

/* --- registration --------------------------------------------------------- */

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool bar_valid(const struct pci_bar_desc *b)
{
	switch (b->kind) {
	case PCI_BAR_NONE:
		return true;
	case PCI_BAR_IO:
		return is_pow2(b->size) && b->size >= 4 && b->size <= 256;
	case PCI_BAR_MEM32:
		return is_pow2(b->size) && b->size >= 16 && b->size <= (1u << 30);
	}
	return false;
}

/* The chain must start at 0x40, stay inside the bytes given, keep dword
 * alignment and end: a loop would hang the guest's capability walk. */
static bool caps_valid(const struct pci_device_info *info)
{
	if (info->caps_len > MAX_CAPS_LEN || (info->caps_len && !info->caps))
		return false;
	unsigned ptr = info->caps_len ? PCI_CAP_START : 0;
	for (int hops = 0; ptr; hops++) {
		if (hops >= MAX_CAPS_LEN / 4 || ptr & 3 || ptr < PCI_CAP_START ||
		    ptr + 2 > PCI_CAP_START + info->caps_len)
			return false;
		ptr = info->caps[ptr - PCI_CAP_START + 1];
	}
	return true;
}

static bool info_valid(const struct pci_device_info *info)
{
	if (info->vendor_id == 0xffff || info->vendor_id == 0 || info->interrupt_pin > 4)
		return false;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (!bar_valid(&info->bars[i]))
			return false;
	return caps_valid(info);
}

static void init_bar(struct pci_device *d, int i)
{
	const struct pci_bar_desc *b = &d->info.bars[i];
	d->bars[i] = (struct pci_bar_state){ .dev = d, .index = i };
	if (b->kind == PCI_BAR_NONE)
		return;
	put32(&d->cfg[PCI_BAR0 + 4 * i], b->kind == PCI_BAR_IO ? 1 : 0);
	put32(&d->wmask[PCI_BAR0 + 4 * i], ~(b->size - 1));
}

static void init_config(struct pci_device *d)
{
	const struct pci_device_info *in = &d->info;
	uint8_t *c = d->cfg;
	put16(c + 0x00, in->vendor_id);
	put16(c + 0x02, in->device_id);
	c[0x08] = in->revision;
	c[0x09] = in->prog_if;
	c[0x0a] = in->subclass;
	c[0x0b] = in->class_code;
	put16(c + 0x2c, in->subsystem_vendor_id);
	put16(c + 0x2e, in->subsystem_id);
	c[PCI_INTERRUPT_PIN] = in->interrupt_pin;
	/* What a BIOS would have written: Linux takes it as the device's IRQ. */
	if (in->interrupt_pin)
		c[PCI_INTERRUPT_LINE] = (uint8_t)pci_slot_irq(d->slot, in->interrupt_pin);
	if (in->caps_len) {
		c[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
		c[PCI_CAPABILITY_LIST] = PCI_CAP_START;
		memcpy(c + PCI_CAP_START, in->caps, in->caps_len);
	}
	/* Command: I/O, memory, bus master, parity response; SERR, INTx disable. */
	d->wmask[PCI_COMMAND] = 0x47;
	d->wmask[PCI_COMMAND + 1] = 0x05;
	d->wmask[0x0c] = 0xff; /* cache line size */
	d->wmask[0x0d] = 0xff; /* latency timer */
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		init_bar(d, i);
}

/* Function 0's header type says whether the slot has other functions;
 * an OS scans functions 1..7 only when bit 7 is set. */
static void mark_multifunction(struct pci_bus *bus, int slot)
{
	struct pci_device *f0 = bus->slots[slot][0];
	bool multi = false;
	for (int fn = 1; fn < PCI_FUNCS; fn++)
		multi |= bus->slots[slot][fn] != NULL;
	if (f0)
		f0->cfg[PCI_HEADER_TYPE] = multi ? 0x80 : 0x00;
}

static struct pci_device *add_device(struct pci_bus *bus, int slot, int fn,
				     const struct pci_device_info *info)
{
	if (slot < 0 || slot >= PCI_SLOTS || fn < 0 || fn >= PCI_FUNCS || bus->slots[slot][fn] ||
	    !info_valid(info))
		return NULL;
	struct pci_device *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->bus = bus;
	d->slot = slot;
	d->fn = fn;
	d->info = *info;
	if (!d->info.name)
		d->info.name = "pci";
	init_config(d);
	bus->slots[slot][fn] = d;
	mark_multifunction(bus, slot);
	return d;
}

struct pci_device *pci_register(struct pci_bus *bus, int slot, const struct pci_device_info *info)
{
	return pci_register_fn(bus, slot, 0, info);
}

struct pci_device *pci_register_fn(struct pci_bus *bus, int slot, int fn,
				   const struct pci_device_info *info)
{
	if (slot == 0)
		return NULL; /* the host bridge's */
	return add_device(bus, slot, fn, info);
}

static void free_device(struct pci_device *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++)
		unmap_bar(d, &d->bars[i]);
	free(d);
}

struct pci_device *pci_replace_host_bridge(struct pci_bus *bus, const struct pci_device_info *info)
{
	if (!info_valid(info))
		return NULL;
	struct pci_device *old = bus->slots[0][0];
	bus->slots[0][0] = NULL;
	struct pci_device *d = add_device(bus, 0, 0, info);
	if (!d) {
		bus->slots[0][0] = old;
		return NULL;
	}
	free_device(old);
	d->cfg[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY; /* as the 82441FX resets */
	return d;
}

static void remove_device(struct pci_device *d)
{
	d->bus->slots[d->slot][d->fn] = NULL;
	free_device(d);
}

void pci_unregister(struct pci_device *d)
{
	if (!d)
		return;
	d->irq_level = false; /* a line it was asserting must not stay up */
	update_intx(d);
	remove_device(d);
}

static const struct pci_device_info host_bridge = {
	.name = "pci-host",
	.vendor_id = 0x8086, .device_id = 0x1237, /* 82441FX PMC */
	.revision = 0x02,
	.class_code = 0x06, .subclass = 0x00, .prog_if = 0x00,
};

struct pci_bus *pci_create(struct iobus *io, struct mmiobus *mmio, const struct irq_line *irq)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->io = io;
	bus->mmio = mmio;
	if (irq)
		bus->irq = *irq;
	for (int p = 0; p < 4; p++)
		bus->pirq_route[p] = default_route[p];
	struct pci_device *hb = add_device(bus, 0, 0, &host_bridge);
	if (!hb || iobus_register(io, "pci-conf1", CONF1_PORT, 8, conf1_read, conf1_write, bus) < 0) {
		free(hb);
		free(bus);
		return NULL;
	}
	hb->cfg[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY; /* as the 82441FX resets */
	return bus;
}

void pci_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	iobus_unregister(bus->io, CONF1_PORT);
	/* No INTx changes: the interrupt controllers the lines lead to may
	 * already be gone with the rest of the machine. */
	for (int s = 0; s < PCI_SLOTS; s++)
		for (int fn = 0; fn < PCI_FUNCS; fn++)
			if (bus->slots[s][fn])
				remove_device(bus->slots[s][fn]);
	free(bus);
}
