/*
 * The channel processes' code, without the processes' sandbox: the
 * supervisor <-> channel protocol (super/chan_proto.c), and the switch and
 * relay loops (net/switch_proc.c, net/relay.c) run in forked children on
 * real socketpairs and packet-mode pipes.
 */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/relay.h"
#include "net/switch_proc.h"
#include "super/chan_proto.h"

/* --- the protocol ------------------------------------------------------------ */

static void good_switch(struct chan_start *st)
{
	memset(st, 0, sizeof(*st));
	st->version = CHAN_PROTO_VERSION;
	st->kind = CHAN_SWITCH;
	st->uid = CHAN_UID_BASE;
	st->nfds = 3;
	snprintf(st->name, sizeof(st->name), "secret-lan");
	for (unsigned i = 0; i < 2; i++) {
		st->port[i].mac[0] = 2;
		st->port[i].mac[5] = (uint8_t)(i + 1);
		snprintf(st->port[i].vm, sizeof(st->port[i].vm), "vm%u", i);
	}
	st->port[2].uplink = 1;
}

static void refused(struct chan_start *st, const char *why, int line)
{
	char err[CHAN_ERRLEN] = "";
	if (chan_start_check(st, err) == 0)
		t_fail(__FILE__, line, "accepted");
	else if (!strstr(err, why))
		t_fail(__FILE__, line, "error '%s', expected '%s'", err, why);
}
#define REFUSED(st, why) refused(st, why, __LINE__)

TEST(chan_proto_checks_descriptions)
{
	struct chan_start st;
	char err[CHAN_ERRLEN] = "";
	good_switch(&st);
	CHECK_EQ(chan_start_check(&st, err), 0);
	st.version = 2;
	REFUSED(&st, "protocol version 2");
	good_switch(&st);
	st.kind = 7;
	REFUSED(&st, "unknown channel kind 7");
	good_switch(&st);
	st.uid = MONITOR_UID_BASE; /* a monitor's */
	REFUSED(&st, "is not a channel process's");
	good_switch(&st);
	st.uid = CHAN_UID_END;
	REFUSED(&st, "is not a channel process's");
	good_switch(&st);
	memset(st.name, 'x', sizeof(st.name)); /* no NUL */
	REFUSED(&st, "bad channel name");
	good_switch(&st);
	st.nfds = CHAN_MAX_FDS + 1;
	REFUSED(&st, "a switch with 18 ports");
	good_switch(&st);
	st.port[1].mac[5] = 1; /* the same MAC twice */
	REFUSED(&st, "ports 0 and 1 have one MAC");
	good_switch(&st);
	st.port[1].mac[0] = 3;
	REFUSED(&st, "port 1: multicast MAC");
	good_switch(&st);
	st.port[0].uplink = 1; /* two uplinks */
	st.port[0].vm[0] = '\0';
	REFUSED(&st, "more than one uplink");
	good_switch(&st);
	st.nfds = 1;
	st.port[0].uplink = 1;
	st.port[0].vm[0] = '\0';
	REFUSED(&st, "no VM port");
	good_switch(&st);
	snprintf(st.port[0].vm, sizeof(st.port[0].vm), "a b");
	REFUSED(&st, "port 0: bad description");
	good_switch(&st);
	st.kind = CHAN_RELAY;
	REFUSED(&st, "a relay with 3 descriptors (needs 2)");
	st.nfds = 2;
	CHECK_EQ(chan_start_check(&st, err), 0);
}

/* The receiving end reads from CHAN_DESC_FD and looks at the descriptors
 * from CHAN_FIRST_FD on, so it runs in a child with those in place. */
