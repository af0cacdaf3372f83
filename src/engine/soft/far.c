/*
 * Far control transfers: JMP and CALL (direct, through call gates, to TSS
 * descriptors and task gates) and far RET, with the privilege rules of the
 * SDM's JMP/CALL/RET pseudo-code.
 *
 * Each path validates everything first, writes any stack frame to memory
 * (a pending stack, see pm.h), and only then changes registers.
 */
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

static uint32_t op_mask(const struct insn *i)
{
	return i->op32 ? 0xffffffffu : 0xffffu;
}

/* Real mode (and V86): CS is just a paragraph number. */
static void far_real(struct cpu *c, const struct insn *i, uint16_t sel, uint32_t off, bool call)
{
	off &= op_mask(i);
	if (off > c->seg[SR_CS].limit)
		cpu_gp(c, 0);
	if (call) {
		struct stk s;
		int sz = i->op32 ? 4 : 2;
		stk_current(c, &s);
		stk_push(c, &s, sz, c->seg[SR_CS].sel);
		stk_push(c, &s, sz, c->next_eip);
		stk_commit(c, &s);
	}
	seg_load_real(c, SR_CS, sel);
	c->next_eip = off;
	c->block_abort = true;
}

/* JMP/CALL straight to a code segment: the CPL never changes. */
static void far_direct(struct cpu *c, const struct insn *i, uint16_t sel, struct desc d,
		       uint32_t off, bool call)
{
	int dpl = desc_dpl(d);
	if (desc_is_conforming_code(d)) {
		if (dpl > c->cpl)
			cpu_gp(c, SEL_ERR(sel));
	} else if ((int)SEL_RPL(sel) > c->cpl || dpl != c->cpl) {
		cpu_gp(c, SEL_ERR(sel));
	}
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel));
	off &= op_mask(i);
	if (off > desc_limit(d))
		cpu_gp(c, 0);
	struct stk s;
	if (call) {
		int sz = i->op32 ? 4 : 2;
		stk_current(c, &s);
		stk_push(c, &s, sz, c->seg[SR_CS].sel);
		stk_push(c, &s, sz, c->next_eip);
	}
	desc_set_accessed(c, sel, &d);
	if (call)
		stk_commit(c, &s);
	seg_commit_cs(c, sel, d, c->cpl);
	c->next_eip = off;
}

/* CALL through a gate to a more privileged non-conforming segment: switch
 * to the stack of the new ring (from the TSS), copy the parameters. */
static void call_inner(struct cpu *c, struct desc g, uint16_t csel, struct desc d, uint32_t off)
{
	int ncpl = desc_dpl(d);
	int sz = desc_type(g) == SYS_CALL32 ? 4 : 2;
	uint16_t nss;
	uint32_t nesp;
	tss_inner_stack(c, ncpl, 0, &nss, &nesp);
	struct desc sd = check_stack_seg(c, nss, ncpl, EXC_TS, 0);

	/* The caller's parameters, read at the caller's privilege. */
	unsigned n = gate_params(g);
	uint32_t params[32];
	for (unsigned k = 0; k < n; k++)
		params[k] = stack_peek(c, k * (uint32_t)sz, sz);

	struct stk s;
	seg_from_desc(&s.ss, nss, sd);
	s.big = sd.hi & (1u << 22);
	s.esp = s.big ? nesp : (c->r[R_ESP] & 0xffff0000u) | (nesp & 0xffffu);
	s.super = true;
	s.err = SEL_ERR(nss);
	stk_push(c, &s, sz, c->seg[SR_SS].sel);
	stk_push(c, &s, sz, c->r[R_ESP]);
	for (unsigned k = n; k-- > 0;)
		stk_push(c, &s, sz, params[k]);
	stk_push(c, &s, sz, c->seg[SR_CS].sel);
	stk_push(c, &s, sz, c->next_eip);

	desc_set_accessed(c, csel, &d);
	stk_commit(c, &s);
	seg_commit_cs(c, csel, d, ncpl);
	c->next_eip = off;
}

