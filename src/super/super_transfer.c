/*
 * The supervisor's transfers (super_transfer.h has the state directory's
 * layout): spools for the guards, the reference monitor's decision on
 * each request, the files of every transfer not yet delivered, delivery
 * to the target's guard, and expiry.
 *
 * The supervisor never reads a spool's contents.  It checks the guard's
 * request against the spool's length (offsets and sizes inside it, sizes
 * adding up), decides on the request alone, and then copies the spool,
 * whole and unread, to a file of its own (copy_file_range): the guard's
 * descriptor reaches only the spool, so nothing can change what was
 * decided or reviewed afterwards, and the target's guard checks the copy
 * against the manifest digest before delivering a byte of it.
 */
#include "super/super_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sec/digest.h"
#include "sec/safe_open.h"
#include "super/guard_proto.h"
#include "xfer/manifest.h"

void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	for (uint32_t i = 0; x->files && i < x->nfiles; i++)
		free(x->files[i].name);
	free(x->files);
	free(x);
}

static struct vmrec *vm_by_name(struct super *s, const char *name)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (strcmp(s->vms[i].def->name, name) == 0)
			return &s->vms[i];
	return NULL;
}

struct xfer *xfer_by_id(struct super *s, uint64_t id)
{
	for (struct xfer *x = s->xfers.list; x; x = x->next)
		if (x->id == id)
			return x;
	return NULL;
}

static void append(struct super *s, struct xfer *x)
{
	struct xfer **p = &s->xfers.list;
	while (*p)
		p = &(*p)->next;
	x->next = NULL;
	*p = x;
}

void xfer_forget(struct super *s, struct xfer *x)
{
	char path[PATH_MAX];
	if (xfer_path(x, "data", path, sizeof(path)) == 0)
		unlink(path);
	if (xfer_path(x, "meta", path, sizeof(path)) == 0)
		unlink(path);
	for (struct xfer **p = &s->xfers.list; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			break;
		}
	}
	xfer_free(x);
}

static void compute_manifest(struct xfer *x)
{
	struct digest d;
	struct xfer_hash h = digest_hash(&d);
	xfer_manifest_begin(&h, x->source, x->target, x->nfiles);
	for (uint32_t i = 0; i < x->nfiles; i++)
		xfer_manifest_file(&h, x->files[i].name, x->files[i].mode, x->files[i].size,
				   x->files[i].digest);
	xfer_manifest_end(&h, x->manifest);
	digest_free(&d);
}

/* --- the audit records ---------------------------------------------------------------- */

/* A name inside a reason: quoted, with " and \ escaped, so no name can
 * end the list early or look like another entry.  (The audit log then
 * escapes the whole reason as JSON.) */
static size_t quote_name(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	out[o++] = '"';
	for (; *name && o + 3 < cap; name++) {
		if (*name == '"' || *name == '\\')
			out[o++] = '\\';
		out[o++] = *name;
	}
	out[o++] = '"';
	out[o] = 0;
	return o;
}

void xfer_audit(struct super *s, const struct xfer *x, const char *subject, const char *mode,
		const char *decision, const char *reason)
{
	static char text[AUDIT_FIELD_MAX + 1];
	char head[2 * LABEL_TEXT_MAX + 2 * SYSDEF_NAME_MAX + 160], mf[2 * XFER_DIGEST_LEN + 1];
	digest_hex(x->manifest, mf);
	snprintf(head, sizeof(head), "transfer %llu from %s (%s) to %s (%s): %u file%s, %llu bytes, "
		 "manifest sha256:%s", (unsigned long long)x->id, x->source, x->source_label, x->target,
		 x->target_label[0] ? x->target_label : "no label", x->nfiles, x->nfiles == 1 ? "" : "s",
		 (unsigned long long)x->total, mf);
	/* The source VM is the subject of its own transfer's records; the
	 * operator or the supervisor has no label. */
	const char *subject_label = strcmp(subject, x->source) == 0 ? x->source_label : "";
	int n = snprintf(text, sizeof(text), "%s; %s", reason, head);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	const char *rec_mode = mode;
	for (uint32_t i = 0; i < x->nfiles; i++) {
		char entry[2 * XFER_NAME_MAX + 3 + 96], q[2 * XFER_NAME_MAX + 3], d[2 * XFER_DIGEST_LEN + 1];
		quote_name(x->files[i].name, q, sizeof(q));
		digest_hex(x->files[i].digest, d);
		int k = snprintf(entry, sizeof(entry), "%s %s %llu sha256:%s", i ? ";" : ":", q,
				 (unsigned long long)x->files[i].size, d);
		/* A record that cannot take the next file is written, and the
		 * list goes on in the next one. */
		if (len + (size_t)k >= AUDIT_FIELD_MAX) {
			super_audit(s, subject, subject_label, x->target, x->target_label, rec_mode,
				    decision, text);
			rec_mode = "transfer-files";
			len = (size_t)snprintf(text, sizeof(text), "transfer %llu (continued)",
					       (unsigned long long)x->id);
		}
		memcpy(text + len, entry, (size_t)k + 1);
		len += (size_t)k;
	}
	super_audit(s, subject, subject_label, x->target, x->target_label, rec_mode, decision, text);
}

