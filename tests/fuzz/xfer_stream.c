/*
 * Fuzz target: the transfer stream checker (src/xfer/stream.c), the code
 * every byte a guest writes to its outbox goes through first.
 *
 * Input: two bytes of settings (the file limit, the byte limit, how the
 * stream is cut into pieces, and its kind: an outbox stream as a guest
 * writes it, or an inbox stream with trailers as the guard writes it for
 * cordon-receive), then the stream.  The checker is fed the
 * pieces in turn and its events must keep stream.h's contract: a piece
 * is never over-consumed; events come in order (a header, then per file
 * its header, data and end, then the end marker) with nothing after
 * an error; every name passes the name rules and holds no '/'; every mode
 * is 0644 or 0755; a file's data adds up to its declared size; the files
 * and bytes of a transfer stay within the limits.  And a stream accepted
 * whole is exactly the encoding of the events it produced (one encoding
 * only, docs/transfer.md).
 *
 * fuzz-options: -max_len=8192
 * fuzz-plant: src/xfer/stream.c
 * fuzz-plant-from: else if (cp == '/')
 * fuzz-plant-to: else if (cp == '/' && i > 0)
 */
#include "fuzz.h"

#include "sec/digest.h"
#include "xfer/stream.h"

enum phase { P_HEADER, P_FILES, P_DATA, P_FAILED };

struct model {
	enum xfer_kind kind;
	enum phase phase;
	uint32_t nfiles, files;
	uint64_t size, got, total;
	uint8_t *canon;
	size_t canon_len, canon_cap;
	bool error;
};

static void canon_put(struct model *m, const void *b, size_t n)
{
	if (m->canon_len + n > m->canon_cap) {
		m->canon_cap = (m->canon_len + n) * 2 + 256;
		m->canon = realloc(m->canon, m->canon_cap);
		if (!m->canon)
			abort();
	}
	memcpy(m->canon + m->canon_len, b, n);
	m->canon_len += n;
}

static void check_event(struct model *m, const struct xfer_info *i, const struct xfer_limits *lim)
{
	uint8_t b[XFER_FILE_LEN + XFER_NAME_MAX];
	char why[XFER_REASON_LEN];
	FUZZ_CHECK(m->phase != P_FAILED || i->ev == XFER_EV_NONE, "event %d after an error", i->ev);
	switch (i->ev) {
	case XFER_EV_BEGIN:
		FUZZ_CHECK(m->phase == P_HEADER, "a header inside a transfer");
		FUZZ_CHECK(i->nfiles >= 1 && i->nfiles <= lim->max_files, "%u files", i->nfiles);
		FUZZ_CHECK(xfer_vm_name_ok((const uint8_t *)i->vm, strlen(i->vm)), "bad vm name");
		m->phase = P_FILES, m->nfiles = i->nfiles, m->files = 0, m->total = 0;
		canon_put(m, b, xfer_put_header(b, m->kind, i->vm, i->nfiles));
		break;
	case XFER_EV_FILE:
		FUZZ_CHECK(m->phase == P_FILES && m->files < m->nfiles && i->index == m->files,
			   "file %u out of order", i->index);
		FUZZ_CHECK(i->name_len == strlen(i->name) && !memchr(i->name, '/', i->name_len) &&
				   xfer_name_check((const uint8_t *)i->name, i->name_len, why) == 0,
			   "a bad name passed");
		FUZZ_CHECK(i->mode == XFER_MODE_FILE || i->mode == XFER_MODE_EXEC, "mode 0%o", i->mode);
		m->total += i->size;
		FUZZ_CHECK(m->total <= lim->max_bytes, "%llu bytes past the limit",
			   (unsigned long long)m->total);
		m->phase = P_DATA, m->size = i->size, m->got = 0;
		canon_put(m, b, xfer_put_file(b, i->name, i->mode, i->size));
		break;
	case XFER_EV_DATA:
		FUZZ_CHECK(m->phase == P_DATA && i->len > 0 && m->got + i->len <= m->size,
			   "data past the declared size");
		m->got += i->len;
		canon_put(m, i->data, i->len);
		break;
	case XFER_EV_FILE_END:
		FUZZ_CHECK(m->phase == P_DATA && m->got == m->size, "file ended after %llu of %llu",
			   (unsigned long long)m->got, (unsigned long long)m->size);
		m->phase = P_FILES, m->files++;
		if (m->kind == XFER_INBOX)
			canon_put(m, b, xfer_put_trailer(b, i->digest));
		break;
	case XFER_EV_END:
		FUZZ_CHECK(m->phase == P_FILES && m->files == m->nfiles, "end after %u of %u files",
			   m->files, m->nfiles);
		m->phase = P_HEADER;
		canon_put(m, b, xfer_put_end(b, i->nfiles));
		break;
	case XFER_EV_ERROR:
		FUZZ_CHECK(i->reason && i->reason[0] && strlen(i->reason) < XFER_REASON_LEN, "no reason");
		m->phase = P_FAILED;
		m->error = true;
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t s1 = fin_u8(&in), s2 = fin_u8(&in);
	struct xfer_limits lim = { 1 + (uint64_t)(s1 & 0x3f) * 1024, 1 + (s1 >> 6) * 5u };
	size_t len, piece = 1 + (s2 & 0x7f) % 97;
	enum xfer_kind kind = s2 & 0x80 ? XFER_INBOX : XFER_OUTBOX;
	uint8_t *buf = fin_rest(&in, &len);
	struct digest d;
	struct xfer_hash h = digest_hash(&d);
	struct xfer_check c;
	struct model m = { .kind = kind };
	FUZZ_CHECK(xfer_check_init(&c, kind, &lim, &h) == 0, "init refused the limits");
	size_t pos = 0;
	for (unsigned guard = 0; guard < 4 * len + 64; guard++) {
		size_t n = len - pos < piece ? len - pos : piece;
		struct xfer_info info;
		size_t used = xfer_check_feed(&c, buf + pos, n, &info);
		FUZZ_CHECK(used <= n, "consumed %zu of %zu", used, n);
		if (info.ev == XFER_EV_DATA)
			FUZZ_CHECK(info.data == buf + pos && info.len == used, "data not in place");
		check_event(&m, &info, &lim);
		pos += used;
		if (info.ev == XFER_EV_NONE && pos == len)
			break;
	}
	FUZZ_CHECK(pos == len, "stopped at %zu of %zu", pos, len);
	if (!m.error && !xfer_check_mid_transfer(&c))
		FUZZ_CHECK(m.canon_len == len && (!len || memcmp(m.canon, buf, len) == 0),
			   "an accepted stream that is not canonical");
	xfer_check_free(&c);
	digest_free(&d);
	free(m.canon);
	free(buf);
	return 0;
}
