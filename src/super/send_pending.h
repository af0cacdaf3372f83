/*
 * Draining an output buffer into a non-blocking socket without waiting:
 * the one loop the control socket's replies (control_conn.c) and the
 * operator console's guest output (super_console.c) share.
 */
#ifndef CORDON_SUPER_SEND_PENDING_H
#define CORDON_SUPER_SEND_PENDING_H

#include <stddef.h>

enum send_pending_result {
	SEND_DONE,   /* *off reached len: everything is out */
	SEND_AGAIN,  /* the socket is full: poll for POLLOUT and call again */
	SEND_FAILED, /* the peer is gone or the socket failed: close it */
};

/* Sends buf[*off..len) on fd (MSG_DONTWAIT, no SIGPIPE), advancing *off
 * by what the socket took, until all is sent or it would block. */
enum send_pending_result send_pending(int fd, const void *buf, size_t len, size_t *off);

#endif
