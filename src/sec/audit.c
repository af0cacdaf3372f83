/*
 * The hash-chained audit log (format in audit.h).
 *
 * Records are built with jansson (JSON_PRESERVE_ORDER keeps the key order
 * fixed, JSON_COMPACT drops spaces, JSON_ENSURE_ASCII keeps every byte of
 * the file printable ASCII so a log cannot smuggle terminal escapes) and
 * hashed with OpenSSL's SHA-256.
 *
 * Durability and atomicity: each record goes out in a single write() on an
 * O_APPEND descriptor followed by fdatasync().  If either fails, the file
 * is cut back to its previous length, so a failed append never leaves half
 * a record for the next one to chain onto.  A crash in the middle of a
 * write can still leave a partial last line; audit_open refuses such a log
 * rather than silently chaining past the damage, and audit_verify names it.
 */
#include "sec/audit.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "xfer/stream.h" /* xfer_utf8_repair */

#define HASH_LEN 32
#define NFIELDS 10 /* keys in a record */

struct audit_log {
	int fd;
	uint64_t seq;                 /* of the last record; 0 when empty */
	char prev[AUDIT_HASH_HEX];    /* hash of the last record, or zeros */
	off_t reserved_end;           /* blocks preallocated up to here (0: none) */
	bool to_syslog;               /* send each record's seq and hash to syslog */
	char path[1024];              /* for the syslog line */
};

/* The string fields of a record, in file order after seq and time. */
static const char *const string_fields[] = {
	"subject", "object", "subject_label", "object_label", "mode", "decision", "reason",
};
#define NSTRINGS (sizeof(string_fields) / sizeof(string_fields[0]))

