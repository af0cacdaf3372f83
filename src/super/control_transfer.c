/* The control socket's transfer replies; see control_transfer.h. */
#include "super/control_transfer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "super/control_proto.h"

#define ID_MAX (1ull << 53) /* exact in a JSON number */

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, CONTROL_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

int control_xfer_parse_id(const char *s, uint64_t *id)
{
	uint64_t n = 0;
	if (!*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > ID_MAX / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (n > ID_MAX)
		return -1;
	*id = n;
	return 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

static json_t *file_fields(const struct control_xfer_file *f)
{
	char pv[2 * CONTROL_XFER_PREVIEW + 1];
	hex(f->preview, f->preview_len, pv);
	return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", f->name, "mode", (json_int_t)f->mode,
			 "size", (json_int_t)f->size, "sha256", f->sha256, "preview", pv);
}

json_t *control_xfer_fields(const struct control_xfer *x, bool with_files)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
			      (json_int_t)x->id, "state", x->state, "source", x->source,
			      "source_label", x->source_label, "target", x->target, "target_label",
			      x->target_label, "files", (json_int_t)x->nfiles, "bytes",
			      (json_int_t)x->bytes, "created", (json_int_t)x->created, "reason", x->reason);
	if (!o || !with_files)
		return o;
	json_t *shown = json_array();
	for (unsigned i = 0; shown && i < x->nshown; i++)
		if (json_array_append_new(shown, file_fields(&x->shown[i])) < 0)
			break;
	if (!shown || json_array_size(shown) != x->nshown ||
	    json_object_set_new(o, "manifest", json_string(x->manifest)) < 0 ||
	    json_object_set_new(o, "shown", shown) < 0 ||
	    json_object_set_new(o, "more", json_integer(x->more)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* --- decoding --------------------------------------------------------------------- */

static int get_text(json_t *o, const char *key, char *dst, size_t cap, char *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return fail(err, "malformed transfer reply: bad \"%s\"", key);
	const char *s = json_string_value(v);
	for (size_t i = 0; s[i]; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[json_string_length(v)] = 0;
	return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, char *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return fail(err, "malformed transfer reply: bad \"%s\"", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_hex(json_t *o, const char *key, uint8_t *out, size_t max, size_t *len, char *err)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 1;
	if (!s || n % 2 || n / 2 > max)
		return fail(err, "malformed transfer reply: bad \"%s\"", key);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned b;
		if (sscanf(s + 2 * i, "%2x", &b) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return fail(err, "malformed transfer reply: bad \"%s\"", key);
		out[i] = (uint8_t)b;
	}
	*len = n / 2;
	return 0;
}

static int decode_one(json_t *o, struct control_xfer *x, char *err)
{
	uint64_t v;
	memset(x, 0, sizeof(*x));
	if (!json_is_object(o) || get_uint(o, "id", ID_MAX, &x->id, err) < 0 ||
	    get_text(o, "state", x->state, sizeof(x->state), err) < 0 ||
	    get_text(o, "source", x->source, sizeof(x->source), err) < 0 ||
	    get_text(o, "source_label", x->source_label, sizeof(x->source_label), err) < 0 ||
	    get_text(o, "target", x->target, sizeof(x->target), err) < 0 ||
	    get_text(o, "target_label", x->target_label, sizeof(x->target_label), err) < 0 ||
	    get_text(o, "reason", x->reason, sizeof(x->reason), err) < 0 ||
	    get_uint(o, "bytes", XFER_CEIL_MAX_BYTES, &x->bytes, err) < 0 ||
	    get_uint(o, "files", XFER_CEIL_MAX_FILES, &v, err) < 0)
		return -1;
	x->nfiles = (uint32_t)v;
	if (get_uint(o, "created", (uint64_t)INT64_MAX, &v, err) < 0)
		return -1;
	x->created = (int64_t)v;
	return 0;
}

int control_xfer_list_decode(json_t *reply, struct control_xfer_list *l, char *err)
{
	json_t *a = json_object_get(reply, "transfers"), *o;
	uint64_t more;
	size_t i;
	memset(l, 0, sizeof(*l));
	if (!json_is_array(a) || json_array_size(a) > CONTROL_XFER_LIST_MAX ||
	    get_uint(reply, "more", UINT32_MAX, &more, err) < 0)
		return fail(err, "malformed transfer list from the supervisor");
	json_array_foreach(a, i, o) {
		if (decode_one(o, &l->items[i], err) < 0)
			return -1;
		l->n = (unsigned)i + 1;
	}
	l->more = (unsigned)more;
	return 0;
}

static int decode_file(json_t *o, struct control_xfer_file *f, char *err)
{
	uint64_t v;
	char why[XFER_REASON_LEN];
	size_t n;
	uint8_t d[XFER_DIGEST_LEN];
	json_t *name = json_object_get(o, "name");
	if (!json_is_object(o) || !json_is_string(name) || json_string_length(name) > XFER_NAME_MAX)
		return fail(err, "malformed transfer reply: bad \"name\"");
	/* Checked as sent, before anything is replaced: a name the rules
	 * refuse is an error, never shown. */
	if (xfer_name_check((const uint8_t *)json_string_value(name), json_string_length(name), why) < 0)
		return fail(err, "the supervisor sent a file name that %s", why);
	memcpy(f->name, json_string_value(name), json_string_length(name) + 1);
	if (get_uint(o, "size", XFER_CEIL_MAX_BYTES, &f->size, err) < 0 ||
	    get_uint(o, "mode", 0777, &v, err) < 0 ||
	    get_hex(o, "sha256", d, sizeof(d), &n, err) < 0 ||
	    get_hex(o, "preview", f->preview, sizeof(f->preview), &f->preview_len, err) < 0)
		return -1;
	if (n != XFER_DIGEST_LEN)
		return fail(err, "malformed transfer reply: bad \"sha256\"");
	f->mode = (unsigned)v;
	hex(d, XFER_DIGEST_LEN, f->sha256);
	return 0;
}

int control_xfer_show_decode(json_t *reply, struct control_xfer *x, char *err)
{
	json_t *t = json_object_get(reply, "transfer"), *shown, *o;
	uint64_t more;
	size_t i, n;
	uint8_t mf[XFER_DIGEST_LEN];
	if (decode_one(t, x, err) < 0)
		return -1;
	shown = json_object_get(t, "shown");
	if (!json_is_array(shown) || json_array_size(shown) > CONTROL_XFER_SHOW_FILES ||
	    get_uint(t, "more", XFER_CEIL_MAX_FILES, &more, err) < 0 ||
	    get_hex(t, "manifest", mf, sizeof(mf), &n, err) < 0 || n != XFER_DIGEST_LEN)
		return fail(err, "malformed transfer from the supervisor");
	hex(mf, XFER_DIGEST_LEN, x->manifest);
	json_array_foreach(shown, i, o) {
		if (decode_file(o, &x->shown[i], err) < 0)
			return -1;
		x->nshown = (unsigned)i + 1;
	}
	x->more = (unsigned)more;
	return 0;
}
