/*
 * The supervisor <-> guard protocol (see guard_proto.h).  One encoder and
 * one decoder per message type, built from a small writer and a reader
 * that refuses to read past the payload or to leave bytes unread, and the
 * same checks on both ends: the supervisor cannot send what the guard
 * would refuse, and neither end accepts what the other could not have
 * sent.
 */
#include "super/guard_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, GUARD_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *const names[GUARD_MSG_NTYPES] = {
	[GUARD_MSG_INIT] = "init", [GUARD_MSG_SPOOL] = "spool", [GUARD_MSG_DELIVER] = "deliver",
	[GUARD_MSG_REQ_BEGIN] = "req-begin", [GUARD_MSG_REQ_FILE] = "req-file",
	[GUARD_MSG_REQ_END] = "req-end", [GUARD_MSG_DROP] = "drop",
	[GUARD_MSG_DELIVERED] = "delivered", [GUARD_MSG_UNDELIVERABLE] = "undeliverable",
};

const char *guard_msg_name(enum guard_msg_type type)
{
	return type > 0 && type < GUARD_MSG_NTYPES ? names[type] : "?";
}

bool guard_msg_has_fd(enum guard_msg_type type)
{
	return type == GUARD_MSG_INIT || type == GUARD_MSG_SPOOL || type == GUARD_MSG_DELIVER;
}

/* --- writing and reading payloads ------------------------------------------------- */

struct writer {
	uint8_t *p;
	size_t len;
	bool overflow;
};

static void w_bytes(struct writer *w, const void *b, size_t n)
{
	if (w->len + n > GUARD_MSG_MAX) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void w_uint(struct writer *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, bytes);
}

static void w_text(struct writer *w, const char *s, unsigned len_bytes)
{
	size_t n = strlen(s);
	w_uint(w, n, len_bytes);
	w_bytes(w, s, n);
}

struct reader {
	const uint8_t *p;
	size_t len, pos;
	bool short_read;
	bool nul; /* a text held a NUL byte, which no encoder writes */
};

static const uint8_t *r_bytes(struct reader *r, size_t n)
{
	if (r->len - r->pos < n) {
		r->short_read = true;
		return NULL;
	}
	r->pos += n;
	return r->p + r->pos - n;
}

