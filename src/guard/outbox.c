/*
 * The guard's outbox side: a VM's stream, checked as it arrives, written
 * to the spool the supervisor provided, and turned into one canonical
 * request when its end marker arrives.  See guard.h.
 *
 * The spool holds the transfer in its inbox form (docs/transfer.md): the
 * header names this VM as the source; file headers and data are the
 * bytes the checker passed, each file followed by a trailer with the
 * SHA-256 the checker computed, so a file's data sits at a known offset
 * for the operator's preview and cordon-receive can check each file.
 */
#include "guard/guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int outbox_init(struct guard *g, char *err)
{
	struct guard_outbox *o = &g->out;
	struct xfer_hash h = digest_hash(&o->dig);
	o->pending = malloc(PORT_DATA_MAX);
	if (!o->pending || xfer_check_init(&o->check, XFER_OUTBOX, &g->lim, &h) < 0) {
		free(o->pending);
		o->pending = NULL;
		snprintf(err, GUARD_ERRLEN, "out of memory, or transfer limits out of range");
		return -1;
	}
	return 0;
}

void outbox_free(struct guard *g)
{
	struct guard_outbox *o = &g->out;
	xfer_check_free(&o->check);
	digest_free(&o->dig);
	free(o->pending);
	free(o->files);
	o->pending = NULL;
	o->files = NULL;
	if (o->spool_fd >= 0)
		close(o->spool_fd);
	o->spool_fd = -1;
}

/* --- the spool ------------------------------------------------------------------------ */

static void spool_write(struct guard_outbox *o, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len && !o->write_failed) {
		ssize_t n = write(o->spool_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->write_failed = true;
			return;
		}
		p += n, len -= (size_t)n;
		o->spool_len += (uint64_t)n;
	}
}

/* The spool is spent (used for a request, or dead after a drop): the
 * supervisor sends a fresh one. */
static void spool_spent(struct guard_outbox *o)
{
	if (o->spool_fd >= 0)
		close(o->spool_fd);
	o->spool_fd = -1;
	o->spool_id = 0;
	o->spool_len = 0;
	o->write_failed = false;
}

static void transfer_over(struct guard_outbox *o)
{
	o->in_transfer = o->begin_waiting = false;
	o->pend_len = o->pend_pos = 0;
	free(o->files);
	o->files = NULL;
	o->nfiles = o->files_done = 0;
	o->total = 0;
}

/* The stream is refused: one reason to the supervisor, which audits it and
 * deletes the spool if one was used. */
static void drop(struct guard *g, const char *reason)
{
	struct guard_outbox *o = &g->out;
	struct guard_msg m = { .type = GUARD_MSG_DROP, .id = o->in_transfer ? o->spool_id : 0 };
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	guard_tell(g, &m);
	if (o->in_transfer)
		spool_spent(o);
	transfer_over(o);
	o->discarding = true;
	o->drops++;
}

/* --- the request ------------------------------------------------------------------------ */

static void send_request(struct guard *g)
{
	struct guard_outbox *o = &g->out;
	struct guard_msg m = { .type = GUARD_MSG_REQ_BEGIN, .id = o->spool_id, .nfiles = o->nfiles,
			       .total = o->total, .spool_len = o->spool_len };
	snprintf(m.target, sizeof(m.target), "%s", o->target);
	guard_tell(g, &m);
	for (uint32_t i = 0; i < o->nfiles; i++) {
		const struct guard_file *f = &o->files[i];
		m = (struct guard_msg){ .type = GUARD_MSG_REQ_FILE, .id = o->spool_id, .index = i,
					.mode = f->mode, .size = f->size, .offset = f->offset };
		memcpy(m.digest, f->digest, XFER_DIGEST_LEN);
		snprintf(m.name, sizeof(m.name), "%s", f->name);
		guard_tell(g, &m);
	}
	m = (struct guard_msg){ .type = GUARD_MSG_REQ_END, .id = o->spool_id };
	guard_tell(g, &m);
	o->requests++;
}

/* --- the checker's events ------------------------------------------------------------------ */

static void begin(struct guard *g)
{
	struct guard_outbox *o = &g->out;
	uint8_t hdr[XFER_HEADER_LEN + XFER_VM_MAX];
	o->files = calloc(o->nfiles, sizeof(*o->files));
	if (!o->files) {
		drop(g, "the guard is out of memory");
		return;
	}
	o->begin_waiting = false;
	o->in_transfer = true;
	spool_write(o, hdr, xfer_put_header(hdr, XFER_INBOX, g->vm, o->nfiles));
}

