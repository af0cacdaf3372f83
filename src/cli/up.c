/*
 * The security kernel's commands: `cordon up` runs the supervisor
 * (src/super); `ps`, `stop`, `down` and `media sanitize` talk to it over
 * its control socket.  Each takes --state-dir DIR, the directory that
 * names one supervisor.
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "super/super.h"

#define MAX_POSITIONAL 4

#define STOP_DEFAULT_TIMEOUT "30"

struct ctl_args {
	const char *state_dir, *system, *timeout;
	const char *pos[MAX_POSITIONAL];
	unsigned npos;
	bool json, help;
};

static void cli_up_help(FILE *f)
{
	fputs("Usage:\n"
	      "  cordon up SYSTEM --state-dir DIR      run the VMs of a system definition\n"
	      "  cordon ps --state-dir DIR [--json]    list its VMs and their states\n"
	      "  cordon stop VM --state-dir DIR [--timeout S]\n"
	      "                                        stop one VM: press its ACPI power\n"
	      "                                        button, kill it after S seconds\n"
	      "                                        (default " STOP_DEFAULT_TIMEOUT ") if it has not shut down\n"
	      "  cordon down --state-dir DIR           stop every VM and the supervisor\n"
	      "  cordon console VM --state-dir DIR     attach to a VM's serial console\n"
	      "                                        (cordon console --help)\n"
	      "  cordon media sanitize NAME --state-dir DIR [--system SYSTEM]\n"
	      "                                        zero-fill a media image and reset\n"
	      "                                        its label to the declared one\n"
	      "\n"
	      "`cordon up` is the supervisor.  It reads SYSTEM (the grammar is in\n"
	      "docs/sysdef.md), asks the reference monitor about every disk and media\n"
	      "image each VM attaches, opens what is allowed itself, and starts one\n"
	      "sandboxed monitor process per VM (uid 2000000000 + its place in\n"
	      "SYSTEM), handing it only those descriptors.\n"
	      "It stays in the foreground until every VM has ended or `cordon down`\n"
	      "(or SIGINT/SIGTERM) is given.  A VM whose attachment is denied does not\n"
	      "start; the others do.  Each decision that crosses labels, every denial,\n"
	      "each VM's start and end, and each stop, down, sanitize, console and\n"
	      "transfer request it carries out (not ps) are written to DIR/audit.log\n"
	      "(check it with `cordon audit verify`).\n"
	      "\n"
	      "DIR (created mode 0700 if missing; an existing one must be 0700 and\n"
	      "yours) holds audit.log, the control socket, and logs/LABELDIR/VM.console:\n"
	      "each VM's serial output, mode 0600, in one directory per label (the\n"
	      "label with : , / written as . + @, e.g. SECRET.NATO@LOW), up to\n"
	      "its quota ('serial log SIZE', default 16M; a full log becomes\n"
	      "VM.console.1 at the VM's next start).\n"
	      "\n"
	      "Host files: the supervisor follows no symbolic link, opens no FIFO or\n"
	      "device, and accepts only files of root or your user in directories no\n"
	      "other user can write (and one link for files it writes).  Each monitor\n"
	      "gets RLIMIT_AS (its RAM + 448 MiB) and RLIMIT_FSIZE (its largest image\n"
	      "or log quota).  The audit log is verified whole at start, 1 MiB is\n"
	      "reserved for it, and each record's number and hash go to syslog\n"
	      "(ident cordon-audit); if a record cannot be written every VM is\n"
	      "stopped and cordon up exits 1.\n"
	      "\n"
	      "Media: a media image attached read-write to a VM above its label takes\n"
	      "the VM's label (written to IMAGE.label next to the image) and cannot\n"
	      "then be attached to a lower VM until `cordon media sanitize` has\n"
	      "zero-filled it.  With a supervisor running on DIR the request goes to\n"
	      "it; otherwise --system names the system file and DIR's audit log is\n"
	      "written directly.\n"
	      "\n"
	      "Exit status of `cordon up`: 0 when every VM started and ended cleanly\n"
	      "(power-off, reset, or stopped by the operator) and every switch and relay\n"
	      "ended cleanly, 1 otherwise, 2 for a bad command line or system file\n"
	      "(then nothing is started).  The other commands: 0 done, 1 refused or\n"
	      "failed, 2 bad command line.\n",
	      f);
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "cordon %s: ", cmd);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'cordon %s --help'.\n", cmd);
	return 2;
}

/* Options may come before or after the positional arguments. */
static int parse(const char *cmd, int argc, char **argv, struct ctl_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			a->help = true;
		} else if (strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (strcmp(s, "--state-dir") == 0 || strcmp(s, "--system") == 0 ||
			   strcmp(s, "--timeout") == 0) {
			if (i + 1 >= argc)
				return usage_error(cmd, "%s needs a value", s);
			if (strcmp(s, "--state-dir") == 0)
				a->state_dir = argv[++i];
			else if (strcmp(s, "--system") == 0)
				a->system = argv[++i];
			else
				a->timeout = argv[++i];
		} else if (strncmp(s, "--state-dir=", 12) == 0) {
			a->state_dir = s + 12;
		} else if (strncmp(s, "--system=", 9) == 0) {
			a->system = s + 9;
		} else if (strncmp(s, "--timeout=", 10) == 0) {
			a->timeout = s + 10;
		} else if (s[0] == '-' && s[1]) {
			return usage_error(cmd, "unknown option '%s'", s);
		} else if (a->npos < MAX_POSITIONAL) {
			a->pos[a->npos++] = s;
		} else {
			return usage_error(cmd, "too many arguments ('%s')", s);
		}
	}
	if (!a->help && (!a->state_dir || !a->state_dir[0]))
		return usage_error(cmd, "%s", "--state-dir DIR is required");
	return 0;
}

