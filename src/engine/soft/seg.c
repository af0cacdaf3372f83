/*
 * Segment loads: descriptor-table access, the protected-mode checks of
 * MOV/POP/LxS to segment registers, PUSH/MOV from segment registers, and
 * the pending-stack helper used by far transfers and interrupt delivery.
 *
 * Every check that can fault runs before any register changes: handlers
 * unwind by longjmp, so a fault must find the old state intact.
 */
#include "engine/soft/insn.h"
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

/* --- descriptor tables ------------------------------------------------------ */

static bool table_of(struct cpu *c, uint16_t sel, uint32_t *base, uint32_t *limit)
{
	if (sel & SEL_TI) {
		/* An LDTR holding a null selector is unusable. */
		if (SEL_IS_NULL(c->ldtr.sel) || !(c->ldtr.attr & SA_P))
			return false;
		*base = c->ldtr.base;
		*limit = c->ldtr.limit;
	} else {
		*base = c->gdt_base;
		*limit = c->gdt_limit;
	}
	return true;
}

bool desc_read(struct cpu *c, uint16_t sel, struct desc *d)
{
	uint32_t base, limit;
	if (!table_of(c, sel, &base, &limit) || (uint32_t)(sel | 7u) > limit)
		return false;
	uint32_t at = base + (sel & ~7u);
	d->lo = sread32(c, at);
	d->hi = sread32(c, at + 4);
	return true;
}

struct desc desc_fetch(struct cpu *c, uint16_t sel, int vec, uint32_t ext)
{
	struct desc d;
	if (!desc_read(c, sel, &d))
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	return d;
}

void desc_write_type(struct cpu *c, uint16_t sel, struct desc *d, unsigned type)
{
	uint32_t base, limit;
	if (!table_of(c, sel, &base, &limit))
		return;
	d->hi = (d->hi & ~0xf00u) | ((type & 0xfu) << 8);
	swrite8(c, base + (sel & ~7u) + 5, (uint8_t)(d->hi >> 8));
}

void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d)
{
	if (!desc_is_sys(*d) && !(desc_type(*d) & ST_ACCESSED))
		desc_write_type(c, sel, d, desc_type(*d) | ST_ACCESSED);
}

/* --- segment caches --------------------------------------------------------- */

void seg_from_desc(struct seg *s, uint16_t sel, struct desc d)
{
	s->sel = sel;
	s->attr = desc_attr(d);
	s->base = desc_base(d);
	s->limit = desc_limit(d);
	seg_refresh(s, true);
}

void seg_make_null(struct seg *s, uint16_t sel)
{
	s->sel = sel;
	s->attr = 0;
	s->base = 0;
	s->limit = 0;
	seg_refresh(s, true);
	/* Whatever seg_refresh makes of attr 0, a null segment is unusable. */
	s->lo = 1;
	s->hi = 0;
	s->readable = s->writable = false;
	s->flat = false;
}

void seg_commit_cs(struct cpu *c, uint16_t sel, struct desc d, int cpl)
{
	seg_from_desc(&c->seg[SR_CS], (uint16_t)((sel & ~3u) | (unsigned)cpl), d);
	c->cpl = cpl;
	c->block_abort = true; /* code size or privilege may have changed */
}

struct desc check_stack_seg(struct cpu *c, uint16_t sel, int cpl, int vec, uint32_t ext)
{
	if (SEL_IS_NULL(sel))
		cpu_exception(c, vec, ext);
	struct desc d = desc_fetch(c, sel, vec, ext);
	if ((int)SEL_RPL(sel) != cpl || !desc_is_writable_data(d) || desc_dpl(d) != cpl)
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	if (!desc_present(d))
		cpu_exception(c, EXC_SS, SEL_ERR(sel) | ext);
	desc_set_accessed(c, sel, &d);
	return d;
}

bool check_data_seg(struct cpu *c, uint16_t sel, int cpl, int vec, uint32_t ext, struct desc *out)
{
	if (SEL_IS_NULL(sel))
		return false;
	struct desc d = desc_fetch(c, sel, vec, ext);
	if (!desc_is_readable(d))
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	if (!desc_is_conforming_code(d) &&
	    ((int)SEL_RPL(sel) > desc_dpl(d) || cpl > desc_dpl(d)))
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel) | ext);
	desc_set_accessed(c, sel, &d);
	*out = d;
	return true;
}

void load_seg(struct cpu *c, int sreg, uint16_t sel)
{
	if (!cpu_pmode(c) || cpu_v86(c)) {
		seg_load_real(c, sreg, sel); /* sets block_abort */
		return;
	}
	c->block_abort = true; /* the block's mode (MODE_FLAT_*, MODE_STACK32) may change */
	struct desc d;
	if (sreg == SR_SS) {
		d = check_stack_seg(c, sel, c->cpl, EXC_GP, 0);
		seg_from_desc(&c->seg[SR_SS], sel, d);
	} else if (check_data_seg(c, sel, c->cpl, EXC_GP, 0, &d)) {
		seg_from_desc(&c->seg[sreg], sel, d);
	} else {
		seg_make_null(&c->seg[sreg], sel);
	}
}

