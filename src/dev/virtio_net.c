/*
 * virtio-net: transmit chains are handled synchronously on notify, each
 * frame copied out of guest RAM into a device-owned buffer before the
 * backend sees it (the backend never sees guest RAM, and the guest cannot
 * change a frame under it).  Receive is driven by the host side: whoever
 * holds a frame calls virtio_net_receive, which takes one posted buffer.
 *
 * The device keeps no queue of its own: a frame the guest cannot take yet
 * stays with the caller, so back-pressure reaches the backend and nothing
 * here grows without bound.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"
#include "dev/virtio_net.h"
#include "dev/virtio_pci.h"

#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_NUM_BUFFERS 10
#define BUF_LEN (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)

struct virtio_net {
	struct virtio_net_config cfg;
	struct virtio_pci *vp;
	bool link_up;
	uint8_t config[VIRTIO_NET_CFG_LEN];
	struct virtio_net_stats stats;
	struct virtq_chain chain; /* 12 KiB: kept off the stack */
	uint8_t tx_buf[BUF_LEN];  /* header + frame, copied out of guest RAM */
	uint8_t rx_buf[BUF_LEN];  /* header + frame, stored into guest RAM */
};

static bool frame_size_ok(size_t len)
{
	return len >= VIRTIO_NET_MIN_FRAME && len <= VIRTIO_NET_MAX_FRAME;
}

static uint32_t config_read(void *opaque, unsigned offset, int size)
{
	struct virtio_net *n = opaque;
	return get_le(n->config + offset, size); /* the transport checked offset + size */
}

static void config_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	/* Only legacy drivers wrote the MAC here; a virtio 1.x driver must not
	 * write any field (spec 5.1.4.2), so writes are ignored. */
	(void)opaque, (void)offset, (void)size, (void)val;
}

/* --- transmit -------------------------------------------------------------- */

/*
 * Checks the chain in n->chain and copies its header + frame into tx_buf.
 * Returns the frame length, 0 if the frame is to be dropped, or -1 if guest
 * RAM could not be read (the device has then been failed).
 */
static int32_t take_tx_frame(struct virtio_net *n)
{
	const struct virtq_chain *c = &n->chain;
	if (c->writable_len || c->nreadable != c->nseg)
		return 0; /* nothing on the transmit queue is ours to write */
	if (c->readable_len < VIRTIO_NET_HDR_LEN)
		return 0;
	uint32_t len = c->readable_len - VIRTIO_NET_HDR_LEN;
	if (!frame_size_ok(len))
		return 0;
	if (virtq_chain_read(n->cfg.ram, n->cfg.ram_size, c, 0, n->tx_buf, VIRTIO_NET_HDR_LEN + len) < 0) {
		virtio_pci_fail(n->vp, "transmit buffer outside guest RAM");
		return -1; /* cannot happen: pop checked every segment */
	}
	/* No checksum or GSO offload was negotiated: a driver asking for one
	 * sends a frame we cannot finish for it. */
	if (n->tx_buf[HDR_FLAGS] || n->tx_buf[HDR_GSO_TYPE])
		return 0;
	return (int32_t)len;
}

static void transmit_one(struct virtio_net *n, uint32_t len)
{
	const struct virtio_net_backend *b = &n->cfg.backend;
	if (b->send(b->opaque, n->tx_buf + VIRTIO_NET_HDR_LEN, len) < 0)
		n->stats.tx_dropped++;
	else
		n->stats.tx_frames++;
}

static void on_transmit(struct virtio_net *n)
{
	int rc;
	while ((rc = virtio_pci_pop(n->vp, VIRTIO_NET_TXQ, &n->chain)) == 1) {
		int32_t len = take_tx_frame(n);
		if (len < 0)
			return;
		if (len == 0)
			n->stats.tx_dropped++;
		else
			transmit_one(n, (uint32_t)len);
		if (virtio_pci_push(n->vp, VIRTIO_NET_TXQ, n->chain.head, 0) < 0)
			return;
	}
	/* rc == -1: the ring was broken and the transport failed the device. */
}

static void on_notify(void *opaque, unsigned q)
{
	struct virtio_net *n = opaque;
	if (q == VIRTIO_NET_TXQ)
		on_transmit(n);
	/* A receiveq notify only says buffers were posted: the host side finds
	 * them on its next virtio_net_receive. */
}

