/*
 * virtio-blk (virtio device type 2) on the virtio-pci transport: one
 * request queue over a disk whose bytes live behind backend callbacks, so
 * the device never calls the OS itself (the machine wires them to the host
 * layer's raw image files).
 *
 * A request chain is: a 16-byte readable header (le32 type, le32 reserved,
 * le64 sector), data segments (readable for OUT, writable for IN and
 * GET_ID), and a 1-byte writable status last.  Bad sector ranges and
 * writes to a read-only disk complete with VIRTIO_BLK_S_IOERR; unknown
 * types with VIRTIO_BLK_S_UNSUPP; a chain that breaks the layout (no
 * status byte, short header, data in the wrong direction) breaks the
 * device (DEVICE_NEEDS_RESET), since no well-behaved driver sends one.
 */
#ifndef CORDON_DEV_VIRTIO_BLK_H
#define CORDON_DEV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/pci.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_QUEUE_SIZE 128
#define VIRTIO_BLK_SECTOR 512u
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SEG_MAX 126     /* data segments per request (queue size - 2) */
#define VIRTIO_BLK_CHUNK 65536u    /* bounce buffer: bytes per backend call */

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9

/* Request types. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

/* Status byte. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Config space offsets. */
#define VIRTIO_BLK_CFG_CAPACITY 0  /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8  /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12  /* le32 */
#define VIRTIO_BLK_CFG_LEN 16

/* Backend: whole-length transfers at byte offsets inside the disk (the
 * device has checked the range).  0, or -1 on a host I/O error. */
struct virtio_blk_backend {
	int (*read)(void *opaque, void *buf, size_t len, uint64_t off);
	int (*write)(void *opaque, const void *buf, size_t len, uint64_t off);
	int (*flush)(void *opaque);
	void *opaque;
};

struct virtio_blk_config {
	uint8_t *ram;
	uint32_t ram_size;
	uint64_t capacity_bytes;  /* a multiple of 512 */
	bool read_only;
	const char *serial;       /* GET_ID answer; first 20 bytes used; may be NULL */
	struct virtio_blk_backend backend;
	void (*log)(void *log_opaque, const char *msg); /* optional */
	void *log_opaque;
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
};

struct virtio_blk;

/* NULL when the slot is taken or the config is incomplete. */
struct virtio_blk *virtio_blk_create(struct pci_bus *bus, int slot, const struct virtio_blk_config *cfg);
/* Frees it; its PCI function stays on the bus, unused, until pci_destroy. */
void virtio_blk_destroy(struct virtio_blk *blk);
struct virtio_pci *virtio_blk_transport(struct virtio_blk *blk);

#endif
