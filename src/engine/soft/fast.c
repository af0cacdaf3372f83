/*
 * Specialised handlers for the most frequent 32-bit forms.  The generic
 * handlers work for every operand size and kind; these skip the dispatch on
 * size and register-vs-memory that the decoder has already resolved.  Each
 * has exactly the semantics of the generic handler it replaces (the native
 * oracle tests cover both).
 */
#include "engine/soft/decode.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

static OP(fast_mov_rm_r_reg) { c->r[i->rm] = c->r[i->reg]; }
static OP(fast_mov_r_rm_reg) { c->r[i->reg] = c->r[i->rm]; }
static OP(fast_mov_rm_r_mem) { vwrite32(c, i->seg, insn_ea(c, i), c->r[i->reg]); }
static OP(fast_mov_r_rm_mem) { c->r[i->reg] = vread32(c, i->seg, insn_ea(c, i)); }
static OP(fast_lea32) { c->r[i->reg] = insn_ea(c, i); }
/* [base + disp32] with 32-bit addressing: the commonest memory operand. */
static OP(fast_mov_bd_r) { vwrite32(c, i->seg, c->r[i->base] + i->disp, c->r[i->reg]); }
static OP(fast_mov_r_bd) { c->r[i->reg] = vread32(c, i->seg, c->r[i->base] + i->disp); }

/* reg-reg ALU: i->rm is the destination for opcodes 01/09/.., i->reg for 03/0B/.. */
static inline void alu_rr(struct cpu *c, int op, uint32_t *dst, uint32_t b)
{
	uint32_t a = *dst, r;
	switch (op) {
	case 0: r = a + b; lazy_set(c, LF_ADD, 4, a, b, r); break;
	case 1: r = a | b; lazy_set(c, LF_LOGIC, 4, a, b, r); break;
	case 4: r = a & b; lazy_set(c, LF_LOGIC, 4, a, b, r); break;
	case 5: r = a - b; lazy_set(c, LF_SUB, 4, a, b, r); break;
	case 6: r = a ^ b; lazy_set(c, LF_LOGIC, 4, a, b, r); break;
	default: lazy_set(c, LF_SUB, 4, a, b, a - b); return; /* CMP */
	}
	*dst = r;
}

static OP(fast_alu_rm_r) { alu_rr(c, i->op >> 3, &c->r[i->rm], c->r[i->reg]); }
static OP(fast_alu_r_rm) { alu_rr(c, i->op >> 3, &c->r[i->reg], c->r[i->rm]); }
static OP(fast_grp1_reg) { alu_rr(c, i->reg, &c->r[i->rm], i->imm); }

static OP(fast_test_rr)
{
	uint32_t r = c->r[i->rm] & c->r[i->reg];
	lazy_set(c, LF_LOGIC, 4, r, r, r);
}

static OP(fast_alu_r_m32) { alu_rr(c, i->op >> 3, &c->r[i->reg], vread32(c, i->seg, insn_ea(c, i))); }

/* ADC/SBB register forms: the carry in is read before the flags change. */
static inline void adc_sbb_rr(struct cpu *c, bool sub, uint32_t *dst, uint32_t b)
{
	uint32_t a = *dst, cin = flag_cf(c);
	uint32_t r = sub ? a - b - cin : a + b + cin;
	c->lf_cin = (uint8_t)cin;
	lazy_set(c, sub ? LF_SBB : LF_ADC, 4, a, b, r);
	*dst = r;
}

static OP(fast_adcsbb_rm_r) { adc_sbb_rr(c, i->op >= 0x18, &c->r[i->rm], c->r[i->reg]); }
static OP(fast_adcsbb_r_rm) { adc_sbb_rr(c, i->op >= 0x18, &c->r[i->reg], c->r[i->rm]); }

