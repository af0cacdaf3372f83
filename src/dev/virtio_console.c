/*
 * virtio-console: the console port (hvc0) and, with MULTIPORT, named ports.
 *
 * Transmit is served on the driver's notify: each chain's readable part
 * goes to its port's output through a bounce buffer and the chain
 * goes back.  A chain's output is capped at VIRTIO_CONSOLE_MAX_TX bytes so
 * one notify cannot hold the machine for long; a real driver never sends
 * more than 32 KiB per buffer.  The console's output takes everything; a
 * named port's may take less (its consumer is another process that reads
 * at its own pace), and then the chain waits, unused, until
 * virtio_console_poll offers the rest: the guest's writes block, nothing
 * is dropped and nothing is buffered here beyond the guest's own ring.
 *
 * Receive is driven by the host: the machine offers pending input every
 * time slice, and we fill whatever buffers the driver has posted.  A
 * buffer is popped only when there is a byte to put in it, so the driver's
 * buffers stay posted while the host has nothing to say.
 *
 * The control queues (MULTIPORT) are in virtio_console_ctl.c.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"
#include "dev/virtio_console_internal.h"


/* emerg_wr stays 0 in config[]: it reads as 0. */
static void fill_config_space(struct virtio_console *c)
{
	put_le16(c->config + VIRTIO_CONSOLE_CFG_COLS, VIRTIO_CONSOLE_COLS);
	put_le16(c->config + VIRTIO_CONSOLE_CFG_ROWS, VIRTIO_CONSOLE_ROWS);
	put_le32(c->config + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
		 c->multiport_offered ? VIRTIO_CONSOLE_MAX_PORTS : 1);
}

static uint32_t config_read(void *opaque, unsigned offset, int size)
{
	struct virtio_console *c = opaque;
	return get_le(c->config + offset, size); /* the transport checked offset + size */
}

/* Only emerg_wr is writable; whatever the width, its low byte is the
 * character (the spec makes it a le32 holding one byte).  It belongs to
 * the console port; without one it goes nowhere. */
static void config_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct virtio_console *c = opaque;
	(void)size;
	if (offset != VIRTIO_CONSOLE_CFG_EMERG_WR || !c->port[0].exists)
		return;
	uint8_t ch = (uint8_t)val;
	c->port[0].output(c->port[0].opaque, &ch, 1);
}

bool vc_multiport(const struct virtio_console *c)
{
	return c->multiport_offered &&
	       (virtio_pci_features(c->vp) & 1ull << VIRTIO_CONSOLE_F_MULTIPORT) &&
	       (virtio_pci_status(c->vp) & VIRTIO_STATUS_FEATURES_OK);
}

/* --- transmit ------------------------------------------------------------- */

/* Offers the rest of port p's waiting chain to its output.  0 when all of
 * it was taken, 1 when the output took less (back-pressure), -1 if the
 * chain could not be read (cannot happen: virtq_pop checked every segment
 * against RAM).  A named port the guest has not opened drops its data:
 * it belongs to no stream. */
static int feed_output(struct virtio_console *c, struct vc_port *pt)
{
	if (!pt->console && !pt->guest_open) {
		pt->tx_off = pt->tx_len;
		return 0;
	}
	while (pt->tx_off < pt->tx_len) {
		uint32_t n = pt->tx_len - pt->tx_off;
		if (n > VIRTIO_CONSOLE_BOUNCE)
			n = VIRTIO_CONSOLE_BOUNCE;
		if (virtq_chain_read(c->cfg.ram, c->cfg.ram_size, &pt->tx, pt->tx_off, c->bounce, n) < 0)
			return -1;
		size_t took = pt->output(pt->opaque, c->bounce, n);
		pt->tx_off += took < n ? (uint32_t)took : n;
		if (took < n)
			return 1;
	}
	return 0;
}

