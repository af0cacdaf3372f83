/*
 * The machine's NICs: up to VM_MAX_NICS virtio-net functions, eth0 in PCI
 * slot 8 to eth7 in slot 15, each with its cable (vm.h, enum vm_nic_link):
 *
 *   socket    --net socket:PATH to another cordon (host/netsock.h); the
 *             link is up while a peer is attached
 *   port      a port of a net's switch, a seqpacket socket the supervisor
 *             handed over; up until the switch hangs up
 *   diode-tx  a diode's sending end: a pipe's write end, and nothing to
 *             read.  The link is up from start to end, whatever the
 *             receiver does; the guest never receives a frame on it
 *   diode-rx  a diode's receiving end: a pipe's read end, and nothing to
 *             write.  Frames the guest sends on it are dropped here and
 *             counted (the transmit counter of the device's statistics)
 *
 * A frame from the link waits in the NIC (one at a time) until the guest
 * has a receive buffer; the rest stay queued in the link, so back-pressure
 * reaches the sender's socket or the diode's relay, which drops.  At most
 * NET_RX_BURST frames per NIC are moved per slice, so a flooding peer
 * cannot starve the vCPU.  Sends never block: a full peer drops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio_net.h"
#include "host/netsock.h"
#include "host/pktfd.h"
#include "vm/vm_internal.h"

struct nic {
	struct virtio_net *dev;
	enum vm_nic_link link;
	struct host_netsock *sock;    /* VM_NIC_SOCKET */
	int fd;                       /* the preopened links; -1 once gone */
	enum host_pkt_kind kind;
	uint8_t mac[VM_MAC_LEN];
	char name[64];                /* for messages */
	uint8_t rx_frame[HOST_NET_MAX_FRAME + 1]; /* one more: a longer frame shows */
	size_t rx_len;                /* 0: none waiting */
};

static const char *link_word(enum vm_nic_link link)
{
	switch (link) {
	case VM_NIC_SOCKET: return "socket";
	case VM_NIC_PORT: return "switch port";
	case VM_NIC_DIODE_TX: return "diode, send only";
	case VM_NIC_DIODE_RX: return "diode, receive only";
	}
	return "?";
}

static bool can_send(const struct nic *n)
{
	return n->link != VM_NIC_DIODE_RX;
}

static bool can_receive(const struct nic *n)
{
	return n->link != VM_NIC_DIODE_TX;
}

/* --- opening the links -------------------------------------------------------- */

/* Without a MAC, a random address in QEMU's locally administered 52:54:00
 * block: two VMs on one link must not share a MAC, and a fixed default
 * would make every pair collide. */
static int pick_mac(const struct vm_nic *c, uint8_t mac[VM_MAC_LEN], char *err)
{
	if (c->mac_set) {
		memcpy(mac, c->mac, VM_MAC_LEN);
		return 0;
	}
	mac[0] = 0x52, mac[1] = 0x54, mac[2] = 0x00;
	if (host_random(mac + 3, 3) < 0) {
		snprintf(err, HOST_ERRLEN, "%s: no host randomness for a MAC address", c->path);
		return -1;
	}
	return 0;
}

/* A descriptor link: only from a supervisor, and of the kind it claims. */
static int open_fd_link(struct nic *n, const struct vm_config *cfg, int *fd, char *err)
{
	static const enum host_pkt_kind want[] = {
		[VM_NIC_PORT] = HOST_PKT_SOCKET, [VM_NIC_DIODE_TX] = HOST_PKT_PIPE,
		[VM_NIC_DIODE_RX] = HOST_PKT_PIPE,
	};
	if (!cfg->preopened) {
		snprintf(err, HOST_ERRLEN, "%s: a NIC on a descriptor needs a supervisor", n->name);
		return -1;
	}
	n->fd = *fd;
	*fd = -1; /* the NIC owns it now */
	if (n->fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: no descriptor", n->name);
		return -1;
	}
	if (host_pkt_prepare(n->fd, &n->kind, err) < 0)
		return -1;
	if (n->kind != want[n->link]) {
		snprintf(err, HOST_ERRLEN, "%s: descriptor is not a %s", n->name,
			 want[n->link] == HOST_PKT_SOCKET ? "socket" : "pipe");
		return -1;
	}
	/* A diode's relay that dies must not take this monitor with it. */
	if (n->link == VM_NIC_DIODE_TX)
		host_pkt_ignore_sigpipe();
	return 0;
}

static int open_link(struct nic *n, const struct vm_config *cfg, unsigned i, int *fd, char *err)
{
	const struct vm_nic *c = &cfg->nics[i];
	n->link = c->link;
	n->fd = -1;
	snprintf(n->name, sizeof(n->name), "eth%u (%s)", i, c->path ? c->path : link_word(c->link));
	if (pick_mac(c, n->mac, err) < 0)
		return -1;
	if (c->link != VM_NIC_SOCKET)
		return open_fd_link(n, cfg, fd, err);
	if (cfg->preopened) {
		snprintf(err, HOST_ERRLEN, "--net %s: networking over a socket path is not available to a supervised VM",
			 c->path);
		return -1;
	}
	n->sock = host_netsock_open(c->path, err);
	return n->sock ? 0 : -1;
}

/* A NIC's link and its record; its device goes first (nics_add). */
static void nic_close(void *state)
{
	struct nic *n = state;
	host_netsock_close(n->sock);
	if (n->fd >= 0)
		host_close(n->fd);
	free(n);
}

