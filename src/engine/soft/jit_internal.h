/*
 * Shared between the translator's driver (jit.c, jit_exit.c), its flag
 * and memory machinery (jit_flags.c, jit_mem.c) and its emitters
 * (jit_alu.c, jit_flow.c, jit_ops.c).
 *
 * Translated code keeps the guest's eight general registers in host
 * registers, in and across blocks:
 *
 *     EAX RAX   ECX RCX   EDX RDX   EBX RBX   ESP R12   EBP RBP   ESI RSI   EDI RDI
 *
 * (the same numbers as the guest's but for ESP, so the guest's byte
 * registers AH..BH are the host's, and MUL, DIV and shifts by CL use the
 * registers they name).  R13 holds the struct cpu pointer; R8-R11, R14
 * and R15 are scratch.  struct cpu's copy of the registers is brought up
 * to date only around calls into C (handlers, slow paths) and when the
 * code returns to block_run (jit.c's trampoline).
 */
#ifndef CORDON_ENGINE_SOFT_JIT_INTERNAL_H
#define CORDON_ENGINE_SOFT_JIT_INTERNAL_H

#include <stddef.h>

#include "engine/soft/cpu.h"
#include "engine/soft/insn.h"
#include "engine/soft/jit_emit.h"

#define XL_CPU X_R13
/* Scratch registers. */
#define XT0 X_R8
#define XT1 X_R9
#define XT2 X_R10
#define XT3 X_R11
#define XT4 X_R14
#define XT5 X_R15

/* The host register holding guest register n (EAX..EDI). */
static inline int greg(int n)
{
	return n == R_ESP ? X_R12 : n;
}

/* Guest byte register n (AL CL DL BL AH CH DH BH) as a size-1 host
 * operand: the same encoding, since EAX..EBX are RAX..RBX. */
static inline struct xrm greg8(int n)
{
	return xr(n);
}

/* A guest register of `size` bytes as a host operand (size 1: AL..BH). */
static inline struct xrm gop(int n, int size)
{
	return size == 1 ? greg8(n) : xr(greg(n));
}

/* Fields of struct cpu (R13 holds the pointer). */
#define CPU_AT(field) xm(XL_CPU, (int32_t)offsetof(struct cpu, field))
#define GPR(n) xm(XL_CPU, (int32_t)(offsetof(struct cpu, r) + 4u * (unsigned)(n)))
#define SEG_OFF(s, field) ((int32_t)(offsetof(struct cpu, seg) + (size_t)(s) * sizeof(struct seg) + offsetof(struct seg, field)))
#define SEG_AT(s, field) xm(XL_CPU, SEG_OFF(s, field))

/* A block starts with the store of cur_block_page (11 bytes); a chained
 * jump from a block of the same physical page enters past it. */
#define XL_SAME_PAGE_ENTRY 11

/* Per-block limits. */
#define XL_MAX_SEG_CHECKS (3 * BLOCK_MAX_INSNS)
#define XL_MAX_SLOW 12 /* jumps to one instruction's slow path */

/* What the planning pass learns of an instruction (jit.c). */
struct xl_plan {
	bool inline_;     /* translated inline (else a handler call) */
	bool barrier;     /* needs the guest's flags in struct cpu at its start:
			   * it may call C (slow path, handler) or clobbers the
			   * host's flags while they are the only copy */
	bool produces;    /* leaves the guest's new flags in the host's */
	uint16_t writes;  /* arithmetic flags it always writes */
	bool must_record; /* liveness: the flags it leaves must reach struct cpu */
	uint16_t need_after; /* liveness: flags read later, by anything */
};

struct xl_insn {
	uint8_t *slow_from[XL_MAX_SLOW]; /* jumps to this instruction's slow path */
	int nslow;
	uint8_t *resume;                 /* where the next instruction's code starts */
	uint8_t *abort_from;             /* jump to "leave after this instruction" */
	bool slow_restores_flags;        /* its slow path puts the flags back in the host */
};

/*
 * Where an indirect exit may jump without a lookup (jit_exit.c): a block's
 * code for one EIP, valid while the page's generation and the instruction
 * TLB's entry for its linear page hold what they held when the cell was
 * filled.  A site's own cell (its last target) needs no more; a cell on
 * the return-address stack also names the CS and mode it was made for,
 * since any RET may pop it.  Cells live in the block pool and die with it.
 */
