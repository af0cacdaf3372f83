/*
 * Inline translation of the frequent instruction forms: moves, LEA and
 * the no-operations here, arithmetic in jit_alu.c, control flow and the
 * stack in jit_flow.c.
 *
 * Each emitter reproduces one interpreter handler for the forms it
 * accepts, and declines (XL_NO) everything else, which then runs through
 * the handler.  Emitters write guest state only after every check that
 * can send them to the slow path, so a slow path always starts from the
 * state before the instruction.
 */
#include "engine/soft/jit_internal.h"

/* --- moves ---------------------------------------------------------------- */

/* MOV r/m, r and MOV r, r/m (89, 8B), 16 and 32 bits. */
static int mov_rm(struct xl *x, const struct insn *i, bool to_rm)
{
	struct emit *e = &x->e;
	int size = i->op32 ? 4 : 2;
	if (i->mod == 3) {
		x_load32(e, X_RAX, GPR(to_rm ? i->reg : i->rm));
		struct xmem dst = GPR(to_rm ? i->rm : i->reg);
		if (size == 4)
			x_store32(e, dst, X_RAX);
		else
			x_store16(e, dst, X_RAX);
		return XL_NEXT;
	}
	xl_ea(x, i);
	if (to_rm) {
		x_load32(e, X_R8, GPR(i->reg));
		xl_access(x, i->seg, size, true);
		if (size == 4)
			x_store32(e, xm(X_RAX, 0), X_R8);
		else
			x_store16(e, xm(X_RAX, 0), X_R8);
	} else {
		xl_access(x, i->seg, size, false);
		if (size == 4) {
			x_load32(e, X_RAX, xm(X_RAX, 0));
			x_store32(e, GPR(i->reg), X_RAX);
		} else {
			x_movzx16(e, X_RAX, xm(X_RAX, 0));
			x_store16(e, GPR(i->reg), X_RAX);
		}
	}
	return XL_NEXT;
}

/* MOV r/m8, r8 and MOV r8, r/m8 (88, 8A). */
static int mov_rm8(struct xl *x, const struct insn *i, bool to_rm)
{
	struct emit *e = &x->e;
	if (i->mod == 3) {
		x_movzx8(e, X_RAX, reg8_at(to_rm ? i->reg : i->rm));
		x_store8(e, reg8_at(to_rm ? i->rm : i->reg), X_RAX);
		return XL_NEXT;
	}
	xl_ea(x, i);
	if (to_rm) {
		x_movzx8(e, X_R8, reg8_at(i->reg));
		xl_access(x, i->seg, 1, true);
		x_store8(e, xm(X_RAX, 0), X_R8);
	} else {
		xl_access(x, i->seg, 1, false);
		x_movzx8(e, X_RAX, xm(X_RAX, 0));
		x_store8(e, reg8_at(i->reg), X_RAX);
	}
	return XL_NEXT;
}

/* MOV r, imm (B8+r) and MOV r/m, imm (C7 /0). */
static int mov_imm(struct xl *x, const struct insn *i, bool modrm)
{
	struct emit *e = &x->e;
	int r = modrm ? i->rm : i->reg;
	if (!modrm || i->mod == 3) {
		if (i->op32)
			x_store_imm32(e, GPR(r), i->imm);
		else
			x_store_imm16(e, GPR(r), (uint16_t)i->imm);
		return XL_NEXT;
	}
	xl_ea(x, i);
	xl_access(x, i->seg, i->op32 ? 4 : 2, true);
	if (i->op32)
		x_store_imm32(e, xm(X_RAX, 0), i->imm);
	else
		x_store_imm16(e, xm(X_RAX, 0), (uint16_t)i->imm);
	return XL_NEXT;
}

/* MOV r/m8, imm8 (C6 /0). */
static int mov_imm8(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (i->mod == 3) {
		x_store_imm8(e, reg8_at(i->rm), (uint8_t)i->imm);
		return XL_NEXT;
	}
	xl_ea(x, i);
	xl_access(x, i->seg, 1, true);
	x_store_imm8(e, xm(X_RAX, 0), (uint8_t)i->imm);
	return XL_NEXT;
}

/* CDQ (99 with a 32-bit operand): EDX = the sign of EAX. */
int xl_cdq(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		return XL_NO;
	x_load32(&x->e, X_RAX, GPR(R_EAX));
	x_shift_ri(&x->e, 7, X_RAX, 31); /* sar eax, 31 */
	x_store32(&x->e, GPR(R_EDX), X_RAX);
	return XL_NEXT;
}

