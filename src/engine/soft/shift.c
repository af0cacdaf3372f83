/*
 * Shifts, rotates, double shifts and bit instructions.  Their flags are
 * computed eagerly: they are rarer than ADD/SUB/CMP and their carry-out
 * rules do not fit the lazy scheme.
 */
#include "engine/soft/insn.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

static uint32_t flag_bits(bool cf, bool of)
{
	return (cf ? FL_CF : 0) | (of ? FL_OF : 0);
}

/* Rotates change only CF and OF. */
static void set_cf_of(struct cpu *c, bool cf, bool of)
{
	flags_materialize(c);
	c->eflags = (c->eflags & ~(FL_CF | FL_OF)) | flag_bits(cf, of);
}

static uint32_t rotate(struct cpu *c, int op, uint32_t a, unsigned count, int size)
{
	unsigned bits = (unsigned)size * 8;
	uint32_t m = mask_of(size), msb = msb_of(size), r;
	a &= m;
	if (op == SH_ROL || op == SH_ROR) {
		unsigned n = count % bits;
		if (op == SH_ROL) {
			r = n ? ((a << n) | (a >> (bits - n))) & m : a;
			set_cf_of(c, r & 1, ((r & msb) != 0) ^ (r & 1));
		} else {
			r = n ? ((a >> n) | (a << (bits - n))) & m : a;
			set_cf_of(c, r & msb, ((r ^ (r << 1)) & msb) != 0);
		}
		return r;
	}
	/* RCL/RCR rotate through CF: a (bits + 1)-bit rotation. */
	unsigned n = count % (bits + 1);
	uint64_t cf = flag_cf(c);
	uint64_t wide = ((uint64_t)cf << bits) | a; /* CF above the operand */
	uint64_t wm = ((uint64_t)1 << (bits + 1)) - 1;
	bool of;
	if (op == SH_RCL) {
		if (n)
			wide = ((wide << n) | (wide >> (bits + 1 - n))) & wm;
		r = (uint32_t)wide & m;
		bool ncf = (wide >> bits) & 1;
		of = ((r & msb) != 0) ^ ncf;
		set_cf_of(c, ncf, of);
	} else {
		of = ((a & msb) != 0) ^ (bool)cf;
		if (n)
			wide = ((wide >> n) | (wide << (bits + 1 - n))) & wm;
		r = (uint32_t)wide & m;
		set_cf_of(c, (wide >> bits) & 1, n == 1 ? of : (((r ^ (r << 1)) & msb) != 0));
	}
	return r;
}

static uint32_t shift(struct cpu *c, int op, uint32_t a, unsigned count, int size)
{
	unsigned bits = (unsigned)size * 8;
	uint32_t m = mask_of(size), msb = msb_of(size), r;
	bool cf, of;
	a &= m;
	switch (op) {
	case SH_SHL:
	case SH_SAL:
		r = count < 32 ? (a << count) & m : 0;
		cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
		of = ((r & msb) != 0) ^ cf;
		break;
	case SH_SHR:
		r = count < 32 ? a >> count : 0;
		cf = count <= 32 ? (a >> (count - 1)) & 1 : 0;
		of = (a & msb) != 0;
		break;
	default: { /* SAR */
		int32_t s = sext(a, size);
		unsigned k = count > 31 ? 31 : count;
		r = (uint32_t)(s >> k) & m;
		cf = (s >> (count - 1 > 31 ? 31 : count - 1)) & 1;
		of = false;
		break;
	}
	}
	lazy_szp_co(c, size, r, cf, of);
	return r;
}

static uint32_t shift_or_rotate(struct cpu *c, int op, uint32_t a, unsigned count, int size)
{
	return op < SH_SHL ? rotate(c, op, a, count, size) : shift(c, op, a, count, size);
}

/* The shift and rotate rows: the row's arg is the kind. */
OP(op_shift)
{
	int size = isize(i);
	unsigned count = (i->imm2 ? reg8(c, R_ECX) : i->imm) & 0x1f;
	if (count == 0) {
		(void)rm_read_sz(c, i, size); /* the operand is still read */
		return;
	}
	struct rmw t;
	uint32_t a = rmw_begin(c, i, size, &t);
	rmw_end(c, i, size, &t, shift_or_rotate(c, idef(i)->arg, a, count, size));
}

