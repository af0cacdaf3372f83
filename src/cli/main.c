/*
 * cordon's entry point: subcommand dispatch only.  Kept alone in this file
 * because the unit-test binary links everything in src/ except main.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/disk.h"

static void print_usage(FILE *f)
{
	fputs("cordon " CORDON_VERSION " -- a secure x86 virtual machine monitor\n"
	      "\n"
	      "Usage:\n"
	      "  cordon run [--kernel FILE] [options]    boot a new VM: a kernel, or through the BIOS\n"
	      "  cordon disk create|info|passwd ...      make and inspect disk images (raw, LUKS)\n"
	      "  cordon up SYSTEM --state-dir DIR        run labeled VMs under the supervisor\n"
	      "  cordon ps|stop VM|down --state-dir DIR  list them, stop one, stop them all\n"
	      "  cordon console VM --state-dir DIR       attach this terminal to a VM's serial console\n"
	      "  cordon media sanitize NAME --state-dir DIR\n"
	      "                                          zero-fill a removable-media image\n"
	      "  cordon transfer list|show|approve|deny [ID] --state-dir DIR\n"
	      "                                          review transfers held between VMs\n"
	      "  cordon audit verify LOG                 check an audit log's hash chain\n"
	      "  cordon help [COMMAND]                   show this help (or the command's --help)\n"
	      "  cordon --version                        print the version\n"
	      "\n"
	      "Example:\n"
	      "  cordon run --kernel build/guest/vmlinuz --initrd build/guest/initrd.img\n"
	      "  cordon run --cdrom debian.iso --disk disk.img     (through the BIOS)\n"
	      "\n"
	      "Run 'cordon run --help' for all the run options, 'cordon disk --help'\n"
	      "for the disk commands, 'cordon up --help' for the supervisor.\n",
	      f);
}

static bool is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0;
}

static bool is_version(const char *s)
{
	return strcmp(s, "--version") == 0 || strcmp(s, "-V") == 0 || strcmp(s, "version") == 0;
}

/* Each takes its own name as argv[0] (ps, stop and down share one entry
 * point, as do switch and relay) and answers --help itself: with its
 * help on stdout and status 0, or, for the four that only `cordon up`
 * starts (monitor, switch, relay, guard), with one line saying so on
 * stderr and status 2. */
static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
} commands[] = {
	{ "run", cli_run },         { "disk", cli_disk },         { "audit", cli_audit },
	{ "up", cli_up },           { "ps", cli_ctl },            { "stop", cli_ctl },
	{ "down", cli_ctl },        { "media", cli_media },       { "console", cli_console },
	{ "transfer", cli_transfer }, { "monitor", cli_monitor }, { "switch", cli_chan },
	{ "relay", cli_chan },      { "guard", cli_guard },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* cordon help [COMMAND]: the command's own --help, so there is one text. */
static int help(char *topic)
{
	if (!topic) {
		print_usage(stdout);
		return 0;
	}
	const struct command *c = find_command(topic);
	if (!c) {
		fprintf(stderr, "cordon help: unknown command '%s'\nTry 'cordon --help'.\n", topic);
		return 2;
	}
	char flag[] = "--help";
	char *argv[] = { topic, flag, NULL }; /* topic is c->name, as typed */
	return c->main(2, argv);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		print_usage(stderr);
		return 2;
	}
	const struct command *c = find_command(cmd);
	if (c)
		return c->main(argc - 1, argv + 1);
	if (is_help(cmd))
		return help(argc > 2 ? argv[2] : NULL);
	if (is_version(cmd)) {
		puts("cordon " CORDON_VERSION);
		return 0;
	}
	fprintf(stderr, "cordon: unknown command '%s'\nTry 'cordon --help'.\n", cmd);
	return 2;
}