/* --- the files --------------------------------------------------------------------------- */

int xfer_open_data(const struct xfer *x)
{
	char path[PATH_MAX], err[SUPER_ERRLEN];
	return xfer_path(x, "data", path, sizeof(path)) < 0 ? -1 : xfer_store_file(path, O_RDONLY, err);
}

/* DIR/transfers/LABELDIR for a label, made (0700, with its "label" file). */
static int label_dir(struct super *s, const char *label, char *out, size_t len, char *err)
{
	char slug[LABEL_TEXT_MAX];
	grant_label_dir_name(label, slug, sizeof(slug));
	if (super_path(out, len, "%s/%s", s->xfers.root, slug) < 0) {
		super_err(err, "%s: path too long", s->xfers.root);
		return -1;
	}
	if (grant_private_dir(out, err) < 0 || grant_dir_label(out, label, err) < 0)
		return -1;
	return 0;
}

/* The state directory keeps this much room free for the audit log and
 * the rest: a transfer that would eat into it is refused. */
#define STORE_RESERVE (256ull << 20)

/*
 * A guard may fill its spool up to the transfer size limit (its
 * RLIMIT_FSIZE says so, whatever the guest does), and every running guard
 * may hold one: a new spool is granted only while the file system has
 * room for it and for all the others granted, on top of the reserve.
 * Otherwise spools could take the room the audit log needs, and a full
 * audit log stops every VM.
 */
static int room_for_a_spool(const struct super *s, const char *dir, char *err)
{
	struct statvfs fs;
	uint64_t spools = 1, need;
	for (unsigned i = 0; i < s->nvms; i++)
		spools += s->vms[i].guard.spool_path[0] != 0;
	if (statvfs(dir, &fs) < 0)
		return 0; /* cannot tell: copy_spool checks again before keeping one */
	need = spools * s->xfers.limits.max_bytes + STORE_RESERVE;
	if ((uint64_t)fs.f_bavail * fs.f_frsize >= need)
		return 0;
	super_err(err, "the state directory's file system has no room for another spool "
		  "(%llu of up to %llu bytes each, and %llu MiB kept free)",
		  (unsigned long long)spools, (unsigned long long)s->xfers.limits.max_bytes,
		  (unsigned long long)(STORE_RESERVE >> 20));
	return -1;
}

int xfer_new_spool(struct super *s, struct vmrec *v, uint64_t *id, int *fd, char *err)
{
	struct guardrec *gr = &v->guard;
	char dir[PATH_MAX];
	if (label_dir(s, v->label, dir, sizeof(dir), err) < 0 || room_for_a_spool(s, dir, err) < 0)
		return -1;
	*id = s->xfers.next_id++;
	if (super_path(gr->spool_path, sizeof(gr->spool_path), "%s/%llu.part", dir,
		       (unsigned long long)*id) < 0) {
		super_err(err, "%s: path too long", dir);
		return -1;
	}
	*fd = xfer_store_file(gr->spool_path, O_RDWR | O_CREAT | O_EXCL, err);
	if (*fd < 0) {
		gr->spool_path[0] = 0;
		return -1;
	}
	return 0;
}

