/*
 * Fuzz target: the monitor's side of the supervisor-monitor protocol
 * (monitor_recv_start and monitor_recv_key, src/super/monitor_proto.c):
 * one datagram of any content on a SOCK_SEQPACKET socketpair, with 0..8
 * descriptors attached as SCM_RIGHTS.  The first input byte says how many
 * descriptors, which message the receiver expects, and whether the rest
 * is the whole datagram (header included) or a payload that gets a
 * correct header, so the JSON decoder is reached as easily as the
 * header checks.
 *
 * A received description must keep monitor_proto.h's rules (memory in
 * range and a 4 KiB multiple, uid in the monitors' range, NUL-terminated
 * texts, descriptor roles and counts as the table allows, each backed by
 * a descriptor that arrived) and survive encode -> decode unchanged; a
 * refused one leaves no descriptor open, and neither does a key message.
 *
 * fuzz-plant: src/super/monitor_proto.c
 * fuzz-plant-from: if (st->memory < SYSDEF_MEM_MIN || st->memory > SYSDEF_MEM_MAX || st->memory % 4096)
 * fuzz-plant-to: if (st->memory < SYSDEF_MEM_MIN || st->memory > SYSDEF_MEM_MAX)
 * fuzz-options: -max_len=16384
 */
#include "fuzz.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "super/monitor_proto.h"

#define FD_SCAN 64 /* the fuzzer itself holds a handful; received ones land low */

static int devnull = -1;
static struct monitor_start st, again;
static char *payload;

static unsigned open_fds(void)
{
	unsigned n = 0;
	for (int fd = 0; fd < FD_SCAN; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void send_datagram(int sock, const void *buf, size_t len, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cm;
	int fds[8];
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = devnull;
	if (nfds) {
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	FUZZ_CHECK(sendmsg(sock, &m, 0) == (ssize_t)len, "sendmsg");
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_start(const struct monitor_start *s)
{
	FUZZ_CHECK(s->memory >= SYSDEF_MEM_MIN && s->memory <= SYSDEF_MEM_MAX && s->memory % 4096 == 0,
		   "memory %llu", (unsigned long long)s->memory);
	FUZZ_CHECK(s->uid >= MONITOR_UID_BASE && s->uid < MONITOR_UID_BASE + SYSDEF_MAX_VMS, "uid %u",
		   s->uid);
	FUZZ_CHECK(terminated(s->vm, sizeof(s->vm)) && terminated(s->label, sizeof(s->label)) &&
		   terminated(s->append, sizeof(s->append)) && terminated(s->kernel, sizeof(s->kernel)) &&
		   terminated(s->initrd, sizeof(s->initrd)), "an unterminated text");
	FUZZ_CHECK(s->nfds <= MONITOR_MAX_FDS, "%u descriptors", s->nfds);
	unsigned count[MONITOR_FD_ROLES] = { 0 };
	for (unsigned i = 0; i < s->nfds; i++) {
		const struct monitor_fd *f = &s->fds[i];
		FUZZ_CHECK(f->role < MONITOR_FD_ROLES && f->fd >= 0 && fcntl(f->fd, F_GETFD) >= 0 &&
			   terminated(f->name, sizeof(f->name)), "descriptor %u (role %d, fd %d)", i,
			   (int)f->role, f->fd);
		count[f->role]++;
	}
	FUZZ_CHECK(count[MONITOR_FD_KERNEL] == 1 && count[MONITOR_FD_INITRD] == (s->initrd[0] != 0) &&
		   count[MONITOR_FD_CONSOLE_LOG] <= 1 && count[MONITOR_FD_DISK] <= VM_MAX_VIRTIO_DISKS &&
		   count[MONITOR_FD_NIC] <= VM_MAX_NICS,
		   "roles: %u kernel, %u initrd (\"%s\"), %u log, %u disks, %u NICs", count[0],
		   count[1], s->initrd, count[2], count[3], count[MONITOR_FD_NIC]);
}

/* encode -> decode gives the same description, descriptors in place. */
static void check_round_trip(const struct monitor_start *s)
{
	char err[MONITOR_ERRLEN];
	long n = monitor_start_encode(s, payload, MONITOR_MSG_MAX, err);
	FUZZ_CHECK(n > 0, "a received description does not encode: %s", err);
	int fds[MONITOR_MAX_FDS];
	for (unsigned i = 0; i < s->nfds; i++)
		fds[i] = s->fds[i].fd;
	FUZZ_CHECK(monitor_start_decode(payload, (size_t)n, fds, s->nfds, &again, err) == 0,
		   "its own encoding does not decode: %s", err);
	FUZZ_CHECK(memcmp(&again, s, sizeof(again)) == 0, "encode -> decode changed the description");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		payload = malloc(MONITOR_MSG_MAX);
	}
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t how = fin_u8(&in);
	unsigned nfds = how % 9;
	bool key = how & 0x10, raw = how & 0x20;
	size_t len;
	uint8_t *rest = fin_rest(&in, &len);
	uint8_t *dgram = malloc(len + sizeof(struct monitor_hdr));
	size_t dlen = len;
	if (raw) {
		memcpy(dgram, rest, len);
	} else {
		struct monitor_hdr h = { MONITOR_PROTO_VERSION, key ? MONITOR_MSG_KEY : MONITOR_MSG_START,
					 (uint32_t)len };
		memcpy(dgram, &h, sizeof(h));
		memcpy(dgram + sizeof(h), rest, len);
		dlen += sizeof(h);
	}
	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	unsigned before = open_fds();
	send_datagram(sv[0], dgram, dlen, nfds);
	close(sv[0]);
	char err[MONITOR_ERRLEN] = "";
	if (key) {
		struct luks_key k;
		if (monitor_recv_key(sv[1], how >> 6, &k, err) == 0)
			FUZZ_CHECK(k.key_len <= sizeof(k.key), "key of %zu bytes", k.key_len);
		else
			FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refused without a message");
	} else if (monitor_recv_start(sv[1], &st, err) == 0) {
		check_start(&st);
		check_round_trip(&st);
		monitor_start_close_fds(&st);
	} else {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refused without a message");
	}
	close(sv[1]);
	/* Both ends closed: back to where it was before the socketpair. */
	FUZZ_CHECK(open_fds() + 2 == before, "descriptors left open: %u before, %u after",
		   before - 2, open_fds());
	free(dgram);
	free(rest);
	return 0;
}
