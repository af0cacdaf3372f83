/*
 * A tiny x86-64 assembler for the block translator (jit.c): just the
 * instruction forms the translator emits, each as one function.
 *
 * Registers are numbered as in the encoding (0 RAX .. 15 R15).  Memory
 * operands are base + index*scale + disp; the translator's only bases are
 * RBX (the struct cpu pointer), RAX and RCX, and the encoder always emits
 * a displacement (disp8 or disp32), which sidesteps the RBP/R13 special
 * case, and a SIB byte where RSP/R12 or an index needs one.
 *
 * Writing past the end of the buffer sets `overflow` instead; the
 * translator then throws the block's code away.
 */
#ifndef CORDON_ENGINE_SOFT_JIT_EMIT_H
#define CORDON_ENGINE_SOFT_JIT_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/soft/x86.h"

enum { X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI, X_R8, X_R9, X_R10, X_R11, X_R12 };
#define X_NOINDEX (-1)

/* Conditions (CC_*) and ALU operations (ALU_*) are numbered as the
 * encoding numbers them: x86.h, shared with the guest's decoder. */

struct emit {
	uint8_t *p, *end;
	bool overflow;
};

struct xmem {
	int base, index, scale; /* scale: shift count 0-3 */
	int32_t disp;
};

static inline struct xmem xm(int base, int32_t disp)
{
	return (struct xmem){ base, X_NOINDEX, 0, disp };
}

static inline struct xmem xmi(int base, int index, int scale, int32_t disp)
{
	return (struct xmem){ base, index, scale, disp };
}

static inline void x_byte(struct emit *e, uint8_t b)
{
	if (e->p < e->end)
		*e->p++ = b;
	else
		e->overflow = true;
}

static inline void x_u32(struct emit *e, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		x_byte(e, (uint8_t)(v >> (8 * k)));
}

static inline void x_u64(struct emit *e, uint64_t v)
{
	x_u32(e, (uint32_t)v);
	x_u32(e, (uint32_t)(v >> 32));
}

/* REX prefix when needed; `byte_reg` forces one for SPL..DIL. */
static inline void x_rex(struct emit *e, bool w, int reg, int index, int base, bool byte_reg)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index >= 0 && (index & 8)) ? 2 : 0) |
				((base & 8) ? 1 : 0));
	if (rex != 0x40 || (byte_reg && reg >= 4 && reg < 8))
		x_byte(e, rex);
}

/* Opcode of one or two bytes (0x0Fxx). */
static inline void x_opcode(struct emit *e, unsigned op)
{
	if (op > 0xff)
		x_byte(e, (uint8_t)(op >> 8));
	x_byte(e, (uint8_t)op);
}

static inline void x_modrm_mem(struct emit *e, int reg, struct xmem m)
{
	bool d8 = m.disp >= -128 && m.disp <= 127;
	uint8_t mod = d8 ? 0x40 : 0x80;
	if (m.index != X_NOINDEX || (m.base & 7) == X_RSP) {
		int idx = m.index == X_NOINDEX ? X_RSP : m.index; /* index 100b = none */
		x_byte(e, (uint8_t)(mod | ((reg & 7) << 3) | 4));
		x_byte(e, (uint8_t)((m.scale << 6) | ((idx & 7) << 3) | (m.base & 7)));
	} else {
		x_byte(e, (uint8_t)(mod | ((reg & 7) << 3) | (m.base & 7)));
	}
	if (d8)
		x_byte(e, (uint8_t)m.disp);
	else
		x_u32(e, (uint32_t)m.disp);
}

/* op reg, [mem] (or [mem], reg: the direction is in the opcode). */
static inline void x_op_rm(struct emit *e, bool w, unsigned op, int reg, struct xmem m, bool byte_reg)
{
	x_rex(e, w, reg, m.index, m.base, byte_reg);
	x_opcode(e, op);
	x_modrm_mem(e, reg, m);
}

/* op reg, reg (ModRM mod 3; `rm` is the r/m operand). */
static inline void x_op_rr(struct emit *e, bool w, unsigned op, int reg, int rm)
{
	x_rex(e, w, reg, X_NOINDEX, rm, false);
	x_opcode(e, op);
	x_byte(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

static inline void x_load32(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x8b, r, m, false); }
static inline void x_load64(struct emit *e, int r, struct xmem m) { x_op_rm(e, true, 0x8b, r, m, false); }
static inline void x_store32(struct emit *e, struct xmem m, int r) { x_op_rm(e, false, 0x89, r, m, false); }
static inline void x_store8(struct emit *e, struct xmem m, int r) { x_op_rm(e, false, 0x88, r, m, true); }
static inline void x_store16(struct emit *e, struct xmem m, int r)
{
	x_byte(e, 0x66);
	x_op_rm(e, false, 0x89, r, m, false);
}
static inline void x_movzx8(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x0fb6, r, m, false); }
static inline void x_movzx16(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x0fb7, r, m, false); }
static inline void x_movsx8(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x0fbe, r, m, false); }
static inline void x_movsx16(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x0fbf, r, m, false); }
static inline void x_lea32(struct emit *e, int r, struct xmem m) { x_op_rm(e, false, 0x8d, r, m, false); }
static inline void x_lea64(struct emit *e, int r, struct xmem m) { x_op_rm(e, true, 0x8d, r, m, false); }

