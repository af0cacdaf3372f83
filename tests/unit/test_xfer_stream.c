/*
 * The transfer stream checker (src/xfer/stream.c): well-formed streams in
 * pieces of every size, and every hostile stream issue #14 lists, each
 * refused whole with a reason and nothing passed on after the refusal.
 * The hostile streams are outbox streams, what a guest sends its guard;
 * the trailers of inbox streams (the guard's spool, what cordon-receive
 * reads) have tests of their own.
 */
#include "t.h"

#include <stdarg.h>
#include <stdlib.h>

#include "sec/digest.h"
#include "xfer_util.h"

#define SUMMARY_MAX 4096

/* Feeds the stream `step` bytes at a time and writes what the checker
 * reported into sum: "B:vm:n F:name:mode:size D:len E:k Z:n" and, on an
 * error, "X:reason".  Data is checked to pass through unchanged.  Returns
 * the number of events. */
struct run {
	enum xfer_kind kind;
	char sum[SUMMARY_MAX];
	struct xu_buf canon;   /* the stream re-encoded from the events */
	bool canonical;        /* ... and it equals the input */
	uint64_t data_bytes;
	unsigned errors, ends, files;
	char reason[XFER_REASON_LEN];
};

static void add(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct run *r, const char *fmt, ...)
{
	size_t n = strlen(r->sum);
	va_list ap;
	va_start(ap, fmt);
	if (n && n < sizeof(r->sum) - 1)
		r->sum[n++] = ' ', r->sum[n] = 0;
	vsnprintf(r->sum + n, sizeof(r->sum) - n, fmt, ap);
	va_end(ap);
}

/* Re-encodes what the checker reported, so an accepted stream can be
 * compared with the bytes it came from. */
static void canon(struct run *r, const struct xfer_info *i)
{
	uint8_t b[XFER_FILE_LEN + XFER_NAME_MAX];
	switch (i->ev) {
	case XFER_EV_BEGIN: xu_put(&r->canon, b, xfer_put_header(b, r->kind, i->vm, i->nfiles)); break;
	case XFER_EV_FILE: xu_put(&r->canon, b, xfer_put_file(b, i->name, i->mode, i->size)); break;
	case XFER_EV_DATA: xu_put(&r->canon, i->data, i->len); break;
	case XFER_EV_FILE_END:
		if (r->kind == XFER_INBOX)
			xu_put(&r->canon, b, xfer_put_trailer(b, i->digest));
		break;
	case XFER_EV_END: xu_put(&r->canon, b, xfer_put_end(b, i->nfiles)); break;
	default: break;
	}
}

static void record(struct run *r, const struct xfer_info *i, uint64_t *file_data)
{
	canon(r, i);
	switch (i->ev) {
	case XFER_EV_BEGIN: add(r, "B:%s:%u", i->vm, i->nfiles); break;
	case XFER_EV_FILE: add(r, "F:%s:%o:%llu", i->name, i->mode, (unsigned long long)i->size);
		*file_data = 0; r->files++; break;
	case XFER_EV_DATA: *file_data += i->len; r->data_bytes += i->len; break;
	case XFER_EV_FILE_END: add(r, "D:%llu E:%u", (unsigned long long)*file_data, i->index); break;
	case XFER_EV_END: add(r, "Z:%u", i->nfiles); r->ends++; break;
	case XFER_EV_ERROR: add(r, "X"); r->errors++;
		snprintf(r->reason, sizeof(r->reason), "%s", i->reason); break;
	default: break;
	}
}

