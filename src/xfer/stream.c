/*
 * The transfer stream checker: a state machine that gathers each fixed
 * field into c->buf, checks it the moment it is complete, and hands file
 * data through untouched (hashing it on the way).  See stream.h for the
 * format and docs/transfer.md for why each rule exists.
 *
 * Reasons never quote guest bytes: a file is named by its number, so a
 * reason can go into a log or onto a terminal as it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer/stream.h"

#define TAG_LEN 4

struct xfer_seen {
	uint32_t mask;          /* capacity - 1; capacity a power of two >= 2 * max_files */
	uint32_t count;
	char **slot;
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* --- the set of names seen in one transfer ---------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct xfer_seen *seen_new(uint32_t max_files)
{
	struct xfer_seen *s = calloc(1, sizeof(*s));
	uint32_t cap = 16;
	while (cap < 2 * (uint64_t)max_files)
		cap *= 2;
	if (s)
		s->slot = calloc(cap, sizeof(*s->slot));
	if (!s || !s->slot) {
		free(s);
		return NULL;
	}
	s->mask = cap - 1;
	return s;
}

static void seen_clear(struct xfer_seen *s)
{
	if (!s || !s->count)
		return;
	for (uint32_t i = 0; i <= s->mask; i++) {
		free(s->slot[i]);
		s->slot[i] = NULL;
	}
	s->count = 0;
}

/* 1 if name was new and is now recorded, 0 if seen before, -1 no memory.
 * The table never fills: it holds at most max_files of 2 * max_files. */
static int seen_add(struct xfer_seen *s, const char *name)
{
	uint32_t i = name_hash(name) & s->mask;
	for (; s->slot[i]; i = (i + 1) & s->mask) {
		if (strcmp(s->slot[i], name) == 0)
			return 0;
	}
	s->slot[i] = strdup(name);
	if (!s->slot[i])
		return -1;
	s->count++;
	return 1;
}

/* --- state ---------------------------------------------------------------------------- */

static void expect(struct xfer_check *c, enum xfer_state st, size_t need)
{
	c->state = st;
	c->have = 0;
	c->need = need;
}

static void end_transfer(struct xfer_check *c)
{
	c->mid_transfer = false;
	c->nfiles = c->files_done = 0;
	c->bytes_total = 0;
	seen_clear(c->seen);
}

__attribute__((format(printf, 3, 4)))
static size_t fail(struct xfer_check *c, struct xfer_info *info, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->state = XS_FAILED;
	info->ev = XFER_EV_ERROR;
	info->reason = c->reason;
	return 0;
}

int xfer_check_init(struct xfer_check *c, enum xfer_kind kind, const struct xfer_limits *lim,
		    const struct xfer_hash *h)
{
	memset(c, 0, sizeof(*c));
	if (!lim->max_files || lim->max_files > XFER_CEIL_MAX_FILES || !lim->max_bytes ||
	    lim->max_bytes > XFER_CEIL_MAX_BYTES)
		return -1;
	c->lim = *lim;
	c->kind = kind;
	c->hash = *h;
	c->seen = seen_new(lim->max_files);
	if (!c->seen)
		return -1;
	expect(c, XS_HEADER, XFER_HEADER_LEN);
	return 0;
}

void xfer_check_free(struct xfer_check *c)
{
	if (c->seen) {
		seen_clear(c->seen);
		free(c->seen->slot);
		free(c->seen);
		c->seen = NULL;
	}
}

void xfer_check_reset(struct xfer_check *c)
{
	end_transfer(c);
	expect(c, XS_HEADER, XFER_HEADER_LEN);
	c->reason[0] = 0;
}

bool xfer_check_mid_transfer(const struct xfer_check *c)
{
	return c->mid_transfer || (c->state == XS_HEADER && c->have > 0) || c->state == XS_VM;
}

bool xfer_check_failed(const struct xfer_check *c)
{
	return c->state == XS_FAILED;
}

/* --- the fields ------------------------------------------------------------------------ */

static uint16_t kind_flags(enum xfer_kind kind)
{
	return kind == XFER_INBOX ? XFER_FLAG_DIGESTS : 0;
}

