/*
 * virtio-blk driven as a guest driver would (see virtio_rig.h): requests
 * are descriptor chains in guest RAM.  The backend is an in-memory disk
 * that records the order of its calls.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/le.h"
#include "dev/virtio_blk.h"
#include "virtio_rig.h"

#define RAM_SIZE (256u * 1024)
#define SLOT 2
#define HDR_AT 0x4000u
#define STATUS_AT 0x4100u
#define DATA_AT 0x10000u  /* up to 128 KiB of data buffers */
#define QSIZE 16u
#define DISK_SECTORS 512u /* 256 KiB disk */
#define DISK_BYTES (DISK_SECTORS * 512u)

struct rig {
	struct vrig v;
	struct virtio_blk *blk;
	uint8_t *disk;
	char calls[64];      /* 'r', 'w', 'f' per backend call, in order */
	unsigned ncalls;
	uint64_t max_call_len;
	bool fail_io;
};

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

static struct rig *rig_open(bool read_only)
{
	struct rig *r = calloc(1, sizeof(*r));
	vr_init(&r->v, SLOT, RAM_SIZE);
	r->disk = calloc(1, DISK_BYTES);
	for (uint32_t i = 0; i < DISK_BYTES; i++)
		r->disk[i] = (uint8_t)(i * 7 + i / 512);
	struct virtio_blk_config cfg = {
		.ram = r->v.ram, .ram_size = RAM_SIZE,
		.capacity_bytes = DISK_BYTES, .read_only = read_only,
		.serial = "disk-serial-0123456789", /* longer than 20: truncated */
		.backend = { mem_read, mem_write, mem_flush, r },
		.log = vr_log, .log_opaque = &r->v,
	};
	r->blk = virtio_blk_create(r->v.pci, SLOT, &cfg);
	vr_enable(&r->v);
	vr_start(&r->v, 1ull << VIRTIO_F_VERSION_1, 1, QSIZE, true);
	return r;
}

static void rig_close(struct rig *r)
{
	virtio_blk_destroy(r->blk);
	vr_fini(&r->v);
	free(r->disk);
	free(r);
}

static void header(struct vrig *v, uint32_t type, uint64_t sector)
{
	put_le32(v->ram + HDR_AT, type);
	put_le32(v->ram + HDR_AT + 4, 0);
	put_le64(v->ram + HDR_AT + 8, sector);
	v->ram[STATUS_AT] = 0xee;
}

/* header, one data segment, status: the common three-descriptor request. */
static void request(struct vrig *v, uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	header(v, type, sector);
	struct vr_seg s[3] = {
		{ HDR_AT, 16, false }, { DATA_AT, len, data_writable }, { STATUS_AT, 1, true },
	};
	if (len)
		vr_submit(v, 0, s, 3);
	else
		vr_submit(v, 0, (struct vr_seg[]){ s[0], s[2] }, 2);
}

TEST(virtio_blk_identity_and_config)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	CHECK(r->blk != NULL);
	CHECK_EQ(vr_cfg_read(v, 0x02, 2), 0x1040 + VIRTIO_ID_BLOCK);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY, 4), DISK_SECTORS);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTIO_BLK_SEG_MAX);
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	uint32_t f = vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4);
	CHECK(f & (1u << VIRTIO_BLK_F_FLUSH));
	CHECK(!(f & (1u << VIRTIO_BLK_F_RO)));
	rig_close(r);
	r = rig_open(true);
	v = &r->v;
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	CHECK(vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4) & (1u << VIRTIO_BLK_F_RO));
	rig_close(r);
}

TEST(virtio_blk_reads_sectors)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	request(v, VIRTIO_BLK_T_IN, 3, 1024, true);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(vr_last_used_len(v, 0), 1025);
	CHECK(memcmp(v->ram + DATA_AT, r->disk + 3 * 512, 1024) == 0);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_large_read_uses_bounded_chunks)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	request(v, VIRTIO_BLK_T_IN, 10, 128 * 1024, true);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK(memcmp(v->ram + DATA_AT, r->disk + 10 * 512, 128 * 1024) == 0);
	CHECK_EQ(r->max_call_len, VIRTIO_BLK_CHUNK);
	CHECK_EQ(r->ncalls, 2);
	rig_close(r);
}

TEST(virtio_blk_writes_sectors)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	for (uint32_t i = 0; i < 1536; i++)
		v->ram[DATA_AT + i] = (uint8_t)(0xa5 ^ i);
	uint8_t before_next = r->disk[8 * 512];
	header(v, VIRTIO_BLK_T_OUT, 5);
	/* data split over two readable segments */
	struct vr_seg s[4] = {
		{ HDR_AT, 16, false }, { DATA_AT, 512, false }, { DATA_AT + 512, 1024, false },
		{ STATUS_AT, 1, true },
	};
	vr_submit(v, 0, s, 4);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(vr_last_used_len(v, 0), 1);
	CHECK(memcmp(r->disk + 5 * 512, v->ram + DATA_AT, 1536) == 0);
	CHECK_EQ(r->disk[8 * 512], before_next);
	rig_close(r);
}

