/*
 * The supervisor <-> monitor protocol (see monitor_proto.h for the
 * messages).  One table of the description's scalar fields and one of
 * the descriptor roles drive both the encoder and the decoder, and one
 * check (check_start) runs on both ends: the supervisor cannot send a
 * description the monitor would refuse, and the monitor accepts nothing
 * the supervisor could not have sent.
 *
 * The monitor's end runs before its guest does, on input from the
 * trusted supervisor; it is checked anyway, like any input from another
 * process (a short read, a wrong count, or a stray descriptor ends the
 * monitor with a message instead of a guess).
 */
#include "super/monitor_proto.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <jansson.h>

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, MONITOR_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- the description's fields -------------------------------------------------- */

enum field_type { F_TEXT, F_U64, F_U32 };

struct field {
	const char *key;
	enum field_type type;
	size_t offset, cap; /* in struct monitor_start; cap for texts */
};

#define TEXT(k, m) { k, F_TEXT, offsetof(struct monitor_start, m), sizeof(((struct monitor_start *)0)->m) }
#define NUM(k, m, t) { k, t, offsetof(struct monitor_start, m), 0 }
static const struct field start_fields[] = {
	TEXT("vm", vm),
	TEXT("label", label),
	NUM("memory", memory, F_U64),
	NUM("uid", uid, F_U32),
	NUM("fsize", fsize_limit, F_U64),
	TEXT("append", append),
	TEXT("kernel", kernel),
	TEXT("initrd", initrd),
};
#undef TEXT
#undef NUM
#define NFIELDS (sizeof(start_fields) / sizeof(start_fields[0]))

/* --- the descriptor roles -------------------------------------------------------- */

static int disk_encode(json_t *o, const struct monitor_fd *f)
{
	return json_object_set_new(o, "name", json_string(f->name)) |
	       json_object_set_new(o, "ro", json_boolean(f->read_only)) |
	       json_object_set_new(o, "luks", json_boolean(f->luks));
}

static int disk_decode(json_t *o, struct monitor_fd *f, char *err)
{
	json_t *name = json_object_get(o, "name"), *ro = json_object_get(o, "ro"),
	       *luks = json_object_get(o, "luks");
	if (!json_is_string(name) || !json_is_boolean(ro) || !json_is_boolean(luks))
		return fail(err, "a disk needs \"name\" (a string), \"ro\" and \"luks\" (booleans)");
	if (monitor_start_set_text(f->name, sizeof(f->name), "disk name", json_string_value(name),
				   err) < 0)
		return -1;
	f->read_only = json_is_true(ro);
	f->luks = json_is_true(luks);
	return 0;
}

static int log_encode(json_t *o, const struct monitor_fd *f)
{
	return json_object_set_new(o, "quota", json_integer((json_int_t)f->quota));
}

static int log_decode(json_t *o, struct monitor_fd *f, char *err)
{
	json_t *q = json_object_get(o, "quota");
	if (!json_is_integer(q) || json_integer_value(q) < (json_int_t)SYSDEF_SERIAL_QUOTA_MIN ||
	    json_integer_value(q) > (json_int_t)SYSDEF_SERIAL_QUOTA_MAX)
		return fail(err, "\"quota\" is not a console log size in range");
	f->quota = (uint64_t)json_integer_value(q);
	return 0;
}

/* A NIC: {"link":"port"|"diode-tx"|"diode-rx","mac":"xx:xx:xx:xx:xx:xx","name":NAME} */
static const char *const nic_links[] = {
	[VM_NIC_PORT] = "port", [VM_NIC_DIODE_TX] = "diode-tx", [VM_NIC_DIODE_RX] = "diode-rx",
};

static int nic_encode(json_t *o, const struct monitor_fd *f)
{
	char mac[18];
	const uint8_t *m = f->mac;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return json_object_set_new(o, "link", json_string(nic_links[f->link])) |
	       json_object_set_new(o, "mac", json_string(mac)) |
	       json_object_set_new(o, "name", json_string(f->name));
}

