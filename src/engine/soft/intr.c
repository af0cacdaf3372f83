/*
 * Interrupt and exception delivery (IVT in real mode, IDT gates in
 * protected mode), INT n / INT3 / INTO / INT1, IRET, PUSHF and POPF.
 *
 * The EXT bit: an error code raised while delivering an external interrupt,
 * an exception or INT1 has bit 0 set; while delivering INT n / INT3 / INTO
 * it is clear.  Software interrupts also check the gate DPL against the
 * CPL, which is what keeps user code from calling kernel-only vectors.
 *
 * Virtual-8086 mode is not supported: IRET that would enter it, and a
 * task switch into it, raise #GP(0) instead (see task.c).
 */
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

uint32_t eflags_pop_mask(struct cpu *c, bool op32, bool iret)
{
	uint32_t m = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	if (iret)
		m |= FL_RF;
	if (c->cpl == 0) {
		m |= FL_IOPL;
		if (iret && cpu_pmode(c))
			m |= FL_VIF | FL_VIP;
	}
	if (c->cpl <= cpu_iopl(c))
		m |= FL_IF;
	return op32 ? m : (m & 0xffffu);
}

/* --- delivery ------------------------------------------------------------------ */

static void deliver_real(struct cpu *c, int vec, uint32_t ret_eip)
{
	uint32_t at = (uint32_t)vec * 4;
	if (at + 3 > c->idt_limit)
		cpu_gp(c, 0);
	uint32_t vector = sread32(c, c->idt_base + at);
	struct stk s;
	stk_current(c, &s);
	stk_push(c, &s, 2, cpu_get_eflags(c));
	stk_push(c, &s, 2, c->seg[SR_CS].sel);
	stk_push(c, &s, 2, ret_eip);
	stk_commit(c, &s);
	cpu_set_eflags(c, 0, FL_IF | FL_TF | FL_AC);
	seg_load_real(c, SR_CS, (uint16_t)(vector >> 16));
	c->eip = c->next_eip = vector & 0xffffu;
	c->block_abort = true;
}

static bool gate_type_ok(struct desc g)
{
	switch (desc_type(g)) {
	case SYS_TASK_GATE:
	case SYS_INT16:
	case SYS_TRAP16:
	case SYS_INT32:
	case SYS_TRAP32:
		return desc_is_sys(g);
	default:
		return false;
	}
}

/* Prepares the stack of the handler's ring: the TSS stack when the
 * privilege rises (with the old SS:ESP pushed on it), else the current. */
static void handler_stack(struct cpu *c, struct stk *s, int ncpl, int sz, uint32_t ext)
{
	if (ncpl == c->cpl) {
		stk_current(c, s);
		s->err = ext;
		return;
	}
	uint16_t nss;
	uint32_t nesp;
	tss_inner_stack(c, ncpl, ext, &nss, &nesp);
	struct desc sd = check_stack_seg(c, nss, ncpl, EXC_TS, ext);
	seg_from_desc(&s->ss, nss, sd);
	s->big = sd.hi & (1u << 22);
	s->esp = s->big ? nesp : (c->r[R_ESP] & 0xffff0000u) | (nesp & 0xffffu);
	s->super = true;
	s->err = SEL_ERR(nss) | ext;
	stk_push(c, s, sz, c->seg[SR_SS].sel);
	stk_push(c, s, sz, c->r[R_ESP]);
}

