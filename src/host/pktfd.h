/*
 * Frames on a descriptor someone else opened, one frame per packet,
 * never blocking.  Three kinds of descriptor carry frames between cordon's
 * processes and the host:
 *
 *   socket  a SOCK_SEQPACKET unix socket: a switch port (both directions);
 *           one message is one frame
 *   pipe    one end of a packet-mode pipe (O_DIRECT): a diode's sending or
 *           receiving end (one direction only, by construction); one
 *           write is one packet
 *   tap     a host tap device (IFF_TAP | IFF_NO_PI): a net's uplink; one
 *           read or write is one frame
 *
 * host_pkt_prepare makes the descriptor non-blocking (before any sandbox:
 * fcntl is not allowed after) and says which kind it is; the others take
 * that kind.  Sends never raise SIGPIPE for sockets (MSG_NOSIGNAL); a
 * process that writes to pipes must ignore SIGPIPE itself
 * (host_pkt_ignore_sigpipe, also before the sandbox).
 */
#ifndef CORDON_HOST_PKTFD_H
#define CORDON_HOST_PKTFD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "host/host.h"

enum host_pkt_kind { HOST_PKT_SOCKET, HOST_PKT_PIPE, HOST_PKT_TAP };

/* O_NONBLOCK on fd and its kind: a socket (S_ISSOCK), a pipe (S_ISFIFO),
 * or else a character device (the tap).  -1 with err for anything else
 * or a descriptor that is not open. */
int host_pkt_prepare(int fd, enum host_pkt_kind *kind, char *err);
void host_pkt_ignore_sigpipe(void);

/*
 * Reads the next packet into buf (cap bytes).  Its length when one was
 * there: for a socket its real length even when that is more than cap
 * (the rest is discarded); for a pipe or tap at most cap, so give cap
 * one byte more than the longest frame wanted to see an oversize one.
 * 0 when nothing is waiting; -1 when the other end is gone for good (end
 * of file, a hang-up, an error): stop reading and waiting on fd.
 */
ssize_t host_pkt_read(int fd, enum host_pkt_kind kind, void *buf, size_t cap);
/* Writes one packet: 1 sent, 0 not sent because the other end's queue is
 * full (drop it, or retry later), -1 the other end is gone for good. */
int host_pkt_write(int fd, enum host_pkt_kind kind, const void *buf, size_t len);
/* The other end of a socket hung up (zero-timeout poll). */
bool host_pkt_hung_up(int fd);

/* One descriptor to wait on: what for, and (after host_pkt_wait) what it is. */
struct host_pkt_poll {
	int fd;
	bool want_read, want_write;
	bool readable, writable, hung_up; /* hung_up: an error or a hang-up */
};
/* Waits until one of the n descriptors is ready as asked, or timeout_ns
 * passes (-1: no timeout).  The number that are, 0 on a timeout or a
 * signal; every result flag is set afresh. */
int host_pkt_wait(struct host_pkt_poll *p, unsigned n, int64_t timeout_ns);

#endif
