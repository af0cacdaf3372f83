/*
 * Port 0x80, where firmware and kernels write POST/progress codes (and
 * which Linux also uses as an I/O delay).  Writes are remembered; reads
 * return the last one.
 *
 * The registration API has no destroy call, so the state lives in a small
 * static table keyed by bus rather than on the heap, where it would leak.
 */
#include "dev/devices.h"

#define PORT80_SLOTS 8

struct port80 {
	const struct iobus *io;
	uint8_t last;
};

static struct port80 slots[PORT80_SLOTS];
static unsigned next_slot;

/* The bus's own slot if it had one (a re-initialised bus), else the next
 * in turn; only more than PORT80_SLOTS live buses would share state. */
static struct port80 *slot_for(const struct iobus *io)
{
	for (int i = 0; i < PORT80_SLOTS; i++)
		if (slots[i].io == io)
			return &slots[i];
	struct port80 *s = &slots[next_slot++ % PORT80_SLOTS];
	s->io = io;
	return s;
}

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

int port80_register(struct iobus *io)
{
	if (io->map[0x80])
		return -1;
	struct port80 *s = slot_for(io);
	s->last = 0;
	return iobus_register(io, "post", 0x80, 1, port80_read, port80_write, s);
}
