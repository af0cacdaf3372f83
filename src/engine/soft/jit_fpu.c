/*
 * Translation of the x87 escapes (D8-DF): the emitter of insn.def's ESC
 * rows.
 *
 * A data instruction fpu_lite_form takes (loads, stores, arithmetic,
 * compares, stack moves: fpu_lite.c) becomes, decoded once here:
 *
 *     <effective address>                  memory forms only
 *     mov r14d, r8d                        the offset, for FDP
 *     <TLB lookup: r8 = host address>      a miss goes to the slow path
 *     mov [c->fpu_op_host], r8 ; mov [c->fpu_op_ea], r14d
 *     call fpu_lite_translated(c, form)    the form packed in the argument
 *     test r11, r11 ; jnz slow             it declined: the handler runs it
 *
 * The helper does only what op_fpu would for that form when the short way
 * applies (CR0.EM/TS clear, no exception pending or unmasked, operands
 * present, room on the stack), and otherwise returns 1 having changed
 * nothing, so the slow path runs the whole instruction through op_fpu as
 * the interpreter does: #NM, #MF or IRQ 13 (FERR), stack faults, unmasked
 * exceptions.  FNSTSW AX, which changes no x87 state, is three host
 * instructions.  Everything else stays a handler call.
 */
#include <string.h>

#include "engine/soft/fpu.h"
#include "engine/soft/jit_internal.h"

/* The helper's argument: the form, its EIP, the guest's ModRM and segment.
 *   bits 0-7 ModRM, 8-10 ESC, 11-13 segment, 14-17 nin, 18-21 size,
 *   22 store, 23 EFLAGS, 24-26 C0-C2, 27 C3, 32-63 EIP */
#define ARG_STORE (1u << 22)
#define ARG_EFLAGS (1u << 23)

static uint64_t pack(const struct fpu_lite *l, unsigned modrm, int seg, uint32_t eip)
{
	uint32_t cb = (uint32_t)((l->cbits & (FSW_C0 | FSW_C1 | FSW_C2)) >> 8 | (l->cbits & FSW_C3 ? 8 : 0));
	return (uint64_t)eip << 32 | modrm | (unsigned)l->esc << 8 | (unsigned)seg << 11 |
	       (unsigned)l->nin << 14 | (unsigned)l->size << 18 | (l->store ? ARG_STORE : 0) |
	       (l->eflags ? ARG_EFLAGS : 0) | cb << 24;
}

static void unpack(uint64_t arg, struct fpu_lite *l)
{
	unsigned a = (unsigned)arg, modrm = a & 0xff, cb = (a >> 24) & 15;
	l->esc = (uint8_t)((a >> 8) & 7);
	l->modrm = (uint8_t)((modrm >> 6) == 3 ? modrm : modrm & 0x38);
	l->nin = (uint8_t)((a >> 14) & 15);
	l->size = (uint8_t)((a >> 18) & 15);
	l->store = a & ARG_STORE;
	l->eflags = a & ARG_EFLAGS;
	l->cbits = (uint16_t)((cb & 7) << 8 | (cb & 8 ? FSW_C3 : 0));
}

static uint64_t fpu_lite_translated(struct cpu *c, uint64_t arg)
{
	struct fpu *f = &c->fpu;
	if ((c->cr0 & (CR0_EM | CR0_TS)) || (f->sw & FSW_ES))
		return 1; /* #NM, or a pending exception to report: op_fpu */
	unsigned modrm = (unsigned)arg & 0xff;
	struct fpu_lite l;
	unpack(arg, &l);
	uint8_t buf[16] = { 0 };
	if (l.size && !l.store)
		memcpy(buf, c->fpu_op_host, l.size);
	struct host_flags fl;
	if (!fpu_lite_exec(f, &l, buf, &fl))
		return 1;
	if (l.store)
		memcpy(c->fpu_op_host, buf, l.size);
	f->fip = (uint32_t)(arg >> 32);
	f->fcs = c->seg[SR_CS].sel;
	f->fop = (uint16_t)(l.esc << 8 | modrm);
	if (l.size) {
		f->fdp = c->fpu_op_ea;
		f->fds = c->seg[((unsigned)arg >> 11) & 7].sel;
	}
	if (l.eflags)
		fpu_set_compare_flags(c, &fl);
	return 0;
}

/* FNSTSW AX (DF E0): no wait, no x87 state change; #NM from the handler. */
static int fnstsw_ax(struct xl *x)
{
	struct emit *e = &x->e;
	xl_clobber_flags(x);
	x_test_rm_imm(e, 4, CPU_AT(cr0), CR0_EM | CR0_TS);
	xl_slow(x, x_jcc(e, CC_NE));
	x_mov_r_rm(e, 2, X_RAX, CPU_AT(fpu.sw));
	return XL_NEXT;
}

int xl_fpu(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	unsigned esc = idef(i)->arg;
	unsigned modrm = (unsigned)(i->mod << 6 | i->reg << 3 | i->rm);
	if (esc == 7 && modrm == 0xe0)
		return fnstsw_ax(x);
	struct fpu_lite l;
	if (!fpu_lite_form(esc, modrm, &l))
		return XL_NO;
	if (l.size == 10 && !i->a32)
		return XL_NO; /* its last two bytes wrap at 64 KiB: the handler */
	if (l.size) {
		xl_ea(x, i);
		x_mov_rr(e, XT4, XT0);
		xl_access(x, i->seg, l.size, l.store);
		x_store64(e, CPU_AT(fpu_op_host), XT0);
		x_store32(e, CPU_AT(fpu_op_ea), XT4);
	}
	xl_call_helper(x, (const void *)fpu_lite_translated, pack(&l, modrm, i->seg, x->eip));
	x_test_rm_r(e, 8, xr(XT3), XT3);
	xl_slow(x, x_jcc(e, CC_NE));
	return XL_NEXT;
}
