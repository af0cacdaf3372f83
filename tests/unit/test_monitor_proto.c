/*
 * The supervisor <-> monitor protocol (src/super/monitor_proto.c): a
 * description survives encode/decode and a real socketpair with its
 * descriptors, keys arrive in locked memory by index, and every way a
 * message can be wrong -- unknown or missing keys, wrong counts, values
 * out of range, oversized texts, a cut or overlong datagram, a wrong
 * header, descriptors where none belong -- is refused with the received
 * descriptors closed.
 */
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "super/monitor_proto.h"

/* Large structs: off the stack (ASan's frames are big already). */
static struct monitor_start sent, got;

static void sample(struct monitor_start *st, int kernel, int initrd, int log, int d0, int d1)
{
	char err[MONITOR_ERRLEN];
	monitor_start_init(st);
	snprintf(st->vm, sizeof(st->vm), "secret-vm_1");
	snprintf(st->label, sizeof(st->label), "SECRET:NATO/LOW");
	st->memory = 128ull << 20;
	st->uid = MONITOR_UID_BASE + 3;
	st->fsize_limit = 1ull << 33;
	CHECK(monitor_start_set_text(st->append, sizeof(st->append), "append",
				     "console=ttyS0 quiet \"quoted\" \x01 \xc3\xa9", err) == 0);
	snprintf(st->kernel, sizeof(st->kernel), "/boot/vmlinuz");
	snprintf(st->initrd, sizeof(st->initrd), "/boot/initrd.img");
	monitor_start_add_fd(st, MONITOR_FD_KERNEL, kernel);
	monitor_start_add_fd(st, MONITOR_FD_INITRD, initrd);
	monitor_start_add_fd(st, MONITOR_FD_CONSOLE_LOG, log)->quota = 1u << 20;
	struct monitor_fd *f = monitor_start_add_fd(st, MONITOR_FD_DISK, d0);
	snprintf(f->name, sizeof(f->name), "home");
	f = monitor_start_add_fd(st, MONITOR_FD_DISK, d1);
	snprintf(f->name, sizeof(f->name), "vault");
	f->read_only = true;
	f->luks = true;
}

static void check_same(const struct monitor_start *a, const struct monitor_start *b)
{
	CHECK_STR(b->vm, a->vm);
	CHECK_STR(b->label, a->label);
	CHECK_EQ(b->memory, a->memory);
	CHECK_EQ(b->uid, a->uid);
	CHECK_EQ(b->fsize_limit, a->fsize_limit);
	CHECK_STR(b->append, a->append);
	CHECK_STR(b->kernel, a->kernel);
	CHECK_STR(b->initrd, a->initrd);
	CHECK_EQ(b->nfds, a->nfds);
	for (unsigned i = 0; i < a->nfds && i < b->nfds; i++) {
		CHECK_EQ(b->fds[i].role, a->fds[i].role);
		CHECK_STR(b->fds[i].name, a->fds[i].name);
		CHECK_EQ(b->fds[i].read_only, a->fds[i].read_only);
		CHECK_EQ(b->fds[i].luks, a->fds[i].luks);
		CHECK_EQ(b->fds[i].quota, a->fds[i].quota);
	}
}

static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

