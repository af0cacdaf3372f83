/*
 * Inline guest memory access for translated blocks: the interpreter's
 * fast path (fast_ptr in cpu.h) as host code.
 *
 * With the offset in EAX the emitted code checks, in the interpreter's
 * order, that [off, off+size) lies inside the segment and the segment
 * allows the access, then finds the linear page in the software TLB.  A
 * TLB entry's tag is compared with the page of the access's LAST byte, so
 * one compare also rejects an access that crosses into the next page (the
 * index comes from the first byte).  Any miss goes to the instruction's
 * slow path, which runs the whole instruction through its handler: the
 * fast path has changed nothing by then, so that is the interpreter's
 * behaviour exactly, faults included.
 */
#include "engine/soft/jit_internal.h"

void xl_ea(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	int32_t disp = (int32_t)i->disp;
	if (i->base != REG_NONE && i->index != REG_NONE) {
		x_load32(e, X_RAX, GPR(i->base));
		x_load32(e, X_RCX, GPR(i->index));
		x_lea32(e, X_RAX, xmi(X_RAX, X_RCX, i->scale, disp));
	} else if (i->base != REG_NONE) {
		x_load32(e, X_RAX, GPR(i->base));
		if (disp)
			x_lea32(e, X_RAX, xm(X_RAX, disp));
	} else if (i->index != REG_NONE) {
		x_load32(e, X_RCX, GPR(i->index));
		x_mov_ri(e, X_RAX, (uint32_t)disp);
		x_lea32(e, X_RAX, xmi(X_RAX, X_RCX, i->scale, 0));
	} else {
		x_mov_ri(e, X_RAX, (uint32_t)disp);
	}
	if (!i->a32)
		x_op_rr(e, false, 0x0fb7, X_RAX, X_RAX); /* movzx eax, ax: 16-bit addresses wrap */
}

/* Segment: lo <= off and off + size - 1 <= hi, computed in 64 bits so
 * that an access running past 4 GiB fails as in fast_ptr(); then the
 * access type; EAX becomes the linear address. */
static void emit_seg_check(struct xl *x, int sreg, int size, bool write)
{
	struct emit *e = &x->e;
	x_alu_r_m(e, ALU_CMP, X_RAX, SEG_AT(sreg, lo));
	xl_slow(x, x_jcc(e, CC_B));
	x_lea64(e, X_RCX, xm(X_RAX, size - 1));
	x_load32(e, X_RDX, SEG_AT(sreg, hi));
	x_alu64_rr(e, ALU_CMP, X_RCX, X_RDX);
	xl_slow(x, x_jcc(e, CC_A));
	if (write)
		x_cmp_m8_imm(e, SEG_AT(sreg, writable), 0);
	else
		x_cmp_m8_imm(e, SEG_AT(sreg, readable), 0);
	xl_slow(x, x_jcc(e, CC_E));
	x_alu_r_m(e, ALU_ADD, X_RAX, SEG_AT(sreg, base)); /* EAX = linear address */
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
 * EAX, an offset in sreg, becomes the host address of the access.  A flat
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

/* EAX = the host address of linear EAX through the software TLB, or the
 * instruction's slow path.  EDX = index * 16, ECX = page of the last byte. */
static void emit_tlb_lookup(struct xl *x, int size, bool write)
{
	struct emit *e = &x->e;
	x_lea32(e, X_RCX, xm(X_RAX, size - 1));
	x_alu_ri(e, ALU_AND, X_RCX, 0xfffff000u);
	x_mov_rr(e, X_RDX, X_RAX);
	x_shift_ri(e, 5, X_RDX, 12 - 4);
	x_alu_ri(e, ALU_AND, X_RDX, (TLB_SIZE - 1) << 4);
	int32_t tlb = (int32_t)(offsetof(struct cpu, tlb) + (size_t)x->set * TLB_SIZE * sizeof(struct tlb_entry));
	int32_t tag = tlb + (int32_t)(write ? offsetof(struct tlb_entry, tag_w) : offsetof(struct tlb_entry, tag_r));
	x_alu_r_m(e, ALU_CMP, X_RCX, xmi(X_RBX, X_RDX, 0, tag));
	xl_slow(x, x_jcc(e, CC_NE));
	x_alu_ri(e, ALU_AND, X_RAX, 0xfff);
	x_op_rm(e, true, 0x03, X_RAX, xmi(X_RBX, X_RDX, 0, tlb + (int32_t)offsetof(struct tlb_entry, host)), false);
}

_Static_assert(sizeof(struct tlb_entry) == 16, "TLB index scaling in xl_access");
