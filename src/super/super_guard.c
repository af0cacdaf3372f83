/*
 * The transfer guards, as the supervisor runs them (guard/guard.h says
 * what a guard does).  A VM with "transfer on" gets one, started just
 * before its monitor:
 *
 *   - a fresh exec of cordon (`cordon guard`) with 0, 1 on /dev/null, 2 a
 *     pipe whose lines the supervisor shows like a monitor's, and 3 its
 *     link (a SOCK_SEQPACKET pair);
 *   - on the link, INIT with the VM's name, the guard's uid
 *     (GUARD_UID_BASE + n) and the transfer limits, and its end of the
 *     VM's transfer port; then a first spool.
 *
 * Everything a guard says is checked here (guard_proto decodes, this file
 * checks that the messages come in order and name the spool or transfer
 * they should) before super_transfer.c acts on it.  A guard that breaks
 * the protocol is stopped: it may be its guest's by now.
 */
#include "super/super_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "super/guard_proto.h"

#define GUARD_AS_LIMIT (512ull << 20)

static unsigned vm_index(const struct super *s, const struct vmrec *v)
{
	return (unsigned)(v - s->vms);
}

/* --- starting --------------------------------------------------------------------- */

static int send_init(struct super *s, struct vmrec *v, int link, int port_fd, char *err)
{
	struct guard_msg m = { .type = GUARD_MSG_INIT, .uid = v->guard.uid,
			       .limits = s->xfers.limits };
	char why[GUARD_ERRLEN];
	snprintf(m.vm, sizeof(m.vm), "%s", v->def->name);
	if (guard_send(link, &m, port_fd, why) != 0) {
		super_err(err, "cannot start the transfer guard: %s", why);
		return -1;
	}
	return 0;
}

int guard_spawn(struct super *s, struct vmrec *v, int port_fd, char *err)
{
	struct guardrec *gr = &v->guard;
	int sv[2] = { -1, -1 }, ep[2] = { -1, -1 };
	gr->uid = GUARD_UID_BASE + vm_index(s, v);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		super_err(err, "cannot start the transfer guard: %s", strerror(errno));
		goto fail;
	}
	/* Its biggest needs: the checker's name table and a request's file
	 * list at the file limit, a few 64 KiB buffers, and OpenSSL. */
	struct rlimit as = { GUARD_AS_LIMIT, GUARD_AS_LIMIT };
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char *envp[] = { NULL };
		spawn_exec_child(s, &as, sv[1], ep[1], "guard", envp);
	}
	close(sv[1]), close(ep[1]);
	sv[1] = ep[1] = -1;
	if (pid < 0) {
		super_err(err, "cannot start the transfer guard: fork: %s", strerror(errno));
		goto fail;
	}
	gr->pid = pid;
	gr->link_fd = sv[0];
	gr->err.fd = ep[0];
	gr->err.len = gr->err.forwarded = 0;
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	int rc = send_init(s, v, sv[0], port_fd, err);
	close(port_fd);
	char reason[80];
	snprintf(reason, sizeof(reason), "pid %d, uid %u", (int)pid, (unsigned)gr->uid);
	super_audit(s, v->def->name, v->label, "guard", v->label, "start", "start", reason);
	if (rc < 0) {
		kill(pid, SIGKILL); /* reaped and reported like any guard */
		return -1;
	}
	guard_send_spool(s, v);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	close(port_fd);
	return -1;
}

/* --- what the supervisor sends -------------------------------------------------------- */

void guard_send_spool(struct super *s, struct vmrec *v)
{
	struct guardrec *gr = &v->guard;
	char err[SUPER_ERRLEN];
	if (gr->link_fd < 0 || gr->spool_id)
		return;
	uint64_t id;
	int fd;
	if (xfer_new_spool(s, v, &id, &fd, err) < 0) {
		/* The VM's outbox waits (its guard reads nothing more) until a
		 * later try succeeds: after a delivery or a decision. */
		fprintf(stderr, "cordon up: vm %s: no spool for its next transfer: %s\n", v->def->name,
			err);
		gr->spool_owed = true;
		return;
	}
	struct guard_msg m = { .type = GUARD_MSG_SPOOL, .id = id };
	int rc = guard_send(gr->link_fd, &m, fd, err);
	close(fd);
	if (rc != 0) {
		unlink(gr->spool_path);
		gr->spool_path[0] = 0;
		gr->spool_owed = true;
		return;
	}
	gr->spool_id = id;
	gr->spool_owed = false;
}

