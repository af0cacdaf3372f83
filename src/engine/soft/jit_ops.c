/*
 * Inline translation of the frequent instruction forms.
 *
 * Each emitter reproduces one interpreter handler for the forms it
 * accepts, and declines (XL_NO) everything else, which then runs through
 * the handler.  Emitters write guest state only after every check that
 * can send them to the slow path, so a slow path always starts from the
 * state before the instruction.
 */
#include "engine/soft/jit_internal.h"
#include "engine/soft/ops.h"

_Static_assert(offsetof(struct cpu, lf_size) == offsetof(struct cpu, lf_op) + 1, "lf_op and lf_size are stored as one word");

/* Byte register n (AL CL DL BL AH CH DH BH) inside struct cpu. */
static struct xmem reg8_at(int n)
{
	return n < 4 ? GPR(n) : xm(X_RBX, (int32_t)(offsetof(struct cpu, r) + 4u * (unsigned)(n - 4) + 1));
}

/* Records (op, size 4, a = ECX, b = EDX, result = EAX) as lazy flags. */
static void store_lazy32(struct xl *x, enum lf_op op)
{
	struct emit *e = &x->e;
	x_store32(e, CPU_AT(lf_a), X_RCX);
	x_store32(e, CPU_AT(lf_b), X_RDX);
	x_store32(e, CPU_AT(lf_res), X_RAX);
	x_store_imm16(e, CPU_AT(lf_op), (uint16_t)(op | (4 << 8)));
}

/* --- moves ---------------------------------------------------------------- */

/* MOV r/m, r and MOV r, r/m (89, 8B), 16 and 32 bits. */
static enum xl_result mov_rm(struct xl *x, const struct insn *i, bool to_rm)
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
static enum xl_result mov_rm8(struct xl *x, const struct insn *i, bool to_rm)
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
static enum xl_result mov_imm(struct xl *x, const struct insn *i, bool modrm)
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

static enum xl_result lea(struct xl *x, const struct insn *i)
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
static enum xl_result movx(struct xl *x, const struct insn *i, int size, bool sign)
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

/* --- 32-bit arithmetic ---------------------------------------------------- */

/* ADD OR AND SUB XOR CMP and TEST, 32 bits, with ECX = a, EDX = b: the
 * result goes to EAX and the host flags are the guest's. */
static enum lf_op alu_apply(struct emit *e, int alu)
{
	x_mov_rr(e, X_RAX, X_RCX);
	switch (alu) {
	case ALU_ADD: x_alu_rr(e, ALU_ADD, X_RAX, X_RDX); return LF_ADD;
	case ALU_SUB:
	case ALU_CMP: x_alu_rr(e, ALU_SUB, X_RAX, X_RDX); return LF_SUB;
	case ALU_OR: x_alu_rr(e, ALU_OR, X_RAX, X_RDX); return LF_LOGIC;
	case ALU_XOR: x_alu_rr(e, ALU_XOR, X_RAX, X_RDX); return LF_LOGIC;
	default: x_alu_rr(e, ALU_AND, X_RAX, X_RDX); return LF_LOGIC; /* AND, TEST */
	}
}

#define ALU_TEST 8 /* not an opcode group number: TEST is AND without the store */

static bool alu_inline_op(int alu)
{
	return alu != ALU_ADC && alu != ALU_SBB;
}

/*
 * One 32-bit ALU instruction.  dst_rm: the destination (first operand) is
 * the r/m operand, else the reg operand.  imm: the source is i->imm, else
 * the other operand.  Memory destinations that would be written (read-
 * modify-write) are left to the handler; CMP and TEST only read.
 */