static int nic_decode(json_t *o, struct monitor_fd *f, char *err)
{
	const char *link = json_string_value(json_object_get(o, "link"));
	const char *mac = json_string_value(json_object_get(o, "mac"));
	json_t *name = json_object_get(o, "name");
	unsigned m[VM_MAC_LEN];
	char end;
	if (!link || !mac || !json_is_string(name))
		return fail(err, "a NIC needs \"link\", \"mac\" and \"name\" (strings)");
	f->link = VM_NIC_SOCKET;
	for (unsigned i = VM_NIC_PORT; i <= VM_NIC_DIODE_RX; i++)
		if (strcmp(link, nic_links[i]) == 0)
			f->link = (enum vm_nic_link)i;
	if (f->link == VM_NIC_SOCKET)
		return fail(err, "unknown NIC link '%.16s'", link);
	bool ok = strlen(mac) == 17;
	for (unsigned i = 0; ok && i < 17; i++)
		ok = i % 3 == 2 ? mac[i] == ':' : isxdigit((unsigned char)mac[i]) != 0;
	if (!ok || sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
			  &m[5], &end) != 6)
		return fail(err, "bad MAC '%.20s'", mac);
	for (unsigned i = 0; i < VM_MAC_LEN; i++)
		f->mac[i] = (uint8_t)m[i];
	return monitor_start_set_text(f->name, sizeof(f->name), "NIC name", json_string_value(name), err);
}

struct role {
	const char *name;
	unsigned max;               /* per VM */
	const char *const *keys;    /* besides "role"; NULL-terminated */
	int (*encode)(json_t *o, const struct monitor_fd *f);       /* NULL: no keys */
	int (*decode)(json_t *o, struct monitor_fd *f, char *err);  /* NULL: no keys */
};

static const char *const no_keys[] = { NULL };
static const char *const disk_keys[] = { "name", "ro", "luks", NULL };
static const char *const log_keys[] = { "quota", NULL };
static const char *const nic_keys[] = { "link", "mac", "name", NULL };

static const struct role roles[MONITOR_FD_ROLES] = {
	[MONITOR_FD_KERNEL] = { "kernel", 1, no_keys, NULL, NULL },
	[MONITOR_FD_INITRD] = { "initrd", 1, no_keys, NULL, NULL },
	[MONITOR_FD_CONSOLE_LOG] = { "console-log", 1, log_keys, log_encode, log_decode },
	[MONITOR_FD_DISK] = { "disk", VM_MAX_VIRTIO_DISKS, disk_keys, disk_encode, disk_decode },
	[MONITOR_FD_NIC] = { "nic", VM_MAX_NICS, nic_keys, nic_encode, nic_decode },
	[MONITOR_FD_TRANSFER] = { "transfer", 1, no_keys, NULL, NULL },
	[MONITOR_FD_CONSOLE] = { "console", 1, no_keys, NULL, NULL },
};

const char *monitor_fd_role_name(enum monitor_fd_role role)
{
	return (unsigned)role < MONITOR_FD_ROLES ? roles[role].name : "?";
}