TEST(virtio_blk_flush_follows_earlier_writes)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	request(v, VIRTIO_BLK_T_OUT, 0, 512, false);
	request(v, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_STR(r->calls, "wf");
	r->fail_io = true;
	request(v, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_get_id)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	memset(v->ram + DATA_AT, 0x55, 64);
	request(v, VIRTIO_BLK_T_GET_ID, 0, 64, true);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK(memcmp(v->ram + DATA_AT, "disk-serial-01234567", 20) == 0);
	CHECK_EQ(v->ram[DATA_AT + 20], 0x55); /* nothing past the 20 bytes */
	CHECK_EQ(vr_last_used_len(v, 0), 21);
	CHECK_EQ(r->ncalls, 0);
	rig_close(r);
}

TEST(virtio_blk_read_only_refuses_writes)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	uint8_t *copy = malloc(DISK_BYTES);
	memcpy(copy, r->disk, DISK_BYTES);
	memset(v->ram + DATA_AT, 0xff, 512);
	request(v, VIRTIO_BLK_T_OUT, 1, 512, false);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r->ncalls, 0);
	CHECK(memcmp(copy, r->disk, DISK_BYTES) == 0);
	request(v, VIRTIO_BLK_T_IN, 1, 512, true); /* reads still work */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	free(copy);
	rig_close(r);
}

TEST(virtio_blk_out_of_range_is_ioerr)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	request(v, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, true); /* runs off the end */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(v, VIRTIO_BLK_T_IN, DISK_SECTORS, 512, true);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(v, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false); /* sector + len wraps */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(v, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, 512, false); /* sector * 512 wraps */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(v, VIRTIO_BLK_T_IN, 0, 100, true); /* not whole sectors */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r->ncalls, 0);
	request(v, VIRTIO_BLK_T_IN, DISK_SECTORS - 2, 1024, true); /* the last two are fine */
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_OK);
	CHECK_EQ(vr_used_idx(v, 0), 6);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_blk_backend_error_is_ioerr)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	r->fail_io = true;
	request(v, VIRTIO_BLK_T_IN, 0, 512, true);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	request(v, VIRTIO_BLK_T_OUT, 0, 512, false);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_IOERR);
	rig_close(r);
}

TEST(virtio_blk_unsupported_type)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	request(v, 0x1234, 0, 0, false);
	CHECK_EQ(v->ram[STATUS_AT], VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	CHECK_EQ(r->ncalls, 0);
	rig_close(r);
}

/* Each chain breaks the device and reaches no backend. */
static void check_malformed(const struct vr_seg *s, unsigned n, uint32_t type)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	header(v, type, 0);
	vr_submit(v, 0, s, n);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r->ncalls, 0);
	CHECK_EQ(vr_used_idx(v, 0), 0);
	CHECK_EQ(v->nlogs, 1);
	rig_close(r);
}

TEST(virtio_blk_malformed_chains_need_reset)
{
	/* no status byte */
	check_malformed((struct vr_seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, false } }, 2,
			VIRTIO_BLK_T_OUT);
	/* header too short */
	check_malformed((struct vr_seg[]){ { HDR_AT, 8, false }, { STATUS_AT, 1, true } }, 2,
			VIRTIO_BLK_T_FLUSH);
	/* read with device-readable data */
	check_malformed((struct vr_seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, false },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_IN);
	/* write with device-writable data */
	check_malformed((struct vr_seg[]){ { HDR_AT, 16, false }, { DATA_AT, 512, true },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_OUT);
	/* get-id with readable data */
	check_malformed((struct vr_seg[]){ { HDR_AT, 16, false }, { DATA_AT, 20, false },
					{ STATUS_AT, 1, true } }, 3, VIRTIO_BLK_T_GET_ID);
}

TEST(virtio_blk_create_rejects_bad_configs)
{
	struct vrig *v = vr_new(SLOT, 64);
	struct virtio_blk_config cfg = {
		.ram = v->ram, .ram_size = 64, .capacity_bytes = 1000,
		.backend = { mem_read, mem_write, mem_flush, NULL },
	};
	CHECK(virtio_blk_create(v->pci, SLOT, &cfg) == NULL); /* not whole sectors */
	cfg.capacity_bytes = 1024;
	cfg.backend.flush = NULL;
	CHECK(virtio_blk_create(v->pci, SLOT, &cfg) == NULL);
	vr_free(v);
}
