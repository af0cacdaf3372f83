/*
 * A network link between two cordon VMs: an AF_UNIX SOCK_SEQPACKET socket
 * at a path both are given (--net socket:PATH).  Message boundaries are
 * frame boundaries, so no framing protocol is needed.
 *
 * The first VM to start on PATH listens there, the second connects.  A
 * listener serves one peer at a time (later connections are accepted and
 * closed at once) and takes a new peer after the old one hangs up; a
 * connector whose peer hangs up stays down.
 *
 * Everything is non-blocking: a link drops frames, it never stalls the VM.
 * Sends use MSG_NOSIGNAL, so a dead peer cannot SIGPIPE cordon.
 *
 * Errors are one line in an err buffer of HOST_ERRLEN bytes, naming PATH.
 */
#ifndef CORDON_HOST_NETSOCK_H
#define CORDON_HOST_NETSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "host/host.h"

#define HOST_NET_MAX_FRAME 1518

struct host_netsock;

/* Connects to a cordon listening on path; if nobody listens there (no such
 * file, or a stale socket file: connect gives ECONNREFUSED), binds and
 * listens on path itself, removing the stale socket file first.  Anything
 * at path that is not a socket (symlinks included) is refused and left
 * alone.  Errors: "PATH: exists and is not a socket", "PATH: path too long
 * for a unix socket (max 107 bytes)", "PATH: <strerror>". */
struct host_netsock *host_netsock_open(const char *path, char *err);
/* A listener unlinks the socket file it created (if it is still that
 * file).  NULL is fine. */
void host_netsock_close(struct host_netsock *s);
/* A peer is attached. */
bool host_netsock_connected(const struct host_netsock *s);
/* Non-blocking housekeeping, called often: a listener accepts one waiting
 * peer and refuses extra ones; a peer that hung up is dropped.  Returns
 * true when the connected state changed since the previous call (including
 * changes send or recv noticed): re-read host_netsock_connected. */
bool host_netsock_poll(struct host_netsock *s);
/* One frame, non-blocking.  0 when sent, or dropped because no peer is
 * attached or the peer's queue is full; -1 only for len > HOST_NET_MAX_FRAME. */
int host_netsock_send(struct host_netsock *s, const void *frame, size_t len);
/* The next frame, non-blocking: its length (> 0); 0 when none is waiting
 * or no peer is attached; -1 when the next frame was longer than cap or
 * HOST_NET_MAX_FRAME (it is discarded; the one after it can be read). */
int host_netsock_recv(struct host_netsock *s, void *buf, size_t cap);
/* The fd to wait on for readability: the listening socket when no peer is
 * attached, else the peer's socket; -1 if none (a connector that lost its
 * peer). */
int host_netsock_wait_fd(const struct host_netsock *s);

#endif