TEST(monitor_proto_round_trip)
{
	static char buf[MONITOR_MSG_MAX];
	char err[MONITOR_ERRLEN] = "";
	int fds[5] = { 10, 11, 12, 13, 14 };
	sample(&sent, 10, 11, 12, 13, 14);
	long len = monitor_start_encode(&sent, buf, sizeof(buf), err);
	CHECK(len > 0);
	if (len <= 0)
		return;
	CHECK(monitor_start_decode(buf, (size_t)len, fds, 5, &got, err) == 0);
	check_same(&sent, &got);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ(got.fds[i].fd, fds[i]);
	CHECK(monitor_start_fd(&got, MONITOR_FD_DISK, 1) == &got.fds[4]);
	CHECK(monitor_start_fd(&got, MONITOR_FD_DISK, 2) == NULL);
	CHECK_STR(monitor_fd_role_name(MONITOR_FD_CONSOLE_LOG), "console-log");

	/* No initrd, no console, no disk: the least a VM has. */
	monitor_start_init(&sent);
	snprintf(sent.vm, sizeof(sent.vm), "a");
	snprintf(sent.label, sizeof(sent.label), "U");
	sent.memory = 16ull << 20;
	sent.uid = MONITOR_UID_BASE;
	sent.fsize_limit = 4096;
	snprintf(sent.kernel, sizeof(sent.kernel), "k");
	monitor_start_add_fd(&sent, MONITOR_FD_KERNEL, 7);
	len = monitor_start_encode(&sent, buf, sizeof(buf), err);
	CHECK(len > 0 && monitor_start_decode(buf, (size_t)len, fds, 1, &got, err) == 0);
	check_same(&sent, &got);
	CHECK_STR(got.initrd, "");
}

TEST(monitor_proto_encoder_keeps_the_rules)
{
	static char buf[MONITOR_MSG_MAX];
	char err[MONITOR_ERRLEN] = "";
	sample(&sent, 3, 4, 5, 6, 7);
	CHECK(monitor_start_encode(&sent, buf, 64, err) < 0); /* too small a buffer */
	CHECK(strstr(err, "larger than 64 bytes") != NULL);
	sample(&sent, 3, 4, 5, 6, 7);
	sent.initrd[0] = '\0'; /* an initrd descriptor but no initrd */
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	CHECK(strstr(err, "initrd") != NULL);
	sample(&sent, 3, 4, 5, 6, 7);
	sent.memory = 4ull << 30;
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	CHECK(strstr(err, "memory") != NULL);
	sample(&sent, 3, 4, 5, 6, 7);
	snprintf(sent.vm, sizeof(sent.vm), "bad name");
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	sample(&sent, 3, 4, 5, 6, 7);
	sent.fds[0].role = MONITOR_FD_CONSOLE_LOG; /* two console logs, no kernel */
	sent.fds[0].quota = 1u << 20;
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	CHECK(strstr(err, "console-log") != NULL);
	/* A text one byte too long for its field. */
	char *long_text = malloc(MONITOR_TEXT_MAX + 1);
	memset(long_text, 'x', MONITOR_TEXT_MAX);
	long_text[MONITOR_TEXT_MAX] = '\0';
	CHECK(monitor_start_set_text(sent.append, sizeof(sent.append), "append", long_text, err) < 0);
	CHECK(strstr(err, "append is longer than 4095 bytes") != NULL);
	long_text[MONITOR_TEXT_MAX - 1] = '\0';
	CHECK(monitor_start_set_text(sent.append, sizeof(sent.append), "append", long_text, err) == 0);
	free(long_text);
}

/* Decodes text (a description) with n fake descriptors; expects a refusal
 * whose message holds why. */
static void refused(const char *text, unsigned n, const char *why, int line)
{
	int fds[MONITOR_MAX_FDS] = { 20, 21, 22, 23, 24, 25, 26 };
	char err[MONITOR_ERRLEN] = "";
	if (monitor_start_decode(text, strlen(text), fds, n, &got, err) == 0)
		t_fail(__FILE__, line, "accepted: %s", text);
	else if (!strstr(err, why))
		t_fail(__FILE__, line, "error '%s', expected '%s'", err, why);
	for (unsigned i = 0; i < MONITOR_MAX_FDS; i++)
		if (got.fds[i].fd != -1)
			t_fail(__FILE__, line, "a refused description kept descriptor %d", got.fds[i].fd);
}

#define HEAD "\"vm\":\"a\",\"label\":\"U\",\"memory\":16777216,\"uid\":2000000000,\"fsize\":4096,\"append\":\"\",\"kernel\":\"k\""
#define REFUSED(text, n, why) refused(text, n, why, __LINE__)