static void on_event(struct guard *g, const struct xfer_info *i)
{
	struct guard_outbox *o = &g->out;
	uint8_t b[XFER_FILE_LEN + XFER_NAME_MAX];
	struct guard_file *f = o->in_transfer && i->index < o->nfiles ? &o->files[i->index] : NULL;
	switch (i->ev) {
	case XFER_EV_BEGIN:
		snprintf(o->target, sizeof(o->target), "%s", i->vm);
		o->nfiles = i->nfiles;
		if (o->spool_fd >= 0)
			begin(g);
		else
			o->begin_waiting = true;
		break;
	case XFER_EV_FILE:
		spool_write(o, b, xfer_put_file(b, i->name, i->mode, i->size));
		snprintf(f->name, sizeof(f->name), "%s", i->name);
		f->mode = i->mode;
		f->size = i->size;
		f->offset = o->spool_len;
		o->total += i->size;
		break;
	case XFER_EV_DATA:
		spool_write(o, i->data, i->len);
		break;
	case XFER_EV_FILE_END:
		memcpy(f->digest, i->digest, XFER_DIGEST_LEN);
		spool_write(o, b, xfer_put_trailer(b, i->digest));
		o->files_done++;
		break;
	case XFER_EV_END:
		spool_write(o, b, xfer_put_end(b, o->nfiles));
		if (o->write_failed)
			break;
		send_request(g);
		spool_spent(o);
		transfer_over(o);
		break;
	case XFER_EV_ERROR:
		drop(g, i->reason);
		break;
	default:
		break;
	}
	if (o->write_failed && o->in_transfer)
		drop(g, "the spool could not be written (the host's disk is full?)");
}

/* Feeds len bytes through the checker; what is left when a transfer has
 * to wait for its spool is kept in o->pending. */
static void feed(struct guard *g, const uint8_t *data, size_t len)
{
	struct guard_outbox *o = &g->out;
	size_t pos = 0;
	for (;;) {
		if (o->discarding)
			return;
		if (o->begin_waiting) {
			memmove(o->pending, data + pos, len - pos);
			o->pend_len = len - pos;
			o->pend_pos = 0;
			return;
		}
		struct xfer_info info;
		pos += xfer_check_feed(&o->check, data + pos, len - pos, &info);
		on_event(g, &info);
		if (info.ev == XFER_EV_NONE && pos == len)
			return;
	}
}

void outbox_spool(struct guard *g, uint64_t id, int fd)
{
	struct guard_outbox *o = &g->out;
	if (o->spool_fd >= 0) {
		guard_say(g, "a second spool from the supervisor; the first is kept");
		close(fd);
		return;
	}
	o->spool_fd = fd;
	o->spool_id = id;
	o->spool_len = 0;
	if (!o->begin_waiting)
		return;
	begin(g);
	if (o->in_transfer && o->pend_len) {
		uint8_t *held = malloc(o->pend_len);
		size_t n = o->pend_len;
		if (!held) {
			drop(g, "the guard is out of memory");
			return;
		}
		memcpy(held, o->pending, n);
		o->pend_len = 0;
		feed(g, held, n);
		free(held);
	}
}

/* A transfer is under way (or its header half read): the stream is cut. */
static bool mid_transfer(const struct guard_outbox *o)
{
	if (o->discarding)
		return false;
	return o->in_transfer || o->begin_waiting ||
	       (xfer_check_mid_transfer(&o->check) && !xfer_check_failed(&o->check));
}

void outbox_port_msg(struct guard *g, const struct port_msg *m)
{
	struct guard_outbox *o = &g->out;
	switch (m->type) {
	case PORT_OUT_OPEN:
		if (mid_transfer(o))
			drop(g, "cut short: the outbox was opened again in the middle of a transfer");
		xfer_check_reset(&o->check);
		o->discarding = false;
		break;
	case PORT_OUT_DATA:
		feed(g, m->data, m->len);
		break;
	case PORT_OUT_CLOSE:
		if (mid_transfer(o))
			drop(g, "cut short: the outbox was closed in the middle of a transfer");
		xfer_check_reset(&o->check);
		o->discarding = false;
		break;
	default:
		break;
	}
}

void outbox_gone(struct guard *g)
{
	if (mid_transfer(&g->out))
		drop(g, "cut short: the VM stopped in the middle of a transfer");
}
