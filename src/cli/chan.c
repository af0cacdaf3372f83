/*
 * `cordon switch` and `cordon relay`: the processes that carry frames
 * between VMs (super/chan_proto.h), started only by the supervisor.  Each
 * reads its description, takes over the descriptors it serves, enters the
 * sandbox (the channel allowlist, a uid of its own, death with the
 * supervisor) and runs until the VMs it serves are gone.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/relay.h"
#include "net/switch_proc.h"
#include "sec/sandbox.h"
#include "super/chan_proto.h"

static int enter_sandbox(const struct chan_start *st)
{
	struct sandbox_opts opts;
	sandbox_default_opts(&opts);
	opts.profile = SANDBOX_CHANNEL;
	opts.uid = opts.gid = st->uid;
	opts.spare_fds = 0;
	opts.die_with_parent = true;
	return cli_enter_sandbox(&opts);
}

static int run_switch(const struct chan_start *st)
{
	struct switch_config cfg = { .nports = st->nfds };
	int fds[CHAN_MAX_FDS];
	const char *names[CHAN_MAX_FDS];
	char err[HOST_ERRLEN] = "";
	for (unsigned i = 0; i < st->nfds; i++) {
		memcpy(cfg.port[i].mac, st->port[i].mac, SWITCH_MAC_LEN);
		cfg.port[i].uplink = st->port[i].uplink;
		fds[i] = CHAN_FIRST_FD + (int)i;
		names[i] = st->port[i].vm;
	}
	struct switch_proc *sp = switch_proc_new(st->name, &cfg, fds, names, err);
	if (!sp) {
		fprintf(stderr, "cordon switch: %s\n", err);
		return 1;
	}
	int rc = enter_sandbox(st) < 0 ? 1 : switch_proc_run(sp);
	switch_proc_free(sp);
	return rc;
}

static int run_relay(const struct chan_start *st)
{
	char err[HOST_ERRLEN] = "";
	struct relay *r = relay_new(st->name, CHAN_FIRST_FD, CHAN_FIRST_FD + 1, err);
	if (!r) {
		fprintf(stderr, "cordon relay: %s\n", err);
		return 1;
	}
	int rc = enter_sandbox(st) < 0 ? 1 : relay_run(r);
	relay_free(r);
	return rc;
}

int cli_chan(int argc, char **argv)
{
	struct chan_start st;
	char err[CHAN_ERRLEN] = "";
	bool is_switch = strcmp(argv[0], "switch") == 0;
	if (argc != 1) {
		fprintf(stderr, "cordon %s: started only by `cordon up` (see cordon up --help)\n", argv[0]);
		return 2;
	}
	int rc = chan_recv_start(&st, err);
	close(CHAN_DESC_FD);
	if (rc == 0 && st.kind != (is_switch ? CHAN_SWITCH : CHAN_RELAY))
		rc = -1, snprintf(err, sizeof(err), "the description is for another kind of process");
	if (rc < 0) {
		fprintf(stderr, "cordon %s: %s\n", argv[0], err);
		return 1;
	}
	return is_switch ? run_switch(&st) : run_relay(&st);
}
