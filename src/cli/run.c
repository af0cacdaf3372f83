/*
 * `cordon run`: boot a kernel in a fresh VM and turn the way it stopped
 * into an exit status.
 *
 * Only the guest's console goes to stdout, so `cordon run ... > log`
 * captures exactly what the guest printed; cordon's own messages go to
 * stderr.
 */
#include "cli/cli.h"

#include <string.h>

#include "cli/args.h"
#include "host/host.h"
#include "host/secret.h"
#include "sec/sandbox.h"

static void cli_run_help(FILE *f)
{
	fputs("Usage: cordon run --kernel FILE [options]\n"
	      "       cordon run [--firmware FILE] [options]\n"
	      "\n"
	      "Boots a Linux bzImage, or a disk or CD-ROM through the BIOS, in a new\n"
	      "virtual machine (one IA-32 vCPU, i440FX/PIIX3 chipset with IDE and ACPI\n"
	      "power management, PIT, 8259 PICs, local and I/O APIC, 16550A serial\n"
	      "port, RTC, i8042, PCI with virtio-rng and the devices asked for below).\n"
	      "The guest's serial console is on stdout.\n"
	      "\n"
	      "Options:\n"
	      "  --kernel FILE        the kernel to start directly (bzImage or Multiboot);\n"
	      "                       without it the machine boots through firmware\n"
	      "  --initrd FILE        an initial ramdisk to load (with --kernel)\n"
	      "  --append STR         the kernel command line (with --kernel; default:\n"
	      "                       console=ttyS0 for a Linux kernel)\n"
	      "  --firmware FILE      the BIOS image without --kernel (default:\n"
	      "                       " VM_DEFAULT_FIRMWARE ", Debian's SeaBIOS);\n"
	      "                       its console is the serial port\n"
	      "  --memory SIZE        guest RAM: bytes or K/M/G suffix, 16M .. 3G (default 256M)\n"
	      "  --serial MODE        stdio (default), file:PATH, or none\n"
	      "  --engine NAME        execution engine: soft (default)\n"
	      "  --disk FILE[,ro][,luks][,key-file=PATH|,key-fd=N][,if=virtio|ide][,index=N]\n"
	      "                       a disk image as a virtio-blk disk: /dev/vda, vdb,\n"
	      "                       ... in order; up to 4.  Raw (size a multiple of\n"
	      "                       512), or with ,luks a LUKS1/LUKS2 aes-xts-plain64\n"
	      "                       image unlocked with the passphrase in PATH (its\n"
	      "                       whole content), read from fd N, or asked for on\n"
	      "                       the terminal.  ,ro makes it read-only; a\n"
	      "                       read-write image is locked so no other cordon can\n"
	      "                       open it read-write.  ,if=ide makes it an IDE disk\n"
	      "                       (sda.. in Linux) at the first free IDE position,\n"
	      "                       or at ,index=N (0 primary master, 1 primary slave,\n"
	      "                       2 secondary master, 3 secondary slave); up to 4\n"
	      "                       IDE disks (3 beside --cdrom) besides the virtio\n"
	      "                       ones\n"
	      "  --cdrom FILE         a CD-ROM image (ISO 9660, read-only) as an ATAPI\n"
	      "                       drive, the IDE secondary master\n"
	      "  --boot cdrom|disk    firmware boot: boot from the CD-ROM or the first\n"
	      "                       --disk (default: the CD-ROM when given)\n"
	      "  --hvc MODE           a virtio-console (hvc0 in the guest; use\n"
	      "                       console=hvc0): stdio, file:PATH or none.  On stdio\n"
	      "                       it shares the terminal with the serial port and\n"
	      "                       receives the keystrokes\n"
	      "  --net socket:PATH[,mac=XX:XX:XX:XX:XX:XX]\n"
	      "                       a virtio-net NIC whose cable is a unix seqpacket\n"
	      "                       socket: the first cordon on PATH listens, the\n"
	      "                       second connects, and the link is up while both\n"
	      "                       run.  Repeatable: eth0, eth1, ... in order, up to\n"
	      "                       8.  Default MAC: random in 52:54:00:xx:xx:xx\n"
	      "  --audit-sensitive    count the sensitive unprivileged instructions of\n"
	      "                       Robin & Irvine (2000) by privilege level; print the\n"
	      "                       table on stderr when the guest stops\n"
	      "  --stats              print the instructions executed, the wall time, the\n"
	      "                       instruction rate and how the engine ran (translating\n"
	      "                       or interpreting) on stderr when the guest stops\n"
	      "  --no-jit             soft engine: interpret every instruction instead of\n"
	      "                       translating decoded blocks to host code (slower; for\n"
	      "                       comparing the two, docs/engine.md)\n"
	      "  --sandbox            before the guest starts, confine cordon: seccomp\n"
	      "                       allowlist (docs/sandbox.md), no_new_privs, no\n"
	      "                       capabilities, new namespaces, rlimits and, as root,\n"
	      "                       an empty root and uid 65534; what the kernel\n"
	      "                       refuses is listed on stderr\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Without --append a Linux kernel gets console=ttyS0, which is all Debian's\n"
	      "32-bit (686) kernel needs: the machine has ACPI, a local APIC and an\n"
	      "I/O APIC ('noapic nolapic acpi=off' would turn them off).\n"
	      "\n"
	      "On a terminal the console is raw: Ctrl-C goes to the guest.\n"
	      "Ctrl-A x quits, Ctrl-A h shows the console keys, Ctrl-A a sends Ctrl-A.\n"
	      "\n"
	      "Exit status: 0 guest reset, powered off, or Ctrl-A x; (v<<1)|1 when the\n"
	      "guest writes v to port 0xf4; 1 error; 2 bad command line; 3 triple fault.\n",
	      f);
}

