/*
 * isa-debug-exit at port 0xf4: a guest (usually a test kernel) writes a
 * byte v and the VM ends; cordon's exit status is then (v << 1) | 1, so
 * it can never be confused with a normal exit 0.  This file only reports
 * v; the run loop does the rest.
 *
 * The registration API has no destroy call, so the callback is kept in a
 * small static table keyed by bus rather than on the heap.
 */
#include "dev/devices.h"

#define DEBUGEXIT_SLOTS 8

struct debugexit {
	const struct iobus *io;
	void (*exit_fn)(void *opaque, int code);
	void *opaque;
};

static struct debugexit slots[DEBUGEXIT_SLOTS];
static unsigned next_slot;

/* The bus's own slot if it had one (a re-initialised bus), else the next
 * in turn; only more than DEBUGEXIT_SLOTS live buses would share one. */
static struct debugexit *slot_for(const struct iobus *io)
{
	for (int i = 0; i < DEBUGEXIT_SLOTS; i++)
		if (slots[i].io == io)
			return &slots[i];
	struct debugexit *s = &slots[next_slot++ % DEBUGEXIT_SLOTS];
	s->io = io;
	return s;
}

static void debugexit_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	const struct debugexit *s = opaque;
	(void)port;
	(void)size;
	/* The device is one byte wide: a wider write delivers its low byte. */
	if (s->exit_fn)
		s->exit_fn(s->opaque, (int)(val & 0xff));
}

int debugexit_register(struct iobus *io, void (*exit_fn)(void *opaque, int code), void *opaque)
{
	if (io->map[0xf4])
		return -1;
	struct debugexit *s = slot_for(io);
	s->exit_fn = exit_fn;
	s->opaque = opaque;
	return iobus_register(io, "debug-exit", 0xf4, 1, NULL, debugexit_write, s);
}
