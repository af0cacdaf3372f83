/*
 * Fuzz target: the supervisor -> monitor start-up message decoder
 * (src/super/monitor_proto.c), on any payload with 0..MONITOR_MAX_FDS
 * descriptors (the first input byte says how many).
 *
 * A payload is either refused with a message and no descriptor kept, or
 * decoded into a description that keeps every rule (one kernel, names and
 * ranges checked), that the encoder accepts as it is, and that decodes
 * again to the same description.
 *
 * fuzz-plant: src/super/monitor_proto.c
 * fuzz-plant-from: st->fds[i].fd = fds[i];
 * fuzz-plant-to: st->fds[i].fd = fds[i + 1 == nfds ? i + 1 : i];
 * fuzz-options: -max_len=16384
 */
#include "fuzz.h"

#include "super/monitor_proto.h"

static struct monitor_start st, again;
static char buf[MONITOR_MSG_MAX];

static void check_same(void)
{
	FUZZ_CHECK(strcmp(st.vm, again.vm) == 0 && strcmp(st.label, again.label) == 0 &&
		   st.memory == again.memory && st.uid == again.uid &&
		   st.fsize_limit == again.fsize_limit && strcmp(st.append, again.append) == 0 &&
		   strcmp(st.kernel, again.kernel) == 0 && strcmp(st.initrd, again.initrd) == 0 &&
		   st.nfds == again.nfds, "re-encoded description differs");
	for (unsigned i = 0; i < st.nfds; i++)
		FUZZ_CHECK(st.fds[i].role == again.fds[i].role &&
			   strcmp(st.fds[i].name, again.fds[i].name) == 0 &&
			   st.fds[i].read_only == again.fds[i].read_only &&
			   st.fds[i].luks == again.fds[i].luks && st.fds[i].quota == again.fds[i].quota,
			   "descriptor %u differs after re-encoding", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	unsigned nfds = fin_u8(&in) % (MONITOR_MAX_FDS + 1);
	int *fds = malloc(sizeof(int) * (nfds ? nfds : 1)); /* exact: ASan sees overreads */
	char err[MONITOR_ERRLEN];
	size_t len;
	uint8_t *payload = fin_rest(&in, &len);
	if (!fds)
		abort();
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = 100 + (int)i;
	memset(err, 'X', sizeof(err));
	if (monitor_start_decode((const char *)payload, len, fds, nfds, &st, err) < 0) {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refusal without a message");
		for (unsigned i = 0; i < MONITOR_MAX_FDS; i++)
			FUZZ_CHECK(st.fds[i].fd == -1, "a refused description kept descriptor %u", i);
	} else {
		FUZZ_CHECK(st.nfds == nfds, "%u descriptors taken of %u", st.nfds, nfds);
		FUZZ_CHECK(monitor_start_fd(&st, MONITOR_FD_KERNEL, 0) != NULL, "no kernel");
		long n = monitor_start_encode(&st, buf, sizeof(buf), err);
		FUZZ_CHECK(n > 0, "the encoder refuses what the decoder took: %.100s", err);
		FUZZ_CHECK(monitor_start_decode(buf, (size_t)n, fds, nfds, &again, err) == 0,
			   "the re-encoded description is refused: %.100s", err);
		check_same();
	}
	free(payload);
	free(fds);
	return 0;
}
