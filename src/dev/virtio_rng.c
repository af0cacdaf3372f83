/*
 * virtio-rng: every chain the driver offers gets its writable part filled
 * (up to VIRTIO_RNG_MAX_FILL bytes) with host random bytes and goes straight
 * back.  Readable buffers carry nothing for this device and are skipped.
 */
#include <stdlib.h>

#include "dev/virtio_pci.h"
#include "dev/virtio_rng.h"

#define CHUNK 256

struct virtio_rng {
	struct virtio_rng_config cfg;
	struct virtio_pci *vp;
	struct virtq_chain chain; /* 12 KiB: kept off the stack */
};

/* Returns the bytes written, or -1 when the host source failed. */
static int64_t fill_chain(struct virtio_rng *rng)
{
	uint32_t want = rng->chain.writable_len;
	if (want > VIRTIO_RNG_MAX_FILL)
		want = VIRTIO_RNG_MAX_FILL;
	uint8_t buf[CHUNK];
	for (uint32_t done = 0; done < want;) {
		uint32_t n = want - done < CHUNK ? want - done : CHUNK;
		if (rng->cfg.random(rng->cfg.random_opaque, buf, n) < 0)
			return -1;
		if (virtio_pci_chain_write(rng->vp, &rng->chain, done, buf, n) < 0)
			return -1; /* cannot happen: n fits in writable_len, all in RAM */
		done += n;
	}
	return want;
}

static void on_notify(void *opaque, unsigned q)
{
	struct virtio_rng *rng = opaque;
	while (virtio_pci_pop(rng->vp, q, &rng->chain) == 1) {
		int64_t n = fill_chain(rng);
		if (n < 0) {
			virtio_pci_fail(rng->vp, "the host random source failed");
			return;
		}
		if (virtio_pci_push(rng->vp, q, rng->chain.head, (uint32_t)n) < 0)
			return;
	}
}

struct virtio_rng *virtio_rng_create(struct pci_bus *bus, int slot, const struct virtio_rng_config *cfg)
{
	if (!cfg->random)
		return NULL;
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	if (!rng)
		return NULL;
	rng->cfg = *cfg;
	struct virtio_pci_config vc = {
		.name = "virtio-rng",
		.device_type = VIRTIO_ID_RNG,
		.class_code = 0xff, .subclass = 0x00, /* "unassigned class", as QEMU uses */
		.num_queues = 1,
		.queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
		.ram = cfg->ram, .ram_size = cfg->ram_size,
		.queue_notify = on_notify,
		.opaque = rng,
		.log = cfg->log, .log_opaque = cfg->log_opaque,
		.ram_written = cfg->ram_written, .ram_opaque = cfg->ram_opaque,
	};
	rng->vp = virtio_pci_create(bus, slot, &vc);
	if (!rng->vp) {
		free(rng);
		return NULL;
	}
	return rng;
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	if (!rng)
		return;
	virtio_pci_destroy(rng->vp);
	free(rng);
}

struct virtio_pci *virtio_rng_transport(struct virtio_rng *rng)
{
	return rng->vp;
}
