/* The IDE controller as a driver sees it: ATA in PIO and DMA, LBA28,
 * CHS and LBA48, and the failures a hostile driver can provoke. */
#include "t.h"

#include <stdlib.h>

#include "dev/ide.h"

#define RAM (1u << 20)
#define DISK_SECTORS 4096u
#define BM 0xc000

struct mem_disk {
	uint8_t *data;
	uint64_t size;
	int flushes, fail;
};

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line line;
	int level[16], raises[16];
	struct pci_bus *pci;
	struct ide *ide;
	uint8_t *ram;
	struct mem_disk disk, cd;
};

static void set_line(void *opaque, int irq, int level)
{
	struct rig *r = opaque;
	if (level && !r->level[irq])
		r->raises[irq]++;
	r->level[irq] = level;
}

static int mem_read(void *o, void *buf, size_t len, uint64_t off)
{
	struct mem_disk *m = o;
	if (m->fail || off + len > m->size)
		return -1;
	memcpy(buf, m->data + off, len);
	return 0;
}

static int mem_write(void *o, const void *buf, size_t len, uint64_t off)
{
	struct mem_disk *m = o;
	if (m->fail || off + len > m->size)
		return -1;
	memcpy(m->data + off, buf, len);
	return 0;
}

static int mem_flush(void *o)
{
	((struct mem_disk *)o)->flushes++;
	return 0;
}

static void fill(struct mem_disk *m, uint64_t size, uint32_t unit)
{
	m->size = size;
	m->data = malloc(size);
	for (uint64_t i = 0; i < size; i++)
		m->data[i] = (uint8_t)(i / unit * 3 + i);
}

static struct rig *rig_new(bool disk_ro)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->line = (struct irq_line){ set_line, r };
	r->pci = pci_create(&r->io, &r->mmio, &r->line);
	r->ram = calloc(1, RAM);
	fill(&r->disk, DISK_SECTORS * 512ull, 512);
	fill(&r->cd, 100 * 2048ull, 2048);
	struct ide_config c = {
		.bus = r->pci, .slot = 1, .io = &r->io, .irq = &r->line, .ram = r->ram, .ram_size = RAM,
		.drives = {
			[0] = { IDE_ATA, r->disk.size, disk_ro, "disk0", { mem_read, mem_write, mem_flush, &r->disk } },
			[2] = { IDE_ATAPI, r->cd.size, true, "cd0", { mem_read, NULL, NULL, &r->cd } },
		},
	};
	r->ide = ide_create(&c);
	ide_enable(r->ide, BM);
	return r;
}

static void rig_free(struct rig *r)
{
	ide_destroy(r->ide);
	pci_destroy(r->pci);
	free(r->disk.data);
	free(r->cd.data);
	free(r->ram);
	free(r);
}

static uint8_t status(struct rig *r)
{
	return (uint8_t)iobus_read(&r->io, 0x1f7, 1);
}

/* Task file, then the command, on the primary master. */
static void ata(struct rig *r, uint8_t cmd, uint64_t lba, uint32_t count, bool lba48)
{
	if (lba48) {
		iobus_write(&r->io, 0x1f2, 1, (count >> 8) & 0xff);
		iobus_write(&r->io, 0x1f3, 1, (uint32_t)(lba >> 24) & 0xff);
		iobus_write(&r->io, 0x1f4, 1, (uint32_t)(lba >> 32) & 0xff);
		iobus_write(&r->io, 0x1f5, 1, (uint32_t)(lba >> 40) & 0xff);
	}
	iobus_write(&r->io, 0x1f2, 1, count & 0xff);
	iobus_write(&r->io, 0x1f3, 1, (uint32_t)lba & 0xff);
	iobus_write(&r->io, 0x1f4, 1, (uint32_t)(lba >> 8) & 0xff);
	iobus_write(&r->io, 0x1f5, 1, (uint32_t)(lba >> 16) & 0xff);
	iobus_write(&r->io, 0x1f6, 1, 0xe0 | (lba48 ? 0 : ((uint32_t)(lba >> 24) & 0x0f)));
	iobus_write(&r->io, 0x1f7, 1, cmd);
}