/* Writable segments in a transmit chain carry nothing and are ignored. */
bool vc_port_transmit(struct virtio_console *c, unsigned p)
{
	struct vc_port *pt = &c->port[p];
	if (!pt->exists)
		return true;
	for (;;) {
		if (!pt->tx_waiting) {
			if (virtio_pci_pop(c->vp, vc_txq(p), &pt->tx) != 1)
				return true;
			pt->tx_waiting = true;
			pt->tx_off = 0;
			pt->tx_len = pt->tx.readable_len < VIRTIO_CONSOLE_MAX_TX ?
					     pt->tx.readable_len : VIRTIO_CONSOLE_MAX_TX;
		}
		int r = feed_output(c, pt);
		if (r < 0) {
			pt->tx_waiting = false;
			virtio_pci_fail(c->vp, "transmit buffer outside guest RAM");
			return true;
		}
		if (r > 0)
			return false;
		pt->tx_waiting = false;
		if (virtio_pci_push(c->vp, vc_txq(p), pt->tx.head, 0) < 0)
			return true;
	}
}

/* The queue q belongs to which port; -1 for the control queues. */
static int port_of_queue(unsigned q)
{
	if (q == VIRTIO_CONSOLE_RXQ || q == VIRTIO_CONSOLE_TXQ)
		return 0;
	if (q == VIRTIO_CONSOLE_CTRL_RXQ || q == VIRTIO_CONSOLE_CTRL_TXQ)
		return -1;
	return (int)(q - 2) / 2;
}

/* Receive queues are filled by the host's receive calls, not on notify:
 * a notify there only says new buffers were posted.  A named port's
 * output waits while a control message is held for another port, since
 * the data may come after an open still held behind it. */
static void on_notify(void *opaque, unsigned q)
{
	struct virtio_console *c = opaque;
	int p = port_of_queue(q);
	if (q == VIRTIO_CONSOLE_CTRL_TXQ) {
		vc_ctl_receive(c);
	} else if (q == VIRTIO_CONSOLE_CTRL_RXQ) {
		vc_ctl_flush(c);
	} else if (p >= 0 && q == vc_txq((unsigned)p)) {
		if (p > 0 && !vc_multiport(c))
			return;
		if (p == 0 || !c->ctl_waiting)
			vc_port_transmit(c, (unsigned)p);
	}
}

/* The driver reset the device: every chain it had posted is void, and a
 * port the guest had open is closed now (its consumer must drop a
 * half-sent stream). */
static void on_reset(void *opaque)
{
	struct virtio_console *c = opaque;
	for (unsigned p = 0; p < VIRTIO_CONSOLE_MAX_PORTS; p++) {
		struct vc_port *pt = &c->port[p];
		bool was_open = pt->guest_open && !pt->console;
		pt->added = pt->ready = pt->guest_open = false;
		pt->tx_waiting = false;
		if (was_open && pt->guest_open_cb)
			pt->guest_open_cb(pt->opaque, false);
	}
	vc_ctl_reset(c);
}

void virtio_console_poll(struct virtio_console *c)
{
	if (!virtio_console_ready(c))
		return;
	vc_port_transmit(c, 0);
	if (!vc_multiport(c))
		return;
	vc_ctl_receive(c); /* first the held message's port, then the rest */
	if (!c->ctl_waiting) {
		for (unsigned p = 1; p < VIRTIO_CONSOLE_MAX_PORTS; p++)
			vc_port_transmit(c, p);
	}
	vc_ctl_flush(c);
}

bool virtio_console_ready(const struct virtio_console *c)
{
	uint8_t st = virtio_pci_status(c->vp);
	return (st & VIRTIO_STATUS_DRIVER_OK) &&
	       !(st & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

/* --- receive -------------------------------------------------------------- */

/* Fills c->chain with up to len bytes of buf and returns the count, or -1
 * once the device has been failed.  Receive buffers must be wholly
 * device-writable: anything else is a driver bug. */
static int64_t fill_rx_chain(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	if (c->chain.nreadable) {
		virtio_pci_fail(c->vp, "receive buffer has a device-readable segment");
		return -1;
	}
	if (c->chain.writable_len == 0) {
		virtio_pci_fail(c->vp, "receive buffer of length 0");
		return -1;
	}
	uint32_t n = c->chain.writable_len;
	if (len < n)
		n = (uint32_t)len;
	if (virtio_pci_chain_write(c->vp, &c->chain, 0, buf, n) < 0) {
		virtio_pci_fail(c->vp, "receive buffer outside guest RAM");
		return -1;
	}
	return n;
}

static size_t receive_on(struct virtio_console *c, unsigned q, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len && virtio_pci_pop(c->vp, q, &c->chain) == 1) {
		int64_t n = fill_rx_chain(c, buf + done, len - done);
		if (n < 0)
			break;
		if (virtio_pci_push(c->vp, q, c->chain.head, (uint32_t)n) < 0)
			break;
		done += (size_t)n;
	}
	return done;
}

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	if (!c->port[0].exists || !virtio_console_ready(c))
		return 0;
	return receive_on(c, VIRTIO_CONSOLE_RXQ, buf, len);
}

