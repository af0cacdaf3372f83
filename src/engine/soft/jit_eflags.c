/*
 * Inline translation of the instructions that touch EFLAGS' system and
 * control bits: PUSHF, CLD and STD (intr.c and ctl.c are the
 * interpreter's).  STI stays a handler call: it ends its block and sets
 * the interrupt shadow, after which block_run() must get control back
 * (must_stop), which a chained exit would skip.
 *
 * PUSHF is one of Robin & Irvine's sensitive unprivileged instructions:
 * it shows the guest IF and IOPL.  The translated form pushes exactly the
 * interpreter's image, cpu_get_eflags() without VM and RF, computed by
 * the same function in a helper, and counts itself for
 * --audit-sensitive as the handler does.  The one case where op_pushf
 * faults, V86 mode with IOPL < 3, and any other V86 PUSHF go to the
 * handler, as does a 16-bit stack.  POPF stays a handler call: it ends
 * its block (IF or TF may change) and is rare in the profiled workloads
 * (bench/RESULTS.md), so its privilege rules live only in op_popf.
 */
#include "engine/soft/jit_internal.h"

/* PUSHF's image, as op_pushf computes it; `eip` is PUSHF's, for the
 * audit record (the handler finds it in c->eip). */
static uint64_t pushf_image(struct cpu *c, uint64_t eip)
{
	if (c->audit) {
		uint32_t cur = c->eip;
		c->eip = (uint32_t)eip;
		cpu_sensitive(c, SENS_PUSHF);
		c->eip = cur;
	}
	return cpu_get_eflags(c) & ~(FL_VM | FL_RF);
}

/*
 *     test byte [eflags+2], VM>>16 ; jnz slow
 *     lea r8d, [r12-size] ; <access SS:r8 for writing>
 *     <call pushf_image>                 r11 = the image
 *     mov [r8], r11d/r11w ; lea r12d, [r12-size]
 * The push is checked before the helper runs, so nothing after the
 * count can fault and the instruction is counted once.
 */
int xl_pushf(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int size = i->op32 ? 4 : 2;
	if (!(x->b->mode & MODE_STACK32))
		return XL_NO;
	xl_clobber_flags(x);
	x_test_m8_imm(e, xm(XL_CPU, (int32_t)offsetof(struct cpu, eflags) + 2), (uint8_t)(FL_VM >> 16));
	xl_slow(x, x_jcc(e, CC_NE));
	x_lea32(e, XT0, xm(X_R12, -size));
	xl_access(x, SR_SS, size, true);
	xl_call_helper(x, (const void *)pushf_image, x->eip);
	x_mov_rm_r(e, size, xm(XT0, 0), XT3);
	x_lea32(e, X_R12, xm(X_R12, -size));
	return XL_NEXT;
}

/* CLD, STD: DF only. */
int xl_cld_std(struct xl *x, const struct insn *i)
{
	xl_clobber_flags(x);
	if (i->iop == IOP_CLD)
		x_alu_rm_imm(&x->e, 4, ALU_AND, CPU_AT(eflags), ~FL_DF);
	else
		x_alu_rm_imm(&x->e, 4, ALU_OR, CPU_AT(eflags), FL_DF);
	return XL_NEXT;
}
