/*
 * Descriptor-table instructions: 0F00 (SLDT STR LLDT LTR VERR VERW),
 * 0F01 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG), LAR, LSL, ARPL, and
 * SYSENTER/SYSEXIT.
 *
 * SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR and VERW are the "sensitive
 * but unprivileged" instructions of Robin & Irvine: they run at any CPL
 * and reveal or probe system state, so each is counted for the audit.
 *
 * SGDT/SIDT with a 16-bit operand size store the limit, 24 bits of base
 * and a zero sixth byte: the SDM's compatibility note says the 386, 486,
 * Pentium and P6 fill that byte with 0s (the 286 with 1s).
 */
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

static void set_zf(struct cpu *c, bool on)
{
	flags_materialize(c);
	if (on)
		c->eflags |= FL_ZF;
	else
		c->eflags &= ~FL_ZF;
}

static void require_pmode(struct cpu *c)
{
	if (!cpu_pmode(c) || cpu_v86(c))
		cpu_ud(c);
}

static void require_cpl0(struct cpu *c)
{
	if (cpu_pmode(c) && c->cpl != 0)
		cpu_gp(c, 0);
}

/* Stores a selector: a 32-bit register gets it zero-extended (P6). */
static void store_selector(struct cpu *c, const struct insn *i, uint16_t sel)
{
	if (i->mod == 3 && i->op32)
		c->r[i->rm] = sel;
	else
		rm_write16(c, i, sel);
}

/* The descriptor a probe instruction (LAR LSL VERR VERW) looks at; these
 * report "not accessible" in ZF instead of faulting. */
static bool probe(struct cpu *c, uint16_t sel, struct desc *d)
{
	return !SEL_IS_NULL(sel) && desc_read(c, sel, d);
}

/* DPL >= max(CPL, RPL), except conforming code which is always visible. */
static bool probe_visible(struct cpu *c, uint16_t sel, struct desc d)
{
	if (desc_is_conforming_code(d))
		return true;
	return desc_dpl(d) >= c->cpl && desc_dpl(d) >= (int)SEL_RPL(sel);
}

static void verify(struct cpu *c, const struct insn *i, bool write)
{
	uint16_t sel = rm_read16(c, i);
	struct desc d;
	bool ok = probe(c, sel, &d) && !desc_is_sys(d) && probe_visible(c, sel, d) &&
		  (write ? desc_is_writable_data(d) : desc_is_readable(d));
	set_zf(c, ok);
}

static void lldt(struct cpu *c, const struct insn *i)
{
	require_cpl0(c);
	uint16_t sel = rm_read16(c, i);
	if (SEL_IS_NULL(sel)) {
		seg_make_null(&c->ldtr, sel);
		return;
	}
	if (sel & SEL_TI)
		cpu_gp(c, SEL_ERR(sel));
	struct desc d = desc_fetch(c, sel, EXC_GP, 0);
	if (!desc_is_sys(d) || desc_type(d) != SYS_LDT)
		cpu_gp(c, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel));
	seg_from_desc(&c->ldtr, sel, d);
}

