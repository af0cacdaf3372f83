/* Size-generic operand helpers shared by the integer instruction files. */
#ifndef CORDON_ENGINE_SOFT_OPERAND_H
#define CORDON_ENGINE_SOFT_OPERAND_H

#include <string.h>

#include "engine/soft/cpu.h"

/* Operand size in bytes of a non-byte instruction. */
static inline int opsize(const struct insn *i)
{
	return i->op32 ? 4 : 2;
}

static inline uint32_t mask_of(int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static inline uint32_t msb_of(int size)
{
	return 1u << (size * 8 - 1);
}

/* Sign-extends the low size bytes of v. */
static inline int32_t sext(uint32_t v, int size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	default: return (int32_t)v;
	}
}

/* Near branch to target: truncated to 16 bits for a 16-bit operand size,
 * #GP(0) outside CS. */
static inline void near_jump(struct cpu *c, const struct insn *i, uint32_t target)
{
	if (!i->op32)
		target &= 0xffff;
	if (target > c->seg[SR_CS].limit)
		cpu_gp(c, 0);
	c->next_eip = target;
}

uint32_t rm_read_sz(struct cpu *c, const struct insn *i, int size);
void rm_write_sz(struct cpu *c, const struct insn *i, int size, uint32_t v);
uint32_t reg_read_sz(const struct cpu *c, int r, int size);
void reg_write_sz(struct cpu *c, int r, int size, uint32_t v);

/*
 * Read-modify-write of the r/m operand.  rmw_begin performs every check a
 * write needs (segment, page, dirty bit) before reading, so an instruction
 * that faults leaves memory, registers and flags as they were.
 */
struct rmw {
	uint8_t *host;
	uint32_t off;
};
uint32_t rmw_begin(struct cpu *c, const struct insn *i, int size, struct rmw *t);
void rmw_end(struct cpu *c, const struct insn *i, int size, struct rmw *t, uint32_t v);

/* Host pointer for writing size bytes at sreg:off after all write checks,
 * or NULL when the access crosses a page or is not RAM (mem.c). */
uint8_t *vptr_write(struct cpu *c, int sreg, uint32_t off, uint32_t size);
uint8_t *vptr_read(struct cpu *c, int sreg, uint32_t off, uint32_t size);

#endif