static void run_kind(struct run *r, enum xfer_kind kind, const uint8_t *buf, size_t len,
		     size_t step, const struct xfer_limits *lim)
{
	struct digest sha;
	struct xfer_hash h = digest_hash(&sha);
	struct xfer_check c;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	CHECK_EQ(xfer_check_init(&c, kind, lim, &h), 0);
	uint64_t file_data = 0;
	size_t pos = 0;
	for (int guard = 0; guard < 10000000; guard++) {
		size_t n = len - pos < step ? len - pos : step;
		struct xfer_info info;
		size_t used = xfer_check_feed(&c, buf + pos, n, &info);
		CHECK(used <= n);
		if (info.ev == XFER_EV_DATA)
			CHECK(info.data == buf + pos && info.len == used);
		record(r, &info, &file_data);
		pos += used;
		if (info.ev == XFER_EV_NONE && pos == len)
			break;
	}
	if (xfer_check_mid_transfer(&c) && !xfer_check_failed(&c))
		add(r, "CUT");
	r->canonical = r->canon.len == len && memcmp(r->canon.p, buf, len) == 0;
	xu_free(&r->canon);
	xfer_check_free(&c);
	digest_free(&sha);
}

/* An outbox stream, the guard's input. */
static void run_stream(struct run *r, const uint8_t *buf, size_t len, size_t step,
		       const struct xfer_limits *lim)
{
	run_kind(r, XFER_OUTBOX, buf, len, step, lim);
}

static const struct xfer_limits deflim = { XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES };

static void put_header_kind(struct xu_buf *b, enum xfer_kind kind, const char *vm, uint32_t n)
{
	uint8_t hdr[XFER_HEADER_LEN + XFER_VM_MAX];
	xu_put(b, hdr, xfer_put_header(hdr, kind, vm, n));
}

static void put_header(struct xu_buf *b, const char *vm, uint32_t n)
{
	put_header_kind(b, XFER_OUTBOX, vm, n);
}

static void put_end(struct xu_buf *b, uint32_t n)
{
	uint8_t end[XFER_END_LEN];
	xu_put(b, end, xfer_put_end(end, n));
}

/* A one-file transfer whose file header is written raw. */
static void raw_file_kind(struct xu_buf *b, enum xfer_kind kind, uint16_t mode, const void *name,
			  uint16_t name_len, uint64_t size)
{
	uint8_t h[XFER_FILE_LEN];
	put_header_kind(b, kind, "high", 1);
	memcpy(h, "FILE", 4);
	h[4] = (uint8_t)mode, h[5] = (uint8_t)(mode >> 8);
	h[6] = (uint8_t)name_len, h[7] = (uint8_t)(name_len >> 8);
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(size >> (8 * i));
	xu_put(b, h, sizeof(h));
	xu_put(b, name, name_len);
}

static void raw_file_transfer(struct xu_buf *b, uint16_t mode, const void *name, uint16_t name_len,
			      uint64_t size)
{
	raw_file_kind(b, XFER_OUTBOX, mode, name, name_len, size);
}

static void expect_refused_kind(enum xfer_kind kind, const uint8_t *buf, size_t len,
				const char *why_part)
{
	size_t steps[] = { 1, 7, 4096, 1u << 30 };
	for (unsigned s = 0; s < 4; s++) {
		struct run r;
		run_kind(&r, kind, buf, len, steps[s], &deflim);
		CHECK_EQ(r.errors, 1);
		CHECK_EQ(r.ends, 0);
		if (!strstr(r.reason, why_part))
			t_fail(__FILE__, __LINE__, "reason \"%s\" lacks \"%s\"", r.reason, why_part);
		/* Nothing after the refusal: the summary ends with it. */
		size_t n = strlen(r.sum);
		CHECK(n >= 1 && r.sum[n - 1] == 'X');
	}
}

static void expect_refused(const uint8_t *buf, size_t len, const char *why_part)
{
	expect_refused_kind(XFER_OUTBOX, buf, len, why_part);
}

static const enum xfer_kind kinds[2] = { XFER_OUTBOX, XFER_INBOX };

