/*
 * virtio-console (virtio device type 3) on the virtio-pci transport.
 *
 * Port 0 is the classic console (hvc0): receiveq 0 carries host input to
 * the guest in device-writable buffers the driver posts, transmitq 1
 * carries guest output in device-readable buffers, and the guest may also
 * write single bytes through the emerg_wr config field.
 *
 * With named ports configured the device offers VIRTIO_CONSOLE_F_MULTIPORT:
 * queues 2 and 3 become the control receiveq and transmitq, and port p >= 1
 * has receiveq 2p+2 and transmitq 2p+3.  The guest learns each port's name
 * (Linux shows it in /sys/class/virtio-ports/vportNpM/name) from a
 * PORT_NAME control message.  A named port is a byte pipe: its output
 * callback may take less than it is offered (back-pressure; the chain
 * waits and virtio_console_poll offers the rest later), and the guest's
 * open and close of the port reach the guest_open callback in order with
 * its data.
 *
 * Output leaves through callbacks and input arrives through
 * virtio_console_receive / virtio_console_port_receive, so the device never
 * calls the OS itself.
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
#define VIRTIO_CONSOLE_CTRL_RXQ 2      /* multiport: control device -> driver */
#define VIRTIO_CONSOLE_CTRL_TXQ 3      /* multiport: control driver -> device */
#define VIRTIO_CONSOLE_MAX_TX 65536u   /* bytes output per transmit chain; the rest dropped */
#define VIRTIO_CONSOLE_COLS 80
#define VIRTIO_CONSOLE_ROWS 25
/* Ports 0..2: the console and two named ports fill the transport's eight
 * queues (2 per port plus 2 for control). */
#define VIRTIO_CONSOLE_MAX_PORTS 3
#define VIRTIO_CONSOLE_NAME_MAX 63     /* bytes of a port name */

/* Feature bits. */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1   /* offered only when named ports exist */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Config space offsets. */
#define VIRTIO_CONSOLE_CFG_COLS 0          /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS 2          /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4  /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR 8      /* le32, write-only */
#define VIRTIO_CONSOLE_CFG_LEN 12

/* Control messages: struct virtio_console_control { le32 id; le16 event;
 * le16 value; }, PORT_NAME followed by the name's bytes. */
#define VIRTIO_CONSOLE_CTRL_LEN 8
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

/* A named port (1..VIRTIO_CONSOLE_MAX_PORTS-1). */
struct virtio_console_port_config {
	const char *name;        /* NULL: the port does not exist */
	/* Guest output: returns how many of len bytes were taken.  Fewer than
	 * len keeps the rest of the chain for the next virtio_console_poll. */
	size_t (*output)(void *opaque, const uint8_t *buf, size_t len);
	/* The guest opened (true) or closed (false) the port, or the driver
	 * went away while it was open (false).  Optional. */
	void (*guest_open)(void *opaque, bool open);
	void *opaque;
	bool host_open;          /* initial host side: the guest may write */
};

struct virtio_console_config {
	uint8_t *ram;
	uint32_t ram_size;
	/* Port 0, the console: bytes the guest wrote (transmitq or emerg_wr).
	 * NULL: no console port (allowed only with named ports). */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	void *output_opaque;
	struct virtio_console_port_config ports[VIRTIO_CONSOLE_MAX_PORTS]; /* [0] unused */
	void (*log)(void *log_opaque, const char *msg); /* optional */
	void *log_opaque;
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
};

struct virtio_console;

/* NULL when the slot is taken or the config is incomplete (neither a
 * console nor a named port, a named port without output, a bad name). */
struct virtio_console *virtio_console_create(struct pci_bus *bus, int slot,
					     const struct virtio_console_config *cfg);
/* Frees it; its PCI function stays on the bus, unused, until pci_destroy. */
void virtio_console_destroy(struct virtio_console *c);
struct virtio_pci *virtio_console_transport(struct virtio_console *c);

/* Host input to the console port: copies as much of buf as fits into the
 * receive buffers the driver has posted and returns how many bytes it
 * took; 0 when the driver is not ready or has no buffer posted.  The
 * caller keeps the rest and offers it again later. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len);
/* The same for named port p; 0 also while the guest has not opened the
 * port (Linux drops data that arrives for a port nobody has open). */
size_t virtio_console_port_receive(struct virtio_console *c, unsigned p, const uint8_t *buf,
				   size_t len);
/* DRIVER_OK is set and the device is neither broken nor given up on. */
bool virtio_console_ready(const struct virtio_console *c);
/* Port p is announced, ready and open in the guest. */
bool virtio_console_port_guest_open(const struct virtio_console *c, unsigned p);
/* Tells the guest the host side of port p opened or closed. */
void virtio_console_port_set_host_open(struct virtio_console *c, unsigned p, bool open);
/* Offers waiting output to the ports' callbacks again, then resumes the
 * control queue and sends queued control messages.  The machine calls it
 * every slice. */
void virtio_console_poll(struct virtio_console *c);
/* Output chains still waiting for port p's callback (back-pressure). */
bool virtio_console_port_tx_waiting(const struct virtio_console *c, unsigned p);
/* Control messages from the driver that were malformed or out of place and
 * ignored, since creation. */
unsigned long virtio_console_bad_control(const struct virtio_console *c);

#endif
