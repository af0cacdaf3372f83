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
 *
 * The transport (BAR and configuration accesses, the handshake, queue
 * layouts, descriptors, the avail ring) is the unit tests' rig,
 * tests/unit/virtio_rig.h; this file adds what only a fuzzer does:
 * choosing operations, values and layouts from the input, and the
 * bounds that keep its own stores inside RAM whatever it chose.
 */
#ifndef CORDON_TESTS_FUZZ_VDRV_H
#define CORDON_TESTS_FUZZ_VDRV_H

#include "fuzz.h"

#include "virtio_rig.h"

#define VD_RAM_SIZE (128u << 10)
#define VD_MAX_QUEUES 4   /* rings at VR_DESC_AT(0..3), below VD_DATA */
#define VD_DATA 0x10000u  /* buffers: 0x10000 .. RAM end */
#define VD_SLOT 3

struct vdrv {
	struct vrig rig;    /* buses, PCI bus, RAM and the queues' driver state */
	unsigned nqueues;   /* the device's */
	unsigned logs;
	/* The target's own operation, run when the input picks it. */
	void (*device_op)(void *opaque, struct fuzz_in *in);
	void *device_opaque;
	/* If set, run after every operation, to check the device's state. */
	void (*after_op)(void *opaque);
};

/* Buses, PCI bus and RAM; the target then creates its device on
 * v->rig.pci in VD_SLOT with v->rig.ram, vdrv_log and vdrv_ram_written
 * (opaque v), and calls vdrv_enable. */
struct vdrv *vdrv_new(unsigned nqueues);
/* BAR0 at VR_BAR_BASE, memory decode and bus mastering on. */
void vdrv_enable(struct vdrv *v);
/* Runs driver operations until the input is used up (at most max_ops). */
void vdrv_run(struct vdrv *v, struct fuzz_in *in, unsigned max_ops);
/* Frees the PCI bus (RAM is kept for the next input): destroy the device
 * first. */
void vdrv_free(struct vdrv *v);

void vdrv_log(void *opaque, const char *msg);
void vdrv_ram_written(void *opaque, uint32_t addr, uint32_t len);

#endif