/* Copies the spool to a new file of our own; 0, or -1 with err. */
static int copy_spool(const char *from, const char *to, uint64_t len, char *err)
{
	int in = xfer_store_file(from, O_RDONLY, err);
	int out = in < 0 ? -1 : xfer_store_file(to, O_WRONLY | O_CREAT | O_EXCL, err);
	struct stat st;
	struct statvfs fs;
	int rc = -1;
	if (in < 0 || out < 0)
		goto out;
	if (fstatvfs(out, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < len + STORE_RESERVE) {
		super_err(err, "the state directory's file system is nearly full");
		goto out;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len) {
		super_err(err, "the spool is not the length its guard reported");
		goto out;
	}
	for (uint64_t done = 0; done < len;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(len - done), 0);
		if (n <= 0) {
			super_err(err, "copying the spool: %s", n < 0 ? strerror(errno) : "it shrank");
			goto out;
		}
		done += (uint64_t)n;
	}
	if (fsync(out) < 0) {
		super_err(err, "%s: %s", to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0 && out >= 0)
		unlink(to);
	return rc;
}

/* --- a guard's request -------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* No name twice (sorted, so a request at the file limit stays cheap). */
static bool names_unique(const struct xfer_req *r)
{
	const char **names = malloc(r->nfiles * sizeof(*names));
	bool ok = names != NULL;
	for (uint32_t i = 0; ok && i < r->nfiles; i++)
		names[i] = r->files[i].name;
	if (ok)
		qsort(names, r->nfiles, sizeof(*names), cmp_names);
	for (uint32_t i = 1; ok && i < r->nfiles; i++)
		ok = strcmp(names[i - 1], names[i]) != 0;
	free(names);
	return ok;
}

/* The request agrees with itself and the limits: offsets inside the
 * spool and in order, sizes adding up, names distinct. */
static const char *check_request(const struct super *s, const struct xfer_req *r)
{
	uint64_t sum = 0, end = 0;
	if (r->nfiles > s->xfers.limits.max_files || r->total > s->xfers.limits.max_bytes)
		return "refused: the guard's request is past the transfer limits";
	for (uint32_t i = 0; i < r->nfiles; i++) {
		const struct xfer_file *f = &r->files[i];
		if (f->offset < end || f->size > r->spool_len || f->offset > r->spool_len - f->size)
			return "refused: the guard's request does not fit its spool";
		end = f->offset + f->size;
		sum += f->size;
	}
	if (sum != r->total)
		return "refused: the guard's request does not add up";
	return names_unique(r) ? NULL : "refused: the guard's request names a file twice";
}

static unsigned waiting_from(const struct super *s, const char *source)
{
	unsigned n = 0;
	for (const struct xfer *x = s->xfers.list; x; x = x->next)
		n += strcmp(x->source, source) == 0;
	return n;
}

/* The decision, or a refusal for reasons before any label is looked at. */
static struct transfer_decision decide(struct super *s, const struct vmrec *src,
				       const struct vmrec *dst, const char *target)
{
	static char why[160];
	if (!dst) {
		snprintf(why, sizeof(why), "refused: no VM named '%s'", target);
		return (struct transfer_decision){ TRANSFER_REFUSE, why };
	}
	if (dst == src)
		return (struct transfer_decision){ TRANSFER_REFUSE, "refused: a VM cannot send to itself" };
	if (!dst->def->transfer) {
		snprintf(why, sizeof(why), "refused: VM '%s' has no inbox (transfer off)", target);
		return (struct transfer_decision){ TRANSFER_REFUSE, why };
	}
	if (waiting_from(s, src->def->name) >= XFER_PER_SOURCE_MAX) {
		snprintf(why, sizeof(why), "refused: %u transfers from '%s' are already waiting",
			 XFER_PER_SOURCE_MAX, src->def->name);
		return (struct transfer_decision){ TRANSFER_REFUSE, why };
	}
	return refmon_decide_transfer(s->lat, &s->pol, &src->def->label, &dst->def->label);
}

static struct xfer *new_xfer(struct super *s, struct vmrec *src, struct xfer_req *r)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->id = r->id;
	x->created = (int64_t)time(NULL);
	x->nfiles = r->nfiles;
	x->total = r->total;
	x->data_len = r->spool_len;
	x->files = r->files; /* taken over */
	r->files = NULL;
	snprintf(x->source, sizeof(x->source), "%s", src->def->name);
	snprintf(x->target, sizeof(x->target), "%s", r->target);
	snprintf(x->source_label, sizeof(x->source_label), "%s", src->label);
	struct vmrec *dst = vm_by_name(s, r->target);
	snprintf(x->target_label, sizeof(x->target_label), "%s", dst ? dst->label : "");
	compute_manifest(x);
	return x;
}