static void pio_read(struct rig *r, uint8_t *buf, uint32_t bytes)
{
	for (uint32_t i = 0; i < bytes; i += 2) {
		uint16_t w = (uint16_t)iobus_read(&r->io, 0x1f0, 2);
		buf[i] = (uint8_t)w, buf[i + 1] = (uint8_t)(w >> 8);
	}
}

TEST(ide_identify_and_absent_drives)
{
	struct rig *r = rig_new(false);
	CHECK(r->ide != NULL);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 1, 0, 4), 0x70108086u);
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 1, 0x09, 1), 0x80);
	CHECK_EQ(status(r), 0x50);
	CHECK_EQ(iobus_read(&r->io, 0x1f4, 1), 0); /* ATA signature */
	ata(r, 0xec, 0, 0, false);
	CHECK_EQ(status(r), 0x58);
	uint8_t id[512];
	pio_read(r, id, 512);
	CHECK_EQ(status(r), 0x50);
	CHECK_EQ(id[0], 0x40);
	CHECK(memcmp(id + 54, "OCDRNOH RADDSI K", 16) == 0); /* byte-swapped model */
	CHECK_EQ(id[120] | id[121] << 8 | id[122] << 16, DISK_SECTORS); /* words 60-61 */
	CHECK_EQ(id[200] | id[201] << 8, DISK_SECTORS);                  /* word 100 */
	CHECK_EQ(id[167] & 0x04, 0x04);                                   /* LBA48 */
	/* The slave is absent: zeros; commands to it do nothing. */
	iobus_write(&r->io, 0x1f6, 1, 0xf0);
	CHECK_EQ(status(r), 0);
	iobus_write(&r->io, 0x1f7, 1, 0xec);
	CHECK_EQ(status(r), 0);
	rig_free(r);
}

TEST(ide_pio_read_and_write_lba28_chs_lba48)
{
	struct rig *r = rig_new(false);
	uint8_t buf[2048];
	ata(r, 0x20, 100, 2, false);                 /* READ SECTORS, LBA28 */
	pio_read(r, buf, 1024);
	CHECK(memcmp(buf, r->disk.data + 100 * 512, 1024) == 0);
	CHECK_EQ(status(r) & 0x08, 0);
	ata(r, 0x24, 4000, 3, true);                 /* READ SECTORS EXT */
	pio_read(r, buf, 1536);
	CHECK(memcmp(buf, r->disk.data + 4000 * 512, 1536) == 0);
	/* CHS: cylinder 0, head 1, sector 1 = LBA 63. */
	iobus_write(&r->io, 0x1f2, 1, 1);
	iobus_write(&r->io, 0x1f3, 1, 1);
	iobus_write(&r->io, 0x1f4, 1, 0);
	iobus_write(&r->io, 0x1f5, 1, 0);
	iobus_write(&r->io, 0x1f6, 1, 0xa1);
	iobus_write(&r->io, 0x1f7, 1, 0x20);
	pio_read(r, buf, 512);
	CHECK(memcmp(buf, r->disk.data + 63 * 512, 512) == 0);
	/* WRITE SECTORS: two blocks, 32-bit data accesses. */
	ata(r, 0x30, 10, 2, false);
	CHECK_EQ(status(r) & 0x08, 0x08);
	for (int i = 0; i < 256; i++)
		iobus_write(&r->io, 0x1f0, 4, 0x01020304u * (uint32_t)i);
	CHECK_EQ(status(r) & 0x09, 0);
	CHECK_EQ(r->disk.data[10 * 512 + 4], 0x04);
	CHECK_EQ(r->disk.data[11 * 512 + 511], 0x01); /* 0x01020304 x 255 = 0x010100fc */
	ata(r, 0xe7, 0, 0, false);                   /* FLUSH CACHE */
	CHECK_EQ(r->disk.flushes, 1);
	ata(r, 0xea, 0, 0, true);
	CHECK_EQ(r->disk.flushes, 2);
	rig_free(r);
}

