/*
 * Fuzz target: the supervisor <-> guard message decoder
 * (guard_msg_decode, src/super/guard_proto.c).  The guard parses guest
 * data, so the supervisor must take nothing from it that the protocol's
 * rules forbid.  The first input byte is the message type (any value,
 * most of them one of the nine), the rest the payload, copied into a
 * block of exactly its size.
 *
 * A payload is refused with a message, or decoded into a message that
 * keeps the rules restated here (ids, VM names, limits, counts, modes,
 * printable reasons), that the encoder takes back, and whose encoding is
 * exactly the payload: neither end accepts what the other could not
 * have sent.
 *
 * fuzz-plant: src/super/guard_proto.c
 * fuzz-plant-from: if (memchr(b, 0, n))
 * fuzz-plant-to: if (n > cap)
 * fuzz-options: -max_len=1100
 */
#include "fuzz.h"

#include "super/guard_proto.h"

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void check_rules(const struct guard_msg *m)
{
	FUZZ_CHECK(m->type == GUARD_MSG_INIT || m->type == GUARD_MSG_DROP || m->id != 0,
		   "%s with id 0", guard_msg_name(m->type));
	switch (m->type) {
	case GUARD_MSG_INIT:
		FUZZ_CHECK(m->vm[0] && m->limits.max_bytes && m->limits.max_bytes <= XFER_CEIL_MAX_BYTES &&
				   m->limits.max_files && m->limits.max_files <= XFER_CEIL_MAX_FILES,
			   "init out of range");
		break;
	case GUARD_MSG_REQ_BEGIN:
		FUZZ_CHECK(m->target[0] && m->nfiles && m->nfiles <= XFER_CEIL_MAX_FILES &&
				   m->total <= XFER_CEIL_MAX_BYTES && m->spool_len >= m->total,
			   "req-begin out of range");
		break;
	case GUARD_MSG_REQ_FILE:
		FUZZ_CHECK(m->name[0] && !strchr(m->name, '/') &&
				   (m->mode == XFER_MODE_FILE || m->mode == XFER_MODE_EXEC) &&
				   m->size <= XFER_CEIL_MAX_BYTES,
			   "req-file out of range");
		break;
	case GUARD_MSG_DROP:
	case GUARD_MSG_UNDELIVERABLE:
		FUZZ_CHECK(m->reason[0] && strlen(m->reason) <= GUARD_REASON_MAX && printable(m->reason),
			   "bad reason");
		break;
	default:
		FUZZ_CHECK(m->type > 0 && m->type < GUARD_MSG_NTYPES, "type %u", m->type);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guard_msg m;
	static uint8_t again[GUARD_MSG_MAX];
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t t = fin_u8(&in);
	enum guard_msg_type type = t < 0xf0 ? (enum guard_msg_type)(1 + t % (GUARD_MSG_NTYPES - 1))
					    : (enum guard_msg_type)(t - 0xf0); /* 0, and past the last */
	size_t len;
	uint8_t *payload = fin_rest(&in, &len);
	char err[GUARD_ERRLEN];
	memset(err, 'X', sizeof(err));
	if (guard_msg_decode(type, payload, len, &m, err) < 0) {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refusal without a message");
		free(payload);
		return 0;
	}
	check_rules(&m);
	long n = guard_msg_encode(&m, again, err);
	FUZZ_CHECK(n >= 0, "the encoder refuses what the decoder took: %.100s", err);
	FUZZ_CHECK((size_t)n == len && memcmp(again, payload, len) == 0,
		   "%s: accepted %zu bytes that encode back as %ld other bytes", guard_msg_name(type), len, n);
	free(payload);
	return 0;
}
