/*
 * Inline translation of control flow and conditions: Jcc, SETcc, CMOVcc,
 * JMP, CALL, RET, PUSH, POP and LEAVE.
 */
#include "engine/soft/jit_internal.h"

/* --- conditions ----------------------------------------------------------- */

/*
 * Lazy-flag records whose flags one host instruction recreates exactly,
 * for the conditions that do not read CF unless the record defines it:
 * the host then evaluates the condition itself.
 */
struct replay {
	uint8_t op, size;
	int how;        /* ALU_CMP / ALU_ADD: a op b; ALU_AND: test res; ALU_XOR: inc/dec */
	bool cf_known;  /* the host's CF is the guest's */
};
static const struct replay replays[] = {
	{ LF_SUB, 4, ALU_CMP, true }, { LF_LOGIC, 4, ALU_AND, true }, { LF_ADD, 4, ALU_ADD, true },
	{ LF_SUB, 1, ALU_CMP, true }, { LF_LOGIC, 1, ALU_AND, true },
	{ LF_INC, 4, ALU_XOR, false }, { LF_DEC, 4, ALU_XOR, false },
};

static bool cc_reads_cf(int cc)
{
	return cc == CC_B || cc == CC_AE || cc == CC_BE || cc == CC_A;
}

/* Host instruction(s) recreating the flags of record r from struct cpu. */
static void emit_replay(struct emit *e, const struct replay *r)
{
	bool byte = r->size == 1;
	if (r->how == ALU_AND) {
		if (byte) {
			x_movzx8(e, X_RAX, CPU_AT(lf_res));
			x_op_rr(e, false, 0x84, X_RAX, X_RAX); /* test al, al */
		} else {
			x_load32(e, X_RAX, CPU_AT(lf_res));
			x_test_rr(e, X_RAX, X_RAX);
		}
	} else if (r->how == ALU_XOR) {
		x_load32(e, X_RAX, CPU_AT(lf_a));
		x_op_rr(e, false, 0xff, r->op == LF_INC ? 0 : 1, X_RAX); /* inc/dec eax */
	} else if (byte) {
		x_movzx8(e, X_RAX, CPU_AT(lf_a));
		x_op_rm(e, false, (unsigned)(r->how * 8 + 2), X_RAX, CPU_AT(lf_b), false); /* op al, [lf_b] */
	} else {
		x_load32(e, X_RAX, CPU_AT(lf_a));
		x_alu_r_m(e, r->how, X_RAX, CPU_AT(lf_b));
	}
}

/*
 * Emits code that jumps to the sites it adds to taken[] when condition cc
 * holds, and falls through when it does not.  Uses the host flags when the
 * previous instruction left the guest's there; else replays the lazy-flag
 * record when it is one of the common ones; else asks cond_true().
 */
static void emit_cond(struct xl *x, int cc, uint8_t **taken, int *nt)
{
	struct emit *e = &x->e;
	if (x->host_flags) {
		taken[(*nt)++] = x_jcc(e, cc);
		return;
	}
	uint8_t *not_taken[8];
	int nn = 0;
	x_movzx16(e, X_RDX, CPU_AT(lf_op));
	for (size_t k = 0; k < sizeof(replays) / sizeof(replays[0]); k++) {
		const struct replay *r = &replays[k];
		if (!r->cf_known && cc_reads_cf(cc))
			continue;
		x_alu_ri(e, ALU_CMP, X_RDX, (uint32_t)(r->op | r->size << 8));
		uint8_t *other = x_jcc(e, CC_NE);
		emit_replay(e, r);
		taken[(*nt)++] = x_jcc(e, cc);
		not_taken[nn++] = x_jmp(e);
		x_patch(e, other, e->p);
	}
	x_op_rr(e, true, 0x89, X_RBX, X_RDI); /* mov rdi, rbx */
	x_mov_ri(e, X_RSI, (uint32_t)cc);
	x_call_abs(e, (const void *)cond_true);
	x_op_rr(e, false, 0x84, X_RAX, X_RAX); /* test al, al */
	taken[(*nt)++] = x_jcc(e, CC_NE);
	for (int k = 0; k < nn; k++)
		x_patch(e, not_taken[k], e->p);
}

