/*
 * Lazy flags.  Arithmetic instructions record (op, size, a, b, result);
 * the six arithmetic flags are derived only when an instruction reads
 * them.  Most results are consumed by the very next Jcc, which reads one
 * or two flags, so computing all six eagerly would be wasted work.
 */
#include "engine/soft/cpu.h"

static inline uint32_t size_mask(int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static inline uint32_t sign_bit(int size)
{
	return 1u << (size * 8 - 1);
}

bool flag_cf(struct cpu *c)
{
	if (c->lf_op == LF_NONE || c->lf_op == LF_INC || c->lf_op == LF_DEC)
		return c->eflags & FL_CF;
	if (c->lf_op == LF_HOST)
		return c->lf_res & FL_CF;
	uint32_t m = size_mask(c->lf_size);
	uint32_t a = c->lf_a & m, b = c->lf_b & m, r = c->lf_res & m;
	switch (c->lf_op) {
	case LF_ADD:
		return r < a;
	case LF_ADC:
		return c->lf_cin ? r <= a : r < a;
	case LF_SUB:
		return a < b;
	case LF_SBB:
		return c->lf_cin ? a <= b : a < b;
	case LF_SZPCO:
		return c->lf_b & 1;
	default:
		return false; /* LF_LOGIC */
	}
}

bool flag_zf(struct cpu *c)
{
	if (c->lf_op == LF_NONE)
		return c->eflags & FL_ZF;
	if (c->lf_op == LF_HOST)
		return c->lf_res & FL_ZF;
	return (c->lf_res & size_mask(c->lf_size)) == 0;
}

bool flag_sf(struct cpu *c)
{
	if (c->lf_op == LF_NONE)
		return c->eflags & FL_SF;
	if (c->lf_op == LF_HOST)
		return c->lf_res & FL_SF;
	return c->lf_res & sign_bit(c->lf_size);
}

bool flag_of(struct cpu *c)
{
	if (c->lf_op == LF_NONE)
		return c->eflags & FL_OF;
	if (c->lf_op == LF_HOST)
		return c->lf_res & FL_OF;
	uint32_t s = sign_bit(c->lf_size);
	uint32_t a = c->lf_a, b = c->lf_b, r = c->lf_res;
	switch (c->lf_op) {
	case LF_ADD:
	case LF_ADC:
		return ((a ^ r) & (b ^ r)) & s;
	case LF_SUB:
	case LF_SBB:
		return ((a ^ b) & (a ^ r)) & s;
	case LF_INC:
		return (r & size_mask(c->lf_size)) == s;
	case LF_DEC:
		return (r & size_mask(c->lf_size)) == s - 1;
	case LF_SZPCO:
		return c->lf_b & 2;
	default:
		return false;
	}
}

static const uint8_t parity_table[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
	P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

bool flag_pf(struct cpu *c)
{
	if (c->lf_op == LF_NONE)
		return c->eflags & FL_PF;
	if (c->lf_op == LF_HOST)
		return c->lf_res & FL_PF;
	return parity_table[c->lf_res & 0xff];
}

bool flag_af(struct cpu *c)
{
	switch (c->lf_op) {
	case LF_NONE:
		return c->eflags & FL_AF;
	case LF_HOST:
		return c->lf_res & FL_AF;
	case LF_LOGIC:
	case LF_SZPCO:
		return false;
	case LF_INC:
		return (c->lf_res & 0xf) == 0;
	case LF_DEC:
		return (c->lf_res & 0xf) == 0xf;
	default:
		return (c->lf_a ^ c->lf_b ^ c->lf_res) & 0x10;
	}
}

uint32_t flags_szp(uint32_t res, int size)
{
	uint32_t f = 0;
	if ((res & size_mask(size)) == 0)
		f |= FL_ZF;
	if (res & sign_bit(size))
		f |= FL_SF;
	if (parity_table[res & 0xff])
		f |= FL_PF;
	return f;
}

void flags_materialize(struct cpu *c)
{
	if (c->lf_op == LF_NONE)
		return;
	if (c->lf_op == LF_HOST) {
		c->eflags = (c->eflags & ~FL_ARITH) | (c->lf_res & FL_ARITH);
		c->lf_op = LF_NONE;
		return;
	}
	uint32_t f = 0;
	if (flag_cf(c))
		f |= FL_CF;
	if (flag_pf(c))
		f |= FL_PF;
	if (flag_af(c))
		f |= FL_AF;
	if (flag_zf(c))
		f |= FL_ZF;
	if (flag_sf(c))
		f |= FL_SF;
	if (flag_of(c))
		f |= FL_OF;
	c->eflags = (c->eflags & ~FL_ARITH) | f;
	c->lf_op = LF_NONE;
}

void flags_set_arith(struct cpu *c, uint32_t flags)
{
	c->lf_op = LF_NONE;
	c->eflags = (c->eflags & ~FL_ARITH) | (flags & FL_ARITH);
}

/* TEST/AND/OR/XOR: CF = OF = 0, so every condition follows from the result. */
static bool cond_after_logic(uint32_t res, int size, int cc)
{
	bool zf = (res & size_mask(size)) == 0, sf = res & sign_bit(size), r;
	switch (cc >> 1) {
	case 0: case 1: r = false; break;  /* O, B */
	case 2: case 3: r = zf; break;     /* E, BE */
	case 4: case 6: r = sf; break;     /* S, L */
	case 5: r = parity_table[res & 0xff]; break;
	default: r = zf || sf; break;      /* LE */
	}
	return (cc & 1) ? !r : r;
}

bool cond_true(struct cpu *c, int cc)
{
	bool r;
	if (c->lf_op == LF_SUB && c->lf_size == 4) {
		bool known;
		r = cond_after_sub32(c->lf_a, c->lf_b, cc, &known);
		if (known)
			return r;
	} else if (c->lf_op == LF_LOGIC) {
		return cond_after_logic(c->lf_res, c->lf_size, cc);
	}
	switch (cc >> 1) {
	case 0: r = flag_of(c); break;
	case 1: r = flag_cf(c); break;
	case 2: r = flag_zf(c); break;
	case 3: r = flag_cf(c) || flag_zf(c); break;
	case 4: r = flag_sf(c); break;
	case 5: r = flag_pf(c); break;
	case 6: r = flag_sf(c) != flag_of(c); break;
	default: r = flag_zf(c) || (flag_sf(c) != flag_of(c)); break;
	}
	return (cc & 1) ? !r : r;
}
