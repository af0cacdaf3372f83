#include "dev/bus.h"

#include <string.h>

void iobus_init(struct iobus *b)
{
	memset(b, 0, sizeof(*b));
}

int iobus_register(struct iobus *b, const char *name, uint16_t base, uint32_t len,
		   bus_read_fn rd, bus_write_fn wr, void *opaque)
{
	if (b->nregions >= IOBUS_MAX_REGIONS || len == 0 || base + len > 65536)
		return -1;
	for (uint32_t p = base; p < base + len; p++)
		if (b->map[p])
			return -1;
	struct bus_region *r = &b->regions[b->nregions++];
	*r = (struct bus_region){ name, base, len, rd, wr, opaque };
	for (uint32_t p = base; p < base + len; p++)
		b->map[p] = (uint8_t)b->nregions;
	return 0;
}

/* The last region takes the freed slot, so the table stays dense and the
 * port map only needs rewriting for the ports of the two regions involved. */
int iobus_unregister(struct iobus *b, uint16_t base)
{
	uint8_t i = b->map[base];
	if (!i || b->regions[i - 1].base != base)
		return -1;
	struct bus_region *gone = &b->regions[i - 1];
	memset(&b->map[gone->base], 0, gone->len);
	struct bus_region *last = &b->regions[b->nregions - 1];
	if (last != gone) {
		*gone = *last;
		memset(&b->map[gone->base], i, gone->len);
	}
	b->nregions--;
	return 0;
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

int mmiobus_register(struct mmiobus *b, const char *name, uint32_t base, uint32_t len,
		     bus_read_fn rd, bus_write_fn wr, void *opaque)
{
	if (b->nregions >= MMIOBUS_MAX_REGIONS || len == 0 || base + (uint64_t)len > (1ull << 32))
		return -1;
	for (int i = 0; i < b->nregions; i++) {
		struct bus_region *r = &b->regions[i];
		if (base < r->base + (uint64_t)r->len && r->base < base + (uint64_t)len)
			return -1;
	}
	b->regions[b->nregions++] = (struct bus_region){ name, base, len, rd, wr, opaque };
	return 0;
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
