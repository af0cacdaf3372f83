/*
 * Specialised handlers for the most frequent 32-bit forms: the fast_r and
 * fast_m columns of the instruction table (insn.def), which the decoder
 * puts in place of the row's generic handler for a 32-bit operand.  They
 * skip the dispatch on size and register-vs-memory that the decoder has
 * already resolved; each has exactly the semantics of the generic handler
 * it replaces (the native oracle tests cover both).
 */
#include "engine/soft/alu.h"
#include "engine/soft/insn.h"
#include "engine/soft/ops.h"

OP(fast_mov_rm_r_reg) { c->r[i->rm] = c->r[i->reg]; }
OP(fast_mov_r_rm_reg) { c->r[i->reg] = c->r[i->rm]; }
OP(fast_mov_rm_r_mem) { vwrite32(c, i->seg, insn_ea(c, i), c->r[i->reg]); }
OP(fast_mov_r_rm_mem) { c->r[i->reg] = vread32(c, i->seg, insn_ea(c, i)); }
OP(fast_lea) { c->r[i->reg] = insn_ea(c, i); }

/* reg-reg ALU: alu() with the operation a constant; CMP only reads. */
static inline void alu_rr(struct cpu *c, int op, uint32_t *dst, uint32_t b)
{
	uint32_t r = alu(c, op, *dst, b, 4);
	if (op != ALU_CMP)
		*dst = r;
}

/*
 * One handler per operation and form, so the operation is fixed at decode
 * time instead of being a second, data-dependent jump at run time.
 */
#define ALU_FORMS(name, op)                                                     \
	OP(fast_##name##_rm_r) { alu_rr(c, op, &c->r[i->rm], c->r[i->reg]); } \
	OP(fast_##name##_r_rm) { alu_rr(c, op, &c->r[i->reg], c->r[i->rm]); } \
	OP(fast_##name##_ri) { alu_rr(c, op, &c->r[i->rm], i->imm); }          \
	OP(fast_##name##_r_m) { alu_rr(c, op, &c->r[i->reg], vread32(c, i->seg, insn_ea(c, i))); }
ALU_FORMS(add, ALU_ADD)
ALU_FORMS(or, ALU_OR)
ALU_FORMS(and, ALU_AND)
ALU_FORMS(sub, ALU_SUB)
ALU_FORMS(xor, ALU_XOR)
ALU_FORMS(cmp, ALU_CMP)
#undef ALU_FORMS

OP(fast_test_rr)
{
	uint32_t r = c->r[i->rm] & c->r[i->reg];
	lazy_set(c, LF_LOGIC, 4, r, r, r);
}

/* ADC/SBB register forms: the row says which. */
OP(fast_adcsbb_rm_r) { c->r[i->rm] = alu(c, idef(i)->arg, c->r[i->rm], c->r[i->reg], 4); }
OP(fast_adcsbb_r_rm) { c->r[i->reg] = alu(c, idef(i)->arg, c->r[i->reg], c->r[i->rm], 4); }

/* SHL/SHR/SAR of a 32-bit register by an immediate count (C1, D1), one
 * handler each.  A count of 0 (after masking) changes nothing. */
OP(fast_shl_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	uint32_t a = c->r[i->rm], r = a << n;
	bool cf = (a >> (32 - n)) & 1;
	lazy_szp_co(c, 4, r, cf, (r >> 31) ^ cf);
	c->r[i->rm] = r;
}

OP(fast_shr_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	uint32_t a = c->r[i->rm], r = a >> n;
	lazy_szp_co(c, 4, r, (a >> (n - 1)) & 1, a >> 31);
	c->r[i->rm] = r;
}

OP(fast_sar_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	int32_t a = (int32_t)c->r[i->rm];
	uint32_t r = (uint32_t)(a >> n);
	lazy_szp_co(c, 4, r, (a >> (n - 1)) & 1, false);
	c->r[i->rm] = r;
}

/* MUL r/m32: EDX:EAX = EAX * src; CF = OF = (EDX != 0). */
OP(fast_mul32)
{
	uint32_t src = i->mod == 3 ? c->r[i->rm] : vread32(c, i->seg, insn_ea(c, i));
	uint64_t v = (uint64_t)c->r[R_EAX] * src;
	uint32_t hi = (uint32_t)(v >> 32);
	c->r[R_EAX] = (uint32_t)v;
	c->r[R_EDX] = hi;
	lazy_szp_co(c, 4, (uint32_t)v, hi != 0, hi != 0);
}

OP(fast_imul_r_rm32)
{
	uint32_t b = i->mod == 3 ? c->r[i->rm] : vread32(c, i->seg, insn_ea(c, i));
	int64_t v = (int64_t)(int32_t)c->r[i->reg] * (int32_t)b;
	lazy_szp_co(c, 4, (uint32_t)v, v != (int32_t)v, v != (int32_t)v);
	c->r[i->reg] = (uint32_t)v;
}

OP(fast_movzx8_m) { c->r[i->reg] = vread8(c, i->seg, insn_ea(c, i)); }
OP(fast_movzx16_m) { c->r[i->reg] = vread16(c, i->seg, insn_ea(c, i)); }
OP(fast_movzx8_r) { c->r[i->reg] = reg8(c, i->rm); }
OP(fast_movzx16_r) { c->r[i->reg] = (uint16_t)c->r[i->rm]; }
