/*
 * A small x86-64 assembler for the block translator (jit*.c): the
 * instruction forms the translator emits, each as one function.
 *
 * Registers are numbered as in the encoding (0 RAX .. 15 R15).  An
 * operand is a register or memory, base + index*scale + disp (struct
 * xrm).  Operand sizes are 1, 2, 4 or 8 bytes; at size 1, registers 4-7
 * are AH, CH, DH, BH (the guest's byte registers, which the translator
 * keeps in RAX..RBX), so an instruction that also names R8-R15 or needs
 * REX.W cannot name them: the assembler refuses such an instruction by
 * setting `overflow`, and the emitters avoid it (x_byte_ok).
 *
 * The encoder always emits a displacement for memory operands (disp8 or
 * disp32), which sidesteps the RBP/R13 special case, and a SIB byte where
 * RSP/R12 or an index needs one.  Writing past the end of the buffer sets
 * `overflow` too; the translator then throws the block's code away.
 */
#ifndef CORDON_ENGINE_SOFT_JIT_EMIT_H
#define CORDON_ENGINE_SOFT_JIT_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/soft/x86.h"

enum { X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
       X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15 };
#define X_NOINDEX (-1)

/* Conditions (CC_*) and ALU operations (ALU_*) are numbered as the
 * encoding numbers them: x86.h, shared with the guest's decoder. */

struct emit {
	uint8_t *p, *end;
	bool overflow;
};

/* A register (mem false) or a memory operand. */
struct xrm {
	bool mem;
	int reg;               /* the register, when !mem */
	int base, index, scale; /* scale: shift count 0-3 */
	int32_t disp;
};

static inline struct xrm xr(int reg)
{
	return (struct xrm){ false, reg, 0, X_NOINDEX, 0, 0 };
}

static inline struct xrm xm(int base, int32_t disp)
{
	return (struct xrm){ true, 0, base, X_NOINDEX, 0, disp };
}

static inline struct xrm xmi(int base, int index, int scale, int32_t disp)
{
	return (struct xrm){ true, 0, base, index, scale, disp };
}

static inline void x_byte(struct emit *e, uint8_t b)
{
	if (e->p < e->end)
		*e->p++ = b;
	else
		e->overflow = true;
}

static inline void x_u16(struct emit *e, uint16_t v)
{
	x_byte(e, (uint8_t)v);
	x_byte(e, (uint8_t)(v >> 8));
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

/* Do register r (a byte register if r_byte; -1: none) and operand rm
 * (byte if rm_byte) encode together?  A byte register AH..BH (4-7) rules
 * out a REX prefix, which R8-R15 and REX.W need. */
static inline bool x_encodes(int r, bool r_byte, struct xrm rm, bool rm_byte, bool w)
{
	bool high = (r_byte && r >= 4 && r < 8) || (rm_byte && !rm.mem && rm.reg >= 4 && rm.reg < 8);
	bool rex = w || r >= 8 || (rm.mem ? (rm.base >= 8 || rm.index >= 8) : rm.reg >= 8);
	return !(high && rex);
}

/* The same for an instruction of `size` bytes naming register r. */
static inline bool x_byte_ok(int size, int r, struct xrm rm)
{
	return x_encodes(r, size == 1, rm, size == 1, size == 8);
}

/* Prefixes, opcode (one byte, or 0x0Fxx), ModRM/SIB/displacement. */
static inline void x_encode(struct emit *e, bool p66, bool w, unsigned op, int r, bool r_byte, struct xrm rm, bool rm_byte)
{
	if (!x_encodes(r, r_byte, rm, rm_byte, w)) {
		e->overflow = true; /* an emitter bug: refuse the block */
		return;
	}
	if (p66)
		x_byte(e, 0x66);
	int b = rm.mem ? rm.base : rm.reg;
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((r & 8) ? 4 : 0) |
				((rm.mem && rm.index >= 0 && (rm.index & 8)) ? 2 : 0) | ((b & 8) ? 1 : 0));
	if (rex != 0x40)
		x_byte(e, rex);
	if (op > 0xff)
		x_byte(e, (uint8_t)(op >> 8));
	x_byte(e, (uint8_t)op);
	if (!rm.mem) {
		x_byte(e, (uint8_t)(0xc0 | ((r & 7) << 3) | (rm.reg & 7)));
		return;
	}
	bool d8 = rm.disp >= -128 && rm.disp <= 127;
	uint8_t mod = d8 ? 0x40 : 0x80;
	if (rm.index != X_NOINDEX || (rm.base & 7) == X_RSP) {
		int idx = rm.index == X_NOINDEX ? X_RSP : rm.index; /* index 100b = none */
		x_byte(e, (uint8_t)(mod | ((r & 7) << 3) | 4));
		x_byte(e, (uint8_t)((rm.scale << 6) | ((idx & 7) << 3) | (rm.base & 7)));
	} else {
		x_byte(e, (uint8_t)(mod | ((r & 7) << 3) | (rm.base & 7)));
	}
	if (d8)
		x_byte(e, (uint8_t)rm.disp);
	else
		x_u32(e, (uint32_t)rm.disp);
}

