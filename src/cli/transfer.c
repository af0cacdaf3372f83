/*
 * `cordon transfer list|show|approve|deny`: the operator's review of the
 * transfers a running supervisor holds (docs/transfer.md).  Each request
 * goes over DIR/control (control_proto.h, control_transfer.h) and is
 * audited there with the operator's uid.
 *
 * The preview shows guest bytes on the operator's terminal, so it is text
 * only when every byte is printable ASCII (or a newline or tab), and a hex
 * dump otherwise: nothing a guest wrote can move the cursor, change
 * colours or hide text.  File names were checked against the transfer
 * stream's rules by the guard, the supervisor and the reply decoder.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "super/control_transfer.h"
#include "super/super.h"

static void cli_transfer_help(FILE *f)
{
	fputs("Usage:\n"
	      "  cordon transfer list --state-dir DIR        transfers held for review or waiting\n"
	      "  cordon transfer show ID --state-dir DIR     one transfer: labels, files, digests,\n"
	      "                                              and a preview of each file\n"
	      "  cordon transfer approve ID --state-dir DIR  let a held transfer be delivered\n"
	      "  cordon transfer deny ID --state-dir DIR     drop a held transfer, undelivered\n"
	      "\n"
	      "A VM with 'transfer on' sends files with cordon-send; they go up to a VM\n"
	      "whose label dominates the sender's when 'policy write-up on' is set, and\n"
	      "everything else that is not refused -- down, or across incomparable\n"
	      "labels -- is held in DIR/transfers for a person to review here.  Every\n"
	      "command is written to DIR/audit.log with your uid; an approval of a\n"
	      "downgrade is recorded as one.  See docs/transfer.md.\n"
	      "\n"
	      "Exit status: 0 done, 1 refused or failed, 2 bad command line.\n",
	      f);
}

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "cordon transfer: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'cordon transfer --help'.\n");
	return 2;
}

static json_t *request(const char *dir, enum control_cmd cmd, const char *id)
{
	char err[SUPER_ERRLEN];
	const char *args[] = { id, NULL };
	json_t *reply;
	if (super_request(dir, cmd, args, &reply, err) != 0) {
		fprintf(stderr, "cordon transfer: %s\n", err);
		return NULL;
	}
	return reply;
}

static void age(int64_t created, char *out, size_t len)
{
	int64_t s = (int64_t)time(NULL) - created;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(out, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, len, "%lldd", (long long)(s / 86400));
}

static int list(const char *dir)
{
	static struct control_xfer_list l; /* large: off the stack */
	char err[CONTROL_ERRLEN];
	json_t *reply = request(dir, CONTROL_TRANSFER_LIST, NULL);
	if (!reply)
		return 1;
	int rc = control_xfer_list_decode(reply, &l, err);
	json_decref(reply);
	if (rc < 0) {
		fprintf(stderr, "cordon transfer: %s\n", err);
		return 1;
	}
	if (!l.n) {
		puts("no transfers held or waiting");
		return 0;
	}
	printf("%-6s %-10s %-30s %-30s %6s %10s %5s\n", "ID", "STATE", "FROM (LABEL)", "TO (LABEL)",
	       "FILES", "BYTES", "AGE");
	for (unsigned i = 0; i < l.n; i++) {
		const struct control_xfer *x = &l.items[i];
		char from[SYSDEF_NAME_MAX + LABEL_TEXT_MAX + 4], to[sizeof(from)], when[32];
		snprintf(from, sizeof(from), "%s (%s)", x->source, x->source_label);
		snprintf(to, sizeof(to), "%s (%s)", x->target, x->target_label);
		age(x->created, when, sizeof(when));
		printf("%-6llu %-10s %-30s %-30s %6u %10llu %5s\n", (unsigned long long)x->id, x->state,
		       from, to, x->nfiles, (unsigned long long)x->bytes, when);
	}
	if (l.more)
		printf("(%u more not shown)\n", l.more);
	return 0;
}

static bool printable(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\t'))
			return false;
	return true;
}

