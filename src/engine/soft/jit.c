/*
 * The block translator's driver: code memory, the stubs every block
 * shares, the planning and liveness passes, and the shape of a block.
 *
 * The stubs, made once at the start of code memory:
 *
 *   enter(c, code)   from block_run: saves the callee-saved registers,
 *                    R13 = c, loads the guest registers from c->r[] into
 *                    their host registers (jit_internal.h), jumps to code
 *   leave            a block jumps here with its result in R8D: stores
 *                    the guest registers back and returns the result
 *   call_handler     R10 = handler, R11 = insn: stores the guest
 *                    registers, calls handler(c, insn), loads them again
 *   call_helper      R10 = fn, R11 = argument: calls fn(c, arg) keeping
 *                    every guest register and R8-R10; the result in R11
 *
 * A translated block is the host code of its instructions in order,
 * entered at b->code with the guest registers in host registers (from
 * enter, or from the previous block by a chained jump):
 *
 *     mov dword [c->cur_block_page], PN    (jumps from the same page enter past it)
 *     <instruction 0> ... <instruction n-1>, the last ending the block
 *     segment checks of non-flat segments (jit_mem.c)
 *     slow paths, one per inline instruction that has one
 *     "abort after instruction k" exits
 *
 * It does exactly what run_insns() in block.c would do with the same
 * block, instruction for instruction; the interpreter stays the
 * reference.  An instruction is inline host code when the table's
 * emitter takes its form, else a call to its handler with c->eip set, as
 * the interpreter would make it.  A fault (in a handler, or in a slow
 * path, which runs the whole instruction through its handler) unwinds to
 * the run loop with longjmp; the guest registers were stored before the
 * call, so the state it finds is complete.
 *
 * Each block is translated twice: a planning pass learns, for every
 * instruction, whether it is inline, which arithmetic flags it writes
 * and where the guest's flags must be in struct cpu (a call into C, a
 * slow path, code that clobbers the host's flags, the block's end); a
 * liveness pass then decides which instructions must record their flags
 * (jit_flags.c), and the second pass emits the code.
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine/soft/jit.h"
#include "engine/soft/jit_internal.h"
#include "host/host.h"

/* Code memory, reserved up front and committed as used; flushed (with the
 * decoded blocks) when the budget, `limit`, is used up.  The budget starts
 * at JIT_CODE_MIN and grows with demand (block.c, cache_full): most guests'
 * working sets fit in a few MiB, and every page used counts twice in the
 * process's resident size, once per view. */
#define JIT_CODE_SIZE (128u << 20)
#define JIT_CODE_MIN (4u << 20)
/* The write view's pages are unmapped (host_code_unmap_written) in steps
 * of JIT_DROP_STEP once they are JIT_DROP_LAG behind the newest code: young
 * blocks are still being chained (a patch to an unmapped page costs a
 * minor fault, nothing more). */
#define JIT_DROP_STEP (1u << 20)
#define JIT_DROP_LAG (256u << 10)
/* The largest block translation plus its slow paths stays well under. */
#define JIT_BLOCK_MAX (48u << 10)

struct jit {
	struct host_code mem;
	size_t used;
	size_t limit;       /* the budget now: JIT_CODE_MIN..mem.size */
	size_t dropped;     /* the write view is unmapped below this */
	size_t stubs;       /* bytes of stubs at the start */
	int (*enter)(struct cpu *c, const void *code);
	const uint8_t *leave, *call_handler, *call_helper; /* execute view */
	uint64_t refused;
	uint8_t plan_buf[JIT_BLOCK_MAX]; /* the planning pass writes here */
	struct xl scratch; /* the translation in progress (large: not on the stack) */
};

/* Guest registers in struct cpu, in the order the stubs move them. */
static void store_guest_regs(struct emit *e)
{
	for (int r = 0; r < 8; r++)
		x_store32(e, GPR(r), greg(r));
}

static void load_guest_regs(struct emit *e)
{
	for (int r = 0; r < 8; r++)
		x_load32(e, greg(r), GPR(r));
}

static const int saved[6] = { X_RBX, X_RBP, X_R12, X_R13, X_R14, X_R15 };