TEST(ide_read_write_multiple_and_set_features)
{
	struct rig *r = rig_new(false);
	uint8_t buf[4096];
	ata(r, 0xc4, 0, 4, false);                   /* before SET MULTIPLE: aborted */
	CHECK_EQ(status(r) & 0x01, 1);
	ata(r, 0xc6, 0, 3, false);                   /* not a power of two */
	CHECK_EQ(status(r) & 0x01, 1);
	ata(r, 0xc6, 0, 4, false);
	CHECK_EQ(status(r) & 0x01, 0);
	int before = r->raises[14];
	ata(r, 0x29, 8, 6, true);                    /* READ MULTIPLE EXT: blocks of 4, then 2 */
	status(r);
	pio_read(r, buf, 2048);
	status(r);                                   /* each block interrupts */
	pio_read(r, buf + 2048, 1024);
	CHECK_EQ(r->raises[14] - before, 2);
	CHECK(memcmp(buf, r->disk.data + 8 * 512, 3072) == 0);
	ata(r, 0xc5, 200, 4, false);                 /* WRITE MULTIPLE */
	for (int i = 0; i < 1024; i++)
		iobus_write(&r->io, 0x1f0, 2, 0xabcd);
	CHECK_EQ(r->disk.data[203 * 512 + 510], 0xcd);
	iobus_write(&r->io, 0x1f1, 1, 0x03);         /* SET FEATURES: UDMA 5 */
	ata(r, 0xef, 0, 0x45, false);
	CHECK_EQ(status(r) & 0x01, 0);
	iobus_write(&r->io, 0x1f1, 1, 0x03);         /* mode 0x50: no such mode */
	ata(r, 0xef, 0, 0x50, false);
	CHECK_EQ(status(r) & 0x01, 1);
	iobus_write(&r->io, 0x1f1, 1, 0x77);         /* unknown subcommand */
	ata(r, 0xef, 0, 0, false);
	CHECK_EQ(iobus_read(&r->io, 0x1f1, 1), 0x04);
	ata(r, 0xe5, 0, 0, false);                   /* CHECK POWER MODE */
	CHECK_EQ(iobus_read(&r->io, 0x1f2, 1), 0xff);
	ata(r, 0xb0, 0, 0, false);                   /* SMART: not here */
	CHECK_EQ(status(r) & 0x01, 1);
	rig_free(r);
}

TEST(ide_lba_past_the_end_and_read_only)
{
	struct rig *r = rig_new(true);
	ata(r, 0x20, DISK_SECTORS - 1, 2, false);
	CHECK_EQ(status(r), 0x41);
	CHECK_EQ(iobus_read(&r->io, 0x1f1, 1) & 0x10, 0x10); /* IDNF */
	ata(r, 0x24, 1ull << 40, 1, true);
	CHECK_EQ(status(r), 0x41);
	ata(r, 0x25, DISK_SECTORS, 1, true);                  /* DMA too */
	CHECK_EQ(status(r), 0x41);
	uint8_t before = r->disk.data[0];
	ata(r, 0x30, 0, 1, false);                            /* read-only: refused */
	CHECK_EQ(status(r), 0x41);
	for (int i = 0; i < 256; i++)
		iobus_write(&r->io, 0x1f0, 2, 0xffff);
	ata(r, 0xca, 0, 1, false);
	CHECK_EQ(status(r), 0x41);
	CHECK_EQ(r->disk.data[0], before);
	/* A host read error aborts with UNC. */
	r->disk.fail = 1;
	ata(r, 0x20, 0, 1, false);
	CHECK_EQ(status(r), 0x41);
	CHECK_EQ(iobus_read(&r->io, 0x1f1, 1) & 0x40, 0x40);
	rig_free(r);
}

/* --- bus-master DMA ------------------------------------------------------- */

static void prd(struct rig *r, uint32_t at, uint32_t addr, uint32_t len, bool eot)
{
	uint32_t w = (len & 0xffff) | (eot ? 0x80000000u : 0);
	memcpy(r->ram + at, &addr, 4);
	memcpy(r->ram + at + 4, &w, 4);
}

