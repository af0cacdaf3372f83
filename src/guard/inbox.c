/*
 * The guard's inbox side: transfers the supervisor hands over for this VM,
 * checked against their manifest, then streamed into the inbox while the
 * guest has it open.  See guard.h and port_proto.h.
 */
#include "guard/guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfer/manifest.h"

#define READ_CHUNK (64u * 1024)

static void refuse(struct guard *g, uint64_t id, const char *reason)
{
	struct guard_msg m = { .type = GUARD_MSG_UNDELIVERABLE, .id = id };
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	guard_tell(g, &m);
	g->in.refused++;
}

/* --- checking a spool against its manifest ---------------------------------------------- */

struct verify {
	struct guard *g;
	struct xfer_hash mf;       /* the manifest digest being computed */
	uint16_t mode;             /* of the current file */
	uint64_t size;
	unsigned transfers;
	bool done;
	const char *why;
	char reason[XFER_REASON_LEN + 32];
};

static void verify_event(struct verify *v, const struct xfer_info *i)
{
	switch (i->ev) {
	case XFER_EV_BEGIN:
		if (v->transfers++) {
			v->why = "it holds more than one transfer";
			return;
		}
		xfer_manifest_begin(&v->mf, i->vm, v->g->vm, i->nfiles);
		break;
	case XFER_EV_FILE:
		v->mode = i->mode;
		v->size = i->size;
		break;
	case XFER_EV_FILE_END:
		xfer_manifest_file(&v->mf, i->name, v->mode, v->size, i->digest);
		break;
	case XFER_EV_END:
		v->done = true;
		break;
	case XFER_EV_ERROR:
		snprintf(v->reason, sizeof(v->reason), "the spool is not a good stream: %s", i->reason);
		v->why = v->reason;
		break;
	default:
		break;
	}
}

/* Reads the whole spool of d through the checker and the manifest digest.
 * 0 with d->len set, or -1 with a reason. */
static int verify(struct guard *g, struct guard_delivery *d, const char **why)
{
	static char reason[XFER_REASON_LEN + 32];
	struct digest dd, md;
	struct xfer_hash h = digest_hash(&dd);
	struct verify v = { .g = g, .mf = digest_hash(&md) };
	struct xfer_check c;
	uint8_t *buf = malloc(READ_CHUNK), got[XFER_DIGEST_LEN];
	uint64_t off = 0;
	*why = "the guard is out of memory";
	if (!buf || xfer_check_init(&c, XFER_INBOX, &g->lim, &h) < 0) {
		free(buf);
		return -1;
	}
	while (!v.why) {
		ssize_t n = pread(d->fd, buf, READ_CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(reason, sizeof(reason), "the spool cannot be read: %s", strerror(errno));
			v.why = reason;
			break;
		}
		if (n == 0)
			break;
		if (v.done) {
			v.why = "the spool has bytes after its end marker";
			break;
		}
		for (size_t pos = 0;;) {
			struct xfer_info info;
			pos += xfer_check_feed(&c, buf + pos, (size_t)n - pos, &info);
			verify_event(&v, &info);
			if (v.why || (info.ev == XFER_EV_NONE && pos == (size_t)n) ||
			    (v.done && pos < (size_t)n && (v.why = "the spool has bytes after its end marker")))
				break;
		}
		off += (uint64_t)n;
	}
	if (!v.why && !v.done)
		v.why = "the spool ends in the middle of a transfer";
	if (!v.why) {
		xfer_manifest_end(&v.mf, got);
		if (memcmp(got, d->manifest, XFER_DIGEST_LEN) != 0)
			v.why = "the spool does not match the transfer that was decided (manifest digest)";
	}
	d->len = off;
	xfer_check_free(&c);
	digest_free(&dd);
	digest_free(&md);
	free(buf);
	*why = v.why;
	return v.why ? -1 : 0;
}

/* --- the queue ------------------------------------------------------------------------------ */

static void pop_head(struct guard_inbox *in)
{
	if (in->q[0].fd >= 0)
		close(in->q[0].fd);
	memmove(in->q, in->q + 1, (in->n - 1) * sizeof(in->q[0]));
	in->n--;
	in->q[in->n] = (struct guard_delivery){ .fd = -1 };
}

void inbox_deliver(struct guard *g, uint64_t id, const uint8_t manifest[XFER_DIGEST_LEN], int fd)
{
	struct guard_inbox *in = &g->in;
	const char *why;
	if (in->n == GUARD_MAX_DELIVERIES) {
		close(fd);
		refuse(g, id, "too many transfers queued for this VM's inbox");
		return;
	}
	struct guard_delivery *d = &in->q[in->n];
	*d = (struct guard_delivery){ .id = id, .fd = fd };
	memcpy(d->manifest, manifest, XFER_DIGEST_LEN);
	if (verify(g, d, &why) < 0) {
		close(fd);
		d->fd = -1;
		refuse(g, id, why);
		return;
	}
	in->n++;
}

void inbox_free(struct guard *g)
{
	while (g->in.n)
		pop_head(&g->in);
}

/* --- streaming ------------------------------------------------------------------------------ */

static void restart(struct guard_inbox *in)
{
	if (in->n && !(in->q[0].all_sent && in->q[0].gen == in->gen && in->open)) {
		in->q[0].sent = 0;
		in->q[0].all_sent = false;
	}
}

void inbox_port_msg(struct guard *g, const struct port_msg *m)
{
	struct guard_inbox *in = &g->in;
	switch (m->type) {
	case PORT_IN_OPEN:
		in->open = true;
		in->gen = m->gen;
		restart(in);
		break;
	case PORT_IN_CLOSE:
		if (m->gen != in->gen)
			break;
		in->open = false;
		/* Not taken before the close: it goes again, whole, at the next open. */
		if (in->n)
			in->q[0].sent = 0, in->q[0].all_sent = false;
		break;
	case PORT_IN_TAKEN:
		if (!in->n || !in->q[0].all_sent || in->q[0].gen != m->gen)
			break;
		struct guard_msg done = { .type = GUARD_MSG_DELIVERED, .id = in->q[0].id };
		guard_tell(g, &done);
		in->delivered++;
		pop_head(in);
		break;
	default:
		break;
	}
}

void inbox_pump(struct guard *g)
{
	struct guard_inbox *in = &g->in;
	static uint8_t data[PORT_DATA_MAX], msg[PORT_MSG_MAX];
	while (in->open && in->n && !in->q[0].all_sent && !in->blocked) {
		struct guard_delivery *d = &in->q[0];
		uint64_t left = d->len - d->sent;
		size_t want = left < PORT_DATA_MAX ? (size_t)left : PORT_DATA_MAX;
		ssize_t n = pread(d->fd, data, want, (off_t)d->sent);
		if (n != (ssize_t)want) {
			refuse(g, d->id, "the spool changed size after it was checked");
			pop_head(in);
			continue;
		}
		struct port_msg m = { .type = PORT_IN_DATA, .gen = in->gen, .end = want == left,
				      .data = data, .len = want };
		size_t len = port_msg_encode(msg, &m);
		ssize_t sent = send(g->port_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			in->blocked = true;
			return;
		}
		if (sent != (ssize_t)len) {
			g->port_gone = true; /* the monitor is gone */
			return;
		}
		d->sent += want;
		if (m.end) {
			d->all_sent = true;
			d->gen = in->gen;
		}
	}
}
