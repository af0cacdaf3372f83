/*
 * The supervisor's transfers (src/super/super_transfer.c), driven on a
 * struct super of the test's own: a decided transfer in a scratch
 * directory, its target's guard link a socketpair whose other end the
 * test reads.
 */
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scratch.h"
#include "super/guard_proto.h"
#include "super/super_internal.h"

static struct super s;
static struct sysdef_vm target_def = { .name = "low" };

/* A pending transfer to "low" whose .data is in the scratch directory;
 * *guard_end: the guard's end of low's link. */
static struct xfer *pending_transfer(int *guard_end)
{
	int sv[2];
	char data[128];
	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	if (!scratch_make("cordon-xfer") || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	scratch_path(data, sizeof(data), "7.data");
	if (!scratch_write(data, "spool", 5))
		return NULL;
	s.nvms = 1;
	s.vms[0].def = &target_def;
	s.vms[0].guard.link_fd = sv[0];
	*guard_end = sv[1];
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->id = 7;
	x->state = XFER_PENDING;
	x->data_len = 5;
	snprintf(x->source, sizeof(x->source), "high");
	snprintf(x->target, sizeof(x->target), "low");
	snprintf(x->dir, sizeof(x->dir), "%s", scratch_dir);
	s.xfers.list = x;
	return x;
}

static bool guard_got_a_message(int guard_end)
{
	char buf[GUARD_MSG_MAX + 64];
	return recv(guard_end, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

/* Once an audit record could not be written the supervisor is stopping
 * unaudited: nothing more may flow between VMs, so a transfer waiting for
 * delivery stays where it is. */
TEST(super_transfer_no_delivery_once_the_audit_log_failed)
{
	int guard_end = -1;
	struct xfer *x = pending_transfer(&guard_end);
	CHECK(x != NULL);
	if (!x)
		return;
	s.audit_broken = true;
	xfer_dispatch(&s);
	CHECK(!x->in_flight);
	CHECK(!guard_got_a_message(guard_end));
	CHECK_EQ(s.vms[0].guard.delivering, 0);
	/* The same transfer with the log intact is delivered: the setup works. */
	s.audit_broken = false;
	xfer_dispatch(&s);
	CHECK(x->in_flight);
	CHECK(guard_got_a_message(guard_end));
	CHECK_EQ(s.vms[0].guard.delivering, 7);
	close(s.vms[0].guard.link_fd);
	close(guard_end);
	xfer_free(x);
	scratch_remove();
}

/* An approval that cannot be saved leaves the transfer held as it was,
 * its reason included: a later approval must still say what kind of
 * flow the person allows ("approved downgrade"), which is read from the
 * held reason. */
TEST(super_transfer_failed_approval_keeps_the_held_reason)
{
	memset(&s, 0, sizeof(s));
	struct xfer *x = calloc(1, sizeof(*x));
	CHECK(x != NULL);
	if (!x)
		return;
	x->id = 9;
	x->state = XFER_HELD;
	snprintf(x->reason, sizeof(x->reason), "%s", REFMON_R_HOLD_BLP);
	snprintf(x->source, sizeof(x->source), "high");
	snprintf(x->target, sizeof(x->target), "low");
	snprintf(x->dir, sizeof(x->dir), "/nonexistent-cordon-test-dir"); /* .meta cannot be written */
	s.xfers.list = x;
	struct control_conn c = { .fd = -1 };
	snprintf(c.who, sizeof(c.who), "operator uid 0");
	struct control_request req = { .cmd = CONTROL_TRANSFER_APPROVE };
	snprintf(req.args[0], sizeof(req.args[0]), "9");
	static char out[CONTROL_REPLY_MAX];
	size_t n = review_approve(&s, &c, &req, out);
	CHECK(n > 0 && strncmp(out, "{\"ok\":false", 11) == 0);
	CHECK_EQ(x->state, XFER_HELD);
	CHECK_STR(x->reason, REFMON_R_HOLD_BLP);
	xfer_free(x);
}
