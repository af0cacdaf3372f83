/*
 * `cordon audit verify LOG [--expect SEQ:HASH]`: checks an audit log written by the supervisor
 * (format in src/sec/audit.h) and says where the first problem is.
 *
 * Exit status: 0 the chain is intact (and ends at the --expect anchor when
 * one is given), 1 a problem in the log (or it cannot be read), 2 a usage
 * error.
 */
#include "cli/audit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec/audit.h"

static void cli_audit_help(FILE *f)
{
	fputs("Usage: cordon audit verify LOG [--expect SEQ:HASH]\n"
	      "\n"
	      "Checks a cordon audit log (the supervisor's DIR/audit.log): every line\n"
	      "must be a complete JSON record, seq must count up from 1, and each record's\n"
	      "prev must be the SHA-256 of the line before.  Any edited, deleted, inserted\n"
	      "or reordered record breaks that chain; the first broken line is named.\n"
	      "\n"
	      "Records cut off the end, or an edited last record, leave an intact chain.\n"
	      "Against that, keep an anchor outside the log -- the count and last hash the\n"
	      "supervisor prints when it exits, or the last 'record N hash H' line it sent\n"
	      "to the system log (ident cordon-audit) -- and give it as --expect N:H: the\n"
	      "log must then end exactly there.\n"
	      "\n"
	      "Prints 'LOG: N records, chain intact, last hash H' and exits 0, or names the\n"
	      "first problem (or the anchor it does not match) on stderr and exits 1.\n"
	      "Usage errors exit 2.\n",
	      f);
}

static bool is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0;
}

/* One line naming the problem, then the usage hint; exit status 2. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "cordon audit: %s%s%s\nTry 'cordon audit --help'.\n", what,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

struct anchor {
	bool set;
	unsigned long long seq;
	char hash[AUDIT_HASH_HEX];
};

/* SEQ:HASH, HASH 64 lower-case hex digits. */
static int parse_anchor(const char *s, struct anchor *a)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	a->seq = strtoull(s, &end, 10);
	if (errno || *end != ':' || strlen(end + 1) != AUDIT_HASH_HEX - 1)
		return -1;
	for (const char *h = end + 1; *h; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return -1;
	memcpy(a->hash, end + 1, AUDIT_HASH_HEX);
	a->set = true;
	return 0;
}

static int verify(const char *path, const struct anchor *expect)
{
	struct audit_verify_result r;
	char err[AUDIT_ERRLEN];
	int rc = audit_verify(path, &r, err);

	if (rc < 0) {
		fprintf(stderr, "cordon audit verify: %s\n", err);
		return 1;
	}
	if (rc > 0) {
		fprintf(stderr, "%s: %s\n", path, r.problem);
		return 1;
	}
	if (expect->set && (r.records != expect->seq || strcmp(r.last_hash, expect->hash) != 0)) {
		fprintf(stderr, "%s: does not end at the anchor: it ends at record %llu with hash %s, "
			"expected record %llu with hash %s (records cut off the end, added, or the "
			"last one edited)\n", path, (unsigned long long)r.records, r.last_hash,
			expect->seq, expect->hash);
		return 1;
	}
	printf("%s: %llu record%s, chain intact, last hash %s%s\n", path,
	       (unsigned long long)r.records, r.records == 1 ? "" : "s", r.last_hash,
	       expect->set ? " (matches the anchor)" : "");
	return 0;
}

int cli_audit(int argc, char **argv)
{
	struct anchor expect = { .set = false };
	const char *log = NULL;
	if (argc < 2)
		return usage_error("missing command (verify)", NULL);
	if (is_help(argv[1]) || (argc > 2 && is_help(argv[2]))) {
		cli_audit_help(stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") != 0)
		return usage_error("unknown command (the only one is verify):", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--expect") == 0 || strncmp(a, "--expect=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return usage_error("--expect needs SEQ:HASH", NULL);
			if (parse_anchor(v, &expect) < 0)
				return usage_error("--expect: not SEQ:HASH (a record number, a colon, "
						   "64 hex digits):", v);
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("verify: unknown option:", a);
		} else if (log) {
			return usage_error("verify takes one LOG file; extra argument:", a);
		} else {
			log = a;
		}
	}
	if (!log)
		return usage_error("verify: missing the LOG file", NULL);
	return verify(log, &expect);
}
