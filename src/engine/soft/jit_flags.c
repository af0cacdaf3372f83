/*
 * The guest's arithmetic flags in translated code.
 *
 * An inline arithmetic instruction is the host's own instruction on the
 * guest's operands, so the host's flags after it are the guest's (same
 * ISA; flags the SDM leaves undefined are the host CPU's, as they would
 * be on that CPU).  They stay only there while nothing needs them
 * elsewhere: Jcc, SETcc, CMOVcc, ADC... in the same block read them
 * directly.  Where the guest's flags must be in struct cpu -- before a
 * call into C (a handler, a slow path that may fault and push EFLAGS),
 * before host code that clobbers the host's flags, at the block's end --
 * the last instruction that produced them records them as a lazy-flag
 * record of kind LF_HOST: the host's EFLAGS image (pushfq), which
 * flags.c reads like any other record.  Which instructions must record
 * is decided per block by jit.c's liveness pass.
 *
 * After a record, or a handler, or at a block's start, the flags are in
 * struct cpu only; readers then test the record (one instruction for a
 * LF_HOST record and most conditions), replay the common records of the
 * interpreter's handlers, or ask cond_true().
 */
#include "engine/soft/jit_internal.h"

_Static_assert(offsetof(struct cpu, lf_size) == offsetof(struct cpu, lf_op) + 1, "lf_op and lf_size are stored as one word");

#define LF_WORD(op, size) ((uint16_t)((op) | (size) << 8))

void xl_clobber_flags(struct xl *x)
{
	if (x->host_flags)
		x->cur_barrier = true; /* the host held the only copy */
	x->host_flags = false;
}

static void emit_record(struct xl *x)
{
	struct emit *e = &x->e;
	x_pushfq(e);
	x_pop(e, XT1);
	x_store32(e, CPU_AT(lf_res), XT1);
	x_store_imm16(e, CPU_AT(lf_op), LF_WORD(LF_HOST, 4));
}

void xl_flags_produced(struct xl *x, uint16_t writes)
{
	x->host_flags = true;
	x->cur_produces = true;
	x->cur_writes = writes;
	if (!x->planning && x->plan[x->k].must_record)
		emit_record(x);
}

/* The guest's arithmetic flags as a host EFLAGS image that POPF may load
 * (IF set, TF and DF clear: only the arithmetic flags are the guest's). */
static uint64_t flags_image(struct cpu *c, uint64_t unused)
{
	(void)unused;
	flags_materialize(c);
	return (c->eflags & FL_ARITH) | FL_IF | FL_FIXED1;
}

static uint64_t carry_of(struct cpu *c, uint64_t unused)
{
	(void)unused;
	return flag_cf(c);
}

void xl_flags_to_host(struct xl *x)
{
	struct emit *e = &x->e;
	xl_call_helper(x, (const void *)flags_image, 0);
	x_push(e, XT3);
	x_popfq(e);
	x->host_flags = true;
}

void xl_keep_flags(struct xl *x, uint16_t writes)
{
	if (x->host_flags || x->planning)
		return;
	uint16_t kept = (uint16_t)(x->plan[x->k].need_after & F_ALL & ~writes);
	if (!kept)
		return;
	if (kept == F_C)
		xl_carry_to_host(x);
	else
		xl_flags_to_host(x);
}

/*
 * Host CF = guest CF.  From the host's flags, nothing to do; from a
 * LF_HOST record, one BT; else flag_cf().  (BT leaves OF SF AF PF
 * undefined and ZF alone: every caller writes the flags it reads.)
 */
void xl_carry_to_host(struct xl *x)
{
	struct emit *e = &x->e;
	if (x->host_flags)
		return;
	xl_clobber_flags(x);
	x_alu_rm_imm(e, 2, ALU_CMP, CPU_AT(lf_op), LF_WORD(LF_HOST, 4));
	uint8_t *other = x_jcc(e, CC_NE);
	x_ext(e, 4, 0x0fba, 4, CPU_AT(lf_res)); /* bt dword [lf_res], 0 */
	x_byte(e, 0);
	uint8_t *done = x_jmp(e);
	x_patch(e, other, e->p);
	xl_call_helper(x, (const void *)carry_of, 0);
	x_ext(e, 4, 0x0fba, 4, xr(XT3)); /* bt r11d, 0 */
	x_byte(e, 0);
	x_patch(e, done, e->p);
}