static int role_by_name(const char *name)
{
	for (unsigned i = 0; i < MONITOR_FD_ROLES; i++)
		if (strcmp(roles[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* --- building a description ------------------------------------------------------ */

void monitor_start_init(struct monitor_start *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < MONITOR_MAX_FDS; i++)
		st->fds[i].fd = -1;
}

int monitor_start_set_text(char *dst, size_t cap, const char *field, const char *src, char *err)
{
	size_t len = src ? strlen(src) : 0;
	if (len >= cap)
		return fail(err, "%s is longer than %zu bytes", field, cap - 1);
	memcpy(dst, src ? src : "", len + 1);
	return 0;
}

struct monitor_fd *monitor_start_add_fd(struct monitor_start *st, enum monitor_fd_role role, int fd)
{
	if (st->nfds >= MONITOR_MAX_FDS)
		return NULL;
	struct monitor_fd *f = &st->fds[st->nfds++];
	memset(f, 0, sizeof(*f));
	f->role = role;
	f->fd = fd;
	return f;
}

const struct monitor_fd *monitor_start_fd(const struct monitor_start *st,
					  enum monitor_fd_role role, unsigned n)
{
	for (unsigned i = 0; i < st->nfds; i++)
		if (st->fds[i].role == role && n-- == 0)
			return &st->fds[i];
	return NULL;
}

void monitor_start_close_fds(struct monitor_start *st)
{
	for (unsigned i = 0; i < st->nfds; i++) {
		if (st->fds[i].fd >= 0)
			close(st->fds[i].fd);
		st->fds[i].fd = -1;
	}
}

/* --- the rules both ends check ---------------------------------------------------- */

static bool is_name(const char *s)
{
	return sysdef_is_name(s);
}

static int check_fds(const struct monitor_start *st, char *err)
{
	unsigned count[MONITOR_FD_ROLES] = { 0 };
	if (st->nfds > MONITOR_MAX_FDS)
		return fail(err, "%u descriptors (at most %d)", st->nfds, MONITOR_MAX_FDS);
	for (unsigned i = 0; i < st->nfds; i++) {
		const struct monitor_fd *f = &st->fds[i];
		if ((unsigned)f->role >= MONITOR_FD_ROLES)
			return fail(err, "descriptor %u has no known role", i);
		if (++count[f->role] > roles[f->role].max)
			return fail(err, "more than %u %s descriptor%s", roles[f->role].max,
				    roles[f->role].name, roles[f->role].max == 1 ? "" : "s");
		if (f->role == MONITOR_FD_DISK && !is_name(f->name))
			return fail(err, "disk %u: bad name '%.64s'", i, f->name);
		if (f->role == MONITOR_FD_CONSOLE_LOG &&
		    (f->quota < SYSDEF_SERIAL_QUOTA_MIN || f->quota > SYSDEF_SERIAL_QUOTA_MAX))
			return fail(err, "console log quota %llu is out of range",
				    (unsigned long long)f->quota);
		if (f->role == MONITOR_FD_NIC && (!is_name(f->name) || f->mac[0] & 1 ||
						  f->link < VM_NIC_PORT || f->link > VM_NIC_DIODE_RX))
			return fail(err, "NIC %u: bad name, MAC or link", i);
	}
	if (count[MONITOR_FD_KERNEL] != 1)
		return fail(err, "no kernel descriptor");
	if (count[MONITOR_FD_CONSOLE] && !count[MONITOR_FD_CONSOLE_LOG])
		return fail(err, "an operator console without a console log");
	if (count[MONITOR_FD_INITRD] != (st->initrd[0] != '\0'))
		return fail(err, "an initrd descriptor %s", st->initrd[0] ? "is missing" :
			    "without an \"initrd\"");
	return 0;
}

static int check_start(const struct monitor_start *st, char *err)
{
	if (!is_name(st->vm))
		return fail(err, "bad VM name '%.64s'", st->vm);
	if (!st->label[0])
		return fail(err, "no label");
	if (st->memory < SYSDEF_MEM_MIN || st->memory > SYSDEF_MEM_MAX || st->memory % 4096)
		return fail(err, "memory %llu bytes is out of range", (unsigned long long)st->memory);
	if (st->uid < MONITOR_UID_BASE || st->uid >= MONITOR_UID_BASE + SYSDEF_MAX_VMS)
		return fail(err, "uid %u is not a monitor's", (unsigned)st->uid);
	if (!st->kernel[0])
		return fail(err, "no kernel");
	if (st->fsize_limit < 4096)
		return fail(err, "file size limit %llu is below 4096 bytes",
			    (unsigned long long)st->fsize_limit);
	return check_fds(st, err);
}

/* --- encoding ---------------------------------------------------------------------- */

static json_t *encode_fd(const struct monitor_fd *f)
{
	json_t *o = json_object();
	if (!o || json_object_set_new(o, "role", json_string(roles[f->role].name)) < 0 ||
	    (roles[f->role].encode && roles[f->role].encode(o, f) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int encode_field(json_t *o, const struct monitor_start *st, const struct field *f)
{
	const char *base = (const char *)st + f->offset;
	json_t *v;
	if (f->type == F_TEXT)
		v = json_string(base);
	else if (f->type == F_U64)
		v = json_integer((json_int_t) * (const uint64_t *)(const void *)base);
	else
		v = json_integer((json_int_t) * (const uint32_t *)(const void *)base);
	return json_object_set_new(o, f->key, v);
}

long monitor_start_encode(const struct monitor_start *st, char *buf, size_t cap, char *err)
{
	if (check_start(st, err) < 0)
		return -1;
	json_t *o = json_object(), *fds = json_array();
	int bad = !o || !fds;
	for (size_t i = 0; !bad && i < NFIELDS; i++)
		bad = encode_field(o, st, &start_fields[i]) < 0;
	for (unsigned i = 0; !bad && i < st->nfds; i++)
		bad = json_array_append_new(fds, encode_fd(&st->fds[i])) < 0;
	bad = bad || json_object_set(o, "fds", fds) < 0;
	json_decref(fds);
	size_t len = bad ? 0 : json_dumpb(o, buf, cap, JSON_COMPACT);
	json_decref(o);
	if (bad)
		return fail(err, "cannot encode the VM description (a text is not UTF-8?)");
	if (len == 0 || len > cap || len > MONITOR_MSG_MAX)
		return fail(err, "the VM description is larger than %zu bytes",
			    cap < MONITOR_MSG_MAX ? cap : (size_t)MONITOR_MSG_MAX);
	return (long)len;
}

/* --- decoding ---------------------------------------------------------------------- */

static bool key_known(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/* A JSON string without NUL bytes into dst. */
static int take_text(json_t *v, char *dst, size_t cap, const char *key, char *err)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, "\"%s\" is not a string", key);
	return monitor_start_set_text(dst, cap, key, json_string_value(v), err);
}

static int decode_field(json_t *o, struct monitor_start *st, const struct field *f, char *err)
{
	char *base = (char *)st + f->offset;
	json_t *v = json_object_get(o, f->key);
	if (f->type == F_TEXT)
		return take_text(v, base, f->cap, f->key, err);
	json_int_t n = json_integer_value(v);
	json_int_t max = f->type == F_U64 ? INT64_MAX : (json_int_t)UINT32_MAX;
	if (!json_is_integer(v) || n < 0 || n > max)
		return fail(err, "\"%s\" is not a number in range", f->key);
	if (f->type == F_U64)
		*(uint64_t *)(void *)base = (uint64_t)n;
	else
		*(uint32_t *)(void *)base = (uint32_t)n;
	return 0;
}

static int decode_fd(json_t *o, unsigned i, struct monitor_fd *f, char *err)
{
	const char *key;
	json_t *v;
	const char *rname = json_string_value(json_object_get(o, "role"));
	int role = rname ? role_by_name(rname) : -1;
	if (!json_is_object(o) || role < 0)
		return fail(err, "descriptor %u: no known \"role\"", i);
	json_object_foreach(o, key, v) {
		if (strcmp(key, "role") != 0 && !key_known(key, roles[role].keys))
			return fail(err, "descriptor %u (%s): unknown key \"%.32s\"", i, rname, key);
	}
	f->role = (enum monitor_fd_role)role;
	if (roles[role].decode && roles[role].decode(o, f, err) < 0) {
		char why[MONITOR_ERRLEN];
		snprintf(why, sizeof(why), "%s", err);
		return fail(err, "descriptor %u (%s): %s", i, rname, why);
	}
	return 0;
}

static int decode_object(json_t *o, unsigned nfds, struct monitor_start *st, char *err)
{
	const char *key;
	json_t *v, *fds = json_object_get(o, "fds");
	json_object_foreach(o, key, v) {
		bool known = strcmp(key, "fds") == 0;
		for (size_t i = 0; !known && i < NFIELDS; i++)
			known = strcmp(key, start_fields[i].key) == 0;
		if (!known)
			return fail(err, "unknown key \"%.32s\"", key);
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (decode_field(o, st, &start_fields[i], err) < 0)
			return -1;
	if (!json_is_array(fds) || json_array_size(fds) > MONITOR_MAX_FDS)
		return fail(err, "\"fds\" is not a list of at most %d descriptors", MONITOR_MAX_FDS);
	if (json_array_size(fds) != nfds)
		return fail(err, "%u descriptors arrived, the description lists %zu", nfds,
			    json_array_size(fds));
	st->nfds = nfds;
	for (unsigned i = 0; i < nfds; i++)
		if (decode_fd(json_array_get(fds, i), i, &st->fds[i], err) < 0)
			return -1;
	return check_start(st, err);
}

int monitor_start_decode(const char *buf, size_t len, const int *fds, unsigned nfds,
			 struct monitor_start *st, char *err)
{
	json_error_t jerr;
	monitor_start_init(st);
	if (len > MONITOR_MSG_MAX)
		return fail(err, "VM description larger than %u bytes", MONITOR_MSG_MAX);
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(err, "VM description is not a JSON object (%.120s)", o ? "" : jerr.text);
	}
	int rc = decode_object(o, nfds, st, err);
	json_decref(o);
	if (rc < 0) {
		monitor_start_init(st);
		return -1;
	}
	for (unsigned i = 0; i < nfds; i++)
		st->fds[i].fd = fds[i];
	return 0;
}

/* --- the socket ---------------------------------------------------------------------- */

static int send_msg(int sock, enum monitor_msg_type type, const struct iovec *payload,
		    unsigned npayload, const int *fds, unsigned nfds, char *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MONITOR_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct monitor_hdr h = { .version = MONITOR_PROTO_VERSION, .type = (uint16_t)type };
	struct iovec iov[3] = { { &h, sizeof(h) } };
	size_t total = sizeof(h);
	for (unsigned i = 0; i < npayload; i++) {
		iov[1 + i] = payload[i];
		h.len += (uint32_t)payload[i].iov_len;
		total += payload[i].iov_len;
	}
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 1 + npayload };
	if (nfds > MONITOR_MAX_FDS || h.len > MONITOR_MSG_MAX)
		return fail(err, "message to the monitor too large");
	memset(&ctl, 0, sizeof(ctl));
	if (nfds) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)total)
		return fail(err, "cannot send to the monitor: %s", n < 0 ? strerror(errno) : "short send");
	return 0;
}

int monitor_send_start(int sock, const struct monitor_start *st, char *err)
{
	char *buf = malloc(MONITOR_MSG_MAX);
	int fds[MONITOR_MAX_FDS];
	if (!buf)
		return fail(err, "out of memory");
	long len = monitor_start_encode(st, buf, MONITOR_MSG_MAX, err);
	for (unsigned i = 0; len >= 0 && i < st->nfds; i++)
		fds[i] = st->fds[i].fd;
	struct iovec iov = { buf, len > 0 ? (size_t)len : 0 };
	int rc = len < 0 ? -1 : send_msg(sock, MONITOR_MSG_START, &iov, 1, fds, st->nfds, err);
	free(buf);
	return rc;
}

int monitor_send_key(int sock, unsigned disk, const struct luks_key *key, char *err)
{
	uint32_t idx[2] = { disk, 0 };
	struct iovec iov[2] = { { idx, sizeof(idx) }, { (void *)key, sizeof(*key) } };
	return send_msg(sock, MONITOR_MSG_KEY, iov, 2, NULL, 0, err);
}

struct received {
	int fds[MONITOR_MAX_FDS];
	unsigned nfds;
	bool too_many;
};

static void close_received(struct received *r)
{
	for (unsigned i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
}

static void collect_fds(struct msghdr *msg, struct received *r)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (r->nfds < MONITOR_MAX_FDS) {
				r->fds[r->nfds++] = fd;
			} else {
				close(fd);
				r->too_many = true;
			}
		}
	}
}

