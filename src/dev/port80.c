/*
 * Port 0x80, where firmware and kernels write POST/progress codes (and
 * which Linux also uses as an I/O delay).  Writes are remembered; reads
 * return the last one.
 */
#include "dev/devices.h"

#include <stdlib.h>

struct port80 {
	uint8_t last;
};

static uint32_t port80_read(void *opaque, uint32_t port, int size)
{
	const struct port80 *s = opaque;
	(void)port;
	(void)size;
	return s->last;
}

static void port80_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct port80 *s = opaque;
	(void)port;
	(void)size;
	s->last = (uint8_t)val;
}

struct port80 *port80_create(struct iobus *io)
{
	struct port80 *s = calloc(1, sizeof(*s));
	if (s && iobus_register(io, "post", 0x80, 1, port80_read, port80_write, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void port80_destroy(struct port80 *s)
{
	free(s);
}
