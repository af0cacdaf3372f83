/*
 * virtio-blk: requests are served synchronously, one chain at a time, in
 * the order the driver queued them, so a FLUSH completes only after every
 * write queued before it has reached the backend and the backend's flush
 * has returned.
 *
 * Guest data moves through one bounce buffer of VIRTIO_BLK_CHUNK bytes:
 * the backend never sees guest RAM, and every store into RAM goes through
 * virtio_pci_chain_write so the engine drops code decoded there.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_pci.h"

#define HEADER_LEN 16

struct virtio_blk {
	struct virtio_blk_config cfg;
	uint64_t capacity_sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CFG_LEN];
	struct virtio_pci *vp;
	struct virtq_chain chain; /* 12 KiB: kept off the stack */
	uint8_t *bounce;          /* VIRTIO_BLK_CHUNK bytes */
};

/* What one request decodes to. */
struct blk_request {
	uint32_t type;
	uint64_t sector;
	uint32_t data_len;   /* bytes between header and status */
	uint32_t status_off; /* offset of the status byte in the writable part */
};

static uint32_t config_read(void *opaque, unsigned offset, int size)
{
	struct virtio_blk *blk = opaque;
	return get_le(blk->config + offset, size); /* the transport checked offset + size */
}

static void config_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	(void)opaque, (void)offset, (void)size, (void)val; /* nothing is writable */
}

/*
 * Checks the chain's shape for its type.  Returns NULL if it is usable, or
 * why the driver is broken.  FLUSH and unknown types get only the
 * header/status check: FLUSH data is meaningless, and we cannot know which
 * way an unknown type's data should flow.
 */
static const char *decode(struct virtio_blk *blk, struct blk_request *r)
{
	const struct virtq_chain *c = &blk->chain;
	uint8_t hdr[HEADER_LEN];
	if (c->writable_len < 1)
		return "request without a writable status byte";
	if (c->readable_len < HEADER_LEN)
		return "request header shorter than 16 bytes";
	if (virtq_chain_read(blk->cfg.ram, blk->cfg.ram_size, c, 0, hdr, HEADER_LEN) < 0)
		return "request header outside guest RAM";
	r->type = get_le32(hdr);
	r->sector = get_le64(hdr + 8);
	r->status_off = c->writable_len - 1;
	uint32_t in_data = c->writable_len - 1, out_data = c->readable_len - HEADER_LEN;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		if (out_data)
			return "device-readable data in a read request";
		r->data_len = in_data;
		return NULL;
	case VIRTIO_BLK_T_OUT:
		if (in_data)
			return "device-writable data in a write request";
		r->data_len = out_data;
		return NULL;
	default:
		r->data_len = 0;
		return NULL;
	}
}

/* Is [sector, sector + len/512) inside the disk?  Written not to overflow. */
static bool range_ok(const struct virtio_blk *blk, uint64_t sector, uint32_t len)
{
	if (len % VIRTIO_BLK_SECTOR)
		return false;
	if (sector > blk->capacity_sectors)
		return false;
	return len / VIRTIO_BLK_SECTOR <= blk->capacity_sectors - sector;
}