/* SHLD/SHRD: the count is imm8 or CL (i->imm2 = 1), masked to 5 bits. */
static void double_shift(struct cpu *c, const struct insn *i, bool left)
{
	int size = opsize(i);
	unsigned bits = (unsigned)size * 8;
	unsigned n = (i->imm2 ? reg8(c, R_ECX) : i->imm) & 0x1f;
	if (n == 0) {
		(void)rm_read_sz(c, i, size);
		return;
	}
	struct rmw t;
	uint32_t d = rmw_begin(c, i, size, &t);
	uint64_t s = reg_read_sz(c, i->reg, size);
	uint32_t m = mask_of(size), r;
	bool cf;
	if (left) {
		/* Shift dst:src left; for 16-bit counts above 16 the source
		 * bits repeat, as P6 does. */
		uint64_t w = ((uint64_t)d << bits) | s;
		if (size == 2)
			w = (w << 16) | s;
		unsigned total = size == 2 ? 48 : 64;
		r = (uint32_t)((w << n) >> (total - bits)) & m;
		cf = (w >> (total - n)) & 1;
	} else {
		uint64_t w = (s << bits) | d;
		if (size == 2)
			w |= (uint64_t)d << 32;
		r = (uint32_t)(w >> n) & m;
		cf = (w >> (n - 1)) & 1;
	}
	bool of = ((r ^ d) & msb_of(size)) != 0;
	lazy_szp_co(c, size, r, cf, of);
	rmw_end(c, i, size, &t, r);
}

OP(op_shld)
{
	double_shift(c, i, true);
}

OP(op_shrd)
{
	double_shift(c, i, false);
}

/* --- bit test ------------------------------------------------------------- */

static void set_cf(struct cpu *c, bool cf)
{
	flags_materialize(c);
	c->eflags = (c->eflags & ~FL_CF) | (cf ? FL_CF : 0);
}

static uint32_t bit_apply(int kind, uint32_t v, uint32_t bit)
{
	switch (kind) {
	case BT_SET: return v | bit;
	case BT_RESET: return v & ~bit;
	case BT_COMPLEMENT: return v ^ bit;
	default: return v;
	}
}

/* Register bit offsets address memory beyond the operand (signed). */
static void bit_op(struct cpu *c, const struct insn *i, int kind, uint32_t offset, bool from_reg)
{
	int size = opsize(i);
	unsigned bits = (unsigned)size * 8;
	if (i->mod == 3 || !from_reg) {
		uint32_t bit = 1u << (offset & (bits - 1));
		if (kind == BT_TEST) {
			set_cf(c, rm_read_sz(c, i, size) & bit);
			return;
		}
		struct rmw t;
		uint32_t v = rmw_begin(c, i, size, &t);
		set_cf(c, v & bit);
		rmw_end(c, i, size, &t, bit_apply(kind, v, bit));
		return;
	}
	int32_t soff = size == 2 ? (int16_t)offset : (int32_t)offset;
	uint32_t ea = insn_ea(c, i) + (uint32_t)((soff >> (size == 2 ? 4 : 3 + 2)) * size);
	if (!i->a32)
		ea &= 0xffff;
	uint32_t bit = 1u << (offset & (bits - 1));
	uint32_t v = size == 2 ? vread16(c, i->seg, ea) : vread32(c, i->seg, ea);
	if (kind != BT_TEST) {
		vcheck_write(c, i->seg, ea, (uint32_t)size);
		if (size == 2)
			vwrite16(c, i->seg, ea, (uint16_t)bit_apply(kind, v, bit));
		else
			vwrite32(c, i->seg, ea, bit_apply(kind, v, bit));
	}
	set_cf(c, v & bit);
}

/* BT BTS BTR BTC: the row's arg is the kind. */
OP(op_bt_rm_r)
{
	bit_op(c, i, idef(i)->arg, reg_read_sz(c, i->reg, opsize(i)), true);
}

OP(op_bt_imm)
{
	bit_op(c, i, idef(i)->arg, i->imm, false);
}

/* BSF/BSR: ZF=1 and the destination unchanged when the source is 0. */
static void bit_scan(struct cpu *c, const struct insn *i, bool reverse)
{
	int size = opsize(i);
	uint32_t v = rm_read_sz(c, i, size);
	flags_materialize(c);
	if (v == 0) {
		c->eflags |= FL_ZF;
		return;
	}
	c->eflags &= ~FL_ZF;
	uint32_t idx = reverse ? 31u - (uint32_t)__builtin_clz(v) : (uint32_t)__builtin_ctz(v);
	reg_write_sz(c, i->reg, size, idx);
}

OP(op_bsf)
{
	bit_scan(c, i, false);
}

OP(op_bsr)
{
	bit_scan(c, i, true);
}

OP(op_bswap)
{
	/* With a 16-bit operand the result is undefined; P6 clears the word. */
	if (i->op32)
		c->r[i->reg] = __builtin_bswap32(c->r[i->reg]);
	else
		set_reg16(c, i->reg, 0);
}
