/*
 * Inline translation of integer arithmetic: ADD OR AND SUB XOR CMP TEST
 * on bytes and dwords in every operand form, ADC/SBB, INC/DEC, NEG/NOT,
 * IMUL, the shifts, and XADD/CMPXCHG on dwords.
 *
 * The operation itself is one host instruction of the guest's size, so
 * the host's flags after it are the guest's; they are recorded lazily
 * (lf_op, lf_size, lf_a, lf_b, lf_res, as alu.c records them) unless the
 * next instruction overwrites them all (x->flags_dead).  Operands are
 * zero-extended into ECX (first) and EDX (second) and the result is left
 * in EAX; flags.c masks every field by lf_size, so a byte record holds
 * the same flags as the interpreter's.
 */
#include "engine/soft/jit_internal.h"

_Static_assert(offsetof(struct cpu, lf_size) == offsetof(struct cpu, lf_op) + 1, "lf_op and lf_size are stored as one word");

/* Records (op, size, a = ECX, b = EDX, result = EAX) as lazy flags. */
static void store_lazy(struct xl *x, enum lf_op op, int size)
{
	struct emit *e = &x->e;
	x_store32(e, CPU_AT(lf_a), X_RCX);
	x_store32(e, CPU_AT(lf_b), X_RDX);
	x_store32(e, CPU_AT(lf_res), X_RAX);
	x_store_imm16(e, CPU_AT(lf_op), (uint16_t)(op | (size << 8)));
}

/* EAX = ECX <alu> EDX at `size` bytes, leaving the guest's flags in the
 * host's; returns the lazy-flag kind. */
static enum lf_op alu_apply(struct emit *e, int alu, int size)
{
	x_mov_rr(e, X_RAX, X_RCX);
	int host = alu == ALU_CMP ? ALU_SUB : alu == ALU_TEST ? ALU_AND : alu;
	if (size == 1)
		x_op_rr(e, false, (unsigned)(host * 8), X_RDX, X_RAX); /* op al, dl */
	else
		x_alu_rr(e, host, X_RAX, X_RDX);
	switch (host) {
	case ALU_ADD: return LF_ADD;
	case ALU_SUB: return LF_SUB;
	default: return LF_LOGIC;
	}
}

/* Where an operand lives: a guest register of `size` bytes, or memory
 * at the host pointer in R10. */
static struct xmem operand_at(int reg, bool in_memory, int size)
{
	if (in_memory)
		return xm(X_R10, 0);
	return size == 1 ? reg8_at(reg) : GPR(reg);
}

/* R10 = the host address of i's memory operand, checked for a `size`-byte
 * access (for writing if write); operand_at then names it. */
static void mem_operand_to_r10(struct xl *x, const struct insn *i, int size, bool write)
{
	xl_ea(x, i);
	xl_access(x, i->seg, size, write);
	x_op_rr(&x->e, true, 0x89, X_RAX, X_R10); /* mov r10, rax */
}

static void load_operand(struct emit *e, int to, struct xmem from, int size)
{
	if (size == 1)
		x_movzx8(e, to, from);
	else
		x_load32(e, to, from);
}

/*
 * One ALU instruction of `size` bytes (1 or 4).  The first operand (the
 * destination) is the r/m operand if dst_rm, else register `reg`; the
 * second is the immediate if imm, else the other operand.  A memory
 * destination that is written is checked for writing once and then read,
 * operated on and stored in place, as rmw_begin/rmw_end do; CMP and TEST
 * only read.  ADC and SBB (they read CF) are adc_sbb's.
 */
struct alu_form {
	int alu, size;
	bool dst_rm, imm;
	int reg;
};

