/*
 * virtio-console's MULTIPORT control queues (virtio 1.x, 5.3.6.2).
 *
 * Driver -> device (control transmitq).  Every message is guest data: it
 * must be at least 8 bytes, name a port that exists and has been added,
 * and come in order (DEVICE_READY once, then PORT_READY once per added
 * port, then PORT_OPEN 1 and 0 alternating).  Anything else is counted
 * and ignored; it never breaks the device, never makes us queue a reply,
 * and never reaches a port's callbacks.  So however hostile the driver,
 * each reset can provoke at most one DEVICE_ADD per port and one
 * CONSOLE_PORT, PORT_NAME and PORT_OPEN per port: the reply queue is
 * bounded by construction.
 *
 * A PORT_OPEN for port p is applied only after p's transmit chains have
 * all been taken by its output, so the open or close reaches the port's
 * consumer in order with the bytes written before it.  While it waits,
 * nothing behind it is read from the control queue, and named ports'
 * output waits too.  Linux waits for each control message to be used
 * before it goes on, so its opens, closes and data stay in order; a
 * driver that does not may see its own streams cut wrongly, which harms
 * nobody but itself.
 *
 * Device -> driver (control receiveq).  Replies wait in c->out until the
 * driver has posted a buffer; the host's own PORT_OPEN for a port
 * replaces one still queued for the same port.
 */
#include <string.h>

#include "dev/le.h"
#include "dev/virtio_console_internal.h"

/* --- device -> driver ------------------------------------------------------ */

void vc_ctl_queue(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value)
{
	if (event == VIRTIO_CONSOLE_PORT_OPEN) {
		for (unsigned i = 0; i < c->nout; i++) {
			if (c->out[i].id == id && c->out[i].event == event) {
				c->out[i].value = value;
				return;
			}
		}
	}
	if (c->nout < CTRL_OUT_MAX) /* always true: see the bound above */
		c->out[c->nout++] = (struct vc_ctrl){ id, event, value };
}

/* Writes message m into c->chain; 0, or -1 once the device is failed. */
static int put_ctrl(struct virtio_console *c, const struct vc_ctrl *m, uint32_t *len)
{
	uint8_t msg[VIRTIO_CONSOLE_CTRL_LEN + VIRTIO_CONSOLE_NAME_MAX];
	put_le32(msg, m->id);
	put_le16(msg + 4, m->event);
	put_le16(msg + 6, m->value);
	*len = VIRTIO_CONSOLE_CTRL_LEN;
	if (m->event == VIRTIO_CONSOLE_PORT_NAME) {
		const struct vc_port *pt = &c->port[m->id];
		memcpy(msg + *len, pt->name, pt->name_len);
		*len += (uint32_t)pt->name_len;
	}
	if (c->chain.nreadable) {
		virtio_pci_fail(c->vp, "control receive buffer has a device-readable segment");
		return -1;
	}
	if (c->chain.writable_len < *len) {
		virtio_pci_fail(c->vp, "control receive buffer too small");
		return -1;
	}
	if (virtio_pci_chain_write(c->vp, &c->chain, 0, msg, *len) < 0) {
		virtio_pci_fail(c->vp, "control receive buffer outside guest RAM");
		return -1;
	}
	return 0;
}

void vc_ctl_flush(struct virtio_console *c)
{
	if (!vc_multiport(c) || !virtio_console_ready(c))
		return;
	unsigned sent = 0;
	while (sent < c->nout && virtio_pci_pop(c->vp, VIRTIO_CONSOLE_CTRL_RXQ, &c->chain) == 1) {
		uint32_t len;
		if (put_ctrl(c, &c->out[sent], &len) < 0)
			return;
		if (virtio_pci_push(c->vp, VIRTIO_CONSOLE_CTRL_RXQ, c->chain.head, len) < 0)
			return;
		sent++;
	}
	memmove(c->out, c->out + sent, (c->nout - sent) * sizeof(c->out[0]));
	c->nout -= sent;
}

void vc_ctl_reset(struct virtio_console *c)
{
	c->device_ready = false;
	c->ctl_waiting = false;
	c->nout = 0;
}

