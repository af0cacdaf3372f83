/*
 * The PCI bus through its conf1 ports, as a guest drives it, plus the bus
 * unregister functions BAR moves rely on.
 */
#include <stdlib.h>

#include "dev/bus.h"
#include "dev/pci.h"
#include "t.h"

/* --- bus unregister ------------------------------------------------------- */

static uint32_t tag_read(void *opaque, uint32_t addr, int size)
{
	(void)addr, (void)size;
	return (uint32_t)(uintptr_t)opaque;
}

TEST(iobus_unregister_frees_ports_and_keeps_others)
{
	struct iobus *b = malloc(sizeof(*b));
	iobus_init(b);
	CHECK_EQ(iobus_register(b, "a", 0x100, 4, tag_read, NULL, (void *)0xa), 0);
	CHECK_EQ(iobus_register(b, "b", 0x200, 4, tag_read, NULL, (void *)0xb), 0);
	CHECK_EQ(iobus_register(b, "c", 0x300, 4, tag_read, NULL, (void *)0xc), 0);
	CHECK_EQ(iobus_unregister(b, 0x101), -1); /* not a region's start */
	CHECK_EQ(iobus_unregister(b, 0x100), 0);
	CHECK_EQ(iobus_read(b, 0x102, 1), 0xff);
	CHECK_EQ(iobus_read(b, 0x200, 1), 0xb);
	CHECK_EQ(iobus_read(b, 0x303, 1), 0xc); /* moved into the freed slot */
	CHECK_EQ(iobus_unregister(b, 0x100), -1);
	CHECK_EQ(iobus_register(b, "a2", 0x102, 2, tag_read, NULL, (void *)0xd), 0);
	CHECK_EQ(iobus_read(b, 0x103, 1), 0xd);
	CHECK_EQ(b->nregions, 3);
	free(b);
}

TEST(mmiobus_unregister_removes_only_that_region)
{
	struct mmiobus b;
	uint32_t v;
	mmiobus_init(&b);
	CHECK_EQ(mmiobus_register(&b, "a", 0xe0000000u, 0x1000, tag_read, NULL, (void *)1), 0);
	CHECK_EQ(mmiobus_register(&b, "b", 0xe0001000u, 0x1000, tag_read, NULL, (void *)2), 0);
	CHECK_EQ(mmiobus_unregister(&b, 0xe0000004u), -1);
	CHECK_EQ(mmiobus_unregister(&b, 0xe0000000u), 0);
	CHECK(!mmiobus_read(&b, 0xe0000000u, 4, &v));
	CHECK_EQ(v, 0xffffffffu);
	CHECK(mmiobus_read(&b, 0xe0001ffcu, 4, &v));
	CHECK_EQ(v, 2);
}

/* --- fixture -------------------------------------------------------------- */

struct fixture {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;
	int irq_level[16];
	struct pci_bus *pci;
};

static void record_irq(void *opaque, int irq, int level)
{
	struct fixture *f = opaque;
	if (irq >= 0 && irq < 16)
		f->irq_level[irq] = level;
}

static struct fixture *setup(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	iobus_init(&f->io);
	mmiobus_init(&f->mmio);
	f->irq = (struct irq_line){ record_irq, f };
	f->pci = pci_create(&f->io, &f->mmio, &f->irq);
	return f;
}

static void teardown(struct fixture *f)
{
	pci_destroy(f->pci);
	free(f);
}

static uint32_t conf1_addr(int bus, int slot, int fn, unsigned reg)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(struct fixture *f, int slot, unsigned reg, int size)
{
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(0, slot, 0, reg));
	return iobus_read(&f->io, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(struct fixture *f, int slot, unsigned reg, int size, uint32_t val)
{
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(0, slot, 0, reg));
	iobus_write(&f->io, (uint16_t)(0xcfc + (reg & 3)), size, val);
}

/* A test device: BAR0 I/O 32 bytes, BAR1 memory 4 KiB, counts accesses. */
struct testdev {
	uint32_t last_off, last_val;
	int reads, writes;
};

static uint32_t dev_read(void *opaque, uint32_t off, int size)
{
	struct testdev *t = opaque;
	t->reads++;
	t->last_off = off;
	return 0x12345600u | off | (uint32_t)size << 24;
}

static void dev_write(void *opaque, uint32_t off, int size, uint32_t val)
{
	struct testdev *t = opaque;
	(void)size;
	t->writes++;
	t->last_off = off;
	t->last_val = val;
}

static const uint8_t test_caps[] = {
	0x09, 0x48, 0x04, 0x01, 0, 0, 0, 0, /* vendor-specific at 0x40 -> 0x48 */
	0x09, 0x00, 0x04, 0x02,             /* vendor-specific at 0x48, last */
};