static void emit_stubs(struct jit *j)
{
	struct emit e = { j->mem.rw, j->mem.rw + 4096, false };
	const uint8_t *rw = j->mem.rw;

	j->enter = (int (*)(struct cpu *, const void *))(uintptr_t)(j->mem.rx + (e.p - rw));
	for (int k = 0; k < 6; k++)
		x_push(&e, saved[k]);
	x_alu_rm_imm(&e, 8, ALU_SUB, xr(X_RSP), 8); /* calls from blocks are 16-byte aligned */
	x_mov64_rr(&e, XL_CPU, X_RDI);
	x_mov64_rr(&e, XT3, X_RSI);
	load_guest_regs(&e);
	x_jmp_r(&e, XT3);

	j->leave = j->mem.rx + (e.p - rw);
	store_guest_regs(&e);
	x_mov_rr(&e, X_RAX, XT0);
	x_alu_rm_imm(&e, 8, ALU_ADD, xr(X_RSP), 8);
	for (int k = 5; k >= 0; k--)
		x_pop(&e, saved[k]);
	x_ret(&e);

	j->call_handler = j->mem.rx + (e.p - rw);
	store_guest_regs(&e);
	x_mov64_rr(&e, X_RDI, XL_CPU);
	x_mov64_rr(&e, X_RSI, XT3);
	x_alu_rm_imm(&e, 8, ALU_SUB, xr(X_RSP), 8);
	x_call_r(&e, XT2);
	x_alu_rm_imm(&e, 8, ALU_ADD, xr(X_RSP), 8);
	load_guest_regs(&e);
	x_ret(&e);

	/* Caller-saved guest registers and R8-R10 survive (8 pushes keep
	 * the stack as aligned as the call left it: pad by 8). */
	static const int kept[8] = { X_RAX, X_RCX, X_RDX, X_RSI, X_RDI, X_R8, X_R9, X_R10 };
	j->call_helper = j->mem.rx + (e.p - rw);
	for (int k = 0; k < 8; k++)
		x_push(&e, kept[k]);
	x_alu_rm_imm(&e, 8, ALU_SUB, xr(X_RSP), 8);
	x_mov64_rr(&e, X_RDI, XL_CPU);
	x_mov64_rr(&e, X_RSI, XT3);
	x_call_r(&e, XT2);
	x_mov64_rr(&e, XT3, X_RAX);
	x_alu_rm_imm(&e, 8, ALU_ADD, xr(X_RSP), 8);
	for (int k = 7; k >= 0; k--)
		x_pop(&e, kept[k]);
	x_ret(&e);

	j->stubs = ((size_t)(e.p - rw) + 63) & ~(size_t)63;
	j->used = j->stubs;
}

struct jit *jit_new(char *err)
{
	struct jit *j = calloc(1, sizeof(*j));
	if (!j) {
		snprintf(err, HOST_ERRLEN, "out of memory for the translator");
		return NULL;
	}
	if (host_code_map(JIT_CODE_SIZE, &j->mem, err) != 0) {
		free(j);
		return NULL;
	}
	emit_stubs(j);
	j->limit = JIT_CODE_MIN;
	return j;
}

void jit_free(struct jit *j)
{
	if (!j)
		return;
	host_code_unmap(&j->mem);
	free(j);
}

uint64_t jit_refused(const struct jit *j)
{
	return j->refused;
}

bool jit_nearly_full(const struct jit *j)
{
	return j->used + JIT_BLOCK_MAX > j->limit;
}

bool jit_grow(struct jit *j)
{
	if (j->limit >= j->mem.size)
		return false;
	j->limit = j->limit * 2 < j->mem.size ? j->limit * 2 : j->mem.size;
	return true;
}

size_t jit_code_limit(const struct jit *j)
{
	return j->limit;
}

void jit_set_code_limit(struct jit *j, size_t bytes)
{
	size_t least = j->stubs + 2 * JIT_BLOCK_MAX;
	j->limit = bytes < least ? least : bytes > j->mem.size ? j->mem.size : bytes;
}

void jit_reset(struct jit *j)
{
	j->used = j->stubs;
	j->dropped = j->used;
}

static void drop_written(struct jit *j)
{
	if (j->used < j->dropped + JIT_DROP_STEP + JIT_DROP_LAG)
		return;
	size_t end = j->used - JIT_DROP_LAG;
	host_code_unmap_written(&j->mem, j->dropped, end - j->dropped);
	j->dropped = end;
}

int jit_run(struct cpu *c, const struct block *b)
{
	return c->jit->enter(c, b->code);
}

uint8_t *jit_rw_of(const struct jit *j, const void *rx)
{
	return j->mem.rw + ((const uint8_t *)rx - j->mem.rx);
}

/* A jump or call (rel32) from the code being written to a stub. */
static void emit_to_stub(struct xl *x, const uint8_t *stub, bool call)
{
	const uint8_t *rx_here = x->jit->mem.rx + (x->e.p - x->jit->mem.rw);
	if (x->planning) { /* the planning buffer is not in code memory */
		(void)(call ? x_call(&x->e) : x_jmp(&x->e));
		return;
	}
	uint8_t *at = call ? x_call(&x->e) : x_jmp(&x->e);
	if (at && !x->e.overflow) {
		int32_t rel = (int32_t)(stub - (rx_here + 5));
		memcpy(at, &rel, 4);
	}
}

