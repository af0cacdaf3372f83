#include "dev/bus.h"

#include <string.h>

static bool overlap(uint64_t base_a, uint64_t len_a, uint64_t base_b, uint64_t len_b)
{
	return base_a < base_b + len_b && base_b < base_a + len_a;
}

/* Whether r[0..n) may all go on a bus with `free` table slots and an
 * address space of `limit` bytes: each non-empty, inside the space, and
 * clear of the others in r. */
static bool ranges_valid(const struct bus_region *r, unsigned n, unsigned free, uint64_t limit)
{
	if (n == 0 || n > free)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].len == 0 || r[i].base + (uint64_t)r[i].len > limit)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (overlap(r[i].base, r[i].len, r[j].base, r[j].len))
				return false;
	}
	return true;
}

/* --- port I/O --------------------------------------------------------------- */

void iobus_init(struct iobus *b)
{
	memset(b, 0, sizeof(*b));
}

static bool ports_claimed(const struct iobus *b, const struct bus_region *r)
{
	for (uint32_t p = r->base; p < r->base + r->len; p++)
		if (b->map[p])
			return true;
	return false;
}

int iobus_register_all(struct iobus *b, const void *owner, const struct bus_region *r, unsigned n)
{
	if (!ranges_valid(r, n, (unsigned)(IOBUS_MAX_REGIONS - b->nregions), 65536))
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (ports_claimed(b, &r[i]))
			return -1;
	for (unsigned i = 0; i < n; i++) {
		struct bus_region *dst = &b->regions[b->nregions++];
		*dst = r[i];
		dst->owner = owner;
		memset(&b->map[dst->base], b->nregions, dst->len);
	}
	return 0;
}

int iobus_register(struct iobus *b, const char *name, uint16_t base, uint32_t len,
		   bus_read_fn rd, bus_write_fn wr, void *opaque)
{
	struct bus_region r = { name, base, len, rd, wr, opaque, opaque };
	return iobus_register_all(b, opaque, &r, 1);
}

/* The last region takes the freed slot, so the table stays dense and the
 * port map only needs rewriting for the ports of the two regions involved. */
static void iobus_remove(struct iobus *b, uint8_t i)
{
	struct bus_region *gone = &b->regions[i - 1];
	memset(&b->map[gone->base], 0, gone->len);
	struct bus_region *last = &b->regions[b->nregions - 1];
	if (last != gone) {
		*gone = *last;
		memset(&b->map[gone->base], i, gone->len);
	}
	b->nregions--;
}

int iobus_unregister(struct iobus *b, uint16_t base)
{
	uint8_t i = b->map[base];
	if (!i || b->regions[i - 1].base != base)
		return -1;
	iobus_remove(b, i);
	return 0;
}

unsigned iobus_unregister_owner(struct iobus *b, const void *owner)
{
	unsigned removed = 0;
	for (int i = b->nregions; i >= 1; i--) {
		if (b->regions[i - 1].owner == owner) {
			iobus_remove(b, (uint8_t)i);
			removed++;
		}
	}
	return removed;
}

static uint32_t ones(int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

uint32_t iobus_read(struct iobus *b, uint16_t port, int size)
{
	uint8_t i = b->map[port];
	if (!i || !b->regions[i - 1].read)
		return ones(size);
	return b->regions[i - 1].read(b->regions[i - 1].opaque, port, size) & ones(size);
}

void iobus_write(struct iobus *b, uint16_t port, int size, uint32_t val)
{
	uint8_t i = b->map[port];
	if (i && b->regions[i - 1].write)
		b->regions[i - 1].write(b->regions[i - 1].opaque, port, size, val & ones(size));
}

/* --- memory-mapped I/O -------------------------------------------------------- */

void mmiobus_init(struct mmiobus *b)
{
	memset(b, 0, sizeof(*b));
}

static struct bus_region *mmio_find(struct mmiobus *b, uint32_t addr)
{
	for (int i = 0; i < b->nregions; i++)
		if (addr - b->regions[i].base < b->regions[i].len)
			return &b->regions[i];
	return NULL;
}

static bool mmio_claimed(const struct mmiobus *b, const struct bus_region *r)
{
	for (int i = 0; i < b->nregions; i++)
		if (overlap(r->base, r->len, b->regions[i].base, b->regions[i].len))
			return true;
	return false;
}

int mmiobus_register_all(struct mmiobus *b, const void *owner, const struct bus_region *r,
			 unsigned n)
{
	if (!ranges_valid(r, n, (unsigned)(MMIOBUS_MAX_REGIONS - b->nregions), 1ull << 32))
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (mmio_claimed(b, &r[i]))
			return -1;
	for (unsigned i = 0; i < n; i++) {
		b->regions[b->nregions] = r[i];
		b->regions[b->nregions++].owner = owner;
	}
	return 0;
}

int mmiobus_register(struct mmiobus *b, const char *name, uint32_t base, uint32_t len,
		     bus_read_fn rd, bus_write_fn wr, void *opaque)
{
	struct bus_region r = { name, base, len, rd, wr, opaque, opaque };
	return mmiobus_register_all(b, opaque, &r, 1);
}

int mmiobus_unregister(struct mmiobus *b, uint32_t base)
{
	for (int i = 0; i < b->nregions; i++) {
		if (b->regions[i].base == base) {
			b->regions[i] = b->regions[--b->nregions];
			return 0;
		}
	}
	return -1;
}

unsigned mmiobus_unregister_owner(struct mmiobus *b, const void *owner)
{
	unsigned removed = 0;
	for (int i = b->nregions - 1; i >= 0; i--) {
		if (b->regions[i].owner == owner) {
			b->regions[i] = b->regions[--b->nregions];
			removed++;
		}
	}
	return removed;
}

bool mmiobus_read(struct mmiobus *b, uint32_t addr, int size, uint32_t *val)
{
	struct bus_region *r = mmio_find(b, addr);
	if (!r || !r->read) {
		*val = ones(size);
		return false;
	}
	*val = r->read(r->opaque, addr, size) & ones(size);
	return true;
}

bool mmiobus_write(struct mmiobus *b, uint32_t addr, int size, uint32_t val)
{
	struct bus_region *r = mmio_find(b, addr);
	if (!r || !r->write)
		return false;
	r->write(r->opaque, addr, size, val & ones(size));
	return true;
}