TEST(xfer_stream_well_formed_in_every_piece_size)
{
	for (unsigned k = 0; k < 2; k++) {
		struct xu_buf b = { 0 };
		xu_transfer(&b, kinds[k], "high", 3);
		xu_transfer(&b, kinds[k], "other-vm_2", 1);  /* two transfers back to back */
		const char *want = "B:high:3 F:f0:644:6 D:6 E:0 F:f1:644:6 D:6 E:1 F:f2:644:6 D:6 E:2 Z:3 "
				   "B:other-vm_2:1 F:f0:644:6 D:6 E:0 Z:1";
		for (size_t step = 1; step <= b.len; step += step < 40 ? 1 : 37) {
			struct run r;
			run_kind(&r, kinds[k], b.p, b.len, step, &deflim);
			CHECK_STR(r.sum, want);
			CHECK(r.canonical);
		}
		xu_free(&b);
	}
}

TEST(xfer_stream_empty_file_and_exec_mode)
{
	for (unsigned k = 0; k < 2; k++) {
		struct xu_buf b = { 0 };
		put_header_kind(&b, kinds[k], "v", 2);
		xu_file(&b, kinds[k], "empty", XFER_MODE_FILE, "", 0);
		xu_file(&b, kinds[k], "run.sh", XFER_MODE_EXEC, "#!/bin/sh\n", 10);
		put_end(&b, 2);
		struct run r;
		run_kind(&r, kinds[k], b.p, b.len, 1, &deflim);
		CHECK_STR(r.sum, "B:v:2 F:empty:644:0 D:0 E:0 F:run.sh:755:10 D:10 E:1 Z:2");
		run_kind(&r, kinds[k], b.p, b.len, b.len, &deflim);
		CHECK_STR(r.sum, "B:v:2 F:empty:644:0 D:0 E:0 F:run.sh:755:10 D:10 E:1 Z:2");
		xu_free(&b);
	}
}

/* Each kind of stream is refused where the other is expected. */
TEST(xfer_stream_kinds_not_mixed)
{
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_INBOX, "high", 1);
	expect_refused_kind(XFER_OUTBOX, b.p, b.len, "header flags 0x1 (an outbox stream has 0x0)");
	xu_free(&b);
	xu_transfer(&b, XFER_OUTBOX, "high", 1);
	expect_refused_kind(XFER_INBOX, b.p, b.len, "header flags 0x0 (an inbox stream has 0x1)");
	xu_free(&b);
}

TEST(xfer_stream_utf8_names_accepted)
{
	const char *names[] = { "rapport été.txt", "日本語", "emoji \xf0\x9f\x93\x84", "a..b", ".hidden",
				"...", "quote\"and\\back", "-dash" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char why[XFER_REASON_LEN] = "";
		if (xfer_name_check((const uint8_t *)names[i], strlen(names[i]), why) != 0)
			t_fail(__FILE__, __LINE__, "name %u refused: %s", i, why);
	}
	char n255[256];
	memset(n255, 'x', 255);
	n255[255] = 0;
	char why[XFER_REASON_LEN];
	CHECK_EQ(xfer_name_check((const uint8_t *)n255, 255, why), 0);
}

TEST(xfer_stream_truncated_anywhere_is_cut)
{
	for (unsigned k = 0; k < 2; k++) {
		struct xu_buf b = { 0 };
		xu_transfer(&b, kinds[k], "high", 2);
		for (size_t cut = 1; cut < b.len; cut++) {
			struct run r;
			run_kind(&r, kinds[k], b.p, cut, 5, &deflim);
			CHECK_EQ(r.errors, 0);
			CHECK_EQ(r.ends, 0);
			size_t n = strlen(r.sum);
			if (n < 3 || strcmp(r.sum + n - 3, "CUT") != 0)
				t_fail(__FILE__, __LINE__, "cut at %zu: \"%s\" does not end in CUT",
				       cut, r.sum);
		}
		xu_free(&b);
	}
}