TEST(monitor_proto_decoder_refuses_bad_descriptions)
{
	REFUSED("", 0, "not a JSON object");
	REFUSED("[1]", 0, "not a JSON object");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]", 1, "not a JSON object");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}],\"extra\":1}", 1,
		"unknown key \"extra\"");
	REFUSED("{" HEAD ",\"fds\":[{\"role\":\"kernel\"}]}", 1, "\"initrd\" is not a string");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"vm\":\"b\",\"fds\":[{\"role\":\"kernel\"}]}", 1,
		"not a JSON object"); /* a duplicate key */
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}", 2,
		"2 descriptors arrived, the description lists 1");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},{\"role\":\"kernel\"}]}", 2,
		"more than 1 kernel descriptor");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"printer\"}]}", 1,
		"descriptor 0: no known \"role\"");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\",\"ro\":true}]}", 1,
		"unknown key \"ro\"");
	REFUSED("{" HEAD ",\"initrd\":\"i\",\"fds\":[{\"role\":\"kernel\"}]}", 1,
		"initrd descriptor is missing");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},{\"role\":\"disk\",\"name\":\"d\"}]}",
		2, "a disk needs");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},"
		"{\"role\":\"disk\",\"name\":\"../d\",\"ro\":true,\"luks\":false}]}", 2, "bad name");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[]}", 0, "no kernel descriptor");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},{\"role\":\"console-log\"}]}",
		2, "\"quota\" is not a console log size");
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},"
		"{\"role\":\"console-log\",\"quota\":1099511627776}]}", 2, "\"quota\" is not a console log size");
	REFUSED("{\"vm\":\"a\",\"label\":\"U\",\"memory\":-1,\"uid\":2000000000,\"fsize\":4096,\"append\":\"\","
		"\"kernel\":\"k\",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}", 1,
		"\"memory\" is not a number in range");
	REFUSED("{\"vm\":\"a\",\"label\":\"U\",\"memory\":16777217,\"uid\":2000000000,\"fsize\":4096,\"append\":\"\","
		"\"kernel\":\"k\",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}", 1, "memory");
	REFUSED("{\"vm\":\"a\",\"label\":\"U\",\"memory\":16777216,\"uid\":0,\"fsize\":4096,\"append\":\"\","
		"\"kernel\":\"k\",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}", 1,
		"uid 0 is not a monitor's");
	REFUSED("{\"vm\":\"a\",\"label\":\"U\",\"memory\":16777216,\"uid\":2000000000,"
		"\"append\":\"a\\u0000b\",\"kernel\":\"k\",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}",
		1, "is not allowed"); /* jansson refuses a NUL inside a string */
	/* A text of 4096 bytes: one more than its field holds. */
	char *big = malloc(8192);
	snprintf(big, 8192, "{\"vm\":\"a\",\"label\":\"U\",\"memory\":16777216,\"uid\":2000000000,\"fsize\":4096,"
		 "\"append\":\"%0*d\",\"kernel\":\"k\",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}",
		 MONITOR_TEXT_MAX, 0);
	REFUSED(big, 1, "append is longer than 4095 bytes");
	free(big);
}

/* --- over a real socketpair ----------------------------------------------------- */

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

