/*
 * Bus regions and their owners: a device's regions go on a bus all
 * together or not at all, and leave it together; the platform devices
 * built on that leave nothing behind when one of their ports is taken.
 */
#include <stdlib.h>

#include "dev/bus.h"
#include "dev/devices.h"
#include "dev/pci.h"
#include "t.h"

static uint32_t tag_read(void *opaque, uint32_t addr, int size)
{
	(void)addr, (void)size;
	return (uint32_t)(uintptr_t)opaque;
}

static int owner_a, owner_b;

TEST(iobus_register_all_is_all_or_nothing)
{
	struct iobus *b = malloc(sizeof(*b));
	iobus_init(b);
	CHECK_EQ(iobus_register(b, "taken", 0x64, 1, tag_read, NULL, (void *)7), 0);
	const struct bus_region clash[] = {
		{ "x", 0x60, 1, tag_read, NULL, (void *)1, NULL },
		{ "y", 0x64, 1, tag_read, NULL, (void *)1, NULL }, /* taken */
	};
	CHECK_EQ(iobus_register_all(b, &owner_a, clash, 2), -1);
	CHECK_EQ(b->nregions, 1);
	CHECK_EQ(iobus_read(b, 0x60, 1), 0xff); /* the first was not left behind */
	const struct bus_region self[] = {
		{ "x", 0x100, 8, tag_read, NULL, (void *)1, NULL },
		{ "y", 0x104, 2, tag_read, NULL, (void *)1, NULL }, /* inside x */
	};
	CHECK_EQ(iobus_register_all(b, &owner_a, self, 2), -1);
	const struct bus_region bad[] = {
		{ "x", 0x200, 1, tag_read, NULL, (void *)1, NULL },
		{ "y", 0xfffe, 4, tag_read, NULL, (void *)1, NULL }, /* past 0xffff */
	};
	CHECK_EQ(iobus_register_all(b, &owner_a, bad, 2), -1);
	CHECK_EQ(iobus_register_all(b, &owner_a, bad, 0), -1);
	CHECK_EQ(b->nregions, 1);
	CHECK_EQ(iobus_read(b, 0x100, 1), 0xff);
	CHECK_EQ(iobus_read(b, 0x200, 1), 0xff);
	free(b);
}

TEST(iobus_register_all_refuses_what_the_table_cannot_hold)
{
	struct iobus *b = malloc(sizeof(*b));
	iobus_init(b);
	for (int i = 0; i < IOBUS_MAX_REGIONS - 1; i++)
		CHECK_EQ(iobus_register(b, "r", (uint16_t)(0x1000 + i), 1, tag_read, NULL, NULL), 0);
	const struct bus_region two[] = {
		{ "x", 0x60, 1, tag_read, NULL, NULL, NULL },
		{ "y", 0x64, 1, tag_read, NULL, NULL, NULL },
	};
	CHECK_EQ(iobus_register_all(b, &owner_a, two, 2), -1);
	CHECK_EQ(b->nregions, IOBUS_MAX_REGIONS - 1);
	CHECK_EQ(iobus_register_all(b, &owner_a, two, 1), 0);
	CHECK_EQ(b->nregions, IOBUS_MAX_REGIONS);
	free(b);
}

TEST(iobus_unregister_owner_removes_exactly_its_regions)
{
	struct iobus *b = malloc(sizeof(*b));
	iobus_init(b);
	const struct bus_region a[] = {
		{ "a1", 0x20, 2, tag_read, NULL, (void *)0xa1, NULL },
		{ "a2", 0xa0, 2, tag_read, NULL, (void *)0xa2, NULL },
		{ "a3", 0x4d0, 2, tag_read, NULL, (void *)0xa3, NULL },
	};
	const struct bus_region bb[] = { { "b", 0x40, 4, tag_read, NULL, (void *)0xb, NULL } };
	CHECK_EQ(iobus_register_all(b, &owner_a, a, 1), 0);
	CHECK_EQ(iobus_register_all(b, &owner_b, bb, 1), 0);
	CHECK_EQ(iobus_register_all(b, &owner_a, a + 1, 2), 0);
	CHECK_EQ(iobus_read(b, 0xa1, 1), 0xa2); /* opaque reaches the callback */
	CHECK(b->regions[0].owner == &owner_a && b->regions[1].owner == &owner_b);
	CHECK_EQ(iobus_unregister_owner(b, &owner_a), 3);
	CHECK_EQ(b->nregions, 1);
	CHECK_EQ(iobus_read(b, 0x20, 1), 0xff);
	CHECK_EQ(iobus_read(b, 0x4d1, 1), 0xff);
	CHECK_EQ(iobus_read(b, 0x43, 1), 0xb);
	CHECK_EQ(iobus_unregister_owner(b, &owner_a), 0);
	CHECK_EQ(iobus_unregister_owner(b, &owner_b), 1);
	CHECK_EQ(iobus_read(b, 0x40, 1), 0xff);
	free(b);
}