/*
 * Receives one message of the given type whose payload lands in iov[1..]
 * (iov[0] is the header's).  The payload's length, or -1 with err; the
 * descriptors that came with it are in r (closed on failure).
 */
static long recv_msg(int sock, enum monitor_msg_type type, struct iovec *iov, unsigned niov,
		     struct received *r, char *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (MONITOR_MAX_FDS + 1))];
		struct cmsghdr align;
	} ctl;
	struct monitor_hdr *h = iov[0].iov_base;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = niov,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail(err, "no message from the supervisor: %s", strerror(errno));
	collect_fds(&msg, r);
	const char *why = NULL;
	if (n == 0)
		why = "the supervisor hung up";
	else if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || r->too_many)
		why = "message truncated (too large, or too many descriptors)";
	else if ((size_t)n < sizeof(*h))
		why = "message shorter than its header";
	else if (h->version != MONITOR_PROTO_VERSION)
		why = "protocol version mismatch";
	else if (h->type != type)
		why = "unexpected message type";
	else if (h->len != (size_t)n - sizeof(*h))
		why = "length field does not match the message";
	if (why) {
		close_received(r);
		return fail(err, "%s", why);
	}
	return (long)h->len;
}

int monitor_recv_start(int sock, struct monitor_start *st, char *err)
{
	struct monitor_hdr h;
	struct received r = { .nfds = 0 };
	char *buf = malloc(MONITOR_MSG_MAX);
	monitor_start_init(st);
	if (!buf)
		return fail(err, "out of memory");
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, MONITOR_MSG_MAX } };
	long len = recv_msg(sock, MONITOR_MSG_START, iov, 2, &r, err);
	int rc = len < 0 ? -1 : monitor_start_decode(buf, (size_t)len, r.fds, r.nfds, st, err);
	if (rc < 0 && len >= 0)
		close_received(&r);
	free(buf);
	return rc;
}

