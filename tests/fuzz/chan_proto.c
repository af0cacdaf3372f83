/*
 * Fuzz target: the supervisor <-> channel-process protocol
 * (src/super/chan_proto.c), the description a `cordon switch` or
 * `cordon relay` reads at start-up.  The process takes it as it finds it:
 * its descriptor 3 is a pipe holding the description, its descriptors 4..
 * are the ones it serves.  The input sets up exactly that in this process
 * and calls chan_recv_start:
 *
 *   u8  open     0: open as many descriptors from 4 on as the description
 *                says; else (open - 1) % 20 of them
 *   u8  how      bits 0-1: the pipe holds the description (0), it and more
 *                bytes (1), its first `cut` bytes (2), nothing (3);
 *                bit 2: one more descriptor open, `gap` above the last
 *   u16 cut
 *   u8  gap
 *   ... the description's bytes (struct chan_start; zeros past the input)
 *
 * The verdict must be exactly the one the rules restated here give (a
 * known version, a name, a channel process's uid, a switch of 1..17 ports
 * with at most one uplink, at least one VM, VM names and distinct unicast
 * MACs, a relay of two; the whole description and nothing more; exactly
 * its descriptors open up to 67): accepted as the bytes were, or refused
 * with a message.  The supervisor's end, chan_send_start, refuses the
 * same descriptions the rules do and writes what it accepts byte for byte.
 *
 * fuzz-plant: src/super/chan_proto.c
 * fuzz-plant-from: if (uplinks > 1)
 * fuzz-plant-to: if (uplinks > 2)
 * fuzz-options: -max_len=1024
 */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include "super/chan_proto.h"

#define LAST_LOOKED_AT (CHAN_FIRST_FD + 63) /* chan_recv_start's promise */
#define HIGH_FD 500                         /* the harness's own descriptors */

static int devnull = -1;

/* Descriptors 3 .. 67 are the ones under test: whatever this process
 * inherited there (a make jobserver's pipe, a shell's) moves up out of
 * the way, before libFuzzer opens anything of its own. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	for (int fd = CHAN_DESC_FD; fd <= LAST_LOOKED_AT; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0)
			continue;
		int moved = fcntl(fd, (flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, HIGH_FD);
		FUZZ_CHECK(moved >= 0, "cannot move descriptor %d out of the way", fd);
		close(fd);
	}
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "/dev/null");
	devnull = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	FUZZ_CHECK(devnull >= 0, "no descriptor above %d", HIGH_FD);
	close(fd);
	return 0;
}

/* A pipe whose ends sit far above the descriptors under test. */
static void high_pipe(int p[2])
{
	int lo[2];
	FUZZ_CHECK(pipe(lo) == 0, "pipe");
	for (int i = 0; i < 2; i++) {
		p[i] = fcntl(lo[i], F_DUPFD_CLOEXEC, HIGH_FD);
		FUZZ_CHECK(p[i] >= 0, "no descriptor above %d", HIGH_FD);
		close(lo[i]);
	}
}

static bool model_name(const char *s, size_t cap, bool may_be_empty)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		return false;
	if (n == 0)
		return may_be_empty;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", s[i]))
			return false;
	return true;
}

static bool model_switch_ports(const struct chan_start *st)
{
	unsigned uplinks = 0, vms = 0;
	for (unsigned i = 0; i < st->nfds; i++) {
		const struct chan_port *p = &st->port[i];
		if (p->uplink > 1 || !model_name(p->vm, sizeof(p->vm), p->uplink == 1))
			return false;
		if (p->uplink) {
			uplinks++;
			continue;
		}
		vms++;
		if (p->mac[0] & 1)
			return false;
		for (unsigned j = 0; j < st->nfds; j++)
			if (j != i && !st->port[j].uplink && !memcmp(st->port[j].mac, p->mac, sizeof(p->mac)))
				return false;
	}
	return uplinks <= 1 && vms >= 1;
}

/* The rules of chan_proto.h, read independently of chan_start_check. */
static bool model_description(const struct chan_start *st)
{
	if (st->version != 1 || !model_name(st->name, sizeof(st->name), false))
		return false;
	if (st->uid < MONITOR_UID_BASE + SYSDEF_MAX_VMS ||
	    st->uid >= MONITOR_UID_BASE + SYSDEF_MAX_VMS + SYSDEF_MAX_NETS + SYSDEF_MAX_DIODES)
		return false;
	if (st->kind == CHAN_RELAY)
		return st->nfds == 2;
	if (st->kind != CHAN_SWITCH || st->nfds < 1 || st->nfds > SWITCH_MAX_PORTS)
		return false;
	return model_switch_ports(st);
}

/* The supervisor's end: refuses what the rules refuse, writes the rest
 * exactly. */
