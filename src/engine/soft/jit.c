/*
 * The block translator's driver: code memory, the shape of a translated
 * block, handler calls and the ways out of a block.
 *
 * A translated block is a host function `int block(struct cpu *c)` that
 * runs the block's instructions in order and returns 1 if it ran them all
 * and 0 if it left early (c->block_abort), exactly as run_insns() in
 * block.c.  Its shape:
 *
 *     push rbx; push r12; push rax    (rax: keeps calls 16-byte aligned)
 *     mov rbx, rdi                    RBX = struct cpu * for the whole block
 *     mov r12d, [rbx + ESP]           R12D = guest ESP (XL_ESP)
 *   chained jumps enter here, with RBX and R12D set:
 *     <instruction 0> ... <instruction n-1>
 *     end:  EIP = next, icount += n, return 1
 *     segment checks of non-flat segments (jit_mem.c)
 *     slow paths, one per inline instruction that has one
 *     "abort after instruction k" exits
 *
 * Guest registers and lazy flags stay in struct cpu: a block holds nothing
 * in host registers across instructions but a copy of ESP in R12D (written
 * through to struct cpu as well), so a handler call, a fault (longjmp back
 * to cpu_run) or an early exit finds the state complete.
 * c->eip is stored before each handler call and on each slow path, so a
 * fault reports the right instruction; the fast paths never fault.
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine/soft/jit.h"
#include "engine/soft/jit_internal.h"
#include "host/host.h"

/* 128 MiB of code: about four times the decoded-block pool, whose flush
 * (block_flush_all) also empties this.  Pages are committed as used. */
#define JIT_CODE_SIZE (128u << 20)
/* The largest block translation plus its slow paths stays well under. */
#define JIT_BLOCK_MAX (32u << 10)
/* Where a chained jump enters a block: after push rbx; push r12;
 * push rax (keeps RSP 16-byte aligned for calls); mov rbx, rdi;
 * mov r12d, [rbx + ESP] (a chained jump arrives with XL_ESP set). */
#define CHAIN_ENTRY 11
/* Where a chained jump from a block of the same physical page enters:
 * past the stores of cur_block_page (the same) and block_abort (false at
 * every chained exit: a handler that sets it leaves through the abort or
 * generic exit, which never chain). */
#define CHAIN_ENTRY_SAME_PAGE (CHAIN_ENTRY + 17)

struct jit {
	struct host_code mem;
	size_t used;
	uint64_t refused;
	struct xl scratch; /* the translation in progress (large: not on the stack) */
};

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
	return j->used + JIT_BLOCK_MAX > j->mem.size;
}

void jit_reset(struct jit *j)
{
	j->used = 0;
}

/* --- pieces every translation uses ---------------------------------------- */

static void emit_call_handler(struct xl *x, const struct insn *i)
{
	struct emit *e = &x->e;
	x_store_imm32(e, CPU_AT(eip), x->eip);
	if (x->last)
		x_store_imm32(e, CPU_AT(next_eip), x->eip + i->len);
	x_op_rr(e, true, 0x89, X_RBX, X_RDI); /* mov rdi, rbx */
	x_movabs(e, X_RSI, (uint64_t)(uintptr_t)i);
	x_call_abs(e, (const void *)i->fn);
}

/* After a handler call that is not the block's last: leave if it asked. */
static void emit_abort_check(struct xl *x)
{
	x_cmp_m8_imm(&x->e, CPU_AT(block_abort), 0);
	x->in[x->k].abort_from = x_jcc(&x->e, CC_NE);
}

static void emit_return(struct emit *e)
{
	x_pop(e, X_RCX); /* the alignment slot */
	x_pop(e, XL_ESP);
	x_pop(e, X_RBX);
	x_ret(e);
}

/* Tells block_run() which block is returning to it, so that it links and
 * chains from the block that really ended. */
static void emit_exit_block(struct xl *x)
{
	x_movabs(&x->e, X_RAX, (uint64_t)(uintptr_t)x->b);
	x_op_rm(&x->e, true, 0x89, X_RAX, CPU_AT(exit_block), false); /* mov [exit_block], rax */
}

static void emit_icount_add(struct xl *x, int n)
{
	x_alu64_m_imm8(&x->e, ALU_ADD, CPU_AT(icount), (int8_t)n);
}