/* op r, rm (or rm, r: the direction is in the opcode), both of `size`. */
static inline void x_rm(struct emit *e, int size, unsigned op, int r, struct xrm rm)
{
	x_encode(e, size == 2, size == 8, op, r, size == 1, rm, size == 1);
}

/* op /digit, rm of `size`. */
static inline void x_ext(struct emit *e, int size, unsigned op, int digit, struct xrm rm)
{
	x_encode(e, size == 2, size == 8, op, digit, false, rm, size == 1);
}

/* The immediate of an instruction of `size` bytes (imm32 for size 8). */
static inline void x_imm(struct emit *e, int size, uint32_t v)
{
	if (size == 1)
		x_byte(e, (uint8_t)v);
	else if (size == 2)
		x_u16(e, (uint16_t)v);
	else
		x_u32(e, v);
}

/* --- moves ------------------------------------------------------------- */

/* mov dst, src (dst a register; src register or memory). */
static inline void x_mov_r_rm(struct emit *e, int size, int dst, struct xrm src)
{
	x_rm(e, size, size == 1 ? 0x8a : 0x8b, dst, src);
}
/* mov dst, src (dst register or memory; src a register). */
static inline void x_mov_rm_r(struct emit *e, int size, struct xrm dst, int src)
{
	x_rm(e, size, size == 1 ? 0x88 : 0x89, src, dst);
}
static inline void x_mov_rm_imm(struct emit *e, int size, struct xrm dst, uint32_t imm)
{
	x_ext(e, size, size == 1 ? 0xc6 : 0xc7, 0, dst);
	x_imm(e, size == 8 ? 4 : size, imm);
}
static inline void x_mov_rr(struct emit *e, int dst, int src) { x_mov_rm_r(e, 4, xr(dst), src); }
static inline void x_mov64_rr(struct emit *e, int dst, int src) { x_mov_rm_r(e, 8, xr(dst), src); }
static inline void x_load32(struct emit *e, int r, struct xrm m) { x_mov_r_rm(e, 4, r, m); }
static inline void x_load64(struct emit *e, int r, struct xrm m) { x_mov_r_rm(e, 8, r, m); }
static inline void x_store32(struct emit *e, struct xrm m, int r) { x_mov_rm_r(e, 4, m, r); }
static inline void x_store64(struct emit *e, struct xrm m, int r) { x_mov_rm_r(e, 8, m, r); }
static inline void x_store_imm32(struct emit *e, struct xrm m, uint32_t imm) { x_mov_rm_imm(e, 4, m, imm); }
static inline void x_store_imm16(struct emit *e, struct xrm m, uint16_t imm) { x_mov_rm_imm(e, 2, m, imm); }
static inline void x_store_imm8(struct emit *e, struct xrm m, uint8_t imm) { x_mov_rm_imm(e, 1, m, imm); }
/* movzx / movsx r32, r/m8 or r/m16 (size = the source's). */
static inline void x_movzx(struct emit *e, int src_size, int dst, struct xrm src)
{
	x_encode(e, false, false, src_size == 1 ? 0x0fb6 : 0x0fb7, dst, false, src, src_size == 1);
}
static inline void x_movsx(struct emit *e, int src_size, int dst, struct xrm src)
{
	x_encode(e, false, false, src_size == 1 ? 0x0fbe : 0x0fbf, dst, false, src, src_size == 1);
}
static inline void x_lea32(struct emit *e, int r, struct xrm m) { x_rm(e, 4, 0x8d, r, m); }
static inline void x_lea64(struct emit *e, int r, struct xrm m) { x_rm(e, 8, 0x8d, r, m); }

static inline void x_mov_ri(struct emit *e, int r, uint32_t imm)
{
	if (r >= 8)
		x_byte(e, 0x41);
	x_byte(e, (uint8_t)(0xb8 + (r & 7)));
	x_u32(e, imm);
}
static inline void x_movabs(struct emit *e, int r, uint64_t imm)
{
	x_byte(e, (uint8_t)(0x48 | ((r & 8) ? 1 : 0)));
	x_byte(e, (uint8_t)(0xb8 + (r & 7)));
	x_u64(e, imm);
}

/* --- arithmetic --------------------------------------------------------- */

/* ALU op dst, src with dst register or memory and src a register
 * (opcodes 00-39). */
