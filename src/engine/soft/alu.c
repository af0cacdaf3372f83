/*
 * Integer arithmetic and logic: ADD..CMP, TEST, INC/DEC, NEG/NOT,
 * multiply/divide, and the BCD adjustments.  Shifts and bit operations
 * are in shift.c.
 */
#include "engine/soft/alu.h"
#include "engine/soft/insn.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

/* r/m <op>= value, with CMP only reading. */
static void alu_rm(struct cpu *c, const struct insn *i, int op, int size, uint32_t b)
{
	if (op == ALU_CMP) {
		alu(c, op, rm_read_sz(c, i, size), b, size);
		return;
	}
	struct rmw t;
	uint32_t a = rmw_begin(c, i, size, &t);
	rmw_end(c, i, size, &t, alu(c, op, a, b, size));
}

static void alu_reg(struct cpu *c, int r, int op, int size, uint32_t b)
{
	uint32_t v = alu(c, op, reg_read_sz(c, r, size), b, size);
	if (op != ALU_CMP)
		reg_write_sz(c, r, size, v);
}

/* The ADD..CMP rows (insn.def): the row's arg is the operation. */
OP(op_alu_rm_r)
{
	int s = isize(i);
	alu_rm(c, i, idef(i)->arg, s, reg_read_sz(c, i->reg, s));
}

OP(op_alu_r_rm)
{
	int s = isize(i);
	alu_reg(c, i->reg, idef(i)->arg, s, rm_read_sz(c, i, s));
}

OP(op_alu_acc_imm)
{
	int s = isize(i);
	if (idef(i)->arg == ALU_TEST)
		alu(c, ALU_AND, reg_read_sz(c, R_EAX, s), i->imm, s);
	else
		alu_reg(c, R_EAX, idef(i)->arg, s, i->imm);
}

OP(op_alu_rm_imm)
{
	int s = isize(i);
	alu_rm(c, i, idef(i)->arg, s, i->imm & mask_of(s));
}

OP(op_test_rm_r)
{
	int s = isize(i);
	alu(c, ALU_AND, rm_read_sz(c, i, s), reg_read_sz(c, i->reg, s), s);
}

OP(op_test_rm_imm)
{
	int s = isize(i);
	alu(c, ALU_AND, rm_read_sz(c, i, s), i->imm & mask_of(s), s);
}

/* INC and DEC leave CF alone: fold the current CF into eflags first. */
static uint32_t inc_dec(struct cpu *c, uint32_t a, int size, bool dec)
{
	bool cf = flag_cf(c);
	c->eflags = (c->eflags & ~FL_CF) | (cf ? FL_CF : 0);
	uint32_t r = dec ? a - 1 : a + 1;
	lazy_set(c, dec ? LF_DEC : LF_INC, size, a, 1, r);
	return r & mask_of(size);
}

OP(op_inc_r)
{
	int s = opsize(i);
	reg_write_sz(c, i->reg, s, inc_dec(c, reg_read_sz(c, i->reg, s), s, false));
}

OP(op_dec_r)
{
	int s = opsize(i);
	reg_write_sz(c, i->reg, s, inc_dec(c, reg_read_sz(c, i->reg, s), s, true));
}

static void inc_dec_rm(struct cpu *c, const struct insn *i, int size, bool dec)
{
	struct rmw t;
	uint32_t a = rmw_begin(c, i, size, &t);
	rmw_end(c, i, size, &t, inc_dec(c, a, size, dec));
}

OP(op_inc_rm)
{
	inc_dec_rm(c, i, isize(i), false);
}

OP(op_dec_rm)
{
	inc_dec_rm(c, i, isize(i), true);
}

/* --- multiply and divide -------------------------------------------------- */

/* Stores a double-width result in AX, DX:AX or EDX:EAX. */
static void store_wide(struct cpu *c, int size, uint64_t v)
{
	if (size == 1) {
		set_reg16(c, R_EAX, (uint16_t)v);
	} else if (size == 2) {
		set_reg16(c, R_EAX, (uint16_t)v);
		set_reg16(c, R_EDX, (uint16_t)(v >> 16));
	} else {
		c->r[R_EAX] = (uint32_t)v;
		c->r[R_EDX] = (uint32_t)(v >> 32);
	}
}

static void mul_flags(struct cpu *c, bool overflow, uint32_t low, int size)
{
	lazy_szp_co(c, size, low, overflow, overflow);
}

static void do_mul(struct cpu *c, uint32_t src, int size)
{
	uint64_t v = (uint64_t)reg_read_sz(c, R_EAX, size) * src;
	store_wide(c, size, v);
	mul_flags(c, (v >> (size * 8)) != 0, (uint32_t)v, size);
}