TEST(xfer_stream_bad_headers_refused)
{
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_OUTBOX, "high", 1);
	uint8_t *p = malloc(b.len);
	memcpy(p, b.p, b.len); p[0] = 'X';
	expect_refused(p, b.len, "bad magic");
	memcpy(p, b.p, b.len); p[8] = 2;
	expect_refused(p, b.len, "version 2");
	memcpy(p, b.p, b.len); p[10] = 1;
	expect_refused(p, b.len, "flags");
	memcpy(p, b.p, b.len); p[12] = p[13] = p[14] = p[15] = 0;
	expect_refused(p, b.len, "0 files");
	memcpy(p, b.p, b.len); p[12] = p[13] = p[14] = p[15] = 0xff;   /* 4294967295 files */
	expect_refused(p, b.len, "more than the limit");
	memcpy(p, b.p, b.len); p[16] = 0;
	expect_refused(p, b.len, "VM name of 0 bytes");
	memcpy(p, b.p, b.len); p[16] = 200;
	expect_refused(p, b.len, "VM name of 200 bytes");
	memcpy(p, b.p, b.len); p[17] = '/';
	expect_refused(p, b.len, "bad VM name");
	free(p);
	xu_free(&b);
}

TEST(xfer_stream_ten_thousand_files_refused)
{
	struct xu_buf b = { 0 };
	xu_transfer(&b, XFER_OUTBOX, "high", 10000);
	expect_refused(b.p, b.len, "10000 files: more than the limit of 1000");
	/* With the limit raised, the same stream is fine. */
	struct run r;
	struct xfer_limits lim = { XFER_DEFAULT_MAX_BYTES, 10000 };
	run_stream(&r, b.p, b.len, 65536, &lim);
	CHECK_EQ(r.errors, 0);
	CHECK_EQ(r.ends, 1);
	CHECK_EQ(r.files, 10000);
	xu_free(&b);
}

TEST(xfer_stream_sizes_past_the_limit_refused)
{
	struct xu_buf b = { 0 };
	raw_file_transfer(&b, 0644, "big", 3, XFER_DEFAULT_MAX_BYTES + 1);
	expect_refused(b.p, b.len, "past the limit of 67108864 bytes");
	xu_free(&b);
	raw_file_transfer(&b, 0644, "neg", 3, (uint64_t)-1);        /* -1 as a signed size */
	expect_refused(b.p, b.len, "size 18446744073709551615");
	xu_free(&b);
	raw_file_transfer(&b, 0644, "neg", 3, 1ull << 63);
	expect_refused(b.p, b.len, "past the limit");
	xu_free(&b);
	/* Two files that each fit but not together. */
	struct xfer_limits lim = { 100, 10 };
	put_header(&b, "v", 2);
	char data[60] = { 0 };
	xu_file(&b, XFER_OUTBOX, "a", 0644, data, 60);
	xu_file(&b, XFER_OUTBOX, "b", 0644, data, 60);
	put_end(&b, 2);
	struct run r;
	run_stream(&r, b.p, b.len, 13, &lim);
	CHECK_STR(r.sum, "B:v:2 F:a:644:60 D:60 E:0 X");
	CHECK(strstr(r.reason, "file 2: size 60 takes the transfer past the limit of 100") != NULL);
	xu_free(&b);
}

TEST(xfer_stream_name_lengths_refused)
{
	struct xu_buf b = { 0 };
	raw_file_transfer(&b, 0644, "", 0, 1);
	expect_refused(b.p, b.len, "name of 0 bytes");
	xu_free(&b);
	static char big[0x10000];
	memset(big, 'a', sizeof(big));
	raw_file_transfer(&b, 0644, big, 256, 1);
	expect_refused(b.p, b.len, "name of 256 bytes");
	xu_free(&b);
	raw_file_transfer(&b, 0644, big, 0xffff, 1);
	expect_refused(b.p, b.len, "name of 65535 bytes");
	xu_free(&b);
}

