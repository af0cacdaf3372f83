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

/* A request that arrives once the audit log has failed: its decision has
 * no record, so it must not stand -- not delivered now (above), and not
 * kept on disk for a later run to deliver with no record of why. */
TEST(super_transfer_request_unrecorded_is_not_kept)
{
	static struct lattice lat;
	static struct sysdef_vm src_def = { .name = "low" }, dst_def = { .name = "high" };
	char err[AUDIT_ERRLEN], path[256], spool[256], lerr[LABEL_ERRLEN];
	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	CHECK(scratch_make("cordon-xfer"));
	lattice_init(&lat);
	CHECK(lattice_add_level(&lat, "UNCLASSIFIED", lerr) == 0 &&
	      lattice_add_level(&lat, "SECRET", lerr) == 0);
	s.lat = &lat;
	s.pol = (struct refmon_policy){ .blp = true, .write_up_transfers = true };
	src_def.label = (struct label){ .level = 0 };
	dst_def.label = (struct label){ .level = 1 };
	dst_def.transfer = src_def.transfer = true;
	scratch_path(path, sizeof(path), "audit.log");
	s.audit = audit_open(path, err);
	CHECK(s.audit != NULL);
	snprintf(s.xfers.root, sizeof(s.xfers.root), "%s", scratch_dir);
	s.xfers.limits = (struct xfer_limits){ 1 << 20, 10 };
	s.nvms = 2;
	s.vms[0].def = &src_def;
	s.vms[1].def = &dst_def;
	snprintf(s.vms[0].label, sizeof(s.vms[0].label), "UNCLASSIFIED");
	snprintf(s.vms[1].label, sizeof(s.vms[1].label), "SECRET");
	s.vms[0].guard.link_fd = s.vms[1].guard.link_fd = -1;
	scratch_path(spool, sizeof(spool), "1.part");
	CHECK(scratch_write(spool, "hello", 5));
	snprintf(s.vms[0].guard.spool_path, sizeof(s.vms[0].guard.spool_path), "%s", spool);
	struct xfer_req r = { .active = true, .id = 1, .nfiles = 1, .got = 1, .total = 5,
			      .spool_len = 5 };
	snprintf(r.target, sizeof(r.target), "high");
	r.files = calloc(1, sizeof(*r.files));
	CHECK(r.files != NULL);
	if (!s.audit || !r.files) {
		free(r.files);
		scratch_remove();
		return;
	}
	r.files[0] = (struct xfer_file){ .name = strdup("a.txt"), .mode = XFER_MODE_FILE, .size = 5 };
	s.audit_broken = true; /* an earlier record failed */
	xfer_request(&s, &s.vms[0], &r);
	CHECK(s.xfers.list == NULL);
	scratch_path(path, sizeof(path), "UNCLASSIFIED/1.data");
	CHECK(access(path, F_OK) < 0);
	scratch_path(path, sizeof(path), "UNCLASSIFIED/1.meta");
	CHECK(access(path, F_OK) < 0);
	/* The same request with the log intact is kept: the setup works. */
	CHECK(scratch_write(spool, "hello", 5));
	snprintf(s.vms[0].guard.spool_path, sizeof(s.vms[0].guard.spool_path), "%s", spool);
	r = (struct xfer_req){ .active = true, .id = 2, .nfiles = 1, .got = 1, .total = 5, .spool_len = 5 };
	snprintf(r.target, sizeof(r.target), "high");
	r.files = calloc(1, sizeof(*r.files));
	r.files[0] = (struct xfer_file){ .name = strdup("a.txt"), .mode = XFER_MODE_FILE, .size = 5 };
	s.audit_broken = false;
	xfer_request(&s, &s.vms[0], &r);
	CHECK(s.xfers.list != NULL && s.xfers.list->id == 2 && s.xfers.list->state == XFER_PENDING);
	xfer_store_close(&s);
	audit_close(s.audit);
	scratch_remove();
}

/* A spool is granted only while the state directory's file system has
 * room for it at the transfer size limit, beside the reserve: a guard
 * may fill it that far, and the audit log must never be the one to run
 * out of room. */
TEST(super_transfer_spool_needs_room_at_the_size_limit)
{
	uint64_t id;
	int fd = -1;
	char err[SUPER_ERRLEN] = "";
	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	CHECK(scratch_make("cordon-spool"));
	snprintf(s.xfers.root, sizeof(s.xfers.root), "%s", scratch_dir);
	s.xfers.next_id = 1;
	s.nvms = 1;
	s.vms[0].def = &target_def;
	snprintf(s.vms[0].label, sizeof(s.vms[0].label), "UNCLASSIFIED");
	s.xfers.limits.max_bytes = 1ull << 20;
	CHECK_EQ(xfer_new_spool(&s, &s.vms[0], &id, &fd, err), 0);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	s.vms[0].guard.spool_path[0] = 0; /* as when its transfer was decided */
	s.xfers.limits.max_bytes = 1ull << 60; /* more than any file system here holds */
	fd = -1;
	CHECK_EQ(xfer_new_spool(&s, &s.vms[0], &id, &fd, err), -1);
	CHECK(fd < 0);
	CHECK(strstr(err, "no room for another spool") != NULL);
	CHECK(s.vms[0].guard.spool_path[0] == 0);
	scratch_remove();
}
