/*
 * virtio-console (virtio device type 3) on the virtio-pci transport: one
 * port, no MULTIPORT, so exactly two queues.  Queue 0 (receiveq) carries
 * host input to the guest in device-writable buffers the driver posts;
 * queue 1 (transmitq) carries guest output in device-readable buffers.
 * The guest may also write single bytes through the emerg_wr config field.
 *
 * Output leaves through a callback and input arrives through
 * virtio_console_receive, so the device never calls the OS itself (the
 * machine wires both to the host terminal).
 */
#ifndef CORDON_DEV_VIRTIO_CONSOLE_H
#define CORDON_DEV_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/pci.h"

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_RXQ 0           /* receiveq: host -> guest */
#define VIRTIO_CONSOLE_TXQ 1           /* transmitq: guest -> host */
#define VIRTIO_CONSOLE_MAX_TX 65536u   /* bytes output per transmit chain; the rest dropped */
#define VIRTIO_CONSOLE_COLS 80
#define VIRTIO_CONSOLE_ROWS 25

/* Feature bits. */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1   /* not offered */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Config space offsets. */
#define VIRTIO_CONSOLE_CFG_COLS 0          /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS 2          /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4  /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR 8      /* le32, write-only */
#define VIRTIO_CONSOLE_CFG_LEN 12

struct virtio_console_config {
	uint8_t *ram;
	uint32_t ram_size;
	/* Bytes the guest wrote to the port (transmitq or emerg_wr). */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	void *output_opaque;
	void (*log)(void *log_opaque, const char *msg); /* optional */
	void *log_opaque;
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
};

struct virtio_console;

/* NULL when the slot is taken or the config is incomplete (no output). */
struct virtio_console *virtio_console_create(struct pci_bus *bus, int slot,
					     const struct virtio_console_config *cfg);
/* After pci_destroy: the bus holds pointers into the device. */
void virtio_console_destroy(struct virtio_console *c);
struct virtio_pci *virtio_console_transport(struct virtio_console *c);

/* Host input: copies as much of buf as fits into the receive buffers the
 * driver has posted and returns how many bytes it took; 0 when the driver
 * is not ready or has no buffer posted.  The caller keeps the rest and
 * offers it again later. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len);
/* DRIVER_OK is set and the device is neither broken nor given up on. */
bool virtio_console_ready(const struct virtio_console *c);

#endif