/* The current file's data is complete and its digest in c->digest. */
static void file_end(struct xfer_check *c, struct xfer_info *info)
{
	info->ev = XFER_EV_FILE_END;
	info->name = c->name;
	info->name_len = c->name_len;
	info->index = c->files_done;
	info->digest = c->digest;
	c->files_done++;
	expect(c, XS_RECORD, TAG_LEN);
}

static size_t on_header(struct xfer_check *c, struct xfer_info *info)
{
	const uint8_t *b = c->buf;
	if (memcmp(b, XFER_MAGIC, 8) != 0)
		return fail(c, info, "not a transfer stream (bad magic)");
	if (get16(b + 8) != XFER_VERSION)
		return fail(c, info, "unsupported stream version %u (this is version %u)",
			    get16(b + 8), XFER_VERSION);
	if (get16(b + 10) != kind_flags(c->kind))
		return fail(c, info, "header flags 0x%x (an %s stream has 0x%x)", get16(b + 10),
			    c->kind == XFER_INBOX ? "inbox" : "outbox", kind_flags(c->kind));
	uint32_t n = get32(b + 12);
	if (n == 0)
		return fail(c, info, "a transfer of 0 files");
	if (n > c->lim.max_files)
		return fail(c, info, "%u files: more than the limit of %u", n, c->lim.max_files);
	if (b[16] == 0 || b[16] > XFER_VM_MAX)
		return fail(c, info, "VM name of %u bytes (1..%u)", b[16], XFER_VM_MAX);
	c->nfiles = n;
	c->mid_transfer = true;
	expect(c, XS_VM, b[16]);
	return 0;
}

static size_t on_vm(struct xfer_check *c, struct xfer_info *info)
{
	if (!xfer_vm_name_ok(c->buf, c->need))
		return fail(c, info, "bad VM name (1..%u of A-Z a-z 0-9 _ -)", XFER_VM_MAX);
	memcpy(c->vm, c->buf, c->need);
	c->vm[c->need] = 0;
	info->ev = XFER_EV_BEGIN;
	info->vm = c->vm;
	info->nfiles = c->nfiles;
	expect(c, XS_RECORD, TAG_LEN);
	return 0;
}

static size_t on_record(struct xfer_check *c, struct xfer_info *info)
{
	if (memcmp(c->buf, "FILE", TAG_LEN) == 0) {
		if (c->files_done == c->nfiles)
			return fail(c, info, "more files than the %u declared", c->nfiles);
		expect(c, XS_FILE, XFER_FILE_LEN - TAG_LEN);
	} else if (memcmp(c->buf, "END.", TAG_LEN) == 0) {
		expect(c, XS_END, XFER_END_LEN - TAG_LEN);
	} else {
		if (c->files_done && c->kind == XFER_OUTBOX) /* no trailer to catch it earlier */
			return fail(c, info, "file %u: no file header or end marker after its %llu "
				    "bytes (the data does not match the declared size)",
				    c->files_done, (unsigned long long)c->size);
		return fail(c, info, "file %u: expected a file header or the end marker",
			    c->files_done + 1);
	}
	return 0;
}

static size_t on_file(struct xfer_check *c, struct xfer_info *info)
{
	uint32_t k = c->files_done + 1;
	uint16_t mode = get16(c->buf), name_len = get16(c->buf + 2);
	uint64_t size = get64(c->buf + 4);
	if (mode != XFER_MODE_FILE && mode != XFER_MODE_EXEC)
		return fail(c, info, "file %u: mode 0%o (only 0644 and 0755)", k, mode);
	if (name_len == 0 || name_len > XFER_NAME_MAX)
		return fail(c, info, "file %u: name of %u bytes (1..%u)", k, name_len, XFER_NAME_MAX);
	if (size > c->lim.max_bytes - c->bytes_total)
		return fail(c, info, "file %u: size %llu takes the transfer past the limit of %llu bytes",
			    k, (unsigned long long)size, (unsigned long long)c->lim.max_bytes);
	c->mode = mode;
	c->size = c->left = size;
	c->bytes_total += size;
	expect(c, XS_NAME, name_len);
	return 0;
}