static void preview(const struct control_xfer_file *f)
{
	const char *cut = f->size > f->preview_len ? ", first bytes" : "";
	if (!f->preview_len) {
		puts("    (empty)");
		return;
	}
	if (printable(f->preview, f->preview_len)) {
		printf("    preview (text%s):\n    | ", cut);
		for (size_t i = 0; i < f->preview_len; i++) {
			putchar(f->preview[i]);
			if (f->preview[i] == '\n' && i + 1 < f->preview_len)
				fputs("    | ", stdout);
		}
		if (f->preview[f->preview_len - 1] != '\n')
			putchar('\n');
		return;
	}
	printf("    preview (hex%s):\n", cut);
	for (size_t i = 0; i < f->preview_len; i += 16) {
		printf("    %08zx ", i);
		for (size_t j = i; j < i + 16 && j < f->preview_len; j++)
			printf(" %02x", f->preview[j]);
		putchar('\n');
	}
}

static int show(const char *dir, const char *id)
{
	static struct control_xfer x;
	char err[CONTROL_ERRLEN], when[64];
	json_t *reply = request(dir, CONTROL_TRANSFER_SHOW, id);
	if (!reply)
		return 1;
	int rc = control_xfer_show_decode(reply, &x, err);
	json_decref(reply);
	if (rc < 0) {
		fprintf(stderr, "cordon transfer: %s\n", err);
		return 1;
	}
	time_t t = (time_t)x.created;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("transfer %llu: %s (%s)\n", (unsigned long long)x.id, x.state, x.reason);
	printf("  from %s (%s) to %s (%s)\n", x.source, x.source_label, x.target, x.target_label);
	printf("  %u file%s, %llu bytes, sent %s\n", x.nfiles, x.nfiles == 1 ? "" : "s",
	       (unsigned long long)x.bytes, when);
	printf("  manifest sha256 %s\n", x.manifest);
	for (unsigned i = 0; i < x.nshown; i++) {
		const struct control_xfer_file *f = &x.shown[i];
		printf("  file %u: %s (mode %04o, %llu bytes)\n    sha256 %s\n", i + 1, f->name, f->mode,
		       (unsigned long long)f->size, f->sha256);
		preview(f);
	}
	if (x.more)
		printf("  (%u more files not shown)\n", x.more);
	return 0;
}

static int decide(const char *dir, const char *id, bool approve)
{
	json_t *reply = request(dir, approve ? CONTROL_TRANSFER_APPROVE : CONTROL_TRANSFER_DENY, id);
	if (!reply)
		return 1;
	json_decref(reply);
	printf("cordon: transfer %s %s\n", id, approve ? "approved: it will be delivered" : "denied");
	return 0;
}

int cli_transfer(int argc, char **argv)
{
	const char *dir = NULL, *pos[2] = { NULL, NULL };
	unsigned npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			cli_transfer_help(stdout);
			return 0;
		} else if (strcmp(s, "--state-dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strncmp(s, "--state-dir=", 12) == 0) {
			dir = s + 12;
		} else if (s[0] == '-') {
			return usage("unknown option or missing value: '%s'", s);
		} else if (npos < 2) {
			pos[npos++] = s;
		} else {
			return usage("too many arguments ('%s')", s);
		}
	}
	if (!dir || !dir[0])
		return usage("%s", "--state-dir DIR is required");
	if (npos == 0)
		return usage("%s", "missing the command: list, show, approve or deny");
	const char *cmd = pos[0];
	bool one_id = strcmp(cmd, "show") == 0 || strcmp(cmd, "approve") == 0 || strcmp(cmd, "deny") == 0;
	uint64_t id;
	if (strcmp(cmd, "list") == 0 && npos == 1)
		return list(dir);
	if (!one_id)
		return usage(strcmp(cmd, "list") == 0 ? "'%s' takes no argument"
						      : "unknown command '%s' (list, show, approve, deny)",
			     cmd);
	if (npos != 2 || control_xfer_parse_id(pos[1], &id) < 0)
		return usage("'%s' needs one transfer ID (a number from 'cordon transfer list')", cmd);
	if (strcmp(cmd, "show") == 0)
		return show(dir, pos[1]);
	return decide(dir, pos[1], strcmp(cmd, "approve") == 0);
}