void xl_jmp_leave(struct xl *x)
{
	emit_to_stub(x, x->jit->leave, false);
}

/* --- calls into C ------------------------------------------------------ */

static void emit_call_handler(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	x->cur_barrier = true;
	x->host_flags = false;
	x_store_imm32(e, CPU_AT(eip), x->eip);
	if (x->last)
		x_store_imm32(e, CPU_AT(next_eip), x->eip + i->len);
	x_movabs(e, XT3, (uint64_t)(uintptr_t)i);
	x_movabs(e, XT2, (uint64_t)(uintptr_t)i->fn);
	emit_to_stub(x, x->jit->call_handler, true);
}

void xl_call_helper(struct xl *x, const void *fn, uint64_t arg)
{
	struct emit *e = &x->e;
	xl_clobber_flags(x);
	if (arg <= 0xffffffffu)
		x_mov_ri(e, XT3, (uint32_t)arg);
	else
		x_movabs(e, XT3, arg);
	x_movabs(e, XT2, (uint64_t)(uintptr_t)fn);
	emit_to_stub(x, x->jit->call_helper, true);
}

/* After a handler call that is not the block's last: leave if it asked. */
static void emit_abort_check(struct xl *x)
{
	x_cmp_m8_imm(&x->e, CPU_AT(block_abort), 0);
	x->in[x->k].abort_from = x_jcc(&x->e, CC_NE);
}

void xl_slow(struct xl *x, uint8_t *at)
{
	struct xl_insn *in = &x->in[x->k];
	x->cur_barrier = true;
	if (in->nslow == XL_MAX_SLOW) {
		x->e.overflow = true; /* an emitter bug: refuse the block */
		return;
	}
	in->slow_from[in->nslow++] = at;
}

/* --- one instruction ---------------------------------------------------- */

/* The row's emitter, unless it has none or LOCK asks for the handler's
 * atomic read-modify-write. */
static enum xl_result emit_inline(struct xl *x, const struct insn *i)
{
	xl_fn emit = idef(i)->emit;
	uint8_t *start = x->e.p;
	if ((i->flags & INSN_LOCK) || !emit)
		return XL_NO;
	enum xl_result r = (enum xl_result)emit(x, i);
	if (r == XL_NO)
		x->e.p = start; /* an emitter declines before it emits; be sure */
	return r;
}

static void translate_insn(struct xl *x, const struct insn *i)
{
	x->cur_barrier = x->cur_produces = false;
	x->cur_writes = 0;
	bool host_before = x->host_flags;
	enum xl_result r = emit_inline(x, i);
	if (r == XL_NO) {
		x->host_flags = host_before;
		emit_call_handler(x, i);
		if (x->last)
			x->generic_end_from[x->ngeneric_end++] = x_jmp(&x->e);
		else
			emit_abort_check(x);
	} else if (r == XL_NEXT && x->last) {
		xl_end_const(x, x->eip + i->len);
	}
	x->in[x->k].resume = x->e.p;
	if (x->planning) {
		struct xl_plan *p = &x->plan[x->k];
		p->inline_ = r != XL_NO;
		p->barrier = x->cur_barrier;
		p->produces = x->cur_produces;
		p->writes = x->cur_writes;
	}
}

/* --- the tails: slow paths and early exits ------------------------------ */

/* Slow path of instruction k: the handler runs it from the start. */
static void emit_slow_path(struct xl *x, int k, uint32_t eip)
{
	struct xl_insn *in = &x->in[k];
	const struct insn *i = &x->b->insns[k];
	for (int s = 0; s < in->nslow; s++)
		x_patch(&x->e, in->slow_from[s], x->e.p);
	x->k = k;
	x->eip = eip;
	x->last = k == x->b->n - 1;
	emit_call_handler(x, i);
	if (x->last) {
		x->generic_end_from[x->ngeneric_end++] = x_jmp(&x->e);
		return;
	}
	emit_abort_check(x);
	/* The inline form left the guest's flags in the host's: so must
	 * this way round, which left them in struct cpu. */
	if (x->plan[k].produces)
		xl_flags_to_host(x);
	x_jmp_to(&x->e, in->resume);
}