static uint64_t r_uint(struct reader *r, unsigned bytes)
{
	const uint8_t *b = r_bytes(r, bytes);
	uint64_t v = 0;
	for (unsigned i = 0; b && i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* A length-prefixed text into out (cap bytes with the NUL); its length. */
static size_t r_text(struct reader *r, unsigned len_bytes, char *out, size_t cap)
{
	uint64_t n = r_uint(r, len_bytes);
	const uint8_t *b = n < cap ? r_bytes(r, n) : NULL;
	if (!b) {
		r->short_read = true;
		out[0] = 0;
		return 0;
	}
	if (memchr(b, 0, n))
		r->nul = true;
	memcpy(out, b, n);
	out[n] = 0;
	return n;
}

/* --- the rules both ends check ----------------------------------------------------- */

static bool reason_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > GUARD_REASON_MAX)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static bool vm_ok(const char *s)
{
	return xfer_vm_name_ok((const uint8_t *)s, strlen(s));
}

static int check(const struct guard_msg *m, char *err)
{
	char why[XFER_REASON_LEN];
	if (m->type != GUARD_MSG_INIT && m->type != GUARD_MSG_DROP && m->id == 0)
		return fail(err, "%s: transfer id 0", guard_msg_name(m->type));
	switch (m->type) {
	case GUARD_MSG_INIT:
		if (!vm_ok(m->vm))
			return fail(err, "init: bad VM name");
		if (!m->limits.max_bytes || m->limits.max_bytes > XFER_CEIL_MAX_BYTES ||
		    !m->limits.max_files || m->limits.max_files > XFER_CEIL_MAX_FILES)
			return fail(err, "init: transfer limits out of range");
		return 0;
	case GUARD_MSG_REQ_BEGIN:
		if (!vm_ok(m->target))
			return fail(err, "req-begin: bad target VM name");
		if (m->nfiles == 0 || m->nfiles > XFER_CEIL_MAX_FILES || m->total > XFER_CEIL_MAX_BYTES)
			return fail(err, "req-begin: %u files, %llu bytes: out of range", m->nfiles,
				    (unsigned long long)m->total);
		if (m->spool_len < m->total)
			return fail(err, "req-begin: spool shorter than its files");
		return 0;
	case GUARD_MSG_REQ_FILE:
		if (m->mode != XFER_MODE_FILE && m->mode != XFER_MODE_EXEC)
			return fail(err, "req-file: mode 0%o", m->mode);
		if (xfer_name_check((const uint8_t *)m->name, strlen(m->name), why) < 0)
			return fail(err, "req-file: name %s", why);
		if (m->size > XFER_CEIL_MAX_BYTES || m->offset > XFER_CEIL_MAX_BYTES * 2)
			return fail(err, "req-file: size or offset out of range");
		return 0;
	case GUARD_MSG_DROP:
	case GUARD_MSG_UNDELIVERABLE:
		if (!reason_ok(m->reason))
			return fail(err, "%s: the reason is not 1..%u printable characters",
				    guard_msg_name(m->type), GUARD_REASON_MAX);
		return 0;
	default:
		return m->type > 0 && m->type < GUARD_MSG_NTYPES ? 0 : fail(err, "unknown type %u", m->type);
	}
}

/* --- encoding ---------------------------------------------------------------------------- */

long guard_msg_encode(const struct guard_msg *m, uint8_t *buf, char *err)
{
	if (check(m, err) < 0)
		return -1;
	struct writer w = { .p = buf };
	if (m->type != GUARD_MSG_INIT)
		w_uint(&w, m->id, 8);
	switch (m->type) {
	case GUARD_MSG_INIT:
		w_uint(&w, m->uid, 4);
		w_uint(&w, m->limits.max_bytes, 8);
		w_uint(&w, m->limits.max_files, 4);
		w_text(&w, m->vm, 1);
		break;
	case GUARD_MSG_DELIVER:
		w_bytes(&w, m->manifest, XFER_DIGEST_LEN);
		break;
	case GUARD_MSG_REQ_BEGIN:
		w_uint(&w, m->nfiles, 4);
		w_uint(&w, m->total, 8);
		w_uint(&w, m->spool_len, 8);
		w_text(&w, m->target, 1);
		break;
	case GUARD_MSG_REQ_FILE:
		w_uint(&w, m->index, 4);
		w_uint(&w, m->mode, 2);
		w_uint(&w, m->size, 8);
		w_uint(&w, m->offset, 8);
		w_bytes(&w, m->digest, XFER_DIGEST_LEN);
		w_text(&w, m->name, 2);
		break;
	case GUARD_MSG_DROP:
	case GUARD_MSG_UNDELIVERABLE:
		w_text(&w, m->reason, 2);
		break;
	default:
		break;
	}
	if (w.overflow)
		return fail(err, "%s: too large", guard_msg_name(m->type));
	return (long)w.len;
}

int guard_msg_decode(enum guard_msg_type type, const uint8_t *buf, size_t len,
		     struct guard_msg *m, char *err)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (type <= 0 || type >= GUARD_MSG_NTYPES)
		return fail(err, "unknown message type %u", type);
	struct reader r = { .p = buf, .len = len };
	if (type != GUARD_MSG_INIT)
		m->id = r_uint(&r, 8);
	switch (type) {
	case GUARD_MSG_INIT:
		m->uid = (uint32_t)r_uint(&r, 4);
		m->limits.max_bytes = r_uint(&r, 8);
		m->limits.max_files = (uint32_t)r_uint(&r, 4);
		r_text(&r, 1, m->vm, sizeof(m->vm));
		break;
	case GUARD_MSG_DELIVER: {
		const uint8_t *d = r_bytes(&r, XFER_DIGEST_LEN);
		if (d)
			memcpy(m->manifest, d, XFER_DIGEST_LEN);
		break;
	}
	case GUARD_MSG_REQ_BEGIN:
		m->nfiles = (uint32_t)r_uint(&r, 4);
		m->total = r_uint(&r, 8);
		m->spool_len = r_uint(&r, 8);
		r_text(&r, 1, m->target, sizeof(m->target));
		break;
	case GUARD_MSG_REQ_FILE: {
		m->index = (uint32_t)r_uint(&r, 4);
		m->mode = (uint16_t)r_uint(&r, 2);
		m->size = r_uint(&r, 8);
		m->offset = r_uint(&r, 8);
		const uint8_t *d = r_bytes(&r, XFER_DIGEST_LEN);
		if (d)
			memcpy(m->digest, d, XFER_DIGEST_LEN);
		r_text(&r, 2, m->name, sizeof(m->name));
		break;
	}
	case GUARD_MSG_DROP:
	case GUARD_MSG_UNDELIVERABLE:
		r_text(&r, 2, m->reason, sizeof(m->reason));
		break;
	default:
		break;
	}
	if (r.short_read)
		return fail(err, "%s: payload of %zu bytes cut short", guard_msg_name(type), len);
	if (r.pos != len)
		return fail(err, "%s: %zu stray bytes after the payload", guard_msg_name(type), len - r.pos);
	if (r.nul)
		return fail(err, "%s: a text holds a NUL byte", guard_msg_name(type));
	return check(m, err);
}

