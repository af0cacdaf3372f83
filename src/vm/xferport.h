/*
 * A supervised VM's transfer ports (docs/transfer.md): the virtio-console
 * named ports org.cordon.outbox and org.cordon.inbox, joined to the VM's
 * guard through the transfer-port socket the supervisor handed over
 * (xfer/port_proto.h).  The monitor is only a pipe here: it parses none
 * of the transfer stream.
 *
 *   outbox  the guest's bytes go out as OUT_DATA, in order with its opens
 *           and closes; when the socket is full the device keeps the
 *           guest's buffer (back-pressure), nothing is queued here.
 *   inbox   IN_DATA for the guest's current open goes into the port as
 *           the guest posts buffers; data for an open that has ended is
 *           dropped; after the last byte of a transfer, IN_TAKEN.
 *
 * If the guard goes away, the outbox takes and drops everything: the
 * guest sees the same "queued" either way.
 */
#ifndef CORDON_VM_XFERPORT_H
#define CORDON_VM_XFERPORT_H

#include <stdbool.h>

#include "dev/virtio_console.h"

#define XFERPORT_OUTBOX 1 /* virtio-console port numbers */
#define XFERPORT_INBOX 2

struct xferport;

/* Takes over fd (the monitor's end of the transfer port). */
struct xferport *xferport_new(int fd);
void xferport_free(struct xferport *xp);
/* The two named ports into a device config before it is created. */
void xferport_ports(struct xferport *xp, struct virtio_console_config *cfg);
void xferport_attach(struct xferport *xp, struct virtio_console *c);
/* Every slice: events and inbox data to and from the socket, and the
 * device's waiting output. */
void xferport_poll(struct xferport *xp);
/* What the idle loop waits on: the socket (-1: nothing), to read when
 * more inbox data could go in, to write when outbox data had to wait. */
int xferport_wait_fd(const struct xferport *xp, bool *in, bool *out);

#endif