static enum xl_result alu32(struct xl *x, const struct insn *i, int alu, bool dst_rm, bool imm)
{
	struct emit *e = &x->e;
	bool writes = alu != ALU_CMP && alu != ALU_TEST;
	bool mem = i->mod != 3;
	if (!i->op32 || !alu_inline_op(alu) || (mem && dst_rm && writes))
		return XL_NO;
	if (mem) {
		xl_ea(x, i);
		xl_access(x, i->seg, 4, false);
		x_load32(e, X_R8, xm(X_RAX, 0));
	}
	/* ECX = first operand, EDX = second. */
	if (!dst_rm)
		x_load32(e, X_RCX, GPR(i->reg));
	else if (mem)
		x_mov_rr(e, X_RCX, X_R8);
	else
		x_load32(e, X_RCX, GPR(i->rm));
	if (imm)
		x_mov_ri(e, X_RDX, i->imm);
	else if (dst_rm)
		x_load32(e, X_RDX, GPR(i->reg));
	else if (mem)
		x_mov_rr(e, X_RDX, X_R8);
	else
		x_load32(e, X_RDX, GPR(i->rm));
	enum lf_op op = alu_apply(e, alu == ALU_TEST ? ALU_AND : alu);
	if (!x->flags_dead)
		store_lazy32(x, op);
	if (writes)
		x_store32(e, dst_rm ? GPR(i->rm) : GPR(i->reg), X_RAX);
	/* A slow path (memory operand) returns here with the host flags
	 * undefined, so only a register form leaves them usable. */
	x->host_flags = !mem;
	return XL_NEXT;
}

/* ADD OR AND SUB XOR with a memory destination (01.. and 81/83 with
 * mod != 3): one write check, then read, operate and store in place, as
 * rmw_begin/rmw_end do. */
static enum xl_result alu32_rmw(struct xl *x, const struct insn *i, int alu, bool imm)
{
	struct emit *e = &x->e;
	if (!i->op32 || !alu_inline_op(alu) || alu == ALU_CMP)
		return XL_NO;
	xl_ea(x, i);
	if (!imm)
		x_load32(e, X_R8, GPR(i->reg));
	xl_access(x, i->seg, 4, true);
	x_op_rr(e, true, 0x89, X_RAX, X_R10); /* mov r10, rax */
	x_load32(e, X_RCX, xm(X_R10, 0));
	if (imm)
		x_mov_ri(e, X_RDX, i->imm);
	else
		x_mov_rr(e, X_RDX, X_R8);
	enum lf_op op = alu_apply(e, alu);
	if (!x->flags_dead)
		store_lazy32(x, op);
	x_store32(e, xm(X_R10, 0), X_RAX);
	x->host_flags = false;
	return XL_NEXT;
}

/* CMP and TEST of bytes (38, 3A, 80 /7, 84, F6 /0 /1): they only read. */
static enum xl_result alu8_compare(struct xl *x, const struct insn *i, bool test, bool dst_rm, bool imm)
{
	struct emit *e = &x->e;
	bool mem = i->mod != 3;
	if (mem) {
		xl_ea(x, i);
		xl_access(x, i->seg, 1, false);
		x_movzx8(e, X_R8, xm(X_RAX, 0));
	}
	struct xmem rm = mem ? xm(X_RBX, 0) : reg8_at(i->rm);
	/* ECX = first operand, EDX = second, zero-extended bytes. */
	if (!dst_rm)
		x_movzx8(e, X_RCX, reg8_at(i->reg));
	else if (mem)
		x_mov_rr(e, X_RCX, X_R8);
	else
		x_movzx8(e, X_RCX, rm);
	if (imm)
		x_mov_ri(e, X_RDX, i->imm & 0xff);
	else if (dst_rm)
		x_movzx8(e, X_RDX, reg8_at(i->reg));
	else if (mem)
		x_mov_rr(e, X_RDX, X_R8);
	else
		x_movzx8(e, X_RDX, rm);
	x_mov_rr(e, X_RAX, X_RCX);
	x_op_rr(e, false, test ? 0x20 : 0x28, X_RDX, X_RAX); /* and/sub al, dl: byte flags */
	if (!x->flags_dead) {
		x_store32(e, CPU_AT(lf_a), X_RCX);
		x_store32(e, CPU_AT(lf_b), X_RDX);
		x_store32(e, CPU_AT(lf_res), X_RAX);
		x_store_imm16(e, CPU_AT(lf_op), (uint16_t)((test ? LF_LOGIC : LF_SUB) | (1 << 8)));
	}
	x->host_flags = !mem;
	return XL_NEXT;
}