/*
 * An exit to a constant EIP.  Once jit_chain() has patched it, it jumps
 * straight into the next block's code (past its prologue: same frame,
 * same RBX) if the instruction budget is not spent and the next block is
 * still what block_run() would find: the instruction TLB still maps its
 * linear page (the tag, checked against a constant known now, and the
 * physical page, patched in) and its page is unwritten since (page_gen,
 * patched in).
 * CS and the mode cannot change inside a block without ending it early.
 * Unpatched, or when a check fails, it returns to block_run().
 *
 *     cmp dword [rbx + itlb tag of the target page], PAGE
 *     jne out
 *     movabs rax, &page_gen[pn]           <- chain_at + CH_GENPTR
 *     cmp dword [rax+0], GEN              <- chain_at + CH_GEN
 *     jne out
 *     cmp dword [rbx + itlb phys], PA     <- chain_at + CH_PHYS
 *     jne out
 *     jmp NEXT                            <- chain_at + CH_JMP (rel32)
 *
 * The short form, for an EIP in the block's own linear page, leaves out
 * both instruction-TLB compares and jumps to CHAIN_ENTRY_SAME_PAGE: the
 * block was entered through a valid translation of that page, which only
 * an instruction that ends the block (CR3, INVLPG, CR0, CR4, task switch)
 * can change, and jit_chain patches it only to a block of the same
 * physical page.  The page generation is still compared.
 */
#define CH_GENPTR 2
#define CH_GEN 13
#define CH_PHYS 29
#define CH_JMP 40
#define CH_JMP_SAME_PAGE 24
void xl_end_const(struct xl *x, uint32_t eip)
{
	struct emit *e = &x->e;
	x_store_imm32(e, CPU_AT(eip), eip);
	emit_icount_add(x, x->b->n);
	if (x->nchain < 2) {
		uint32_t lin = x->b->cs_base + eip, idx = (lin >> 12) & (TLB_SIZE - 1);
		bool same = (lin & 0xfffff000u) == ((x->b->cs_base + x->b->eip) & 0xfffff000u);
		int32_t entry = (int32_t)(offsetof(struct cpu, itlb) + ((size_t)x->set * TLB_SIZE + idx) * sizeof(struct itlb_entry));
		int32_t tag = entry + (int32_t)offsetof(struct itlb_entry, tag);
		int32_t aux = entry + (int32_t)offsetof(struct itlb_entry, phys);
		uint8_t *out[5];
		int n = 0;
		x_load64(e, X_RAX, CPU_AT(icount));
		x_op_rm(e, true, 0x3b, X_RAX, CPU_AT(run_until), false); /* cmp rax, [run_until] */
		out[n++] = x_jcc(e, CC_AE);
		if (!same) {
			x_op_rm(e, false, 0x81, ALU_CMP, xm(X_RBX, tag), false);
			x_u32(e, lin & 0xfffff000u);
			out[n++] = x_jcc(e, CC_NE);
		}
		/* Until patched: a readable counter, and a physical page
		 * that never matches (not page-aligned). */
		uint8_t *at = e->p;
		x_movabs(e, X_RAX, (uint64_t)(uintptr_t)x->page_gen);
		x_op_rm(e, false, 0x81, ALU_CMP, xm(X_RAX, 0), false);
		uint8_t *gen = e->p;
		x_u32(e, 0);
		out[n++] = x_jcc(e, CC_NE);
		uint8_t *phys = NULL;
		if (!same) {
			x_op_rm(e, false, 0x81, ALU_CMP, xm(X_RBX, aux), false);
			phys = e->p;
			x_u32(e, 1);
			out[n++] = x_jcc(e, CC_NE);
		}
		/* Unpatched, the jump goes to the exit just after it. */
		uint8_t *jmp = x_jmp(e);
		out[n++] = jmp;
		if (gen != at + CH_GEN || jmp != at + (same ? CH_JMP_SAME_PAGE : CH_JMP) ||
		    (!same && phys != at + CH_PHYS))
			e->overflow = true; /* layout assumption broken: refuse */
		for (int k = 0; k < n; k++)
			x_patch(e, out[k], e->p);
		x->chain_at[x->nchain] = at;
		x->chain_eip[x->nchain] = eip;
		x->chain_same_page[x->nchain] = same;
		x->nchain++;
	}
	emit_exit_block(x);
	x_mov_ri(e, X_RAX, 1);
	emit_return(e);
}

