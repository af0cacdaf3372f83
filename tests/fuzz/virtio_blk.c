/*
 * Fuzz target: virtio-blk requests through the virtio-pci transport, from
 * a hostile driver (tests/fuzz/lib/vdrv.h) on a disk of 1..64 sectors in
 * memory, read-only or not.
 *
 * Besides ASan on RAM and the disk (both exact-size heap blocks), the
 * backend checks what the device asks of it: every transfer inside the
 * disk and no write at all to a read-only one.  The device op makes the
 * backend fail, as a host I/O error would.
 *
 * fuzz-plant: src/dev/virtio_blk.c
 * fuzz-plant-from: return len / VIRTIO_BLK_SECTOR <= blk->capacity_sectors - sector;
 * fuzz-plant-to: return len / VIRTIO_BLK_SECTOR <= blk->capacity_sectors;
 */
#include "vdrv.h"

#include "dev/virtio_blk.h"

struct disk {
	uint8_t *bytes;
	uint64_t size;
	bool read_only, failing;
};

static void check_range(const struct disk *d, size_t len, uint64_t off)
{
	FUZZ_CHECK(off <= d->size && len <= d->size - off,
		   "backend transfer of %zu bytes at %llu on a disk of %llu", len,
		   (unsigned long long)off, (unsigned long long)d->size);
}

static int disk_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	struct disk *d = opaque;
	check_range(d, len, off);
	FUZZ_SAY("disk read %zu at %llu\n", len, (unsigned long long)off);
	if (d->failing)
		return -1;
	memcpy(buf, d->bytes + off, len);
	return 0;
}

static int disk_write(void *opaque, const void *buf, size_t len, uint64_t off)
{
	struct disk *d = opaque;
	check_range(d, len, off);
	FUZZ_CHECK(!d->read_only, "write of %zu bytes to a read-only disk", len);
	FUZZ_SAY("disk write %zu at %llu\n", len, (unsigned long long)off);
	if (d->failing)
		return -1;
	memcpy(d->bytes + off, buf, len);
	return 0;
}

static int disk_flush(void *opaque)
{
	struct disk *d = opaque;
	return d->failing ? -1 : 0;
}

static void toggle_failure(void *opaque, struct fuzz_in *in)
{
	struct disk *d = opaque;
	d->failing = fin_u8(in) & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t shape = fin_u8(&in);
	struct disk d = { .size = VIRTIO_BLK_SECTOR * (1u + shape % 64), .read_only = shape & 0x80 };
	d.bytes = calloc(1, d.size);
	struct vdrv *v = vdrv_new(1);
	struct virtio_blk_config cfg = {
		.ram = v->rig.ram, .ram_size = v->rig.ram_size,
		.capacity_bytes = d.size, .read_only = d.read_only, .serial = "fuzz-disk",
		.backend = { disk_read, disk_write, disk_flush, &d },
		.log = vdrv_log, .log_opaque = v,
		.ram_written = vdrv_ram_written, .ram_opaque = v,
	};
	struct virtio_blk *blk = virtio_blk_create(v->rig.pci, VD_SLOT, &cfg);
	FUZZ_CHECK(blk && d.bytes, "cannot create the device");
	v->device_op = toggle_failure;
	v->device_opaque = &d;
	vdrv_enable(v);
	vdrv_run(v, &in, 64);
	virtio_blk_destroy(blk);
	vdrv_free(v);
	free(d.bytes);
	return 0;
}
