/*
 * Hardware task switch (SDM vol. 3, 7.3) for 32-bit and 16-bit TSSs.
 *
 * Everything up to the "switch point" is checked or read before any
 * register changes, so a fault there is taken in the old task.  After it,
 * the new task's segment registers are validated one by one and a fault
 * (#TS/#NP/#SS with the selector) is taken in the new task, as on real
 * hardware; the registers not yet validated hold their selectors with an
 * unusable hidden part.
 *
 * Not done: the TSS T (debug trap) bit, and V86 tasks (EFLAGS.VM in the new
 * TSS raises #GP(0) before the switch point).  A 16-bit TSS leaves FS, GS
 * and the upper halves of the general registers unchanged.
 */
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

struct tss_layout {
	uint32_t eip, eflags, gpr; /* offsets */
	uint32_t seg[6];           /* ES CS SS DS FS GS; 0 = not in this TSS */
	uint32_t ldt;
	uint32_t min_limit;        /* smallest valid TSS limit */
	int width;                 /* register width in bytes */
};

static const struct tss_layout tss32 = {
	0x20, 0x24, 0x28, { 0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c }, 0x60, 0x67, 4,
};
static const struct tss_layout tss16 = {
	0x0e, 0x10, 0x12, { 0x22, 0x24, 0x26, 0x28, 0, 0 }, 0x2a, 0x2b, 2,
};

/* EFLAGS bits a task switch loads (VM is refused earlier). */
#define FL_TASK (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_RF | FL_AC | \
		 FL_ID | FL_VIF | FL_VIP)

struct task_state {
	uint32_t cr3, eip, eflags, gpr[8];
	uint16_t seg[6], ldt;
};

static uint32_t tss_read(struct cpu *c, uint32_t at, int width)
{
	return width == 4 ? sread32(c, at) : sread16(c, at);
}

static void tss_write(struct cpu *c, uint32_t at, int width, uint32_t v)
{
	if (width == 4)
		swrite32(c, at, v);
	else
		swrite16(c, at, (uint16_t)v);
}

static void read_state(struct cpu *c, uint32_t base, const struct tss_layout *l,
		       struct task_state *ns)
{
	ns->cr3 = l == &tss32 ? sread32(c, base + 0x1c) : c->cr3;
	ns->eip = tss_read(c, base + l->eip, l->width);
	ns->eflags = tss_read(c, base + l->eflags, l->width);
	for (int r = 0; r < 8; r++)
		ns->gpr[r] = tss_read(c, base + l->gpr + (uint32_t)(r * l->width), l->width);
	for (int s = 0; s < 6; s++)
		ns->seg[s] = l->seg[s] ? sread16(c, base + l->seg[s]) : c->seg[s].sel;
	ns->ldt = sread16(c, base + l->ldt);
}

static void save_state(struct cpu *c, const struct tss_layout *l, uint32_t eip, uint32_t eflags)
{
	uint32_t base = c->tr.base;
	tss_write(c, base + l->eip, l->width, eip);
	tss_write(c, base + l->eflags, l->width, eflags);
	for (int r = 0; r < 8; r++)
		tss_write(c, base + l->gpr + (uint32_t)(r * l->width), l->width, c->r[r]);
	for (int s = 0; s < 6; s++)
		if (l->seg[s])
			swrite16(c, base + l->seg[s], c->seg[s].sel);
}

/* Validates the TSS descriptor the switch goes to; returns its layout. */
static const struct tss_layout *check_new_tss(struct cpu *c, uint16_t sel, enum task_reason why,
					      uint32_t ext, struct desc *nd)
{
	/* IRET reports a bad back link as #TS; the others as #GP. */
	int vec = why == TASK_IRET ? EXC_TS : EXC_GP;
	if (sel & SEL_TI)
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	*nd = desc_fetch(c, sel, vec, ext);
	unsigned t = desc_type(*nd);
	bool is_tss = desc_is_sys(*nd) && (t & ~(TSS_BUSY_BIT | 8u)) == SYS_TSS16;
	bool busy = t & TSS_BUSY_BIT;
	if (!is_tss || busy != (why == TASK_IRET))
		cpu_exception(c, vec, SEL_ERR(sel) | ext);
	if (!desc_present(*nd))
		cpu_exception(c, EXC_NP, SEL_ERR(sel) | ext);
	const struct tss_layout *l = tss_is_32(t) ? &tss32 : &tss16;
	if (desc_limit(*nd) < l->min_limit)
		cpu_exception(c, EXC_TS, SEL_ERR(sel) | ext);
	return l;
}

static void load_task_ldt(struct cpu *c, uint16_t sel, uint32_t ext)
{
	if (SEL_IS_NULL(sel))
		return;
	if (sel & SEL_TI)
		cpu_exception(c, EXC_TS, SEL_ERR(sel) | ext);
	struct desc d = desc_fetch(c, sel, EXC_TS, ext);
	if (!desc_is_sys(d) || desc_type(d) != SYS_LDT || !desc_present(d))
		cpu_exception(c, EXC_TS, SEL_ERR(sel) | ext);
	seg_from_desc(&c->ldtr, sel, d);
}