static void ltr(struct cpu *c, const struct insn *i)
{
	require_cpl0(c);
	uint16_t sel = rm_read16(c, i);
	if (SEL_IS_NULL(sel))
		cpu_gp(c, 0);
	if (sel & SEL_TI)
		cpu_gp(c, SEL_ERR(sel));
	struct desc d = desc_fetch(c, sel, EXC_GP, 0);
	unsigned t = desc_type(d);
	if (!desc_is_sys(d) || (t != SYS_TSS16 && t != SYS_TSS32))
		cpu_gp(c, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_exception(c, EXC_NP, SEL_ERR(sel));
	desc_write_type(c, sel, &d, t | TSS_BUSY_BIT);
	seg_from_desc(&c->tr, sel, d);
}

OP(op_sldt)
{
	require_pmode(c);
	cpu_sensitive(c, SENS_SLDT);
	store_selector(c, i, c->ldtr.sel);
}

OP(op_str)
{
	require_pmode(c);
	cpu_sensitive(c, SENS_STR);
	store_selector(c, i, c->tr.sel);
}

OP(op_lldt)
{
	require_pmode(c);
	lldt(c, i);
}

OP(op_ltr)
{
	require_pmode(c);
	ltr(c, i);
}

OP(op_verr)
{
	require_pmode(c);
	cpu_sensitive(c, SENS_VERR);
	verify(c, i, false);
}

OP(op_verw)
{
	require_pmode(c);
	cpu_sensitive(c, SENS_VERW);
	verify(c, i, true);
}

/* --- 0F01 ------------------------------------------------------------------------ */

static void store_table(struct cpu *c, const struct insn *i, uint16_t limit, uint32_t base)
{
	if (i->mod == 3)
		cpu_ud(c);
	uint32_t ea = insn_ea(c, i);
	uint32_t amask = i->a32 ? 0xffffffffu : 0xffffu;
	if (!i->op32)
		base &= 0x00ffffffu;
	vcheck_write(c, i->seg, ea, 6);
	vwrite16(c, i->seg, ea, limit);
	vwrite32(c, i->seg, (ea + 2) & amask, base);
}

static void load_table(struct cpu *c, const struct insn *i, uint16_t *limit, uint32_t *base)
{
	if (i->mod == 3)
		cpu_ud(c);
	require_cpl0(c);
	uint32_t ea = insn_ea(c, i);
	uint32_t amask = i->a32 ? 0xffffffffu : 0xffffu;
	uint16_t l = vread16(c, i->seg, ea);
	uint32_t b = vread32(c, i->seg, (ea + 2) & amask);
	*limit = l;
	*base = i->op32 ? b : (b & 0x00ffffffu);
}

OP(op_lmsw)
{
	require_cpl0(c);
	uint16_t v = rm_read16(c, i);
	/* Only PE MP EM TS; PE can be set but never cleared this way. */
	uint32_t cr0 = (c->cr0 & ~0xfu) | (v & 0xfu) | (c->cr0 & CR0_PE);
	cpu_set_cr0(c, cr0);
	c->block_abort = true;
}

OP(op_invlpg)
{
	if (i->mod == 3)
		cpu_ud(c);
	require_cpl0(c);
	tlb_flush_page(c, c->seg[i->seg].base + insn_ea(c, i));
	c->block_abort = true;
}

OP(op_sgdt)
{
	cpu_sensitive(c, SENS_SGDT);
	store_table(c, i, c->gdt_limit, c->gdt_base);
}

OP(op_sidt)
{
	cpu_sensitive(c, SENS_SIDT);
	store_table(c, i, c->idt_limit, c->idt_base);
}

OP(op_lgdt) { load_table(c, i, &c->gdt_limit, &c->gdt_base); }
OP(op_lidt) { load_table(c, i, &c->idt_limit, &c->idt_base); }

OP(op_smsw)
{
	cpu_sensitive(c, SENS_SMSW);
	if (i->mod == 3 && i->op32)
		c->r[i->rm] = c->cr0; /* P6: the whole CR0 */
	else
		rm_write16(c, i, (uint16_t)c->cr0);
}

/* --- LAR LSL ARPL ---------------------------------------------------------------- */

OP(op_lar)
{
	cpu_sensitive(c, SENS_LAR);
	require_pmode(c);
	uint16_t sel = rm_read16(c, i);
	struct desc d;
	bool ok = probe(c, sel, &d) && probe_visible(c, sel, d);
	if (ok && desc_is_sys(d)) {
		switch (desc_type(d)) {
		case SYS_TSS16: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_CALL16:
		case SYS_TASK_GATE: case SYS_TSS32: case SYS_TSS32_BUSY: case SYS_CALL32:
			break;
		default:
			ok = false;
		}
	}
	if (ok)
		set_reg_op(c, i, i->reg, d.hi & (i->op32 ? 0x00ffff00u : 0xff00u));
	set_zf(c, ok);
}

OP(op_lsl)
{
	cpu_sensitive(c, SENS_LSL);
	require_pmode(c);
	uint16_t sel = rm_read16(c, i);
	struct desc d;
	bool ok = probe(c, sel, &d) && probe_visible(c, sel, d);
	if (ok && desc_is_sys(d)) {
		switch (desc_type(d)) {
		case SYS_TSS16: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_TSS32: case SYS_TSS32_BUSY:
			break;
		default:
			ok = false;
		}
	}
	if (ok)
		set_reg_op(c, i, i->reg, desc_limit(d));
	set_zf(c, ok);
}

OP(op_arpl)
{
	require_pmode(c);
	uint16_t dst = rm_read16(c, i);
	uint16_t src = (uint16_t)c->r[i->reg];
	bool raise = SEL_RPL(dst) < SEL_RPL(src);
	if (raise)
		rm_write16(c, i, (uint16_t)((dst & ~3u) | SEL_RPL(src)));
	set_zf(c, raise);
}

/* --- SYSENTER / SYSEXIT ---------------------------------------------------------- */

/* A flat 4 GiB descriptor with the given attribute word (G and D set). */
static struct desc flat_desc(uint16_t attr)
{
	struct desc d = { 0x0000ffffu, 0x000f0000u };
	d.hi |= ((uint32_t)(attr & 0xffu) << 8) | ((uint32_t)(attr & 0xf000u) << 8);
	return d;
}

OP(op_sysenter)
{
	(void)i;
	uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffcu);
	if (!cpu_pmode(c) || cs == 0)
		cpu_gp(c, 0);
	cpu_set_eflags(c, 0, FL_VM | FL_IF | FL_RF);
	seg_commit_cs(c, cs, flat_desc(0xc09b), 0);
	seg_from_desc(&c->seg[SR_SS], (uint16_t)(cs + 8), flat_desc(0xc093));
	c->r[R_ESP] = c->sysenter_esp;
	c->next_eip = c->sysenter_eip;
}

OP(op_sysexit)
{
	(void)i;
	uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffcu);
	if (!cpu_pmode(c) || c->cpl != 0 || cs == 0)
		cpu_gp(c, 0);
	seg_commit_cs(c, (uint16_t)(cs + 16), flat_desc(0xc0fb), 3);
	seg_from_desc(&c->seg[SR_SS], (uint16_t)((cs + 24) | 3), flat_desc(0xc0f3));
	c->r[R_ESP] = c->r[R_ECX];
	c->next_eip = c->r[R_EDX];
}