static void far_call_gate(struct cpu *c, uint16_t gsel, struct desc g, bool call)
{
	int gdpl = desc_dpl(g);
	if (gdpl < c->cpl || gdpl < (int)SEL_RPL(gsel))
		cpu_gp(c, SEL_ERR(gsel));
	if (!desc_present(g))
		cpu_exception(c, EXC_NP, SEL_ERR(gsel));
	uint16_t csel = gate_sel(g);
	if (SEL_IS_NULL(csel))
		cpu_gp(c, 0);
	struct desc d = desc_fetch(c, csel, EXC_GP, 0);
	int dpl = desc_dpl(d);
	bool conforming = desc_is_conforming_code(d);
	if (!desc_is_code(d) || dpl > c->cpl)
		cpu_gp(c, SEL_ERR(csel));
	if (!call && !conforming && dpl != c->cpl)
		cpu_gp(c, SEL_ERR(csel));
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(csel));
	bool gate32 = desc_type(g) == SYS_CALL32;
	uint32_t off = gate32 ? gate_offset(g) : gate_offset(g) & 0xffffu;
	if (off > desc_limit(d))
		cpu_gp(c, 0);
	if (call && !conforming && dpl < c->cpl) {
		call_inner(c, g, csel, d, off);
		return;
	}
	struct stk s;
	if (call) {
		int sz = gate32 ? 4 : 2;
		stk_current(c, &s);
		stk_push(c, &s, sz, c->seg[SR_CS].sel);
		stk_push(c, &s, sz, c->next_eip);
	}
	desc_set_accessed(c, csel, &d);
	if (call)
		stk_commit(c, &s);
	seg_commit_cs(c, csel, d, c->cpl);
	c->next_eip = off;
}

static void far_task(struct cpu *c, uint16_t sel, struct desc d, bool call)
{
	int dpl = desc_dpl(d);
	if (dpl < c->cpl || dpl < (int)SEL_RPL(sel))
		cpu_gp(c, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel));
	/* A task gate names the TSS; a TSS descriptor is the TSS. */
	uint16_t tss = desc_type(d) == SYS_TASK_GATE ? gate_sel(d) : sel;
	task_switch_ext(c, tss, call ? TASK_CALL : TASK_JMP, false, 0, 0, c->next_eip);
}

static void far_transfer(struct cpu *c, const struct insn *i, uint16_t sel, uint32_t off, bool call)
{
	if (!cpu_pmode(c) || cpu_v86(c)) {
		far_real(c, i, sel, off, call);
		return;
	}
	if (SEL_IS_NULL(sel))
		cpu_gp(c, 0);
	struct desc d = desc_fetch(c, sel, EXC_GP, 0);
	if (!desc_is_sys(d)) {
		if (!desc_is_code(d))
			cpu_gp(c, SEL_ERR(sel));
		far_direct(c, i, sel, d, off, call);
		return;
	}
	switch (desc_type(d)) {
	case SYS_CALL16:
	case SYS_CALL32:
		far_call_gate(c, sel, d, call);
		return;
	case SYS_TASK_GATE:
	case SYS_TSS16:
	case SYS_TSS32:
		far_task(c, sel, d, call);
		return;
	default: /* busy TSS, LDT, interrupt/trap gates, reserved */
		cpu_gp(c, SEL_ERR(sel));
	}
}

/* Reads the far pointer m16:16 / m16:32 of FF /3, FF /5. */
static void far_pointer(struct cpu *c, const struct insn *i, uint16_t *sel, uint32_t *off)
{
	if (i->mod == 3)
		cpu_ud(c);
	uint32_t ea = insn_ea(c, i);
	uint32_t amask = i->a32 ? 0xffffffffu : 0xffffu;
	if (i->op32) {
		*off = vread32(c, i->seg, ea);
		*sel = vread16(c, i->seg, (ea + 4) & amask);
	} else {
		*off = vread16(c, i->seg, ea);
		*sel = vread16(c, i->seg, (ea + 2) & amask);
	}
}