TEST(monitor_proto_socket_round_trip_with_descriptors_and_keys)
{
	int sv[2], f[5];
	char err[MONITOR_ERRLEN] = "";
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	for (unsigned i = 0; i < 5; i++)
		f[i] = open(i % 2 ? "/dev/zero" : "/dev/null", O_RDONLY | O_CLOEXEC);
	sample(&sent, f[0], f[1], f[2], f[3], f[4]);
	static struct luks_key key, back;
	memset(&key, 0, sizeof(key));
	key.key_len = 64;
	for (unsigned i = 0; i < sizeof(key.key); i++)
		key.key[i] = (uint8_t)(i * 7 + 1);
	snprintf(key.info.cipher, sizeof(key.info.cipher), "aes");
	CHECK(monitor_send_start(sv[0], &sent, err) == 0);
	CHECK(monitor_send_key(sv[0], 4, &key, err) == 0);
	CHECK(monitor_recv_start(sv[1], &got, err) == 0);
	check_same(&sent, &got);
	for (unsigned i = 0; i < 5 && i < got.nfds; i++) {
		CHECK(got.fds[i].fd != f[i]);
		CHECK(same_file(got.fds[i].fd, f[i]));
		CHECK(fcntl(got.fds[i].fd, F_GETFD) & FD_CLOEXEC);
	}
	CHECK(monitor_recv_key(sv[1], 4, &back, err) == 0);
	CHECK(memcmp(&key, &back, sizeof(key)) == 0);
	monitor_start_close_fds(&got);
	for (unsigned i = 0; i < 5; i++)
		close(f[i]);
	close(sv[0]);
	/* The supervisor hung up: the next receive says so. */
	CHECK(monitor_recv_key(sv[1], 5, &back, err) < 0);
	CHECK(strstr(err, "hung up") != NULL);
	close(sv[1]);
}

/* Sends a raw datagram (header fields as given) with nfds copies of /dev/null. */
static void send_raw(int sock, uint16_t version, uint16_t type, uint32_t len, const void *payload,
		     size_t plen, unsigned nfds)
{
	struct monitor_hdr h = { version, type, len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, plen } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * (MONITOR_MAX_FDS + 8))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	int fds[MONITOR_MAX_FDS + 8];
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(sock, &msg, 0) < 0)
		t_fail(__FILE__, __LINE__, "sendmsg: %s", strerror(errno));
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

static const char minimal[] = "{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"}]}";

/* Receives a start message that must be refused with why, leaving no
 * descriptor open. */
static void start_refused(int sock, const char *why, int line)
{
	char err[MONITOR_ERRLEN] = "";
	unsigned before = open_fds();
	if (monitor_recv_start(sock, &got, err) == 0)
		t_fail(__FILE__, line, "accepted");
	else if (!strstr(err, why))
		t_fail(__FILE__, line, "error '%s', expected '%s'", err, why);
	if (open_fds() != before)
		t_fail(__FILE__, line, "%u descriptors left open", open_fds() - before);
}

