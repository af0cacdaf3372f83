/*
 * virtio-net (virtio device type 1) on the virtio-pci transport: one
 * receive queue and one transmit queue, no control queue, no offloads.
 * Frames leave through a backend callback and arrive through
 * virtio_net_receive, so the device never calls the OS itself (the machine
 * wires both ends to the host layer, e.g. host/netsock.h).
 *
 * Offered features: MAC and STATUS only.  Without MRG_RXBUF every receive
 * buffer the driver posts must hold the whole 12-byte header and frame
 * (Linux then posts buffers of 12 + 1518 bytes or more).
 *
 * Every buffer on either queue starts with a struct virtio_net_hdr, which
 * with VERSION_1 is 12 bytes: flags u8, gso_type u8, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers (all le16).
 *
 * A frame is an Ethernet frame without FCS, VIRTIO_NET_MIN_FRAME ..
 * VIRTIO_NET_MAX_FRAME bytes.  A transmitted frame that breaks the rules
 * (size, a short header, offload flags that were not negotiated, a
 * device-writable segment) is dropped and counted, not treated as a broken
 * driver: the guest's network stack, not its virtio driver, decides what a
 * frame looks like.  A receive chain with device-readable segments is a
 * broken driver: DEVICE_NEEDS_RESET.
 */
#ifndef CORDON_DEV_VIRTIO_NET_H
#define CORDON_DEV_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/pci.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/* Feature bits. */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16

/* Config space offsets (little-endian). */
#define VIRTIO_NET_CFG_MAC 0        /* 6 bytes */
#define VIRTIO_NET_CFG_STATUS 6     /* le16 */
#define VIRTIO_NET_CFG_MAX_PAIRS 8  /* le16, always 1 */
#define VIRTIO_NET_CFG_LEN 10

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_MIN_FRAME 14     /* an Ethernet header */
#define VIRTIO_NET_MAX_FRAME 1518   /* 1514 + one VLAN tag */

struct virtio_net_backend {
	/* A frame the guest sent (already size-checked).  0, or -1 if the
	 * backend failed (the frame is counted as dropped). */
	int (*send)(void *opaque, const uint8_t *frame, size_t len);
	void *opaque;
};

struct virtio_net_stats {
	uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
};

struct virtio_net_config {
	uint8_t *ram;
	uint32_t ram_size;
	uint8_t mac[6];
	bool link_up;             /* the initial link state */
	struct virtio_net_backend backend;
	void (*log)(void *log_opaque, const char *msg); /* optional */
	void *log_opaque;
	void (*ram_written)(void *ram_opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
};

struct virtio_net;

/* NULL when the slot is taken or the config is incomplete. */
struct virtio_net *virtio_net_create(struct pci_bus *bus, int slot, const struct virtio_net_config *cfg);
/* Frees it; its PCI function stays on the bus, unused, until pci_destroy. */
void virtio_net_destroy(struct virtio_net *n);
struct virtio_pci *virtio_net_transport(struct virtio_net *n);

/* Hands one frame from the host to the guest.  1 when delivered; 0 when
 * the guest cannot take it now (not DRIVER_OK, link down, device broken,
 * no receive buffer posted): keep the frame and retry later; -1 when the
 * frame was dropped (bad size, or the buffer the driver posted is too
 * small; that buffer goes back with length 0). */
int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len);
/* DRIVER_OK, not broken, link up.  Cheap; buffers may still be absent. */
bool virtio_net_can_receive(const struct virtio_net *n);
/* Changes the link state the guest sees; a change raises a config
 * interrupt. */
void virtio_net_set_link(struct virtio_net *n, bool up);
struct virtio_net_stats virtio_net_stats(const struct virtio_net *n);

#endif
