/*
 * The supervisor <-> guard protocol: the one definition of what passes
 * between `cordon up` (super_guard.c) and a VM's guard, `cordon guard`
 * (src/guard/), on the SOCK_SEQPACKET socket at GUARD_SOCK_FD.  Both ends
 * call only the functions below.
 *
 * A message is one datagram: struct guard_hdr (version, type, payload
 * length checked against the datagram), then a fixed binary payload,
 * little-endian, each variable part length-prefixed.  Descriptors travel
 * as SCM_RIGHTS, exactly one with the types that carry one and none with
 * the others.
 *
 *   supervisor -> guard
 *     INIT       uid, the transfer limits, the VM's name; fd: the VM's
 *                transfer-port socket (port_proto.h)
 *     SPOOL      id; fd: a new, empty spool file, read-write, for the
 *                next transfer out of this VM
 *     DELIVER    id, manifest digest; fd: a spool, read-only, to stream
 *                into this VM's inbox once it matches the manifest
 *   guard -> supervisor
 *     REQ_BEGIN  id, target VM, file count, total bytes, spool length
 *     REQ_FILE   id, index, mode, size, offset of the data in the spool,
 *                SHA-256, name    (nfiles of them, index 0 up)
 *     REQ_END    id: the request is complete; decide
 *     DROP       id (0: no spool was used yet), reason: a stream was
 *                refused or cut short; the spool, if any, is dead
 *     DELIVERED  id: the guest took the whole transfer
 *     UNDELIVERABLE id, reason: the spool did not match its manifest
 *
 * The request is the guard's fixed, canonical statement of a transfer:
 * the supervisor decides on it alone and never reads the spool's
 * contents.  Every name and text in it is checked again on decode (the
 * guard parses guest data, so it may be the guest's by now).
 */
#ifndef CORDON_SUPER_GUARD_PROTO_H
#define CORDON_SUPER_GUARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/sysdef.h"
#include "xfer/stream.h"

/* Each guard runs under a uid and gid of its own, GUARD_UID_BASE + n for
 * the n-th VM of the system file: neither its monitor's nor another
 * guard's (monitor_proto.h explains the range). */
#define GUARD_UID_BASE 2000001000u

#define GUARD_SOCK_FD 3
#define GUARD_PROTO_VERSION 1
#define GUARD_ERRLEN 256
#define GUARD_REASON_MAX 200       /* bytes of a reason: printable ASCII */
#define GUARD_MSG_MAX 1024

enum guard_msg_type {
	GUARD_MSG_INIT = 1,
	GUARD_MSG_SPOOL = 2,
	GUARD_MSG_DELIVER = 3,
	GUARD_MSG_REQ_BEGIN = 4,
	GUARD_MSG_REQ_FILE = 5,
	GUARD_MSG_REQ_END = 6,
	GUARD_MSG_DROP = 7,
	GUARD_MSG_DELIVERED = 8,
	GUARD_MSG_UNDELIVERABLE = 9,
	GUARD_MSG_NTYPES
};

struct guard_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t len;
};

struct guard_msg {
	enum guard_msg_type type;
	uint64_t id;                       /* all but INIT; DROP may say 0 */
	/* INIT */
	uint32_t uid;
	struct xfer_limits limits;
	char vm[SYSDEF_NAME_MAX];
	/* REQ_BEGIN */
	char target[SYSDEF_NAME_MAX];
	uint32_t nfiles;
	uint64_t total, spool_len;
	/* REQ_FILE */
	uint32_t index;
	uint16_t mode;
	uint64_t size, offset;
	uint8_t digest[XFER_DIGEST_LEN];
	char name[XFER_NAME_MAX + 1];
	/* DELIVER */
	uint8_t manifest[XFER_DIGEST_LEN];
	/* DROP, UNDELIVERABLE */
	char reason[GUARD_REASON_MAX + 1];
};

/* Whether messages of this type carry exactly one descriptor. */
bool guard_msg_has_fd(enum guard_msg_type type);
/* "init", "spool", ... for messages. */
const char *guard_msg_name(enum guard_msg_type type);

/* The payload of m into buf (GUARD_MSG_MAX bytes): its length, or -1 with
 * err when m breaks a rule the decoder checks. */
long guard_msg_encode(const struct guard_msg *m, uint8_t *buf, char *err);
/* Parses a payload of len bytes of the given type.  0, or -1 with err. */
int guard_msg_decode(enum guard_msg_type type, const uint8_t *buf, size_t len,
		     struct guard_msg *m, char *err);

/*
 * Sends m with fd (-1 for the types without one).  0, or -1 with err;
 * 1 when the socket is non-blocking and full (nothing was sent).
 */
int guard_send(int sock, const struct guard_msg *m, int fd, char *err);
/*
 * Receives one message: 1 with m (and *fd, -1 for the types without
 * one; the caller owns it), 0 when nothing is waiting on a non-blocking
 * socket, -1 with err on a malformed message (every descriptor that came
 * with it is closed) or when the peer hung up ("hung up" in err, and
 * *hung_up set).
 */
int guard_recv(int sock, struct guard_msg *m, int *fd, bool *hung_up, char *err);

#endif