static inline void x_store_imm32(struct emit *e, struct xmem m, uint32_t imm)
{
	x_op_rm(e, false, 0xc7, 0, m, false);
	x_u32(e, imm);
}
static inline void x_store_imm16(struct emit *e, struct xmem m, uint16_t imm)
{
	x_byte(e, 0x66);
	x_op_rm(e, false, 0xc7, 0, m, false);
	x_byte(e, (uint8_t)imm);
	x_byte(e, (uint8_t)(imm >> 8));
}
static inline void x_store_imm8(struct emit *e, struct xmem m, uint8_t imm)
{
	x_op_rm(e, false, 0xc6, 0, m, false);
	x_byte(e, imm);
}

/* ALU op: reg, [mem] (opcodes 03 0B .. 3B). */
static inline void x_alu_r_m(struct emit *e, int alu, int r, struct xmem m) { x_op_rm(e, false, (unsigned)(alu * 8 + 3), r, m, false); }
/* ALU op: dst, src (opcodes 01 09 .. 39, r/m = dst). */
static inline void x_alu_rr(struct emit *e, int alu, int dst, int src) { x_op_rr(e, false, (unsigned)(alu * 8 + 1), src, dst); }
static inline void x_alu64_rr(struct emit *e, int alu, int dst, int src) { x_op_rr(e, true, (unsigned)(alu * 8 + 1), src, dst); }
/* ALU op: reg, imm32 (81 /alu, or 83 for a byte-sized immediate). */
static inline void x_alu_ri(struct emit *e, int alu, int r, uint32_t imm)
{
	int32_t s = (int32_t)imm;
	bool i8 = s >= -128 && s <= 127;
	x_op_rr(e, false, i8 ? 0x83 : 0x81, alu, r);
	if (i8)
		x_byte(e, (uint8_t)imm);
	else
		x_u32(e, imm);
}
/* ALU op on a 64-bit memory operand with a small immediate (icount). */
static inline void x_alu64_m_imm8(struct emit *e, int alu, struct xmem m, int8_t imm)
{
	x_op_rm(e, true, 0x83, alu, m, false);
	x_byte(e, (uint8_t)imm);
}
static inline void x_cmp_m8_imm(struct emit *e, struct xmem m, uint8_t imm)
{
	x_op_rm(e, false, 0x80, ALU_CMP, m, false);
	x_byte(e, imm);
}
static inline void x_test_m8_imm(struct emit *e, struct xmem m, uint8_t imm)
{
	x_op_rm(e, false, 0xf6, 0, m, false);
	x_byte(e, imm);
}
static inline void x_test_rr(struct emit *e, int a, int b) { x_op_rr(e, false, 0x85, b, a); }
static inline void x_mov_rr(struct emit *e, int dst, int src) { x_op_rr(e, false, 0x89, src, dst); }
static inline void x_mov_ri(struct emit *e, int r, uint32_t imm)
{
	x_rex(e, false, 0, X_NOINDEX, r, false);
	x_byte(e, (uint8_t)(0xb8 + (r & 7)));
	x_u32(e, imm);
}
static inline void x_movabs(struct emit *e, int r, uint64_t imm)
{
	x_rex(e, true, 0, X_NOINDEX, r, false);
	x_byte(e, (uint8_t)(0xb8 + (r & 7)));
	x_u64(e, imm);
}
/* Shift r32 by an immediate: ext 4 SHL, 5 SHR, 7 SAR. */
static inline void x_shift_ri(struct emit *e, int ext, int r, uint8_t n)
{
	x_op_rr(e, false, 0xc1, ext, r);
	x_byte(e, n);
}
static inline void x_movzx_r8(struct emit *e, int dst, int src8) { x_op_rr(e, false, 0x0fb6, dst, src8); }
static inline void x_setcc(struct emit *e, int cc, int r8) { x_op_rr(e, false, (unsigned)(0x0f90 + cc), 0, r8); }

static inline void x_push(struct emit *e, int r)
{
	x_rex(e, false, 0, X_NOINDEX, r, false);
	x_byte(e, (uint8_t)(0x50 + (r & 7)));
}
static inline void x_pop(struct emit *e, int r)
{
	x_rex(e, false, 0, X_NOINDEX, r, false);
	x_byte(e, (uint8_t)(0x58 + (r & 7)));
}
static inline void x_ret(struct emit *e) { x_byte(e, 0xc3); }

/* call through RAX to an absolute address (code memory is not within
 * rel32 reach of the binary). */
static inline void x_call_abs(struct emit *e, const void *fn)
{
	x_movabs(e, X_RAX, (uint64_t)(uintptr_t)fn);
	x_byte(e, 0xff);
	x_byte(e, 0xd0);
}

/* Forward jumps: each returns the position of its rel32, to patch. */
static inline uint8_t *x_jmp(struct emit *e)
{
	x_byte(e, 0xe9);
	uint8_t *at = e->p;
	x_u32(e, 0);
	return at;
}
static inline uint8_t *x_jcc(struct emit *e, int cc)
{
	x_byte(e, 0x0f);
	x_byte(e, (uint8_t)(0x80 + cc));
	uint8_t *at = e->p;
	x_u32(e, 0);
	return at;
}
/* Points the rel32 at `at` to target (both in the write view; the
 * distance is the same in the execute view). */
static inline void x_patch(struct emit *e, uint8_t *at, const uint8_t *target)
{
	if (e->overflow || !at)
		return;
	int32_t rel = (int32_t)(target - (at + 4));
	memcpy(at, &rel, 4);
}
/* Backward jump to a known position. */
static inline void x_jmp_to(struct emit *e, const uint8_t *target)
{
	uint8_t *at = x_jmp(e);
	x_patch(e, at, target);
}

#endif
