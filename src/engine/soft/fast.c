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

static bool fast_alu_op(int op)
{
	return op != 2 && op != 3; /* not ADC/SBB: they read CF */
}

void decode_specialize(struct insn *i)
{
	if (!i->op32 || i->lock)
		return;
	bool reg = i->mod == 3;
	switch (i->op) {
	case 0x89: i->fn = reg ? fast_mov_rm_r_reg : fast_mov_rm_r_mem; return;
	case 0x8b: i->fn = reg ? fast_mov_r_rm_reg : fast_mov_r_rm_mem; return;
	case 0x8d: if (i->a32 && !reg) i->fn = fast_lea32; return;
	case 0x85: if (reg) i->fn = fast_test_rr; return;
	case 0x83: case 0x81:
		if (reg && fast_alu_op(i->reg))
			i->fn = fast_grp1_reg;
		return;
	}
	if (i->op < 0x40 && reg && fast_alu_op(i->op >> 3)) {
		if ((i->op & 7) == 1)
			i->fn = fast_alu_rm_r;
		else if ((i->op & 7) == 3)
			i->fn = fast_alu_r_rm;
	}
}
