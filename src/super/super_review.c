/*
 * The operator's review of transfers, through the control socket
 * (control_proto.h, control_transfer.h): `cordon transfer list`, `show`,
 * `approve` and `deny`.  Each is one audit record with the operator's uid
 * as its subject: looking at held data is an access too.
 *
 * Only a held transfer (down or across, docs/transfer.md) can be approved
 * or denied.  An approval makes it pending, and it is then delivered like
 * any other, checked against the same manifest; the record says what kind
 * of flow the person allowed ("approved downgrade" for one BLP forbids).
 */
#include "super/super_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sec/digest.h"
#include "super/control_transfer.h"

static const char *state_name(const struct xfer *x)
{
	return x->state == XFER_HELD ? "held" : x->in_flight ? "delivering" : "pending";
}

static void fill_summary(const struct xfer *x, struct control_xfer *c)
{
	memset(c, 0, sizeof(*c));
	c->id = x->id;
	snprintf(c->state, sizeof(c->state), "%s", state_name(x));
	snprintf(c->source, sizeof(c->source), "%s", x->source);
	snprintf(c->target, sizeof(c->target), "%s", x->target);
	snprintf(c->source_label, sizeof(c->source_label), "%s", x->source_label);
	snprintf(c->target_label, sizeof(c->target_label), "%s", x->target_label);
	snprintf(c->reason, sizeof(c->reason), "%s", x->reason);
	c->nfiles = x->nfiles;
	c->bytes = x->total;
	c->created = x->created;
}

static size_t reply_fields(char *out, json_t *fields)
{
	long n = fields ? control_reply_ok(out, CONTROL_REPLY_MAX, fields) : -1;
	return n < 0 ? control_reply_error(out, "the reply is too large or cannot be encoded") : (size_t)n;
}

static size_t reply_error(char *out, const char *fmt, uint64_t id)
{
	char msg[CONTROL_ERROR_MAX];
	snprintf(msg, sizeof(msg), fmt, (unsigned long long)id);
	return control_reply_error(out, msg);
}

size_t review_list(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out)
{
	static struct control_xfer item;
	char reason[AUDIT_FIELD_MAX / 2];
	unsigned held = 0, pending = 0, n = 0, more = 0;
	size_t used = 0;
	(void)req;
	json_t *a = json_array();
	reason[0] = 0;
	for (const struct xfer *x = s->xfers.list; x; x = x->next) {
		*(x->state == XFER_HELD ? &held : &pending) += 1;
		if (n == CONTROL_XFER_LIST_MAX) {
			more++;
			continue;
		}
		fill_summary(x, &item);
		json_array_append_new(a, control_xfer_fields(&item, false));
		n++;
		if (used + 32 < sizeof(reason))
			used += (size_t)snprintf(reason + used, sizeof(reason) - used, " %llu (%s)",
						 (unsigned long long)x->id, state_name(x));
	}
	char text[AUDIT_FIELD_MAX];
	snprintf(text, sizeof(text), "%u held for review, %u waiting for delivery%s%s", held, pending,
		 n ? ":" : "", reason);
	super_audit(s, c->who, "", "transfers", "", "review", "list", text);
	json_t *fields = json_pack("{s:o, s:i}", "transfers", a, "more", (int)more);
	return reply_fields(out, fields);
}

static struct xfer *find(struct super *s, const struct control_request *req, uint64_t *id)
{
	if (control_xfer_parse_id(req->args[0], id) < 0) {
		*id = 0;
		return NULL;
	}
	return xfer_by_id(s, *id);
}