void xfer_request(struct super *s, struct vmrec *src, struct xfer_req *r)
{
	char err[SUPER_ERRLEN], data[PATH_MAX];
	const char *spool = src->guard.spool_path;
	const char *bad = check_request(s, r);
	struct xfer *x = new_xfer(s, src, r);
	if (!x) {
		unlink(spool);
		return;
	}
	struct vmrec *dst = vm_by_name(s, x->target);
	struct transfer_decision d = decide(s, src, dst, x->target);
	if (bad)
		d = (struct transfer_decision){ TRANSFER_REFUSE, bad };
	snprintf(x->reason, sizeof(x->reason), "%s", d.reason);
	x->state = d.verdict == TRANSFER_HOLD ? XFER_HELD : XFER_PENDING;
	if (d.verdict != TRANSFER_REFUSE) {
		if (label_dir(s, src->label, x->dir, sizeof(x->dir), err) < 0 ||
		    xfer_path(x, "data", data, sizeof(data)) < 0 ||
		    copy_spool(spool, data, x->data_len, err) < 0 || xfer_save(x, err) < 0) {
			snprintf(x->reason, sizeof(x->reason), "refused: cannot be stored: %.60s", err);
			d.verdict = TRANSFER_REFUSE;
			if (x->dir[0] && xfer_path(x, "data", data, sizeof(data)) == 0)
				unlink(data);
		}
	}
	unlink(spool);
	src->guard.spool_path[0] = 0;
	xfer_audit(s, x, x->source, "transfer", transfer_verdict_name(d.verdict), x->reason);
	super_say("transfer %llu: %s -> %s, %u file%s: %s", (unsigned long long)x->id, x->source,
		  x->target, x->nfiles, x->nfiles == 1 ? "" : "s", x->reason);
	if (d.verdict != TRANSFER_REFUSE && s->audit_broken) {
		/* Its decision has no record, so it does not stand: not kept
		 * for a later run to deliver either. */
		super_say("transfer %llu: dropped: the audit log cannot be written",
			  (unsigned long long)x->id);
		xfer_forget(s, x);
		return;
	}
	if (d.verdict == TRANSFER_REFUSE) {
		xfer_free(x);
		return;
	}
	append(s, x);
	xfer_dispatch(s);
}

void xfer_dropped(struct super *s, struct vmrec *src, uint64_t id, const char *reason)
{
	char text[GUARD_REASON_MAX + 64];
	snprintf(text, sizeof(text), "malformed stream dropped by the guard: %s", reason);
	super_audit(s, src->def->name, src->label, "outbox", src->label, "transfer", "drop", text);
	super_say("vm %s: outbox stream dropped: %s", src->def->name, reason);
	if (id && src->guard.spool_path[0]) {
		unlink(src->guard.spool_path);
		src->guard.spool_path[0] = 0;
	}
}

/* --- delivery -------------------------------------------------------------------------------- */

void xfer_done(struct super *s, struct vmrec *dst, uint64_t id, bool delivered, const char *reason)
{
	struct xfer *x = xfer_by_id(s, id);
	char text[GUARD_REASON_MAX + 64];
	(void)dst;
	if (!x)
		return;
	if (delivered)
		snprintf(text, sizeof(text), "delivered into the inbox of %s", x->target);
	else
		snprintf(text, sizeof(text), "not delivered: %s", reason);
	xfer_audit(s, x, x->source, "transfer", delivered ? "delivered" : "undeliverable", text);
	super_say("transfer %llu: %s", (unsigned long long)id, text);
	xfer_forget(s, x);
}

void xfer_guard_gone(struct super *s, struct vmrec *v)
{
	for (struct xfer *x = s->xfers.list; x; x = x->next)
		if (x->in_flight && strcmp(x->target, v->def->name) == 0)
			x->in_flight = false;
	v->guard.delivering = 0;
}

void xfer_dispatch(struct super *s)
{
	/* A decision or approval whose record could not be written must not
	 * take effect: an unaudited supervisor moves no more data between
	 * VMs (it is stopping; a later run decides again). */
	if (s->audit_broken)
		return;
	for (struct xfer *x = s->xfers.list; x; x = x->next) {
		if (x->state != XFER_PENDING || x->in_flight)
			continue;
		struct vmrec *dst = vm_by_name(s, x->target);
		if (!dst || dst->guard.link_fd < 0 || dst->guard.delivering)
			continue;
		int fd = xfer_open_data(x);
		if (fd < 0)
			continue;
		x->in_flight = guard_send_delivery(s, dst, x, fd);
		close(fd);
	}
}

int xfer_expire(struct super *s)
{
	int64_t now = (int64_t)time(NULL), next = -1;
	struct xfer *x = s->xfers.list;
	while (x) {
		struct xfer *after = x->next;
		int64_t due = x->created + (int64_t)s->xfers.expire_seconds;
		if (!x->in_flight && now >= due) {
			char text[160];
			snprintf(text, sizeof(text), "expired: %s for %llu s without being delivered",
				 x->state == XFER_HELD ? "held for review" : "waiting for its target",
				 (unsigned long long)s->xfers.expire_seconds);
			xfer_audit(s, x, "supervisor", "transfer", "expire", text);
			super_say("transfer %llu: %s", (unsigned long long)x->id, text);
			xfer_forget(s, x);
		} else if (!x->in_flight && (next < 0 || due - now < next)) {
			next = due - now;
		}
		x = after;
	}
	return next < 0 ? -1 : next > 86400 ? 86400 * 1000 : (int)(next * 1000 + 10);
}