struct jit_cell {
	uint32_t eip;                   /* the target EIP */
	uint32_t gen;                   /* *genp when filled */
	const uint32_t *genp;           /* &page_gen[the target's page] */
	const struct itlb_entry *tlb;   /* the entry of the target's linear page */
	uint64_t tlb_val;               /* what it held */
	const void *code;               /* the target block's code */
	uint64_t cs;                    /* RAS cells: CS base | limit << 32 */
	uint8_t mode;                   /* and the block mode */
};

/* Translation state of one block. */
struct xl {
	struct emit e;
	const struct block *b;
	struct jit *jit;
	struct cpu *cpu;  /* for the cells (jit_exit.c) */
	int k;            /* index of the instruction being translated */
	uint32_t eip;     /* its EIP */
	bool last;        /* it is the block's last instruction */
	int set;          /* TLB set the block runs with: 1 at CPL 3 */
	const uint32_t *page_gen; /* the CPU's page generations */
	struct block *const *block_table; /* and its block hash table */
	bool planning;    /* the planning pass: nothing emitted is kept */

	/* The guest's arithmetic flags: in the host's EFLAGS (host_flags),
	 * and/or in struct cpu's lazy record.  An emitter reads host_flags;
	 * the helpers below keep it. */
	bool host_flags;
	/* Set by the helpers while an instruction is emitted (planning). */
	bool cur_barrier, cur_produces;
	uint16_t cur_writes;
	struct xl_plan plan[BLOCK_MAX_INSNS];

	/* Jumps to the shared end after a handler ran the block's last
	 * instruction (xl_end_generic). */
	uint8_t *generic_end_from[BLOCK_MAX_INSNS + 1];
	int ngeneric_end;
	/* Exits to a constant EIP, patchable by jit_chain (at most two). */
	uint8_t *chain_at[2];
	uint32_t chain_eip[2];
	bool chain_same_page[2];
	int nchain;
	struct xl_insn in[BLOCK_MAX_INSNS];
	/* Segment checks of non-flat segments, emitted out of line after
	 * the block (emit_tails) so the flat case stays short. */
	struct xl_seg_check {
		uint8_t *from;   /* the jump to it */
		uint8_t *back;   /* where the inline code goes on */
		int k, sreg, size;
		bool write;
	} seg_checks[XL_MAX_SEG_CHECKS];
	int nseg_checks;
};

enum xl_result {
	XL_NO,    /* not translated inline: the driver emits a handler call */
	XL_NEXT,  /* translated; control goes on to the next instruction */
	XL_ENDED, /* translated, including the end of the block */
};

/*
 * The emitters: the `emit` column of the instruction table (insn.def).
 * Each translates instruction i (x->k) inline and returns an enum
 * xl_result, XL_NO for a form it leaves to the handler.  Whether an
 * emitter accepts a form depends on the instruction alone, never on the
 * state of the flags, so the planning pass and the real one agree.
 */
/* jit_alu.c */
int xl_alu(struct xl *x, const struct insn *i);
int xl_adcsbb(struct xl *x, const struct insn *i);
int xl_incdec(struct xl *x, const struct insn *i);
int xl_not(struct xl *x, const struct insn *i);
int xl_neg(struct xl *x, const struct insn *i);
int xl_shift(struct xl *x, const struct insn *i);
int xl_imul2(struct xl *x, const struct insn *i);
int xl_imul3(struct xl *x, const struct insn *i);
int xl_mul(struct xl *x, const struct insn *i);
int xl_div(struct xl *x, const struct insn *i);
int xl_bt(struct xl *x, const struct insn *i);
int xl_bitscan(struct xl *x, const struct insn *i);
int xl_xadd(struct xl *x, const struct insn *i);
int xl_cmpxchg(struct xl *x, const struct insn *i);
/* jit_flow.c */
int xl_jcc(struct xl *x, const struct insn *i);
int xl_setcc(struct xl *x, const struct insn *i);
int xl_cmovcc(struct xl *x, const struct insn *i);
int xl_jmp_rel(struct xl *x, const struct insn *i);
int xl_call_rel(struct xl *x, const struct insn *i);
int xl_ret(struct xl *x, const struct insn *i);
int xl_jmp_ind(struct xl *x, const struct insn *i);
int xl_call_ind(struct xl *x, const struct insn *i);
int xl_push_r(struct xl *x, const struct insn *i);
int xl_pop_r(struct xl *x, const struct insn *i);
int xl_push_imm(struct xl *x, const struct insn *i);
int xl_push_m(struct xl *x, const struct insn *i);
int xl_leave(struct xl *x, const struct insn *i);
/* jit_ops.c */
int xl_mov(struct xl *x, const struct insn *i);
int xl_mov_imm(struct xl *x, const struct insn *i);
int xl_moffs(struct xl *x, const struct insn *i);
int xl_lea(struct xl *x, const struct insn *i);
int xl_movzx(struct xl *x, const struct insn *i);
int xl_movsx(struct xl *x, const struct insn *i);
int xl_cdq(struct xl *x, const struct insn *i);
int xl_cli(struct xl *x, const struct insn *i);
int xl_nop(struct xl *x, const struct insn *i);
int xl_bswap(struct xl *x, const struct insn *i);
int xl_xchg(struct xl *x, const struct insn *i);
/* jit_string.c */
int xl_string(struct xl *x, const struct insn *i);
/* jit_eflags.c */
int xl_pushf(struct xl *x, const struct insn *i);
int xl_cld_std(struct xl *x, const struct insn *i);
/* jit_fpu.c */
int xl_fpu(struct xl *x, const struct insn *i);

