/*
 * virtio-blk driven as a guest driver would: PCI config, the BAR through
 * the MMIO bus, requests as descriptor chains in an exact-size heap RAM
 * block (ASan catches strays).  The backend is an in-memory disk that
 * records the order of its calls.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/bus.h"
#include "dev/pci.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_pci.h"

#define RAM_SIZE (256u * 1024)
#define BAR_BASE 0xe0000000u
#define SLOT 2
#define DESC_AT 0x1000u
#define AVAIL_AT 0x2000u
#define USED_AT 0x3000u
#define HDR_AT 0x4000u
#define STATUS_AT 0x4100u
#define DATA_AT 0x10000u  /* up to 128 KiB of data buffers */
#define QSIZE 16u
#define DISK_SECTORS 512u /* 256 KiB disk */
#define DISK_BYTES (DISK_SECTORS * 512u)

struct seg { uint32_t addr, len; bool writable; };

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;
	struct pci_bus *pci;
	struct virtio_blk *blk;
	struct virtio_pci *vp;
	uint8_t *ram;
	uint8_t *disk;
	char calls[64];      /* 'r', 'w', 'f' per backend call, in order */
	unsigned ncalls;
	uint64_t max_call_len;
	bool fail_io;
	uint16_t avail_idx;
	int nlogs;
};

static void no_irq(void *opaque, int irq, int level) { (void)opaque, (void)irq, (void)level; }
static void count_log(void *opaque, const char *msg) { (void)msg; ((struct rig *)opaque)->nlogs++; }

static void note(struct rig *r, char c, size_t len)
{
	if (r->ncalls < sizeof(r->calls) - 1)
		r->calls[r->ncalls++] = c;
	if (len > r->max_call_len)
		r->max_call_len = len;
}

static int mem_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	struct rig *r = opaque;
	note(r, 'r', len);
	if (r->fail_io || off + len > DISK_BYTES)
		return -1;
	memcpy(buf, r->disk + off, len);
	return 0;
}

static int mem_write(void *opaque, const void *buf, size_t len, uint64_t off)
{
	struct rig *r = opaque;
	note(r, 'w', len);
	if (r->fail_io || off + len > DISK_BYTES)
		return -1;
	memcpy(r->disk + off, buf, len);
	return 0;
}