static void emit_tails(struct xl *x)
{
	const struct block *b = x->b;
	uint32_t eip = b->eip;
	xl_emit_seg_checks(x); /* first: they add jumps to the slow paths */
	for (int k = 0; k < b->n; k++) {
		if (x->in[k].nslow)
			emit_slow_path(x, k, eip);
		eip += b->insns[k].len;
	}
	if (x->ngeneric_end) {
		for (int s = 0; s < x->ngeneric_end; s++)
			x_patch(&x->e, x->generic_end_from[s], x->e.p);
		xl_end_generic(x);
	}
	eip = b->eip;
	for (int k = 0; k < b->n; k++) {
		eip += b->insns[k].len;
		if (x->in[k].abort_from) {
			x_patch(&x->e, x->in[k].abort_from, x->e.p);
			xl_end_abort(x, k, eip);
		}
	}
}

/* --- the passes ----------------------------------------------------------- */

static void reset_pass(struct xl *x, uint8_t *start, size_t room, bool planning)
{
	x->e = (struct emit){ start, start + room, false };
	x->planning = planning;
	x->host_flags = false;
	x->ngeneric_end = x->nchain = x->nseg_checks = 0;
	memset(x->in, 0, sizeof(x->in));
}

static void emit_body(struct xl *x)
{
	const struct block *b = x->b;
	uint8_t *start = x->e.p;
	x_store_imm32(&x->e, CPU_AT(cur_block_page), b->phys >> 12);
	if (x->e.p != start + XL_SAME_PAGE_ENTRY)
		x->e.overflow = true; /* a layout assumption broken: refuse */
	uint32_t eip = b->eip;
	for (int k = 0; k < b->n; k++) {
		x->k = k;
		x->eip = eip;
		x->last = k == b->n - 1;
		translate_insn(x, &b->insns[k]);
		eip += b->insns[k].len;
	}
	emit_tails(x);
}

/*
 * Which instructions must record the flags they produce in struct cpu:
 * those whose flags are still needed at a barrier (an instruction that
 * calls into C or clobbers the host's flags, or the block's end) before
 * later instructions overwrite them.  need_after (any later reader or
 * barrier) tells partial writers whether the flags they keep matter.
 */
static void liveness(struct xl *x)
{
	const struct block *b = x->b;
	uint16_t mem = F_ALL, any = F_ALL; /* at the end of the block */
	for (int k = b->n - 1; k >= 0; k--) {
		struct xl_plan *p = &x->plan[k];
		p->must_record = p->produces && mem;
		p->need_after = any;
		if (p->barrier) {
			mem = any = F_ALL;
		} else {
			mem &= (uint16_t)~p->writes;
			any = (uint16_t)((any & ~p->writes) | (idef(&b->insns[k])->fl_in & F_ALL));
		}
	}
}

void jit_translate(struct cpu *c, struct block *b)
{
	struct jit *j = c->jit;
	b->code = NULL;
	b->chain_at[0] = b->chain_at[1] = NULL;
	if (jit_nearly_full(j))
		return;
	struct xl *x = &j->scratch;
	memset(x, 0, sizeof(*x));
	x->b = b;
	x->jit = j;
	x->cpu = c;
	x->set = (b->mode & MODE_CPL3) ? 1 : 0;
	x->page_gen = c->page_gen;
	x->block_table = c->block_table;

	reset_pass(x, j->plan_buf, sizeof(j->plan_buf), true);
	emit_body(x);
	liveness(x);

	uint8_t *start = j->mem.rw + j->used;
	reset_pass(x, start, JIT_BLOCK_MAX, false);
	emit_body(x);
	if (x->e.overflow) {
		j->refused++;
		if (getenv("CORDON_JIT_DEBUG")) {
			fprintf(stderr, "refused block %#x:", b->eip);
			for (int k = 0; k < b->n; k++)
				fprintf(stderr, " %s/%s", insn_defs[b->insns[k].iop].mnemonic, insn_defs[b->insns[k].iop].form);
			fprintf(stderr, "\n");
		}
		return;
	}
	size_t len = (size_t)(x->e.p - start);
	b->code = j->mem.rx + j->used;
	for (int k = 0; k < x->nchain; k++) {
		b->chain_at[k] = x->chain_at[k];
		b->chain_eip[k] = x->chain_eip[k];
		b->chain_same_page[k] = x->chain_same_page[k];
	}
#ifdef CORDON_PERF_MAP
	char name[48];
	snprintf(name, sizeof(name), "guest_%08x_%c", b->eip, (b->mode & MODE_CPL3) ? 'u' : 'k');
	host_perf_map(j->mem.rx + j->used, len, name);
	uint32_t glen = 0;
	for (int k = 0; k < b->n; k++)
		glen += b->insns[k].len;
	host_perf_dump(name, c->ram + b->phys, glen, start, len);
#endif
	j->used += (len + 15) & ~(size_t)15;
	drop_written(j);
}

