/*
 * `cordon monitor VM`: the per-VM process the supervisor starts (see
 * super/super.h and super/monitor_proto.h).  It opens nothing: it reads
 * one description of its VM and the descriptors that come with it,
 * builds the VM from them, enters the sandbox, and runs the guest.  Its
 * exit status is cordon run's (cli_exit_status), which the supervisor
 * turns into words and an audit record.
 *
 * Everything it receives comes from the trusted supervisor, but it is
 * still checked: a wrong descriptor count or a malformed message ends
 * the monitor with a message, never a guess.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <jansson.h>

#include "host/host.h"
#include "host/secret.h"
#include "sec/sysdef.h"
#include "super/monitor_proto.h"

struct received {
	char *text;              /* the JSON description */
	json_t *desc;            /* parsed; kept while the VM runs (its strings are the config's) */
	uid_t uid;               /* to run as, in the sandbox */
	int fds[MONITOR_MAX_FDS];
	unsigned nfds;
	struct secret keys[VM_MAX_DISKS]; /* struct luks_key each, locked */
};

/* struct vm holds a 64 KiB port map: keep it off the stack. */
static struct vm the_vm;

static void close_received_fds(struct received *r)
{
	for (unsigned i = 0; i < r->nfds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	r->nfds = 0;
}

static void wipe_keys(struct received *r)
{
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		secret_wipe(&r->keys[i]);
}

static ssize_t recv_one(void *buf, size_t cap, struct received *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MONITOR_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(MONITOR_SOCK_FD, &msg, MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n >= 0 && c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && r->nfds < MONITOR_MAX_FDS; i++)
			memcpy(&r->fds[r->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (n >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -2;
	return n;
}

static int receive_description(struct received *r, char *err)
{
	r->text = malloc(MONITOR_MSG_MAX + 1);
	if (!r->text) {
		snprintf(err, HOST_ERRLEN, "out of memory");
		return -1;
	}
	ssize_t n = recv_one(r->text, MONITOR_MSG_MAX, r);
	if (n <= 0) {
		snprintf(err, HOST_ERRLEN, "no VM description from the supervisor on fd %d%s",
			 MONITOR_SOCK_FD, n == -2 ? " (message truncated)" : "");
		return -1;
	}
	r->text[n] = '\0';
	return 0;
}

static int receive_key(struct received *r, unsigned disk, char *err)
{
	struct secret *s = &r->keys[disk];
	if (secret_reserve(s, err) < 0)
		return -1;
	unsigned before = r->nfds;
	ssize_t n = recv_one(s->buf, s->cap, r);
	if (n != (ssize_t)sizeof(struct luks_key) || r->nfds != before) {
		snprintf(err, HOST_ERRLEN, "bad volume key message for disk %u from the supervisor", disk);
		return -1;
	}
	s->len = (size_t)n;
	return 0;
}

/* --- the description -> a preopened vm_config -------------------------------- */

static int take_fd(struct received *r, unsigned *next, int *fd, const char *what, char *err)
{
	if (*next >= r->nfds) {
		snprintf(err, HOST_ERRLEN, "the supervisor sent no descriptor for the %s", what);
		return -1;
	}
	*fd = r->fds[*next];
	r->fds[(*next)++] = -1; /* the config owns it now */
	return 0;
}

static int fill_disks(json_t *disks, struct received *r, unsigned *next, struct vm_config *cfg,
		      char *err)
{
	size_t i;
	json_t *d;
	if (!json_is_array(disks) || json_array_size(disks) > VM_MAX_DISKS) {
		snprintf(err, HOST_ERRLEN, "bad \"disks\" in the VM description");
		return -1;
	}
	json_array_foreach(disks, i, d) {
		struct vm_disk *vd = &cfg->disks[i];
		const char *name;
		int ro, luks;
		if (json_unpack(d, "{s:s, s:b, s:b}", "name", &name, "ro", &ro, "luks", &luks) < 0) {
			snprintf(err, HOST_ERRLEN, "bad disk %zu in the VM description", i);
			return -1;
		}
		vd->path = name;
		vd->read_only = ro;
		vd->luks = luks;
		vd->fd = -1;
		if (take_fd(r, next, &vd->fd, name, err) < 0)
			return -1;
		cfg->ndisks = (unsigned)i + 1;
	}
	return 0;
}

static int fill_config(json_t *desc, struct received *r, struct vm_config *cfg, char *err)
{
	const char *vm, *label, *append, *kernel, *initrd = NULL;
	json_int_t memory, uid;
	int serial;
	json_t *disks;
	unsigned next = 0;
	memset(cfg, 0, sizeof(*cfg));
	cfg->preopened = true;
	cfg->kernel_fd = cfg->initrd_fd = cfg->serial_fd = -1;
	if (json_unpack(desc, "{s:s, s:s, s:I, s:s, s:I, s:s, s?:s, s:b, s:o}", "vm", &vm,
			"label", &label, "memory", &memory, "append", &append, "uid", &uid, "kernel",
			&kernel, "initrd", &initrd, "serial", &serial, "disks", &disks) < 0 ||
	    memory <= 0 || uid < MONITOR_UID_BASE || uid >= MONITOR_UID_BASE + SYSDEF_MAX_VMS) {
		snprintf(err, HOST_ERRLEN, "malformed VM description from the supervisor");
		return -1;
	}
	r->uid = (uid_t)uid;
	cfg->engine = "soft";
	cfg->mem_bytes = (uint64_t)memory;
	cfg->append = append;
	cfg->kernel = kernel;
	cfg->initrd = initrd;
	cfg->serial = serial ? SERIAL_FILE : SERIAL_NONE;
	cfg->serial_path = "the console log";
	if (take_fd(r, &next, &cfg->kernel_fd, "kernel", err) < 0 ||
	    (initrd && take_fd(r, &next, &cfg->initrd_fd, "initrd", err) < 0) ||
	    (serial && take_fd(r, &next, &cfg->serial_fd, "console log", err) < 0) ||
	    fill_disks(disks, r, &next, cfg, err) < 0)
		return -1;
	if (next != r->nfds) {
		snprintf(err, HOST_ERRLEN, "the supervisor sent %u descriptors, the description uses %u",
			 r->nfds, next);
		return -1;
	}
	return 0;
}

static int attach_keys(struct received *r, struct vm_config *cfg, char *err)
{
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if (!cfg->disks[i].luks)
			continue;
		if (receive_key(r, i, err) < 0)
			return -1;
		cfg->disks[i].key = (const struct luks_key *)(const void *)r->keys[i].buf;
	}
	return 0;
}

/* The config's descriptors, for closing when vm_create was never called. */
static void close_config_fds(struct vm_config *cfg)
{
	int fds[] = { cfg->kernel_fd, cfg->initrd_fd, cfg->serial_fd };
	for (unsigned i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].fd >= 0)
			close(cfg->disks[i].fd);
}

/* Builds the VM; every received descriptor is used or closed. */
static int build_vm(struct received *r, struct vm *vm, char *err)
{
	struct vm_config cfg;
	json_error_t jerr;
	json_t *desc = r->desc = json_loads(r->text, 0, &jerr);
	int rc = -1;
	if (!desc) {
		snprintf(err, HOST_ERRLEN, "VM description: %s", jerr.text);
		close_received_fds(r);
		return -1;
	}
	if (fill_config(desc, r, &cfg, err) < 0 || attach_keys(r, &cfg, err) < 0)
		close_config_fds(&cfg);
	else
		rc = vm_create(vm, &cfg, err); /* owns the config's descriptors */
	close_received_fds(r);
	wipe_keys(r);
	return rc;
}

int cli_monitor(int argc, char **argv)
{
	struct received r = { .nfds = 0 };
	char err[HOST_ERRLEN] = "";
	const char *name = argc > 1 ? argv[1] : "?";
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "cordon monitor: started only by `cordon up` (see cordon up --help)\n");
		return 2;
	}
	int rc = receive_description(&r, err);
	if (rc == 0)
		rc = build_vm(&r, &the_vm, err);
	free(r.text);
	close(MONITOR_SOCK_FD);
	if (rc < 0) {
		close_received_fds(&r);
		wipe_keys(&r);
		fprintf(stderr, "cordon monitor %s: %s\n", name, err[0] ? err : "cannot create the VM");
		json_decref(r.desc);
		return 1;
	}
	struct sandbox_opts sandbox;
	sandbox_default_opts(&sandbox);
	sandbox.uid = sandbox.gid = r.uid;
	sandbox.die_with_parent = true;
	if (cli_enter_sandbox(&sandbox) < 0) {
		vm_destroy(&the_vm);
		json_decref(r.desc);
		return 1;
	}
	enum stop_reason why = vm_run(&the_vm);
	int status = cli_report_stop(&the_vm, why);
	vm_destroy(&the_vm);
	json_decref(r.desc);
	return status;
}