int cli_exit_status(enum stop_reason why, int exit_code)
{
	switch (why) {
	case STOP_RESET:
	case STOP_POWEROFF:
	case STOP_USER_QUIT:
		return 0;
	case STOP_DEBUG_EXIT:
		return (int)((((unsigned)exit_code << 1) | 1u) & 0xffu);
	case STOP_TRIPLE_FAULT:
		return 3;
	case STOP_NONE:
	case STOP_ERROR:
		break;
	}
	return 1;
}

void cli_print_audit(FILE *f, const struct sens_count *counts)
{
	fprintf(f, "%-16s %12s %12s %12s %12s\n", "instruction", "CPL0", "CPL1-2", "CPL3", "faulted");
	for (int i = 0; i < SENS_COUNT; i++) {
		const struct sens_count *c = &counts[i];
		fprintf(f, "%-16s %12llu %12llu %12llu %12llu\n",
			sens_insn_names[i] ? sens_insn_names[i] : "?",
			(unsigned long long)c->cpl0, (unsigned long long)c->cpl12,
			(unsigned long long)c->cpl3, (unsigned long long)c->faulted);
	}
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "cordon run: %s\nTry 'cordon run --help'.\n", msg);
	return 2;
}

static void fill_config(struct vm_config *cfg, const struct run_opts *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel = o->kernel;
	cfg->firmware = o->firmware;
	cfg->cdrom = o->cdrom;
	cfg->boot = o->boot;
	cfg->initrd = o->initrd;
	cfg->append = o->append;
	cfg->mem_bytes = o->mem_bytes;
	cfg->serial = o->serial;
	cfg->serial_path = o->serial_path;
	cfg->audit_sensitive = o->audit_sensitive;
	cfg->no_jit = o->no_jit;
	cfg->engine = o->engine;
	for (unsigned i = 0; i < o->ndisks; i++)
		cfg->disks[i] = o->disks[i];
	cfg->ndisks = o->ndisks;
	cfg->hvc = o->hvc;
	cfg->hvc_mode = o->hvc_mode;
	cfg->hvc_path = o->hvc_path;
	for (unsigned i = 0; i < o->nnets; i++)
		cfg->nics[i] = (struct vm_nic){ .link = VM_NIC_SOCKET, .path = o->nets[i].path, .fd = -1,
						.mac_set = o->nets[i].mac_set };
	for (unsigned i = 0; i < o->nnets; i++)
		memcpy(cfg->nics[i].mac, o->nets[i].mac, VM_MAC_LEN);
	cfg->nnics = o->nnets;
}

static void report_triple_fault(struct vm *vm)
{
	if (vm->stop_msg[0])
		fprintf(stderr, "cordon: guest triple-faulted (%s)\n", vm->stop_msg);
	else if (vm->engine && vm->engine->instructions)
		fprintf(stderr, "cordon: guest triple-faulted (after %llu instructions)\n",
			(unsigned long long)vm->engine->instructions(vm));
	else
		fprintf(stderr, "cordon: guest triple-faulted (no details)\n");
}

/* Prints what the user needs to know about the stop; returns the exit status. */
int cli_report_stop(struct vm *vm, enum stop_reason why)
{
	switch (why) {
	case STOP_TRIPLE_FAULT:
		report_triple_fault(vm);
		break;
	case STOP_USER_QUIT:
		/* The guest may have left the cursor mid-line. */
		fprintf(stderr, "%scordon: quit\n", vm->interactive ? "\n" : "");
		break;
	case STOP_ERROR:
	case STOP_NONE:
		fprintf(stderr, "cordon: %s\n",
			vm->stop_msg[0] ? vm->stop_msg : "the VM stopped for no recorded reason");
		break;
	case STOP_RESET:
	case STOP_POWEROFF:
	case STOP_DEBUG_EXIT:
		break;
	}
	return cli_exit_status(why, vm->exit_code);
}

