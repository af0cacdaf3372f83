/*
 * A transfer's files in the state directory (super_transfer.h has the
 * layout), and its .meta record: what was decided, written by xfer_save
 * after every change of state and read back by xfer_load_meta when the
 * next cordon up starts.  Both ends of that format live here.
 *
 * The supervisor wrote every .meta itself, but a record is still checked
 * field by field on the way back in (names as the guard checks them,
 * digests as hex of the right length, integers as integers): a file cut
 * short by a crash, or edited by hand, is refused, never half-used.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sec/digest.h"
#include "sec/safe_open.h"

int xfer_path(const struct xfer *x, const char *ext, char *out, size_t len)
{
	return super_path(out, len, "%s/%llu.%s", x->dir, (unsigned long long)x->id, ext);
}

/* Every file of the store is opened through safe_open, like the rest of
 * the state directory: private, ours, no symlink on the way. */
int xfer_store_file(const char *path, int flags, char *err)
{
	const struct safe_open_opts o = { .flags = flags, .mode = 0600, .private_file = true };
	char why[SAFE_ERRLEN];
	int fd = safe_open(path, &o, why);
	if (fd < 0)
		super_err(err, "%s", why);
	return fd;
}

/* --- writing ------------------------------------------------------------------------------- */

/* A new name in a directory (the .data copied in, the .meta renamed over)
 * survives a power loss only once the directory itself is synced: without
 * it a decided transfer could come back as a .data alone, which load_dir
 * removes as an orphan. */
static int sync_store_dir(const struct xfer *x, char *err)
{
	char why[SAFE_ERRLEN];
	if (safe_sync_dir(x->dir, why) == 0)
		return 0;
	super_err(err, "%s", why);
	return -1;
}

int xfer_save(const struct xfer *x, char *err)
{
	char path[PATH_MAX], tmp[PATH_MAX], mf[2 * XFER_DIGEST_LEN + 1];
	json_t *files = json_array();
	for (uint32_t i = 0; files && i < x->nfiles; i++) {
		char d[2 * XFER_DIGEST_LEN + 1];
		digest_hex(x->files[i].digest, d);
		json_array_append_new(files, json_pack("{s:s, s:i, s:I, s:I, s:s}", "name",
						       x->files[i].name, "mode", x->files[i].mode,
						       "size", (json_int_t)x->files[i].size, "offset",
						       (json_int_t)x->files[i].offset, "sha256", d));
	}
	digest_hex(x->manifest, mf);
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o}", "id",
			      (json_int_t)x->id, "state", x->state == XFER_HELD ? "held" : "pending",
			      "source", x->source, "target", x->target, "source_label",
			      x->source_label, "target_label", x->target_label, "reason", x->reason,
			      "created", (json_int_t)x->created, "total", (json_int_t)x->total,
			      "data_len", (json_int_t)x->data_len, "manifest", mf, "files", files);
	int rc = -1;
	if (!o || xfer_path(x, "meta", path, sizeof(path)) < 0 ||
	    super_path(tmp, sizeof(tmp), "%s.tmp", path) < 0) {
		super_err(err, "transfer %llu: cannot describe it", (unsigned long long)x->id);
		json_decref(o);
		return -1;
	}
	unlink(tmp); /* a leftover of a crash */
	int fd = xfer_store_file(tmp, O_WRONLY | O_CREAT | O_EXCL, err);
	if (fd >= 0 && json_dumpfd(o, fd, JSON_COMPACT) == 0 && fsync(fd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		if (fd >= 0)
			super_err(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	json_decref(o);
	return rc < 0 ? -1 : sync_store_dir(x, err);
}

/* --- reading back at start-up ------------------------------------------------------------ */

static const char *text_of(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static int load_files(json_t *a, struct xfer *x)
{
	size_t i;
	json_t *f;
	char why[XFER_REASON_LEN];
	if (!json_is_array(a) || json_array_size(a) != x->nfiles || !x->nfiles ||
	    x->nfiles > XFER_CEIL_MAX_FILES)
		return -1;
	x->files = calloc(x->nfiles, sizeof(*x->files));
	if (!x->files)
		return -1;
	json_array_foreach(a, i, f) {
		struct xfer_file *xf = &x->files[i];
		const char *name = json_string_value(json_object_get(f, "name"));
		json_t *mode = json_object_get(f, "mode"), *size = json_object_get(f, "size"),
		       *off = json_object_get(f, "offset");
		if (!name || xfer_name_check((const uint8_t *)name, strlen(name), why) < 0 ||
		    !json_is_integer(mode) || !json_is_integer(size) || !json_is_integer(off) ||
		    json_integer_value(size) < 0 || json_integer_value(off) < 0 ||
		    digest_from_hex(text_of(f, "sha256"), xf->digest) < 0)
			return -1;
		xf->name = strdup(name);
		xf->mode = (uint16_t)json_integer_value(mode);
		xf->size = (uint64_t)json_integer_value(size);
		xf->offset = (uint64_t)json_integer_value(off);
		if (!xf->name || (xf->mode != XFER_MODE_FILE && xf->mode != XFER_MODE_EXEC))
			return -1;
	}
	return 0;
}

static int copy_field(json_t *o, const char *key, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v || strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* One ID.meta file of dir into a transfer; NULL if it is not a good one. */
struct xfer *xfer_load_meta(const char *dir, const char *path)
{
	char err[SUPER_ERRLEN];
	int fd = xfer_store_file(path, O_RDONLY, err);
	json_t *o = fd < 0 ? NULL : json_loadfd(fd, JSON_REJECT_DUPLICATES, NULL);
	if (fd >= 0)
		close(fd);
	struct xfer *x = calloc(1, sizeof(*x));
	const char *state = json_string_value(json_object_get(o, "state"));
	json_t *id = json_object_get(o, "id"), *created = json_object_get(o, "created"),
	       *total = json_object_get(o, "total"), *len = json_object_get(o, "data_len");
	bool ok = x && json_is_object(o) && state && json_is_integer(id) && json_integer_value(id) > 0 &&
		  json_is_integer(created) && json_is_integer(total) && json_is_integer(len) &&
		  copy_field(o, "source", x->source, sizeof(x->source)) == 0 &&
		  copy_field(o, "target", x->target, sizeof(x->target)) == 0 &&
		  copy_field(o, "source_label", x->source_label, sizeof(x->source_label)) == 0 &&
		  copy_field(o, "target_label", x->target_label, sizeof(x->target_label)) == 0 &&
		  copy_field(o, "reason", x->reason, sizeof(x->reason)) == 0 &&
		  digest_from_hex(text_of(o, "manifest"), x->manifest) == 0;
	if (ok) {
		x->id = (uint64_t)json_integer_value(id);
		x->created = json_integer_value(created);
		x->total = (uint64_t)json_integer_value(total);
		x->data_len = (uint64_t)json_integer_value(len);
		x->state = strcmp(state, "held") == 0 ? XFER_HELD : XFER_PENDING;
		x->nfiles = (uint32_t)json_array_size(json_object_get(o, "files"));
		snprintf(x->dir, sizeof(x->dir), "%s", dir);
		ok = (strcmp(state, "held") == 0 || strcmp(state, "pending") == 0) &&
		     load_files(json_object_get(o, "files"), x) == 0;
	}
	json_decref(o);
	if (!ok) {
		xfer_free(x);
		return NULL;
	}
	return x;
}