static int alu_any(struct xl *x, const struct insn *i, struct alu_form f)
{
	struct emit *e = &x->e;
	if (f.alu == ALU_ADC || f.alu == ALU_SBB || (f.size == 4 && !i->op32))
		return XL_NO;
	bool writes = f.alu != ALU_CMP && f.alu != ALU_TEST;
	bool mem = (f.dst_rm || !f.imm) && i->mod != 3;
	if (mem)
		mem_operand_to_r10(x, i, f.size, f.dst_rm && writes);
	struct xmem dst = f.dst_rm ? operand_at(i->rm, mem, f.size) : operand_at(f.reg, false, f.size);
	load_operand(e, X_RCX, dst, f.size);
	if (f.imm)
		x_mov_ri(e, X_RDX, f.size == 1 ? i->imm & 0xff : i->imm);
	else
		load_operand(e, X_RDX, f.dst_rm ? operand_at(f.reg, false, f.size) : operand_at(i->rm, mem, f.size), f.size);
	enum lf_op op = alu_apply(e, f.alu, f.size);
	if (!x->flags_dead)
		store_lazy(x, op, f.size);
	if (writes)
		f.size == 1 ? x_store8(e, dst, X_RAX) : x_store32(e, dst, X_RAX);
	/* A slow path (memory operand) returns here with the host flags
	 * undefined, so only a register form leaves them usable. */
	x->host_flags_out = !mem;
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
static int imul32(struct xl *x, const struct insn *i, bool imm)
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
	return XL_NEXT;
}

/* ROL/ROR r32 whose flags nobody reads (x->flags_dead): they change only
 * CF and OF, which the lazy-flag record cannot express without folding
 * the other flags first, so a live result is left to the handler. */
static int rotate_r(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!x->flags_dead)
		return XL_NO;
	x_load32(e, X_RAX, GPR(i->rm));
	if (i->imm2) {
		x_movzx8(e, X_RCX, GPR(R_ECX));
		x_op_rr(e, false, 0xd3, idef(i)->arg, X_RAX); /* rol/ror eax, cl */
	} else {
		x_shift_ri(e, idef(i)->arg, X_RAX, (uint8_t)(i->imm & 31));
	}
	x_store32(e, GPR(i->rm), X_RAX);
	return XL_NEXT;
}

/* SHL/SHR/SAR r32 by an immediate or by CL (C1, D1, D3 with mod 3), as
 * fast.c and shift.c do: a count of 0 (after masking) changes nothing,
 * flags included. */
int xl_shift(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int kind = idef(i)->arg;
	if (!i->op32 || i->mod != 3 || kind == SH_RCL || kind == SH_RCR)
		return XL_NO;
	if (kind == SH_ROL || kind == SH_ROR)
		return rotate_r(x, i);
	int ext = kind == SH_SHR ? 5 : kind == SH_SAR ? 7 : 4;
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
int xl_adcsbb(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	const struct insn_def *d = idef(i);
	bool sub = d->arg == ALU_SBB, dst_rm = d->fmt == FM_EG || d->fmt == FM_EI, imm = d->fmt == FM_EI;
	if (!i->op32 || i->mod != 3 || d->fmt == FM_AI)
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
		store_lazy(x, sub ? LF_SBB : LF_ADC, 4);
	x_store32(e, GPR(dst_rm ? i->rm : i->reg), X_RAX);
	x->host_flags_out = true;
	return XL_NEXT;
}

/* INC and DEC keep CF: fold the current CF into EFLAGS first (as
 * inc_dec() in alu.c), unless it is there already.  Folding changes no
 * flag the guest can see, so it may happen before a slow path. */
static void keep_cf(struct cpu *c)
{
	c->eflags = (c->eflags & ~FL_CF) | (flag_cf(c) ? FL_CF : 0);
}

static void emit_keep_cf(struct xl *x)
{
	struct emit *e = &x->e;
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
}

/* INC/DEC r32 (40+r, 48+r) and INC/DEC m32 (FF /0 /1). */
int xl_incdec(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	bool dec = i->iop == IOP_DEC_Zv || i->iop == IOP_DEC_Ev;
	bool modrm = idef(i)->fmt == FM_E;
	bool mem = modrm && i->mod != 3;
	int reg = modrm ? i->rm : i->reg;
	if (!x->flags_dead)
		emit_keep_cf(x);
	if (mem)
		mem_operand_to_r10(x, i, 4, true);
	struct xmem at = operand_at(reg, mem, 4);
	x_load32(e, X_RCX, at);
	x_lea32(e, X_RAX, xm(X_RCX, dec ? -1 : 1));
	if (!x->flags_dead) {
		x_store32(e, CPU_AT(lf_a), X_RCX);
		x_store_imm32(e, CPU_AT(lf_b), 1);
		x_store32(e, CPU_AT(lf_res), X_RAX);
		x_store_imm16(e, CPU_AT(lf_op), (uint16_t)((dec ? LF_DEC : LF_INC) | (4 << 8)));
	}
	x_store32(e, at, X_RAX);
	return XL_NEXT;
}

/* NOT r32 (no flags) and NEG r32 (flags of 0 - r) (F7 /2 /3, mod 3). */
int xl_not(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32 || i->mod != 3)
		return XL_NO;
	x_load32(e, X_RAX, GPR(i->rm));
	x_op_rr(e, false, 0xf7, 2, X_RAX); /* not eax */
	x_store32(e, GPR(i->rm), X_RAX);
	return XL_NEXT;
}