TEST(monitor_proto_socket_refuses_bad_datagrams)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	uint32_t n = sizeof(minimal) - 1;
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_START, n, minimal, n, 1);
	CHECK(monitor_recv_start(sv[1], &got, (char[MONITOR_ERRLEN]){ 0 }) == 0);
	monitor_start_close_fds(&got);

	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_START, n + 1, minimal, n, 1);
	start_refused(sv[1], "length field does not match", __LINE__);
	send_raw(sv[0], MONITOR_PROTO_VERSION + 1, MONITOR_MSG_START, n, minimal, n, 1);
	start_refused(sv[1], "version mismatch", __LINE__);
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_KEY, n, minimal, n, 1);
	start_refused(sv[1], "unexpected message type", __LINE__);
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_START, n, minimal, n, 3);
	start_refused(sv[1], "3 descriptors arrived", __LINE__);
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_START, n, minimal, n, MONITOR_MAX_FDS + 5);
	start_refused(sv[1], "too many descriptors", __LINE__);
	send(sv[0], "abc", 3, 0);
	start_refused(sv[1], "shorter than its header", __LINE__);
	/* A datagram larger than any message. */
	size_t huge = MONITOR_MSG_MAX + 64;
	char *big = calloc(1, huge);
	int sz = (int)(huge * 2);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_START, (uint32_t)huge, big, huge, 1);
	start_refused(sv[1], "truncated", __LINE__);
	free(big);

	/* Keys: the wrong disk, the wrong size, descriptors attached. */
	static struct luks_key key;
	char err[MONITOR_ERRLEN];
	uint32_t idx[2] = { 1, 0 };
	char payload[sizeof(idx) + sizeof(key)];
	memset(&key, 0, sizeof(key));
	memcpy(payload, idx, sizeof(idx));
	memcpy(payload + sizeof(idx), &key, sizeof(key));
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_KEY, sizeof(payload), payload, sizeof(payload), 0);
	CHECK(monitor_recv_key(sv[1], 0, &key, err) < 0 && strstr(err, "malformed"));
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_KEY, sizeof(payload) - 1, payload,
		 sizeof(payload) - 1, 0);
	CHECK(monitor_recv_key(sv[1], 1, &key, err) < 0 && strstr(err, "malformed"));
	unsigned before = open_fds();
	send_raw(sv[0], MONITOR_PROTO_VERSION, MONITOR_MSG_KEY, sizeof(payload), payload, sizeof(payload), 2);
	CHECK(monitor_recv_key(sv[1], 1, &key, err) < 0 && strstr(err, "came with descriptors"));
	CHECK_EQ(open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

/* --- NICs ------------------------------------------------------------------------ */

TEST(monitor_proto_nics_round_trip)
{
	static char buf[MONITOR_MSG_MAX];
	char err[MONITOR_ERRLEN] = "";
	int fds[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };
	static const uint8_t mac[3][6] = { { 2, 0, 0, 0, 0, 0x11 }, { 0x52, 0x54, 0, 0xab, 0xcd, 0xef },
					   { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xfe } };
	static const enum vm_nic_link links[3] = { VM_NIC_PORT, VM_NIC_DIODE_TX, VM_NIC_DIODE_RX };
	static const char *const names[3] = { "secret-lan", "up", "down_2" };
	sample(&sent, 10, 11, 12, 13, 14);
	for (unsigned i = 0; i < 3; i++) {
		struct monitor_fd *f = monitor_start_add_fd(&sent, MONITOR_FD_NIC, 15 + (int)i);
		f->link = links[i];
		memcpy(f->mac, mac[i], 6);
		snprintf(f->name, sizeof(f->name), "%s", names[i]);
	}
	long len = monitor_start_encode(&sent, buf, sizeof(buf), err);
	CHECK(len > 0);
	if (len <= 0)
		return;
	CHECK(strstr(buf, "\"role\":\"nic\",\"link\":\"diode-tx\",\"mac\":\"52:54:00:ab:cd:ef\"") != NULL);
	CHECK(monitor_start_decode(buf, (size_t)len, fds, 8, &got, err) == 0);
	check_same(&sent, &got);
	for (unsigned i = 0; i < 3; i++) {
		const struct monitor_fd *f = monitor_start_fd(&got, MONITOR_FD_NIC, i);
		CHECK(f != NULL);
		if (!f)
			continue;
		CHECK_EQ(f->link, links[i]);
		CHECK(!memcmp(f->mac, mac[i], 6));
		CHECK_STR(f->name, names[i]);
		CHECK_EQ(f->fd, 15 + (int)i);
	}
	/* The encoder keeps the rules: a multicast MAC, a socket link. */
	sent.fds[5].mac[0] = 1;
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	CHECK(strstr(err, "NIC 5") != NULL);
	sent.fds[5].mac[0] = 2;
	sent.fds[6].link = VM_NIC_SOCKET;
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
}

#define NIC_HEAD "{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},{\"role\":\"nic\","

TEST(monitor_proto_decoder_refuses_bad_nics)
{
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02:00:00:00:00:01\"}]}", 2, "a NIC needs");
	REFUSED(NIC_HEAD "\"link\":\"tap\",\"mac\":\"02:00:00:00:00:01\",\"name\":\"n\"}]}", 2,
		"unknown NIC link 'tap'");
	REFUSED(NIC_HEAD "\"link\":\"socket\",\"mac\":\"02:00:00:00:00:01\",\"name\":\"n\"}]}", 2,
		"unknown NIC link");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02:00:00:00:00:1\",\"name\":\"n\"}]}", 2, "bad MAC");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02:00:00:00:00:+1\",\"name\":\"n\"}]}", 2, "bad MAC");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02-00-00-00-00-01\",\"name\":\"n\"}]}", 2, "bad MAC");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"01:00:5e:00:00:01\",\"name\":\"n\"}]}", 2,
		"bad name, MAC or link");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02:00:00:00:00:01\",\"name\":\"a b\"}]}", 2,
		"bad name, MAC or link");
	REFUSED(NIC_HEAD "\"link\":\"port\",\"mac\":\"02:00:00:00:00:01\",\"name\":\"n\",\"ro\":true}]}", 2,
		"unknown key \"ro\"");
}