bool guard_send_delivery(struct super *s, struct vmrec *v, const struct xfer *x, int fd)
{
	struct guardrec *gr = &v->guard;
	char err[SUPER_ERRLEN];
	(void)s;
	if (gr->link_fd < 0 || gr->delivering)
		return false;
	struct guard_msg m = { .type = GUARD_MSG_DELIVER, .id = x->id };
	memcpy(m.manifest, x->manifest, XFER_DIGEST_LEN);
	if (guard_send(gr->link_fd, &m, fd, err) != 0)
		return false;
	gr->delivering = x->id;
	return true;
}

/* --- what a guard says ------------------------------------------------------------------ */

static void req_reset(struct xfer_req *r)
{
	for (uint32_t i = 0; r->files && i < r->nfiles; i++)
		free(r->files[i].name);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

/* The guard broke the protocol: it is stopped, its VM runs on without
 * transfers. */
static void misbehaved(struct super *s, struct vmrec *v, const char *why)
{
	struct guardrec *gr = &v->guard;
	char reason[SUPER_ERRLEN];
	snprintf(reason, sizeof(reason), "guard broke the protocol: %s", why);
	super_say("vm %s: %s; its guard is stopped", v->def->name, reason);
	super_audit(s, v->def->name, v->label, "guard", v->label, "exit", "killed", reason);
	if (gr->pid > 0)
		kill(gr->pid, SIGKILL);
	if (gr->link_fd >= 0)
		close(gr->link_fd);
	gr->link_fd = -1;
	req_reset(&gr->req);
}

static int on_begin(struct super *s, struct guardrec *gr, const struct guard_msg *m,
		    const char **why)
{
	if (gr->req.active || m->id != gr->spool_id) {
		*why = "a request for a spool it does not hold";
		return -1;
	}
	/* The guard's own checker holds it to the limits: a request past them
	 * is a guard that no longer does its job. */
	if (m->nfiles > s->xfers.limits.max_files || m->total > s->xfers.limits.max_bytes) {
		*why = "a request past the transfer limits";
		return -1;
	}
	struct xfer_req *r = &gr->req;
	r->files = calloc(m->nfiles, sizeof(*r->files));
	if (!r->files) {
		*why = "out of memory for the request";
		return -1;
	}
	r->active = true;
	r->id = m->id;
	r->nfiles = m->nfiles;
	r->total = m->total;
	r->spool_len = m->spool_len;
	snprintf(r->target, sizeof(r->target), "%s", m->target);
	return 0;
}

static int on_file(struct guardrec *gr, const struct guard_msg *m, const char **why)
{
	struct xfer_req *r = &gr->req;
	if (!r->active || m->id != r->id || m->index != r->got || r->got == r->nfiles) {
		*why = "a file out of order";
		return -1;
	}
	struct xfer_file *f = &r->files[r->got];
	f->name = strdup(m->name);
	if (!f->name) {
		*why = "out of memory for the request";
		return -1;
	}
	f->mode = m->mode;
	f->size = m->size;
	f->offset = m->offset;
	memcpy(f->digest, m->digest, XFER_DIGEST_LEN);
	r->got++;
	return 0;
}

static void dispatch_msg(struct super *s, struct vmrec *v, const struct guard_msg *m)
{
	struct guardrec *gr = &v->guard;
	const char *why = NULL;
	switch (m->type) {
	case GUARD_MSG_REQ_BEGIN:
		on_begin(s, gr, m, &why);
		break;
	case GUARD_MSG_REQ_FILE:
		on_file(gr, m, &why);
		break;
	case GUARD_MSG_REQ_END:
		if (!gr->req.active || m->id != gr->req.id || gr->req.got != gr->req.nfiles) {
			why = "a request ended before all its files";
			break;
		}
		gr->spool_id = 0;
		xfer_request(s, v, &gr->req);
		req_reset(&gr->req);
		guard_send_spool(s, v);
		break;
	case GUARD_MSG_DROP:
		if (gr->req.active || (m->id && m->id != gr->spool_id)) {
			why = "a drop of a spool it does not hold";
			break;
		}
		xfer_dropped(s, v, m->id, m->reason);
		if (m->id) {
			gr->spool_id = 0;
			guard_send_spool(s, v);
		}
		break;
	case GUARD_MSG_DELIVERED:
	case GUARD_MSG_UNDELIVERABLE:
		if (!gr->delivering || m->id != gr->delivering) {
			why = "a delivery it was not given";
			break;
		}
		gr->delivering = 0;
		xfer_done(s, v, m->id, m->type == GUARD_MSG_DELIVERED, m->reason);
		break;
	default:
		why = "a message only the supervisor sends";
		break;
	}
	if (why)
		misbehaved(s, v, why);
}

static void link_ready(struct super *s, struct vmrec *v)
{
	struct guardrec *gr = &v->guard;
	/* Bounded per turn, so one guard cannot hold the loop. */
	for (int i = 0; i < 256 && gr->link_fd >= 0; i++) {
		struct guard_msg m;
		int fd;
		bool hung_up;
		char err[GUARD_ERRLEN];
		int rc = guard_recv(gr->link_fd, &m, &fd, &hung_up, err);
		if (rc == 0)
			return;
		if (rc < 0 && hung_up) {
			close(gr->link_fd);
			gr->link_fd = -1;
			return;
		}
		if (fd >= 0)
			close(fd);
		if (rc < 0) {
			misbehaved(s, v, err);
			return;
		}
		dispatch_msg(s, v, &m);
	}
}

/* --- the loop ------------------------------------------------------------------------------ */

unsigned guards_err_streams(struct super *s, struct pollfd *p, struct errstream **owner)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nvms; i++) {
		struct guardrec *gr = &s->vms[i].guard;
		if (gr->err.fd < 0)
			continue;
		p[n] = (struct pollfd){ .fd = gr->err.fd, .events = POLLIN };
		owner[n++] = &gr->err;
	}
	return n;
}