int xl_neg(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32 || i->mod != 3)
		return XL_NO;
	x_mov_ri(e, X_RCX, 0);
	x_load32(e, X_RDX, GPR(i->rm));
	enum lf_op op = alu_apply(e, ALU_SUB, 4);
	if (!x->flags_dead)
		store_lazy(x, op, 4);
	x_store32(e, GPR(i->rm), X_RAX);
	x->host_flags_out = true;
	return XL_NEXT;
}

/* --- exchange-and-add, compare-and-exchange ------------------------------- */

/* The r/m operand of a dword read-modify-write: the register, or memory
 * at R10 (checked for writing, as rmw_begin does). */
static struct xmem rmw_operand(struct xl *x, const struct insn *i)
{
	bool mem = i->mod != 3;
	if (mem)
		mem_operand_to_r10(x, i, 4, true);
	return operand_at(i->rm, mem, 4);
}

/* XADD r/m32, r32 (0F C1): the sum to r/m, the old r/m to the register;
 * XADD r, r keeps the sum.  Flags as ADD. */
int xl_xadd(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	struct xmem dst = rmw_operand(x, i);
	x_load32(e, X_RCX, dst);
	x_load32(e, X_RDX, GPR(i->reg));
	enum lf_op op = alu_apply(e, ALU_ADD, 4);
	if (!x->flags_dead)
		store_lazy(x, op, 4);
	x_store32(e, GPR(i->reg), X_RCX);
	x_store32(e, dst, X_RAX);
	x->host_flags_out = i->mod == 3; /* see alu_any */
	return XL_NEXT;
}

/* CMPXCHG r/m32, r32 (0F B1): flags as CMP EAX, r/m; if equal the
 * register goes to r/m, else r/m goes to EAX (memory was checked for
 * writing either way: the CPU always writes it back). */
int xl_cmpxchg(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	if (!i->op32)
		return XL_NO;
	struct xmem dst = rmw_operand(x, i);
	x_load32(e, X_RCX, GPR(R_EAX));
	x_load32(e, X_RDX, dst);
	enum lf_op op = alu_apply(e, ALU_CMP, 4);
	if (!x->flags_dead)
		store_lazy(x, op, 4);
	uint8_t *differ = x_jcc(e, CC_NE);
	x_load32(e, X_R8, GPR(i->reg));
	x_store32(e, dst, X_R8);
	uint8_t *done = x_jmp(e);
	x_patch(e, differ, e->p);
	x_store32(e, GPR(R_EAX), X_RDX);
	x_patch(e, done, e->p);
	x->host_flags_out = i->mod == 3;
	return XL_NEXT;
}

/* --- the rows' entry points ---------------------------------------------- */

/* The two-operand ALU rows and TEST: the row gives the operation and
 * which operands are where. */
int xl_alu(struct xl *x, const struct insn *i)
{
	const struct insn_def *d = idef(i);
	int size = (d->attr & D_BYTE) ? 1 : 4;
	switch (d->fmt) {
	case FM_EG: return alu_any(x, i, (struct alu_form){ d->arg, size, true, false, i->reg });
	case FM_GE: return alu_any(x, i, (struct alu_form){ d->arg, size, false, false, i->reg });
	case FM_AI: return alu_any(x, i, (struct alu_form){ d->arg, size, false, true, R_EAX });
	case FM_EI: return alu_any(x, i, (struct alu_form){ d->arg, size, true, true, 0 });
	default: return XL_NO;
	}
}

int xl_imul2(struct xl *x, const struct insn *i)
{
	return imul32(x, i, false);
}

int xl_imul3(struct xl *x, const struct insn *i)
{
	return imul32(x, i, true);
}