static void deliver_gate(struct cpu *c, struct desc g, uint32_t ext, bool has_err,
			 uint32_t err, uint32_t ret_eip)
{
	uint16_t csel = gate_sel(g);
	if (SEL_IS_NULL(csel))
		cpu_gp(c, ext);
	struct desc d = desc_fetch(c, csel, EXC_GP, ext);
	if (!desc_is_code(d) || desc_dpl(d) > c->cpl)
		cpu_gp(c, SEL_ERR(csel) | ext);
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(csel) | ext);
	bool gate32 = desc_type(g) >= 8;
	uint32_t off = gate32 ? gate_offset(g) : gate_offset(g) & 0xffffu;
	if (off > desc_limit(d))
		cpu_gp(c, ext);
	int sz = gate32 ? 4 : 2;
	int ncpl = desc_is_conforming_code(d) ? c->cpl : desc_dpl(d);

	struct stk s;
	handler_stack(c, &s, ncpl, sz, ext);
	stk_push(c, &s, sz, cpu_get_eflags(c));
	stk_push(c, &s, sz, c->seg[SR_CS].sel);
	stk_push(c, &s, sz, ret_eip);
	if (has_err)
		stk_push(c, &s, sz, err);
	desc_set_accessed(c, csel, &d);

	stk_commit(c, &s);
	seg_commit_cs(c, csel, d, ncpl);
	uint32_t clear = FL_TF | FL_NT | FL_RF | FL_VM;
	if ((desc_type(g) & 1) == 0) /* interrupt gate (6, 14), not trap gate */
		clear |= FL_IF;
	cpu_set_eflags(c, 0, clear);
	c->eip = c->next_eip = off;
}

static void deliver_pm(struct cpu *c, int vec, enum intr_kind kind, bool has_err,
		       uint32_t err, uint32_t ret_eip)
{
	uint32_t ext = kind == INTR_SOFT ? 0 : 1;
	uint32_t at = (uint32_t)vec * 8;
	uint32_t gerr = at + 2 + ext; /* error code naming the IDT entry */
	if (at + 7 > c->idt_limit)
		cpu_gp(c, gerr);
	struct desc g = { sread32(c, c->idt_base + at), sread32(c, c->idt_base + at + 4) };
	if (!gate_type_ok(g))
		cpu_gp(c, gerr);
	if (kind == INTR_SOFT && desc_dpl(g) < c->cpl)
		cpu_gp(c, at + 2);
	if (!desc_present(g))
		cpu_exception(c, EXC_NP, gerr);
	if (desc_type(g) == SYS_TASK_GATE)
		task_switch_ext(c, gate_sel(g), TASK_INT, has_err, err, ext, ret_eip);
	else
		deliver_gate(c, g, ext, has_err, err, ret_eip);
}

void cpu_deliver(struct cpu *c, int vec, enum intr_kind kind, bool has_err, uint32_t err)
{
	/* Software interrupts return past the instruction; faults and
	 * external interrupts return to c->eip. */
	bool soft = kind == INTR_SOFT || kind == INTR_SOFT_ICEBP;
	uint32_t ret_eip = soft ? c->next_eip : c->eip;
	if (!cpu_pmode(c))
		deliver_real(c, vec, ret_eip); /* no error codes in real mode */
	else
		deliver_pm(c, vec, kind, has_err, err, ret_eip);
}

OP(op_int_n)
{
	cpu_sensitive(c, SENS_INT);
	if (cpu_v86(c) && cpu_iopl(c) < 3)
		cpu_gp(c, 0);
	cpu_deliver(c, (int)(i->imm & 0xffu), INTR_SOFT, false, 0);
}

OP(op_int3)
{
	(void)i;
	cpu_sensitive(c, SENS_INT);
	cpu_deliver(c, EXC_BP, INTR_SOFT, false, 0);
}

OP(op_into)
{
	(void)i;
	cpu_sensitive(c, SENS_INT);
	if (flag_of(c))
		cpu_deliver(c, EXC_OF, INTR_SOFT, false, 0);
}

OP(op_int1)
{
	(void)i;
	cpu_sensitive(c, SENS_INT);
	cpu_deliver(c, EXC_DB, INTR_SOFT_ICEBP, false, 0);
}

/* --- IRET ------------------------------------------------------------------------ */

static void iret_real(struct cpu *c, const struct insn *i, int sz)
{
	uint32_t off = stack_peek(c, 0, sz);
	uint16_t sel = (uint16_t)stack_peek(c, (uint32_t)sz, sz);
	uint32_t fl = stack_peek(c, 2u * (uint32_t)sz, sz);
	if (off > c->seg[SR_CS].limit)
		cpu_gp(c, 0);
	uint32_t mask = eflags_pop_mask(c, i->op32, true);
	seg_load_real(c, SR_CS, sel);
	sp_set(c, sp_get(c) + 3u * (uint32_t)sz);
	cpu_set_eflags(c, fl, mask);
	c->next_eip = off;
	c->block_abort = true;
}