static const char zero_hash[AUDIT_HASH_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static int sha256_hex(const void *data, size_t len, char out[AUDIT_HASH_HEX])
{
	unsigned char md[HASH_LEN];
	unsigned mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != HASH_LEN)
		return -1;
	for (int i = 0; i < HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static bool is_hash_hex(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Checks one parsed record has exactly the fields of the format with the
 * right types.  Sets *seq and *prev (pointing into rec).  why: AUDIT_ERRLEN.
 */
static int check_record(json_t *rec, uint64_t *seq, const char **prev, char *why)
{
	json_t *v;

	if (!json_is_object(rec)) {
		snprintf(why, AUDIT_ERRLEN, "not a JSON object");
		return -1;
	}
	v = json_object_get(rec, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		snprintf(why, AUDIT_ERRLEN, "field 'seq' missing or not a positive integer");
		return -1;
	}
	*seq = (uint64_t)json_integer_value(v);
	if (!json_is_string(json_object_get(rec, "time"))) {
		snprintf(why, AUDIT_ERRLEN, "field 'time' missing or not a string");
		return -1;
	}
	for (size_t i = 0; i < NSTRINGS; i++) {
		if (!json_is_string(json_object_get(rec, string_fields[i]))) {
			snprintf(why, AUDIT_ERRLEN, "field '%s' missing or not a string",
				 string_fields[i]);
			return -1;
		}
	}
	v = json_object_get(rec, "prev");
	if (!json_is_string(v) || !is_hash_hex(json_string_value(v))) {
		snprintf(why, AUDIT_ERRLEN, "field 'prev' missing or not 64 hex digits");
		return -1;
	}
	*prev = json_string_value(v);
	if (json_object_size(rec) != NFIELDS) {
		snprintf(why, AUDIT_ERRLEN, "%zu fields, expected %d", json_object_size(rec),
			 NFIELDS);
		return -1;
	}
	return 0;
}

/* Parses one line (without its newline) into a checked record. */
static json_t *parse_record(const char *line, size_t len, uint64_t *seq, const char **prev,
			    char *why)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!rec) {
		snprintf(why, AUDIT_ERRLEN, "not JSON (%s)", jerr.text);
		return NULL;
	}
	if (check_record(rec, seq, prev, why) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

/* --- opening: verify the whole chain, then reserve room ------------------------------ */

static int verify_stream(FILE *f, struct audit_verify_result *r, const char *path, char *err);

/*
 * Blocks for the next AUDIT_RESERVE bytes of records, taken now
 * (fallocate with FALLOC_FL_KEEP_SIZE: the file's size does not change),
 * so a file system that fills up later -- a guest's console log, another
 * program -- cannot take the audit log's next records away.  Where the
 * file system cannot preallocate, the free space is checked instead.
 */
static int reserve(struct audit_log *log, off_t size, const char *path, char *err)
{
	if (fallocate(log->fd, FALLOC_FL_KEEP_SIZE, size, AUDIT_RESERVE) == 0) {
		log->reserved_end = size + AUDIT_RESERVE;
		return 0;
	}
	struct statvfs fs;
	if (errno == EOPNOTSUPP && fstatvfs(log->fd, &fs) == 0 &&
	    (uint64_t)fs.f_bavail * fs.f_frsize >= AUDIT_RESERVE)
		return 0;
	snprintf(err, AUDIT_ERRLEN, "%s: no room for the audit log: %d KiB could not be "
		 "reserved on its file system (%s)", path, AUDIT_RESERVE >> 10,
		 errno == EOPNOTSUPP ? "too little free space" : strerror(errno));
	return -1;
}

static int load_chain(struct audit_log *log, const char *path, char *err)
{
	struct audit_verify_result r;
	int dupfd = dup(log->fd);
	FILE *f = dupfd >= 0 ? fdopen(dupfd, "r") : NULL;
	if (!f) {
		if (dupfd >= 0)
			close(dupfd);
		snprintf(err, AUDIT_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = verify_stream(f, &r, path, err);
	fclose(f);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		snprintf(err, AUDIT_ERRLEN, "%s: %.160s: the log is damaged, nothing is appended "
			 "to it (see 'cordon audit verify')", path, r.problem);
		return -1;
	}
	log->seq = r.records;
	memcpy(log->prev, r.last_hash, AUDIT_HASH_HEX);
	return 0;
}

struct audit_log *audit_open(const char *path, char *err)
{
	struct audit_log *log = calloc(1, sizeof(*log));
	struct stat st;

	if (!log) {
		snprintf(err, AUDIT_ERRLEN, "%s: out of memory", path);
		return NULL;
	}
	log->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (log->fd < 0) {
		snprintf(err, AUDIT_ERRLEN, "%s: %s", path,
			 errno == ELOOP ? "is a symbolic link" : strerror(errno));
		free(log);
		return NULL;
	}
	if (fstat(log->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		snprintf(err, AUDIT_ERRLEN, "%s: not a regular file with one link", path);
		goto fail;
	}
	if (flock(log->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, AUDIT_ERRLEN, "%s: %s", path,
			 errno == EWOULDBLOCK ? "already open in another process" : strerror(errno));
		goto fail;
	}
	snprintf(log->path, sizeof(log->path), "%s", path);
	memcpy(log->prev, zero_hash, AUDIT_HASH_HEX);
	if (load_chain(log, path, err) < 0 || reserve(log, st.st_size, path, err) < 0)
		goto fail;
	return log;
fail:
	close(log->fd);
	free(log);
	return NULL;
}

void audit_anchor_to_syslog(struct audit_log *log)
{
	log->to_syslog = true;
	openlog("cordon-audit", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void audit_head(const struct audit_log *log, uint64_t *seq, char hash_hex[AUDIT_HASH_HEX])
{
	*seq = log->seq;
	memcpy(hash_hex, log->prev, AUDIT_HASH_HEX);
}

void audit_close(struct audit_log *log)
{
	if (!log)
		return;
	close(log->fd);
	free(log);
}

/* --- appending ------------------------------------------------------------- */

/* "2026-11-23T19:12:00.123Z": UTC with milliseconds. */
static void format_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char secs[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.20s.%03dZ", secs, (int)(ts.tv_nsec / 1000000));
}

/* Adds key: s to rec; -1 (err naming the field) when s is unusable. */
static int set_string(json_t *rec, const char *key, const char *s, char *err)
{
	if (!s) {
		snprintf(err, AUDIT_ERRLEN, "audit record: field '%s' is missing", key);
		return -1;
	}
	if (strlen(s) > AUDIT_FIELD_MAX) {
		snprintf(err, AUDIT_ERRLEN, "audit record: field '%s' is longer than %d bytes", key,
			 AUDIT_FIELD_MAX);
		return -1;
	}
	if (json_object_set_new(rec, key, json_string(s)) < 0) {
		snprintf(err, AUDIT_ERRLEN, "audit record: field '%s' is not valid UTF-8", key);
		return -1;
	}
	return 0;
}

/*
 * A reason is text its caller put together from messages, and a message
 * cut to a length can end in half a character (safe_open cuts a path at
 * 300 bytes): each byte that is not part of valid UTF-8 becomes '?', so
 * the wording of a refusal never costs its record (and with it every VM:
 * the supervisor stops when a record cannot be written).  Names and
 * labels get no such repair.  A malloc'ed copy, or NULL.
 */
static char *repair_reason(const char *s)
{
	char *out = s ? strdup(s) : NULL;
	if (out)
		xfer_utf8_repair(out, strlen(out));
	return out;
}

/* The record's text (with its newline, malloc'ed), or NULL with err. */
static char *build_line(const struct audit_log *log, const struct audit_event *ev,
			size_t *len, char *err)
{
	char *reason = repair_reason(ev->reason);
	const char *values[NSTRINGS] = {
		ev->subject, ev->object, ev->subject_label, ev->object_label,
		ev->mode, ev->decision, ev->reason ? reason : NULL,
	};
	json_t *rec = json_object();
	char now[32], *text = NULL, *line = NULL;
	int bad = rec == NULL || (ev->reason && !reason);

	format_now(now);
	bad = bad || json_object_set_new(rec, "seq", json_integer((json_int_t)(log->seq + 1))) < 0;
	bad = bad || json_object_set_new(rec, "time", json_string(now)) < 0;
	for (size_t i = 0; !bad && i < NSTRINGS; i++)
		bad = set_string(rec, string_fields[i], values[i], err) < 0;
	bad = bad || json_object_set_new(rec, "prev", json_string(log->prev)) < 0;
	if (!bad)
		text = json_dumps(rec, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(rec);
	free(reason);
	if (text) {
		*len = strlen(text) + 1;
		line = malloc(*len + 1);
		if (line) {
			memcpy(line, text, *len - 1);
			memcpy(line + *len - 1, "\n", 2);
		}
	}
	free(text);
	if (!line && err[0] == '\0') /* set_string explains its own failures */
		snprintf(err, AUDIT_ERRLEN, "audit record: out of memory");
	return line;
}

int audit_append(struct audit_log *log, const struct audit_event *ev, char *err)
{
	struct stat st;
	size_t len;
	ssize_t n;
	char *line, hash[AUDIT_HASH_HEX];

	err[0] = '\0';
	line = build_line(log, ev, &len, err);
	if (!line)
		return -1;
	if (len - 1 > AUDIT_LINE_MAX) { /* cannot happen with the field limit; never write one */
		snprintf(err, AUDIT_ERRLEN, "audit record: longer than %d bytes", AUDIT_LINE_MAX);
		goto fail;
	}
	if (fstat(log->fd, &st) < 0) {
		snprintf(err, AUDIT_ERRLEN, "audit log: %s", strerror(errno));
		goto fail;
	}
	do
		n = write(log->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len || fdatasync(log->fd) < 0) {
		const char *why = n >= 0 && n < (ssize_t)len ? "short write" : strerror(errno);
		snprintf(err, AUDIT_ERRLEN, "audit log: cannot write record %llu: %s",
			 (unsigned long long)(log->seq + 1), why);
		if (n > 0 && ftruncate(log->fd, st.st_size) < 0)
			snprintf(err, AUDIT_ERRLEN, "audit log: record %llu half written and "
				 "cannot be removed", (unsigned long long)(log->seq + 1));
		goto fail;
	}
	if (sha256_hex(line, len - 1, hash) < 0) {
		snprintf(err, AUDIT_ERRLEN, "audit log: SHA-256 failed");
		goto fail;
	}
	log->seq++;
	memcpy(log->prev, hash, AUDIT_HASH_HEX);
	free(line);
	/* Keep a reserve ahead of the end; if the file system is full this
	 * fails quietly and the records left in the reserve go on. */
	off_t end = st.st_size + (off_t)len;
	if (log->reserved_end && end + AUDIT_RESERVE / 2 > log->reserved_end &&
	    fallocate(log->fd, FALLOC_FL_KEEP_SIZE, end, AUDIT_RESERVE) == 0)
		log->reserved_end = end + AUDIT_RESERVE;
	if (log->to_syslog)
		syslog(LOG_NOTICE, "%.200s: record %llu hash %s", log->path,
		       (unsigned long long)log->seq, log->prev);
	return 0;
fail:
	free(line);
	return -1;
}

/* --- verifying ------------------------------------------------------------- */

/* Checks one line (1-based number lineno, without its newline). */
static int verify_line(const char *line, size_t len, uint64_t lineno,
		       struct audit_verify_result *r)
{
	char why[AUDIT_ERRLEN], hash[AUDIT_HASH_HEX];
	const char *prev;
	uint64_t seq;
	json_t *rec = parse_record(line, len, &seq, &prev, why);
	int bad = 1;

	if (!rec)
		snprintf(r->problem, AUDIT_ERRLEN, "line %llu: %.200s", (unsigned long long)lineno,
			 why);
	else if (seq != lineno)
		snprintf(r->problem, AUDIT_ERRLEN, "line %llu: seq %llu, expected %llu",
			 (unsigned long long)lineno, (unsigned long long)seq,
			 (unsigned long long)lineno);
	else if (strcmp(prev, r->last_hash) != 0 && lineno == 1)
		snprintf(r->problem, AUDIT_ERRLEN,
			 "line 1: prev is not 64 zeros (records before it deleted?)");
	else if (strcmp(prev, r->last_hash) != 0)
		snprintf(r->problem, AUDIT_ERRLEN,
			 "line %llu: prev does not match line %llu (edited, deleted or reordered "
			 "record)", (unsigned long long)lineno, (unsigned long long)(lineno - 1));
	else if (sha256_hex(line, len, hash) < 0)
		snprintf(r->problem, AUDIT_ERRLEN, "line %llu: SHA-256 failed",
			 (unsigned long long)lineno);
	else
		bad = 0;
	json_decref(rec);
	if (bad) {
		r->bad_line = lineno;
		return -1;
	}
	memcpy(r->last_hash, hash, AUDIT_HASH_HEX);
	r->records++;
	return 0;
}

static int verify_stream(FILE *f, struct audit_verify_result *r, const char *path, char *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memcpy(r->last_hash, zero_hash, AUDIT_HASH_HEX);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			snprintf(r->problem, AUDIT_ERRLEN,
				 "line %llu: incomplete record (no newline at the end: truncated?)",
				 (unsigned long long)lineno);
			r->bad_line = lineno;
			rc = 1;
		} else if (n - 1 > AUDIT_LINE_MAX) {
			snprintf(r->problem, AUDIT_ERRLEN, "line %llu: longer than %d bytes",
				 (unsigned long long)lineno, AUDIT_LINE_MAX);
			r->bad_line = lineno;
			rc = 1;
		} else if (verify_line(line, (size_t)n - 1, lineno, r) < 0) {
			rc = 1;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, AUDIT_ERRLEN, "%s: read error", path);
		rc = -1;
	}
	free(line);
	return rc;
}

int audit_verify(const char *path, struct audit_verify_result *r, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	FILE *f = NULL;

	memset(r, 0, sizeof(*r));
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		snprintf(err, AUDIT_ERRLEN, "%s: not a regular file", path);
		return -1;
	}
	if (fd >= 0)
		f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, AUDIT_ERRLEN, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = verify_stream(f, r, path, err);
	fclose(f);
	return rc;
}
