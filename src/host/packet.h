/*
 * Datagrams on a connected SOCK_SEQPACKET socket the process was handed
 * (a supervised monitor's transfer port): never blocking, never SIGPIPE.
 */
#ifndef CORDON_HOST_PACKET_H
#define CORDON_HOST_PACKET_H

#include <stddef.h>

/* 1 sent, 0 the peer's queue is full (try again later), -1 the peer is
 * gone. */
int host_packet_send(int fd, const void *buf, size_t len);
/* One datagram into buf: its length (>= 1), 0 when none is waiting, -1
 * when the peer is gone, -2 for a datagram that was empty or longer than
 * cap (it is dropped). */
long host_packet_recv(int fd, void *buf, size_t cap);

#endif
