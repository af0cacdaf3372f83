/*
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/
 * REPNE.  Each iteration commits its register updates before the next, so
 * a fault mid-string leaves ECX/ESI/EDI describing the work still to do and
 * EIP at the instruction: the guest resumes exactly where it stopped.
 * Long repeats yield every REP_SLICE iterations so interrupts are not held
 * off.
 */
#include <string.h>

#include "engine/soft/insn.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

#define REP_SLICE 16384u

static int elem_size(const struct insn *i)
{
	return isize(i);
}

static uint32_t idx_get(struct cpu *c, const struct insn *i, int r)
{
	return i->a32 ? c->r[r] : (uint16_t)c->r[r];
}

static void idx_step(struct cpu *c, const struct insn *i, int r, int size)
{
	uint32_t d = (c->eflags & FL_DF) ? (uint32_t)-size : (uint32_t)size;
	if (i->a32)
		c->r[r] += d;
	else
		set_reg16(c, r, (uint16_t)(c->r[r] + d));
}

static uint32_t count_get(struct cpu *c, const struct insn *i)
{
	return idx_get(c, i, R_ECX);
}

static void count_set(struct cpu *c, const struct insn *i, uint32_t v)
{
	if (i->a32)
		c->r[R_ECX] = v;
	else
		set_reg16(c, R_ECX, (uint16_t)v);
}

static uint32_t mread(struct cpu *c, int sreg, uint32_t off, int size)
{
	switch (size) {
	case 1: return vread8(c, sreg, off);
	case 2: return vread16(c, sreg, off);
	default: return vread32(c, sreg, off);
	}
}

static void mwrite(struct cpu *c, int sreg, uint32_t off, int size, uint32_t v)
{
	switch (size) {
	case 1: vwrite8(c, sreg, off, (uint8_t)v); break;
	case 2: vwrite16(c, sreg, off, (uint16_t)v); break;
	default: vwrite32(c, sreg, off, v); break;
	}
}

enum str_op { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS, S_INS, S_OUTS };

/* One element; returns false if a REPE/REPNE condition ends the loop. */
static void str_step(struct cpu *c, const struct insn *i, enum str_op op, int size)
{
	uint32_t a, b;
	switch (op) {
	case S_MOVS:
		a = mread(c, i->seg, idx_get(c, i, R_ESI), size);
		mwrite(c, SR_ES, idx_get(c, i, R_EDI), size, a);
		idx_step(c, i, R_ESI, size);
		idx_step(c, i, R_EDI, size);
		break;
	case S_CMPS:
		a = mread(c, i->seg, idx_get(c, i, R_ESI), size);
		b = mread(c, SR_ES, idx_get(c, i, R_EDI), size);
		lazy_set(c, LF_SUB, size, a, b, a - b);
		idx_step(c, i, R_ESI, size);
		idx_step(c, i, R_EDI, size);
		break;
	case S_STOS:
		mwrite(c, SR_ES, idx_get(c, i, R_EDI), size, c->r[R_EAX]);
		idx_step(c, i, R_EDI, size);
		break;
	case S_LODS:
		a = mread(c, i->seg, idx_get(c, i, R_ESI), size);
		reg_write_sz(c, R_EAX, size, a);
		idx_step(c, i, R_ESI, size);
		break;
	case S_SCAS:
		a = reg_read_sz(c, R_EAX, size);
		b = mread(c, SR_ES, idx_get(c, i, R_EDI), size);
		lazy_set(c, LF_SUB, size, a, b, a - b);
		idx_step(c, i, R_EDI, size);
		break;
	case S_INS:
		/* Check the store first: the port read may have side effects. */
		vcheck_write(c, SR_ES, idx_get(c, i, R_EDI), (uint32_t)size);
		a = cpu_io_in(c, (uint16_t)c->r[R_EDX], size);
		mwrite(c, SR_ES, idx_get(c, i, R_EDI), size, a);
		idx_step(c, i, R_EDI, size);
		break;
	case S_OUTS:
		a = mread(c, i->seg, idx_get(c, i, R_ESI), size);
		cpu_io_out(c, (uint16_t)c->r[R_EDX], size, a);
		idx_step(c, i, R_ESI, size);
		break;
	}
}