static size_t on_name(struct xfer_check *c, struct xfer_info *info)
{
	char why[XFER_REASON_LEN];
	uint32_t k = c->files_done + 1;
	if (xfer_name_check(c->buf, c->need, why) < 0)
		return fail(c, info, "file %u: name %s", k, why);
	memcpy(c->name, c->buf, c->need);
	c->name[c->need] = 0;
	c->name_len = c->need;
	int added = seen_add(c->seen, c->name);
	if (added < 0)
		return fail(c, info, "file %u: out of memory", k);
	if (added == 0)
		return fail(c, info, "file %u: the same name as an earlier file", k);
	c->hash.init(c->hash.ctx);
	info->ev = XFER_EV_FILE;
	info->name = c->name;
	info->name_len = c->name_len;
	info->mode = c->mode;
	info->size = c->size;
	info->index = c->files_done;
	c->state = XS_DATA;
	return 0;
}

static size_t on_trailer(struct xfer_check *c, struct xfer_info *info)
{
	uint32_t k = c->files_done + 1;
	if (memcmp(c->buf, "SHA2", TAG_LEN) != 0)
		return fail(c, info, "file %u: no trailer after its %llu bytes "
			    "(the data does not match the declared size)", k, (unsigned long long)c->size);
	c->hash.final(c->hash.ctx, c->digest);
	if (memcmp(c->digest, c->buf + TAG_LEN, XFER_DIGEST_LEN) != 0)
		return fail(c, info, "file %u: SHA-256 of the data does not match the trailer", k);
	file_end(c, info);
	return 0;
}

static size_t on_end(struct xfer_check *c, struct xfer_info *info)
{
	uint32_t n = get32(c->buf);
	if (c->files_done != c->nfiles)
		return fail(c, info, "end marker after %u of %u files", c->files_done, c->nfiles);
	if (n != c->nfiles)
		return fail(c, info, "end marker counts %u files, the header %u", n, c->nfiles);
	info->ev = XFER_EV_END;
	info->vm = c->vm;
	info->nfiles = c->nfiles;
	end_transfer(c);
	expect(c, XS_HEADER, XFER_HEADER_LEN);
	return 0;
}

static size_t field_complete(struct xfer_check *c, struct xfer_info *info)
{
	switch (c->state) {
	case XS_HEADER: return on_header(c, info);
	case XS_VM: return on_vm(c, info);
	case XS_RECORD: return on_record(c, info);
	case XS_FILE: return on_file(c, info);
	case XS_NAME: return on_name(c, info);
	case XS_TRAILER: return on_trailer(c, info);
	case XS_END: return on_end(c, info);
	default: return 0;
	}
}

static size_t feed_data(struct xfer_check *c, const uint8_t *buf, size_t len, struct xfer_info *info)
{
	if (c->left == 0) {
		if (c->kind == XFER_INBOX) {
			expect(c, XS_TRAILER, XFER_TRAILER_LEN);
		} else {
			c->hash.final(c->hash.ctx, c->digest);
			file_end(c, info);
		}
		return 0;
	}
	size_t n = len < c->left ? len : (size_t)c->left;
	if (n == 0)
		return 0;
	c->hash.update(c->hash.ctx, buf, n);
	c->left -= n;
	info->ev = XFER_EV_DATA;
	info->data = buf;
	info->len = n;
	info->index = c->files_done;
	return n;
}

size_t xfer_check_feed(struct xfer_check *c, const uint8_t *buf, size_t len, struct xfer_info *info)
{
	memset(info, 0, sizeof(*info));
	size_t used = 0;
	while (info->ev == XFER_EV_NONE) {
		if (c->state == XS_FAILED)
			return len;
		if (c->state == XS_DATA) {
			size_t n = feed_data(c, buf + used, len - used, info);
			used += n;
			if (info->ev != XFER_EV_NONE || (n == 0 && c->state == XS_DATA))
				return used;
			continue;
		}
		size_t n = c->need - c->have;
		if (n > len - used)
			n = len - used;
		memcpy(c->buf + c->have, buf + used, n);
		c->have += n;
		used += n;
		if (c->have < c->need)
			return used;
		field_complete(c, info);
	}
	return used;
}

