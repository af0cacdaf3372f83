/*
 * Fuzz target: the transfer-port messages between a VM's monitor and its
 * guard (port_msg_decode, src/xfer/port_proto.c).  Each end takes the
 * other's datagrams as hostile: the monitor's guest runs, the guard
 * parses guest data.  The input is one datagram, in a block of exactly
 * its size.
 *
 * A datagram is refused with a message, or decoded into a message whose
 * data lies inside the datagram, no longer than PORT_DATA_MAX, and which
 * the encoder writes back as exactly the same bytes: neither end accepts
 * what the other could not have sent.
 *
 * fuzz-plant: src/xfer/port_proto.c
 * fuzz-plant-from: if (len < 6 || (buf[5] & ~PORT_F_END))
 * fuzz-plant-to: if (len < 6)
 * fuzz-options: -max_len=33000
 */
#include "fuzz.h"

#include "xfer/port_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[PORT_MSG_MAX];
	struct fuzz_in in = fuzz_in(data, size);
	size_t len;
	uint8_t *dgram = fin_rest(&in, &len);
	struct port_msg m;
	char err[PORT_ERRLEN];
	memset(err, 'X', sizeof(err));
	if (port_msg_decode(dgram, len, &m, err) < 0) {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refusal without a message");
		free(dgram);
		return 0;
	}
	FUZZ_CHECK(m.len <= PORT_DATA_MAX, "%zu bytes of data", m.len);
	FUZZ_CHECK(!m.len || (m.data > dgram && m.data + m.len == dgram + len),
		   "data outside the datagram");
	size_t n = port_msg_encode(again, &m);
	FUZZ_CHECK(n == len && memcmp(again, dgram, len) == 0,
		   "type %u: %zu bytes accepted that encode back as %zu other bytes", m.type, len, n);
	free(dgram);
	return 0;
}
