/*
 * The supervisor's side of file transfers (docs/transfer.md): its guards,
 * the transfers it holds, its decisions and the operator's review.
 * Included through super_internal.h.
 *
 * The state directory keeps every transfer that is not yet delivered:
 *
 *   DIR/transfers/                        mode 0700
 *   DIR/transfers/LABELDIR/               one per source label, mode 0700,
 *                                         with a "label" file naming it
 *   DIR/transfers/LABELDIR/ID.part        a spool a guard is writing
 *   DIR/transfers/LABELDIR/ID.data        a decided transfer, in inbox form;
 *                                         only the supervisor has it open
 *                                         for writing (copied from .part, so
 *                                         the guard's descriptor no longer
 *                                         reaches it)
 *   DIR/transfers/LABELDIR/ID.meta        what was decided, as JSON: source,
 *                                         target, labels, state, reason,
 *                                         time, manifest, and each file's
 *                                         name, mode, size, offset, SHA-256
 *
 * A transfer is "pending" (to be delivered when its target's guard can
 * take it, perhaps in a later run of cordon up) or "held" (for review).
 * Delivered, denied or expired, its files are removed.
 */
#ifndef CORDON_SUPER_SUPER_TRANSFER_H
#define CORDON_SUPER_SUPER_TRANSFER_H

#include <limits.h>
#include <stddef.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sec/label.h"
#include "sec/sysdef.h"
#include "xfer/stream.h"

#define XFER_DIR "transfers"
#define XFER_PER_SOURCE_MAX 32   /* transfers one VM may have waiting at once */
#define XFER_REASON_MAX 96

enum xfer_status { XFER_PENDING, XFER_HELD };

struct xfer_file {
	char *name;
	uint16_t mode;
	uint64_t size, offset;   /* offset: of its data in the .data file */
	uint8_t digest[XFER_DIGEST_LEN];
};

struct xfer {
	uint64_t id;
	enum xfer_status state;
	bool in_flight;          /* handed to the target's guard */
	char source[SYSDEF_NAME_MAX], target[SYSDEF_NAME_MAX];
	char source_label[LABEL_TEXT_MAX], target_label[LABEL_TEXT_MAX];
	char reason[XFER_REASON_MAX];   /* the reference monitor's, or the approval */
	int64_t created;         /* wall-clock seconds */
	uint32_t nfiles;
	uint64_t total, data_len;
	struct xfer_file *files;
	uint8_t manifest[XFER_DIGEST_LEN];
	char dir[PATH_MAX];      /* DIR/transfers/LABELDIR */
	struct xfer *next;
};

/* A guard's request while its REQ_FILE messages arrive. */
struct xfer_req {
	bool active;
	uint64_t id;
	char target[SYSDEF_NAME_MAX];
	uint32_t nfiles, got;
	uint64_t total, spool_len;
	struct xfer_file *files;
};

/* A VM's guard, as the supervisor sees it. */
struct guardrec {
	pid_t pid;               /* 0: not running */
	uid_t uid;
	int link_fd;             /* -1 when closed */
	struct errstream err;    /* its stderr, shown like a monitor's */
	uint64_t spool_id;       /* the spool it has (0: none yet) */
	char spool_path[PATH_MAX];
	bool spool_owed;         /* a spool is due but could not be sent yet */
	struct xfer_req req;
	uint64_t delivering;     /* the transfer in its hands, 0: none */
	unsigned bad_msgs;
};

struct xfer_store {
	char root[PATH_MAX];     /* DIR/transfers */
	uint64_t next_id;
	struct xfer *list;       /* oldest first */
	uint64_t expire_seconds;
	struct xfer_limits limits;
};

struct super;
struct vmrec;

/* super_guard.c */
/* Starts v's guard with its end of the transfer port (taken over). */
int guard_spawn(struct super *s, struct vmrec *v, int port_fd, char *err);
/* The loop's turn: the guards' stderr streams into p and owner, their
 * links into p and linked (at most SYSDEF_MAX_VMS entries each); after
 * poll, guards_links_ready serves the links that are ready. */
unsigned guards_err_streams(struct super *s, struct pollfd *p, struct errstream **owner);
unsigned guards_poll_links(struct super *s, struct pollfd *p, struct vmrec **linked);
void guards_links_ready(struct super *s, const struct pollfd *p, struct vmrec *const *linked,
			unsigned n);
/* A child ended: if it was a guard, audit it and return true. */
bool guard_reaped(struct super *s, pid_t pid, int status);
bool guards_running(const struct super *s);
void guard_send_spool(struct super *s, struct vmrec *v);
/* Hands the transfer to v's guard; false when it cannot take it now. */
bool guard_send_delivery(struct super *s, struct vmrec *v, const struct xfer *x, int fd);

/* super_transfer.c */
int xfer_store_open(struct super *s, char *err);
void xfer_store_close(struct super *s);
/* A new, empty spool for v's guard: its id and a read-write descriptor. */
int xfer_new_spool(struct super *s, struct vmrec *v, uint64_t *id, int *fd, char *err);
/* The guard's messages, after the link checked their form. */
void xfer_request(struct super *s, struct vmrec *src, struct xfer_req *req);
void xfer_dropped(struct super *s, struct vmrec *src, uint64_t id, const char *reason);
void xfer_done(struct super *s, struct vmrec *dst, uint64_t id, bool delivered, const char *reason);
/* The guard of v ended: its transfer in flight goes back to pending. */
void xfer_guard_gone(struct super *s, struct vmrec *v);
/* Gives each running guard the next transfer for its VM. */
void xfer_dispatch(struct super *s);
/* Drops what has waited too long; the ms until the next expiry (-1: none). */
int xfer_expire(struct super *s);
struct xfer *xfer_by_id(struct super *s, uint64_t id);
/* Removes x's files and frees it. */
void xfer_forget(struct super *s, struct xfer *x);
/* x's .data, read-only (through safe_open); -1 if it cannot be opened. */
int xfer_open_data(const struct xfer *x);
/* The decision's audit record(s): one, or more when the file list does
 * not fit one record. */
void xfer_audit(struct super *s, const struct xfer *x, const char *subject, const char *mode,
		const char *decision, const char *reason);
void xfer_free(struct xfer *x);

/* super_transfer_meta.c */
/* x's file with the extension ext ("data", "meta"), in x->dir. */
int xfer_path(const struct xfer *x, const char *ext, char *out, size_t len);
/* safe_open of a file of the store, private to us; -1 with err. */
int xfer_store_file(const char *path, int flags, char *err);
/* Writes x's .meta file (after a change of state) and syncs its
 * directory; 0, or -1 with err. */
int xfer_save(const struct xfer *x, char *err);
/* The transfer an ID.meta file of dir describes, or NULL if it is not a
 * good record (its .data is not looked at). */
struct xfer *xfer_load_meta(const char *dir, const char *path);

/* super_review.c: the control socket's transfer commands (super_control.c
 * serves them from its handler table). */
struct control_conn;
struct control_request;
size_t review_list(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out);
size_t review_show(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out);
size_t review_approve(struct super *s, struct control_conn *c, const struct control_request *req,
		      char *out);
size_t review_deny(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out);

#endif