OP(op_jmp_far_ptr)
{
	cpu_sensitive(c, SENS_JMP_FAR);
	far_transfer(c, i, i->imm2, i->imm, false);
}

OP(op_call_far_ptr)
{
	cpu_sensitive(c, SENS_CALL_FAR);
	far_transfer(c, i, i->imm2, i->imm, true);
}

OP(op_jmp_far_mem)
{
	cpu_sensitive(c, SENS_JMP_FAR);
	uint16_t sel;
	uint32_t off;
	far_pointer(c, i, &sel, &off);
	far_transfer(c, i, sel, off, false);
}

OP(op_call_far_mem)
{
	cpu_sensitive(c, SENS_CALL_FAR);
	uint16_t sel;
	uint32_t off;
	far_pointer(c, i, &sel, &off);
	far_transfer(c, i, sel, off, true);
}

/* --- far RET ----------------------------------------------------------------- */

struct desc check_return_cs(struct cpu *c, uint16_t sel)
{
	if (SEL_IS_NULL(sel))
		cpu_gp(c, 0);
	struct desc d = desc_fetch(c, sel, EXC_GP, 0);
	int rpl = (int)SEL_RPL(sel);
	int dpl = desc_dpl(d);
	if (!desc_is_code(d) || rpl < c->cpl)
		cpu_gp(c, SEL_ERR(sel));
	if (desc_is_conforming_code(d) ? dpl > rpl : dpl != rpl)
		cpu_gp(c, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel));
	return d;
}

static void retf_outer(struct cpu *c, const struct insn *i, uint16_t sel, struct desc d,
		       uint32_t off, uint32_t release)
{
	int sz = i->op32 ? 4 : 2;
	int ncpl = (int)SEL_RPL(sel);
	uint32_t nesp = stack_peek(c, release, sz);
	uint16_t nss = (uint16_t)stack_peek(c, release + (uint32_t)sz, sz);
	struct desc sd = check_stack_seg(c, nss, ncpl, EXC_GP, 0);
	desc_set_accessed(c, sel, &d);

	seg_commit_cs(c, sel, d, ncpl);
	seg_from_desc(&c->seg[SR_SS], nss, sd);
	/* RET n releases n bytes of parameters on the caller's stack too. */
	uint32_t esp = nesp + i->imm;
	if (cpu_stack32(c))
		c->r[R_ESP] = esp;
	else
		set_reg16(c, R_ESP, (uint16_t)esp);
	c->next_eip = off;
	seg_null_invalid(c);
}

OP(op_retf)
{
	cpu_sensitive(c, SENS_RET_FAR);
	int sz = i->op32 ? 4 : 2;
	uint32_t off = stack_peek(c, 0, sz);
	uint16_t sel = (uint16_t)stack_peek(c, (uint32_t)sz, sz);
	uint32_t release = 2u * (uint32_t)sz + i->imm;
	if (!cpu_pmode(c) || cpu_v86(c)) {
		if (off > c->seg[SR_CS].limit)
			cpu_gp(c, 0);
		seg_load_real(c, SR_CS, sel);
		c->next_eip = off;
		sp_set(c, sp_get(c) + release);
		c->block_abort = true;
		return;
	}
	struct desc d = check_return_cs(c, sel);
	if (off > desc_limit(d))
		cpu_gp(c, 0);
	if ((int)SEL_RPL(sel) > c->cpl) {
		retf_outer(c, i, sel, d, off, release);
		return;
	}
	desc_set_accessed(c, sel, &d);
	seg_commit_cs(c, sel, d, c->cpl);
	c->next_eip = off;
	sp_set(c, sp_get(c) + release);
}