void jit_chain(struct cpu *c, struct block *b, const struct block *next)
{
	struct jit *j = c->jit;
	if (next->cs_base != b->cs_base || next->cs_limit != b->cs_limit || next->mode != b->mode)
		return;
	for (int k = 0; k < 2; k++) {
		uint8_t *at = b->chain_at[k];
		if (!at || b->chain_eip[k] != next->eip)
			continue;
		bool same = b->chain_same_page[k];
		/* A block that ended normally cannot have seen its page
		 * remapped, so next shares its physical page; checked all the
		 * same, since the short form could not tell. */
		if (same && next->phys >> 12 != b->phys >> 12)
			continue;
		uint64_t genp = (uint64_t)(uintptr_t)&c->page_gen[next->phys >> 12];
		memcpy(at + CH_GENPTR, &genp, 8);
		memcpy(at + CH_GEN, &next->gen, 4);
		if (!same) {
			uint32_t phys = next->phys & 0xfffff000u;
			memcpy(at + CH_PHYS, &phys, 4);
		}
		int jmp = same ? CH_JMP_SAME_PAGE : CH_JMP;
		size_t entry = same ? CHAIN_ENTRY_SAME_PAGE : CHAIN_ENTRY;
		const uint8_t *entry_rw = j->mem.rw + ((const uint8_t *)(uintptr_t)next->code - j->mem.rx) + entry;
		int32_t rel = (int32_t)(entry_rw - (at + jmp + 4));
		memcpy(at + jmp, &rel, 4);
	}
}

#define BLOCK_AT(field) xm(X_RDX, (int32_t)offsetof(struct block, field))

/*
 * An exit to an EIP known only at run time (RET, CALL/JMP through a
 * register).  It looks the next block up the way block_find() does --
 * the instruction TLB gives the physical address, the block table the
 * block, which must match EIP, CS base and limit, mode and its page's
 * generation --
 * and jumps straight into its code; a TLB miss, an unknown or untranslated
 * block or a spent budget returns to block_run() instead.
 */