static void do_imul1(struct cpu *c, uint32_t src, int size)
{
	int64_t v = (int64_t)sext(reg_read_sz(c, R_EAX, size), size) * sext(src, size);
	store_wide(c, size, (uint64_t)v);
	mul_flags(c, v != sext((uint32_t)v, size), (uint32_t)v, size);
}

static void do_div(struct cpu *c, uint32_t src, int size)
{
	if (src == 0)
		cpu_exception(c, EXC_DE, 0);
	uint64_t n;
	if (size == 1)
		n = (uint16_t)c->r[R_EAX];
	else if (size == 2)
		n = ((uint32_t)(uint16_t)c->r[R_EDX] << 16) | (uint16_t)c->r[R_EAX];
	else
		n = ((uint64_t)c->r[R_EDX] << 32) | c->r[R_EAX];
	uint64_t q = n / src, r = n % src;
	if (q > mask_of(size))
		cpu_exception(c, EXC_DE, 0);
	if (size == 1) {
		set_reg16(c, R_EAX, (uint16_t)((r << 8) | q));
	} else {
		reg_write_sz(c, R_EAX, size, (uint32_t)q);
		reg_write_sz(c, R_EDX, size, (uint32_t)r);
	}
}

static void do_idiv(struct cpu *c, uint32_t src, int size)
{
	int64_t d = sext(src, size);
	if (d == 0)
		cpu_exception(c, EXC_DE, 0);
	int64_t n;
	if (size == 1)
		n = (int16_t)c->r[R_EAX];
	else if (size == 2)
		n = (int32_t)(((uint32_t)(uint16_t)c->r[R_EDX] << 16) | (uint16_t)c->r[R_EAX]);
	else
		n = (int64_t)(((uint64_t)c->r[R_EDX] << 32) | c->r[R_EAX]);
	if (n == INT64_MIN && d == -1)
		cpu_exception(c, EXC_DE, 0);
	int64_t q = n / d, r = n % d;
	int64_t lim = (int64_t)1 << (size * 8 - 1);
	if (q >= lim || q < -lim)
		cpu_exception(c, EXC_DE, 0);
	if (size == 1) {
		set_reg16(c, R_EAX, (uint16_t)(((uint32_t)(r & 0xff) << 8) | (uint32_t)(q & 0xff)));
	} else {
		reg_write_sz(c, R_EAX, size, (uint32_t)q);
		reg_write_sz(c, R_EDX, size, (uint32_t)r);
	}
}

OP(op_not)
{
	int s = isize(i);
	struct rmw t;
	uint32_t v = rmw_begin(c, i, s, &t);
	rmw_end(c, i, s, &t, ~v & mask_of(s)); /* no flags */
}

OP(op_neg)
{
	int s = isize(i);
	struct rmw t;
	uint32_t v = rmw_begin(c, i, s, &t);
	rmw_end(c, i, s, &t, alu(c, ALU_SUB, 0, v, s));
}

OP(op_mul) { do_mul(c, rm_read_sz(c, i, isize(i)), isize(i)); }
OP(op_imul1) { do_imul1(c, rm_read_sz(c, i, isize(i)), isize(i)); }
OP(op_div) { do_div(c, rm_read_sz(c, i, isize(i)), isize(i)); }
OP(op_idiv) { do_idiv(c, rm_read_sz(c, i, isize(i)), isize(i)); }

static uint32_t imul2(struct cpu *c, uint32_t a, uint32_t b, int size)
{
	int64_t v = (int64_t)sext(a, size) * sext(b, size);
	mul_flags(c, v != sext((uint32_t)v, size), (uint32_t)v, size);
	return (uint32_t)v & mask_of(size);
}

OP(op_imul_r_rm)
{
	int s = opsize(i);
	reg_write_sz(c, i->reg, s, imul2(c, reg_read_sz(c, i->reg, s), rm_read_sz(c, i, s), s));
}

OP(op_imul_r_rm_imm)
{
	int s = opsize(i);
	reg_write_sz(c, i->reg, s, imul2(c, rm_read_sz(c, i, s), i->imm, s));
}

/* --- exchange-and-add, compare-and-exchange ------------------------------- */

static void xadd(struct cpu *c, const struct insn *i, int size)
{
	struct rmw t;
	uint32_t d = rmw_begin(c, i, size, &t);
	uint32_t s = reg_read_sz(c, i->reg, size);
	uint32_t sum = alu(c, ALU_ADD, d, s, size);
	rmw_end(c, i, size, &t, sum);
	reg_write_sz(c, i->reg, size, d);
	if (i->mod == 3 && i->rm == i->reg) /* XADD r, r: the sum wins */
		reg_write_sz(c, i->reg, size, sum);
}

OP(op_xadd)
{
	xadd(c, i, isize(i));
}