/* --- conditions ----------------------------------------------------------- */

/* The EFLAGS bits a condition tests in a LF_HOST record, for the ones
 * one TEST decides: O B E BE S P; the odd cc is the negation. */
static const uint16_t cc_mask[6] = { FL_OF, FL_CF, FL_ZF, FL_CF | FL_ZF, FL_SF, FL_PF };

/* Condition cc from the LF_HOST record in XT4. */
static void cond_from_image(struct xl *x, int cc, uint8_t **taken, int *nt)
{
	struct emit *e = &x->e;
	bool neg = cc & 1;
	if (cc < CC_L) {
		x_test_rm_imm(e, 4, xr(XT4), cc_mask[cc >> 1]);
		taken[(*nt)++] = x_jcc(e, neg ? CC_E : CC_NE);
		return;
	}
	/* L: SF != OF; LE: L or ZF.  OF (bit 11) moves onto SF (bit 7). */
	x_mov_rr(e, XT2, XT4);
	x_shift_ri(e, SH_SHR, XT2, 4);
	x_alu_rr(e, ALU_XOR, XT2, XT4);
	x_alu_ri(e, ALU_AND, XT2, FL_SF);
	if (cc >= CC_LE) {
		x_alu_ri(e, ALU_AND, XT4, FL_ZF);
		x_alu_rr(e, ALU_OR, XT2, XT4);
	}
	taken[(*nt)++] = x_jcc(e, neg ? CC_E : CC_NE);
}

/*
 * The interpreter's handlers leave their own records; the common ones
 * one host instruction replays exactly, for the conditions that do not
 * read CF unless the record defines it.
 */
struct replay {
	uint8_t op, size;
	int how; /* ALU_CMP / ALU_ADD: a op b; ALU_AND: test res */
};
static const struct replay replays[] = {
	{ LF_SUB, 4, ALU_CMP }, { LF_LOGIC, 4, ALU_AND }, { LF_ADD, 4, ALU_ADD },
	{ LF_SUB, 1, ALU_CMP }, { LF_LOGIC, 1, ALU_AND },
};

static void emit_replay(struct emit *e, const struct replay *r)
{
	int size = r->size;
	if (r->how == ALU_AND) {
		x_mov_r_rm(e, 4, XT4, CPU_AT(lf_res));
		x_test_rm_r(e, size, xr(XT4), XT4);
	} else {
		x_mov_r_rm(e, 4, XT4, CPU_AT(lf_a));
		x_alu_r_rm(e, size, r->how, XT4, CPU_AT(lf_b));
	}
}

/*
 * Emits code that jumps to the sites it adds to taken[] when condition cc
 * holds, and falls through when it does not.  Uses the host's flags when
 * they are the guest's; else the record in struct cpu.  Leaves the
 * guest's registers, XT0 and XT1 alone (XT2-XT5 are its scratch).
 */
void xl_cond(struct xl *x, int cc, uint8_t **taken, int *nt)
{
	struct emit *e = &x->e;
	if (x->host_flags) {
		taken[(*nt)++] = x_jcc(e, cc);
		return;
	}
	uint8_t *not_taken[8];
	int nn = 0;
	x_movzx(e, 2, XT5, CPU_AT(lf_op));
	x_alu_ri(e, ALU_CMP, XT5, LF_WORD(LF_HOST, 4));
	uint8_t *other = x_jcc(e, CC_NE);
	x_load32(e, XT4, CPU_AT(lf_res));
	cond_from_image(x, cc, taken, nt);
	not_taken[nn++] = x_jmp(e);
	x_patch(e, other, e->p);
	for (size_t k = 0; k < sizeof(replays) / sizeof(replays[0]); k++) {
		const struct replay *r = &replays[k];
		x_alu_ri(e, ALU_CMP, XT5, LF_WORD(r->op, r->size));
		other = x_jcc(e, CC_NE);
		emit_replay(e, r);
		taken[(*nt)++] = x_jcc(e, cc);
		not_taken[nn++] = x_jmp(e);
		x_patch(e, other, e->p);
	}
	xl_call_helper(x, (const void *)cond_true, (uint64_t)cc);
	x_test_rm_r(e, 1, xr(XT3), XT3);
	taken[(*nt)++] = x_jcc(e, CC_NE);
	for (int k = 0; k < nn; k++)
		x_patch(e, not_taken[k], e->p);
}
