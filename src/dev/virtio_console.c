/*
 * virtio-console: a single port with no control queue.
 *
 * Transmit is served synchronously on the driver's notify: each chain's
 * readable part goes to the output callback through a small bounce buffer
 * and the chain goes straight back.  A chain's output is capped at
 * VIRTIO_CONSOLE_MAX_TX bytes so one notify cannot hold the machine for
 * long; a real driver never sends more than a page or so per buffer.
 *
 * Receive is driven by the host: the machine offers pending input every
 * time slice, and we fill whatever buffers the driver has posted.  A
 * buffer is popped only when there is a byte to put in it, so the driver's
 * buffers stay posted while the host has nothing to say.
 */
#include <stdlib.h>

#include "dev/le.h"
#include "dev/virtio_console.h"
#include "dev/virtio_pci.h"

#define CHUNK 256

struct virtio_console {
	struct virtio_console_config cfg;
	uint8_t config[VIRTIO_CONSOLE_CFG_LEN];
	struct virtio_pci *vp;
	struct virtq_chain chain; /* 12 KiB: kept off the stack */
};

/* emerg_wr stays 0 in config[]: it reads as 0. */
static void fill_config_space(struct virtio_console *c)
{
	put_le16(c->config + VIRTIO_CONSOLE_CFG_COLS, VIRTIO_CONSOLE_COLS);
	put_le16(c->config + VIRTIO_CONSOLE_CFG_ROWS, VIRTIO_CONSOLE_ROWS);
	put_le32(c->config + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 1);
}

static uint32_t config_read(void *opaque, unsigned offset, int size)
{
	struct virtio_console *c = opaque;
	return get_le(c->config + offset, size); /* the transport checked offset + size */
}

/* Only emerg_wr is writable; whatever the width, its low byte is the
 * character (the spec makes it a le32 holding one byte). */
static void config_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct virtio_console *c = opaque;
	(void)size;
	if (offset != VIRTIO_CONSOLE_CFG_EMERG_WR)
		return;
	uint8_t ch = (uint8_t)val;
	c->cfg.output(c->cfg.output_opaque, &ch, 1);
}

/* Sends the readable part of c->chain to the output, up to the cap.
 * Returns -1 if the chain could not be read (cannot happen: virtq_pop
 * has checked every segment against RAM). */
static int transmit_chain(struct virtio_console *c)
{
	uint32_t want = c->chain.readable_len;
	if (want > VIRTIO_CONSOLE_MAX_TX)
		want = VIRTIO_CONSOLE_MAX_TX;
	uint8_t buf[CHUNK];
	for (uint32_t done = 0; done < want;) {
		uint32_t n = want - done < CHUNK ? want - done : CHUNK;
		if (virtq_chain_read(c->cfg.ram, c->cfg.ram_size, &c->chain, done, buf, n) < 0)
			return -1;
		c->cfg.output(c->cfg.output_opaque, buf, n);
		done += n;
	}
	return 0;
}

/* Writable segments in a transmit chain carry nothing and are ignored. */
static void transmit(struct virtio_console *c)
{
	while (virtio_pci_pop(c->vp, VIRTIO_CONSOLE_TXQ, &c->chain) == 1) {
		if (transmit_chain(c) < 0) {
			virtio_pci_fail(c->vp, "transmit buffer outside guest RAM");
			return;
		}
		if (virtio_pci_push(c->vp, VIRTIO_CONSOLE_TXQ, c->chain.head, 0) < 0)
			return;
	}
}

/* The receiveq is filled by virtio_console_receive, not on notify: a
 * notify there only says new buffers were posted, and the machine offers
 * its pending input again on the next time slice anyway. */
static void on_notify(void *opaque, unsigned q)
{
	struct virtio_console *c = opaque;
	if (q == VIRTIO_CONSOLE_TXQ)
		transmit(c);
}

bool virtio_console_ready(const struct virtio_console *c)
{
	uint8_t st = virtio_pci_status(c->vp);
	return (st & VIRTIO_STATUS_DRIVER_OK) &&
	       !(st & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

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

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	if (!virtio_console_ready(c))
		return 0;
	while (done < len && virtio_pci_pop(c->vp, VIRTIO_CONSOLE_RXQ, &c->chain) == 1) {
		int64_t n = fill_rx_chain(c, buf + done, len - done);
		if (n < 0)
			break;
		if (virtio_pci_push(c->vp, VIRTIO_CONSOLE_RXQ, c->chain.head, (uint32_t)n) < 0)
			break;
		done += (size_t)n;
	}
	return done;
}

struct virtio_console *virtio_console_create(struct pci_bus *bus, int slot,
					     const struct virtio_console_config *cfg)
{
	if (!cfg->output || !cfg->ram)
		return NULL;
	struct virtio_console *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	fill_config_space(c);
	struct virtio_pci_config vc = {
		.name = "virtio-console",
		.device_type = VIRTIO_ID_CONSOLE,
		.class_code = 0x07, .subclass = 0x80, /* other communication controller, as QEMU */
		.features = 1ull << VIRTIO_CONSOLE_F_SIZE | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE,
		.num_queues = 2,
		.queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
		.config_len = VIRTIO_CONSOLE_CFG_LEN,
		.ram = cfg->ram, .ram_size = cfg->ram_size,
		.config_read = config_read, .config_write = config_write,
		.queue_notify = on_notify,
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