static int recv_in_child(const struct chan_start *sent, unsigned open_fds, char *err_out)
{
	int p[2], msg[2];
	CHECK(pipe(p) == 0 && pipe(msg) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char err[CHAN_ERRLEN] = "";
		struct chan_start got;
		/* The result goes out on a descriptor far above those looked at. */
		int res = fcntl(p[1], F_DUPFD, 200);
		if (res < 0 || dup2(msg[0], CHAN_DESC_FD) < 0)
			_exit(3);
		close_range(CHAN_FIRST_FD, 199, 0);
		for (unsigned i = 0; i < open_fds; i++)
			if (dup2(res, CHAN_FIRST_FD + (int)i) < 0)
				_exit(3);
		int rc = chan_recv_start(&got, err);
		if (rc == 0 && memcmp(&got, sent, sizeof(got)) != 0)
			snprintf(err, sizeof(err), "received something else"), rc = -1;
		(void)!write(res, err, strlen(err) + 1);
		_exit(rc == 0 ? 0 : 1);
	}
	close(msg[0]);
	char err[CHAN_ERRLEN];
	CHECK_EQ(chan_send_start(msg[1], sent, err), 0);
	close(msg[1]);
	close(p[1]);
	ssize_t n = read(p[0], err_out, CHAN_ERRLEN - 1);
	err_out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(chan_proto_round_trip_through_a_pipe)
{
	struct chan_start st;
	char err[CHAN_ERRLEN];
	good_switch(&st);
	CHECK_EQ(recv_in_child(&st, 3, err), 0);
	CHECK_STR(err, "");
	CHECK_EQ(recv_in_child(&st, 2, err), 1);
	CHECK_STR(err, "descriptor 6 of 3 is not open");
	CHECK_EQ(recv_in_child(&st, 4, err), 1);
	CHECK_STR(err, "descriptor 7 is open but not described");
	/* The sender refuses what the receiver would. */
	st.port[0].mac[0] = 1;
	CHECK(chan_send_start(1, &st, err) < 0);
	CHECK(strstr(err, "multicast") != NULL);
}

/* --- the switch loop --------------------------------------------------------- */

static size_t eth_frame(uint8_t *buf, const uint8_t *dst, uint8_t src_last, size_t len, uint8_t tag)
{
	memcpy(buf, dst, 6);
	memset(buf + 6, 0, 6);
	buf[6] = 2;
	buf[11] = src_last;
	for (size_t i = 12; i < len; i++)
		buf[i] = (uint8_t)(tag ^ i);
	return len;
}

/* One frame from fd within a second: its length, or -1. */
static ssize_t read_frame(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 1000) <= 0)
		return -1;
	return read(fd, buf, cap);
}

