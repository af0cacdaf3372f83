/*
 * Inline translation of moves, LEA, sign extension, CLI and the
 * no-operations; arithmetic is in jit_alu.c, control flow and the stack
 * in jit_flow.c.
 *
 * Each emitter reproduces one interpreter handler for the forms it
 * accepts, and declines (XL_NO) everything else, which then runs through
 * the handler.  Emitters write guest state only after every check that
 * can send them to the slow path, so a slow path always starts from the
 * state before the instruction.
 */
#include "engine/soft/jit_internal.h"

static int operand_size(const struct insn *i)
{
	return (idef(i)->attr & D_BYTE) ? 1 : i->op32 ? 4 : 2;
}

/* The reg field of an instruction naming guest register n at `size`. */
static int reg_field(int n, int size)
{
	return size == 1 ? n : greg(n);
}

/* MOV r/m, r and MOV r, r/m (88-8B), every size; the row says which way. */
int xl_mov(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = operand_size(i);
	bool to_rm = idef(i)->fmt == FM_EG;
	int r = reg_field(i->reg, size);
	if (i->mod == 3) {
		if (to_rm)
			x_mov_rm_r(e, size, gop(i->rm, size), r);
		else
			x_mov_r_rm(e, size, r, gop(i->rm, size));
		return XL_NEXT;
	}
	if (size == 1 && i->reg >= 4)
		return XL_NO; /* AH..BH with memory: no host encoding */
	xl_ea(x, i);
	xl_access(x, i->seg, size, to_rm);
	if (to_rm)
		x_mov_rm_r(e, size, xm(XT0, 0), r);
	else
		x_mov_r_rm(e, size, r, xm(XT0, 0));
	return XL_NEXT;
}

/* MOV r, imm (B0+r, B8+r), MOV r/m, imm (C6 /0, C7 /0). */
int xl_mov_imm(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm dst;
	if (idef(i)->fmt == FM_ZI) {
		dst = gop(i->reg, size);
	} else if (i->mod == 3) {
		dst = gop(i->rm, size);
	} else {
		xl_ea(x, i);
		xl_access(x, i->seg, size, true);
		dst = xm(XT0, 0);
	}
	x_mov_rm_imm(&x->e, size, dst, i->imm);
	return XL_NEXT;
}

/* MOV AL/eAX, moffs and MOV moffs, AL/eAX (A0-A3). */
int xl_moffs(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = operand_size(i);
	bool store = i->iop == IOP_MOV_Ob_AL || i->iop == IOP_MOV_Ov_eAX;
	x_mov_ri(e, XT0, i->disp);
	xl_access(x, i->seg, size, store);
	if (store)
		x_mov_rm_r(e, size, xm(XT0, 0), X_RAX);
	else
		x_mov_r_rm(e, size, X_RAX, xm(XT0, 0));
	return XL_NEXT;
}

int xl_lea(struct xl *x, const struct insn *i)
{
	if (i->mod == 3)
		return XL_NO; /* #UD */
	xl_ea(x, i);
	x_mov_rm_r(&x->e, i->op32 ? 4 : 2, xr(greg(i->reg)), XT0);
	return XL_NEXT;
}

/* MOVZX / MOVSX r, r/m8 or r/m16 (0F B6 B7 BE BF): the row's arg is the
 * source size. */
static int movx(struct xl *x, const struct insn *i, bool sign)
{
	struct emit *e = &x->e;
	int src_size = idef(i)->arg, size = i->op32 ? 4 : 2;
	struct xrm src;
	if (i->mod == 3) {
		src = gop(i->rm, src_size);
		if (!x_encodes(greg(i->reg), false, src, src_size == 1, false))
			return XL_NO; /* AH..BH into ESP (R12) */
	} else {
		xl_ea(x, i);
		xl_access(x, i->seg, src_size, false);
		src = xm(XT0, 0);
	}
	if (size == 2) {
		/* Into a 16-bit register: through a scratch, keeping the
		 * destination's high half. */
		if (!x_encodes(XT3, false, src, src_size == 1, false))
			return XL_NO;
		if (sign)
			x_movsx(e, src_size, XT3, src);
		else
			x_movzx(e, src_size, XT3, src);
		x_mov_rm_r(e, 2, xr(greg(i->reg)), XT3);
		return XL_NEXT;
	}
	if (sign)
		x_movsx(e, src_size, greg(i->reg), src);
	else
		x_movzx(e, src_size, greg(i->reg), src);
	return XL_NEXT;
}

int xl_movzx(struct xl *x, const struct insn *i)
{
	return movx(x, i, false);
}

int xl_movsx(struct xl *x, const struct insn *i)
{
	return movx(x, i, true);
}

/* CWD/CDQ (99), CBW/CWDE (98): the host's own, on RAX and RDX. */
int xl_cdq(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		x_byte(&x->e, 0x66);
	x_byte(&x->e, i->iop == IOP_CBW ? 0x98 : 0x99);
	return XL_NEXT;
}

/* CLI at CPL 0 (real mode included) just clears IF; at CPL 1-3 the
 * handler checks IOPL.  Spinlocks with interrupts off run one each. */
int xl_cli(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	(void)i;
	xl_clobber_flags(x);
	x_cmp_m8_imm(e, CPU_AT(cpl), 0);
	xl_slow(x, x_jcc(e, CC_NE));
	x_alu_rm_imm(e, 4, ALU_AND, CPU_AT(eflags), ~FL_IF);
	return XL_NEXT;
}

/* NOP, PAUSE and the hinting NOP r/m (0F 18-1F), which reads no memory:
 * nothing to do. */
int xl_nop(struct xl *x, const struct insn *i)
{
	(void)x, (void)i;
	return XL_NEXT;
}

/* BSWAP r32 (0F C8+r): the host's own.  The 16-bit form (P6 clears the
 * word) stays with the handler. */
int xl_bswap(struct xl *x, const struct insn *i)
{
	if (!i->op32)
		return XL_NO;
	int r = greg(i->reg);
	if (r >= 8)
		x_byte(&x->e, 0x41);
	x_byte(&x->e, 0x0f);
	x_byte(&x->e, (uint8_t)(0xc8 + (r & 7)));
	return XL_NEXT;
}

/* XCHG eAX, r (91-97) and XCHG r/m, r (86, 87): the host's XCHG, which
 * with memory is locked as the guest's is.  The memory form checks its
 * operand for writing first, as rmw_begin() does. */
int xl_xchg(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = operand_size(i);
	if (idef(i)->fmt == FM_AZ) {
		x_rm(e, size, 0x87, X_RAX, xr(greg(i->reg)));
		return XL_NEXT;
	}
	int r = reg_field(i->reg, size);
	if (i->mod == 3) {
		x_rm(e, size, size == 1 ? 0x86 : 0x87, r, gop(i->rm, size));
		return XL_NEXT;
	}
	if (size == 1 && i->reg >= 4)
		return XL_NO; /* AH..BH with memory: no host encoding */
	xl_ea(x, i);
	xl_access(x, i->seg, size, true);
	x_rm(e, size, size == 1 ? 0x86 : 0x87, r, xm(XT0, 0));
	return XL_NEXT;
}
