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
	      "  cordon help [run|disk|up|audit|transfer|console]\n"
	      "                                          show this help (or a command's)\n"
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

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		print_usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "run") == 0)
		return cli_run(argc - 1, argv + 1);
	if (strcmp(cmd, "disk") == 0)
		return cli_disk(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cli_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "up") == 0)
		return cli_up(argc - 1, argv + 1);
	if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "stop") == 0 || strcmp(cmd, "down") == 0)
		return cli_ctl(argc - 1, argv + 1);
	if (strcmp(cmd, "media") == 0)
		return cli_media(argc - 1, argv + 1);
	if (strcmp(cmd, "monitor") == 0)
		return cli_monitor(argc - 1, argv + 1);
	if (strcmp(cmd, "switch") == 0 || strcmp(cmd, "relay") == 0)
		return cli_chan(argc - 1, argv + 1);
	if (strcmp(cmd, "guard") == 0)
		return cli_guard(argc - 1, argv + 1);
	if (strcmp(cmd, "transfer") == 0)
		return cli_transfer(argc - 1, argv + 1);
	if (strcmp(cmd, "console") == 0)
		return cli_console(argc - 1, argv + 1);
	if (is_help(cmd)) {
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			cli_run_help(stdout);
		else if (argc > 2 && strcmp(argv[2], "disk") == 0)
			cli_disk_help(stdout);
		else if (argc > 2 && (strcmp(argv[2], "up") == 0 || strcmp(argv[2], "media") == 0))
			cli_up_help(stdout);
		else if (argc > 2 && strcmp(argv[2], "audit") == 0)
			cli_audit_help(stdout);
		else if (argc > 2 && strcmp(argv[2], "transfer") == 0)
			cli_transfer_help(stdout);
		else if (argc > 2 && strcmp(argv[2], "console") == 0)
			cli_console_help(stdout);
		else
			print_usage(stdout);
		return 0;
	}
	if (is_version(cmd)) {
		puts("cordon " CORDON_VERSION);
		return 0;
	}
	fprintf(stderr, "cordon: unknown command '%s'\nTry 'cordon --help'.\n", cmd);
	return 2;
}
