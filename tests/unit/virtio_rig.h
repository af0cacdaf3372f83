/*
 * A guest-driver rig for virtio-pci device tests, and the transport under
 * the fuzz targets' hostile driver (tests/fuzz/lib/vdrv.c).
 *
 * vr_init() gives a port bus, an MMIO bus, a PCI bus whose interrupt line
 * records levels, and guest RAM as an exact-size zeroed heap block (so ASan
 * catches any stray access).  The test creates its device in slot v->slot
 * with v->ram, passing vr_log / vr_ram_written with the rig as opaque,
 * then calls vr_enable() to map BAR0 at VR_BAR_BASE and turn on memory
 * decode and bus mastering.  From there the helpers drive the device the
 * way a guest driver does: PCI config reads and writes, BAR accesses
 * through the MMIO bus, the status/feature/queue handshake, descriptor
 * chains on the avail ring and the device's answers on the used ring.
 *
 * Queue q's rings sit at VR_DESC_AT(q), VR_AVAIL_AT(q) and VR_USED_AT(q),
 * a page apart, so two queues fit below 0x7000 and all eight below
 * 0x19000.  Chains are laid out one after another in the descriptor
 * table, wrapping at the queue size.
 */
#ifndef CORDON_TESTS_VIRTIO_RIG_H
#define CORDON_TESTS_VIRTIO_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/pci.h"
#include "dev/virtio_pci.h"

#define VR_BAR_BASE 0xe0000000u
#define VR_MAX_QUEUES VIRTIO_PCI_MAX_QUEUES
#define VR_MAX_RANGES 16
#define VR_DESC_AT(q) (0x1000u + 0x3000u * (q))
#define VR_AVAIL_AT(q) (VR_DESC_AT(q) + 0x1000u)
#define VR_USED_AT(q) (VR_DESC_AT(q) + 0x2000u)
#define VR_RING_BYTES 0x3000u /* desc + avail + used of one queue */

/* One buffer of a chain: guest address, length, device-writable or not. */
struct vr_seg {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

struct vr_range {
	uint32_t addr, len;
};

/* The driver's side of one queue. */
struct vr_queue {
	uint16_t size;      /* as programmed; 0 until then */
	uint16_t avail_idx; /* the avail->idx the driver last published */
	uint16_t next_desc; /* where the next chain starts */
};

struct vrig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;
	int irq_level[16];  /* the level each ISA IRQ was last driven to */
	struct pci_bus *pci;
	int slot;
	uint8_t *ram;
	uint32_t ram_size;
	struct vr_queue q[VR_MAX_QUEUES];
	uint64_t used_at[VR_MAX_QUEUES]; /* each queue's used ring, as programmed */
	int nlogs;          /* lines the device logged; the latest in last_log */
	char last_log[512];
	unsigned nranges;   /* ram_written calls; the first VR_MAX_RANGES are kept */
	/* ram_written calls inside a programmed queue's used ring are counted
	 * here instead, the latest kept, so ranges[] holds the buffers alone. */
	unsigned nring_stores;
	struct vr_range last_ring_store;
	struct vr_range ranges[VR_MAX_RANGES];
	uint32_t written_end; /* addr + len of the latest ram_written call */
};

/* Buses and RAM for a device in the given PCI slot. */
void vr_init(struct vrig *v, int slot, uint32_t ram_size);
/* The same on RAM the caller owns, keeps and zeroes (the fuzz targets'
 * driver reuses one block per input); tear down with pci_destroy, not
 * vr_fini. */
void vr_init_on(struct vrig *v, int slot, uint8_t *ram, uint32_t ram_size);
/* Tears down the PCI bus and frees RAM; the device is the test's to free. */
void vr_fini(struct vrig *v);
/* vr_init / vr_fini on a rig of its own, for tests that need nothing more. */
struct vrig *vr_new(int slot, uint32_t ram_size);
void vr_free(struct vrig *v);
/* BAR0 at VR_BAR_BASE, memory decode and bus mastering on. */
void vr_enable(struct vrig *v);

/* Device config callbacks; opaque is the struct vrig. */
void vr_log(void *opaque, const char *msg);
void vr_ram_written(void *opaque, uint32_t addr, uint32_t len);
/* From the first recorded store's start to the latest's end. */
uint32_t vr_written_span(const struct vrig *v);

/* PCI config space of the rig's slot. */
uint32_t vr_cfg_read(struct vrig *v, unsigned reg, int size);
void vr_cfg_write(struct vrig *v, unsigned reg, int size, uint32_t val);
/* BAR0 (offset off) through the MMIO bus. */
uint32_t vr_rd(struct vrig *v, uint32_t off, int size);
void vr_wr(struct vrig *v, uint32_t off, int size, uint32_t val);
/* The device-specific config structure (VIRTIO_PCI_DEVCFG_OFF + off). */
uint32_t vr_devcfg_read(struct vrig *v, uint32_t off, int size);

uint8_t vr_status(struct vrig *v);
void vr_reset(struct vrig *v);
/* ACKNOWLEDGE, DRIVER, all 64 feature bits, FEATURES_OK (no reset first). */
void vr_negotiate(struct vrig *v, uint64_t features);
/* Selects queue q, writes its size and ring addresses, enables it. */
void vr_program_queue(struct vrig *v, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
		      uint64_t used);
/* Zeroes queue q's rings, forgets its chains, programs the standard layout. */
void vr_setup_queue(struct vrig *v, unsigned q, uint16_t size);
void vr_driver_ok(struct vrig *v);
/* The Linux order: negotiate, set up queues 0..nqueues-1, maybe DRIVER_OK. */
void vr_start(struct vrig *v, uint64_t features, unsigned nqueues, uint16_t qsize, bool driver_ok);

/* Descriptor i of queue q. */
void vr_put_desc(struct vrig *v, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next);
/* Publishes head on queue q's avail ring. */
void vr_make_avail(struct vrig *v, unsigned q, uint16_t head);
/* Lays out segs as one chain (linked with NEXT) and publishes it; no notify.
 * Returns the chain's head. */
uint16_t vr_post(struct vrig *v, unsigned q, const struct vr_seg *segs, unsigned n);
void vr_kick(struct vrig *v, unsigned q);
/* vr_post, then vr_kick. */
uint16_t vr_submit(struct vrig *v, unsigned q, const struct vr_seg *segs, unsigned n);

uint16_t vr_used_idx(struct vrig *v, unsigned q);
/* Used element i (counted from 0, wrapping at the queue size). */
uint32_t vr_used_id(struct vrig *v, unsigned q, unsigned i);
uint32_t vr_used_len(struct vrig *v, unsigned q, unsigned i);
/* The length of the element the device used last. */
uint32_t vr_last_used_len(struct vrig *v, unsigned q);

#endif