/* --- jit.c: the driver ----------------------------------------------- */

/* Jumps to the leave stub (the block's result in XT0). */
void xl_jmp_leave(struct xl *x);
/* The write view of an address in code memory. */
uint8_t *jit_rw_of(const struct jit *j, const void *rx);
/* A jump (rel32 at `at`) to the current instruction's slow path: run the
 * whole instruction through its handler, as the interpreter would. */
void xl_slow(struct xl *x, uint8_t *at);
/* Calls C function fn(struct cpu *c, arg) with the guest's caller-saved
 * registers kept (a helper that reads no guest register); the result is
 * in RAX... which is guest EAX, so it is returned in XT0 (R8) instead. */
void xl_call_helper(struct xl *x, const void *fn, uint64_t arg);

/* --- jit_exit.c: leaving a block -------------------------------------- */

/* Ends the block: EIP = eip, icount += instructions, "completed". */
void xl_end_const(struct xl *x, uint32_t eip);
/* Same with EIP in a host register (not a guest one). */
void xl_end_reg(struct xl *x, int reg);
/* Same through the site's cell (a new one for this site: see
 * xl_new_cell) before the lookup; the lookup fills it. */
void xl_end_indirect(struct xl *x, int reg);
/* A RET's end, EIP in reg: through the cell popped from the
 * return-address stack, else the lookup, which fills that cell when it was
 * made for this EIP. */
void xl_end_ret(struct xl *x, int reg);
/* A near CALL whose return address is ret_eip: pushes a cell for it on
 * the return-address stack.  Clobbers the host's flags. */
void xl_ras_push(struct xl *x, uint32_t ret_eip);
/* The end after a handler ran the last instruction. */
void xl_end_generic(struct xl *x);
/* Leaving after instruction k because it set c->block_abort. */
void xl_end_abort(struct xl *x, int k, uint32_t next_eip);

/* --- jit_flags.c: the guest's arithmetic flags ------------------------ */

/* The host's flags are about to be clobbered by code that is not the
 * guest's instruction (a TLB check, a test): planning notes a barrier. */
void xl_clobber_flags(struct xl *x);
/* The emitted host instruction left the guest's flags in the host's,
 * having written `writes` of them (the others are the previous ones, which
 * the host held, or which are dead: see xl_keep_flags): records them in
 * struct cpu if liveness says so. */
void xl_flags_produced(struct xl *x, uint16_t writes);
/* Before a host instruction that writes only `writes` of the flags (INC,
 * rotates, BT, a shift by a count that may be 0): makes the host hold
 * the others if they are live and it does not. */
void xl_keep_flags(struct xl *x, uint16_t writes);
/* Emits code that jumps to the sites it adds to taken[] when condition
 * cc holds, and falls through when it does not. */
void xl_cond(struct xl *x, int cc, uint8_t **taken, int *nt);
#define XL_MAX_TAKEN 12
/* Puts the guest's CF in the host's CF (for ADC, SBB, RCL, RCR). */
void xl_carry_to_host(struct xl *x);
/* Puts all the guest's arithmetic flags in the host's (partial writers
 * whose unwritten flags are live). */
void xl_flags_to_host(struct xl *x);

/* --- jit_mem.c: guest memory ------------------------------------------ */

/* XT0 (R8) = effective address (offset in the segment) of i's memory
 * operand. */
void xl_ea(struct xl *x, const struct insn *i);
/* With the offset in XT0: XT0 = host pointer to `size` bytes at
 * sreg:offset if the interpreter's fast path applies, else a jump to the
 * slow path.  Clobbers XT1, XT2 and the host's flags. */
void xl_access(struct xl *x, int sreg, int size, bool write);
/* Emits the segment checks xl_access left for later (before the slow
 * paths they jump to). */
void xl_emit_seg_checks(struct xl *x);

#endif
