/*
 * Shared between the translator's driver (jit.c) and its instruction
 * emitters (jit_ops.c, jit_mem.c).
 */
#ifndef CORDON_ENGINE_SOFT_JIT_INTERNAL_H
#define CORDON_ENGINE_SOFT_JIT_INTERNAL_H

#include <stddef.h>

#include "engine/soft/cpu.h"
#include "engine/soft/insn.h"
#include "engine/soft/jit_emit.h"

/* Memory operands naming fields of struct cpu (RBX holds the pointer). */
#define CPU_AT(field) xm(X_RBX, (int32_t)offsetof(struct cpu, field))
#define GPR(n) xm(X_RBX, (int32_t)(offsetof(struct cpu, r) + 4u * (unsigned)(n)))
#define SEG_OFF(s, field) ((int32_t)(offsetof(struct cpu, seg) + (size_t)(s) * sizeof(struct seg) + offsetof(struct seg, field)))
#define SEG_AT(s, field) xm(X_RBX, SEG_OFF(s, field))

/* Byte register n (AL CL DL BL AH CH DH BH) inside struct cpu. */
static inline struct xmem reg8_at(int n)
{
	return n < 4 ? GPR(n) : xm(X_RBX, (int32_t)(offsetof(struct cpu, r) + 4u * (unsigned)(n - 4) + 1));
}

/* Memory accesses per block with an out-of-line segment check. */
#define XL_MAX_SEG_CHECKS (3 * BLOCK_MAX_INSNS)
#define XL_MAX_SLOW 12 /* two segmented accesses (4 each), a stack check, a limit check */
/*
 * Host register holding a copy of guest ESP at every instruction boundary
 * of translated code, across chained jumps too (c->r[R_ESP] is always
 * written as well).  The stack emitters read the copy, so a push in one
 * block does not wait for the previous block's store of ESP to reach a
 * load: that store-to-load chain through struct cpu was the longest
 * dependency in call-heavy guest code.  Callee-saved, so handler calls
 * keep it; they may move ESP, so it is reloaded after each.
 */
#define XL_ESP X_R12

/* What the translator knows about one instruction of the block. */
struct xl_insn {
	uint8_t *slow_from[XL_MAX_SLOW]; /* jumps to this instruction's slow path */
	int nslow;
	uint8_t *resume;                 /* where the next instruction's code starts */
	uint8_t *abort_from;             /* jump to "leave after this instruction" */
};

/* Translation state of one block. */
struct xl {
	struct emit e;
	const struct block *b;
	int k;            /* index of the instruction being translated */
	uint32_t eip;     /* its EIP */
	bool last;        /* it is the block's last instruction */
	int set;          /* TLB set the block runs with: 1 at CPL 3 */
	const uint32_t *page_gen; /* the CPU's page generations */
	struct block *const *block_table; /* and its block hash table */
	/* The host's arithmetic flags equal the guest's (set by the previous
	 * inline ALU instruction, nothing emitted since changed them). */
	bool host_flags;
	/* What the current instruction's emitter leaves: true if the host's
	 * flags are the guest's after it (false unless the emitter says). */
	bool host_flags_out;
	/* The next instruction sets every arithmetic flag, reads none and
	 * cannot fault or leave the block first, so nothing can observe this
	 * one's flags: they need not be recorded (xl_sets_all_flags). */
	bool flags_dead;
	/* The current instruction's emitter kept XL_ESP up to date itself. */
	bool esp_kept;
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
 * xl_result, XL_NO for a form it leaves to the handler.
 */
/* jit_alu.c: ADD..CMP TEST ADC SBB INC DEC NEG NOT IMUL shifts XADD CMPXCHG */
int xl_alu(struct xl *x, const struct insn *i);
int xl_adcsbb(struct xl *x, const struct insn *i);
int xl_incdec(struct xl *x, const struct insn *i);
int xl_not(struct xl *x, const struct insn *i);
int xl_neg(struct xl *x, const struct insn *i);
int xl_shift(struct xl *x, const struct insn *i);
int xl_imul2(struct xl *x, const struct insn *i);
int xl_imul3(struct xl *x, const struct insn *i);
int xl_xadd(struct xl *x, const struct insn *i);
int xl_cmpxchg(struct xl *x, const struct insn *i);
/* jit_flow.c: Jcc SETcc CMOVcc JMP CALL RET PUSH POP LEAVE */
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
/* jit_ops.c: moves, LEA, CDQ, CLI, NOP */
int xl_mov(struct xl *x, const struct insn *i);
int xl_mov_imm(struct xl *x, const struct insn *i);
int xl_moffs(struct xl *x, const struct insn *i);
int xl_lea(struct xl *x, const struct insn *i);
int xl_movzx(struct xl *x, const struct insn *i);
int xl_movsx(struct xl *x, const struct insn *i);
int xl_cdq(struct xl *x, const struct insn *i);
int xl_cli(struct xl *x, const struct insn *i);
int xl_nop(struct xl *x, const struct insn *i);

/* jit.c: i's row sets all six arithmetic flags without reading them, and
 * i cannot fault or leave the block (a register or immediate form): the
 * flags of the instruction before it are dead. */
bool xl_sets_all_flags(const struct insn *i);

/* jit.c */
/* A jump (rel32 at `at`) to the current instruction's slow path: run the
 * whole instruction through its handler, as the interpreter would. */
void xl_slow(struct xl *x, uint8_t *at);
/* Ends the block: EIP = eip, icount += instructions, return "completed". */
void xl_end_const(struct xl *x, uint32_t eip);
/* Same with EIP in a host register. */
void xl_end_reg(struct xl *x, int reg);

/* jit_mem.c */
/* EAX = effective address (offset in the segment) of i's memory operand. */
void xl_ea(struct xl *x, const struct insn *i);
/* With the offset in EAX: RAX = host pointer to `size` bytes at
 * sreg:offset if the interpreter's fast path applies, else jumps to the
 * slow path.  Clobbers RCX, RDX. */
void xl_access(struct xl *x, int sreg, int size, bool write);
/* Emits the segment checks xl_access left for later (before the slow
 * paths they jump to). */
void xl_emit_seg_checks(struct xl *x);

#endif
