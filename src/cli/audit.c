/*
 * `cordon audit verify LOG`: checks an audit log written by the supervisor
 * (format in src/sec/audit.h) and says where the first problem is.
 *
 * Exit status: 0 the chain is intact, 1 a problem in the log (or it cannot
 * be read), 2 a usage error.
 */
#include "cli/audit.h"

#include <string.h>

#include "sec/audit.h"

void cli_audit_help(FILE *f)
{
	fputs("Usage: cordon audit verify LOG\n"
	      "\n"
	      "Checks a cordon audit log (the supervisor's DIR/audit.log): every line\n"
	      "must be a complete JSON record, seq must count up from 1, and each record's\n"
	      "prev must be the SHA-256 of the line before.  Any edited, deleted, inserted\n"
	      "or reordered record breaks that chain; the first broken line is named.\n"
	      "Records cut off the end of the log leave an intact, shorter chain: compare\n"
	      "the record count with the one the supervisor reported.\n"
	      "\n"
	      "Prints 'LOG: N records, chain intact' and exits 0, or names the first\n"
	      "problem on stderr and exits 1.  Usage errors exit 2.\n",
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

static int verify(const char *path)
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
	printf("%s: %llu record%s, chain intact\n", path, (unsigned long long)r.records,
	       r.records == 1 ? "" : "s");
	return 0;
}

int cli_audit(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command (verify)", NULL);
	if (is_help(argv[1]) || (argc > 2 && is_help(argv[2]))) {
		cli_audit_help(stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") != 0)
		return usage_error("unknown command (the only one is verify):", argv[1]);
	if (argc < 3)
		return usage_error("verify: missing the LOG file", NULL);
	if (argc > 3)
		return usage_error("verify takes one LOG file; extra argument:", argv[3]);
	if (argv[2][0] == '-' && argv[2][1] != '\0')
		return usage_error("verify: unknown option:", argv[2]);
	return verify(argv[2]);
}
