/*
 * The title-sequence filter of `cordon console` (see console_out.h).
 */
#include "cli/console_out.h"

enum { TEXT, ESC_SEEN, OSC, OSC_ESC };

#define ESC 0x1b
#define BEL 0x07

/* One byte of an OSC: dropped; true when the sequence ends with it. */
static int osc_byte(struct console_out *c, uint8_t b)
{
	if (++c->osc_len > CONSOLE_OSC_MAX)
		return TEXT; /* never ended: give up on it */
	if (c->state == OSC_ESC)
		return b == '\\' ? TEXT : b == ESC ? OSC_ESC : OSC;
	return b == BEL ? TEXT : b == ESC ? OSC_ESC : OSC;
}

size_t console_out_filter(struct console_out *c, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];
		switch (c->state) {
		case TEXT:
			if (b == ESC)
				c->state = ESC_SEEN; /* held back until we see what follows */
			else
				out[len++] = b;
			break;
		case ESC_SEEN:
			if (b == ']') {
				c->state = OSC;
				c->osc_len = 0;
				break;
			}
			out[len++] = ESC;
			if (b != ESC) {
				out[len++] = b;
				c->state = TEXT;
			}
			break;
		default:
			c->state = osc_byte(c, b);
			break;
		}
	}
	return len;
}
