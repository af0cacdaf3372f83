/*
 * The modern (virtio 1.x) virtio-over-PCI transport, shared by every virtio
 * device.  It knows nothing about the engine: guest RAM is a (ram, ram_size)
 * pair and the guest reaches the device only through PCI config space and
 * one memory BAR.
 *
 * The function: vendor 0x1af4, device 0x1040 + virtio type, revision 1,
 * class from the caller.  BAR0 is a 16 KiB 32-bit memory BAR holding four
 * structures, each described by a vendor-specific capability:
 *
 *     0x0000  common configuration (cfg_type 1, 0x38 bytes)
 *     0x1000  ISR status            (cfg_type 3, 1 byte, read-to-clear)
 *     0x2000  device configuration  (cfg_type 4, omitted when empty)
 *     0x3000  notifications         (cfg_type 2, queue q at 4 * q)
 *
 * plus the PCI_CFG capability (cfg_type 5), a config-space window onto the
 * BAR for drivers that cannot map it.
 *
 * Every access is checked where it enters: a common-config access must hit
 * one field with that field's width (64-bit addresses as two dword halves),
 * a notify write must be 2 or 4 bytes at a queue's own offset, the ISR is
 * read one byte at a time.  Anything else reads as 0 and is ignored.
 *
 * A broken driver (bad queue layout, a ring rule broken on pop or push,
 * features out of order) sets DEVICE_NEEDS_RESET, raises a config-change
 * interrupt and is reported once through the log hook; the device then does
 * nothing until the driver writes 0 to device_status.
 */
#ifndef CORDON_DEV_VIRTIO_PCI_H
#define CORDON_DEV_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/pci.h"
#include "dev/virtq.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + virtio device type */
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_MAX_QUEUES 8
#define VIRTIO_PCI_MAX_CONFIG 0x1000  /* device-specific config bytes */

/* BAR0 layout (offsets within the BAR). */
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_COMMON_LEN 0x38
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVCFG_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4

/* Capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Common configuration register offsets. */
#define VIRTIO_PCI_DEVICE_FEATURE_SELECT 0x00
#define VIRTIO_PCI_DEVICE_FEATURE 0x04
#define VIRTIO_PCI_DRIVER_FEATURE_SELECT 0x08
#define VIRTIO_PCI_DRIVER_FEATURE 0x0c
#define VIRTIO_PCI_MSIX_CONFIG 0x10
#define VIRTIO_PCI_NUM_QUEUES 0x12
#define VIRTIO_PCI_DEVICE_STATUS 0x14
#define VIRTIO_PCI_CONFIG_GENERATION 0x15
#define VIRTIO_PCI_QUEUE_SELECT 0x16
#define VIRTIO_PCI_QUEUE_SIZE 0x18
#define VIRTIO_PCI_QUEUE_MSIX_VECTOR 0x1a
#define VIRTIO_PCI_QUEUE_ENABLE 0x1c
#define VIRTIO_PCI_QUEUE_NOTIFY_OFF 0x1e
#define VIRTIO_PCI_QUEUE_DESC 0x20   /* lo; hi at +4 */
#define VIRTIO_PCI_QUEUE_DRIVER 0x28
#define VIRTIO_PCI_QUEUE_DEVICE 0x30

#define VIRTIO_NO_VECTOR 0xffff

/* device_status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* ISR bits. */
#define VIRTIO_ISR_QUEUE 0x01
#define VIRTIO_ISR_CONFIG 0x02

#define VIRTIO_F_VERSION_1 32

struct virtio_pci_config {
	const char *name;         /* prefixes every log line, e.g. "virtio-rng" */
	uint16_t device_type;     /* virtio device id: 4 = entropy source */
	uint8_t class_code, subclass;
	uint64_t features;        /* device-specific; VERSION_1 and the ring
				   * features virtq supports are added */
	unsigned num_queues;      /* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max_size;  /* power of two, 1..VIRTQ_MAX_SIZE */
	uint32_t config_len;      /* device config bytes, 0..VIRTIO_PCI_MAX_CONFIG */
	uint8_t *ram;             /* guest RAM, for the rings */
	uint32_t ram_size;
	/* Device config access: offset + size <= config_len, already checked. */
	uint32_t (*config_read)(void *opaque, unsigned offset, int size);
	void (*config_write)(void *opaque, unsigned offset, int size, uint32_t val);
	/* The driver notified queue q (< num_queues, enabled, device healthy). */
	void (*queue_notify)(void *opaque, unsigned q);
	void (*reset)(void *opaque); /* optional: the driver reset the device */
	void *opaque;
	/* One line, no newline.  Optional. */
	void (*log)(void *log_opaque, const char *msg);
	void *log_opaque;
	/* Told of every guest-RAM range the device stores into, so the engine
	 * can drop code it decoded there.  Optional. */
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len);
	void *ram_opaque;
};

struct virtio_pci;

/* Registers the function in slot; NULL if cfg is invalid or the slot taken. */
struct virtio_pci *virtio_pci_create(struct pci_bus *bus, int slot, const struct virtio_pci_config *cfg);
/* Frees vp; its PCI function stays on the bus, unused, until pci_destroy. */
void virtio_pci_destroy(struct virtio_pci *vp);
struct pci_device *virtio_pci_device(struct virtio_pci *vp);

/* The BAR as the guest sees it (off is within the BAR); exposed for tests. */
uint32_t virtio_pci_bar_read(void *opaque, uint32_t off, int size);
void virtio_pci_bar_write(void *opaque, uint32_t off, int size, uint32_t val);

/* Device side.  pop: 1 with *out filled, 0 when the queue is empty, not
 * usable (disabled, device broken, bus mastering off) or q is out of range;
 * -1 after a ring error, which breaks the device.  push returns a chain and
 * interrupts the driver if the ring asks for it; -1 breaks the device. */
int virtio_pci_pop(struct virtio_pci *vp, unsigned q, struct virtq_chain *out);
/* Device stores go through here (not virtq_chain_write directly) so the
 * ram_written hook hears of them.  0, or -1 if out of the chain's bounds. */
int virtio_pci_chain_write(struct virtio_pci *vp, const struct virtq_chain *c, uint32_t offset,
			   const void *buf, uint32_t len);
int virtio_pci_push(struct virtio_pci *vp, unsigned q, uint16_t head, uint32_t written);
/* Marks the device broken (DEVICE_NEEDS_RESET, config interrupt) and logs
 * "NAME: why" once. */
void virtio_pci_fail(struct virtio_pci *vp, const char *why);
/* The device config changed: bump config_generation, interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);

uint8_t virtio_pci_status(const struct virtio_pci *vp);
uint64_t virtio_pci_features(const struct virtio_pci *vp); /* negotiated (valid once FEATURES_OK) */

#endif
