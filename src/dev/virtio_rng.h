/*
 * virtio-rng (virtio device type 4, "entropy source") on the virtio-pci
 * transport: one request queue whose device-writable buffers are filled
 * with random bytes from the host.  The bytes come through a callback so
 * the device never calls the OS itself.
 */
#ifndef CORDON_DEV_VIRTIO_RNG_H
#define CORDON_DEV_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "dev/pci.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_FILL 4096u /* bytes per request; the spec lets us give fewer */

/* Fills buf with len random bytes; returns 0, or -1 when the host has none. */
typedef int (*virtio_rng_source)(void *opaque, void *buf, size_t len);

struct virtio_rng_config {
	uint8_t *ram;
	uint32_t ram_size;
	virtio_rng_source random;
	void *random_opaque;
	void (*log)(void *log_opaque, const char *msg); /* optional */
	void *log_opaque;
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
};

struct virtio_rng;

/* NULL when the slot is taken or the config is incomplete. */
struct virtio_rng *virtio_rng_create(struct pci_bus *bus, int slot, const struct virtio_rng_config *cfg);
/* Frees it; its PCI function stays on the bus, unused, until pci_destroy. */
void virtio_rng_destroy(struct virtio_rng *rng);
struct virtio_pci *virtio_rng_transport(struct virtio_rng *rng);

#endif
