/*
 * isa-debug-exit at port 0xf4: a guest (usually a test kernel) writes a
 * byte v and the VM ends; cordon's exit status is then (v << 1) | 1, so
 * it can never be confused with a normal exit 0.  This file only reports
 * v; the run loop does the rest.
 */
#include "dev/devices.h"

#include <stdlib.h>

struct debugexit {
	void (*exit_fn)(void *opaque, int code);
	void *opaque;
};

static void debugexit_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	const struct debugexit *s = opaque;
	(void)port;
	(void)size;
	/* The device is one byte wide: a wider write delivers its low byte. */
	if (s->exit_fn)
		s->exit_fn(s->opaque, (int)(val & 0xff));
}

struct debugexit *debugexit_create(struct iobus *io, void (*exit_fn)(void *opaque, int code),
				   void *opaque)
{
	struct debugexit *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->exit_fn = exit_fn;
	s->opaque = opaque;
	if (iobus_register(io, "debug-exit", 0xf4, 1, NULL, debugexit_write, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void debugexit_destroy(struct debugexit *s)
{
	free(s);
}