/* --- receive --------------------------------------------------------------- */

bool virtio_net_can_receive(const struct virtio_net *n)
{
	uint8_t st = virtio_pci_status(n->vp);
	return (st & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_NEEDS_RESET) && n->link_up;
}

/* Stores header + frame into the popped receive chain and returns it. */
static int deliver(struct virtio_net *n, const uint8_t *frame, uint32_t len)
{
	memset(n->rx_buf, 0, VIRTIO_NET_HDR_LEN);
	put_le16(n->rx_buf + HDR_NUM_BUFFERS, 1);
	memcpy(n->rx_buf + VIRTIO_NET_HDR_LEN, frame, len);
	uint32_t total = VIRTIO_NET_HDR_LEN + len;
	if (virtio_pci_chain_write(n->vp, &n->chain, 0, n->rx_buf, total) < 0) {
		virtio_pci_fail(n->vp, "receive buffer outside guest RAM");
		return 0; /* cannot happen: pop checked every segment */
	}
	if (virtio_pci_push(n->vp, VIRTIO_NET_RXQ, n->chain.head, total) < 0)
		return 0;
	n->stats.rx_frames++;
	return 1;
}

int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	if (!frame_size_ok(len)) {
		n->stats.rx_dropped++; /* never deliverable: do not make the caller retry */
		return -1;
	}
	if (!virtio_net_can_receive(n))
		return 0;
	if (virtio_pci_pop(n->vp, VIRTIO_NET_RXQ, &n->chain) != 1)
		return 0; /* no buffer posted, or the ring broke the device */
	if (n->chain.nreadable) {
		virtio_pci_fail(n->vp, "receive buffer with device-readable segments");
		return 0;
	}
	if (n->chain.writable_len < VIRTIO_NET_HDR_LEN + len) {
		/* Without MRG_RXBUF a frame must fit one buffer; an empty used
		 * entry makes the driver count an error and repost. */
		n->stats.rx_dropped++;
		virtio_pci_push(n->vp, VIRTIO_NET_RXQ, n->chain.head, 0);
		return -1;
	}
	return deliver(n, frame, (uint32_t)len);
}

/* --- link, stats, creation -------------------------------------------------- */

static void store_status(struct virtio_net *n)
{
	put_le16(n->config + VIRTIO_NET_CFG_STATUS, n->link_up ? VIRTIO_NET_S_LINK_UP : 0);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	if (n->link_up == up)
		return;
	n->link_up = up;
	store_status(n);
	virtio_pci_config_changed(n->vp);
}

struct virtio_net_stats virtio_net_stats(const struct virtio_net *n)
{
	return n->stats;
}

static void fill_config_space(struct virtio_net *n)
{
	memcpy(n->config + VIRTIO_NET_CFG_MAC, n->cfg.mac, 6);
	store_status(n);
	put_le16(n->config + VIRTIO_NET_CFG_MAX_PAIRS, 1);
}

struct virtio_net *virtio_net_create(struct pci_bus *bus, int slot, const struct virtio_net_config *cfg)
{
	if (!cfg->ram || !cfg->backend.send)
		return NULL;
	struct virtio_net *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->cfg = *cfg;
	n->link_up = cfg->link_up;
	fill_config_space(n);
	struct virtio_pci_config vc = {
		.name = "virtio-net",
		.device_type = VIRTIO_ID_NET,
		.class_code = 0x02, .subclass = 0x00, /* network, Ethernet */
		.features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS,
		.num_queues = 2,
		.queue_max_size = VIRTIO_NET_QUEUE_SIZE,
		.config_len = VIRTIO_NET_CFG_LEN,
		.ram = cfg->ram, .ram_size = cfg->ram_size,
		.config_read = config_read, .config_write = config_write,
		.queue_notify = on_notify,
		.opaque = n,
		.log = cfg->log, .log_opaque = cfg->log_opaque,
		.ram_written = cfg->ram_written, .ram_opaque = cfg->ram_opaque,
	};
	n->vp = virtio_pci_create(bus, slot, &vc);
	if (!n->vp) {
		free(n);
		return NULL;
	}
	return n;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	virtio_pci_destroy(n->vp);
	free(n);
}

struct virtio_pci *virtio_net_transport(struct virtio_net *n)
{
	return n->vp;
}