/* SHL/SHR/SAR of a 32-bit register by an immediate count (C1, D1). */
static OP(fast_shift_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	uint32_t a = c->r[i->rm], r;
	bool cf, of;
	switch (i->reg) {
	case 4: /* SHL */
	case 6:
		r = a << n;
		cf = (a >> (32 - n)) & 1;
		of = (r >> 31) ^ cf;
		break;
	case 5: /* SHR */
		r = a >> n;
		cf = (a >> (n - 1)) & 1;
		of = a >> 31;
		break;
	default: /* SAR */
		r = (uint32_t)((int32_t)a >> n);
		cf = ((int32_t)a >> (n - 1)) & 1;
		of = false;
		break;
	}
	lazy_szp_co(c, 4, r, cf, of);
	c->r[i->rm] = r;
}

/* MUL r/m32: EDX:EAX = EAX * src; CF = OF = (EDX != 0). */
static OP(fast_mul32)
{
	uint32_t src = i->mod == 3 ? c->r[i->rm] : vread32(c, i->seg, insn_ea(c, i));
	uint64_t v = (uint64_t)c->r[R_EAX] * src;
	uint32_t hi = (uint32_t)(v >> 32);
	c->r[R_EAX] = (uint32_t)v;
	c->r[R_EDX] = hi;
	lazy_szp_co(c, 4, (uint32_t)v, hi != 0, hi != 0);
}

static OP(fast_imul_r_rm32)
{
	uint32_t b = i->mod == 3 ? c->r[i->rm] : vread32(c, i->seg, insn_ea(c, i));
	int64_t v = (int64_t)(int32_t)c->r[i->reg] * (int32_t)b;
	lazy_szp_co(c, 4, (uint32_t)v, v != (int32_t)v, v != (int32_t)v);
	c->r[i->reg] = (uint32_t)v;
}

static OP(fast_movzx8_m) { c->r[i->reg] = vread8(c, i->seg, insn_ea(c, i)); }
static OP(fast_movzx16_m) { c->r[i->reg] = vread16(c, i->seg, insn_ea(c, i)); }
static OP(fast_movzx8_r) { c->r[i->reg] = reg8(c, i->rm); }
static OP(fast_movzx16_r) { c->r[i->reg] = (uint16_t)c->r[i->rm]; }

static bool fast_alu_op(int op)
{
	return op != 2 && op != 3; /* not ADC/SBB: they read CF */
}

static bool base_disp(const struct insn *i)
{
	return i->a32 && i->mod != 3 && i->base != REG_NONE && i->index == REG_NONE;
}

void decode_specialize(struct insn *i)
{
	if (!i->op32 || (i->flags & INSN_LOCK))
		return;
	bool reg = i->mod == 3;
	switch (i->op) {
	case 0x89:
		i->fn = reg ? fast_mov_rm_r_reg : base_disp(i) ? fast_mov_bd_r : fast_mov_rm_r_mem;
		return;
	case 0x8b:
		i->fn = reg ? fast_mov_r_rm_reg : base_disp(i) ? fast_mov_r_bd : fast_mov_r_rm_mem;
		return;
	case 0x8d: if (i->a32 && !reg) i->fn = fast_lea32; return;
	case 0x85: if (reg) i->fn = fast_test_rr; return;
	case 0xc1: case 0xd1:
		if (reg && i->reg >= 4)
			i->fn = fast_shift_ri;
		return;
	case 0xf7:
		if (i->reg == 4)
			i->fn = fast_mul32;
		return;
	case 0x1af:
		i->fn = fast_imul_r_rm32;
		return;
	case 0x1b6:
		i->fn = reg ? fast_movzx8_r : fast_movzx8_m;
		return;
	case 0x1b7:
		i->fn = reg ? fast_movzx16_r : fast_movzx16_m;
		return;
	case 0x11: case 0x19:
		if (reg)
			i->fn = fast_adcsbb_rm_r;
		return;
	case 0x13: case 0x1b:
		if (reg)
			i->fn = fast_adcsbb_r_rm;
		return;
	case 0x83: case 0x81:
		if (reg && fast_alu_op(i->reg))
			i->fn = fast_grp1_reg;
		return;
	}
	if (i->op < 0x40 && fast_alu_op(i->op >> 3)) {
		if ((i->op & 7) == 1 && reg)
			i->fn = fast_alu_rm_r;
		else if ((i->op & 7) == 3)
			i->fn = reg ? fast_alu_r_rm : fast_alu_r_m32;
	}
}
