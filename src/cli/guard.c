/*
 * `cordon guard`: a VM's transfer guard (guard/guard.h), started only by
 * the supervisor with its link on descriptor 3.  It receives its VM's
 * name, uid and transfer limits with the transfer-port socket, gets
 * OpenSSL's SHA-256 ready, enters the sandbox with the guard's own
 * allowlist and serves until its monitor or the supervisor goes away.
 */
#include "cli/cli.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "guard/guard.h"
#include "sec/digest.h"
#include "super/guard_proto.h"

static struct guard the_guard; /* 32 KiB of buffer: off the stack */

static int receive_init(struct guard_msg *m, int *port_fd, char *err)
{
	for (;;) {
		bool hung_up;
		int rc = guard_recv(GUARD_SOCK_FD, m, port_fd, &hung_up, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && m->type == GUARD_MSG_INIT)
			return 0;
		if (rc == 1) {
			snprintf(err, GUARD_ERRLEN, "expected init, got %s", guard_msg_name(m->type));
			if (*port_fd >= 0)
				close(*port_fd);
			return -1;
		}
		struct pollfd p = { .fd = GUARD_SOCK_FD, .events = POLLIN };
		poll(&p, 1, -1);
	}
}

int cli_guard(int argc, char **argv)
{
	struct guard_msg init;
	int port_fd = -1;
	char err[GUARD_ERRLEN] = "";
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "cordon guard: started only by `cordon up` (see docs/transfer.md)\n");
		return 2;
	}
	if (receive_init(&init, &port_fd, err) < 0) {
		fprintf(stderr, "cordon guard: %s\n", err);
		return 1;
	}
	if (digest_warm_up() < 0) {
		fprintf(stderr, "cordon guard %s: OpenSSL gives no SHA-256\n", init.vm);
		return 1;
	}
	struct sandbox_opts sandbox;
	sandbox_default_opts(&sandbox);
	sandbox.profile = SANDBOX_GUARD;
	sandbox.uid = sandbox.gid = init.uid;
	sandbox.die_with_parent = true;
	sandbox.spare_fds = GUARD_MAX_DELIVERIES + 2;
	/* No spool can grow past the largest transfer the limits allow. */
	sandbox.max_file_size = init.limits.max_bytes + 64 +
				(uint64_t)init.limits.max_files *
					(XFER_FILE_LEN + XFER_NAME_MAX + XFER_TRAILER_LEN) + XFER_END_LEN;
	if (cli_enter_sandbox(&sandbox) < 0)
		return 1;
	if (guard_init(&the_guard, init.vm, &init.limits, GUARD_SOCK_FD, port_fd, err) < 0) {
		fprintf(stderr, "cordon guard %s: %s\n", init.vm, err);
		return 1;
	}
	while (guard_step(&the_guard, -1))
		;
	guard_free(&the_guard);
	return 0;
}