void xl_end_reg(struct xl *x, int reg)
{
	struct emit *e = &x->e;
	const struct block *b = x->b;
	uint8_t *out[12];
	int n = 0;
	x_store32(e, CPU_AT(eip), reg);
	emit_icount_add(x, b->n);
	x_load64(e, X_RAX, CPU_AT(icount));
	x_op_rm(e, true, 0x3b, X_RAX, CPU_AT(run_until), false); /* cmp rax, [run_until] */
	out[n++] = x_jcc(e, CC_AE);
	/* ECX = linear EIP; ESI = its instruction-TLB index * 8; the tag
	 * must match. */
	x_load32(e, X_R8, CPU_AT(eip));
	x_lea32(e, X_RCX, xm(X_R8, (int32_t)b->cs_base));
	x_mov_rr(e, X_RSI, X_RCX);
	x_shift_ri(e, 5, X_RSI, 12 - 3);
	x_alu_ri(e, ALU_AND, X_RSI, (TLB_SIZE - 1) << 3);
	x_mov_rr(e, X_RAX, X_RCX);
	x_alu_ri(e, ALU_AND, X_RAX, 0xfffff000u);
	int32_t itlb = (int32_t)(offsetof(struct cpu, itlb) + (size_t)x->set * TLB_SIZE * sizeof(struct itlb_entry));
	x_alu_r_m(e, ALU_CMP, X_RAX, xmi(X_RBX, X_RSI, 0, itlb + (int32_t)offsetof(struct itlb_entry, tag)));
	out[n++] = x_jcc(e, CC_NE);
	/* ECX = physical address. */
	x_alu_ri(e, ALU_AND, X_RCX, 0xfff);
	x_alu_r_m(e, ALU_OR, X_RCX, xmi(X_RBX, X_RSI, 0, itlb + (int32_t)offsetof(struct itlb_entry, phys)));
	/* RDX = block_table[(phys ^ phys >> 16) & mask], as block_slot(). */
	x_mov_rr(e, X_RAX, X_RCX);
	x_shift_ri(e, 5, X_RAX, 16);
	x_alu_rr(e, ALU_XOR, X_RAX, X_RCX);
	x_alu_ri(e, ALU_AND, X_RAX, BLOCK_TABLE_SIZE - 1);
	x_movabs(e, X_RSI, (uint64_t)(uintptr_t)x->block_table);
	x_load64(e, X_RDX, xmi(X_RSI, X_RAX, 3, 0));
	x_op_rr(e, true, 0x85, X_RDX, X_RDX); /* test rdx, rdx */
	out[n++] = x_jcc(e, CC_E);
	x_alu_r_m(e, ALU_CMP, X_RCX, BLOCK_AT(phys));
	out[n++] = x_jcc(e, CC_NE);
	x_alu_r_m(e, ALU_CMP, X_R8, BLOCK_AT(eip));
	out[n++] = x_jcc(e, CC_NE);
	x_op_rm(e, false, 0x81, ALU_CMP, BLOCK_AT(cs_base), false);
	x_u32(e, b->cs_base);
	out[n++] = x_jcc(e, CC_NE);
	x_op_rm(e, false, 0x81, ALU_CMP, BLOCK_AT(cs_limit), false);
	x_u32(e, b->cs_limit);
	out[n++] = x_jcc(e, CC_NE);
	x_cmp_m8_imm(e, BLOCK_AT(mode), b->mode);
	out[n++] = x_jcc(e, CC_NE);
	x_shift_ri(e, 5, X_RCX, 12);
	x_movabs(e, X_RSI, (uint64_t)(uintptr_t)x->page_gen);
	x_load32(e, X_RCX, xmi(X_RSI, X_RCX, 2, 0));
	x_alu_r_m(e, ALU_CMP, X_RCX, BLOCK_AT(gen));
	out[n++] = x_jcc(e, CC_NE);
	x_load64(e, X_RAX, BLOCK_AT(code));
	x_op_rr(e, true, 0x85, X_RAX, X_RAX); /* test rax, rax */
	out[n++] = x_jcc(e, CC_E);
	x_lea64(e, X_RAX, xm(X_RAX, CHAIN_ENTRY));
	x_byte(e, 0xff); /* jmp rax */
	x_byte(e, 0xe0);
	for (int k = 0; k < n; k++)
		x_patch(e, out[k], e->p);
	emit_exit_block(x);
	x_mov_ri(e, X_RAX, 1);
	emit_return(e);
}

/* The end after a handler ran the last instruction: EIP = next_eip (the
 * handler may have branched), completed unless it asked to leave. */
static void emit_generic_end(struct xl *x)
{
	struct emit *e = &x->e;
	x_load32(e, X_RAX, CPU_AT(next_eip));
	x_store32(e, CPU_AT(eip), X_RAX);
	emit_icount_add(x, x->b->n);
	emit_exit_block(x);
	x_movzx8(e, X_RAX, CPU_AT(block_abort));
	x_alu_ri(e, ALU_XOR, X_RAX, 1);
	emit_return(e);
}

void xl_slow(struct xl *x, uint8_t *at)
{
	struct xl_insn *in = &x->in[x->k];
	if (in->nslow == XL_MAX_SLOW) {
		x->e.overflow = true; /* an emitter bug: refuse the block */
		return;
	}
	in->slow_from[in->nslow++] = at;
}

/* --- the block ------------------------------------------------------------ */

/* i may change guest ESP other than through the stack emitters, which
 * keep XL_ESP current themselves (conservative: any instruction naming
 * register 4 as an operand). */
static bool may_write_esp(const struct insn *i)
{
	return i->reg == R_ESP || (i->mod == 3 && i->rm == R_ESP);
}

static void reload_esp(struct xl *x)
{
	x_load32(&x->e, XL_ESP, GPR(R_ESP));
}

bool xl_sets_all_flags(const struct insn *i)
{
	const struct insn_def *d = idef(i);
	bool memory = ((d->attr & D_MODRM) && i->mod != 3) || d->fmt == FM_O || d->fmt == FM_STR;
	/* An undefined AF (the logic operations) is still written. */
	return !(i->flags & INSN_LOCK) && !memory && d->fl_in == 0 && d->fl_out == F_ALL &&
	       !(d->fl_undef & ~F_A) && !(d->attr & (D_CONDFL | D_XC));
}

/* The row's emitter, unless it has none or LOCK asks for the handler's
 * atomic read-modify-write. */
