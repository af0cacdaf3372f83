/*
 * Inline translation of control flow and conditions -- Jcc, SETcc,
 * CMOVcc, JMP, CALL, RET -- and of the stack: PUSH, POP, LEAVE.
 */
#include "engine/soft/jit_internal.h"

/* --- conditions ----------------------------------------------------------- */

/* Jcc: the not-taken end, then the taken end; both end the block. */
int xl_jcc(struct xl *x, const struct insn *i)
{
	uint32_t next = x->eip + i->len, target = next + i->imm;
	if (!i->op32)
		target &= 0xffff;
	if (target > x->b->cs_limit)
		return XL_NO; /* #GP if taken: the handler decides */
	uint8_t *taken[XL_MAX_TAKEN];
	int nt = 0;
	xl_cond(x, idef(i)->arg, taken, &nt);
	xl_end_const(x, next);
	for (int k = 0; k < nt; k++)
		x_patch(&x->e, taken[k], x->e.p);
	xl_end_const(x, target);
	return XL_ENDED;
}

/* SETcc r/m8 (0F 90-9F). */
int xl_setcc(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	struct xrm dst = greg8(i->rm);
	if (i->mod != 3) {
		xl_ea(x, i);
		xl_access(x, i->seg, 1, true);
		dst = xm(XT0, 0);
	}
	if (x->host_flags) {
		x_setcc(e, idef(i)->arg, dst);
		return XL_NEXT;
	}
	uint8_t *taken[XL_MAX_TAKEN];
	int nt = 0;
	xl_cond(x, idef(i)->arg, taken, &nt);
	x_store_imm8(e, dst, 0);
	uint8_t *done = x_jmp(e);
	for (int k = 0; k < nt; k++)
		x_patch(e, taken[k], e->p);
	x_store_imm8(e, dst, 1);
	x_patch(e, done, e->p);
	return XL_NEXT;
}

/* CMOVcc r, r/m (0F 40-4F).  A memory source is read whatever the
 * condition (a false CMOVcc still faults on it). */
int xl_cmovcc(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = i->op32 ? 4 : 2, cc = idef(i)->arg;
	struct xrm src = xr(greg(i->rm));
	if (i->mod != 3) {
		xl_ea(x, i);
		xl_access(x, i->seg, size, false);
		x_mov_r_rm(e, size, XT1, xm(XT0, 0)); /* xl_cond keeps XT1 */
		src = xr(XT1);
	}
	if (x->host_flags) {
		x_rm(e, size, (unsigned)(0x0f40 + cc), greg(i->reg), src);
		return XL_NEXT;
	}
	uint8_t *taken[XL_MAX_TAKEN];
	int nt = 0;
	xl_cond(x, cc, taken, &nt);
	uint8_t *done = x_jmp(e);
	for (int k = 0; k < nt; k++)
		x_patch(e, taken[k], e->p);
	x_mov_r_rm(e, size, greg(i->reg), src);
	x_patch(e, done, e->p);
	return XL_NEXT;
}

/* --- jumps, calls, the stack ---------------------------------------------- */

int xl_jmp_rel(struct xl *x, const struct insn *i)
{
	uint32_t target = x->eip + i->len + i->imm;
	if (!i->op32)
		target &= 0xffff;
	if (target > x->b->cs_limit)
		return XL_NO;
	xl_end_const(x, target);
	return XL_ENDED;
}

/* To the slow path unless SS is a 32-bit stack (ESP, not SP): nothing to
 * emit when the block's mode says it is. */
static void need_stack32(struct xl *x)
{
	if (x->b->mode & MODE_STACK32)
		return;
	xl_clobber_flags(x);
	x_test_m8_imm(&x->e, xm(XL_CPU, SEG_OFF(SR_SS, attr) + 1), (uint8_t)(SA_DB >> 8));
	xl_slow(x, x_jcc(&x->e, CC_E));
}

/* Pushes `size` bytes of register src (a host register holding the
 * value, read before ESP moves): the store first, then ESP. */
static void push_reg(struct xl *x, int src, int size)
{
	struct emit *e = &x->e;
	need_stack32(x);
	x_lea32(e, XT0, xm(X_R12, -size));
	xl_access(x, SR_SS, size, true);
	x_mov_rm_r(e, size, xm(XT0, 0), src);
	x_lea32(e, X_R12, xm(X_R12, -size));
}