#define MAX_TAKEN 12

/* Jcc: the not-taken end, then the taken end; both end the block. */
int xl_jcc(struct xl *x, const struct insn *i)
{
	uint32_t next = x->eip + i->len, target = next + i->imm;
	if (!i->op32)
		target &= 0xffff;
	if (target > x->b->cs_limit)
		return XL_NO; /* #GP if taken: the handler decides */
	uint8_t *taken[MAX_TAKEN];
	int nt = 0;
	emit_cond(x, idef(i)->arg, taken, &nt);
	xl_end_const(x, next);
	for (int k = 0; k < nt; k++)
		x_patch(&x->e, taken[k], x->e.p);
	xl_end_const(x, target);
	return XL_ENDED;
}

/* SETcc r8 (0F 90-9F, register form). */
int xl_setcc(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (i->mod != 3)
		return XL_NO;
	struct xmem dst = i->rm < 4 ? GPR(i->rm) : xm(X_RBX, (int32_t)(offsetof(struct cpu, r) + 4u * (unsigned)(i->rm - 4) + 1));
	uint8_t *taken[MAX_TAKEN];
	int nt = 0;
	emit_cond(x, idef(i)->arg, taken, &nt);
	x_store_imm8(e, dst, 0);
	uint8_t *done = x_jmp(e);
	for (int k = 0; k < nt; k++)
		x_patch(e, taken[k], e->p);
	x_store_imm8(e, dst, 1);
	x_patch(e, done, e->p);
	return XL_NEXT;
}

/* CMOVcc r32, r/m32 (0F 40-4F).  A memory source is read whatever the
 * condition (a false CMOVcc still faults on it), so the condition goes to
 * R9D first, then the read, then the move if R9D says so. */
int xl_cmovcc(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	uint8_t *taken[MAX_TAKEN];
	int nt = 0;
	emit_cond(x, idef(i)->arg, taken, &nt);
	if (i->mod == 3) {
		uint8_t *done = x_jmp(e);
		for (int k = 0; k < nt; k++)
			x_patch(e, taken[k], e->p);
		x_load32(e, X_RAX, GPR(i->rm));
		x_store32(e, GPR(i->reg), X_RAX);
		x_patch(e, done, e->p);
		return XL_NEXT;
	}
	x_mov_ri(e, X_R9, 0);
	uint8_t *decided = x_jmp(e);
	for (int k = 0; k < nt; k++)
		x_patch(e, taken[k], e->p);
	x_mov_ri(e, X_R9, 1);
	x_patch(e, decided, e->p);
	xl_ea(x, i);
	xl_access(x, i->seg, 4, false);
	x_load32(e, X_RAX, xm(X_RAX, 0));
	x_op_rr(e, false, 0x85, X_R9, X_R9); /* test r9d, r9d */
	uint8_t *skip = x_jcc(e, CC_E);
	x_store32(e, GPR(i->reg), X_RAX);
	x_patch(e, skip, e->p);
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
	x_test_m8_imm(&x->e, xm(X_RBX, SEG_OFF(SR_SS, attr) + 1), (uint8_t)(SA_DB >> 8));
	xl_slow(x, x_jcc(&x->e, CC_E));
}

/* ESP = R9D, in struct cpu and in XL_ESP. */
static void set_esp_r9(struct xl *x)
{
	x_store32(&x->e, GPR(R_ESP), X_R9);
	x_mov_rr(&x->e, XL_ESP, X_R9);
	x->esp_kept = true;
}

