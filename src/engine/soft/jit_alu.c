/*
 * Inline translation of integer arithmetic: ADD OR ADC SBB AND SUB XOR
 * CMP TEST in every operand form and size, INC DEC NOT NEG, MUL and IMUL,
 * DIV, the shifts and rotates, XADD and CMPXCHG.
 *
 * Each is the host's own instruction on the guest's operands: registers
 * are the host registers that hold them (jit_internal.h), memory the host
 * address the TLB gave in XT0.  So results, and the flags the SDM
 * defines, are the guest's exactly (jit_flags.c keeps them).  A byte
 * form naming AH..BH together with memory has no host encoding (the
 * address register needs REX): those run through the handler.
 */
#include "engine/soft/jit_internal.h"

/* The r/m operand of i: its register, or memory at XT0 after the access
 * checks for `size` bytes (for writing if write).  False when the form
 * has no host encoding (AH..BH with memory). */
static bool rm_operand(struct xl *x, const struct insn *i, int size, bool write, int other_reg, struct xrm *out)
{
	if (i->mod == 3) {
		*out = gop(i->rm, size);
		return true;
	}
	if (size == 1 && other_reg >= 4 && other_reg < 8)
		return false;
	xl_ea(x, i);
	xl_access(x, i->seg, size, write);
	*out = xm(XT0, 0);
	return true;
}

static int operand_size(const struct insn *i)
{
	return (idef(i)->attr & D_BYTE) ? 1 : i->op32 ? 4 : 2;
}

/* A byte-register operand as the `reg` of an instruction (AH..BH are
 * 4-7 as they are); other sizes: the host register. */
static int reg_field(int guest, int size)
{
	return size == 1 ? guest : greg(guest);
}

/* --- two operands ----------------------------------------------------------- */

/* The two-operand ALU rows and TEST; ADC and SBB read CF first. */
static int alu2(struct xl *x, const struct insn *i, int alu)
{
	struct emit *e = &x->e;
	const struct insn_def *d = idef(i);
	int size = operand_size(i);
	bool writes = alu != ALU_CMP && alu != ALU_TEST;
	bool carry = alu == ALU_ADC || alu == ALU_SBB;
	struct xrm rm;
	switch (d->fmt) {
	case FM_EG: /* op r/m, reg */
		if (!rm_operand(x, i, size, writes, i->reg, &rm))
			return XL_NO;
		if (carry)
			xl_carry_to_host(x);
		if (alu == ALU_TEST)
			x_test_rm_r(e, size, rm, reg_field(i->reg, size));
		else
			x_alu_rm_r(e, size, alu, rm, reg_field(i->reg, size));
		break;
	case FM_GE: /* op reg, r/m */
		if (!rm_operand(x, i, size, false, i->reg, &rm))
			return XL_NO;
		if (carry)
			xl_carry_to_host(x);
		x_alu_r_rm(e, size, alu, reg_field(i->reg, size), rm);
		break;
	case FM_AI: /* op AL/eAX, imm */
		if (carry)
			xl_carry_to_host(x);
		if (alu == ALU_TEST)
			x_test_rm_imm(e, size, xr(X_RAX), i->imm);
		else
			x_alu_rm_imm(e, size, alu, xr(X_RAX), i->imm);
		break;
	case FM_EI: /* op r/m, imm */
		if (!rm_operand(x, i, size, writes, -1, &rm))
			return XL_NO;
		if (carry)
			xl_carry_to_host(x);
		if (alu == ALU_TEST)
			x_test_rm_imm(e, size, rm, i->imm);
		else
			x_alu_rm_imm(e, size, alu, rm, i->imm);
		break;
	default:
		return XL_NO;
	}
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

int xl_alu(struct xl *x, const struct insn *i)
{
	return alu2(x, i, idef(i)->arg);
}

int xl_adcsbb(struct xl *x, const struct insn *i)
{
	return alu2(x, i, idef(i)->arg);
}

/* --- one operand ----------------------------------------------------------- */

/* INC and DEC keep CF: the host's must be the guest's if it is live. */
int xl_incdec(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	int size = operand_size(i);
	bool dec = i->iop == IOP_DEC_Zv || i->iop == IOP_DEC_Ev || i->iop == IOP_DEC_Eb;
	struct xrm rm;
	if (d->fmt == FM_Z)
		rm = xr(greg(i->reg));
	else if (!rm_operand(x, i, size, true, -1, &rm))
		return XL_NO;
	xl_keep_flags(x, F_ALL & ~F_C);
	x_incdec(&x->e, size, dec, rm);
	xl_flags_produced(x, F_ALL & ~F_C);
	return XL_NEXT;
}

int xl_not(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, true, -1, &rm))
		return XL_NO;
	x_grp3(&x->e, size, 2, rm); /* no flags */
	return XL_NEXT;
}

