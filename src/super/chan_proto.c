/*
 * The supervisor <-> channel-process protocol (see chan_proto.h).
 */
#include "super/chan_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, CHAN_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* A name of the system file, NUL-terminated inside its array ("" allowed
 * where may_be_empty says so). */
static bool is_name(const char *s, bool may_be_empty)
{
	return (may_be_empty && s[0] == '\0') || sysdef_is_name(s);
}

static int check_ports(const struct chan_start *st, char *err)
{
	unsigned uplinks = 0, vms = 0;
	for (unsigned i = 0; i < st->nfds; i++) {
		const struct chan_port *p = &st->port[i];
		if (p->uplink > 1 || !is_name(p->vm, p->uplink))
			return fail(err, "port %u: bad description", i);
		if (p->uplink) {
			uplinks++;
			continue;
		}
		vms++;
		if (p->mac[0] & 1)
			return fail(err, "port %u: multicast MAC", i);
		for (unsigned j = 0; j < i; j++)
			if (!st->port[j].uplink && !memcmp(st->port[j].mac, p->mac, SWITCH_MAC_LEN))
				return fail(err, "ports %u and %u have one MAC", j, i);
	}
	if (uplinks > 1)
		return fail(err, "more than one uplink");
	if (!vms)
		return fail(err, "no VM port");
	return 0;
}

int chan_start_check(const struct chan_start *st, char *err)
{
	if (st->version != CHAN_PROTO_VERSION)
		return fail(err, "protocol version %u, expected %u", (unsigned)st->version,
			    CHAN_PROTO_VERSION);
	if (!is_name(st->name, false))
		return fail(err, "bad channel name");
	if (st->uid < CHAN_UID_BASE || st->uid >= CHAN_UID_END)
		return fail(err, "uid %u is not a channel process's", (unsigned)st->uid);
	switch (st->kind) {
	case CHAN_SWITCH:
		if (st->nfds < 1 || st->nfds > CHAN_MAX_FDS)
			return fail(err, "a switch with %u ports", (unsigned)st->nfds);
		return check_ports(st, err);
	case CHAN_RELAY:
		if (st->nfds != 2)
			return fail(err, "a relay with %u descriptors (needs 2)", (unsigned)st->nfds);
		return 0;
	}
	return fail(err, "unknown channel kind %u", (unsigned)st->kind);
}

int chan_send_start(int fd, const struct chan_start *st, char *err)
{
	_Static_assert(sizeof(struct chan_start) <= 4096, "one write to a pipe (PIPE_BUF)");
	if (chan_start_check(st, err) < 0)
		return -1;
	ssize_t n;
	do
		n = write(fd, st, sizeof(*st));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*st))
		return fail(err, "cannot write the description: %s",
			    n < 0 ? strerror(errno) : "short write");
	return 0;
}

/* Exactly CHAN_FIRST_FD .. + n - 1 open above the description's pipe (the
 * supervisor closes everything higher before the exec; a few dozen more
 * are looked at to be sure). */
static int check_fds(unsigned n, char *err)
{
	for (unsigned i = 0; i < n; i++)
		if (fcntl(CHAN_FIRST_FD + (int)i, F_GETFD) < 0)
			return fail(err, "descriptor %u of %u is not open", CHAN_FIRST_FD + i, n);
	for (int fd = CHAN_FIRST_FD + (int)n; fd < CHAN_FIRST_FD + 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			return fail(err, "descriptor %d is open but not described", fd);
	return 0;
}

int chan_recv_start(struct chan_start *st, char *err)
{
	char *p = (char *)st;
	size_t got = 0;
	char extra;
	memset(st, 0, sizeof(*st));
	while (got < sizeof(*st)) {
		ssize_t n = read(CHAN_DESC_FD, p + got, sizeof(*st) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(err, "no description from the supervisor on descriptor %d",
				    CHAN_DESC_FD);
		got += (size_t)n;
	}
	if (read(CHAN_DESC_FD, &extra, 1) != 0)
		return fail(err, "more than one description on descriptor %d", CHAN_DESC_FD);
	if (chan_start_check(st, err) < 0)
		return -1;
	return check_fds(st->nfds, err);
}