static struct pci_device_info test_info(struct testdev *t)
{
	return (struct pci_device_info){
		.name = "testdev",
		.vendor_id = 0x1af4, .device_id = 0x1041,
		.subsystem_vendor_id = 0x1af4, .subsystem_id = 0x0001,
		.revision = 1, .class_code = 0x02, .subclass = 0x00,
		.interrupt_pin = 1,
		.bars = {
			{ PCI_BAR_IO, 32, dev_read, dev_write },
			{ PCI_BAR_MEM32, 4096, dev_read, dev_write },
		},
		.caps = test_caps, .caps_len = sizeof(test_caps),
		.opaque = t,
	};
}

/* --- the host bridge and conf1 -------------------------------------------- */

TEST(pci_host_bridge_ids)
{
	struct fixture *f = setup();
	CHECK(f->pci != NULL);
	CHECK_EQ(cfg_read(f, 0, 0x00, 4), 0x12378086u);
	CHECK_EQ(cfg_read(f, 0, 0x0a, 2), 0x0600); /* what Linux's sanity check reads */
	CHECK_EQ(cfg_read(f, 0, 0x0e, 1), 0x00);   /* header type 0, single function */
	CHECK_EQ(cfg_read(f, 0, 0x10, 4), 0);      /* no BARs */
	teardown(f);
}

TEST(pci_address_register)
{
	struct fixture *f = setup();
	/* Linux's conf1 probe: write the enable bit alone, read it back. */
	iobus_write(&f->io, 0xcf8, 4, 0x80000000u);
	CHECK_EQ(iobus_read(&f->io, 0xcf8, 4), 0x80000000u);
	/* Reserved bits 30:24 and 1:0 read as zero. */
	iobus_write(&f->io, 0xcf8, 4, 0xffffffffu);
	CHECK_EQ(iobus_read(&f->io, 0xcf8, 4), 0x80fffffcu);
	/* Byte accesses are not the address register: conf2's probe fails. */
	iobus_write(&f->io, 0xcf8, 1, 0);
	CHECK_EQ(iobus_read(&f->io, 0xcf8, 4), 0x80fffffcu);
	CHECK_EQ(iobus_read(&f->io, 0xcf8, 1), 0xff);
	CHECK_EQ(iobus_read(&f->io, 0xcfa, 1), 0xff);
	teardown(f);
}

TEST(pci_absent_and_disabled_read_all_ones)
{
	struct fixture *f = setup();
	CHECK_EQ(cfg_read(f, 5, 0x00, 4), 0xffffffffu);  /* empty slot */
	CHECK_EQ(cfg_read(f, 31, 0x00, 2), 0xffff);
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(1, 0, 0, 0)); /* bus 1 */
	CHECK_EQ(iobus_read(&f->io, 0xcfc, 4), 0xffffffffu);
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(0, 0, 3, 0)); /* function 3 */
	CHECK_EQ(iobus_read(&f->io, 0xcfc, 4), 0xffffffffu);
	iobus_write(&f->io, 0xcf8, 4, 0x00000000u); /* enable bit clear */
	CHECK_EQ(iobus_read(&f->io, 0xcfc, 4), 0xffffffffu);
	/* Writes there change nothing. */
	iobus_write(&f->io, 0xcfc, 4, 0);
	CHECK_EQ(cfg_read(f, 0, 0x00, 4), 0x12378086u);
	teardown(f);
}

TEST(pci_partial_and_unaligned_data_accesses)
{
	struct fixture *f = setup();
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(0, 0, 0, 0));
	CHECK_EQ(iobus_read(&f->io, 0xcfc, 1), 0x86);
	CHECK_EQ(iobus_read(&f->io, 0xcfd, 1), 0x80);
	CHECK_EQ(iobus_read(&f->io, 0xcfe, 2), 0x1237);
	CHECK_EQ(iobus_read(&f->io, 0xcfd, 2), 0x3780);
	CHECK_EQ(iobus_read(&f->io, 0xcff, 1), 0x12);
	/* Past 0xCFF the bytes read as ones; the rest is the register. */
	CHECK_EQ(iobus_read(&f->io, 0xcfe, 4), 0xffff1237u);
	CHECK_EQ(iobus_read(&f->io, 0xcff, 2), 0xff12);
	/* Interrupt line of the host bridge through a byte at 0xCFC. */
	cfg_write(f, 0, PCI_INTERRUPT_LINE, 1, 0x0b);
	CHECK_EQ(cfg_read(f, 0, PCI_INTERRUPT_LINE, 1), 0x0b);
	/* A word write straddling 0xCFF only writes the byte inside. */
	iobus_write(&f->io, 0xcf8, 4, conf1_addr(0, 0, 0, 0x0c));
	iobus_write(&f->io, 0xcfd, 4, 0xaabbccddu);
	CHECK_EQ(cfg_read(f, 0, 0x0c, 4), 0x0000dd00u); /* latency written; header type, BIST read-only */
	teardown(f);
}