static inline void x_alu_rm_r(struct emit *e, int size, int alu, struct xrm dst, int src)
{
	x_rm(e, size, (unsigned)(alu * 8 + (size == 1 ? 0 : 1)), src, dst);
}
/* ALU op dst, src with dst a register and src register or memory. */
static inline void x_alu_r_rm(struct emit *e, int size, int alu, int dst, struct xrm src)
{
	x_rm(e, size, (unsigned)(alu * 8 + (size == 1 ? 2 : 3)), dst, src);
}
/* ALU op dst, imm (80 / 81 / 83). */
static inline void x_alu_rm_imm(struct emit *e, int size, int alu, struct xrm dst, uint32_t imm)
{
	int32_t s = (int32_t)imm;
	if (size == 1) {
		x_ext(e, 1, 0x80, alu, dst);
		x_byte(e, (uint8_t)imm);
	} else if (s >= -128 && s <= 127) {
		x_ext(e, size, 0x83, alu, dst);
		x_byte(e, (uint8_t)imm);
	} else {
		x_ext(e, size, 0x81, alu, dst);
		x_imm(e, size == 8 ? 4 : size, imm);
	}
}
static inline void x_alu_rr(struct emit *e, int alu, int dst, int src) { x_alu_rm_r(e, 4, alu, xr(dst), src); }
static inline void x_alu_ri(struct emit *e, int alu, int r, uint32_t imm) { x_alu_rm_imm(e, 4, alu, xr(r), imm); }
static inline void x_test_rm_r(struct emit *e, int size, struct xrm a, int b) { x_rm(e, size, size == 1 ? 0x84 : 0x85, b, a); }
static inline void x_test_rm_imm(struct emit *e, int size, struct xrm a, uint32_t imm)
{
	x_ext(e, size, size == 1 ? 0xf6 : 0xf7, 0, a);
	x_imm(e, size == 8 ? 4 : size, imm);
}
static inline void x_test_rr(struct emit *e, int a, int b) { x_test_rm_r(e, 4, xr(a), b); }
static inline void x_cmp_m8_imm(struct emit *e, struct xrm m, uint8_t imm) { x_alu_rm_imm(e, 1, ALU_CMP, m, imm); }
static inline void x_test_m8_imm(struct emit *e, struct xrm m, uint8_t imm) { x_test_rm_imm(e, 1, m, imm); }
/* Group 3 (F6/F7): 2 NOT, 3 NEG, 4 MUL, 5 IMUL, 6 DIV, 7 IDIV. */
static inline void x_grp3(struct emit *e, int size, int ext, struct xrm rm) { x_ext(e, size, size == 1 ? 0xf6 : 0xf7, ext, rm); }
/* Group 5 (FE/FF): 0 INC, 1 DEC. */
static inline void x_incdec(struct emit *e, int size, bool dec, struct xrm rm) { x_ext(e, size, size == 1 ? 0xfe : 0xff, dec, rm); }
/* Shift or rotate (kind as SH_*) by an immediate, by 1, or by CL. */
static inline void x_shift_imm(struct emit *e, int size, int kind, struct xrm rm, uint8_t n)
{
	x_ext(e, size, size == 1 ? 0xc0 : 0xc1, kind, rm);
	x_byte(e, n);
}
static inline void x_shift_cl(struct emit *e, int size, int kind, struct xrm rm) { x_ext(e, size, size == 1 ? 0xd2 : 0xd3, kind, rm); }
static inline void x_shift_ri(struct emit *e, int kind, int r, uint8_t n) { x_shift_imm(e, 4, kind, xr(r), n); }
static inline void x_setcc(struct emit *e, int cc, struct xrm rm8) { x_ext(e, 1, (unsigned)(0x0f90 + cc), 0, rm8); }

static inline void x_push(struct emit *e, int r)
{
	if (r >= 8)
		x_byte(e, 0x41);
	x_byte(e, (uint8_t)(0x50 + (r & 7)));
}
static inline void x_pop(struct emit *e, int r)
{
	if (r >= 8)
		x_byte(e, 0x41);
	x_byte(e, (uint8_t)(0x58 + (r & 7)));
}
static inline void x_pushfq(struct emit *e) { x_byte(e, 0x9c); }
static inline void x_popfq(struct emit *e) { x_byte(e, 0x9d); }
static inline void x_ret(struct emit *e) { x_byte(e, 0xc3); }

/* call / jmp through a register (absolute targets: code memory is not
 * within rel32 reach of the binary). */
static inline void x_call_r(struct emit *e, int r)
{
	if (r >= 8)
		x_byte(e, 0x41);
	x_byte(e, 0xff);
	x_byte(e, (uint8_t)(0xd0 | (r & 7)));
}
static inline void x_jmp_r(struct emit *e, int r)
{
	if (r >= 8)
		x_byte(e, 0x41);
	x_byte(e, 0xff);
	x_byte(e, (uint8_t)(0xe0 | (r & 7)));
}

/* Forward jumps and calls within code memory: each returns the position
 * of its rel32, to patch. */
static inline uint8_t *x_jmp(struct emit *e)
{
	x_byte(e, 0xe9);
	uint8_t *at = e->p;
	x_u32(e, 0);
	return at;
}
static inline uint8_t *x_call(struct emit *e)
{
	x_byte(e, 0xe8);
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
/* Jump or call to a known position. */
static inline void x_jmp_to(struct emit *e, const uint8_t *target)
{
	x_patch(e, x_jmp(e), target);
}
static inline void x_call_to(struct emit *e, const uint8_t *target)
{
	x_patch(e, x_call(e), target);
}

#endif