int xl_neg(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, true, -1, &rm))
		return XL_NO;
	x_grp3(&x->e, size, 3, rm);
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

/*
 * Shifts and rotates by an immediate, by 1 or by CL, in every size, on a
 * register or memory.  A count of 0 (after masking to 5 bits) changes
 * nothing, flags included, on the host as on the guest; so does a count
 * in CL that may be 0: the host must hold the flags the guest's would
 * keep.  Rotates write only CF and OF; RCL and RCR read CF.
 */
int xl_shift(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	int size = operand_size(i), kind = d->arg;
	bool by_cl = d->imm == IM_CL;
	unsigned n = i->imm & 31;
	bool rotate = kind < SH_SHL;
	/* A byte or word shifted by its width or more leaves CF undefined;
	 * the handler's is the reference. */
	if (size < 4 && !rotate && (by_cl || n >= (unsigned)size * 8))
		return XL_NO;
	struct xrm rm;
	if (!rm_operand(x, i, size, by_cl || n != 0, -1, &rm))
		return XL_NO;
	if (!by_cl && n == 0)
		return XL_NEXT; /* the operand was still read: the access checks did */
	uint16_t writes = by_cl ? 0 : rotate ? (uint16_t)(F_C | F_O) : F_ALL;
	if (kind == SH_RCL || kind == SH_RCR)
		xl_carry_to_host(x);
	xl_keep_flags(x, writes);
	if (by_cl)
		x_shift_cl(&x->e, size, kind, rm);
	else
		x_shift_imm(&x->e, size, kind, rm, (uint8_t)n);
	xl_flags_produced(x, writes);
	return XL_NEXT;
}

/* IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B): word and dword. */
static int imul(struct xl *x, const struct insn *i, bool imm)
{
	struct emit *e = &x->e;
	int size = i->op32 ? 4 : 2;
	struct xrm rm;
	if (!rm_operand(x, i, size, false, -1, &rm))
		return XL_NO;
	if (imm) {
		int32_t v = (int32_t)i->imm;
		bool i8 = v >= -128 && v <= 127;
		x_rm(e, size, i8 ? 0x6b : 0x69, greg(i->reg), rm);
		if (i8)
			x_byte(e, (uint8_t)v);
		else
			x_imm(e, size, i->imm);
	} else {
		x_rm(e, size, 0x0faf, greg(i->reg), rm);
	}
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

int xl_imul2(struct xl *x, const struct insn *i)
{
	return imul(x, i, false);
}

int xl_imul3(struct xl *x, const struct insn *i)
{
	return imul(x, i, true);
}

/* MUL and IMUL r/m: EDX:EAX (DX:AX, AX) are RDX:RAX, as the host's. */
int xl_mul(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, false, -1, &rm))
		return XL_NO;
	bool is_imul = i->iop == IOP_IMUL_Eb || i->iop == IOP_IMUL_Ev;
	x_grp3(&x->e, size, is_imul ? 5 : 4, rm);
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

/*
 * DIV r/m: the host's, once it cannot fault: a divisor of 0 or a
 * quotient too wide (the high half of the dividend not below the
 * divisor) go to the slow path, where the handler raises #DE.  The flags
 * are undefined; the guest's stay those from before (the interpreter's).
 */
int xl_div(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = operand_size(i);
	struct xrm rm;
	if (size == 1 && i->mod == 3 && i->rm >= 4)
		return XL_NO; /* AH..BH into a scratch register: no encoding */
	if (!rm_operand(x, i, size, false, -1, &rm))
		return XL_NO;
	xl_clobber_flags(x);
	x->cur_barrier = true;
	if (size == 4)
		x_mov_r_rm(e, 4, XT3, rm);
	else
		x_movzx(e, size, XT3, rm);
	/* The high half of the dividend: AH, DX or EDX. */
	if (size == 1) {
		x_movzx(e, 2, XT2, xr(X_RAX));
		x_shift_ri(e, SH_SHR, XT2, 8);
	} else if (size == 2) {
		x_movzx(e, 2, XT2, xr(X_RDX));
	} else {
		x_mov_rr(e, XT2, X_RDX);
	}
	x_alu_rm_r(e, 4, ALU_CMP, xr(XT2), XT3); /* high >= divisor, or divisor 0 */
	xl_slow(x, x_jcc(e, CC_AE));
	x_grp3(e, size, 6, xr(XT3));
	xl_clobber_flags(x);
	return XL_NEXT;
}