void virtio_console_port_set_host_open(struct virtio_console *c, unsigned p, bool open)
{
	if (p == 0 || p >= VIRTIO_CONSOLE_MAX_PORTS || !c->port[p].exists ||
	    c->port[p].host_open == open)
		return;
	c->port[p].host_open = open;
	if (c->port[p].ready) {
		vc_ctl_queue(c, p, VIRTIO_CONSOLE_PORT_OPEN, open);
		vc_ctl_flush(c);
	}
}

/* --- driver -> device ------------------------------------------------------ */

/* Its id names no port (Linux sends VIRTIO_CONSOLE_BAD_ID, ~0): ignored. */
static void device_ready(struct virtio_console *c, const struct vc_ctrl *m)
{
	if (c->device_ready || m->value != 1) {
		c->bad_control++; /* a second READY, or the driver failed to start */
		return;
	}
	c->device_ready = true;
	for (unsigned p = 0; p < VIRTIO_CONSOLE_MAX_PORTS; p++) {
		if (!c->port[p].exists)
			continue;
		c->port[p].added = true;
		vc_ctl_queue(c, p, VIRTIO_CONSOLE_DEVICE_ADD, 1);
	}
}

static void port_ready(struct virtio_console *c, struct vc_port *pt, const struct vc_ctrl *m)
{
	if (pt->ready || m->value != 1) {
		c->bad_control++; /* again, or the driver could not set the port up */
		return;
	}
	pt->ready = true;
	if (pt->console)
		vc_ctl_queue(c, m->id, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
	if (pt->name_len)
		vc_ctl_queue(c, m->id, VIRTIO_CONSOLE_PORT_NAME, 1);
	if (pt->host_open)
		vc_ctl_queue(c, m->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
}

static void port_open(struct virtio_console *c, struct vc_port *pt, const struct vc_ctrl *m)
{
	if (!pt->ready || m->value > 1 || pt->guest_open == (m->value == 1)) {
		c->bad_control++;
		return;
	}
	pt->guest_open = m->value == 1;
	if (!pt->console && pt->guest_open_cb)
		pt->guest_open_cb(pt->opaque, pt->guest_open);
}

/* Applies one message from the driver.  false when it must wait for its
 * port's output to drain first. */
static bool apply(struct virtio_console *c, const struct vc_ctrl *m)
{
	if (m->event == VIRTIO_CONSOLE_DEVICE_READY) {
		device_ready(c, m);
		return true;
	}
	if (m->id >= VIRTIO_CONSOLE_MAX_PORTS || !c->port[m->id].added) {
		c->bad_control++;
		return true;
	}
	struct vc_port *pt = &c->port[m->id];
	switch (m->event) {
	case VIRTIO_CONSOLE_PORT_READY:
		port_ready(c, pt, m);
		return true;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (!vc_port_transmit(c, m->id))
			return false;
		port_open(c, pt, m);
		return true;
	default: /* device -> driver events, or unknown */
		c->bad_control++;
		return true;
	}
}

/* Reads the 8-byte header of the chain in c->chain; false if short. */
static bool read_ctrl(struct virtio_console *c, struct vc_ctrl *m)
{
	uint8_t b[VIRTIO_CONSOLE_CTRL_LEN];
	if (c->chain.readable_len < sizeof(b) ||
	    virtq_chain_read(c->cfg.ram, c->cfg.ram_size, &c->chain, 0, b, sizeof(b)) < 0)
		return false;
	*m = (struct vc_ctrl){ get_le32(b), get_le16(b + 4), get_le16(b + 6) };
	return true;
}

void vc_ctl_receive(struct virtio_console *c)
{
	if (!vc_multiport(c))
		return;
	if (c->ctl_waiting) {
		if (!apply(c, &c->ctl_msg))
			return;
		c->ctl_waiting = false;
		if (virtio_pci_push(c->vp, VIRTIO_CONSOLE_CTRL_TXQ, c->ctl_head, 0) < 0)
			return;
	}
	while (virtio_pci_pop(c->vp, VIRTIO_CONSOLE_CTRL_TXQ, &c->chain) == 1) {
		struct vc_ctrl m;
		uint16_t head = c->chain.head;
		if (!read_ctrl(c, &m)) {
			c->bad_control++;
		} else if (!apply(c, &m)) {
			c->ctl_waiting = true;
			c->ctl_head = head;
			c->ctl_msg = m;
			return;
		}
		if (virtio_pci_push(c->vp, VIRTIO_CONSOLE_CTRL_TXQ, head, 0) < 0)
			return;
	}
	vc_ctl_flush(c);
}