/* Returns a status byte, or -1 if guest RAM could not be stored to. */
static int do_read(struct virtio_blk *blk, const struct blk_request *r)
{
	if (!range_ok(blk, r->sector, r->data_len))
		return VIRTIO_BLK_S_IOERR;
	uint64_t off = r->sector * VIRTIO_BLK_SECTOR;
	for (uint32_t done = 0; done < r->data_len;) {
		uint32_t n = r->data_len - done;
		if (n > VIRTIO_BLK_CHUNK)
			n = VIRTIO_BLK_CHUNK;
		if (blk->cfg.backend.read(blk->cfg.backend.opaque, blk->bounce, n, off + done) < 0)
			return VIRTIO_BLK_S_IOERR;
		if (virtio_pci_chain_write(blk->vp, &blk->chain, done, blk->bounce, n) < 0)
			return -1;
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static int do_write(struct virtio_blk *blk, const struct blk_request *r)
{
	if (blk->cfg.read_only || !range_ok(blk, r->sector, r->data_len))
		return VIRTIO_BLK_S_IOERR;
	uint64_t off = r->sector * VIRTIO_BLK_SECTOR;
	for (uint32_t done = 0; done < r->data_len;) {
		uint32_t n = r->data_len - done;
		if (n > VIRTIO_BLK_CHUNK)
			n = VIRTIO_BLK_CHUNK;
		if (virtq_chain_read(blk->cfg.ram, blk->cfg.ram_size, &blk->chain, HEADER_LEN + done,
				     blk->bounce, n) < 0)
			return -1;
		if (blk->cfg.backend.write(blk->cfg.backend.opaque, blk->bounce, n, off + done) < 0)
			return VIRTIO_BLK_S_IOERR;
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* The spec: at most 20 bytes, NUL-padded (no terminator when all 20 used). */
static int do_get_id(struct virtio_blk *blk, const struct blk_request *r, uint32_t *written)
{
	uint32_t n = r->data_len < VIRTIO_BLK_ID_BYTES ? r->data_len : VIRTIO_BLK_ID_BYTES;
	if (virtio_pci_chain_write(blk->vp, &blk->chain, 0, blk->id, n) < 0)
		return -1;
	*written = n;
	return VIRTIO_BLK_S_OK;
}

/* Serves one decoded request; returns its status, or -1 (device broken). */
static int serve(struct virtio_blk *blk, const struct blk_request *r, uint32_t *written)
{
	*written = 0;
	switch (r->type) {
	case VIRTIO_BLK_T_IN: {
		int st = do_read(blk, r);
		if (st == VIRTIO_BLK_S_OK)
			*written = r->data_len;
		return st;
	}
	case VIRTIO_BLK_T_OUT:
		return do_write(blk, r);
	case VIRTIO_BLK_T_FLUSH:
		if (blk->cfg.backend.flush(blk->cfg.backend.opaque) < 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return do_get_id(blk, r, written);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Handles the chain in blk->chain; -1 once the device has been failed. */
static int handle_chain(struct virtio_blk *blk, unsigned q)
{
	struct blk_request r;
	const char *bad = decode(blk, &r);
	if (bad) {
		virtio_pci_fail(blk->vp, bad);
		return -1;
	}
	uint32_t written;
	int st = serve(blk, &r, &written);
	uint8_t status = (uint8_t)st;
	if (st < 0 || virtio_pci_chain_write(blk->vp, &blk->chain, r.status_off, &status, 1) < 0) {
		virtio_pci_fail(blk->vp, "request buffer outside guest RAM");
		return -1;
	}
	return virtio_pci_push(blk->vp, q, blk->chain.head, written + 1);
}

static void on_notify(void *opaque, unsigned q)
{
	struct virtio_blk *blk = opaque;
	while (virtio_pci_pop(blk->vp, q, &blk->chain) == 1) {
		if (handle_chain(blk, q) < 0)
			return;
	}
}

static void fill_config_space(struct virtio_blk *blk)
{
	put_le64(blk->config + VIRTIO_BLK_CFG_CAPACITY, blk->capacity_sectors);
	put_le32(blk->config + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_CHUNK);
	put_le32(blk->config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
}

static uint64_t device_features(const struct virtio_blk_config *cfg)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_SIZE_MAX;
	if (cfg->read_only)
		f |= 1ull << VIRTIO_BLK_F_RO;
	return f;
}

static bool config_ok(const struct virtio_blk_config *cfg)
{
	return cfg->ram && cfg->backend.read && cfg->backend.write && cfg->backend.flush &&
	       cfg->capacity_bytes % VIRTIO_BLK_SECTOR == 0;
}

struct virtio_blk *virtio_blk_create(struct pci_bus *bus, int slot, const struct virtio_blk_config *cfg)
{
	if (!config_ok(cfg))
		return NULL;
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	if (!blk)
		return NULL;
	blk->bounce = malloc(VIRTIO_BLK_CHUNK);
	if (!blk->bounce) {
		free(blk);
		return NULL;
	}
	blk->cfg = *cfg;
	blk->cfg.serial = NULL; /* copied below; the caller's string may go away */
	blk->capacity_sectors = cfg->capacity_bytes / VIRTIO_BLK_SECTOR;
	if (cfg->serial)
		strncpy(blk->id, cfg->serial, sizeof(blk->id));
	fill_config_space(blk);
	struct virtio_pci_config vc = {
		.name = "virtio-blk",
		.device_type = VIRTIO_ID_BLOCK,
		.class_code = 0x01, .subclass = 0x00, /* mass storage, SCSI: as QEMU */
		.features = device_features(cfg),
		.num_queues = 1,
		.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
		.config_len = VIRTIO_BLK_CFG_LEN,
		.ram = cfg->ram, .ram_size = cfg->ram_size,
		.config_read = config_read, .config_write = config_write,
		.queue_notify = on_notify,
		.opaque = blk,
		.log = cfg->log, .log_opaque = cfg->log_opaque,
		.ram_written = cfg->ram_written, .ram_opaque = cfg->ram_opaque,
	};
	blk->vp = virtio_pci_create(bus, slot, &vc);
	if (!blk->vp) {
		free(blk->bounce);
		free(blk);
		return NULL;
	}
	return blk;
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
	if (!blk)
		return;
	virtio_pci_destroy(blk->vp);
	free(blk->bounce);
	free(blk);
}

struct virtio_pci *virtio_blk_transport(struct virtio_blk *blk)
{
	return blk->vp;
}
