/*
 * Fuzz target: `cordon audit verify` (audit_verify, src/sec/audit.c) on
 * arbitrary logs.  The first input byte picks how the rest is used: as
 * is, or (odd) with every line's "prev" rewritten to the true SHA-256 of
 * the line before, so that mutated records get past the hash chain and
 * exercise the field checks behind it.  The log is handed over as a memfd
 * (its /proc/self/fd path), so no file system is touched.
 *
 * The verdict is checked against an independent reading of the same
 * bytes (jansson and OpenSSL here, not audit.c's code): an intact verdict
 * means every line ends in a newline and is a JSON object whose seq is
 * its line number and whose prev is the hash of the line before (64
 * zeros for the first), with last_hash the last line's hash; a broken one
 * names a line that exists, "line N: ...", with exactly the N-1 lines
 * before it counted as intact.
 *
 * fuzz-plant: src/sec/audit.c
 * fuzz-plant-from: 	else if (strcmp(prev, r->last_hash) != 0)
 * fuzz-plant-to: 	else if (strcmp(prev, r->last_hash) != 0 && lineno > 2)
 */
#include "fuzz.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sec/audit.h"

static void sha256_hex(const char *data, size_t len, char out[AUDIT_HASH_HEX])
{
	unsigned char md[32];
	unsigned n = 0;
	FUZZ_CHECK(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) && n == 32, "SHA-256");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char zeros[AUDIT_HASH_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Rewrites each line's "prev":"<64 chars>" to the hash of the line before. */
static void fix_chain(char *log, size_t len)
{
	char prev[AUDIT_HASH_HEX];
	memcpy(prev, zeros, sizeof(prev));
	for (size_t start = 0; start < len;) {
		char *nl = memchr(log + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - log) : len;
		for (size_t i = start; i + 8 + 64 <= end; i++) {
			if (memcmp(log + i, "\"prev\":\"", 8) == 0) {
				memcpy(log + i + 8, prev, 64);
				break;
			}
		}
		sha256_hex(log + start, end - start, prev);
		start = end + 1;
	}
}

/* Whether line [p, p+len) is a record with this seq and prev. */
static bool record_ok(const char *p, size_t len, uint64_t seq, const char *prev)
{
	json_t *rec = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(rec) && json_is_integer(json_object_get(rec, "seq")) &&
		  json_integer_value(json_object_get(rec, "seq")) == (json_int_t)seq &&
		  json_is_string(json_object_get(rec, "prev")) &&
		  strcmp(json_string_value(json_object_get(rec, "prev")), prev) == 0;
	json_decref(rec);
	return ok;
}

static void check_intact(const char *log, size_t len, const struct audit_verify_result *r)
{
	char prev[AUDIT_HASH_HEX];
	uint64_t lines = 0;
	memcpy(prev, zeros, sizeof(prev));
	FUZZ_CHECK(len == 0 || log[len - 1] == '\n', "intact, but the last line has no newline");
	for (size_t start = 0; start < len;) {
		const char *nl = memchr(log + start, '\n', len - start);
		size_t end = (size_t)(nl - log);
		lines++;
		FUZZ_CHECK(record_ok(log + start, end - start, lines, prev),
			   "intact, but line %llu is not a record with seq %llu and the right prev",
			   (unsigned long long)lines, (unsigned long long)lines);
		sha256_hex(log + start, end - start, prev);
		start = end + 1;
	}
	FUZZ_CHECK(r->records == lines && r->bad_line == 0, "intact with %llu of %llu records",
		   (unsigned long long)r->records, (unsigned long long)lines);
	FUZZ_CHECK(strcmp(r->last_hash, prev) == 0, "last hash %s, expected %s", r->last_hash, prev);
}

static void check_broken(const char *log, size_t len, const struct audit_verify_result *r)
{
	uint64_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += log[i] == '\n';
	if (len && log[len - 1] != '\n')
		lines++;
	FUZZ_CHECK(r->bad_line >= 1 && r->bad_line <= lines, "bad line %llu of %llu",
		   (unsigned long long)r->bad_line, (unsigned long long)lines);
	FUZZ_CHECK(r->records == r->bad_line - 1, "%llu intact records before bad line %llu",
		   (unsigned long long)r->records, (unsigned long long)r->bad_line);
	char want[32];
	snprintf(want, sizeof(want), "line %llu: ", (unsigned long long)r->bad_line);
	FUZZ_CHECK(strncmp(r->problem, want, strlen(want)) == 0 &&
		   memchr(r->problem, '\0', sizeof(r->problem)), "problem: %.100s", r->problem);
	/* The hash of the last intact line, or zeros. */
	char prev[AUDIT_HASH_HEX];
	memcpy(prev, zeros, sizeof(prev));
	size_t start = 0;
	for (uint64_t n = 0; n < r->records; n++) {
		const char *nl = memchr(log + start, '\n', len - start);
		sha256_hex(log + start, (size_t)(nl - log) - start, prev);
		start = (size_t)(nl - log) + 1;
	}
	FUZZ_CHECK(strcmp(r->last_hash, prev) == 0, "last intact hash %s, expected %s", r->last_hash,
		   prev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	bool chain = fin_u8(&in) & 1;
	size_t len;
	char *log = (char *)fin_rest(&in, &len);
	if (chain)
		fix_chain(log, len);
	int fd = memfd_create("fuzz-audit", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && (len == 0 || write(fd, log, len) == (ssize_t)len), "memfd");
	char path[64], err[AUDIT_ERRLEN] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct audit_verify_result r;
	int rc = audit_verify(path, &r, err);
	FUZZ_CHECK(rc == 0 || rc == 1, "audit_verify returned %d: %s", rc, err);
	if (rc == 0)
		check_intact(log, len, &r);
	else
		check_broken(log, len, &r);
	close(fd);
	free(log);
	return 0;
}