/* Records SF ZF PF from EAX, CF and OF from EDX = cf | of << 1. */
static void store_lazy_szpco(struct emit *e)
{
	x_store_imm32(e, CPU_AT(lf_a), 0);
	x_store32(e, CPU_AT(lf_b), X_RDX);
	x_store32(e, CPU_AT(lf_res), X_RAX);
	x_store_imm16(e, CPU_AT(lf_op), (uint16_t)(LF_SZPCO | (4 << 8)));
}

/* IMUL r32, r/m32 (0F AF) and IMUL r32, r/m32, imm (69, 6B). */
static enum xl_result imul32(struct xl *x, const struct insn *i, bool imm)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	if (i->mod != 3) {
		xl_ea(x, i);
		xl_access(x, i->seg, 4, false);
		x_load32(e, X_RDX, xm(X_RAX, 0));
	} else {
		x_load32(e, X_RDX, GPR(i->rm));
	}
	if (imm)
		x_mov_ri(e, X_RAX, i->imm);
	else
		x_load32(e, X_RAX, GPR(i->reg));
	x_op_rr(e, false, 0x0faf, X_RAX, X_RDX); /* imul eax, edx */
	x_setcc(e, CC_O, X_RCX);
	x_movzx_r8(e, X_RCX, X_RCX);
	x_lea32(e, X_RDX, xmi(X_RCX, X_RCX, 1, 0)); /* CF = OF = overflow */
	if (!x->flags_dead)
		store_lazy_szpco(e);
	x_store32(e, GPR(i->reg), X_RAX);
	x->host_flags = false;
	return XL_NEXT;
}

/* ROL/ROR r32 whose flags nobody reads (x->flags_dead): they change only
 * CF and OF, which the lazy-flag record cannot express without folding
 * the other flags first, so a live result is left to the handler. */
static enum xl_result rotate_r(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!x->flags_dead)
		return XL_NO;
	x->host_flags = false;
	x_load32(e, X_RAX, GPR(i->rm));
	if (i->imm2) {
		x_movzx8(e, X_RCX, GPR(R_ECX));
		x_op_rr(e, false, 0xd3, i->reg, X_RAX); /* rol/ror eax, cl */
	} else {
		x_shift_ri(e, i->reg, X_RAX, (uint8_t)(i->imm & 31));
	}
	x_store32(e, GPR(i->rm), X_RAX);
	return XL_NEXT;
}

/* SHL/SHR/SAR r32 by an immediate or by CL (C1, D1, D3 with mod 3), as
 * fast.c and shift.c do: a count of 0 (after masking) changes nothing,
 * flags included. */
static enum xl_result shift_r(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32 || i->mod != 3 || i->reg == 2 || i->reg == 3)
		return XL_NO;
	if (i->reg < 2)
		return rotate_r(x, i);
	int ext = i->reg == 5 ? 5 : i->reg == 7 ? 7 : 4;
	x->host_flags = false;
	uint8_t *zero = NULL;
	if (i->imm2) { /* D3: count in CL */
		x_movzx8(e, X_RCX, GPR(R_ECX));
		x_alu_ri(e, ALU_AND, X_RCX, 31);
		zero = x_jcc(e, CC_E);
		x_load32(e, X_R9, GPR(i->rm));
		x_mov_rr(e, X_RAX, X_R9);
		x_op_rr(e, false, 0xd3, ext, X_RAX); /* shift eax, cl */
	} else {
		unsigned n = i->imm & 31;
		if (n == 0)
			return XL_NEXT;
		x_load32(e, X_R9, GPR(i->rm));
		x_mov_rr(e, X_RAX, X_R9);
		x_shift_ri(e, ext, X_RAX, (uint8_t)n);
	}
	x_setcc(e, CC_B, X_RDX);
	x_movzx_r8(e, X_RDX, X_RDX); /* EDX = CF */
	if (ext == 4) {         /* SHL: OF = msb(result) ^ CF */
		x_mov_rr(e, X_R8, X_RAX);
		x_shift_ri(e, 5, X_R8, 31);
		x_alu_rr(e, ALU_XOR, X_R8, X_RDX);
	} else if (ext == 5) {  /* SHR: OF = msb(operand) */
		x_mov_rr(e, X_R8, X_R9);
		x_shift_ri(e, 5, X_R8, 31);
	} else {                /* SAR: OF = 0 */
		x_mov_ri(e, X_R8, 0);
	}
	x_lea32(e, X_RDX, xmi(X_RDX, X_R8, 1, 0));
	if (!x->flags_dead)
		store_lazy_szpco(e);
	x_store32(e, GPR(i->rm), X_RAX);
	if (zero)
		x_patch(e, zero, e->p);
	return XL_NEXT;
}