/* The first bytes of each shown file, read at its offset in the data. */
static void fill_previews(const struct xfer *x, struct control_xfer *c)
{
	int fd = xfer_open_data(x);
	c->nshown = x->nfiles < CONTROL_XFER_SHOW_FILES ? x->nfiles : CONTROL_XFER_SHOW_FILES;
	c->more = x->nfiles - c->nshown;
	digest_hex(x->manifest, c->manifest);
	for (unsigned i = 0; i < c->nshown; i++) {
		struct control_xfer_file *f = &c->shown[i];
		const struct xfer_file *xf = &x->files[i];
		snprintf(f->name, sizeof(f->name), "%s", xf->name);
		f->mode = xf->mode;
		f->size = xf->size;
		digest_hex(xf->digest, f->sha256);
		size_t want = xf->size < CONTROL_XFER_PREVIEW ? (size_t)xf->size : CONTROL_XFER_PREVIEW;
		ssize_t got = fd < 0 ? -1 : pread(fd, f->preview, want, (off_t)xf->offset);
		f->preview_len = got > 0 ? (size_t)got : 0;
	}
	if (fd >= 0)
		close(fd);
}

size_t review_show(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out)
{
	static struct control_xfer show;
	uint64_t id;
	struct xfer *x = find(s, req, &id);
	if (!x)
		return reply_error(out, id ? "no transfer %llu" : "bad transfer id", id);
	fill_summary(x, &show);
	fill_previews(x, &show);
	char text[256];
	snprintf(text, sizeof(text), "shown to the operator: %u of its files, the first %d bytes of each",
		 show.nshown, CONTROL_XFER_PREVIEW);
	xfer_audit(s, x, c->who, "review", "show", text);
	return reply_fields(out, json_pack("{s:o}", "transfer", control_xfer_fields(&show, true)));
}

/* What kind of flow a person allows by approving x. */
static const char *approval_kind(const struct xfer *x)
{
	if (strcmp(x->reason, REFMON_R_HOLD_BLP) == 0)
		return "approved downgrade";
	if (strcmp(x->reason, REFMON_R_HOLD_BIBA) == 0)
		return "approved integrity upgrade";
	return "approved transfer across labels";
}

static struct xfer *held(struct super *s, const struct control_request *req, char *out,
			 size_t *len)
{
	uint64_t id;
	struct xfer *x = find(s, req, &id);
	if (!x)
		*len = reply_error(out, id ? "no transfer %llu" : "bad transfer id", id);
	else if (x->state != XFER_HELD)
		*len = reply_error(out, "transfer %llu is not held for review", id);
	return x && x->state == XFER_HELD ? x : NULL;
}

size_t review_approve(struct super *s, struct control_conn *c, const struct control_request *req,
		      char *out)
{
	size_t len = 0;
	char err[SUPER_ERRLEN], text[256];
	struct xfer *x = held(s, req, out, &len);
	if (!x)
		return len;
	char held_reason[sizeof(x->reason)];
	snprintf(text, sizeof(text), "%s by %s (held: %s)", approval_kind(x), c->who, x->reason);
	memcpy(held_reason, x->reason, sizeof(held_reason));
	x->state = XFER_PENDING;
	snprintf(x->reason, sizeof(x->reason), "%s by %s", approval_kind(x) , c->who);
	if (xfer_save(x, err) < 0) { /* still held, as it was */
		x->state = XFER_HELD;
		memcpy(x->reason, held_reason, sizeof(held_reason));
		return control_reply_error(out, err);
	}
	xfer_audit(s, x, c->who, "review", "approve", text);
	super_say("transfer %llu: %s", (unsigned long long)x->id, text);
	xfer_dispatch(s);
	return reply_fields(out, json_object());
}

size_t review_deny(struct super *s, struct control_conn *c, const struct control_request *req,
		   char *out)
{
	size_t len = 0;
	char text[256];
	struct xfer *x = held(s, req, out, &len);
	if (!x)
		return len;
	snprintf(text, sizeof(text), "denied by %s (held: %s); never delivered", c->who, x->reason);
	xfer_audit(s, x, c->who, "review", "deny", text);
	super_say("transfer %llu: %s", (unsigned long long)x->id, text);
	xfer_forget(s, x);
	return reply_fields(out, json_object());
}
