/*
 * The diode relay (see relay.h).
 */
#include "net/relay.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/pktfd.h"
#include "net/switch.h"

struct relay {
	int from_fd, to_fd; /* to_fd -1 once the receiver is gone */
	enum host_pkt_kind from_kind, to_kind;
	struct relay_stats st;
	uint8_t buf[SWITCH_MAX_FRAME + 1];
};

struct relay *relay_new(const char *diode, int from_fd, int to_fd, char *err)
{
	struct relay *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, HOST_ERRLEN, "diode %s: out of memory", diode);
		goto fail;
	}
	r->from_fd = from_fd;
	r->to_fd = to_fd;
	if (host_pkt_prepare(from_fd, &r->from_kind, err) < 0 ||
	    host_pkt_prepare(to_fd, &r->to_kind, err) < 0)
		goto fail;
	host_pkt_ignore_sigpipe(); /* a receiver that is gone is an error return, not a signal */
	return r;
fail:
	close(from_fd);
	close(to_fd);
	free(r);
	return NULL;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	if (r->from_fd >= 0)
		close(r->from_fd);
	if (r->to_fd >= 0)
		close(r->to_fd);
	free(r);
}

struct relay_stats relay_stats(const struct relay *r)
{
	return r->st;
}

static void forward(struct relay *r, size_t len)
{
	if (len < SWITCH_MIN_FRAME || len > SWITCH_MAX_FRAME) {
		r->st.bad_size++;
		return;
	}
	if (r->to_fd < 0) {
		r->st.dropped_gone++;
		return;
	}
	int rc = host_pkt_write(r->to_fd, r->to_kind, r->buf, len);
	if (rc > 0) {
		r->st.relayed++;
	} else if (rc == 0) {
		r->st.dropped_full++;
	} else {
		r->st.dropped_gone++;
		close(r->to_fd);
		r->to_fd = -1;
	}
}

/* A burst from the sender; false once its end is closed. */
static bool drain(struct relay *r, bool hung_up)
{
	for (int k = 0; k < RELAY_BURST; k++) {
		ssize_t n = host_pkt_read(r->from_fd, r->from_kind, r->buf, sizeof(r->buf));
		if (n < 0 || (n == 0 && hung_up))
			return false;
		if (n == 0)
			return true;
		forward(r, (size_t)n);
	}
	return true;
}

int relay_run(struct relay *r)
{
	for (;;) {
		struct host_pkt_poll w = { .fd = r->from_fd, .want_read = true };
		host_pkt_wait(&w, 1, -1);
		if ((w.readable || w.hung_up) && !drain(r, w.hung_up && !w.readable))
			break;
	}
	close(r->from_fd);
	r->from_fd = -1;
	/* The supervisor puts "diode NAME: " before the line. */
	fprintf(stderr, "relayed %llu; dropped: %llu the receiver had no room for, %llu after it was gone, %llu bad size\n",
		(unsigned long long)r->st.relayed, (unsigned long long)r->st.dropped_full,
		(unsigned long long)r->st.dropped_gone, (unsigned long long)r->st.bad_size);
	return 0;
}