void seg_null_invalid(struct cpu *c)
{
	static const int regs[] = { SR_ES, SR_DS, SR_FS, SR_GS };
	for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++) {
		struct seg *s = &c->seg[regs[k]];
		uint16_t a = s->attr;
		bool conforming = (a & SA_S) && (SA_TYPE(a) & ST_CODE) && (SA_TYPE(a) & ST_CONFORMING);
		if (!SEL_IS_NULL(s->sel) && !conforming && (int)SA_DPL(a) < c->cpl)
			seg_make_null(s, 0);
	}
}

/* --- pending stack ------------------------------------------------------------ */

void stk_current(struct cpu *c, struct stk *s)
{
	s->ss = c->seg[SR_SS];
	s->esp = c->r[R_ESP];
	s->big = cpu_stack32(c);
	s->super = c->cpl < 3;
	s->err = 0;
}

void stk_push(struct cpu *c, struct stk *s, int size, uint32_t v)
{
	uint32_t mask = s->big ? 0xffffffffu : 0xffffu;
	uint32_t sp = (s->esp - (uint32_t)size) & mask;
	if (sp < s->ss.lo || (uint64_t)sp + (uint64_t)size - 1 > s->ss.hi)
		cpu_exception(c, EXC_SS, s->err);
	uint32_t lin = s->ss.base + sp;
	if (size == 4) {
		if (s->super)
			swrite32(c, lin, v);
		else
			lwrite32(c, lin, v);
	} else {
		if (s->super)
			swrite16(c, lin, (uint16_t)v);
		else
			lwrite16(c, lin, (uint16_t)v);
	}
	s->esp = (s->esp & ~mask) | sp;
}

void stk_commit(struct cpu *c, const struct stk *s)
{
	c->seg[SR_SS] = s->ss;
	c->r[R_ESP] = s->esp;
}

void tss_inner_stack(struct cpu *c, int n, uint32_t ext, uint16_t *ss, uint32_t *esp)
{
	bool t32 = tss_is_32(SA_TYPE(c->tr.attr));
	uint32_t off = t32 ? 4u + 8u * (uint32_t)n : 2u + 4u * (uint32_t)n;
	uint32_t last = t32 ? off + 5 : off + 3;
	if (last > c->tr.limit)
		cpu_exception(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);
	if (t32) {
		*esp = sread32(c, c->tr.base + off);
		*ss = sread16(c, c->tr.base + off + 4);
	} else {
		*esp = sread16(c, c->tr.base + off);
		*ss = sread16(c, c->tr.base + off + 2);
	}
}

/* --- MOV / PUSH / POP / LxS with segment registers --------------------------- */

OP(op_mov_sreg_rm)
{
	cpu_sensitive(c, SENS_MOV_TO_SREG);
	if (i->reg == SR_CS || i->reg > SR_GS)
		cpu_ud(c);
	uint16_t sel = rm_read16(c, i);
	load_seg(c, i->reg, sel);
	if (i->reg == SR_SS)
		c->shadow = true; /* the next instruction (ESP load) runs first */
}

OP(op_mov_rm_sreg)
{
	cpu_sensitive(c, SENS_MOV_FROM_SREG);
	if (i->reg > SR_GS)
		cpu_ud(c);
	uint16_t sel = c->seg[i->reg].sel;
	if (i->mod == 3 && i->op32)
		c->r[i->rm] = sel; /* P6: zero-extended into a 32-bit register */
	else
		rm_write16(c, i, sel); /* memory: always 16 bits */
}

OP(op_push_sreg)
{
	cpu_sensitive(c, SENS_PUSH_SREG);
	uint16_t sel = c->seg[i->reg].sel;
	if (!i->op32) {
		push16(c, sel);
		return;
	}
	/* P6: a 32-bit push of a segment register moves ESP by 4 but
	 * writes only the low 16 bits; the upper word keeps its value. */
	uint32_t sp = (sp_get(c) - 4) & sp_mask(c);
	vcheck_write(c, SR_SS, sp, 4);
	vwrite16(c, SR_SS, sp, sel);
	sp_set(c, sp);
}

OP(op_pop_sreg)
{
	cpu_sensitive(c, SENS_POP_SREG);
	if (i->reg == SR_CS || i->reg > SR_GS)
		cpu_ud(c);
	int size = i->op32 ? 4 : 2;
	uint16_t sel = (uint16_t)stack_peek(c, 0, size);
	/* ESP moves with the stack size in force before the load. */
	uint32_t mask = sp_mask(c);
	uint32_t sp = (c->r[R_ESP] + (uint32_t)size) & mask;
	load_seg(c, i->reg, sel);
	c->r[R_ESP] = (c->r[R_ESP] & ~mask) | sp;
	if (i->reg == SR_SS)
		c->shadow = true;
}

OP(op_lxs)
{
	if (i->mod == 3)
		cpu_ud(c);
	uint32_t ea = insn_ea(c, i);
	uint32_t off;
	uint16_t sel;
	if (i->op32) {
		off = vread32(c, i->seg, ea);
		sel = vread16(c, i->seg, ea + 4);
	} else {
		off = vread16(c, i->seg, ea);
		sel = vread16(c, i->seg, (ea + 2) & (i->a32 ? 0xffffffffu : 0xffffu));
	}
	load_seg(c, idef(i)->arg, sel); /* the row's segment register */
	set_reg_op(c, i, i->reg, off);
}