static enum xl_result emit_inline(struct xl *x, const struct insn *i)
{
	xl_fn emit = idef(i)->emit;
	x->host_flags_out = false;
	enum xl_result r = (i->flags & INSN_LOCK) || !emit ? XL_NO : (enum xl_result)emit(x, i);
	x->host_flags = r != XL_NO && x->host_flags_out;
	return r;
}

static void translate_insn(struct xl *x, const struct insn *i)
{
	x->esp_kept = false;
	enum xl_result r = emit_inline(x, i);
	if (r == XL_NO) {
		emit_call_handler(x, i);
		if (x->last) {
			x->generic_end_from[x->ngeneric_end++] = x_jmp(&x->e);
		} else {
			emit_abort_check(x);
			reload_esp(x); /* the handler may have moved ESP */
		}
	} else {
		if (!x->esp_kept && may_write_esp(i))
			reload_esp(x); /* before any exit: chained blocks rely on it */
		if (r == XL_NEXT && x->last)
			xl_end_const(x, x->eip + i->len);
	}
	x->in[x->k].resume = x->e.p;
}

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
	} else {
		emit_abort_check(x);
		reload_esp(x); /* the handler may have moved ESP */
		x_jmp_to(&x->e, in->resume);
	}
}

/* Leaving after instruction k because it set c->block_abort. */
static void emit_abort_exit(struct xl *x, int k, uint32_t next_eip)
{
	x_patch(&x->e, x->in[k].abort_from, x->e.p);
	x_store_imm32(&x->e, CPU_AT(eip), next_eip);
	emit_icount_add(x, k + 1);
	x_alu_rr(&x->e, ALU_XOR, X_RAX, X_RAX);
	emit_return(&x->e);
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
		emit_generic_end(x);
	}
	eip = b->eip;
	for (int k = 0; k < b->n; k++) {
		eip += b->insns[k].len;
		if (x->in[k].abort_from)
			emit_abort_exit(x, k, eip);
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
	uint8_t *start = j->mem.rw + j->used;
	x->e = (struct emit){ start, start + JIT_BLOCK_MAX, false };
	x->b = b;
	x->set = (b->mode & MODE_CPL3) ? 1 : 0;
	x->page_gen = c->page_gen;
	x->block_table = c->block_table;

	x_push(&x->e, X_RBX);
	x_push(&x->e, XL_ESP);
	x_push(&x->e, X_RAX);
	x_op_rr(&x->e, true, 0x89, X_RDI, X_RBX); /* mov rbx, rdi */
	x_load32(&x->e, XL_ESP, GPR(R_ESP));
	if (x->e.p != start + CHAIN_ENTRY)
		return;
	/* Chained blocks enter here. */
	x_store_imm32(&x->e, CPU_AT(cur_block_page), b->phys >> 12);
	x_store_imm8(&x->e, CPU_AT(block_abort), 0);
	if (x->e.p != start + CHAIN_ENTRY_SAME_PAGE)
		return;
	uint32_t eip = b->eip;
	for (int k = 0; k < b->n; k++) {
		x->k = k;
		x->eip = eip;
		x->last = k == b->n - 1;
		x->flags_dead = !x->last && xl_sets_all_flags(&b->insns[k + 1]);
		translate_insn(x, &b->insns[k]);
		eip += b->insns[k].len;
	}
	emit_tails(x);
	if (x->e.overflow) {
		j->refused++;
		return;
	}
	size_t len = (size_t)(x->e.p - start);
	b->code = (int (*)(struct cpu *))(uintptr_t)(j->mem.rx + j->used);
#ifdef CORDON_PERF_MAP
	char name[48];
	snprintf(name, sizeof(name), "guest_%08x_%c", b->eip, (b->mode & MODE_CPL3) ? 'u' : 'k');
	host_perf_map(j->mem.rx + j->used, len, name);
	host_perf_dump(name, c->ram + b->phys, eip - b->eip, start, len);
#endif
	for (int k = 0; k < x->nchain; k++) {
		b->chain_at[k] = x->chain_at[k];
		b->chain_eip[k] = x->chain_eip[k];
		b->chain_same_page[k] = x->chain_same_page[k];
	}
	j->used += (len + 15) & ~(size_t)15;
}

_Static_assert(sizeof(struct itlb_entry) == 8, "xl_end_reg scales the instruction-TLB index by 8");