TEST(mmiobus_register_all_and_unregister_owner)
{
	struct mmiobus b;
	uint32_t v;
	mmiobus_init(&b);
	CHECK_EQ(mmiobus_register(&b, "taken", 0xfee00000u, 0x1000, tag_read, NULL, (void *)9), 0);
	const struct bus_region r[] = {
		{ "x", 0xfec00000u, 0x20, tag_read, NULL, (void *)1, NULL },
		{ "y", 0xfee00800u, 0x10, tag_read, NULL, (void *)2, NULL }, /* taken */
	};
	CHECK_EQ(mmiobus_register_all(&b, &owner_a, r, 2), -1);
	CHECK(!mmiobus_read(&b, 0xfec00000u, 4, &v));
	const struct bus_region top[] = { { "t", 0xfffff000u, 0x2000, tag_read, NULL, NULL, NULL } };
	CHECK_EQ(mmiobus_register_all(&b, &owner_a, top, 1), -1); /* wraps past 4 GiB */
	CHECK_EQ(mmiobus_register_all(&b, &owner_a, r, 1), 0);
	CHECK(mmiobus_read(&b, 0xfec0001cu, 4, &v));
	CHECK_EQ(v, 1);
	CHECK_EQ(mmiobus_unregister_owner(&b, &owner_a), 1);
	CHECK(!mmiobus_read(&b, 0xfec00000u, 4, &v));
	CHECK(mmiobus_read(&b, 0xfee00000u, 4, &v));
	CHECK_EQ(v, 9);
}

/* A platform device whose ports are partly taken registers none of them. */
TEST(platform_devices_leave_nothing_when_a_port_is_taken)
{
	struct iobus *b = malloc(sizeof(*b));
	iobus_init(b);
	CHECK_EQ(iobus_register(b, "taken", 0x4d1, 1, tag_read, NULL, (void *)5), 0);
	CHECK(pic_create(b) == NULL);
	CHECK_EQ(iobus_register(b, "taken", 0x64, 1, tag_read, NULL, (void *)5), 0);
	CHECK(i8042_create(b, NULL, NULL, NULL) == NULL);
	CHECK_EQ(b->nregions, 2);
	CHECK_EQ(iobus_read(b, 0x20, 1), 0xff);
	CHECK_EQ(iobus_read(b, 0x60, 1), 0xff);
	free(b);
}

static uint64_t zero_clock(void *opaque)
{
	(void)opaque;
	return 0;
}

TEST(pit_create_leaves_nothing_when_port_61_is_taken)
{
	struct iobus *b = malloc(sizeof(*b));
	struct vclock clk = { zero_clock, NULL };
	iobus_init(b);
	CHECK_EQ(iobus_register(b, "taken", 0x61, 1, tag_read, NULL, (void *)5), 0);
	CHECK(pit_create(b, NULL, &clk) == NULL);
	CHECK_EQ(b->nregions, 1);
	CHECK_EQ(iobus_read(b, 0x40, 1), 0xff);
	free(b);
}

/* A PCI function that goes takes its BAR off the bus and frees its slot. */
static const struct pci_device_info bar_dev = {
	.name = "t", .vendor_id = 0x1234, .device_id = 0x5678,
	.bars[0] = { PCI_BAR_MEM32, 0x1000, tag_read, NULL },
};

TEST(pci_unregister_unmaps_the_bars_and_frees_the_slot)
{
	struct iobus *io = malloc(sizeof(*io));
	struct mmiobus mmio;
	uint32_t v;
	iobus_init(io);
	mmiobus_init(&mmio);
	struct pci_bus *bus = pci_create(io, &mmio, NULL);
	struct pci_device *d = pci_register(bus, 3, &bar_dev);
	CHECK(d != NULL);
	pci_config_write(bus, 3, PCI_BAR0, 4, 0xe0000000u);
	pci_config_write(bus, 3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(mmiobus_read(&mmio, 0xe0000000u, 4, &v));
	pci_unregister(d);
	CHECK(!mmiobus_read(&mmio, 0xe0000000u, 4, &v));
	CHECK_EQ(pci_config_read(bus, 3, 0, 4), 0xffffffffu);
	CHECK(pci_register(bus, 3, &bar_dev) != NULL); /* the slot is free again */
	pci_destroy(bus);
	CHECK_EQ(io->nregions, 0);
	CHECK_EQ(mmio.nregions, 0);
	free(io);
}

static int irq_seen[16];

static void note_irq(void *opaque, int irq, int level)
{
	(void)opaque;
	irq_seen[irq] = level;
}

/* Found while writing the PCI fuzz target: a function removed while it
 * asserted INTx left its PIRQ line up for good. */
TEST(pci_unregister_drops_the_functions_intx)
{
	struct iobus *io = malloc(sizeof(*io));
	struct mmiobus mmio;
	iobus_init(io);
	mmiobus_init(&mmio);
	struct pci_bus *bus = pci_create(io, &mmio, &(struct irq_line){ note_irq, NULL });
	struct pci_device_info info = bar_dev;
	info.interrupt_pin = 1;
	struct pci_device *a = pci_register(bus, 3, &info);
	struct pci_device *b = pci_register(bus, 7, &info); /* the same PIRQ: (3+0)&3 == (7+0)&3 */
	int irq = pci_slot_irq(3, 1);
	CHECK_EQ(irq, pci_slot_irq(7, 1));
	pci_set_irq(a, 1);
	pci_set_irq(b, 1);
	CHECK_EQ(irq_seen[irq], 1);
	pci_unregister(a);
	CHECK_EQ(irq_seen[irq], 1); /* b still asserts it */
	pci_unregister(b);
	CHECK_EQ(irq_seen[irq], 0);
	pci_destroy(bus);
	free(io);
}