int monitor_recv_key(int sock, unsigned disk, struct luks_key *key, char *err)
{
	struct monitor_hdr h;
	struct received r = { .nfds = 0 };
	uint32_t idx[2];
	char spare;
	struct iovec iov[4] = { { &h, sizeof(h) }, { idx, sizeof(idx) }, { key, sizeof(*key) },
				{ &spare, 1 } };
	char why[MONITOR_ERRLEN];
	long len = recv_msg(sock, MONITOR_MSG_KEY, iov, 4, &r, why);
	if (len < 0)
		return fail(err, "volume key of disk %u: %s", disk, why);
	if (r.nfds) {
		close_received(&r);
		return fail(err, "volume key of disk %u: came with descriptors", disk);
	}
	if ((size_t)len != sizeof(idx) + sizeof(*key) || idx[0] != disk || idx[1] != 0 ||
	    key->key_len > sizeof(key->key)) {
		memset(key, 0, sizeof(*key));
		return fail(err, "volume key of disk %u: malformed message", disk);
	}
	return 0;
}

/* --- the exit status ----------------------------------------------------------- */

int monitor_exit_status(enum stop_reason why, int debug_value)
{
	switch (why) {
	case STOP_RESET:
	case STOP_POWEROFF:
	case STOP_USER_QUIT:
		return MONITOR_EXIT_DOWN;
	case STOP_DEBUG_EXIT:
		return (int)((((unsigned)debug_value << 1) | 1u) & 0xffu);
	case STOP_TRIPLE_FAULT:
		return MONITOR_EXIT_TRIPLE_FAULT;
	case STOP_NONE:
	case STOP_ERROR:
		break;
	}
	return MONITOR_EXIT_FAILED;
}

void monitor_exit_words(int status, char *out, size_t len)
{
	if (status & 1) /* odd: only ever the guest's own port 0xf4 */
		snprintf(out, len, "guest exited with debug-exit value %d", status >> 1);
	else if (status == MONITOR_EXIT_DOWN)
		snprintf(out, len, "guest powered off or reset");
	else if (status == MONITOR_EXIT_TRIPLE_FAULT)
		snprintf(out, len, "guest triple-faulted");
	else if (status == MONITOR_EXIT_FAILED)
		snprintf(out, len, "monitor failed (its messages say why)");
	else if (status == MONITOR_EXIT_NOT_STARTED)
		snprintf(out, len, "monitor could not be started");
	else
		snprintf(out, len, "monitor exited with status %d", status);
}
