/* The transfer-port protocol; see port_proto.h. */
#include "xfer/port_proto.h"

#include <stdio.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool port_msg_from_monitor(enum port_msg_type type)
{
	return type >= PORT_OUT_OPEN && type <= PORT_IN_TAKEN;
}

size_t port_msg_encode(uint8_t *buf, const struct port_msg *m)
{
	buf[0] = (uint8_t)m->type;
	switch (m->type) {
	case PORT_OUT_OPEN:
	case PORT_OUT_CLOSE:
		return 1;
	case PORT_OUT_DATA:
		if (m->len == 0 || m->len > PORT_DATA_MAX)
			return 0;
		memcpy(buf + 1, m->data, m->len);
		return 1 + m->len;
	case PORT_IN_OPEN:
	case PORT_IN_CLOSE:
	case PORT_IN_TAKEN:
		put32(buf + 1, m->gen);
		return 5;
	case PORT_IN_DATA:
		if (m->len > PORT_DATA_MAX)
			return 0;
		put32(buf + 1, m->gen);
		buf[5] = m->end ? PORT_F_END : 0;
		memcpy(buf + 6, m->data, m->len);
		return 6 + m->len;
	}
	return 0;
}

static int fail(char *err, const char *what, unsigned type, size_t len)
{
	snprintf(err, PORT_ERRLEN, "port message type %u of %zu bytes: %s", type, len, what);
	return -1;
}

int port_msg_decode(const uint8_t *buf, size_t len, struct port_msg *m, char *err)
{
	memset(m, 0, sizeof(*m));
	if (len == 0 || len > PORT_MSG_MAX)
		return fail(err, "bad length", len ? buf[0] : 0, len);
	m->type = buf[0];
	switch (m->type) {
	case PORT_OUT_OPEN:
	case PORT_OUT_CLOSE:
		return len == 1 ? 0 : fail(err, "carries a payload", buf[0], len);
	case PORT_OUT_DATA:
		if (len < 2)
			return fail(err, "no data", buf[0], len);
		if (len - 1 > PORT_DATA_MAX) /* what no encoder writes */
			return fail(err, "more data than a message holds", buf[0], len);
		m->data = buf + 1;
		m->len = len - 1;
		return 0;
	case PORT_IN_OPEN:
	case PORT_IN_CLOSE:
	case PORT_IN_TAKEN:
		if (len != 5)
			return fail(err, "not a 4-byte generation", buf[0], len);
		m->gen = get32(buf + 1);
		return 0;
	case PORT_IN_DATA:
		if (len < 6 || (buf[5] & ~PORT_F_END))
			return fail(err, "bad header", buf[0], len);
		m->gen = get32(buf + 1);
		m->end = buf[5] & PORT_F_END;
		m->data = buf + 6;
		m->len = len - 6;
		return 0;
	}
	return fail(err, "unknown type", buf[0], len);
}