/* Pushes R8D: ESP - 4 in R9D, the store, then ESP. */
static void push32_r8(struct xl *x)
{
	struct emit *e = &x->e;
	need_stack32(x);
	x_mov_rr(e, X_RAX, XL_ESP);
	x_alu_ri(e, ALU_SUB, X_RAX, 4);
	x_mov_rr(e, X_R9, X_RAX);
	xl_access(x, SR_SS, 4, true);
	x_store32(e, xm(X_RAX, 0), X_R8);
	set_esp_r9(x);
}

/* Pops into R8D; R9D = the new ESP, not yet stored. */
static void pop32_r8(struct xl *x)
{
	struct emit *e = &x->e;
	need_stack32(x);
	x_mov_rr(e, X_RAX, XL_ESP);
	x_lea32(e, X_R9, xm(X_RAX, 4));
	xl_access(x, SR_SS, 4, false);
	x_load32(e, X_R8, xm(X_RAX, 0));
}

int xl_push_r(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		return XL_NO;
	x_load32(&x->e, X_R8, GPR(i->reg)); /* PUSH ESP pushes the old value */
	push32_r8(x);
	return XL_NEXT;
}

int xl_pop_r(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		return XL_NO;
	pop32_r8(x);
	set_esp_r9(x);
	x_store32(&x->e, GPR(i->reg), X_R8); /* POP ESP: the popped value wins */
	if (i->reg == R_ESP)
		x->esp_kept = false;
	return XL_NEXT;
}

/* PUSH imm32 / imm8 (68, 6A) and PUSH m32 (FF /6): the operand is read
 * before anything is pushed, as op_push_rm does. */
int xl_push_imm(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		return XL_NO;
	x_mov_ri(&x->e, X_R8, i->imm);
	push32_r8(x);
	return XL_NEXT;
}

int xl_push_m(struct xl *x, const struct insn *i)
{
	if (!i->op32 || i->mod == 3)
		return XL_NO;
	xl_ea(x, i);
	xl_access(x, i->seg, 4, false);
	x_load32(&x->e, X_R8, xm(X_RAX, 0));
	push32_r8(x);
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
	x_load32(e, X_RAX, GPR(R_EBP));
	x_lea32(e, X_R9, xm(X_RAX, 4));
	xl_access(x, SR_SS, 4, false);
	x_load32(e, X_R8, xm(X_RAX, 0));
	set_esp_r9(x);
	x_store32(e, GPR(R_EBP), X_R8);
	return XL_NEXT;
}

int xl_call_rel(struct xl *x, const struct insn *i)
{
	uint32_t next = x->eip + i->len, target = next + i->imm;
	if (!i->op32 || target > x->b->cs_limit)
		return XL_NO;
	x_mov_ri(&x->e, X_R8, next);
	push32_r8(x);
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
	pop32_r8(x);
	x_alu_ri(e, ALU_CMP, X_R8, x->b->cs_limit);
	xl_slow(x, x_jcc(e, CC_A)); /* #GP: the handler raises it */
	if (i->iop == IOP_RET_Iw)
		x_lea32(e, X_R9, xm(X_R9, (int32_t)(i->imm & 0xffff)));
	set_esp_r9(x);
	xl_end_reg(x, X_R8);
	return XL_ENDED;
}

/* CALL and JMP through a register or memory (FF /2, FF /4): the target
 * is read, then checked against the CS limit before anything is pushed,
 * as near_call() and near_jump() do. */
static int indirect(struct xl *x, const struct insn *i, bool call)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	if (i->mod == 3) {
		x_load32(e, X_R10, GPR(i->rm));
	} else {
		xl_ea(x, i);
		xl_access(x, i->seg, 4, false);
		x_load32(e, X_R10, xm(X_RAX, 0));
	}
	x_alu_ri(e, ALU_CMP, X_R10, x->b->cs_limit);
	xl_slow(x, x_jcc(e, CC_A)); /* #GP: the handler raises it */
	if (call) {
		x_mov_ri(e, X_R8, x->eip + i->len);
		push32_r8(x);
	}
	xl_end_reg(x, X_R10);
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