static void cmpxchg(struct cpu *c, const struct insn *i, int size)
{
	struct rmw t;
	uint32_t d = rmw_begin(c, i, size, &t);
	uint32_t acc = reg_read_sz(c, R_EAX, size);
	alu(c, ALU_CMP, acc, d, size);
	if (acc == d) {
		rmw_end(c, i, size, &t, reg_read_sz(c, i->reg, size));
	} else {
		rmw_end(c, i, size, &t, d); /* the processor always writes back */
		reg_write_sz(c, R_EAX, size, d);
	}
}

OP(op_cmpxchg)
{
	cmpxchg(c, i, isize(i));
}

OP(op_cmpxchg8b)
{
	uint32_t ea = insn_ea(c, i);
	vcheck_write(c, i->seg, ea, 8);
	uint64_t m = vread64(c, i->seg, ea);
	uint64_t cmp = ((uint64_t)c->r[R_EDX] << 32) | c->r[R_EAX];
	flags_materialize(c);
	if (m == cmp) {
		vwrite64(c, i->seg, ea, ((uint64_t)c->r[R_ECX] << 32) | c->r[R_EBX]);
		c->eflags |= FL_ZF;
	} else {
		vwrite64(c, i->seg, ea, m);
		c->r[R_EAX] = (uint32_t)m;
		c->r[R_EDX] = (uint32_t)(m >> 32);
		c->eflags &= ~FL_ZF;
	}
}

/* --- sign extension and BCD ----------------------------------------------- */

OP(op_cbw)
{
	if (i->op32)
		c->r[R_EAX] = (uint32_t)(int32_t)(int16_t)c->r[R_EAX];
	else
		set_reg16(c, R_EAX, (uint16_t)(int16_t)(int8_t)c->r[R_EAX]);
}

OP(op_cwd)
{
	if (i->op32)
		c->r[R_EDX] = (c->r[R_EAX] & 0x80000000u) ? 0xffffffffu : 0;
	else
		set_reg16(c, R_EDX, (c->r[R_EAX] & 0x8000) ? 0xffff : 0);
}

OP(op_salc)
{
	(void)i;
	set_reg8(c, R_EAX, flag_cf(c) ? 0xff : 0);
}

static void set_al_flags(struct cpu *c, uint8_t al, bool cf, bool af)
{
	uint32_t f = flags_szp(al, 1);
	if (cf)
		f |= FL_CF;
	if (af)
		f |= FL_AF;
	flags_set_arith(c, f);
}

OP(op_daa)
{
	(void)i;
	uint8_t al = reg8(c, R_EAX), old_al = al;
	bool old_cf = flag_cf(c), cf = false, af = flag_af(c);
	if ((al & 0xf) > 9 || af) {
		cf = old_cf || al > 0xf9;
		al += 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al += 0x60;
		cf = true;
	} else {
		cf = false;
	}
	set_reg8(c, R_EAX, al);
	set_al_flags(c, al, cf, af);
}

OP(op_das)
{
	(void)i;
	uint8_t al = reg8(c, R_EAX), old_al = al;
	bool old_cf = flag_cf(c), cf = false, af = flag_af(c);
	if ((al & 0xf) > 9 || af) {
		cf = old_cf || al < 6;
		al -= 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al -= 0x60;
		cf = true;
	}
	set_reg8(c, R_EAX, al);
	set_al_flags(c, al, cf, af);
}

static void ascii_adjust(struct cpu *c, bool sub)
{
	bool adj = (reg8(c, R_EAX) & 0xf) > 9 || flag_af(c);
	uint16_t ax = (uint16_t)c->r[R_EAX];
	if (adj)
		ax = sub ? (uint16_t)(ax - 6 - 0x100) : (uint16_t)(ax + 0x106);
	ax &= 0xff0f;
	set_reg16(c, R_EAX, ax);
	set_al_flags(c, (uint8_t)ax, adj, adj);
}

OP(op_aaa)
{
	(void)i;
	ascii_adjust(c, false);
}

OP(op_aas)
{
	(void)i;
	ascii_adjust(c, true);
}

OP(op_aam)
{
	uint8_t base = (uint8_t)i->imm, al = reg8(c, R_EAX);
	if (base == 0)
		cpu_exception(c, EXC_DE, 0);
	uint8_t q = al / base, r = al % base;
	set_reg16(c, R_EAX, (uint16_t)((q << 8) | r));
	flags_set_arith(c, flags_szp(r, 1));
}

OP(op_aad)
{
	uint8_t base = (uint8_t)i->imm;
	uint8_t al = (uint8_t)(reg8(c, R_EAX) + reg8(c, 4) * base);
	set_reg16(c, R_EAX, al);
	flags_set_arith(c, flags_szp(al, 1));
}