TEST(xfer_stream_bad_names_refused)
{
	struct {
		const char *name;
		size_t len;
		const char *why;
	} bad[] = {
		{ "a/b", 3, "'/'" },
		{ "/etc", 4, "'/'" },
		{ "..", 2, "'.' or '..'" },
		{ ".", 1, "'.' or '..'" },
		{ "a\0b", 3, "NUL" },
		{ "line\nbreak", 10, "control character" },
		{ "tab\t", 4, "control character" },
		{ "esc\x1b[31m", 8, "control character" },
		{ "del\x7f", 4, "control character" },
		{ "c1\xc2\x85", 4, "control character" },                 /* U+0085 NEL */
		{ "evil\xe2\x80\xaetxt.exe", 14, "bidirectional" },      /* U+202E RLO */
		{ "iso\xe2\x81\xa6x", 7, "bidirectional" },              /* U+2066 LRI */
		{ "rlm\xe2\x80\x8f", 6, "bidirectional" },               /* U+200F RLM */
		{ "alm\xd8\x9c", 5, "bidirectional" },                   /* U+061C ALM */
		{ "ls\xe2\x80\xa8", 5, "separator" },                    /* U+2028 */
		{ "bad\xff", 4, "UTF-8" },
		{ "cut\xe2\x80", 5, "UTF-8" },
		{ "over\xc0\xaf", 6, "UTF-8" },                          /* overlong '/' */
		{ "over\xe0\x80\xaf", 7, "UTF-8" },
		{ "sur\xed\xa0\x80", 6, "UTF-8" },                       /* U+D800 */
		{ "big\xf4\x90\x80\x80", 7, "UTF-8" },                   /* past U+10FFFF */
		{ "cont\x80", 5, "UTF-8" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xu_buf b = { 0 };
		raw_file_transfer(&b, 0644, bad[i].name, (uint16_t)bad[i].len, 4);
		xu_put(&b, "data", 4);
		expect_refused(b.p, b.len, bad[i].why);
		xu_free(&b);
	}
}

TEST(xfer_stream_modes_refused)
{
	uint16_t modes[] = { 04755, 02755, 06755, 0777, 0600, 0, 0100644 & 0xffff, 01644 };
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct xu_buf b = { 0 };
		raw_file_transfer(&b, modes[i], "f", 1, 1);
		expect_refused(b.p, b.len, "only 0644 and 0755");
		xu_free(&b);
	}
}

TEST(xfer_stream_declared_size_mismatch_refused)
{
	/* More data than declared: no file header or end marker where the
	 * next record must start. */
	struct xu_buf b = { 0 };
	raw_file_transfer(&b, 0644, "f", 1, 4);
	xu_put(&b, "12345678", 8);
	put_end(&b, 1);
	expect_refused(b.p, b.len, "file 1: no file header or end marker after its 4 bytes "
				   "(the data does not match the declared size)");
	xu_free(&b);
	/* Less data than declared, then the end and another transfer: what
	 * follows is taken as data, and the record after it is not one. */
	raw_file_transfer(&b, 0644, "f", 1, 40);
	xu_put(&b, "1234", 4);
	put_end(&b, 1);
	put_header(&b, "v", 1);
	xu_file(&b, XFER_OUTBOX, "g", 0644, "xyz", 3);
	put_end(&b, 1);
	put_header(&b, "w", 1);
	expect_refused(b.p, b.len, "does not match the declared size");
	xu_free(&b);
}

/* An inbox stream's trailers: one after each file's declared size,
 * holding the SHA-256 of its data. */
