/*
 * A hostile virtio driver for fuzz targets: the PCI bus, the MMIO bus and
 * guest RAM (an exact-size heap block, so ASan sees every stray access)
 * around one virtio-pci function, and an interpreter that turns fuzz
 * input into what a driver can do: the status and feature handshake,
 * queue layouts (legal or not: sizes of 0, 1, odd or 32768, rings at the
 * last bytes of RAM or past it), descriptor chains with contents, kicks,
 * raw accesses anywhere in the BAR and in PCI configuration space (moving
 * or disabling the BAR, turning bus mastering off), raw stores into RAM,
 * plus one device-specific operation the target supplies (a frame from
 * the host, console input...).
 *
 * The device's ram_written hook is checked: every store it reports must
 * lie inside RAM.
 */
#ifndef CORDON_TESTS_FUZZ_VDRV_H
#define CORDON_TESTS_FUZZ_VDRV_H

#include "fuzz.h"

#include "dev/bus.h"
#include "dev/pci.h"
#include "dev/virtio_pci.h"

#define VD_BAR 0xe0000000u
#define VD_RAM_SIZE (128u << 10)
#define VD_MAX_QUEUES 4
#define VD_DESC_AT(q) (0x1000u + 0x3000u * (q)) /* avail +0x1000, used +0x2000 */
#define VD_DATA 0x10000u                          /* buffers: 0x10000 .. RAM end */
#define VD_SLOT 3

struct vdrv_queue {
	uint16_t size, avail_idx, next_desc;
};

struct vdrv {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;
	struct pci_bus *pci;
	uint8_t *ram;
	uint32_t ram_size;
	unsigned nqueues;   /* the device's */
	struct vdrv_queue q[VD_MAX_QUEUES];
	unsigned logs;
	/* The target's own operation, run when the input picks it. */
	void (*device_op)(void *opaque, struct fuzz_in *in);
	void *device_opaque;
};

/* Buses, PCI bus and RAM; the target then creates its device in VD_SLOT
 * with v->ram, vdrv_log and vdrv_ram_written (opaque v), and calls
 * vdrv_enable. */
struct vdrv *vdrv_new(unsigned nqueues);
/* BAR0 at VD_BAR, memory decode and bus mastering on. */
void vdrv_enable(struct vdrv *v);
/* Runs driver operations until the input is used up (at most max_ops). */
void vdrv_run(struct vdrv *v, struct fuzz_in *in, unsigned max_ops);
/* Frees the PCI bus (RAM is kept for the next input): destroy the device
 * first. */
void vdrv_free(struct vdrv *v);

void vdrv_log(void *opaque, const char *msg);
void vdrv_ram_written(void *opaque, uint32_t addr, uint32_t len);

#endif
