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

/*
 * One handler per operation and form, so the operation is fixed at decode
 * time instead of being a second, data-dependent jump at run time.
 */
#define ALU_FORMS(name, op)                                                          \
	static OP(fast_##name##_rm_r) { alu_rr(c, op, &c->r[i->rm], c->r[i->reg]); } \
	static OP(fast_##name##_r_rm) { alu_rr(c, op, &c->r[i->reg], c->r[i->rm]); } \
	static OP(fast_##name##_ri) { alu_rr(c, op, &c->r[i->rm], i->imm); }          \
	static OP(fast_##name##_r_m) { alu_rr(c, op, &c->r[i->reg], vread32(c, i->seg, insn_ea(c, i))); }
ALU_FORMS(add, 0)
ALU_FORMS(or, 1)
ALU_FORMS(and, 4)
ALU_FORMS(sub, 5)
ALU_FORMS(xor, 6)
ALU_FORMS(cmp, 7)
#undef ALU_FORMS

/* Indexed by the ALU operation number (ADD OR ADC SBB AND SUB XOR CMP);
 * ADC and SBB read CF and stay generic. */
static const insn_fn alu_rm_r_fns[8] = { fast_add_rm_r, fast_or_rm_r, 0, 0, fast_and_rm_r, fast_sub_rm_r, fast_xor_rm_r, fast_cmp_rm_r };
static const insn_fn alu_r_rm_fns[8] = { fast_add_r_rm, fast_or_r_rm, 0, 0, fast_and_r_rm, fast_sub_r_rm, fast_xor_r_rm, fast_cmp_r_rm };
static const insn_fn alu_ri_fns[8] = { fast_add_ri, fast_or_ri, 0, 0, fast_and_ri, fast_sub_ri, fast_xor_ri, fast_cmp_ri };
static const insn_fn alu_r_m_fns[8] = { fast_add_r_m, fast_or_r_m, 0, 0, fast_and_r_m, fast_sub_r_m, fast_xor_r_m, fast_cmp_r_m };

static OP(fast_test_rr)
{
	uint32_t r = c->r[i->rm] & c->r[i->reg];
	lazy_set(c, LF_LOGIC, 4, r, r, r);
}


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

/* SHL/SHR/SAR of a 32-bit register by an immediate count (C1, D1), one
 * handler each.  A count of 0 (after masking) changes nothing. */
static OP(fast_shl_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	uint32_t a = c->r[i->rm], r = a << n;
	bool cf = (a >> (32 - n)) & 1;
	lazy_szp_co(c, 4, r, cf, (r >> 31) ^ cf);
	c->r[i->rm] = r;
}

static OP(fast_shr_ri)
{
	unsigned n = i->imm & 31;
	if (n == 0)
		return;
	uint32_t a = c->r[i->rm], r = a >> n;
	lazy_szp_co(c, 4, r, (a >> (n - 1)) & 1, a >> 31);
	c->r[i->rm] = r;
}

static OP(fast_sar_ri)
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
static OP(fast_mul32)
{
	uint32_t src = i->mod == 3 ? c->r[i->rm] : vread32(c, i->seg, insn_ea(c, i));
	uint64_t v = (uint64_t)c->r[R_EAX] * src;
	uint32_t hi = (uint32_t)(v >> 32);
	c->r[R_EAX] = (uint32_t)v;
	c->r[R_EDX] = hi;
	lazy_szp_co(c, 4, (uint32_t)v, hi != 0, hi != 0);
}

/*
 * Jcc, one handler per condition: with the condition a constant, the
 * common cases (after a 32-bit CMP/SUB, after TEST/AND/OR/XOR) reduce to
 * one compare; anything else asks cond_true().
 */
static inline bool cond_fast(struct cpu *c, int cc)
{
	uint32_t r = c->lf_res;
	if (c->lf_op == LF_SUB && c->lf_size == 4) {
		bool known;
		bool taken = cond_after_sub32(c->lf_a, c->lf_b, cc, &known);
		if (known)
			return taken;
	} else if (c->lf_op == LF_LOGIC && c->lf_size == 4) {
		switch (cc) {
		case 0x4: return r == 0;
		case 0x5: return r != 0;
		case 0x8: return (int32_t)r < 0;
		case 0x9: return (int32_t)r >= 0;
		}
	}
	return cond_true(c, cc);
}

static inline void jcc(struct cpu *c, const struct insn *i, int cc)
{
	if (cond_fast(c, cc))
		near_jump(c, i, c->next_eip + i->imm);
}

#define JCC(n) static OP(fast_jcc_##n) { jcc(c, i, n); }
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
#undef JCC
static const insn_fn jcc_fns[16] = {
	fast_jcc_0, fast_jcc_1, fast_jcc_2, fast_jcc_3, fast_jcc_4, fast_jcc_5, fast_jcc_6, fast_jcc_7,
	fast_jcc_8, fast_jcc_9, fast_jcc_10, fast_jcc_11, fast_jcc_12, fast_jcc_13, fast_jcc_14, fast_jcc_15,
};

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


static bool base_disp(const struct insn *i)
{
	return i->a32 && i->mod != 3 && i->base != REG_NONE && i->index == REG_NONE;
}

void decode_specialize(struct insn *i)
{
	if ((i->op >= 0x70 && i->op <= 0x7f) || (i->op >= 0x180 && i->op <= 0x18f)) {
		i->fn = jcc_fns[i->op & 0xf];
		return;
	}
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
			i->fn = i->reg == 5 ? fast_shr_ri : i->reg == 7 ? fast_sar_ri : fast_shl_ri;
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
		if (reg && alu_ri_fns[i->reg])
			i->fn = alu_ri_fns[i->reg];
		return;
	}
	if (i->op < 0x40 && alu_ri_fns[i->op >> 3]) {
		if ((i->op & 7) == 1 && reg)
			i->fn = alu_rm_r_fns[i->op >> 3];
		else if ((i->op & 7) == 3)
			i->fn = reg ? alu_r_rm_fns[i->op >> 3] : alu_r_m_fns[i->op >> 3];
	}
}