TEST(xfer_stream_inbox_trailers_checked)
{
	struct xu_buf b = { 0 };
	uint8_t d[XFER_DIGEST_LEN], tr[XFER_TRAILER_LEN];
	raw_file_kind(&b, XFER_INBOX, 0644, "f", 1, 4);
	xu_put(&b, "abcd", 4);
	xu_sha256("abce", 4, d);
	xu_put(&b, tr, xfer_put_trailer(tr, d));
	put_end(&b, 1);
	expect_refused_kind(XFER_INBOX, b.p, b.len, "file 1: SHA-256 of the data does not match");
	xu_free(&b);
	/* More data than declared: the trailer is not where it must be. */
	raw_file_kind(&b, XFER_INBOX, 0644, "f", 1, 4);
	xu_put(&b, "12345678", 8);
	xu_sha256("12345678", 8, d);
	xu_put(&b, tr, xfer_put_trailer(tr, d));
	put_end(&b, 1);
	expect_refused_kind(XFER_INBOX, b.p, b.len, "no trailer after its 4 bytes");
	xu_free(&b);
	/* No trailer at all, as an outbox stream would have it. */
	raw_file_kind(&b, XFER_INBOX, 0644, "f", 1, 4);
	xu_put(&b, "abcd", 4);
	put_end(&b, 1);
	xu_put(&b, "more bytes than a trailer's 36....", 34);
	expect_refused_kind(XFER_INBOX, b.p, b.len, "no trailer after its 4 bytes");
	xu_free(&b);
}

TEST(xfer_stream_file_count_mismatch_refused)
{
	struct xu_buf b = { 0 };
	put_header(&b, "v", 2);
	xu_file(&b, XFER_OUTBOX, "a", 0644, "x", 1);
	put_end(&b, 2);                        /* one file short */
	expect_refused(b.p, b.len, "end marker after 1 of 2 files");
	xu_free(&b);
	put_header(&b, "v", 1);
	xu_file(&b, XFER_OUTBOX, "a", 0644, "x", 1);
	xu_file(&b, XFER_OUTBOX, "b", 0644, "y", 1);        /* one too many */
	put_end(&b, 1);
	expect_refused(b.p, b.len, "more files than the 1 declared");
	xu_free(&b);
	put_header(&b, "v", 1);
	xu_file(&b, XFER_OUTBOX, "a", 0644, "x", 1);
	put_end(&b, 7);                        /* the end marker disagrees */
	expect_refused(b.p, b.len, "end marker counts 7 files, the header 1");
	xu_free(&b);
	put_header(&b, "v", 1);
	xu_put(&b, "JUNK", 4);
	expect_refused(b.p, b.len, "expected a file header or the end marker");
	xu_free(&b);
}

TEST(xfer_stream_duplicate_names_refused)
{
	struct xu_buf b = { 0 };
	put_header(&b, "v", 3);
	xu_file(&b, XFER_OUTBOX, "same", 0644, "1", 1);
	xu_file(&b, XFER_OUTBOX, "other", 0644, "2", 1);
	xu_file(&b, XFER_OUTBOX, "same", 0755, "3", 1);
	put_end(&b, 3);
	expect_refused(b.p, b.len, "file 3: the same name as an earlier file");
	xu_free(&b);
	/* The same name in two transfers is fine: names are per transfer. */
	put_header(&b, "v", 1);
	xu_file(&b, XFER_OUTBOX, "same", 0644, "1", 1);
	put_end(&b, 1);
	put_header(&b, "v", 1);
	xu_file(&b, XFER_OUTBOX, "same", 0644, "2", 1);
	put_end(&b, 1);
	struct run r;
	run_stream(&r, b.p, b.len, 3, &deflim);
	CHECK_EQ(r.ends, 2);
	CHECK_EQ(r.errors, 0);
	xu_free(&b);
}