/* CF as a byte in R8B: from the host flags when they are the guest's,
 * else from flag_cf(). */
static void carry_to_r8(struct xl *x)
{
	struct emit *e = &x->e;
	if (x->host_flags) {
		x_setcc(e, CC_B, X_RAX);
		x_movzx_r8(e, X_R8, X_RAX);
		return;
	}
	x_op_rr(e, true, 0x89, X_RBX, X_RDI); /* mov rdi, rbx */
	x_call_abs(e, (const void *)flag_cf);
	x_movzx_r8(e, X_R8, X_RAX);
}

/* ADC/SBB r32, r32 and r32, imm (11 13 19 1B with mod 3; 83/81 /2 /3),
 * as adc_sbb_rr in fast.c: the carry in is read before the flags change. */
static enum xl_result adc_sbb(struct xl *x, const struct insn *i, bool sub, bool dst_rm, bool imm)
{
	struct emit *e = &x->e;
	if (!i->op32 || i->mod != 3)
		return XL_NO;
	carry_to_r8(x);
	x_store8(e, CPU_AT(lf_cin), X_R8);
	x_load32(e, X_RCX, GPR(dst_rm ? i->rm : i->reg));
	if (imm)
		x_mov_ri(e, X_RDX, i->imm);
	else
		x_load32(e, X_RDX, GPR(dst_rm ? i->reg : i->rm));
	x_mov_rr(e, X_RAX, X_RCX);
	x_op_rr(e, false, 0x80, ALU_ADD, X_R8); /* add r8b, 0xff: CF = carry in */
	x_byte(e, 0xff);
	x_alu_rr(e, sub ? ALU_SBB : ALU_ADC, X_RAX, X_RDX);
	if (!x->flags_dead)
		store_lazy32(x, sub ? LF_SBB : LF_ADC);
	x_store32(e, GPR(dst_rm ? i->rm : i->reg), X_RAX);
	x->host_flags = true;
	return XL_NEXT;
}

/* INC and DEC keep CF: fold the current CF into EFLAGS first (as
 * inc_dec() in alu.c), unless it is there already. */
static void keep_cf(struct cpu *c)
{
	c->eflags = (c->eflags & ~FL_CF) | (flag_cf(c) ? FL_CF : 0);
}

static enum xl_result inc_dec_r(struct xl *x, const struct insn *i, bool dec)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	x->host_flags = false;
	if (x->flags_dead) {
		x_load32(e, X_RAX, GPR(i->reg));
		x_lea32(e, X_RAX, xm(X_RAX, dec ? -1 : 1));
		x_store32(e, GPR(i->reg), X_RAX);
		return XL_NEXT;
	}
	x_movzx8(e, X_RDX, CPU_AT(lf_op));
	x_alu_ri(e, ALU_CMP, X_RDX, LF_INC);
	uint8_t *ok1 = x_jcc(e, CC_E);
	x_alu_ri(e, ALU_CMP, X_RDX, LF_DEC);
	uint8_t *ok2 = x_jcc(e, CC_E);
	x_test_rr(e, X_RDX, X_RDX); /* LF_NONE */
	uint8_t *ok3 = x_jcc(e, CC_E);
	x_op_rr(e, true, 0x89, X_RBX, X_RDI); /* mov rdi, rbx */
	x_call_abs(e, (const void *)keep_cf);
	x_patch(e, ok1, e->p);
	x_patch(e, ok2, e->p);
	x_patch(e, ok3, e->p);
	x_load32(e, X_RCX, GPR(i->reg));
	x_lea32(e, X_RAX, xm(X_RCX, dec ? -1 : 1));
	x_store32(e, CPU_AT(lf_a), X_RCX);
	x_store_imm32(e, CPU_AT(lf_b), 1);
	x_store32(e, CPU_AT(lf_res), X_RAX);
	x_store_imm16(e, CPU_AT(lf_op), (uint16_t)((dec ? LF_DEC : LF_INC) | (4 << 8)));
	x_store32(e, GPR(i->reg), X_RAX);
	return XL_NEXT;
}

