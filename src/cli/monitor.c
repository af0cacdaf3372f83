/*
 * `cordon monitor`: the per-VM process the supervisor starts (see
 * super/super.h and super/monitor_proto.h).  It opens nothing: it reads
 * one description of its VM and the descriptors that come with it,
 * builds the VM from them, enters the sandbox, and runs the guest.  Its
 * exit status is the protocol's (enum monitor_exit), which the
 * supervisor turns into words and an audit record.
 *
 * Everything it receives comes from the trusted supervisor, but it is
 * still checked: a wrong descriptor count or a malformed message ends
 * the monitor with a message, never a guess.
 */
#include "cli/cli.h"

#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "host/secret.h"
#include "sec/sysdef.h"
#include "super/monitor_proto.h"

/* What the supervisor sent; its texts are the config's strings while the VM runs. */
static struct monitor_start the_start;
static struct secret the_keys[VM_MAX_DISKS]; /* struct luks_key each, locked */

static void wipe_keys(void)
{
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		secret_wipe(&the_keys[i]);
}

/* --- the description -> a preopened vm_config -------------------------------- */

/* Moves a descriptor from the message to the config, which owns it now. */
static int take_fd(struct monitor_start *st, enum monitor_fd_role role, unsigned n)
{
	for (unsigned i = 0; i < st->nfds; i++) {
		if (st->fds[i].role != role || n-- != 0)
			continue;
		int fd = st->fds[i].fd;
		st->fds[i].fd = -1;
		return fd;
	}
	return -1;
}

static void fill_config(struct monitor_start *st, struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->preopened = true;
	cfg->engine = "soft";
	cfg->mem_bytes = st->memory;
	cfg->append = st->append;
	cfg->kernel = st->kernel;
	cfg->initrd = st->initrd[0] ? st->initrd : NULL;
	cfg->kernel_fd = take_fd(st, MONITOR_FD_KERNEL, 0);
	cfg->initrd_fd = take_fd(st, MONITOR_FD_INITRD, 0);
	const struct monitor_fd *log = monitor_start_fd(st, MONITOR_FD_CONSOLE_LOG, 0);
	cfg->serial_quota = log ? log->quota : 0;
	cfg->serial_fd = take_fd(st, MONITOR_FD_CONSOLE_LOG, 0);
	cfg->serial = cfg->serial_fd >= 0 ? SERIAL_FILE : SERIAL_NONE;
	cfg->transfer_fd = take_fd(st, MONITOR_FD_TRANSFER, 0);
	cfg->opcon_fd = take_fd(st, MONITOR_FD_CONSOLE, 0);
	cfg->opcon = cfg->opcon_fd >= 0;
	cfg->serial_path = "the console log";
	const struct monitor_fd *d;
	for (unsigned i = 0; (d = monitor_start_fd(st, MONITOR_FD_DISK, i)); i++) {
		struct vm_disk *vd = &cfg->disks[i];
		vd->path = d->name;
		vd->read_only = d->read_only;
		vd->luks = d->luks;
		vd->fd = take_fd(st, MONITOR_FD_DISK, i);
		cfg->ndisks = i + 1;
	}
	static char nic_names[VM_MAX_NICS][SYSDEF_NAME_MAX + 8];
	for (unsigned i = 0; (d = monitor_start_fd(st, MONITOR_FD_NIC, i)); i++) {
		struct vm_nic *n = &cfg->nics[i];
		snprintf(nic_names[i], sizeof(nic_names[i]), "%s %s",
			 d->link == VM_NIC_PORT ? "net" : "diode", d->name);
		n->path = nic_names[i];
		n->link = d->link;
		n->mac_set = true;
		memcpy(n->mac, d->mac, VM_MAC_LEN);
		n->fd = take_fd(st, MONITOR_FD_NIC, i);
		cfg->nnics = i + 1;
	}
}

static int attach_keys(struct vm_config *cfg, char *err)
{
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if (!cfg->disks[i].luks)
			continue;
		struct secret *s = &the_keys[i];
		if (secret_reserve(s, err) < 0)
			return -1;
		if (monitor_recv_key(MONITOR_SOCK_FD, i, (struct luks_key *)(void *)s->buf, err) < 0)
			return -1;
		s->len = sizeof(struct luks_key);
		cfg->disks[i].key = (const struct luks_key *)(const void *)s->buf;
	}
	return 0;
}

/* The config's descriptors, for closing when vm_new was never called. */
static void close_config_fds(struct vm_config *cfg)
{
	int fds[] = { cfg->kernel_fd, cfg->initrd_fd, cfg->serial_fd, cfg->transfer_fd,
		      cfg->opcon ? cfg->opcon_fd : -1 };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].fd >= 0)
			close(cfg->disks[i].fd);
	for (unsigned i = 0; i < cfg->nnics; i++)
		if (cfg->nics[i].fd >= 0)
			close(cfg->nics[i].fd);
}

/* Receives the description and the keys and builds the VM; every received
 * descriptor is used or closed. */
static struct vm *build_vm(char *err)
{
	struct vm_config cfg;
	struct vm *vm = NULL;
	if (monitor_recv_start(MONITOR_SOCK_FD, &the_start, err) < 0)
		return NULL;
	fill_config(&the_start, &cfg);
	if (attach_keys(&cfg, err) < 0)
		close_config_fds(&cfg);
	else
		vm = vm_new(&cfg, err); /* owns the config's descriptors */
	monitor_start_close_fds(&the_start);
	wipe_keys();
	return vm;
}

int cli_monitor(int argc, char **argv)
{
	char err[HOST_ERRLEN] = "";
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "cordon monitor: started only by `cordon up` (see cordon up --help)\n");
		return MONITOR_EXIT_FAILED;
	}
	struct vm *vm = build_vm(err);
	close(MONITOR_SOCK_FD);
	if (!vm) {
		fprintf(stderr, "cordon monitor %s: %s\n", the_start.vm[0] ? the_start.vm : "?",
			err[0] ? err : "cannot create the VM");
		return MONITOR_EXIT_FAILED;
	}
	/* Now that the code cache (a memfd) exists: cap what the guest can
	 * make this process write (super_spawn.c says why this much). */
	if (host_limit_file_size(the_start.fsize_limit, err) < 0) {
		fprintf(stderr, "cordon monitor %s: %s\n", the_start.vm, err);
		vm_destroy(vm);
		return MONITOR_EXIT_FAILED;
	}
	/* cordon stop's SIGPWR presses the guest's power button (vm.c). */
	if (host_count_power_signal(&vm->power_requests) < 0) {
		fprintf(stderr, "cordon monitor %s: cannot catch SIGPWR\n", the_start.vm);
		vm_destroy(vm);
		return MONITOR_EXIT_FAILED;
	}
	struct sandbox_opts sandbox;
	sandbox_default_opts(&sandbox);
	sandbox.uid = sandbox.gid = the_start.uid;
	sandbox.die_with_parent = true;
	if (cli_enter_sandbox(&sandbox) < 0) {
		vm_destroy(vm);
		return MONITOR_EXIT_FAILED;
	}
	enum stop_reason why = vm_run(vm);
	/* Stopped on request without a clean shutdown: die of SIGTERM, which
	 * the supervisor reports as a stop by the operator. */
	bool forced = why == STOP_USER_QUIT && vm->power_requests;
	if (!forced)
		(void)cli_report_stop(vm, why); /* its messages; the status is ours */
	int status = forced ? MONITOR_EXIT_DOWN : monitor_exit_status(why, vm->exit_code);
	vm_destroy(vm);
	if (forced)
		host_end_by_sigterm();
	return status;
}