int xl_lea(struct xl *x, const struct insn *i)
{
	if (i->mod == 3)
		return XL_NO; /* #UD */
	xl_ea(x, i);
	if (i->op32)
		x_store32(&x->e, GPR(i->reg), X_RAX);
	else
		x_store16(&x->e, GPR(i->reg), X_RAX);
	return XL_NEXT;
}

/* MOVZX / MOVSX r32, r/m8 or r/m16 (0F B6 B7 BE BF). */
static int movx(struct xl *x, const struct insn *i, int size, bool sign)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	struct xmem src;
	if (i->mod == 3) {
		src = size == 1 ? reg8_at(i->rm) : GPR(i->rm);
	} else {
		xl_ea(x, i);
		xl_access(x, i->seg, size, false);
		src = xm(X_RAX, 0);
	}
	if (size == 1)
		sign ? x_movsx8(e, X_RAX, src) : x_movzx8(e, X_RAX, src);
	else
		sign ? x_movsx16(e, X_RAX, src) : x_movzx16(e, X_RAX, src);
	x_store32(e, GPR(i->reg), X_RAX);
	return XL_NEXT;
}

/* MOV EAX/AX, moffs and MOV moffs, EAX/AX (A1, A3). */
static int mov_moffs(struct xl *x, const struct insn *i, bool store)
{
	struct emit *e = &x->e;
	int size = i->op32 ? 4 : 2;
	xl_ea(x, i); /* disp only */
	if (store) {
		x_load32(e, X_R8, GPR(R_EAX));
		xl_access(x, i->seg, size, true);
		size == 4 ? x_store32(e, xm(X_RAX, 0), X_R8) : x_store16(e, xm(X_RAX, 0), X_R8);
	} else {
		xl_access(x, i->seg, size, false);
		if (size == 4) {
			x_load32(e, X_RAX, xm(X_RAX, 0));
			x_store32(e, GPR(R_EAX), X_RAX);
		} else {
			x_movzx16(e, X_RAX, xm(X_RAX, 0));
			x_store16(e, GPR(R_EAX), X_RAX);
		}
	}
	return XL_NEXT;
}

/* --- dispatch ------------------------------------------------------------- */

/* CLI at CPL 0 (real mode included) just clears IF; at CPL 1-3 the
 * handler checks IOPL.  Spinlocks with interrupts off run one each. */
int xl_cli(struct xl *x, const struct insn *i)
{
	(void)i;
	struct emit *e = &x->e;
	x_cmp_m8_imm(e, CPU_AT(cpl), 0);
	xl_slow(x, x_jcc(e, CC_NE));
	x_op_rm(e, false, 0x81, ALU_AND, CPU_AT(eflags), false); /* and dword [eflags], ~IF */
	x_u32(e, ~FL_IF);
	return XL_NEXT;
}

/* --- the rows' entry points ---------------------------------------------- */

/* MOV r/m, r and MOV r, r/m (88-8B): the row says which way and how wide. */
int xl_mov(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	bool to_rm = d->fmt == FM_EG;
	return (d->attr & D_BYTE) ? mov_rm8(x, i, to_rm) : mov_rm(x, i, to_rm);
}

/* MOV r, imm (B8+r), MOV r/m, imm (C7 /0) and MOV r/m8, imm8 (C6 /0). */
int xl_mov_imm(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	if (d->attr & D_BYTE)
		return d->fmt == FM_EI ? mov_imm8(x, i) : XL_NO;
	return mov_imm(x, i, d->fmt == FM_EI);
}

/* MOV eAX, moffs (A1) and MOV moffs, eAX (A3). */
int xl_moffs(struct xl *x, const struct insn *i)
{
	return mov_moffs(x, i, i->iop == IOP_MOV_Ov_eAX);
}

/* MOVZX / MOVSX: the row's arg is the source size. */
int xl_movzx(struct xl *x, const struct insn *i)
{
	return movx(x, i, idef(i)->arg, false);
}

int xl_movsx(struct xl *x, const struct insn *i)
{
	return movx(x, i, idef(i)->arg, true);
}

/* NOP, PAUSE and the hinting NOP r/m (0F 18-1F), which reads no memory:
 * nothing to do. */
int xl_nop(struct xl *x, const struct insn *i)
{
	(void)x, (void)i;
	return XL_NEXT;
}
