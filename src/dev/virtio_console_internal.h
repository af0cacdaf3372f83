/*
 * virtio-console's state, shared by its two files: virtio_console.c (the
 * transport glue and the ports' data queues) and virtio_console_ctl.c (the
 * MULTIPORT control queues).  Nothing outside src/dev/virtio_console*.c
 * includes this.
 */
#ifndef CORDON_DEV_VIRTIO_CONSOLE_INTERNAL_H
#define CORDON_DEV_VIRTIO_CONSOLE_INTERNAL_H

#include "dev/virtio_console.h"
#include "dev/virtio_pci.h"
#include "dev/virtq.h"

#define CTRL_OUT_MAX 32  /* queued device -> driver control messages */
/* Output is offered to a port in pieces of up to this: as much as Linux
 * puts in one buffer, and one transfer-port datagram. */
#define VIRTIO_CONSOLE_BOUNCE 32768u

struct vc_port {
	bool exists;
	bool console;            /* port 0 */
	char name[VIRTIO_CONSOLE_NAME_MAX + 1];
	size_t name_len;
	size_t (*output)(void *opaque, const uint8_t *buf, size_t len);
	void (*guest_open_cb)(void *opaque, bool open);
	void *opaque;
	/* Guest-side state, reset with the device. */
	bool added;              /* DEVICE_ADD sent */
	bool ready;              /* the driver answered PORT_READY */
	bool guest_open;         /* the driver said PORT_OPEN 1 */
	bool host_open;          /* kept across resets: it is the host's */
	/* A transmit chain popped but not yet wholly taken by output. */
	bool tx_waiting;
	uint32_t tx_off, tx_len;
	struct virtq_chain tx;   /* 12 KiB */
};

struct vc_ctrl {
	uint32_t id;
	uint16_t event, value;
};

struct virtio_console {
	struct virtio_console_config cfg;
	uint8_t config[VIRTIO_CONSOLE_CFG_LEN];
	struct virtio_pci *vp;
	bool multiport_offered;
	struct vc_port port[VIRTIO_CONSOLE_MAX_PORTS];
	struct virtq_chain chain; /* scratch for receive and control */
	uint8_t bounce[VIRTIO_CONSOLE_BOUNCE];
	/* Driver -> device control: one message may wait for its port's
	 * output to drain (so an open or close stays in order with the data
	 * written before it); nothing behind it is read meanwhile. */
	bool device_ready;       /* DEVICE_READY 1 seen since the last reset */
	bool ctl_waiting;
	uint16_t ctl_head;
	struct vc_ctrl ctl_msg;
	/* Device -> driver control messages not yet given a buffer. */
	struct vc_ctrl out[CTRL_OUT_MAX];
	unsigned nout;
	unsigned long bad_control;
};

static inline unsigned vc_rxq(unsigned p) { return p == 0 ? VIRTIO_CONSOLE_RXQ : 2 * p + 2; }
static inline unsigned vc_txq(unsigned p) { return vc_rxq(p) + 1; }

/* MULTIPORT negotiated and the driver has not failed the device. */
bool vc_multiport(const struct virtio_console *c);
/* Offers port p's waiting and new transmit chains to its output; false
 * while a chain is still waiting for the callback to take the rest. */
bool vc_port_transmit(struct virtio_console *c, unsigned p);

/* virtio_console_ctl.c */
void vc_ctl_receive(struct virtio_console *c);       /* driver -> device */
void vc_ctl_flush(struct virtio_console *c);         /* device -> driver */
void vc_ctl_queue(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value);
void vc_ctl_reset(struct virtio_console *c);

#endif
