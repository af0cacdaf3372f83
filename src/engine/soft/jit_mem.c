/*
 * Inline guest memory access for translated blocks: the interpreter's
 * fast path (fast_ptr in cpu.h) as host code.
 *
 * The effective address is one LEA of the host registers that hold the
 * guest's.  With it in XT0 the emitted code checks, in the interpreter's
 * order, that [off, off+size) lies inside the segment and the segment
 * allows the access (nothing at all for a segment the block's mode says
 * is flat), then finds the linear page in the software TLB:
 *
 *     mov r9d, r8d ; shr r9d, 8 ; and r9d, 0xfff0       index * 16
 *     lea r10d, [r8 + size - 1] ; and r10d, 0xfffff000  page of the last byte
 *     cmp r10d, [r13 + r9 + tag] ; jne slow
 *     add r8, [r13 + r9 + addend]                       host address
 *
 * Comparing the tag with the page of the access's LAST byte also rejects
 * an access that crosses into the next page (the index comes from the
 * first byte).  Any miss goes to the instruction's slow path, which runs
 * the whole instruction through its handler: the fast path has changed
 * nothing by then, so that is the interpreter's behaviour exactly,
 * faults included.
 */
#include "engine/soft/jit_internal.h"

void xl_ea(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int32_t disp = (int32_t)i->disp;
	if (i->base != REG_NONE && i->index != REG_NONE)
		x_lea32(e, XT0, xmi(greg(i->base), greg(i->index), i->scale, disp));
	else if (i->base != REG_NONE)
		x_lea32(e, XT0, xm(greg(i->base), disp));
	else if (i->index != REG_NONE && i->scale == 0)
		x_lea32(e, XT0, xm(greg(i->index), disp));
	else if (i->index != REG_NONE) {
		x_mov_ri(e, XT0, (uint32_t)disp);
		x_lea32(e, XT0, xmi(XT0, greg(i->index), i->scale, 0));
	} else
		x_mov_ri(e, XT0, (uint32_t)disp);
	if (!i->a32)
		x_movzx(e, 2, XT0, xr(XT0)); /* 16-bit addresses wrap */
}

/* Segment: lo <= off and off + size - 1 <= hi, computed in 64 bits so
 * that an access running past 4 GiB fails as in fast_ptr(); then the
 * access type; XT0 becomes the linear address. */
static void emit_seg_check(struct xl *x, int sreg, int size, bool write)
{
	struct emit *e = &x->e;
	x_alu_r_rm(e, 4, ALU_CMP, XT0, SEG_AT(sreg, lo));
	xl_slow(x, x_jcc(e, CC_B));
	x_lea64(e, XT1, xm(XT0, size - 1));
	x_load32(e, XT2, SEG_AT(sreg, hi));
	x_alu_rm_r(e, 8, ALU_CMP, xr(XT1), XT2);
	xl_slow(x, x_jcc(e, CC_A));
	x_cmp_m8_imm(e, write ? SEG_AT(sreg, writable) : SEG_AT(sreg, readable), 0);
	xl_slow(x, x_jcc(e, CC_E));
	x_alu_r_rm(e, 4, ALU_ADD, XT0, SEG_AT(sreg, base)); /* linear address */
}

void xl_emit_seg_checks(struct xl *x)
{
	int k = x->k;
	for (int n = 0; n < x->nseg_checks; n++) {
		const struct xl_seg_check *sc = &x->seg_checks[n];
		x_patch(&x->e, sc->from, x->e.p);
		x->k = sc->k; /* its failures go to that instruction's slow path */
		emit_seg_check(x, sc->sreg, sc->size, sc->write);
		x_jmp_to(&x->e, sc->back);
	}
	x->k = k;
}

static void emit_tlb_lookup(struct xl *x, int size, bool write);

/* Is sreg flat for every run of this block (its mode says so)? */
static bool known_flat(const struct xl *x, int sreg)
{
	switch (sreg) {
	case SR_SS: return x->b->mode & MODE_FLAT_SS;
	case SR_DS: return x->b->mode & MODE_FLAT_DS;
	case SR_ES: return x->b->mode & MODE_FLAT_ES;
	default: return false;
	}
}

/*
 * XT0, an offset in sreg, becomes the host address of the access.  A flat
 * segment needs no check: an access running past 4 GiB wraps its last
 * byte into page 0, which the TLB compare rejects.  Nothing is emitted
 * for SS, DS or ES when the block's mode says they are flat (the
 * kernel's data and stack); any other segment is tested for flatness at
 * run time and, when not flat, checked out of line (xl_emit_seg_checks),
 * so the common case stays short.
 */
void xl_access(struct xl *x, int sreg, int size, bool write)
{
	struct emit *e = &x->e;
	xl_clobber_flags(x);
	x->cur_barrier = true; /* a slow path */
	if (known_flat(x, sreg)) {
		emit_tlb_lookup(x, size, write);
		return;
	}
	x_cmp_m8_imm(e, SEG_AT(sreg, flat), 0);
	if (x->nseg_checks == XL_MAX_SEG_CHECKS) {
		e->overflow = true; /* an emitter bug: refuse the block */
		return;
	}
	struct xl_seg_check *sc = &x->seg_checks[x->nseg_checks++];
	*sc = (struct xl_seg_check){ x_jcc(e, CC_E), NULL, x->k, sreg, size, write };
	sc->back = e->p;
	emit_tlb_lookup(x, size, write);
}

static void emit_tlb_lookup(struct xl *x, int size, bool write)
{
	struct emit *e = &x->e;
	x_mov_rr(e, XT1, XT0);
	x_shift_ri(e, SH_SHR, XT1, 12 - 4);
	x_alu_ri(e, ALU_AND, XT1, (TLB_SIZE - 1) << 4);
	x_lea32(e, XT2, xm(XT0, size - 1));
	x_alu_ri(e, ALU_AND, XT2, 0xfffff000u);
	int32_t tlb = (int32_t)(offsetof(struct cpu, tlb) + (size_t)x->set * TLB_SIZE * sizeof(struct tlb_entry));
	int32_t tag = tlb + (int32_t)(write ? offsetof(struct tlb_entry, tag_w) : offsetof(struct tlb_entry, tag_r));
	x_alu_r_rm(e, 4, ALU_CMP, XT2, xmi(XL_CPU, XT1, 0, tag));
	xl_slow(x, x_jcc(e, CC_NE));
	x_alu_r_rm(e, 8, ALU_ADD, XT0, xmi(XL_CPU, XT1, 0, tlb + (int32_t)offsetof(struct tlb_entry, addend)));
}

_Static_assert(sizeof(struct tlb_entry) == 16, "TLB index scaling in xl_access");