static int expect_args(const char *cmd, const struct ctl_args *a, unsigned n, const char *what)
{
	if (a->npos == n)
		return 0;
	return usage_error(cmd, a->npos < n ? "missing %s" : "too many arguments (expected %s)",
			   what);
}

/* --- talking to a running supervisor ---------------------------------------------- */

/* Sends one request; returns the reply object or NULL after saying why. */
static json_t *request2(const char *cmd, const char *dir, enum control_cmd c, const char *arg,
		       const char *arg2)
{
	char err[SUPER_ERRLEN];
	const char *args[] = { arg, arg2, NULL };
	json_t *reply;
	if (super_request(dir, c, args, &reply, err) != 0) {
		fprintf(stderr, "cordon %s: %s\n", cmd, err);
		return NULL;
	}
	return reply;
}

static json_t *request(const char *cmd, const char *dir, enum control_cmd c, const char *arg)
{
	return request2(cmd, dir, c, arg, NULL);
}

static int simple_request(const char *cmd, const char *dir, enum control_cmd c, const char *arg)
{
	json_t *reply = request(cmd, dir, c, arg);
	json_decref(reply);
	return reply ? 0 : 1;
}

static int print_ps(json_t *reply)
{
	static struct control_ps ps; /* large: off the stack */
	char err[CONTROL_ERRLEN];
	if (control_ps_decode(reply, &ps, err) < 0) {
		fprintf(stderr, "cordon ps: %s\n", err);
		return 1;
	}
	printf("%-16s %-28s %-9s %-8s %s\n", "VM", "LABEL", "STATE", "PID", "OUTCOME");
	for (unsigned i = 0; i < ps.nvms; i++) {
		const struct control_ps_vm *v = &ps.vms[i];
		char pidtext[24] = "-";
		if (v->pid > 0)
			snprintf(pidtext, sizeof(pidtext), "%ld", v->pid);
		printf("%-16s %-28s %-9s %-8s %s\n", v->name, v->label, v->state, pidtext, v->outcome);
	}
	return 0;
}

/* --- the commands -------------------------------------------------------------------- */