static void bm_start(struct rig *r, uint32_t table, bool to_memory)
{
	iobus_write(&r->io, BM + 4, 4, table);
	iobus_write(&r->io, BM, 1, (to_memory ? 0x08 : 0) | 1);
}

TEST(ide_dma_read_and_write_scatter)
{
	struct rig *r = rig_new(false);
	prd(r, 0x1000, 0x20000, 512, false);
	prd(r, 0x1008, 0x30000, 1024, true);
	ata(r, 0xc8, 50, 3, false);                   /* READ DMA, then start */
	CHECK_EQ(status(r) & 0x80, 0x80);
	bm_start(r, 0x1000, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x07, 0x04); /* done, interrupt, no error */
	CHECK_EQ(status(r), 0x50);
	CHECK(memcmp(r->ram + 0x20000, r->disk.data + 50 * 512, 512) == 0);
	CHECK(memcmp(r->ram + 0x30000, r->disk.data + 51 * 512, 1024) == 0);
	iobus_write(&r->io, BM + 2, 1, 0x04);         /* write 1 clears */
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x04, 0);
	iobus_write(&r->io, BM, 1, 0);
	/* WRITE DMA EXT with the start bit first. */
	memset(r->ram + 0x40000, 0x5a, 0x10000);
	prd(r, 0x2000, 0x40000, 0, true);             /* 0 means 64 KiB */
	bm_start(r, 0x2000, false);
	ata(r, 0x35, 1000, 128, true);
	CHECK_EQ(status(r), 0x50);
	CHECK_EQ(r->disk.data[1000 * 512], 0x5a);
	CHECK_EQ(r->disk.data[1127 * 512 + 511], 0x5a);
	rig_free(r);
}

TEST(ide_dma_bad_prd_tables)
{
	struct rig *r = rig_new(false);
	/* A buffer past the end of RAM. */
	prd(r, 0x1000, RAM - 256, 512, true);
	ata(r, 0xc8, 0, 1, false);
	bm_start(r, 0x1000, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x03, 0x02);
	CHECK_EQ(status(r), 0x41);
	iobus_write(&r->io, BM, 1, 0);
	iobus_write(&r->io, BM + 2, 1, 0x06);
	/* The table itself outside RAM. */
	ata(r, 0xc8, 0, 1, false);
	bm_start(r, 0xfffff000u, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x02, 0x02);
	CHECK_EQ(status(r), 0x41);
	iobus_write(&r->io, BM, 1, 0);
	iobus_write(&r->io, BM + 2, 1, 0x06);
	/* Entries that never set the end bit and cover too little: the walk
	 * stops at 8192 entries. */
	for (uint32_t i = 0; i < 8192; i++)
		prd(r, 0x10000 + 8 * i, 0x80000, 2, false);
	ata(r, 0x25, 0, 64, true);
	bm_start(r, 0x10000, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x02, 0x02);
	CHECK_EQ(status(r), 0x41);
	iobus_write(&r->io, BM, 1, 0);
	iobus_write(&r->io, BM + 2, 1, 0x06);
	/* The end bit before the transfer is covered. */
	prd(r, 0x1000, 0x20000, 512, true);
	ata(r, 0xc8, 0, 2, false);
	bm_start(r, 0x1000, true);
	CHECK_EQ(status(r), 0x41);
	iobus_write(&r->io, BM, 1, 0);
	iobus_write(&r->io, BM + 2, 1, 0x06);
	/* The direction bit disagrees with the command. */
	prd(r, 0x1000, 0x20000, 512, true);
	ata(r, 0xc8, 0, 1, false);
	bm_start(r, 0x1000, false);
	CHECK_EQ(status(r), 0x41);
	rig_free(r);
}

/* With bus mastering off in the function's PCI command register the
 * transfer fails as a bus master error and RAM stays as it was; turned
 * back on, the same command works. */