TEST(monitor_proto_operator_console)
{
	static char buf[MONITOR_MSG_MAX];
	char err[MONITOR_ERRLEN] = "";
	int fds[6] = { 10, 11, 12, 13, 14, 15 };
	sample(&sent, 10, 11, 12, 13, 14);
	monitor_start_add_fd(&sent, MONITOR_FD_CONSOLE, 15);
	long len = monitor_start_encode(&sent, buf, sizeof(buf), err);
	CHECK(len > 0 && strstr(buf, "{\"role\":\"console\"}") != NULL);
	if (len > 0)
		CHECK(monitor_start_decode(buf, (size_t)len, fds, 6, &got, err) == 0);
	const struct monitor_fd *f = monitor_start_fd(&got, MONITOR_FD_CONSOLE, 0);
	CHECK(f && f->fd == 15);
	CHECK_STR(monitor_fd_role_name(MONITOR_FD_CONSOLE), "console");
	/* Two consoles, or one without a console log, break the rules. */
	monitor_start_add_fd(&sent, MONITOR_FD_CONSOLE, 16);
	CHECK(monitor_start_encode(&sent, buf, sizeof(buf), err) < 0);
	CHECK(strstr(err, "more than 1 console descriptor") != NULL);
	REFUSED("{" HEAD ",\"initrd\":\"\",\"fds\":[{\"role\":\"kernel\"},{\"role\":\"console\"}]}", 2,
		"an operator console without a console log");
}

/* --- the exit status ------------------------------------------------------------ */

static bool words_are(int status, const char *want)
{
	char got[160];
	monitor_exit_words(status, got, sizeof(got));
	return strcmp(got, want) == 0;
}

/* Whatever byte a guest writes to port 0xf4, its monitor's status reads
 * as that guest's debug exit, never as something the monitor did (with
 * cordon run's codes, 0 read as an error and 1 as a triple fault). */
TEST(monitor_exit_a_guest_cannot_pass_for_its_monitor)
{
	for (int v = 0; v < 256; v++) {
		char want[64];
		int status = monitor_exit_status(STOP_DEBUG_EXIT, v);
		snprintf(want, sizeof(want), "guest exited with debug-exit value %d", v & 0x7f);
		CHECK(words_are(status, want));
		CHECK(status != MONITOR_EXIT_DOWN && status != MONITOR_EXIT_FAILED &&
		      status != MONITOR_EXIT_TRIPLE_FAULT && status != MONITOR_EXIT_NOT_STARTED);
	}
}

TEST(monitor_exit_round_trip)
{
	CHECK(words_are(monitor_exit_status(STOP_POWEROFF, 0), "guest powered off or reset"));
	CHECK(words_are(monitor_exit_status(STOP_RESET, 0), "guest powered off or reset"));
	CHECK(words_are(monitor_exit_status(STOP_TRIPLE_FAULT, 0), "guest triple-faulted"));
	CHECK(words_are(monitor_exit_status(STOP_ERROR, 0), "monitor failed (its messages say why)"));
	CHECK(words_are(monitor_exit_status(STOP_NONE, 0), "monitor failed (its messages say why)"));
	CHECK(words_are(MONITOR_EXIT_NOT_STARTED, "monitor could not be started"));
	CHECK(words_are(6, "monitor exited with status 6"));
}
