/*
 * The audit log: an append-only file of JSON records, one per line, each
 * chained to the one before it by a SHA-256 hash.
 *
 *   {"seq":1,"time":"2026-11-23T19:12:00.123Z","subject":"vm-a","object":"disk-b",
 *    "subject_label":"SECRET/HIGH","object_label":"UNCLASSIFIED/HIGH",
 *    "mode":"read","decision":"deny","reason":"...","prev":"<64 hex digits>"}
 *
 * (shown wrapped; on disk each record is one line, keys in exactly this
 * order, no spaces, non-ASCII escaped as \uXXXX.)  seq counts from 1.
 * prev is the SHA-256 of the previous line's bytes without its newline;
 * the first record's prev is 64 zeros.  Editing, deleting, inserting or
 * reordering any record therefore breaks the chain at or right after it.
 * Cutting records off the END, or editing the last one, leaves a chain
 * that is still intact: whoever must detect that keeps the record count
 * and last hash elsewhere -- the supervisor prints them at exit and sends
 * every record's to syslog (audit_anchor_to_syslog) -- and compares
 * (audit_verify_result.records and last_hash; cordon audit verify --expect).
 *
 * The supervisor is the only writer: audit_open takes an exclusive flock.
 * This module, like the rest of src/sec, is supervisor code and calls the
 * OS itself (open, write, fdatasync) rather than going through src/host.
 */
#ifndef CORDON_SEC_AUDIT_H
#define CORDON_SEC_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#define AUDIT_ERRLEN 256
#define AUDIT_HASH_HEX 65         /* 64 hex digits and a NUL */
#define AUDIT_FIELD_MAX 4096      /* longest string field, in bytes */
/* The longest record: 7 fields of AUDIT_FIELD_MAX bytes, each byte escaped as
 * \u00XX at worst, fit.  audit_open and audit_verify refuse longer lines. */
#define AUDIT_LINE_MAX (256 * 1024)
/* Bytes of file system preallocated ahead of the log's end (audit_open). */
#define AUDIT_RESERVE (1 << 20)

/* One record's content; audit_append adds seq, time and prev. */
struct audit_event {
	const char *subject, *object;             /* names: VM, disk, media... */
	const char *subject_label, *object_label; /* label texts */
	const char *mode;     /* "read", "write", ... (refmon: access_mode_name) */
	const char *decision; /* "allow" or "deny" (or an event word, e.g. "exit") */
	const char *reason;
};

struct audit_log;

/*
 * Opens (creating, mode 0600) the log at path for appending.  The whole
 * existing chain is verified first (as audit_verify does): a log with any
 * broken, edited, removed or unterminated record is refused, never
 * appended to.  Then AUDIT_RESERVE bytes of file system are preallocated
 * beyond its end and kept ahead of it as records are added, so a full
 * file system cannot take the next records away; a file system without
 * that much room is refused.  NULL with err (AUDIT_ERRLEN bytes) on
 * failure, including another process holding the log.
 */
struct audit_log *audit_open(const char *path, char *err);
/* From now on each appended record's seq and hash also go to the system
 * log (syslog, facility authpriv, ident "cordon-audit"): an anchor kept
 * outside the state directory, against which a cut tail or an edited
 * last record shows (cordon audit verify --expect). */
void audit_anchor_to_syslog(struct audit_log *log);
/*
 * Appends one record with one write() and fdatasync()s it.  Every field of
 * ev must be a non-NULL, valid UTF-8 string of at most AUDIT_FIELD_MAX
 * bytes, except that in the reason (free text, often built from messages
 * cut to a length) each byte that is not UTF-8 is recorded as '?'.  0, or
 * -1 with err; on failure nothing is left in the file and the chain state
 * is unchanged.
 */
int audit_append(struct audit_log *log, const struct audit_event *ev, char *err);
/* The last record's seq (0 if none) and its hash (64 zeros if none). */
void audit_head(const struct audit_log *log, uint64_t *seq, char hash_hex[AUDIT_HASH_HEX]);
void audit_close(struct audit_log *log);

struct audit_verify_result {
	uint64_t records;             /* intact records before the first problem */
	uint64_t bad_line;            /* 1-based line of the first problem; 0 if none */
	char problem[AUDIT_ERRLEN];   /* "line 7: prev does not match line 6 (...)" */
	char last_hash[AUDIT_HASH_HEX]; /* hash of the last intact record */
};

/*
 * Checks every line of the log: a JSON object with the fields above,
 * seq consecutive from 1, prev equal to the hash of the line before.
 * Returns 0 when the whole chain is intact (an empty file holds 0 records),
 * 1 when it found a problem (r->bad_line, r->problem), -1 when the file
 * cannot be read (err).
 */
int audit_verify(const char *path, struct audit_verify_result *r, char *err);

#endif
