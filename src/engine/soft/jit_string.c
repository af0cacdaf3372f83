/*
 * Inline translation of the string instructions MOVS, STOS, LODS, CMPS
 * and SCAS (string.c is the interpreter's), alone and with REP, REPE or
 * REPNE.
 *
 * Only the common case is inline: 32-bit addressing and DF clear.  Each
 * element is the interpreter's fast path in host code (jit_mem.c's
 * xl_access for each operand, then the move or the compare, then ESI
 * and EDI by LEA, which leaves the host's flags alone); a TLB miss, a
 * non-flat segment that fails its check, a write to a page holding code
 * or MMIO, DF set or 16-bit addressing goes to the slow path, which runs
 * the instruction through its handler.
 *
 * A repeated instruction runs inline only for a count of 1 to a small
 * limit; a longer one goes to the handler, which copies and fills whole
 * pages with memmove and memset, and slices very long strings so
 * interrupts are not held off (REP_SLICE in string.c).  Because the
 * inline limit is far below that slice, an inline REP never yields, as
 * the handler would not either, and the instruction count is the same
 * both ways.  Each inline iteration commits ECX, ESI and EDI before the
 * next, as string.c does, so a miss in iteration k sends the handler the
 * state of an interrupted REP: it goes on from there, and a fault it
 * raises reports the remaining count exactly as the interpreter would.
 * A count of 0 also goes to the handler, which leaves the flags of a
 * REPE/REPNE compare untouched.
 *
 * Self-modifying code through REP STOS or MOVS stays correct because
 * pages that hold translated code are never in the TLB's write path: the
 * store misses and the handler does it, which retires the page's blocks
 * and stops the running one.
 */
#include "engine/soft/jit_internal.h"

/* The longest count run inline, per kind: a copy or fill past it is
 * faster through memmove/memset in the handler; a compare in C costs a
 * call per element, so its inline limit is higher.  Both are far below
 * REP_SLICE. */
#define XL_REP_MOVE_MAX 16u
#define XL_REP_CMP_MAX 256u

enum xl_str { XS_MOVS, XS_STOS, XS_LODS, XS_CMPS, XS_SCAS };

static enum xl_str str_kind(const struct insn *i)
{
	switch (i->iop) {
	case IOP_MOVSB: case IOP_MOVS: return XS_MOVS;
	case IOP_STOSB: case IOP_STOS: return XS_STOS;
	case IOP_LODSB: case IOP_LODS: return XS_LODS;
	case IOP_CMPSB: case IOP_CMPS: return XS_CMPS;
	default: return XS_SCAS;
	}
}

/* An element of `size` bytes at XT0 (the host address) into XT4. */
static void load_elem(struct emit *e, int size)
{
	if (size == 4)
		x_load32(e, XT4, xm(XT0, 0));
	else
		x_movzx(e, size, XT4, xm(XT0, 0));
}

/* XT4 = the element at seg:ESI; then XT0 = the host address of the one
 * at ES:EDI, for writing or reading (MOVS, CMPS). */
static void src_then_dst(struct xl *x, const struct insn *i, int size, bool write)
{
	struct emit *e = &x->e;
	x_mov_rr(e, XT0, X_RSI);
	xl_access(x, i->seg, size, false);
	load_elem(e, size);
	x_mov_rr(e, XT0, X_RDI);
	xl_access(x, SR_ES, size, write);
}

/* Moves index register r (ESI or EDI) past one element, DF clear. */
static void step(struct emit *e, int r, int size)
{
	x_lea32(e, r, xm(r, size));
}

/* One element of the string operation, with its own memory checks.
 * Compares leave the guest's flags in the host's. */
static void emit_elem(struct xl *x, const struct insn *i, enum xl_str k, int size)
{
	struct emit *e = &x->e;
	switch (k) {
	case XS_MOVS:
		src_then_dst(x, i, size, true);
		x_mov_rm_r(e, size, xm(XT0, 0), XT4);
		step(e, X_RSI, size);
		step(e, X_RDI, size);
		break;
	case XS_STOS:
		x_mov_rr(e, XT0, X_RDI);
		xl_access(x, SR_ES, size, true);
		x_mov_rm_r(e, size, xm(XT0, 0), X_RAX);
		step(e, X_RDI, size);
		break;
	case XS_LODS:
		x_mov_rr(e, XT0, X_RSI);
		xl_access(x, i->seg, size, false);
		x_mov_r_rm(e, size, X_RAX, xm(XT0, 0));
		step(e, X_RSI, size);
		break;
	case XS_CMPS:
		/* [seg:ESI] - [ES:EDI], as CMP would compute it */
		src_then_dst(x, i, size, false);
		x_alu_r_rm(e, size, ALU_CMP, XT4, xm(XT0, 0));
		xl_flags_produced(x, F_ALL);
		step(e, X_RSI, size);
		step(e, X_RDI, size);
		break;
	case XS_SCAS:
		/* AL/AX/EAX - [ES:EDI] */
		x_mov_rr(e, XT0, X_RDI);
		xl_access(x, SR_ES, size, false);
		x_alu_r_rm(e, size, ALU_CMP, X_RAX, xm(XT0, 0));
		xl_flags_produced(x, F_ALL);
		step(e, X_RDI, size);
		break;
	}
}

/*
 *     lea r9d, [rcx-1] ; cmp r9d, MAX-1 ; ja slow     count 1..MAX
 *   loop:
 *     <one element>
 *     lea ecx, [rcx-1]
 *     jne/je done                                     REPE/REPNE compares
 *     jecxz done
 *     jmp loop
 *   done:
 * LEA and JECXZ leave the host's flags, which hold a compare's result.
 */
static void emit_rep(struct xl *x, const struct insn *i, enum xl_str k, int size)
{
	struct emit *e = &x->e;
	bool cmp = k == XS_CMPS || k == XS_SCAS;
	uint32_t max = cmp ? XL_REP_CMP_MAX : XL_REP_MOVE_MAX;
	x_lea32(e, XT1, xm(X_RCX, -1));
	x_alu_ri(e, ALU_CMP, XT1, max - 1);
	xl_slow(x, x_jcc(e, CC_A));
	uint8_t *loop = e->p;
	emit_elem(x, i, k, size);
	x_lea32(e, X_RCX, xm(X_RCX, -1));
	uint8_t *stop = NULL;
	if (cmp) /* REPE stops on ZF=0, REPNE on ZF=1 */
		stop = x_jcc(e, i->rep == 0xf3 ? CC_NE : CC_E);
	x_byte(e, 0x67); /* jecxz over the jmp back */
	x_byte(e, 0xe3);
	x_byte(e, 5);
	x_jmp_to(e, loop);
	x_patch(e, stop, e->p);
}

/* MOVS STOS LODS CMPS SCAS (A4-A7, AA-AF), with or without REP. */
int xl_string(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	enum xl_str k = str_kind(i);
	int size = isize(i);
	if (!i->a32 || (i->rep && k == XS_LODS))
		return XL_NO;
	xl_clobber_flags(x);
	x_test_m8_imm(e, xm(XL_CPU, (int32_t)offsetof(struct cpu, eflags) + 1), (uint8_t)(FL_DF >> 8));
	xl_slow(x, x_jcc(e, CC_NE));
	if (i->rep)
		emit_rep(x, i, k, size);
	else
		emit_elem(x, i, k, size);
	return XL_NEXT;
}