/* --- bit tests and scans ---------------------------------------------------- */

/* The host's BT/BTS/BTR/BTC opcodes: r/m, reg (0F A3 AB B3 BB) and the
 * 0F BA /digit of the immediate forms, by the row's kind. */
static const unsigned bt_rm_r_op[4] = { [BT_TEST] = 0x0fa3, [BT_SET] = 0x0fab, [BT_RESET] = 0x0fb3, [BT_COMPLEMENT] = 0x0fbb };
static const int bt_imm_digit[4] = { [BT_TEST] = 4, [BT_SET] = 5, [BT_RESET] = 6, [BT_COMPLEMENT] = 7 };

/* Host EFLAGS = the image pushed before the host's BT with the CF that
 * BT produced: nothing else BT may have changed survives. */
static void bt_carry_only(struct emit *e)
{
	x_setcc(e, CC_B, xr(XT2));
	x_pop(e, XT1);
	x_alu_rm_imm(e, 4, ALU_AND, xr(XT1), ~1u);
	x_alu_rm_imm(e, 4, ALU_AND, xr(XT2), 1);
	x_alu_rr(e, ALU_OR, XT1, XT2);
	x_push(e, XT1);
	x_popfq(e);
}

/*
 * BT BTS BTR BTC, 16 and 32 bits: the host's, which takes the bit offset
 * modulo the operand size exactly as op_bt_* do for a register operand
 * and for an immediate.  A register offset with a memory operand
 * addresses memory beyond it (a bit string): left to the handler.  The
 * interpreter writes CF only.  So does this host's BT, but the SDM calls
 * OF SF AF PF (and AMD also ZF) undefined, so when a later instruction
 * reads any flag but CF the guest's flags are saved around the host's BT
 * and only its CF is taken (bt_carry_only).  Without that, a guest
 * reading OF after BT (SETO, PUSHF) saw what the translator's own code
 * had left in the host's EFLAGS: a TLB compare, a C helper's last test.
 */
int xl_bt(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	int kind = d->arg, size = operand_size(i);
	bool imm = d->fmt == FM_EI;
	struct xrm rm;
	if (!imm && i->mod != 3)
		return XL_NO;
	if (!rm_operand(x, i, size, kind != BT_TEST, -1, &rm))
		return XL_NO;
	uint16_t writes = F_C | F_O | F_S | F_A | F_P;
	bool others_read = !x->planning && (x->plan[x->k].need_after & F_ALL & ~F_C);
	xl_keep_flags(x, F_C);
	if (others_read)
		x_pushfq(&x->e);
	if (imm) {
		x_ext(&x->e, size, 0x0fba, bt_imm_digit[kind], rm);
		x_byte(&x->e, (uint8_t)i->imm);
	} else {
		x_rm(&x->e, size, bt_rm_r_op[kind], greg(i->reg), rm);
	}
	if (others_read)
		bt_carry_only(&x->e);
	xl_flags_produced(x, writes);
	return XL_NEXT;
}

/*
 * BSF/BSR r, r/m (0F BC, BD), 16 and 32 bits: the host's, which sets ZF
 * and leaves the destination unchanged for a zero source, as bit_scan()
 * does; the other flags are undefined.
 */
int xl_bitscan(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, false, -1, &rm))
		return XL_NO;
	x_rm(&x->e, size, i->iop == IOP_BSR_Gv_Ev ? 0x0fbd : 0x0fbc, greg(i->reg), rm);
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

/* --- exchange-and-add, compare-and-exchange ------------------------------- */

/* XADD r/m, r (0F C0, C1): the sum to r/m, the old r/m to the register;
 * XADD r, r keeps the sum.  The host's does exactly that. */
int xl_xadd(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, true, i->reg, &rm))
		return XL_NO;
	x_rm(&x->e, size, size == 1 ? 0x0fc0 : 0x0fc1, reg_field(i->reg, size), rm);
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}

/* CMPXCHG r/m, r (0F B0, B1), with the guest's EAX in RAX: the host's
 * writes the destination back either way, as the CPU does (memory was
 * checked for writing). */
int xl_cmpxchg(struct xl *x, const struct insn *i)
{
	int size = operand_size(i);
	struct xrm rm;
	if (!rm_operand(x, i, size, true, i->reg, &rm))
		return XL_NO;
	x_rm(&x->e, size, size == 1 ? 0x0fb0 : 0x0fb1, reg_field(i->reg, size), rm);
	xl_flags_produced(x, F_ALL);
	return XL_NEXT;
}