/* --- the socket ---------------------------------------------------------------------- */

int guard_send(int sock, const struct guard_msg *m, int fd, char *err)
{
	uint8_t payload[GUARD_MSG_MAX];
	long len = guard_msg_encode(m, payload, err);
	if (len < 0)
		return -1;
	if (guard_msg_has_fd(m->type) != (fd >= 0))
		return fail(err, "%s: %s a descriptor", guard_msg_name(m->type),
			    fd >= 0 ? "takes no" : "needs");
	struct guard_hdr h = { GUARD_PROTO_VERSION, (uint16_t)m->type, (uint32_t)len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { payload, (size_t)len } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (n != (ssize_t)(sizeof(h) + (size_t)len))
		return fail(err, "%s: %s", guard_msg_name(m->type), n < 0 ? strerror(errno) : "short send");
	return 0;
}

/* Every descriptor of msg: the first into *fd, the rest closed; their count. */
static unsigned take_fds(struct msghdr *msg, int *fd)
{
	unsigned count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count++ == 0)
				*fd = got;
			else
				close(got);
		}
	}
	return count;
}

int guard_recv(int sock, struct guard_msg *m, int *fd, bool *hung_up, char *err)
{
	struct guard_hdr h;
	uint8_t payload[GUARD_MSG_MAX];
	struct iovec iov[2] = { { &h, sizeof(h) }, { payload, sizeof(payload) } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	*fd = -1;
	*hung_up = false;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		*hung_up = true;
		return fail(err, "hung up%s%s", n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	}
	unsigned nfds = take_fds(&msg, fd);
	const char *why = NULL;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		why = "message truncated";
	else if ((size_t)n < sizeof(h) || h.version != GUARD_PROTO_VERSION)
		why = "bad header or version";
	else if (h.len != (size_t)n - sizeof(h))
		why = "length field does not match the message";
	else if (nfds != (guard_msg_has_fd(h.type) ? 1u : 0u))
		why = "wrong number of descriptors";
	else if (guard_msg_decode(h.type, payload, h.len, m, err) < 0)
		why = err;
	if (why) {
		if (why != err)
			fail(err, "%s", why);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return 1;
}