TEST(ide_dma_needs_bus_master_enable)
{
	struct rig *r = rig_new(false);
	pci_config_write_fn(r->pci, 1, 1, PCI_COMMAND, 2, PCI_COMMAND_IO);
	prd(r, 0x1000, 0x20000, 512, true);
	memset(r->ram + 0x20000, 0xee, 512);
	ata(r, 0xc8, 50, 1, false);
	bm_start(r, 0x1000, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x03, 0x02);
	CHECK_EQ(status(r), 0x41);
	CHECK_EQ(r->ram[0x20000], 0xee);
	iobus_write(&r->io, BM, 1, 0);
	iobus_write(&r->io, BM + 2, 1, 0x06);
	pci_config_write_fn(r->pci, 1, 1, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	ata(r, 0xc8, 50, 1, false);
	bm_start(r, 0x1000, true);
	CHECK_EQ(iobus_read(&r->io, BM + 2, 1) & 0x07, 0x04);
	CHECK(memcmp(r->ram + 0x20000, r->disk.data + 50 * 512, 512) == 0);
	rig_free(r);
}

TEST(ide_reset_and_nien)
{
	struct rig *r = rig_new(false);
	iobus_write(&r->io, 0x3f6, 1, 0x02);   /* nIEN */
	int before = r->raises[14];
	ata(r, 0x10, 0, 0, false);
	CHECK_EQ(r->raises[14], before);
	iobus_write(&r->io, 0x3f6, 1, 0x00);
	CHECK_EQ(r->level[14], 1);             /* pending INTRQ shows once enabled */
	CHECK_EQ(iobus_read(&r->io, 0x3f6, 1), 0x50); /* alternate status: no ack */
	CHECK_EQ(r->level[14], 1);
	status(r);
	CHECK_EQ(r->level[14], 0);
	iobus_write(&r->io, 0x3f6, 1, 0x04);   /* SRST */
	CHECK_EQ(iobus_read(&r->io, 0x3f6, 1) & 0x80, 0x80);
	iobus_write(&r->io, 0x3f6, 1, 0x00);
	CHECK_EQ(status(r), 0x50);
	CHECK_EQ(iobus_read(&r->io, 0x1f1, 1), 0x01);
	/* The HOB bit selects the previous register values. */
	iobus_write(&r->io, 0x1f3, 1, 0x11);
	iobus_write(&r->io, 0x1f3, 1, 0x22);
	iobus_write(&r->io, 0x3f6, 1, 0x80);
	CHECK_EQ(iobus_read(&r->io, 0x1f3, 1), 0x11);
	iobus_write(&r->io, 0x3f6, 1, 0x00);
	CHECK_EQ(iobus_read(&r->io, 0x1f3, 1), 0x22);
	rig_free(r);
}

TEST(ide_rejects_bad_configs_and_taken_ports)
{
	struct iobus io;
	struct mmiobus mmio;
	iobus_init(&io);
	mmiobus_init(&mmio);
	struct pci_bus *pci = pci_create(&io, &mmio, NULL);
	struct ide_config c = { .bus = pci, .slot = 1, .io = &io };
	c.drives[0] = (struct ide_drive_config){ IDE_ATA, 1000, false, NULL, { mem_read, mem_write, NULL, NULL } };
	CHECK(ide_create(&c) == NULL); /* not whole sectors */
	c.drives[0].size_bytes = 0;
	CHECK(ide_create(&c) == NULL); /* empty */
	c.drives[0] = (struct ide_drive_config){ IDE_ATAPI, 3000, true, NULL, { mem_read, NULL, NULL, NULL } };
	CHECK(ide_create(&c) == NULL); /* not whole CD sectors */
	c.drives[0].kind = IDE_NONE;
	CHECK(iobus_register(&io, "x", 0x176, 1, NULL, NULL, NULL) == 0);
	CHECK(ide_create(&c) == NULL); /* ports taken */
	CHECK_EQ(iobus_read(&io, 0x1f7, 1), 0xff); /* and the primary released */
	pci_destroy(pci);
}
