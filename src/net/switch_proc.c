/*
 * The switch process's loop (see switch_proc.h).
 */
#include "net/switch_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/pktfd.h"

struct proc_port {
	int fd;
	enum host_pkt_kind kind;
	bool up, uplink;
	char name[40];
};

struct switch_proc {
	struct vswitch *sw;
	unsigned nports;
	struct proc_port port[SWITCH_MAX_PORTS];
	uint8_t buf[SWITCH_MAX_FRAME + 1]; /* one more: a longer frame shows as too long */
};

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

struct switch_proc *switch_proc_new(const char *net, const struct switch_config *cfg,
				    const int *fds, const char *const *port_names, char *err)
{
	struct switch_proc *sp = calloc(1, sizeof(*sp));
	if (!sp || cfg->nports > SWITCH_MAX_PORTS || !(sp->sw = switch_create(cfg))) {
		snprintf(err, HOST_ERRLEN, "net %s: cannot set up the switch", net);
		goto fail;
	}
	sp->nports = cfg->nports;
	for (unsigned i = 0; i < sp->nports; i++) {
		struct proc_port *p = &sp->port[i];
		p->fd = fds[i];
		p->up = true;
		p->uplink = cfg->port[i].uplink;
		snprintf(p->name, sizeof(p->name), "%s",
			 p->uplink ? "uplink" : port_names && port_names[i] ? port_names[i] : "?");
		if (host_pkt_prepare(p->fd, &p->kind, err) < 0)
			goto fail;
	}
	return sp;
fail:
	close_all(fds, cfg->nports <= SWITCH_MAX_PORTS ? cfg->nports : 0);
	if (sp)
		switch_destroy(sp->sw);
	free(sp);
	return NULL;
}

void switch_proc_free(struct switch_proc *sp)
{
	if (!sp)
		return;
	for (unsigned i = 0; i < sp->nports; i++)
		if (sp->port[i].up)
			close(sp->port[i].fd);
	switch_destroy(sp->sw);
	free(sp);
}

static void port_down(struct switch_proc *sp, unsigned i)
{
	if (!sp->port[i].up)
		return;
	sp->port[i].up = false;
	close(sp->port[i].fd);
	switch_port_down(sp->sw, i);
}

static bool any_vm_port_up(const struct switch_proc *sp)
{
	for (unsigned i = 0; i < sp->nports; i++)
		if (sp->port[i].up && !sp->port[i].uplink)
			return true;
	return false;
}

/* Up to a burst of frames from port i into the core. */
static void take_input(struct switch_proc *sp, unsigned i, bool hung_up)
{
	struct proc_port *p = &sp->port[i];
	for (int k = 0; k < SWITCH_PROC_BURST && p->up; k++) {
		ssize_t n = host_pkt_read(p->fd, p->kind, sp->buf, sizeof(sp->buf));
		if (n < 0 || (n == 0 && hung_up)) {
			port_down(sp, i);
			return;
		}
		if (n == 0)
			return;
		/* A frame longer than the buffer arrives cut short, or reports
		 * its length: either way switch_input sees more than 1518. */
		switch_input(sp->sw, i, sp->buf, (size_t)n, host_monotonic_ns());
	}
}

/* Port i's queue into its descriptor, until it is empty or full. */
static void give_output(struct switch_proc *sp, unsigned i)
{
	struct proc_port *p = &sp->port[i];
	const uint8_t *frame;
	size_t len;
	while (p->up && (frame = switch_peek(sp->sw, i, &len))) {
		int rc = host_pkt_write(p->fd, p->kind, frame, len);
		if (rc == 0)
			return; /* full: wait for room */
		if (rc < 0) {
			port_down(sp, i);
			return;
		}
		switch_pop(sp->sw, i);
	}
}

static void report(const struct switch_proc *sp)
{
	for (unsigned i = 0; i < sp->nports; i++) {
		struct switch_port_stats st = switch_stats(sp->sw, i);
		/* The supervisor puts "net NAME: " before each line. */
		fprintf(stderr,
			"port %s: in %llu, out %llu; dropped: %llu bad size, %llu spoofed source, %llu queue full\n",
			sp->port[i].name, (unsigned long long)st.in_frames,
			(unsigned long long)st.out_sent, (unsigned long long)st.in_bad_size,
			(unsigned long long)st.in_spoofed, (unsigned long long)st.out_dropped);
	}
}

int switch_proc_run(struct switch_proc *sp)
{
	struct host_pkt_poll w[SWITCH_MAX_PORTS];
	unsigned idx[SWITCH_MAX_PORTS];
	while (any_vm_port_up(sp)) {
		unsigned n = 0;
		for (unsigned i = 0; i < sp->nports; i++) {
			if (!sp->port[i].up)
				continue;
			w[n] = (struct host_pkt_poll){ .fd = sp->port[i].fd, .want_read = true,
						       .want_write = switch_queued(sp->sw, i) > 0 };
			idx[n++] = i;
		}
		host_pkt_wait(w, n, -1);
		for (unsigned k = 0; k < n; k++)
			if (w[k].readable || w[k].hung_up)
				take_input(sp, idx[k], w[k].hung_up && !w[k].readable);
		for (unsigned i = 0; i < sp->nports; i++)
			give_output(sp, i);
	}
	report(sp);
	return 0;
}