bool virtio_console_port_guest_open(const struct virtio_console *c, unsigned p)
{
	if (p == 0 || p >= VIRTIO_CONSOLE_MAX_PORTS || !virtio_console_ready(c) || !vc_multiport(c))
		return false;
	const struct vc_port *pt = &c->port[p];
	return pt->exists && pt->ready && pt->guest_open;
}

size_t virtio_console_port_receive(struct virtio_console *c, unsigned p, const uint8_t *buf,
				   size_t len)
{
	if (!virtio_console_port_guest_open(c, p))
		return 0;
	return receive_on(c, vc_rxq(p), buf, len);
}

bool virtio_console_port_tx_waiting(const struct virtio_console *c, unsigned p)
{
	return p < VIRTIO_CONSOLE_MAX_PORTS && c->port[p].tx_waiting;
}

unsigned long virtio_console_bad_control(const struct virtio_console *c)
{
	return c->bad_control;
}

/* --- creation ------------------------------------------------------------- */

static size_t console_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_console *c = opaque;
	c->cfg.output(c->cfg.output_opaque, buf, len);
	return len;
}

/* A name is 1..VIRTIO_CONSOLE_NAME_MAX printable ASCII bytes, no space. */
static bool good_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > VIRTIO_CONSOLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	}
	return true;
}

static int setup_ports(struct virtio_console *c, const struct virtio_console_config *cfg)
{
	if (cfg->output) {
		c->port[0] = (struct vc_port){ .exists = true, .console = true, .host_open = true,
					       .output = console_output, .opaque = c };
	}
	for (unsigned p = 1; p < VIRTIO_CONSOLE_MAX_PORTS; p++) {
		const struct virtio_console_port_config *pc = &cfg->ports[p];
		if (!pc->name)
			continue;
		if (!good_name(pc->name) || !pc->output)
			return -1;
		struct vc_port *pt = &c->port[p];
		pt->exists = true;
		pt->name_len = strlen(pc->name);
		memcpy(pt->name, pc->name, pt->name_len + 1);
		pt->output = pc->output;
		pt->guest_open_cb = pc->guest_open;
		pt->opaque = pc->opaque;
		pt->host_open = pc->host_open;
		c->multiport_offered = true;
	}
	return c->port[0].exists || c->multiport_offered ? 0 : -1;
}

struct virtio_console *virtio_console_create(struct pci_bus *bus, int slot,
					     const struct virtio_console_config *cfg)
{
	if (!cfg->ram)
		return NULL;
	struct virtio_console *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (setup_ports(c, cfg) < 0) {
		free(c);
		return NULL;
	}
	fill_config_space(c);
	uint64_t features = 1ull << VIRTIO_CONSOLE_F_SIZE | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
	if (c->multiport_offered)
		features |= 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
	struct virtio_pci_config vc = {
		.name = "virtio-console",
		.device_type = VIRTIO_ID_CONSOLE,
		.class_code = 0x07, .subclass = 0x80, /* other communication controller, as QEMU */
		.features = features,
		.num_queues = c->multiport_offered ? 2 * (VIRTIO_CONSOLE_MAX_PORTS + 1) : 2,
		.queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
		.config_len = VIRTIO_CONSOLE_CFG_LEN,
		.ram = cfg->ram, .ram_size = cfg->ram_size,
		.config_read = config_read, .config_write = config_write,
		.queue_notify = on_notify, .reset = on_reset,
		.opaque = c,
		.log = cfg->log, .log_opaque = cfg->log_opaque,
		.ram_written = cfg->ram_written, .ram_opaque = cfg->ram_opaque,
	};
	c->vp = virtio_pci_create(bus, slot, &vc);
	if (!c->vp) {
		free(c);
		return NULL;
	}
	return c;
}

void virtio_console_destroy(struct virtio_console *c)
{
	if (!c)
		return;
	virtio_pci_destroy(c->vp);
	free(c);
}

struct virtio_pci *virtio_console_transport(struct virtio_console *c)
{
	return c->vp;
}
