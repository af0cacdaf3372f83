/*
 * ModRM operand access.  Register operands and memory operands share one
 * interface so handlers are written once per operation, not once per
 * operand kind.
 */
#include "engine/soft/cpu.h"
#include "engine/soft/operand.h"

uint8_t rm_read8(struct cpu *c, const struct insn *i)
{
	if (i->mod == 3)
		return reg8(c, i->rm);
	return vread8(c, i->seg, insn_ea(c, i));
}

uint16_t rm_read16(struct cpu *c, const struct insn *i)
{
	if (i->mod == 3)
		return (uint16_t)c->r[i->rm];
	return vread16(c, i->seg, insn_ea(c, i));
}

uint32_t rm_read32(struct cpu *c, const struct insn *i)
{
	if (i->mod == 3)
		return c->r[i->rm];
	return vread32(c, i->seg, insn_ea(c, i));
}

uint32_t rm_read_op(struct cpu *c, const struct insn *i)
{
	return i->op32 ? rm_read32(c, i) : rm_read16(c, i);
}

void rm_write8(struct cpu *c, const struct insn *i, uint8_t v)
{
	if (i->mod == 3)
		set_reg8(c, i->rm, v);
	else
		vwrite8(c, i->seg, insn_ea(c, i), v);
}

void rm_write16(struct cpu *c, const struct insn *i, uint16_t v)
{
	if (i->mod == 3)
		set_reg16(c, i->rm, v);
	else
		vwrite16(c, i->seg, insn_ea(c, i), v);
}

void rm_write32(struct cpu *c, const struct insn *i, uint32_t v)
{
	if (i->mod == 3)
		c->r[i->rm] = v;
	else
		vwrite32(c, i->seg, insn_ea(c, i), v);
}

void rm_write_op(struct cpu *c, const struct insn *i, uint32_t v)
{
	if (i->op32)
		rm_write32(c, i, v);
	else
		rm_write16(c, i, (uint16_t)v);
}

uint32_t rm_read_sz(struct cpu *c, const struct insn *i, int size)
{
	switch (size) {
	case 1: return rm_read8(c, i);
	case 2: return rm_read16(c, i);
	default: return rm_read32(c, i);
	}
}

void rm_write_sz(struct cpu *c, const struct insn *i, int size, uint32_t v)
{
	switch (size) {
	case 1: rm_write8(c, i, (uint8_t)v); break;
	case 2: rm_write16(c, i, (uint16_t)v); break;
	default: rm_write32(c, i, v); break;
	}
}

uint32_t reg_read_sz(const struct cpu *c, int r, int size)
{
	switch (size) {
	case 1: return reg8(c, r);
	case 2: return (uint16_t)c->r[r];
	default: return c->r[r];
	}
}

void reg_write_sz(struct cpu *c, int r, int size, uint32_t v)
{
	switch (size) {
	case 1: set_reg8(c, r, (uint8_t)v); break;
	case 2: set_reg16(c, r, (uint16_t)v); break;
	default: c->r[r] = v; break;
	}
}

static uint8_t *reg_ptr(struct cpu *c, int r, int size)
{
	if (size == 1 && r >= 4)
		return (uint8_t *)&c->r[r - 4] + 1; /* AH..BH (little-endian host) */
	return (uint8_t *)&c->r[r];
}

/* Fixed-size copies compile to single moves; a variable-size memcpy would
 * be a library call on the hottest path of the interpreter. */
static inline uint32_t load_sz(const uint8_t *p, int size)
{
	uint16_t w;
	uint32_t d;
	switch (size) {
	case 1: return *p;
	case 2: memcpy(&w, p, 2); return w;
	default: memcpy(&d, p, 4); return d;
	}
}

static inline void store_sz(uint8_t *p, int size, uint32_t v)
{
	uint16_t w = (uint16_t)v;
	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: memcpy(p, &w, 2); break;
	default: memcpy(p, &v, 4); break;
	}
}

uint32_t rmw_begin(struct cpu *c, const struct insn *i, int size, struct rmw *t)
{
	if (i->mod == 3) {
		t->host = reg_ptr(c, i->rm, size);
		return load_sz(t->host, size);
	}
	t->off = insn_ea(c, i);
	t->host = vptr_write(c, i->seg, t->off, (uint32_t)size);
	if (t->host)
		return load_sz(t->host, size);
	/* Page-crossing or MMIO: check the whole write first, then read. */
	vcheck_write(c, i->seg, t->off, (uint32_t)size);
	switch (size) {
	case 1: return vread8(c, i->seg, t->off);
	case 2: return vread16(c, i->seg, t->off);
	default: return vread32(c, i->seg, t->off);
	}
}

void rmw_end(struct cpu *c, const struct insn *i, int size, struct rmw *t, uint32_t v)
{
	if (t->host) {
		store_sz(t->host, size, v);
		return;
	}
	switch (size) {
	case 1: vwrite8(c, i->seg, t->off, (uint8_t)v); break;
	case 2: vwrite16(c, i->seg, t->off, (uint16_t)v); break;
	default: vwrite32(c, i->seg, t->off, v); break;
	}
}
