/*
 * The guard: one process per VM with "transfer on" (`cordon guard`,
 * started and sandboxed by the supervisor like a monitor, under a uid of
 * its own).  It is the only code that parses what a guest writes to its
 * outbox, so it runs apart from the trusted supervisor, which never sees
 * a guest byte, and apart from the monitor, which its guest may own.
 *
 * It holds three kinds of descriptor and opens nothing:
 *   - the link to the supervisor (guard_proto.h),
 *   - the VM's transfer-port socket to its monitor (port_proto.h),
 *   - spool files the supervisor hands it, one at a time: a new one,
 *     read-write, for the next transfer out of the VM; and read-only ones
 *     holding transfers to deliver into the VM.
 *
 * Outbox (outbox.c): the stream is checked as it arrives (xfer/stream.h)
 * and written to the spool in its inbox form (the header names the
 * source VM); at its end marker the guard sends the supervisor the
 * canonical request (target, names, modes, sizes, offsets, digests).  A
 * stream that breaks a rule or is cut short is dropped whole with one
 * reason.  Nothing ever goes back to the guest.
 *
 * Inbox (inbox.c): a spool to deliver is first read through the same
 * checker and its manifest digest compared with the supervisor's
 * (xfer/manifest.h); only then is it streamed into the inbox, while the
 * guest has the port open, and reported delivered when the monitor says
 * the guest took its last byte.
 *
 * Like the supervisor, it calls the OS itself (sockets, pread, write on
 * its spools); docs/sandbox.md lists the calls its filter allows.
 */
#ifndef CORDON_GUARD_GUARD_H
#define CORDON_GUARD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/digest.h"
#include "sec/sysdef.h"
#include "super/guard_proto.h"
#include "xfer/port_proto.h"
#include "xfer/stream.h"

#define GUARD_MAX_DELIVERIES 4  /* spools queued for the inbox at once */
#define GUARD_PORT_BURST 64     /* port messages handled per round */

struct guard_file {
	char name[XFER_NAME_MAX + 1];
	uint16_t mode;
	uint64_t size, offset;      /* offset of its data in the spool */
	uint8_t digest[XFER_DIGEST_LEN];
};

struct guard_outbox {
	struct xfer_check check;
	struct digest dig;
	int spool_fd;               /* the spool for the next transfer, -1 until given */
	uint64_t spool_id;
	uint64_t spool_len;         /* bytes written to it */
	bool in_transfer;           /* a header was read and the spool is in use */
	bool begin_waiting;         /* a header was read, but no spool yet */
	bool write_failed;
	bool discarding;            /* dropped: the rest of the stream is ignored */
	char target[XFER_VM_MAX + 1];
	uint32_t nfiles, files_done;
	uint64_t total;
	struct guard_file *files;
	uint8_t *pending;           /* input held while waiting for a spool */
	size_t pend_len, pend_pos;
	unsigned long requests, drops; /* for tests and messages */
};

struct guard_delivery {
	uint64_t id;
	int fd;
	uint8_t manifest[XFER_DIGEST_LEN];
	uint64_t len, sent;
	bool all_sent;
	uint32_t gen;               /* the inbox open it was sent to */
};

struct guard_inbox {
	struct guard_delivery q[GUARD_MAX_DELIVERIES];
	unsigned n;
	bool open;
	uint32_t gen;
	bool blocked;               /* the port socket was full: wait for POLLOUT */
	unsigned long delivered, refused;
};

struct guard {
	char vm[SYSDEF_NAME_MAX];
	struct xfer_limits lim;
	int link_fd, port_fd;
	struct guard_outbox out;
	struct guard_inbox in;
	bool port_gone, link_gone;
	unsigned bad_port_msgs;
	uint8_t buf[PORT_MSG_MAX];
};

/* Takes over link_fd and port_fd.  0, or -1 with err (GUARD_ERRLEN). */
int guard_init(struct guard *g, const char *vm, const struct xfer_limits *lim, int link_fd,
	       int port_fd, char *err);
void guard_free(struct guard *g);
/* Waits up to timeout_ms (-1: no limit) for the link or the port and
 * handles whatever came.  false once the guard is done: the monitor or
 * the supervisor hung up. */
bool guard_step(struct guard *g, int timeout_ms);

/* guard.c, for outbox.c and inbox.c: a message to the supervisor (it
 * waits while the link is full: the supervisor always reads).  On a
 * broken link the guard is done. */
void guard_tell(struct guard *g, const struct guard_msg *m);
void guard_say(const struct guard *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* outbox.c */
int outbox_init(struct guard *g, char *err);
void outbox_free(struct guard *g);
void outbox_port_msg(struct guard *g, const struct port_msg *m);
/* A new spool from the supervisor (takes fd). */
void outbox_spool(struct guard *g, uint64_t id, int fd);
/* The monitor went away: a transfer in progress is cut. */
void outbox_gone(struct guard *g);

/* inbox.c */
void inbox_deliver(struct guard *g, uint64_t id, const uint8_t manifest[XFER_DIGEST_LEN], int fd);
void inbox_port_msg(struct guard *g, const struct port_msg *m);
/* Sends what it can of the transfer at the head of the queue. */
void inbox_pump(struct guard *g);
void inbox_free(struct guard *g);

#endif