/* --- names ----------------------------------------------------------------------------- */

bool xfer_vm_name_ok(const uint8_t *name, size_t len)
{
	if (len == 0 || len > XFER_VM_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Code points a name may not hold although they are valid UTF-8: C1
 * controls, and the characters that reorder or break the text around
 * them when it is shown (Trojan Source, CVE-2021-42574): LRM, RLM, ALM,
 * the bidi embeddings, overrides and isolates, and the Unicode line and
 * paragraph separators. */
static const char *forbidden_cp(uint32_t cp)
{
	if (cp >= 0x80 && cp <= 0x9f)
		return "holds a control character";
	if (cp == 0x200e || cp == 0x200f || cp == 0x061c || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return "holds a bidirectional control character";
	if (cp == 0x2028 || cp == 0x2029)
		return "holds a line or paragraph separator";
	return NULL;
}

size_t xfer_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t b = s[0];
	size_t len;
	uint32_t min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xc2 && b <= 0xdf) {
		len = 2, min = 0x80, *cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3, min = 0x800, *cp = b & 0x0f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4, min = 0x10000, *cp = b & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

void xfer_utf8_repair(char *s, size_t len)
{
	uint32_t cp;
	for (size_t i = 0, k; i < len; i += k) {
		k = xfer_utf8_decode((const uint8_t *)s + i, len - i, &cp);
		if (k == 0)
			s[i] = '?', k = 1;
	}
}

int xfer_name_check(const uint8_t *name, size_t len, char *why)
{
	const char *bad = NULL;
	if (len == 0 || len > XFER_NAME_MAX)
		bad = "is empty or longer than 255 bytes";
	else if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		bad = "is '.' or '..'";
	for (size_t i = 0; !bad && i < len;) {
		uint32_t cp;
		size_t n = xfer_utf8_decode(name + i, len - i, &cp);
		if (n == 0)
			bad = "is not valid UTF-8";
		else if (cp == '/')
			bad = "holds '/'";
		else if (cp == 0)
			bad = "holds a NUL byte";
		else if (cp < 0x20 || cp == 0x7f)
			bad = "holds a control character";
		else
			bad = forbidden_cp(cp);
		i += n;
	}
	if (!bad)
		return 0;
	snprintf(why, XFER_REASON_LEN, "%s", bad);
	return -1;
}

/* --- writers ---------------------------------------------------------------------------- */

size_t xfer_put_header(uint8_t *out, enum xfer_kind kind, const char *vm, uint32_t nfiles)
{
	size_t vmlen = strlen(vm);
	memcpy(out, XFER_MAGIC, 8);
	put16(out + 8, XFER_VERSION);
	put16(out + 10, kind_flags(kind));
	put32(out + 12, nfiles);
	out[16] = (uint8_t)vmlen;
	memcpy(out + XFER_HEADER_LEN, vm, vmlen);
	return XFER_HEADER_LEN + vmlen;
}

size_t xfer_put_file(uint8_t *out, const char *name, uint16_t mode, uint64_t size)
{
	size_t len = strlen(name);
	memcpy(out, "FILE", TAG_LEN);
	put16(out + 4, mode);
	put16(out + 6, (uint16_t)len);
	put64(out + 8, size);
	memcpy(out + XFER_FILE_LEN, name, len);
	return XFER_FILE_LEN + len;
}

size_t xfer_put_trailer(uint8_t *out, const uint8_t digest[XFER_DIGEST_LEN])
{
	memcpy(out, "SHA2", TAG_LEN);
	memcpy(out + TAG_LEN, digest, XFER_DIGEST_LEN);
	return XFER_TRAILER_LEN;
}

size_t xfer_put_end(uint8_t *out, uint32_t nfiles)
{
	memcpy(out, "END.", TAG_LEN);
	put32(out + 4, nfiles);
	return XFER_END_LEN;
}