TEST(pci_read_only_fields_ignore_writes)
{
	struct fixture *f = setup();
	cfg_write(f, 0, 0x00, 4, 0xdeadbeefu);
	cfg_write(f, 0, 0x08, 4, 0xffffffffu);
	cfg_write(f, 0, 0x10, 4, 0xffffffffu); /* BAR0 of a device with none */
	cfg_write(f, 0, 0x06, 2, 0xffff);      /* status */
	cfg_write(f, 0, 0x3c, 4, 0xffffffffu); /* line writable, pin not */
	CHECK_EQ(cfg_read(f, 0, 0x00, 4), 0x12378086u);
	CHECK_EQ(cfg_read(f, 0, 0x08, 4), 0x06000002u);
	CHECK_EQ(cfg_read(f, 0, 0x10, 4), 0);
	CHECK_EQ(cfg_read(f, 0, 0x06, 2), 0);
	CHECK_EQ(cfg_read(f, 0, 0x3c, 4), 0x000000ffu);
	CHECK_EQ(cfg_read(f, 0, 0x80, 4), 0); /* no capabilities: zero */
	cfg_write(f, 0, 0xfc, 4, 0xffffffffu);
	CHECK_EQ(cfg_read(f, 0, 0xfc, 4), 0);
	teardown(f);
}

TEST(pci_config_api_rejects_bad_offsets_and_sizes)
{
	struct fixture *f = setup();
	CHECK_EQ(pci_config_read(f->pci, 0, 0x100, 4), 0xffffffffu);
	CHECK_EQ(pci_config_read(f->pci, 0, 0xffffffffu, 1), 0xff);
	CHECK_EQ(pci_config_read(f->pci, 0, 0x02, 4), 0xffffffffu); /* crosses a dword */
	CHECK_EQ(pci_config_read(f->pci, 0, 0x00, 3), 0xffffffu);
	CHECK_EQ(pci_config_read(f->pci, 32, 0x00, 4), 0xffffffffu);
	CHECK_EQ(pci_config_read(f->pci, -1, 0x00, 4), 0xffffffffu);
	pci_config_write(f->pci, 0, 0x13c, 1, 0x55);
	pci_config_write(f->pci, 0, 0x3b, 2, 0x5555); /* crosses into 0x3c */
	CHECK_EQ(pci_config_read(f->pci, 0, 0x3c, 1), 0);
	teardown(f);
}

/* --- devices and BARs ----------------------------------------------------- */