/* --- the store at start-up ------------------------------------------------------------------ */

/* A transfer kept from an earlier run: decided again against today's
 * system file, because labels and policies may have changed since. */
static void readmit(struct super *s, struct xfer *x)
{
	struct vmrec *src = vm_by_name(s, x->source), *dst = vm_by_name(s, x->target);
	char err[SUPER_ERRLEN];
	if (x->state == XFER_HELD) {
		append(s, x);
		return;
	}
	struct transfer_decision d = src ? decide(s, src, dst, x->target)
					 : (struct transfer_decision){ TRANSFER_REFUSE,
								       "refused: its source VM is gone" };
	if (d.verdict == TRANSFER_DELIVER) {
		append(s, x);
		return;
	}
	snprintf(x->reason, sizeof(x->reason), "%s", d.reason);
	append(s, x);
	if (d.verdict == TRANSFER_HOLD) {
		x->state = XFER_HELD;
		if (xfer_save(x, err) < 0)
			fprintf(stderr, "cordon up: %s\n", err);
	}
	xfer_audit(s, x, "supervisor", "transfer", transfer_verdict_name(d.verdict),
		   "decided again at start-up: the system file changed");
	if (d.verdict == TRANSFER_REFUSE)
		xfer_forget(s, x);
}

/* Everything in one label directory: spools of a run that ended (.part)
 * go; each .meta with its .data comes back; a .data without one goes. */
static void load_dir(struct super *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *dot = strrchr(e->d_name, '.');
		if (!dot || super_path(path, sizeof(path), "%s/%s", dir, e->d_name) < 0)
			continue;
		if (strcmp(dot, ".part") == 0 || strcmp(dot, ".tmp") == 0) {
			unlink(path);
			continue;
		}
		if (strcmp(dot, ".meta") != 0)
			continue;
		struct xfer *x = xfer_load_meta(dir, path);
		struct stat st;
		char data[PATH_MAX];
		if (!x || xfer_path(x, "data", data, sizeof(data)) < 0 || lstat(data, &st) < 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != x->data_len) {
			fprintf(stderr, "cordon up: %s: not a good transfer record; removed\n", path);
			unlink(path);
			if (x)
				unlink(data);
			xfer_free(x);
			continue;
		}
		if (x->id >= s->xfers.next_id)
			s->xfers.next_id = x->id + 1;
		readmit(s, x);
	}
	rewinddir(d);
	while ((e = readdir(d))) { /* data files nobody describes */
		uint64_t id;
		char *end;
		if (!strstr(e->d_name, ".data"))
			continue;
		id = strtoull(e->d_name, &end, 10);
		if (strcmp(end, ".data") == 0 && !xfer_by_id(s, id) &&
		    super_path(path, sizeof(path), "%s/%s", dir, e->d_name) == 0)
			unlink(path);
	}
	closedir(d);
}

int xfer_store_open(struct super *s, char *err)
{
	struct xfer_store *st = &s->xfers;
	struct sysdef_transfer t = sysdef_transfer(s->sys);
	st->limits = (struct xfer_limits){ t.max_bytes, t.max_files };
	st->expire_seconds = t.expire_seconds;
	st->next_id = 1;
	if (super_path(st->root, sizeof(st->root), "%s/%s", s->state_dir, XFER_DIR) < 0) {
		super_err(err, "--state-dir %s: path too long", s->state_dir);
		return -1;
	}
	if (grant_private_dir(st->root, err) < 0)
		return -1;
	DIR *d = opendir(st->root);
	struct dirent *e;
	if (!d) {
		super_err(err, "%s: %s", st->root, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char dir[PATH_MAX];
		struct stat sb;
		if (e->d_name[0] == '.' || super_path(dir, sizeof(dir), "%s/%s", st->root, e->d_name) < 0 ||
		    lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
		    (sb.st_mode & 077))
			continue;
		load_dir(s, dir);
	}
	closedir(d);
	return 0;
}

void xfer_store_close(struct super *s)
{
	while (s->xfers.list) {
		struct xfer *x = s->xfers.list;
		s->xfers.list = x->next;
		xfer_free(x);
	}
}