/* MOV EAX/AX, moffs and MOV moffs, EAX/AX (A1, A3). */
static enum xl_result mov_moffs(struct xl *x, const struct insn *i, bool store)
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

bool xl_sets_all_flags(const struct insn *i)
{
	if (!i->op32 || i->mod != 3 || (i->flags & INSN_LOCK) || i->fn == op_ud)
		return false;
	unsigned op = i->op;
	if (op < 0x40 && ((op & 7) == 1 || (op & 7) == 3))
		return (op >> 3) != ALU_ADC && (op >> 3) != ALU_SBB;
	if (op == 0x81 || op == 0x83)
		return i->reg != ALU_ADC && i->reg != ALU_SBB;
	return op == 0x85;
}

static enum xl_result alu_group(struct xl *x, const struct insn *i)
{
	unsigned op = i->op;
	bool mem = i->mod != 3;
	if (op == 0x11 || op == 0x19)
		return adc_sbb(x, i, op == 0x19, true, false);
	if (op == 0x13 || op == 0x1b)
		return adc_sbb(x, i, op == 0x1b, false, false);
	if (op < 0x40 && (op & 7) == 1)
		return mem && op != 0x39 ? alu32_rmw(x, i, (int)(op >> 3), false) : alu32(x, i, (int)(op >> 3), true, false);
	if (op < 0x40 && (op & 7) == 3)
		return alu32(x, i, (int)(op >> 3), false, false);
	if ((op == 0x81 || op == 0x83) && (i->reg == ALU_ADC || i->reg == ALU_SBB))
		return adc_sbb(x, i, i->reg == ALU_SBB, true, true);
	if (op == 0x81 || op == 0x83)
		return mem && i->reg != ALU_CMP ? alu32_rmw(x, i, i->reg, true) : alu32(x, i, i->reg, true, true);
	if (op == 0x85)
		return alu32(x, i, ALU_TEST, true, false);
	switch (op) {
	case 0x38: return alu8_compare(x, i, false, true, false);
	case 0x3a: return alu8_compare(x, i, false, false, false);
	case 0x80: return i->reg == ALU_CMP ? alu8_compare(x, i, false, true, true) : XL_NO;
	case 0x84: return alu8_compare(x, i, true, true, false);
	case 0xf6: return i->reg <= 1 ? alu8_compare(x, i, true, true, true) : XL_NO;
	}
	return XL_NO;
}

enum xl_result xl_inline(struct xl *x, const struct insn *i)
{
	if (i->fn == op_ud)
		return XL_NO;
	unsigned op = i->op;
	/* ALU instructions set x->host_flags; everything else clears it. */
	enum xl_result r = alu_group(x, i);
	if (r != XL_NO)
		return r;
	r = xl_flow(x, i);
	if (r != XL_NO)
		return r;
	x->host_flags = false;
	switch (op) {
	case 0x88: return mov_rm8(x, i, true);
	case 0x8a: return mov_rm8(x, i, false);
	case 0x89: return mov_rm(x, i, true);
	case 0x8b: return mov_rm(x, i, false);
	case 0x8d: return lea(x, i);
	case 0xa1: return mov_moffs(x, i, false);
	case 0xa3: return mov_moffs(x, i, true);
	case 0xc7: return mov_imm(x, i, true);
	case 0xc1: case 0xd1: case 0xd3: return shift_r(x, i);
	case 0x1af: return imul32(x, i, false);
	case 0x69: case 0x6b: return imul32(x, i, true);
	case 0x1b6: return movx(x, i, 1, false);
	case 0x1b7: return movx(x, i, 2, false);
	case 0x1be: return movx(x, i, 1, true);
	case 0x1bf: return movx(x, i, 2, true);
	}
	if (op >= 0xb8 && op <= 0xbf)
		return mov_imm(x, i, false);
	if (op >= 0x40 && op <= 0x4f)
		return inc_dec_r(x, i, op >= 0x48);
	return XL_NO;
}
