/*
 * Fuzz target: the IDE controller (src/dev/ide.c, ide_atapi.c, ide_dma.c,
 * atapi.c) as a hostile driver drives it: any byte, word or dword at any
 * of its ports (task files, control, data, bus master), any bytes in
 * guest RAM (PRD tables, buffers), for an ATA disk (read-only or not) and
 * an ATAPI CD-ROM.  ASan watches guest RAM, the disks and every buffer;
 * a disk that is read-only must come out unchanged.
 *
 * fuzz-plant: src/dev/ide.c
 * fuzz-plant-from: 	if (lba > d->sectors || count > d->sectors - lba) {
 * fuzz-plant-to: 	if (lba > d->sectors || count > d->sectors - lba + 16) {
 */
#include "fuzz.h"

#include "dev/ide.h"

#define RAM (64u << 10)
#define DISK (32u * 512)
#define CD (8u * 2048)
#define BM 0xc000
#define MAX_OPS 512
/* Words all the runs of data-port reads of one input take together: 8
 * ATA sectors or 2 ATAPI sectors (4 KiB).  Unbounded, a long input made up to
 * 130,000 reads, each through the bus and the instrumented device, and
 * the target ran at a third of its speed for no more code reached. */
#define MAX_DATA_READS 2048

/* The disks' contents as every input starts with, made once: filling
 * them byte by byte per input cost more than the input itself. */
static uint8_t disk_copy[DISK], cd_copy[CD];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < DISK; i++)
		disk_copy[i] = (uint8_t)i;
	for (size_t i = 0; i < CD; i++)
		cd_copy[i] = (uint8_t)(i >> 3);
	return 0;
}

struct mem {
	uint8_t *data;
	size_t size;
};

static int mem_read(void *o, void *buf, size_t len, uint64_t off)
{
	struct mem *m = o;
	if (off > m->size || len > m->size - off)
		abort(); /* the device must have checked the range */
	memcpy(buf, m->data + off, len);
	return 0;
}

static int mem_write(void *o, const void *buf, size_t len, uint64_t off)
{
	struct mem *m = o;
	if (off > m->size || len > m->size - off)
		abort();
	memcpy(m->data + off, buf, len);
	return 0;
}

static const uint16_t ports[] = {
	0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
	0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376,
	BM, BM + 1, BM + 2, BM + 4, BM + 6, BM + 8, BM + 10, BM + 12, BM + 15,
};

static void run_ops(struct fuzz_in *in, struct iobus *io, uint8_t *ram)
{
	int reads_left = MAX_DATA_READS;
	for (int i = 0; i < MAX_OPS && !fin_empty(in); i++) {
		uint8_t op = fin_u8(in);
		uint16_t port = ports[fin_u8(in) % (sizeof(ports) / sizeof(ports[0]))];
		int size = 1 << (op >> 6 & 3) % 3;
		switch (op & 3) {
		case 0:
			iobus_write(io, port, size, fin_u32(in));
			break;
		case 1:
			(void)iobus_read(io, port, size);
			break;
		case 2: { /* a PRD or a few bytes of RAM */
			uint32_t at = fin_u16(in) % RAM;
			uint32_t v[2] = { fin_u32(in), fin_u32(in) };
			memcpy(ram + at, v, at + 8 <= RAM ? 8 : RAM - at);
			break;
		}
		default: /* a run of data-port reads, as REP INSW does */
			for (int k = fin_u8(in); k > 0 && reads_left > 0; k--, reads_left--)
				(void)iobus_read(io, port & ~7u, 2);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	static struct iobus io;
	struct mmiobus mmio;
	iobus_init(&io);
	mmiobus_init(&mmio);
	struct pci_bus *pci = pci_create(&io, &mmio, NULL);
	uint8_t *ram = calloc(1, RAM);
	struct mem disk = { malloc(DISK), DISK }, cd = { malloc(CD), CD };
	memcpy(disk.data, disk_copy, DISK);
	memcpy(cd.data, cd_copy, CD);
	bool ro = fin_u8(&in) & 1;
	struct ide_config c = {
		.bus = pci, .slot = 1, .io = &io, .ram = ram, .ram_size = RAM,
		.drives = {
			[0] = { IDE_ATA, DISK, ro, "d", { mem_read, mem_write, NULL, &disk } },
			[2] = { IDE_ATAPI, CD, true, "c", { mem_read, NULL, NULL, &cd } },
		},
	};
	struct ide *ide = ide_create(&c);
	if (!ide)
		abort();
	ide_enable(ide, BM);
	run_ops(&in, &io, ram);
	if (ro && memcmp(disk.data, disk_copy, DISK) != 0) {
		fprintf(stderr, "a read-only IDE disk was written\n");
		abort();
	}
	ide_destroy(ide);
	pci_destroy(pci);
	free(ram);
	free(disk.data);
	free(cd.data);
	return 0;
}