static void load_task_cs(struct cpu *c, uint16_t sel, uint32_t ext)
{
	if (SEL_IS_NULL(sel))
		cpu_exception(c, EXC_TS, ext);
	struct desc d = desc_fetch(c, sel, EXC_TS, ext);
	int dpl = desc_dpl(d), rpl = (int)SEL_RPL(sel);
	if (!desc_is_code(d) || (desc_is_conforming_code(d) ? dpl > rpl : dpl != rpl))
		cpu_exception(c, EXC_TS, SEL_ERR(sel) | ext);
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel) | ext);
	desc_set_accessed(c, sel, &d);
	seg_commit_cs(c, sel, d, rpl);
}

/* After the switch point: faults here are taken in the new task. */
static void load_task_segments(struct cpu *c, const struct task_state *ns,
			       const struct tss_layout *l, uint32_t ext)
{
	load_task_ldt(c, ns->ldt, ext);
	load_task_cs(c, ns->seg[SR_CS], ext);
	struct desc d = check_stack_seg(c, ns->seg[SR_SS], c->cpl, EXC_TS, ext);
	seg_from_desc(&c->seg[SR_SS], ns->seg[SR_SS], d);
	static const int data[] = { SR_ES, SR_DS, SR_FS, SR_GS };
	for (unsigned k = 0; k < 4; k++) {
		int s = data[k];
		if (!l->seg[s])
			continue;
		if (check_data_seg(c, ns->seg[s], c->cpl, EXC_TS, ext, &d))
			seg_from_desc(&c->seg[s], ns->seg[s], d);
	}
}

/* The register part of the switch: from here on we are in the new task. */
static void enter_task(struct cpu *c, uint16_t sel, struct desc nd, const struct tss_layout *l,
		       const struct task_state *ns)
{
	seg_from_desc(&c->tr, sel, nd);
	c->cr0 |= CR0_TS;
	c->dr[7] &= ~0x155u; /* local breakpoint enables are per task */
	if (l == &tss32 && (c->cr0 & CR0_PG))
		cpu_set_cr3(c, ns->cr3);
	for (int r = 0; r < 8; r++) {
		if (l->width == 4)
			c->r[r] = ns->gpr[r];
		else
			set_reg16(c, r, (uint16_t)ns->gpr[r]);
	}
	cpu_set_eflags(c, ns->eflags, l->width == 4 ? FL_TASK : (FL_TASK & 0xffffu));
	c->eip = c->next_eip = ns->eip;
	for (int s = 0; s < 6; s++)
		if (l->seg[s])
			seg_make_null(&c->seg[s], ns->seg[s]);
	seg_make_null(&c->ldtr, ns->ldt);
	c->cpl = (int)SEL_RPL(ns->seg[SR_CS]);
	c->block_abort = true;
}

void task_switch_ext(struct cpu *c, uint16_t sel, enum task_reason why, bool has_err,
		     uint32_t err, uint32_t ext, uint32_t save_eip)
{
	struct desc nd;
	const struct tss_layout *nl = check_new_tss(c, sel, why, ext, &nd);
	const struct tss_layout *ol = tss_is_32(SA_TYPE(c->tr.attr)) ? &tss32 : &tss16;
	if (c->tr.limit < ol->min_limit)
		cpu_exception(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);

	struct task_state ns;
	uint32_t nbase = desc_base(nd);
	read_state(c, nbase, nl, &ns);
	if (nl == &tss32 && (ns.eflags & FL_VM))
		cpu_gp(c, 0); /* V86 tasks are not supported */

	uint32_t old_eflags = cpu_get_eflags(c);
	if (why == TASK_IRET)
		old_eflags &= ~FL_NT;
	save_state(c, ol, save_eip, old_eflags);
	if (why == TASK_JMP || why == TASK_IRET) {
		struct desc od;
		if (desc_read(c, c->tr.sel, &od))
			desc_write_type(c, c->tr.sel, &od, desc_type(od) & ~TSS_BUSY_BIT);
	}
	if (why == TASK_CALL || why == TASK_INT) {
		swrite16(c, nbase, c->tr.sel); /* back link */
		ns.eflags |= FL_NT;
	}
	if (why != TASK_IRET)
		desc_write_type(c, sel, &nd, desc_type(nd) | TSS_BUSY_BIT);

	enter_task(c, sel, nd, nl, &ns);
	load_task_segments(c, &ns, nl, ext);
	if (has_err) {
		struct stk s;
		stk_current(c, &s);
		s.err = ext;
		stk_push(c, &s, nl->width, err);
		stk_commit(c, &s);
	}
	if (c->eip > c->seg[SR_CS].limit)
		cpu_gp(c, 0);
}

void task_switch(struct cpu *c, uint16_t tss_sel, enum task_reason why, bool has_err, uint32_t err)
{
	uint32_t ext = why == TASK_INT ? 1 : 0;
	uint32_t save = why == TASK_INT ? c->eip : c->next_eip;
	task_switch_ext(c, tss_sel, why, has_err, err, ext, save);
}