static int mem_flush(void *opaque)
{
	struct rig *r = opaque;
	note(r, 'f', 0);
	return r->fail_io ? -1 : 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static uint32_t rd(struct rig *r, uint32_t off, int size)
{
	uint32_t v = 0;
	mmiobus_read(&r->mmio, BAR_BASE + off, size, &v);
	return v;
}

static void wr(struct rig *r, uint32_t off, int size, uint32_t v)
{
	mmiobus_write(&r->mmio, BAR_BASE + off, size, v);
}

static uint8_t dev_status(struct rig *r)
{
	return (uint8_t)rd(r, VIRTIO_PCI_DEVICE_STATUS, 1);
}

static void bring_up(struct rig *r)
{
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(r, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 1);
	wr(r, VIRTIO_PCI_DRIVER_FEATURE, 4, 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	wr(r, VIRTIO_PCI_QUEUE_SELECT, 2, 0);
	wr(r, VIRTIO_PCI_QUEUE_SIZE, 2, QSIZE);
	wr(r, VIRTIO_PCI_QUEUE_DESC, 4, DESC_AT);
	wr(r, VIRTIO_PCI_QUEUE_DRIVER, 4, AVAIL_AT);
	wr(r, VIRTIO_PCI_QUEUE_DEVICE, 4, USED_AT);
	wr(r, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, dev_status(r) | VIRTIO_STATUS_DRIVER_OK);
}

static struct rig *rig_open(bool read_only)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->irq = (struct irq_line){ no_irq, r };
	r->pci = pci_create(&r->io, &r->mmio, &r->irq);
	r->ram = calloc(1, RAM_SIZE);
	r->disk = calloc(1, DISK_BYTES);
	for (uint32_t i = 0; i < DISK_BYTES; i++)
		r->disk[i] = (uint8_t)(i * 7 + i / 512);
	struct virtio_blk_config cfg = {
		.ram = r->ram, .ram_size = RAM_SIZE,
		.capacity_bytes = DISK_BYTES, .read_only = read_only,
		.serial = "disk-serial-0123456789", /* longer than 20: truncated */
		.backend = { mem_read, mem_write, mem_flush, r },
		.log = count_log, .log_opaque = r,
	};
	r->blk = virtio_blk_create(r->pci, SLOT, &cfg);
	r->vp = r->blk ? virtio_blk_transport(r->blk) : NULL;
	pci_config_write(r->pci, SLOT, PCI_BAR0, 4, BAR_BASE);
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bring_up(r);
	return r;
}

static void rig_close(struct rig *r)
{
	pci_destroy(r->pci);
	virtio_blk_destroy(r->blk);
	free(r->disk);
	free(r->ram);
	free(r);
}

/* Queues one chain made of segs (linked with NEXT) and notifies. */
static void submit(struct rig *r, const struct seg *segs, unsigned n)
{
	uint16_t first = (uint16_t)((r->avail_idx * 4u) % QSIZE);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = r->ram + DESC_AT + 16u * ((first + i) % QSIZE);
		put64(d, segs[i].addr);
		put32(d + 8, segs[i].len);
		uint16_t flags = (uint16_t)((segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		put16(d + 12, flags);
		put16(d + 14, (uint16_t)((first + i + 1) % QSIZE));
	}
	put16(r->ram + AVAIL_AT + 4 + 2u * (r->avail_idx % QSIZE), first);
	put16(r->ram + AVAIL_AT + 2, ++r->avail_idx);
	wr(r, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
}

static void header(struct rig *r, uint32_t type, uint64_t sector)
{
	put32(r->ram + HDR_AT, type);
	put32(r->ram + HDR_AT + 4, 0);
	put64(r->ram + HDR_AT + 8, sector);
	r->ram[STATUS_AT] = 0xee;
}

/* header, one data segment, status: the common three-descriptor request. */
static void request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	header(r, type, sector);
	struct seg s[3] = {
		{ HDR_AT, 16, false }, { DATA_AT, len, data_writable }, { STATUS_AT, 1, true },
	};
	if (len)
		submit(r, s, 3);
	else
		submit(r, (struct seg[]){ s[0], s[2] }, 2);
}

static uint16_t used_idx(struct rig *r) { return get16(r->ram + USED_AT + 2); }
static uint32_t last_used_len(struct rig *r)
{
	return get32(r->ram + USED_AT + 4 + 8u * ((used_idx(r) - 1u) % QSIZE) + 4);
}

TEST(virtio_blk_identity_and_config)
{
	struct rig *r = rig_open(false);
	CHECK(r->blk != NULL);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x02, 2), 0x1040 + VIRTIO_ID_BLOCK);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY, 4), DISK_SECTORS);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTIO_BLK_SEG_MAX);
	wr(r, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	uint32_t f = rd(r, VIRTIO_PCI_DEVICE_FEATURE, 4);
	CHECK(f & (1u << VIRTIO_BLK_F_FLUSH));
	CHECK(!(f & (1u << VIRTIO_BLK_F_RO)));
	rig_close(r);
	r = rig_open(true);
	wr(r, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	CHECK(rd(r, VIRTIO_PCI_DEVICE_FEATURE, 4) & (1u << VIRTIO_BLK_F_RO));
	rig_close(r);
}

TEST(virtio_blk_reads_sectors)
{
	struct rig *r = rig_open(false);
	request(r, VIRTIO_BLK_T_IN, 3, 1024, true);
	CHECK_EQ(used_idx(r), 1);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(last_used_len(r), 1025);
	CHECK(memcmp(r->ram + DATA_AT, r->disk + 3 * 512, 1024) == 0);
	CHECK_EQ(dev_status(r) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_large_read_uses_bounded_chunks)
{
	struct rig *r = rig_open(false);
	request(r, VIRTIO_BLK_T_IN, 10, 128 * 1024, true);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK(memcmp(r->ram + DATA_AT, r->disk + 10 * 512, 128 * 1024) == 0);
	CHECK_EQ(r->max_call_len, VIRTIO_BLK_CHUNK);
	CHECK_EQ(r->ncalls, 2);
	rig_close(r);
}

TEST(virtio_blk_writes_sectors)
{
	struct rig *r = rig_open(false);
	for (uint32_t i = 0; i < 1536; i++)
		r->ram[DATA_AT + i] = (uint8_t)(0xa5 ^ i);
	uint8_t before_next = r->disk[8 * 512];
	header(r, VIRTIO_BLK_T_OUT, 5);
	/* data split over two readable segments */
	struct seg s[4] = {
		{ HDR_AT, 16, false }, { DATA_AT, 512, false }, { DATA_AT + 512, 1024, false },
		{ STATUS_AT, 1, true },
	};
	submit(r, s, 4);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(last_used_len(r), 1);
	CHECK(memcmp(r->disk + 5 * 512, r->ram + DATA_AT, 1536) == 0);
	CHECK_EQ(r->disk[8 * 512], before_next);
	rig_close(r);
}

TEST(virtio_blk_flush_follows_earlier_writes)
{
	struct rig *r = rig_open(false);
	request(r, VIRTIO_BLK_T_OUT, 0, 512, false);
	request(r, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_STR(r->calls, "wf");
	r->fail_io = true;
	request(r, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(dev_status(r) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_get_id)
{
	struct rig *r = rig_open(false);
	memset(r->ram + DATA_AT, 0x55, 64);
	request(r, VIRTIO_BLK_T_GET_ID, 0, 64, true);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK(memcmp(r->ram + DATA_AT, "disk-serial-01234567", 20) == 0);
	CHECK_EQ(r->ram[DATA_AT + 20], 0x55); /* nothing past the 20 bytes */
	CHECK_EQ(last_used_len(r), 21);
	CHECK_EQ(r->ncalls, 0);
	rig_close(r);
}

TEST(virtio_blk_read_only_refuses_writes)
{
	struct rig *r = rig_open(true);
	uint8_t *copy = malloc(DISK_BYTES);
	memcpy(copy, r->disk, DISK_BYTES);
	memset(r->ram + DATA_AT, 0xff, 512);
	request(r, VIRTIO_BLK_T_OUT, 1, 512, false);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r->ncalls, 0);
	CHECK(memcmp(copy, r->disk, DISK_BYTES) == 0);
	request(r, VIRTIO_BLK_T_IN, 1, 512, true); /* reads still work */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(dev_status(r) & VIRTIO_STATUS_NEEDS_RESET, 0);
	free(copy);
	rig_close(r);
}

TEST(virtio_blk_out_of_range_is_ioerr)
{
	struct rig *r = rig_open(false);
	request(r, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, true); /* runs off the end */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(r, VIRTIO_BLK_T_IN, DISK_SECTORS, 512, true);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(r, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false); /* sector + len wraps */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(r, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, 512, false); /* sector * 512 wraps */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(r, VIRTIO_BLK_T_IN, 0, 100, true); /* not whole sectors */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r->ncalls, 0);
	request(r, VIRTIO_BLK_T_IN, DISK_SECTORS - 2, 1024, true); /* the last two are fine */
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(used_idx(r), 6);
	CHECK_EQ(dev_status(r) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_backend_error_is_ioerr)
{
	struct rig *r = rig_open(false);
	r->fail_io = true;
	request(r, VIRTIO_BLK_T_IN, 0, 512, true);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(r, VIRTIO_BLK_T_OUT, 0, 512, false);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	rig_close(r);
}

TEST(virtio_blk_unsupported_type)
{
	struct rig *r = rig_open(false);
	request(r, 0x1234, 0, 0, false);
	CHECK_EQ(r->ram[STATUS_AT], VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(used_idx(r), 1);
	CHECK_EQ(r->ncalls, 0);
	rig_close(r);
}

/* Each chain breaks the device and reaches no backend. */
static void check_malformed(const struct seg *s, unsigned n, uint32_t type)
{
	struct rig *r = rig_open(false);
	header(r, type, 0);
	submit(r, s, n);
	CHECK(dev_status(r) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r->ncalls, 0);
	CHECK_EQ(used_idx(r), 0);
	CHECK_EQ(r->nlogs, 1);
	rig_close(r);
}

TEST(virtio_blk_malformed_chains_need_reset)
{
	/* no status byte */
	check_malformed((struct seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, false } }, 2,
			VIRTIO_BLK_T_OUT);
	/* header too short */
	check_malformed((struct seg[]){ { HDR_AT, 8, false }, { STATUS_AT, 1, true } }, 2,
			VIRTIO_BLK_T_FLUSH);
	/* read with device-readable data */
	check_malformed((struct seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, false },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_IN);
	/* write with device-writable data */
	check_malformed((struct seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, true },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_OUT);
	/* get-id with readable data */
	check_malformed((struct seg[]){ { HDR_AT, 16, false }, { DATA_AT, 20, false },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_GET_ID);
}

TEST(virtio_blk_create_rejects_bad_configs)
{
	struct iobus io;
	struct mmiobus mmio;
	iobus_init(&io);
	mmiobus_init(&mmio);
	struct irq_line irq = { no_irq, NULL };
	struct pci_bus *pci = pci_create(&io, &mmio, &irq);
	uint8_t ram[64];
	struct virtio_blk_config cfg = {
		.ram = ram, .ram_size = sizeof(ram), .capacity_bytes = 1000,
		.backend = { mem_read, mem_write, mem_flush, NULL },
	};
	CHECK(virtio_blk_create(pci, SLOT, &cfg) == NULL); /* not whole sectors */
	cfg.capacity_bytes = 1024;
	cfg.backend.flush = NULL;
	CHECK(virtio_blk_create(pci, SLOT, &cfg) == NULL);
	pci_destroy(pci);
}