TEST(xfer_stream_after_error_swallows_until_reset)
{
	struct digest sha;
	struct xfer_hash h = digest_hash(&sha);
	struct xfer_check c;
	CHECK_EQ(xfer_check_init(&c, XFER_OUTBOX, &deflim, &h), 0);
	struct xu_buf bad = { 0 }, good = { 0 };
	raw_file_transfer(&bad, 0644, "a/b", 3, 1);
	xu_transfer(&good, XFER_OUTBOX, "v", 1);
	struct xfer_info info;
	size_t pos = 0;
	do {
		pos += xfer_check_feed(&c, bad.p + pos, bad.len - pos, &info);
	} while (info.ev != XFER_EV_ERROR && pos < bad.len);
	CHECK_EQ(info.ev, XFER_EV_ERROR);
	CHECK(xfer_check_failed(&c));
	/* A good transfer right after is swallowed: the stream is dead. */
	CHECK_EQ(xfer_check_feed(&c, good.p, good.len, &info), good.len);
	CHECK_EQ(info.ev, XFER_EV_NONE);
	/* After a reset (the guest closed and reopened the port) it is read. */
	xfer_check_reset(&c);
	CHECK(!xfer_check_failed(&c));
	unsigned ends = 0;
	for (pos = 0; pos < good.len;) {
		pos += xfer_check_feed(&c, good.p + pos, good.len - pos, &info);
		ends += info.ev == XFER_EV_END;
	}
	CHECK_EQ(ends, 1);
	xfer_check_free(&c);
	digest_free(&sha);
	xu_free(&bad);
	xu_free(&good);
}

TEST(xfer_stream_limits_checked_at_init)
{
	struct digest sha;
	struct xfer_hash h = digest_hash(&sha);
	struct xfer_check c;
	struct xfer_limits l0 = { 0, 10 }, l1 = { 10, 0 }, l2 = { XFER_CEIL_MAX_BYTES + 1, 10 },
			   l3 = { 10, XFER_CEIL_MAX_FILES + 1 };
	CHECK_EQ(xfer_check_init(&c, XFER_OUTBOX, &l0, &h), -1);
	CHECK_EQ(xfer_check_init(&c, XFER_OUTBOX, &l1, &h), -1);
	CHECK_EQ(xfer_check_init(&c, XFER_INBOX, &l2, &h), -1);
	CHECK_EQ(xfer_check_init(&c, XFER_INBOX, &l3, &h), -1);
}

/* Random damage to a good stream: the checker must refuse it, find it cut
 * short, or accept a stream that is exactly the canonical encoding of
 * what it reported (a changed name or, in an outbox stream, changed data
 * is a different, valid stream; in an inbox stream changed data is caught
 * by the digest); never crash or read out of bounds. */
static void random_damage(enum xfer_kind kind)
{
	struct xu_buf good = { 0 };
	xu_transfer(&good, kind, "high", 4);
	struct run ref;
	run_kind(&ref, kind, good.p, good.len, good.len, &deflim);
	CHECK(ref.canonical);
	uint32_t seed = 12345;
	uint8_t *p = malloc(good.len + 64);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(p, good.p, good.len);
		size_t len = good.len;
		int edits = 1 + iter % 4;
		for (int e = 0; e < edits; e++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			switch ((seed >> 4) % 3) {
			case 0: p[at] ^= (uint8_t)(1u << (seed % 8)); break;
			case 1: memmove(p + at, p + at + 1, len - at - 1); len--; break;
			default: p[at] = (uint8_t)(seed >> 16); break;
			}
		}
		struct run r;
		run_kind(&r, kind, p, len, 1 + iter % 50, &deflim);
		bool accepted = r.errors == 0 && strstr(r.sum, "CUT") == NULL;
		if (accepted && !r.canonical)
			t_fail(__FILE__, __LINE__, "iteration %d: \"%s\" accepted but not canonical",
			       iter, r.sum);
		if (accepted && kind == XFER_INBOX && r.data_bytes != ref.data_bytes)
			t_fail(__FILE__, __LINE__, "iteration %d: data lengths changed", iter);
	}
	free(p);
	xu_free(&good);
}

TEST(xfer_stream_random_damage)
{
	random_damage(XFER_OUTBOX);
	random_damage(XFER_INBOX);
}