int cli_up(int argc, char **argv)
{
	struct ctl_args a;
	int rc = parse("up", argc, argv, &a);
	if (rc || a.help)
		return a.help ? (cli_up_help(stdout), 0) : rc;
	if ((rc = expect_args("up", &a, 1, "SYSTEM (a system definition file)")))
		return rc;
	return super_up(a.pos[0], a.state_dir);
}

int cli_ctl(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct ctl_args a;
	int rc = parse(cmd, argc, argv, &a);
	if (rc || a.help)
		return a.help ? (cli_up_help(stdout), 0) : rc;
	if (strcmp(cmd, "ps") == 0) {
		if ((rc = expect_args(cmd, &a, 0, "nothing")))
			return rc;
		json_t *reply = request(cmd, a.state_dir, CONTROL_PS, NULL);
		if (!reply)
			return 1;
		rc = 0;
		if (a.json) {
			char *text = json_dumps(reply, JSON_COMPACT);
			puts(text ? text : "");
			free(text);
		} else {
			rc = print_ps(reply);
		}
		json_decref(reply);
		return rc;
	}
	if (strcmp(cmd, "stop") == 0) {
		if ((rc = expect_args(cmd, &a, 1, "VM")))
			return rc;
		json_t *reply = request2(cmd, a.state_dir, CONTROL_STOP, a.pos[0],
					 a.timeout ? a.timeout : STOP_DEFAULT_TIMEOUT);
		json_decref(reply);
		return reply ? 0 : 1;
	}
	if ((rc = expect_args(cmd, &a, 0, "nothing")))
		return rc;
	return simple_request(cmd, a.state_dir, CONTROL_DOWN, NULL);
}

/* Without a supervisor: the same sanitize, with DIR's audit log opened here
 * (its lock makes sure no supervisor starts meanwhile). */
static int sanitize_offline(const struct ctl_args *a)
{
	char err[SUPER_ERRLEN], path[4200];
	struct sysdef *sys = sysdef_load(a->system, err);
	if (!sys) {
		fprintf(stderr, "cordon media: %s\n", err);
		return 2;
	}
	/* As in the supervisor: a failed append is reported (and wipes
	 * nothing), not a death by SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	snprintf(path, sizeof(path), "%s/%s", a->state_dir, SUPER_AUDIT_FILE);
	struct audit_log *log = super_check_state_dir(a->state_dir, err) == 0
					? audit_open(path, err) : NULL;
	if (log)
		audit_anchor_to_syslog(log);
	int rc = log ? super_sanitize_media(sys, log, "operator (offline)", a->pos[1], err) : -1;
	if (rc < 0)
		fprintf(stderr, "cordon media: %s\n", err);
	else
		printf("cordon: media %s sanitized\n", a->pos[1]);
	if (log)
		audit_close(log);
	sysdef_free(sys);
	return rc < 0 ? 1 : 0;
}

int cli_media(int argc, char **argv)
{
	struct ctl_args a;
	int rc = parse("media", argc, argv, &a);
	if (rc || a.help)
		return a.help ? (cli_up_help(stdout), 0) : rc;
	if (a.npos < 1 || strcmp(a.pos[0], "sanitize") != 0)
		return usage_error("media", "%s", "the only media command is 'sanitize NAME'");
	if ((rc = expect_args("media", &a, 2, "NAME (a media image of the system file)")))
		return rc;
	char err[SUPER_ERRLEN];
	json_t *probe;
	if (super_request(a.state_dir, CONTROL_PS, NULL, &probe, err) == 0) {
		json_decref(probe);
		int r = simple_request("media", a.state_dir, CONTROL_SANITIZE, a.pos[1]);
		if (r == 0)
			printf("cordon: media %s sanitized\n", a.pos[1]);
		return r;
	}
	if (!a.system)
		return usage_error("media", "no supervisor runs on %s: give --system SYSTEM",
				   a.state_dir);
	return sanitize_offline(&a);
}
