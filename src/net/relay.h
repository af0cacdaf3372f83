/*
 * A diode's relay: the one process between a diode's two VMs.  It holds
 * the read end of the sender's pipe and the write end of the receiver's,
 * and nothing that leads back: frames go one way by construction.
 *
 * It always drains the sender, whatever the receiver does: each frame is
 * written to the receiver's pipe without waiting, and one the receiver
 * has no room for (or a receiver that is gone) costs a dropped frame,
 * counted, never a stall.  So the sender's queue, link and timing depend
 * only on the relay, never on the receiver.  Frames outside 14..1518
 * bytes are dropped too.  The relay ends when the sender's end closes
 * (its VM has ended) and prints its counts on stderr.
 */
#ifndef CORDON_NET_RELAY_H
#define CORDON_NET_RELAY_H

#include <stdint.h>

#include "host/host.h"

#define RELAY_BURST 64

struct relay_stats {
	uint64_t relayed, bad_size, dropped_full, dropped_gone;
};

struct relay;

/* Takes both descriptors over (made non-blocking here, SIGPIPE ignored:
 * call before the sandbox).  NULL with err; both closed then too. */
struct relay *relay_new(const char *diode, int from_fd, int to_fd, char *err);
/* Runs until the sender's end closes; returns 0. */
int relay_run(struct relay *r);
struct relay_stats relay_stats(const struct relay *r);
void relay_free(struct relay *r);

#endif