VM_DESTROY_HOOK(virtio_net_destroy, struct virtio_net)

int nics_open(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	if (cfg->nnics > VM_MAX_NICS) {
		snprintf(err, HOST_ERRLEN, "too many NICs (%u, at most %d)", cfg->nnics, VM_MAX_NICS);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nnics; i++) {
		struct nic *n = calloc(1, sizeof(*n));
		if (n)
			n->fd = -1;
		if (vm_add_device(vm, "a NIC", n, nic_close, err) < 0)
			return -1;
		p->nic[p->nnics++] = n;
		if (open_link(n, cfg, i, &p->fds.nic[i], err) < 0)
			return -1;
	}
	return 0;
}

/* --- the devices ---------------------------------------------------------------- */

/* The guest sent a frame (the device checked its size). */
static int nic_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct nic *n = opaque;
	if (n->link == VM_NIC_SOCKET)
		return host_netsock_send(n->sock, frame, len);
	if (!can_send(n) || n->fd < 0)
		return -1; /* counted by the device as dropped */
	if (host_pkt_write(n->fd, n->kind, frame, len) < 0) {
		host_close(n->fd); /* the switch or relay is gone: so is this cable */
		n->fd = -1;
		return -1;
	}
	return 0; /* sent, or dropped at a full peer, as on a wire */
}

static bool link_up(const struct nic *n)
{
	if (n->link == VM_NIC_SOCKET)
		return host_netsock_connected(n->sock);
	if (n->link == VM_NIC_PORT)
		return n->fd >= 0;
	return true; /* a diode end has carrier from start to end */
}

int nics_add(struct vm *vm, char *err)
{
	struct vm_private *p = priv(vm);
	for (unsigned i = 0; i < p->nnics; i++) {
		struct nic *n = p->nic[i];
		struct virtio_net_config nc = {
			.ram = vm->ram, .ram_size = vm->ram_size,
			.link_up = link_up(n),
			.backend = { nic_send, n },
			.log = vm_device_log, .log_opaque = vm,
			.ram_written = vm_dma_written, .ram_opaque = vm,
		};
		memcpy(nc.mac, n->mac, VM_MAC_LEN);
		n->dev = virtio_net_create(p->pci, NIC_SLOT0 + (int)i, &nc);
		if (vm_add_device(vm, "virtio-net", n->dev, virtio_net_destroy_hook, err) < 0)
			return -1;
		pcidevs_place_bar(vm, NIC_SLOT0 + (int)i);
	}
	return 0;
}

/* --- the run loop ------------------------------------------------------------------ */

/* The next frame from the link: its length, 0 for none, -1 for one to drop. */
static ssize_t next_frame(struct nic *n)
{
	if (n->link == VM_NIC_SOCKET)
		return host_netsock_recv(n->sock, n->rx_frame, sizeof(n->rx_frame));
	if (!can_receive(n) || n->fd < 0)
		return 0;
	ssize_t len = host_pkt_read(n->fd, n->kind, n->rx_frame, sizeof(n->rx_frame));
	if (len < 0) {
		/* The sender is gone for good: no more input, and a switch port
		 * loses its link; a diode end keeps its carrier. */
		host_close(n->fd);
		n->fd = -1;
		return 0;
	}
	return len > HOST_NET_MAX_FRAME ? -1 : len;
}

static void poll_one(struct nic *n)
{
	if (n->link == VM_NIC_SOCKET && host_netsock_poll(n->sock))
		virtio_net_set_link(n->dev, link_up(n));
	for (int i = 0; i < NET_RX_BURST; i++) {
		if (!n->rx_len) {
			ssize_t len = next_frame(n);
			if (len == 0)
				break;
			if (len < 0)
				continue; /* oversize: dropped */
			n->rx_len = (size_t)len;
		}
		if (virtio_net_receive(n->dev, n->rx_frame, n->rx_len) == 0)
			break; /* no buffer yet: keep the frame */
		n->rx_len = 0;
	}
	if (n->link == VM_NIC_PORT)
		virtio_net_set_link(n->dev, link_up(n));
}

void nics_poll(struct vm *vm)
{
	for (unsigned i = 0; i < priv(vm)->nnics; i++)
		poll_one(priv(vm)->nic[i]);
}

unsigned nics_wait_fds(struct vm *vm, int *fds, unsigned max)
{
	unsigned k = 0;
	for (unsigned i = 0; i < priv(vm)->nnics && k < max; i++) {
		struct nic *n = priv(vm)->nic[i];
		/* A frame already waiting is waiting for the guest, not the host. */
		int fd = n->rx_len ? -1 : n->link == VM_NIC_SOCKET ? host_netsock_wait_fd(n->sock)
				   : can_receive(n) ? n->fd : -1;
		if (fd >= 0)
			fds[k++] = fd;
	}
	return k;
}

/* One line per NIC that dropped anything, when the VM ends. */
void nics_report(struct vm *vm)
{
	for (unsigned i = 0; i < priv(vm)->nnics; i++) {
		struct nic *n = priv(vm)->nic[i];
		if (!n->dev)
			continue;
		struct virtio_net_stats st = virtio_net_stats(n->dev);
		if (n->link == VM_NIC_DIODE_RX && st.tx_dropped)
			fprintf(stderr, "cordon: %s: %llu frames the guest sent were dropped (a diode's receiving end sends nothing)\n",
				n->name, (unsigned long long)st.tx_dropped);
	}
}