TEST(chan_switch_process_forwards_and_ends)
{
	int a[2], b[2], c[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char err[HOST_ERRLEN];
		struct switch_config cfg = { .nports = 3 };
		const char *names[3] = { "a", "b", "c" };
		int fds[3] = { a[0], b[0], c[0] };
		close(a[1]), close(b[1]), close(c[1]);
		for (unsigned i = 0; i < 3; i++)
			cfg.port[i].mac[0] = 2, cfg.port[i].mac[5] = (uint8_t)(i + 1);
		struct switch_proc *sp = switch_proc_new("lan", &cfg, fds, names, err);
		if (!sp)
			_exit(3);
		int fd2 = open("/dev/null", O_WRONLY);
		dup2(fd2, 2); /* its statistics */
		int rc = switch_proc_run(sp);
		switch_proc_free(sp);
		_exit(rc);
	}
	close(a[0]), close(b[0]), close(c[0]);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t to_a[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t buf[2048], got[2048];
	/* a broadcasts: b and c get it; then b answers a: only a gets it. */
	CHECK_EQ(write(a[1], buf, eth_frame(buf, bcast, 1, 100, 7)), 100);
	CHECK_EQ(read_frame(b[1], got, sizeof(got)), 100);
	CHECK(!memcmp(got, buf, 100));
	CHECK_EQ(read_frame(c[1], got, sizeof(got)), 100);
	CHECK_EQ(write(b[1], buf, eth_frame(buf, to_a, 2, 1518, 9)), 1518);
	CHECK_EQ(read_frame(a[1], got, sizeof(got)), 1518);
	CHECK(!memcmp(got, buf, 1518));
	/* Spoofed (b claims a's MAC) and oversize frames go nowhere. */
	CHECK_EQ(write(b[1], buf, eth_frame(buf, bcast, 1, 60, 1)), 60);
	CHECK_EQ(write(c[1], buf, eth_frame(buf, bcast, 3, 1600, 1)), 1600);
	CHECK_EQ(read_frame(a[1], got, sizeof(got)), -1);
	/* c hangs up; a and b still talk; then both hang up and it ends. */
	close(c[1]);
	CHECK_EQ(write(a[1], buf, eth_frame(buf, bcast, 1, 64, 3)), 64);
	CHECK_EQ(read_frame(b[1], got, sizeof(got)), 64);
	close(a[1]);
	close(b[1]);
	int status = -1;
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(20000);
	if (!WIFEXITED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		t_fail(__FILE__, __LINE__, "the switch did not end when its ports hung up");
	} else {
		CHECK_EQ(WEXITSTATUS(status), 0);
	}
}

/* --- the relay ------------------------------------------------------------------ */

/* The child holds only from, to and stats_fd of these (a copy of the
 * sender's write end would keep the relay from ever seeing its end). */
static pid_t start_relay(int from, int to, int stats_fd, int parent_a, int parent_b, int parent_st)
{
	pid_t pid = fork();
	if (pid == 0) {
		char err[HOST_ERRLEN];
		close(parent_a), close(parent_b), close(parent_st);
		struct relay *r = relay_new("up", from, to, err);
		if (!r)
			_exit(3);
		dup2(stats_fd, 2);
		int rc = relay_run(r);
		relay_free(r);
		_exit(rc);
	}
	return pid;
}

TEST(chan_relay_drains_the_sender_whatever_the_receiver_does)
{
	int a[2], b[2], st[2];
	CHECK(pipe2(a, O_DIRECT | O_CLOEXEC) == 0);
	CHECK(pipe2(b, O_DIRECT | O_CLOEXEC) == 0);
	CHECK(pipe(st) == 0);
	pid_t pid = start_relay(a[0], b[1], st[1], a[1], b[0], st[0]);
	close(a[0]), close(b[1]), close(st[1]);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[2048], got[2048];
	CHECK_EQ(write(a[1], buf, eth_frame(buf, bcast, 1, 200, 5)), 200);
	CHECK_EQ(read_frame(b[0], got, sizeof(got)), 200);
	CHECK(!memcmp(got, buf, 200));
	/* The receiver stops reading: the sender's pipe never fills, because
	 * the relay drops what the receiver's pipe cannot take. */
	fcntl(a[1], F_SETFL, fcntl(a[1], F_GETFL) | O_NONBLOCK); /* keeps O_DIRECT */
	int blocked = 0, sent = 1;
	for (int i = 0; i < 3000; i++) {
		if (write(a[1], buf, eth_frame(buf, bcast, 1, 1000, (uint8_t)i)) == 1000)
			sent++;
		else
			blocked++, usleep(1000);
	}
	CHECK(blocked < 100); /* a pipe full now and then, never for long */
	/* The receiver goes away altogether; still nothing for the sender. */
	close(b[0]);
	for (int i = 0; i < 100; i++) {
		if (write(a[1], buf, eth_frame(buf, bcast, 1, 60, 0)) == 60)
			sent++;
		else
			blocked++, usleep(1000);
	}
	close(a[1]);
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char report[512] = "";
	ssize_t n = read(st[0], report, sizeof(report) - 1);
	report[n > 0 ? n : 0] = '\0';
	close(st[0]);
	unsigned long long relayed = 0, full = 0, gone = 0, bad = 0;
	CHECK_EQ(sscanf(report, "relayed %llu; dropped: %llu the receiver had no room for, %llu after it was gone, %llu bad size",
			&relayed, &full, &gone, &bad), 4);
	CHECK(relayed >= 2 && full > 0 && gone > 0);
	CHECK_EQ(relayed + full + gone + bad, sent);
	CHECK_EQ(bad, 0);
}