static void print_audit(struct vm *vm)
{
	const struct sens_count *counts = NULL;

	if (vm->engine && vm->engine->audit)
		counts = vm->engine->audit(vm);
	if (!counts) {
		fprintf(stderr, "cordon: the %s engine does not count sensitive instructions\n",
			vm->engine ? vm->engine->name : "selected");
		return;
	}
	fprintf(stderr, "cordon: sensitive unprivileged instructions (Robin & Irvine 2000):\n");
	cli_print_audit(stderr, counts);
}

static void print_stats(struct vm *vm, uint64_t ns)
{
	uint64_t n = vm->engine->instructions ? vm->engine->instructions(vm) : 0;
	double secs = (double)ns / 1e9;
	const char *mode = vm->engine->mode ? vm->engine->mode(vm) : vm->engine->name;
	fprintf(stderr, "cordon: stats: instructions %llu, wall %.3f s, %.1f million instructions/s (%s)\n",
		(unsigned long long)n, secs, secs > 0 ? (double)n / secs / 1e6 : 0.0, mode);
}

/*
 * The passphrase of each LUKS disk: from its key file, its key fd or a
 * prompt on the terminal -- never the command line or the environment.
 * They live (in locked memory) only until the images are unlocked.
 */
static struct secret disk_keys[VM_MAX_DISKS];

static void wipe_disk_keys(struct vm_config *cfg)
{
	for (unsigned n = 0; n < VM_MAX_DISKS; n++)
		secret_wipe(&disk_keys[n]);
	for (unsigned n = 0; n < cfg->ndisks; n++)
		cfg->disks[n].passphrase = NULL, cfg->disks[n].passphrase_len = 0;
}

static int read_disk_keys(struct vm_config *cfg, char *err)
{
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		struct vm_disk *d = &cfg->disks[n];
		struct secret *s = &disk_keys[n];
		int rc;
		if (!d->luks)
			continue;
		if (d->key_file) {
			rc = secret_from_file(s, d->key_file, err);
		} else if (d->key_fd >= 0) {
			rc = secret_from_fd(s, d->key_fd, err);
		} else {
			char prompt[4200];
			snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", d->path);
			rc = secret_prompt(s, prompt, err);
		}
		if (rc < 0) {
			char why[HOST_ERRLEN];
			snprintf(why, sizeof(why), "%s", err);
			if (snprintf(err, HOST_ERRLEN, "%s: %s", d->path, why) >= HOST_ERRLEN)
				err[HOST_ERRLEN - 2] = '.'; /* cut short: say so */
			return -1;
		}
		d->passphrase = s->buf;
		d->passphrase_len = s->len;
	}
	return 0;
}

/*
 * Every host file and socket is open and the guest has not run: from here
 * on the process gives up everything the run loop does not need.
 */
int cli_enter_sandbox(const struct sandbox_opts *opts)
{
	struct sandbox_report report;
	char err[HOST_ERRLEN];

	if (sandbox_enter(opts, &report, err) < 0) {
		fprintf(stderr, "cordon: %s\n", err);
		return -1;
	}
	if (report.skipped[0])
		fprintf(stderr, "cordon: sandbox: not applied: %s\n", report.skipped);
	return 0;
}

static int boot_and_run(const struct run_opts *o)
{
	struct vm_config cfg;
	struct vm *vm = NULL;
	char err[HOST_ERRLEN] = "";
	enum stop_reason why;
	int status;

	fill_config(&cfg, o);
	if (read_disk_keys(&cfg, err) == 0)
		vm = vm_new(&cfg, err);
	wipe_disk_keys(&cfg);
	if (!vm) {
		fprintf(stderr, "cordon: %s\n", err[0] ? err : "cannot create the VM");
		return 1;
	}
	if ((o->serial == SERIAL_STDIO || (o->hvc && o->hvc_mode == SERIAL_STDIO)) &&
	    host_stdin_is_tty()) {
		fprintf(stderr, "cordon: console on this terminal; Ctrl-A x quits, Ctrl-A h for help\n");
		host_term_raw();
		vm->interactive = true;
	}
	struct sandbox_opts sandbox;
	sandbox_default_opts(&sandbox);
	if (o->sandbox && cli_enter_sandbox(&sandbox) < 0) {
		host_term_restore();
		vm_destroy(vm);
		return 1;
	}
	uint64_t t0 = host_monotonic_ns();
	why = vm_run(vm);
	uint64_t ns = host_monotonic_ns() - t0;
	host_term_restore();
	status = cli_report_stop(vm, why);
	if (o->stats)
		print_stats(vm, ns);
	if (o->audit_sensitive)
		print_audit(vm);
	vm_destroy(vm);
	return status;
}

int cli_run(int argc, char **argv)
{
	struct run_opts o;
	char err[CLI_ERRLEN];

	if (cli_parse_run_args(argc, argv, &o, err) < 0)
		return usage_error(err);
	if (o.help) {
		cli_run_help(stdout);
		return 0;
	}
	if (!engine_by_name(o.engine)) {
		snprintf(err, sizeof(err), "--engine: unknown engine '%s' (available: soft)", o.engine);
		return usage_error(err);
	}
	return boot_and_run(&o);
}