/*
 * REP STOS over one page: `bytes` bytes of the low `size` bytes of v, in
 * guest (little-endian) order.  A size known at each call site lets the
 * compiler emit whole-word stores; a copy of `size` bytes per element with
 * size in a variable compiled to a byte loop and was the slowest part of
 * the guest's clear_page().
 */
static void fill(uint8_t *dst, uint32_t v, int size, uint32_t bytes)
{
	uint8_t b = (uint8_t)v;
	bool uniform = size == 1 || (size == 2 ? (uint16_t)v == b * 0x0101u : v == b * 0x01010101u);
	if (uniform) {
		memset(dst, b, bytes);
	} else if (size == 2) {
		uint16_t w = (uint16_t)v;
		for (uint32_t k = 0; k < bytes; k += 2)
			memcpy(dst + k, &w, 2);
	} else {
		for (uint32_t k = 0; k < bytes; k += 4)
			memcpy(dst + k, &v, 4);
	}
}

/*
 * Fast path for forward REP MOVS / REP STOS with 32-bit addressing: whole
 * runs within one page of source and destination are copied with memmove.
 * Returns the number of elements done (0 if the fast path does not apply).
 */
static uint32_t rep_fast(struct cpu *c, const struct insn *i, enum str_op op, int size, uint32_t count)
{
	if (!i->a32 || (c->eflags & FL_DF))
		return 0;
	uint32_t di = c->r[R_EDI], si = c->r[R_ESI];
	uint32_t room = 0x1000 - ((c->seg[SR_ES].base + di) & 0xfff);
	if (op == S_MOVS) {
		uint32_t sroom = 0x1000 - ((c->seg[i->seg].base + si) & 0xfff);
		if (sroom < room)
			room = sroom;
	}
	uint32_t n = room / (uint32_t)size;
	if (n > count)
		n = count;
	if (n < 2)
		return 0;
	uint32_t bytes = n * (uint32_t)size;
	uint8_t *src = NULL;
	if (op == S_MOVS && !(src = vptr_read(c, i->seg, si, bytes)))
		return 0;
	uint8_t *dst = vptr_write(c, SR_ES, di, bytes);
	if (!dst)
		return 0;
	if (op == S_MOVS) {
		/* Overlapping forward copies replicate elements, as the CPU does;
		 * each element is read whole before it is written (a source and
		 * destination closer than one element overlap in it). */
		if (dst > src && dst < src + bytes) {
			for (uint32_t k = 0; k < bytes; k += (uint32_t)size)
				memmove(dst + k, src + k, (size_t)size);
		} else {
			memmove(dst, src, bytes);
		}
		c->r[R_ESI] = si + bytes;
	} else {
		fill(dst, c->r[R_EAX], size, bytes);
	}
	c->r[R_EDI] = di + bytes;
	return n;
}

static void string_op(struct cpu *c, const struct insn *i, enum str_op op)
{
	int size = elem_size(i);
	if (op == S_INS || op == S_OUTS)
		io_check(c, (uint16_t)c->r[R_EDX], size);
	if (!i->rep) {
		str_step(c, i, op, size);
		return;
	}
	bool cond = op == S_CMPS || op == S_SCAS;
	uint32_t count = count_get(c, i);
	uint32_t done = 0;
	while (count && done < REP_SLICE) {
		uint32_t n = (op == S_MOVS || op == S_STOS) ? rep_fast(c, i, op, size, count) : 0;
		if (n) {
			count -= n;
			count_set(c, i, count);
			done += n;
			continue;
		}
		str_step(c, i, op, size);
		count_set(c, i, --count);
		done++;
		if (cond && flag_zf(c) != (i->rep == 0xf3))
			return; /* REPE stops on ZF=0, REPNE on ZF=1 */
	}
	if (count) {
		/* Not finished: resume after interrupts.  The slice counts as
		 * the iterations it did, so the run loop's budget bounds a
		 * long REP as it bounds a loop (the block counts one). */
		c->next_eip = c->eip;
		c->icount += done - 1;
	}
}

OP(op_movs) { string_op(c, i, S_MOVS); }
OP(op_cmps) { string_op(c, i, S_CMPS); }
OP(op_stos) { string_op(c, i, S_STOS); }
OP(op_lods) { string_op(c, i, S_LODS); }
OP(op_scas) { string_op(c, i, S_SCAS); }
OP(op_ins) { string_op(c, i, S_INS); }
OP(op_outs) { string_op(c, i, S_OUTS); }