unsigned guards_poll_links(struct super *s, struct pollfd *p, struct vmrec **linked)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nvms; i++) {
		if (s->vms[i].guard.link_fd < 0)
			continue;
		p[n] = (struct pollfd){ .fd = s->vms[i].guard.link_fd, .events = POLLIN };
		linked[n++] = &s->vms[i];
	}
	return n;
}

void guards_links_ready(struct super *s, const struct pollfd *p, struct vmrec *const *linked,
			unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i].revents)
			link_ready(s, linked[i]);
	/* Owed spools (a full link, a full disk) are tried again each turn. */
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].guard.spool_owed)
			guard_send_spool(s, &s->vms[i]);
	xfer_dispatch(s);
}

bool guards_running(const struct super *s)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (s->vms[i].guard.pid > 0)
			return true;
	return false;
}

bool guard_reaped(struct super *s, pid_t pid, int status)
{
	struct vmrec *v = NULL;
	for (unsigned i = 0; i < s->nvms && !v; i++)
		if (s->vms[i].guard.pid == pid)
			v = &s->vms[i];
	if (!v)
		return false;
	struct guardrec *gr = &v->guard;
	char outcome[96];
	if (gr->link_fd >= 0)
		link_ready(s, v); /* its last messages come before its end */
	if (gr->err.fd >= 0)
		errstream_forward(&gr->err);
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (WIFSIGNALED(status))
		snprintf(outcome, sizeof(outcome), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(outcome, sizeof(outcome), "exited with status %d", WEXITSTATUS(status));
	if (!clean)
		super_say("vm %s: its transfer guard %s", v->def->name, outcome);
	super_audit(s, v->def->name, v->label, "guard", v->label, "exit", clean ? "exit" : "killed",
		    outcome);
	gr->pid = 0;
	if (gr->link_fd >= 0)
		close(gr->link_fd);
	gr->link_fd = -1;
	req_reset(&gr->req);
	if (gr->spool_path[0])
		unlink(gr->spool_path);
	gr->spool_path[0] = 0;
	gr->spool_id = 0;
	gr->spool_owed = false;
	xfer_guard_gone(s, v);
	return true;
}