/* Return to an outer ring: pops SS:ESP too, then drops data segments
 * the outer ring may not use. */
static void iret_outer(struct cpu *c, int sz, uint16_t sel, struct desc d, uint32_t off,
		       uint32_t fl, uint32_t mask)
{
	int ncpl = (int)SEL_RPL(sel);
	uint32_t nesp = stack_peek(c, 3u * (uint32_t)sz, sz);
	uint16_t nss = (uint16_t)stack_peek(c, 4u * (uint32_t)sz, sz);
	struct desc sd = check_stack_seg(c, nss, ncpl, EXC_GP, 0);
	desc_set_accessed(c, sel, &d);

	cpu_set_eflags(c, fl, mask); /* mask was computed at the old CPL */
	seg_commit_cs(c, sel, d, ncpl);
	seg_from_desc(&c->seg[SR_SS], nss, sd);
	if (cpu_stack32(c))
		c->r[R_ESP] = nesp;
	else
		set_reg16(c, R_ESP, (uint16_t)nesp);
	c->next_eip = off;
	seg_null_invalid(c);
}

OP(op_iret)
{
	cpu_sensitive(c, SENS_IRET);
	int sz = i->op32 ? 4 : 2;
	if (!cpu_pmode(c)) {
		iret_real(c, i, sz);
		return;
	}
	if (cpu_v86(c))
		cpu_gp(c, 0); /* V86 is not supported */
	if (c->eflags & FL_NT) {
		/* Nested task: return to the task in the back link. */
		uint16_t link = sread16(c, c->tr.base);
		task_switch_ext(c, link, TASK_IRET, false, 0, 0, c->next_eip);
		return;
	}
	uint32_t off = stack_peek(c, 0, sz);
	uint16_t sel = (uint16_t)stack_peek(c, (uint32_t)sz, sz);
	uint32_t fl = stack_peek(c, 2u * (uint32_t)sz, sz);
	if (i->op32 && (fl & FL_VM) && c->cpl == 0)
		cpu_gp(c, 0); /* return to V86 mode: not supported */
	struct desc d = check_return_cs(c, sel);
	if (off > desc_limit(d))
		cpu_gp(c, 0);
	uint32_t mask = eflags_pop_mask(c, i->op32, true);
	if ((int)SEL_RPL(sel) > c->cpl) {
		iret_outer(c, sz, sel, d, off, fl, mask);
		return;
	}
	desc_set_accessed(c, sel, &d);
	seg_commit_cs(c, sel, d, c->cpl);
	sp_set(c, sp_get(c) + 3u * (uint32_t)sz);
	cpu_set_eflags(c, fl, mask);
	c->next_eip = off;
}

/* --- PUSHF / POPF ------------------------------------------------------------------ */

OP(op_pushf)
{
	cpu_sensitive(c, SENS_PUSHF);
	if (cpu_v86(c) && cpu_iopl(c) < 3)
		cpu_gp(c, 0);
	/* The image never shows VM or RF. */
	push_op(c, i, cpu_get_eflags(c) & ~(FL_VM | FL_RF));
}

/*
 * POPF never faults in protected mode: at CPL > IOPL it silently keeps
 * IF, and below CPL 0 it silently keeps IOPL -- the behaviour that makes
 * it sensitive yet unprivileged (Robin & Irvine).
 */
OP(op_popf)
{
	cpu_sensitive(c, SENS_POPF);
	if (cpu_v86(c) && cpu_iopl(c) < 3)
		cpu_gp(c, 0);
	uint32_t mask = eflags_pop_mask(c, i->op32, false);
	if (cpu_v86(c))
		mask &= ~FL_IOPL;
	uint32_t v = pop_op(c, i);
	cpu_set_eflags(c, v, mask);
	if (i->op32)
		cpu_set_eflags(c, 0, FL_RF);
	c->block_abort = true; /* IF or TF may have changed */
}