static void check_send(const struct chan_start *st, bool valid)
{
	int p[2];
	char err[CHAN_ERRLEN];
	struct chan_start back;
	high_pipe(p);
	memset(err, 'X', sizeof(err));
	int rc = chan_send_start(p[1], st, err);
	close(p[1]);
	if (!valid) {
		FUZZ_CHECK(rc < 0, "the supervisor sends a description the rules refuse");
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refused without a message");
	} else {
		FUZZ_CHECK(rc == 0, "the supervisor refuses a good description: %.*s", CHAN_ERRLEN, err);
		FUZZ_CHECK(read(p[0], &back, sizeof(back)) == (ssize_t)sizeof(back) &&
				   memcmp(&back, st, sizeof(back)) == 0,
			   "the description written is not the one given");
	}
	close(p[0]);
}

/* Fills descriptor 3 with the pipe's bytes; true if they are exactly one
 * description. */
static bool deliver(const struct chan_start *st, unsigned how, unsigned cut)
{
	int p[2];
	static const char more[16] = "more bytes here";
	high_pipe(p);
	bool whole = false;
	switch (how & 3) {
	case 0:
		whole = write(p[1], st, sizeof(*st)) == (ssize_t)sizeof(*st);
		FUZZ_CHECK(whole, "pipe write");
		break;
	case 1:
		FUZZ_CHECK(write(p[1], st, sizeof(*st)) == (ssize_t)sizeof(*st) &&
				   write(p[1], more, 1 + cut % sizeof(more)) > 0,
			   "pipe write");
		break;
	case 2:
		FUZZ_CHECK(write(p[1], st, cut % sizeof(*st)) >= 0, "pipe write");
		break;
	}
	close(p[1]);
	FUZZ_CHECK(dup2(p[0], CHAN_DESC_FD) == CHAN_DESC_FD, "dup2");
	close(p[0]);
	return whole;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	unsigned open_arg = fin_u8(&in), how = fin_u8(&in), cut = fin_u16(&in), gap = fin_u8(&in);
	struct chan_start *st = malloc(sizeof(*st)), got;
	FUZZ_CHECK(st != NULL, "malloc");
	fin_bytes(&in, st, sizeof(*st));
	for (int fd = CHAN_DESC_FD; fd <= LAST_LOOKED_AT; fd++)
		FUZZ_CHECK(fcntl(fd, F_GETFD) < 0,
			   "descriptor %d is open, not by this target (-close_fd_mask=2?)", fd);

	bool valid = model_description(st);
	check_send(st, valid);

	unsigned nopen = open_arg ? (open_arg - 1) % (CHAN_MAX_FDS + 3) :
				    (st->nfds <= CHAN_MAX_FDS + 2 ? st->nfds : CHAN_MAX_FDS + 2);
	int stray = (how & 4) ? CHAN_FIRST_FD + (int)nopen + (int)(gap % 80) : -1;
	bool whole = deliver(st, how, cut);
	for (unsigned i = 0; i < nopen; i++)
		FUZZ_CHECK(dup2(devnull, CHAN_FIRST_FD + (int)i) >= 0, "dup2");
	if (stray >= 0)
		FUZZ_CHECK(dup2(devnull, stray) == stray, "dup2");
	/* A "stray" right above the others is simply one more of them. */
	unsigned nrun = stray == CHAN_FIRST_FD + (int)nopen ? nopen + 1 : nopen;
	bool stray_seen = stray >= 0 && stray != CHAN_FIRST_FD + (int)nopen && stray <= LAST_LOOKED_AT;
	bool fds_ok = nrun == st->nfds && !stray_seen;
	bool expect = valid && whole && fds_ok;
	FUZZ_SAY("valid %d whole %d descriptors %u (+%d) of %u: expect %s\n", valid, whole, nopen,
		 stray, (unsigned)st->nfds, expect ? "accepted" : "refused");

	char err[CHAN_ERRLEN];
	memset(err, 'X', sizeof(err));
	int rc = chan_recv_start(&got, err);
	if (expect) {
		FUZZ_CHECK(rc == 0, "a good description refused: %.*s", CHAN_ERRLEN, err);
		FUZZ_CHECK(memcmp(&got, st, sizeof(got)) == 0, "accepted, but not as sent");
	} else {
		FUZZ_CHECK(rc < 0, "accepted: valid %d, whole %d, %u descriptors (+%d) for %u", valid,
			   whole, nopen, stray, (unsigned)st->nfds);
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refused without a message");
	}

	close(CHAN_DESC_FD);
	for (unsigned i = 0; i < nopen; i++)
		close(CHAN_FIRST_FD + (int)i);
	if (stray >= 0)
		close(stray);
	free(st);
	return 0;
}