/* The `size` bytes at the top of the stack into XT3 (ESP not moved). */
static void peek(struct xl *x, int size)
{
	need_stack32(x);
	x_mov_rr(&x->e, XT0, X_R12);
	xl_access(x, SR_SS, size, false);
	if (size == 4)
		x_load32(&x->e, XT3, xm(XT0, 0));
	else
		x_movzx(&x->e, 2, XT3, xm(XT0, 0));
}

int xl_push_r(struct xl *x, const struct insn *i)
{
	push_reg(x, greg(i->reg), i->op32 ? 4 : 2); /* PUSH ESP pushes the old value */
	return XL_NEXT;
}

int xl_pop_r(struct xl *x, const struct insn *i)
{
	int size = i->op32 ? 4 : 2;
	peek(x, size);
	x_lea32(&x->e, X_R12, xm(X_R12, size));
	x_mov_rm_r(&x->e, size, xr(greg(i->reg)), XT3); /* POP ESP: the popped value wins */
	return XL_NEXT;
}

/* PUSH imm32 / imm8 (68, 6A). */
int xl_push_imm(struct xl *x, const struct insn *i)
{
	x_mov_ri(&x->e, XT3, i->imm);
	push_reg(x, XT3, i->op32 ? 4 : 2);
	return XL_NEXT;
}

/* PUSH m (FF /6): the operand is read before anything is pushed, as
 * op_push_rm does. */
int xl_push_m(struct xl *x, const struct insn *i)
{
	int size = i->op32 ? 4 : 2;
	if (i->mod == 3) {
		push_reg(x, greg(i->rm), size);
		return XL_NEXT;
	}
	xl_ea(x, i);
	xl_access(x, i->seg, size, false);
	x_mov_r_rm(&x->e, size, XT3, xm(XT0, 0));
	push_reg(x, XT3, size);
	return XL_NEXT;
}

/* LEAVE (C9) with a 32-bit operand and stack: EBP = [EBP], ESP = EBP + 4,
 * the load first, as op_leave does. */
int xl_leave(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	need_stack32(x);
	x_mov_rr(e, XT0, X_RBP);
	xl_access(x, SR_SS, 4, false);
	x_load32(e, XT3, xm(XT0, 0));
	x_lea32(e, X_R12, xm(X_RBP, 4));
	x_mov_rr(e, X_RBP, XT3);
	return XL_NEXT;
}

int xl_call_rel(struct xl *x, const struct insn *i)
{
	uint32_t next = x->eip + i->len, target = next + i->imm;
	if (!i->op32 || target > x->b->cs_limit)
		return XL_NO;
	x_mov_ri(&x->e, XT3, next);
	push_reg(x, XT3, 4);
	xl_ras_push(x, next);
	xl_end_const(x, target);
	return XL_ENDED;
}

/* RET and RET imm16 (C3, C2): the target is checked against the CS
 * limit before ESP moves, as op_ret_near does. */
int xl_ret(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	peek(x, 4);
	x_mov_rr(e, XT4, XT3);
	xl_clobber_flags(x);
	x_alu_ri(e, ALU_CMP, XT4, x->b->cs_limit);
	xl_slow(x, x_jcc(e, CC_A)); /* #GP: the handler raises it */
	x_lea32(e, X_R12, xm(X_R12, (int32_t)(4 + (i->imm & 0xffff))));
	xl_end_ret(x, XT4);
	return XL_ENDED;
}

/* CALL and JMP through a register or memory (FF /2, FF /4): the target
 * is read, then checked against the CS limit before anything is pushed,
 * as near_call() and near_jump() do.  The exit goes through the site's
 * cell (xl_end_indirect); a CALL pushes its return address's cell on the
 * return-address stack, where RET looks first (xl_end_ret). */
static int indirect(struct xl *x, const struct insn *i, bool call)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	if (i->mod == 3) {
		x_mov_rr(e, XT4, greg(i->rm));
	} else {
		xl_ea(x, i);
		xl_access(x, i->seg, 4, false);
		x_load32(e, XT4, xm(XT0, 0));
	}
	xl_clobber_flags(x);
	x_alu_ri(e, ALU_CMP, XT4, x->b->cs_limit);
	xl_slow(x, x_jcc(e, CC_A)); /* #GP: the handler raises it */
	if (call) {
		x_mov_ri(e, XT3, x->eip + i->len);
		push_reg(x, XT3, 4);
		xl_ras_push(x, x->eip + i->len);
	}
	xl_end_indirect(x, XT4);
	return XL_ENDED;
}

int xl_call_ind(struct xl *x, const struct insn *i)
{
	return indirect(x, i, true);
}

int xl_jmp_ind(struct xl *x, const struct insn *i)
{
	return indirect(x, i, false);
}
