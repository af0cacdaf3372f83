/*
 * The transfer ports of a supervised VM; see xferport.h.
 *
 * Opens, closes and acknowledgements are small events that must reach the
 * guard in order with the data: they wait in a short queue, and while
 * anything waits there, no outbox data is taken (the guest's buffer waits
 * in its ring instead).  An open and the close right after it with nothing
 * between cancel out, so a guest opening and closing without end cannot
 * grow the queue; if it fills anyway, the port is treated as gone.
 */
#include "vm/xferport.h"

#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "host/packet.h"
#include "xfer/port_proto.h"

#define EVENTS_MAX 16
#define INBOX_BURST 8 /* datagrams moved into the guest per slice */

struct xferport {
	int fd;
	bool gone;                  /* the guard hung up (or misbehaved) */
	bool blocked;               /* the last send found the socket full */
	struct virtio_console *con;
	struct port_msg events[EVENTS_MAX];
	unsigned nevents;
	bool in_open;
	uint32_t in_gen;
	/* An IN_DATA datagram being moved into the guest's buffers. */
	uint8_t in_buf[PORT_MSG_MAX];
	struct port_msg in;
	size_t in_off;
	bool in_held;
	uint8_t out_buf[PORT_MSG_MAX];
	unsigned long bad_msgs;
};

struct xferport *xferport_new(int fd)
{
	struct xferport *xp = calloc(1, sizeof(*xp));
	if (!xp) {
		host_close(fd);
		return NULL;
	}
	xp->fd = fd;
	return xp;
}

void xferport_free(struct xferport *xp)
{
	if (!xp)
		return;
	host_close(xp->fd);
	free(xp);
}

/* --- events ---------------------------------------------------------------------- */

static int send_msg(struct xferport *xp, const struct port_msg *m)
{
	size_t len = port_msg_encode(xp->out_buf, m);
	int rc = len ? host_packet_send(xp->fd, xp->out_buf, len) : -1;
	if (rc < 0)
		xp->gone = true;
	xp->blocked = rc == 0;
	return rc;
}

static void flush_events(struct xferport *xp)
{
	unsigned sent = 0;
	while (!xp->gone && sent < xp->nevents && send_msg(xp, &xp->events[sent]) == 1)
		sent++;
	memmove(xp->events, xp->events + sent, (xp->nevents - sent) * sizeof(xp->events[0]));
	xp->nevents -= sent;
	if (xp->gone)
		xp->nevents = 0;
}

static void queue_event(struct xferport *xp, enum port_msg_type type, uint32_t gen)
{
	if (xp->gone)
		return;
	struct port_msg *last = xp->nevents ? &xp->events[xp->nevents - 1] : NULL;
	bool cancels = last && ((type == PORT_OUT_CLOSE && last->type == PORT_OUT_OPEN) ||
				(type == PORT_IN_CLOSE && last->type == PORT_IN_OPEN && last->gen == gen));
	if (cancels) {
		xp->nevents--;
		return;
	}
	if (xp->nevents == EVENTS_MAX) {
		xp->gone = true;
		return;
	}
	xp->events[xp->nevents++] = (struct port_msg){ .type = type, .gen = gen };
	flush_events(xp);
}

/* --- the outbox ------------------------------------------------------------------- */

static size_t outbox_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct xferport *xp = opaque;
	if (xp->nevents)
		flush_events(xp);
	if (xp->gone)
		return len; /* nobody to tell: dropped, as if sent */
	if (xp->nevents)
		return 0;
	struct port_msg m = { .type = PORT_OUT_DATA, .data = buf, .len = len };
	int rc = send_msg(xp, &m);
	return rc == 0 ? 0 : len;
}

static void outbox_open(void *opaque, bool open)
{
	queue_event(opaque, open ? PORT_OUT_OPEN : PORT_OUT_CLOSE, 0);
}

/* The inbox is only read by the guest; bytes it writes there go nowhere. */
static size_t inbox_output(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque, (void)buf;
	return len;
}

static void inbox_open(void *opaque, bool open)
{
	struct xferport *xp = opaque;
	if (open) {
		xp->in_open = true;
		xp->in_gen++;
		queue_event(xp, PORT_IN_OPEN, xp->in_gen);
	} else {
		xp->in_open = false;
		xp->in_held = false; /* the rest of it belonged to that open */
		queue_event(xp, PORT_IN_CLOSE, xp->in_gen);
	}
}

void xferport_ports(struct xferport *xp, struct virtio_console_config *cfg)
{
	cfg->ports[XFERPORT_OUTBOX] = (struct virtio_console_port_config){
		.name = "org.cordon.outbox", .output = outbox_output, .guest_open = outbox_open,
		.opaque = xp, .host_open = true,
	};
	cfg->ports[XFERPORT_INBOX] = (struct virtio_console_port_config){
		.name = "org.cordon.inbox", .output = inbox_output, .guest_open = inbox_open,
		.opaque = xp, .host_open = true,
	};
}

void xferport_attach(struct xferport *xp, struct virtio_console *c)
{
	xp->con = c;
}

/* --- the inbox --------------------------------------------------------------------- */

/* The next IN_DATA for the current open into xp->in; false when none. */
static bool next_inbox_msg(struct xferport *xp)
{
	for (;;) {
		long n = host_packet_recv(xp->fd, xp->in_buf, sizeof(xp->in_buf));
		if (n == 0)
			return false;
		if (n == -1) {
			xp->gone = true;
			return false;
		}
		char err[PORT_ERRLEN];
		if (n < 0 || port_msg_decode(xp->in_buf, (size_t)n, &xp->in, err) < 0 ||
		    xp->in.type != PORT_IN_DATA) {
			xp->bad_msgs++; /* a guard's mistake: dropped, counted */
			continue;
		}
		if (!xp->in_open || xp->in.gen != xp->in_gen)
			continue; /* for an open that has ended */
		xp->in_off = 0;
		xp->in_held = true;
		return true;
	}
}

static void inbox_poll(struct xferport *xp)
{
	/* While the guest has the inbox closed, whatever comes belongs to no
	 * open: read and dropped (next_inbox_msg keeps nothing then). */
	for (int i = 0; i < INBOX_BURST && !xp->gone && !xp->in_open; i++)
		if (!next_inbox_msg(xp))
			break;
	for (int i = 0; i < INBOX_BURST && !xp->gone && xp->in_open; i++) {
		if (!xp->in_held && !next_inbox_msg(xp))
			return;
		size_t left = xp->in.len - xp->in_off;
		size_t took = left ? virtio_console_port_receive(xp->con, XFERPORT_INBOX,
								  xp->in.data + xp->in_off, left) : 0;
		xp->in_off += took;
		if (xp->in_off < xp->in.len)
			return; /* no more buffers from the guest for now */
		xp->in_held = false;
		if (xp->in.end)
			queue_event(xp, PORT_IN_TAKEN, xp->in.gen);
	}
}

void xferport_poll(struct xferport *xp)
{
	if (!xp->con)
		return;
	if (xp->nevents)
		flush_events(xp);
	inbox_poll(xp);
	virtio_console_poll(xp->con);
}

int xferport_wait_fd(const struct xferport *xp, bool *in, bool *out)
{
	/* Data the guest has no buffer for yet waits on the guest, not on us. */
	*in = !xp->in_held;
	*out = xp->blocked;
	return xp->gone ? -1 : xp->fd;
}