TEST(pci_device_header_and_caps)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	CHECK(pci_register(f->pci, 3, &info) != NULL);
	CHECK(pci_register(f->pci, 3, &info) == NULL); /* slot taken */
	CHECK(pci_register(f->pci, 0, &info) == NULL); /* the host bridge's */
	CHECK_EQ(cfg_read(f, 3, 0x00, 4), 0x10411af4u);
	CHECK_EQ(cfg_read(f, 3, 0x08, 4), 0x02000001u);
	CHECK_EQ(cfg_read(f, 3, 0x2c, 4), 0x00011af4u);
	CHECK_EQ(cfg_read(f, 3, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_read(f, 3, PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK_EQ(cfg_read(f, 3, 0x40, 4), 0x01044809u);
	CHECK_EQ(cfg_read(f, 3, 0x49, 1), 0x00);
	CHECK_EQ(cfg_read(f, 3, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(cfg_read(f, 3, PCI_INTERRUPT_LINE, 1), (uint32_t)pci_slot_irq(3, 1));
	cfg_write(f, 3, 0x40, 4, 0);                 /* capabilities are read-only */
	CHECK_EQ(cfg_read(f, 3, 0x40, 4), 0x01044809u);
	teardown(f);
}

TEST(pci_register_rejects_bad_info)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	info.bars[0].size = 48; /* not a power of two */
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	info = test_info(&t);
	info.bars[1].size = 8; /* memory BARs are at least 16 bytes */
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	info = test_info(&t);
	info.interrupt_pin = 5;
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	info = test_info(&t);
	info.vendor_id = 0xffff;
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	uint8_t loop[8] = { 0x09, 0x40, 4, 0 }; /* points at itself */
	info = test_info(&t);
	info.caps = loop, info.caps_len = sizeof(loop);
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	uint8_t outside[8] = { 0x09, 0x80, 4, 0 }; /* past the bytes given */
	info.caps = outside;
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	info = test_info(&t);
	info.caps_len = 200;
	CHECK(pci_register(f->pci, 1, &info) == NULL);
	info = test_info(&t);
	CHECK(pci_register(f->pci, 32, &info) == NULL);
	CHECK(pci_register(f->pci, -1, &info) == NULL);
	CHECK(pci_register(f->pci, 1, &info) != NULL);
	teardown(f);
}

TEST(pci_bar_sizing)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	pci_register(f->pci, 2, &info);
	CHECK_EQ(cfg_read(f, 2, 0x10, 4), 0x1);  /* I/O, unprogrammed */
	CHECK_EQ(cfg_read(f, 2, 0x14, 4), 0x0);  /* 32-bit memory */
	cfg_write(f, 2, 0x10, 4, 0xffffffffu);
	cfg_write(f, 2, 0x14, 4, 0xffffffffu);
	cfg_write(f, 2, 0x18, 4, 0xffffffffu);   /* unimplemented BAR2 */
	CHECK_EQ(cfg_read(f, 2, 0x10, 4), ~(32u - 1) | 1);
	CHECK_EQ(cfg_read(f, 2, 0x14, 4), ~(4096u - 1));
	CHECK_EQ(cfg_read(f, 2, 0x18, 4), 0);
	/* Low bits of a programmed address are dropped. */
	cfg_write(f, 2, 0x10, 4, 0xc0ffu);
	CHECK_EQ(cfg_read(f, 2, 0x10, 4), 0xc0e1u);
	teardown(f);
}

TEST(pci_bar_decode_follows_command_and_address)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	struct pci_device *d = pci_register(f->pci, 2, &info);
	uint32_t v, base;
	cfg_write(f, 2, 0x10, 4, 0xc000);
	cfg_write(f, 2, 0x14, 4, 0xfebf0000u);
	/* Programmed but not enabled: nothing decodes. */
	CHECK_EQ(iobus_read(&f->io, 0xc004, 4), 0xffffffffu);
	CHECK(!mmiobus_read(&f->mmio, 0xfebf0010u, 4, &v));
	CHECK_EQ(t.reads, 0);
	cfg_write(f, 2, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	CHECK_EQ(iobus_read(&f->io, 0xc004, 2), 0x5604u); /* offset 4 reached the device */
	CHECK_EQ(t.last_off, 4);
	CHECK(mmiobus_read(&f->mmio, 0xfebf0010u, 4, &v));
	CHECK_EQ(v, 0x16345610u); /* offset 0x10, size 4 */
	iobus_write(&f->io, 0xc01f, 1, 0x77);
	CHECK_EQ(t.last_off, 0x1f);
	CHECK_EQ(t.last_val, 0x77);
	/* An access running past the end of the BAR never reaches the device. */
	int writes = t.writes;
	mmiobus_write(&f->mmio, 0xfebf0ffeu, 4, 1);
	CHECK_EQ(t.writes, writes);
	/* Move the I/O BAR: the old ports go dark, the new ones decode. */
	cfg_write(f, 2, 0x10, 4, 0xd000);
	CHECK_EQ(iobus_read(&f->io, 0xc004, 4), 0xffffffffu);
	CHECK_EQ(iobus_read(&f->io, 0xd008, 1), 0x08);
	CHECK(pci_bar_mapped(d, 0, &base));
	CHECK_EQ(base, 0xd000);
	/* Disable memory decode only. */
	cfg_write(f, 2, PCI_COMMAND, 2, PCI_COMMAND_IO);
	CHECK(!mmiobus_read(&f->mmio, 0xfebf0010u, 4, &v));
	CHECK(!pci_bar_mapped(d, 1, &base));
	CHECK_EQ(iobus_read(&f->io, 0xd008, 1), 0x08);
	teardown(f);
}

TEST(pci_hostile_bar_values)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	struct pci_device *d = pci_register(f->pci, 4, &info);
	uint32_t base, v;
	/* Enabling decode with nothing programmed maps nothing. */
	cfg_write(f, 4, PCI_COMMAND, 2, 0xffff);
	CHECK(!pci_bar_mapped(d, 0, &base));
	CHECK(!pci_bar_mapped(d, 1, &base));
	CHECK_EQ(cfg_read(f, 4, PCI_COMMAND, 2), 0x0547); /* only the writable bits */
	CHECK(pci_bus_master_enabled(d));
	cfg_write(f, 4, PCI_COMMAND, 1, 0x03);
	CHECK(!pci_bus_master_enabled(d));
	/* Sizing with decode on leaves all ones: not a placement. */
	cfg_write(f, 4, 0x10, 4, 0xffffffffu);
	cfg_write(f, 4, 0x14, 4, 0xffffffffu);
	CHECK(!pci_bar_mapped(d, 0, &base));
	CHECK(!pci_bar_mapped(d, 1, &base));
	CHECK(!mmiobus_read(&f->mmio, 0xfffff000u, 4, &v));
	/* An I/O BAR over the port space's end, or over another device. */
	cfg_write(f, 4, 0x10, 4, 0x10000);
	CHECK(!pci_bar_mapped(d, 0, &base));
	cfg_write(f, 4, 0x10, 4, 0xcf8 & ~31u); /* 0xce0..0xcff overlaps conf1 */
	CHECK(!pci_bar_mapped(d, 0, &base));
	CHECK_EQ(cfg_read(f, 0, 0x00, 4), 0x12378086u); /* conf1 still works */
	cfg_write(f, 4, 0x10, 4, 0xc100);
	CHECK(pci_bar_mapped(d, 0, &base));
	CHECK_EQ(base, 0xc100);
	/* Two devices' BARs at one address: the second stays dark. */
	struct testdev t2 = { 0 };
	struct pci_device_info info2 = test_info(&t2);
	struct pci_device *d2 = pci_register(f->pci, 5, &info2);
	cfg_write(f, 5, 0x10, 4, 0xc100);
	cfg_write(f, 5, PCI_COMMAND, 2, PCI_COMMAND_IO);
	CHECK(!pci_bar_mapped(d2, 0, &base));
	iobus_read(&f->io, 0xc100, 1);
	CHECK_EQ(t2.reads, 0);
	teardown(f);
}

TEST(pci_intx_routing_and_disable)
{
	struct fixture *f = setup();
	struct testdev t = { 0 }, t2 = { 0 };
	struct pci_device_info info = test_info(&t), info2 = test_info(&t2);
	CHECK_EQ(pci_slot_irq(1, 1), 11);
	CHECK_EQ(pci_slot_irq(4, 1), 10);
	CHECK_EQ(pci_slot_irq(2, 2), 5);
	CHECK_EQ(pci_slot_irq(1, 0), -1);
	CHECK_EQ(pci_slot_irq(32, 1), -1);
	struct pci_device *a = pci_register(f->pci, 1, &info);
	struct pci_device *b = pci_register(f->pci, 5, &info2); /* shares IRQ 11 */
	int irq = pci_slot_irq(1, 1);
	CHECK_EQ(pci_slot_irq(5, 1), irq);
	pci_set_irq(a, 1);
	CHECK_EQ(f->irq_level[irq], 1);
	CHECK_EQ(cfg_read(f, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	pci_set_irq(b, 1);
	pci_set_irq(a, 0);
	CHECK_EQ(f->irq_level[irq], 1); /* b still holds the shared line */
	CHECK_EQ(cfg_read(f, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	cfg_write(f, 5, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(f->irq_level[irq], 0);
	CHECK_EQ(cfg_read(f, 5, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	cfg_write(f, 5, PCI_COMMAND, 2, 0);
	CHECK_EQ(f->irq_level[irq], 1);
	pci_set_irq(b, 0);
	CHECK_EQ(f->irq_level[irq], 0);
	teardown(f);
}

/* pci_destroy lowers no line: the machine tears its interrupt controllers
 * down with the bus (found by the hostile suite under ASan: the bus,
 * destroyed after the I/O APIC, deasserted a line into freed memory). */
TEST(pci_destroy_touches_no_interrupt_line)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	struct pci_device *a = pci_register(f->pci, 1, &info);
	int irq = pci_slot_irq(1, 1);
	pci_set_irq(a, 1);
	CHECK_EQ(f->irq_level[irq], 1);
	f->irq_level[irq] = 7; /* any call from here on would overwrite it */
	pci_destroy(f->pci);
	CHECK_EQ(f->irq_level[irq], 7);
	free(f);
}

/* A function unplugged while the bus lives lowers the line it held. */
TEST(pci_unregister_lowers_its_line)
{
	struct fixture *f = setup();
	struct testdev t = { 0 };
	struct pci_device_info info = test_info(&t);
	struct pci_device *a = pci_register(f->pci, 1, &info);
	int irq = pci_slot_irq(1, 1);
	pci_set_irq(a, 1);
	CHECK_EQ(f->irq_level[irq], 1);
	pci_unregister(a);
	CHECK_EQ(f->irq_level[irq], 0);
	teardown(f);
}
