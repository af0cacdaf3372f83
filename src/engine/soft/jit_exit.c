/*
 * Leaving a translated block: to a constant EIP (chained straight into
 * the next block's code once block_run has seen the transition), to an
 * EIP known only at run time (looked up as block_find does), after a
 * handler ran the last instruction, and early after a handler asked to
 * leave.  Every way out to block_run says which block ended (exit_block)
 * and goes through the leave stub with the result in XT0.
 */
#include "engine/soft/block.h"
#include "engine/soft/jit.h"
#include "engine/soft/jit_internal.h"

/* Tells block_run() which block is returning to it, so that it links and
 * chains from the block that really ended. */
static void emit_exit_block(struct xl *x)
{
	x_movabs(&x->e, XT1, (uint64_t)(uintptr_t)x->b);
	x_store64(&x->e, CPU_AT(exit_block), XT1);
}

static void emit_icount_add(struct xl *x, int n)
{
	x_alu_rm_imm(&x->e, 8, ALU_ADD, CPU_AT(icount), (uint32_t)n);
}

/* To the slow way out unless the budget allows another block. */
static uint8_t *emit_budget_check(struct xl *x)
{
	x_load64(&x->e, XT1, CPU_AT(icount));
	x_rm(&x->e, 8, 0x3b, XT1, CPU_AT(run_until)); /* cmp r9, [run_until] */
	return x_jcc(&x->e, CC_AE);
}

static void emit_leave(struct xl *x, uint32_t result)
{
	emit_exit_block(x);
	x_mov_ri(&x->e, XT0, result);
	xl_jmp_leave(x);
}

/*
 * An exit to a constant EIP.  Once jit_chain() has patched it, it jumps
 * straight into the next block's code (with the guest registers where
 * they are) if the instruction budget is not spent and the next block is
 * still what block_run() would find: the instruction TLB still maps its
 * linear page (the tag, checked against a constant known now, and the
 * physical page, patched in) and its page is unwritten since (page_gen,
 * patched in).  CS and the mode cannot change inside a block without
 * ending it early.  Unpatched, or when a check fails, it returns to
 * block_run().
 *
 *     cmp dword [r13 + itlb tag of the target page], PAGE
 *     jne out
 *     movabs r9, &page_gen[pn]             <- chain_at + CH_GENPTR
 *     cmp dword [r9+0], GEN                <- chain_at + CH_GEN
 *     jne out
 *     cmp dword [r13 + itlb phys], PA      <- chain_at + CH_PHYS
 *     jne out
 *     jmp NEXT                             <- chain_at + CH_JMP (rel32)
 *
 * The short form, for an EIP in the block's own linear page, leaves out
 * both instruction-TLB compares and jumps past NEXT's cur_block_page
 * store: the block was entered through a valid translation of that page,
 * which only an instruction that ends the block (CR3, INVLPG, CR0, CR4,
 * task switch) can change, and jit_chain patches it only to a block of
 * the same physical page.  The page generation is still compared.
 */
#define CH_GENPTR 2
#define CH_GEN 14
#define CH_PHYS 31
#define CH_JMP 42
#define CH_JMP_SAME_PAGE 25
void xl_end_const(struct xl *x, uint32_t eip)
{
	struct emit *e = &x->e;
	emit_icount_add(x, x->b->n);
	if (x->nchain < 2) {
		uint32_t lin = x->b->cs_base + eip, idx = (lin >> 12) & (TLB_SIZE - 1);
		bool same = (lin & 0xfffff000u) == ((x->b->cs_base + x->b->eip) & 0xfffff000u);
		int32_t entry = (int32_t)(offsetof(struct cpu, itlb) + ((size_t)x->set * TLB_SIZE + idx) * sizeof(struct itlb_entry));
		int32_t tag = entry + (int32_t)offsetof(struct itlb_entry, tag);
		int32_t aux = entry + (int32_t)offsetof(struct itlb_entry, phys);
		uint8_t *out[5];
		int n = 0;
		out[n++] = emit_budget_check(x);
		if (!same) {
			x_alu_rm_imm(e, 4, ALU_CMP, xm(XL_CPU, tag), lin & 0xfffff000u);
			out[n++] = x_jcc(e, CC_NE);
		}
		/* Until patched: a readable counter, and a physical page
		 * that never matches (not page-aligned). */
		uint8_t *at = e->p;
		x_movabs(e, XT1, (uint64_t)(uintptr_t)x->page_gen);
		x_ext(e, 4, 0x81, ALU_CMP, xm(XT1, 0));
		uint8_t *gen = e->p;
		x_u32(e, 0);
		out[n++] = x_jcc(e, CC_NE);
		uint8_t *phys = NULL;
		if (!same) {
			x_ext(e, 4, 0x81, ALU_CMP, xm(XL_CPU, aux));
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
	x_store_imm32(e, CPU_AT(eip), eip);
	emit_leave(x, 1);
}

void jit_chain(struct cpu *c, struct block *b, const struct block *next)
{
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
		const uint8_t *entry = jit_rw_of(c->jit, next->code) + (same ? XL_SAME_PAGE_ENTRY : 0);
		int32_t rel = (int32_t)(entry - (at + jmp + 4));
		memcpy(at + jmp, &rel, 4);
	}
}

#define BLOCK_AT(field) xm(XT2, (int32_t)offsetof(struct block, field))
#define CELL_AT(r, field) xm(r, (int32_t)offsetof(struct jit_cell, field))
#define RAS_AT(index) xmi(XL_CPU, index, 3, (int32_t)offsetof(struct cpu, ras))

/*
 * Indirect exits: JMP and CALL through a register or memory, and RET.
 *
 * Each such site first tries a cell (struct jit_cell): JMP and CALL their
 * own, which remembers their last target; RET the one it pops from the
 * return-address stack, which the CALL that made the return address
 * pushed.  A cell is used only if it names this EIP (and, popped, this
 * CS and mode), its page's generation is unchanged and the instruction
 * TLB still maps its linear page as when it was filled: then block_find
 * would find a block for the same code, so jumping to the cached one is
 * what block_run would do.  Otherwise the exit looks the block up the way
 * block_find does (the instruction TLB gives the physical address, the
 * block table the block) and, when it finds one, fills the cell and jumps
 * to it; a miss there, or a spent budget, returns to block_run.
 *
 * A cell never outlives the code it points to: cells are in the block
 * pool, which is emptied with the code memory (block_flush_all), and that
 * also empties the return-address stack.  A rewritten page changes its
 * generation, a remap or TLB flush its instruction-TLB entry.
 */

/* What an empty cell points to: its own gen (0) never equals no_gen, and
 * no instruction-TLB tag is unaligned. */
static const uint32_t no_gen = 1;
static const struct itlb_entry no_tlb = { .tag = 1, .phys = 1 };

/* A cell for an exit of this block, or NULL when the pool has no room
 * (the exit then always looks up).  The planning pass gets a stand-in. */
static struct jit_cell *new_cell(struct xl *x, uint32_t eip)
{
	static struct jit_cell stand_in;
	struct jit_cell *cell = x->planning ? &stand_in : block_pool_alloc(x->cpu, sizeof(*cell));
	if (!cell)
		return NULL;
	*cell = (struct jit_cell){
		.eip = eip, .gen = 0, .genp = &no_gen, .tlb = &no_tlb, .tlb_val = 0, .code = NULL,
		.cs = x->b->cs_base | (uint64_t)x->b->cs_limit << 32, .mode = x->b->mode,
	};
	return cell;
}

/* With a cell in XT0 that names this EIP: jumps to its code if it is
 * still valid, else falls through, adding the jumps it took to out[]. */
static void emit_cell_jump(struct xl *x, uint8_t **out, int *n)
{
	struct emit *e = &x->e;
	x_load64(e, XT1, CELL_AT(XT0, genp));
	x_load32(e, XT1, xm(XT1, 0));
	x_alu_r_rm(e, 4, ALU_CMP, XT1, CELL_AT(XT0, gen));
	out[(*n)++] = x_jcc(e, CC_NE);
	x_load64(e, XT1, CELL_AT(XT0, tlb));
	x_load64(e, XT1, xm(XT1, 0));
	x_alu_r_rm(e, 8, ALU_CMP, XT1, CELL_AT(XT0, tlb_val));
	out[(*n)++] = x_jcc(e, CC_NE);
	x_load64(e, XT1, CELL_AT(XT0, code));
	x_jmp_r(e, XT1);
}

/* EIP = reg, the instruction count; to the way out (added to out[]) if
 * the budget is spent. */
static void emit_indirect_start(struct xl *x, int reg, uint8_t **out, int *n)
{
	x_store32(&x->e, CPU_AT(eip), reg);
	emit_icount_add(x, x->b->n);
	out[(*n)++] = emit_budget_check(x);
}

/*
 * The lookup, EIP in `reg` (a scratch register other than XT0-XT3 and
 * XT5), then the jump to the block found.  With fill, XT0 holds a cell
 * (or 0: none) that the block found goes into.  Adds its misses to out[].
 */
static void emit_lookup(struct xl *x, int reg, bool fill, uint8_t **out, int *n)
{
	struct emit *e = &x->e;
	const struct block *b = x->b;
	x_alu_rm_imm(e, 8, ALU_ADD, CPU_AT(jit_lookups), 1);
	/* XT1 = linear EIP; XT2 = its instruction-TLB index * 8; the tag
	 * must match.  XT5 = the entry's address, for the cell. */
	x_lea32(e, XT1, xm(reg, (int32_t)b->cs_base));
	x_mov_rr(e, XT2, XT1);
	x_shift_ri(e, SH_SHR, XT2, 12 - 3);
	x_alu_ri(e, ALU_AND, XT2, (TLB_SIZE - 1) << 3);
	x_mov_rr(e, XT3, XT1);
	x_alu_ri(e, ALU_AND, XT3, 0xfffff000u);
	int32_t itlb = (int32_t)(offsetof(struct cpu, itlb) + (size_t)x->set * TLB_SIZE * sizeof(struct itlb_entry));
	x_alu_r_rm(e, 4, ALU_CMP, XT3, xmi(XL_CPU, XT2, 0, itlb + (int32_t)offsetof(struct itlb_entry, tag)));
	out[(*n)++] = x_jcc(e, CC_NE);
	if (fill)
		x_lea64(e, XT5, xmi(XL_CPU, XT2, 0, itlb));
	/* XT1 = physical address. */
	x_alu_ri(e, ALU_AND, XT1, 0xfff);
	x_alu_r_rm(e, 4, ALU_OR, XT1, xmi(XL_CPU, XT2, 0, itlb + (int32_t)offsetof(struct itlb_entry, phys)));
	/* XT2 = block_table[(phys ^ phys >> 16) & mask], as block_slot(). */
	x_mov_rr(e, XT3, XT1);
	x_shift_ri(e, SH_SHR, XT3, 16);
	x_alu_rr(e, ALU_XOR, XT3, XT1);
	x_alu_ri(e, ALU_AND, XT3, BLOCK_TABLE_SIZE - 1);
	x_movabs(e, XT2, (uint64_t)(uintptr_t)x->block_table);
	x_load64(e, XT2, xmi(XT2, XT3, 3, 0));
	x_test_rm_r(e, 8, xr(XT2), XT2);
	out[(*n)++] = x_jcc(e, CC_E);
	x_alu_r_rm(e, 4, ALU_CMP, XT1, BLOCK_AT(phys));
	out[(*n)++] = x_jcc(e, CC_NE);
	x_alu_r_rm(e, 4, ALU_CMP, reg, BLOCK_AT(eip));
	out[(*n)++] = x_jcc(e, CC_NE);
	x_alu_rm_imm(e, 4, ALU_CMP, BLOCK_AT(cs_base), b->cs_base);
	out[(*n)++] = x_jcc(e, CC_NE);
	x_alu_rm_imm(e, 4, ALU_CMP, BLOCK_AT(cs_limit), b->cs_limit);
	out[(*n)++] = x_jcc(e, CC_NE);
	x_cmp_m8_imm(e, BLOCK_AT(mode), b->mode);
	out[(*n)++] = x_jcc(e, CC_NE);
	/* XT1 = page number, XT3 = &page_gen[it]. */
	x_shift_ri(e, SH_SHR, XT1, 12);
	x_movabs(e, XT3, (uint64_t)(uintptr_t)x->page_gen);
	x_lea64(e, XT3, xmi(XT3, XT1, 2, 0));
	x_load32(e, XT1, xm(XT3, 0));
	x_alu_r_rm(e, 4, ALU_CMP, XT1, BLOCK_AT(gen));
	out[(*n)++] = x_jcc(e, CC_NE);
	x_load64(e, XT2, BLOCK_AT(code));
	x_test_rm_r(e, 8, xr(XT2), XT2);
	out[(*n)++] = x_jcc(e, CC_E);
	if (fill) {
		x_test_rm_r(e, 8, xr(XT0), XT0);
		uint8_t *none = x_jcc(e, CC_E);
		x_store32(e, CELL_AT(XT0, eip), reg);
		x_store32(e, CELL_AT(XT0, gen), XT1);
		x_store64(e, CELL_AT(XT0, genp), XT3);
		x_store64(e, CELL_AT(XT0, tlb), XT5);
		x_load64(e, XT3, xm(XT5, 0));
		x_store64(e, CELL_AT(XT0, tlb_val), XT3);
		x_store64(e, CELL_AT(XT0, code), XT2);
		x_patch(e, none, e->p);
	}
	x_jmp_r(e, XT2);
}

#define XL_MAX_OUT 16

static void emit_outs(struct xl *x, uint8_t **out, int n)
{
	for (int k = 0; k < n; k++)
		x_patch(&x->e, out[k], x->e.p);
	emit_leave(x, 1);
}

/* An exit to an EIP known only at run time, in `reg`: the lookup alone. */
void xl_end_reg(struct xl *x, int reg)
{
	uint8_t *out[XL_MAX_OUT];
	int n = 0;
	emit_indirect_start(x, reg, out, &n);
	emit_lookup(x, reg, false, out, &n);
	emit_outs(x, out, n);
}

void xl_end_indirect(struct xl *x, int reg)
{
	struct emit *e = &x->e;
	uint8_t *out[XL_MAX_OUT], *miss[4];
	int n = 0, nmiss = 0;
	emit_indirect_start(x, reg, out, &n);
	struct jit_cell *cell = new_cell(x, 0);
	if (cell) {
		x_movabs(e, XT0, (uint64_t)(uintptr_t)cell);
		x_alu_r_rm(e, 4, ALU_CMP, reg, CELL_AT(XT0, eip));
		miss[nmiss++] = x_jcc(e, CC_NE);
		emit_cell_jump(x, miss, &nmiss);
		for (int k = 0; k < nmiss; k++)
			x_patch(e, miss[k], e->p);
	}
	emit_lookup(x, reg, cell != NULL, out, &n);
	emit_outs(x, out, n);
}

void xl_end_ret(struct xl *x, int reg)
{
	struct emit *e = &x->e;
	const struct block *b = x->b;
	uint8_t *out[XL_MAX_OUT], *other[4], *stale[2];
	int n = 0, nother = 0, nstale = 0;
	emit_indirect_start(x, reg, out, &n);
	/* XT0 = the cell on top of the stack, which loses it. */
	x_load32(e, XT1, CPU_AT(ras_top));
	x_load64(e, XT0, RAS_AT(XT1));
	x_lea32(e, XT1, xm(XT1, -1));
	x_alu_ri(e, ALU_AND, XT1, RAS_SIZE - 1);
	x_store32(e, CPU_AT(ras_top), XT1);
	/* Made for another return (or none): not to be filled. */
	x_test_rm_r(e, 8, xr(XT0), XT0);
	other[nother++] = x_jcc(e, CC_E);
	x_alu_r_rm(e, 4, ALU_CMP, reg, CELL_AT(XT0, eip));
	other[nother++] = x_jcc(e, CC_NE);
	x_movabs(e, XT1, b->cs_base | (uint64_t)b->cs_limit << 32);
	x_alu_r_rm(e, 8, ALU_CMP, XT1, CELL_AT(XT0, cs));
	other[nother++] = x_jcc(e, CC_NE);
	x_cmp_m8_imm(e, CELL_AT(XT0, mode), b->mode);
	other[nother++] = x_jcc(e, CC_NE);
	/* Made for this return: used if valid, else filled by the lookup. */
	emit_cell_jump(x, stale, &nstale);
	for (int k = 0; k < nother; k++)
		x_patch(e, other[k], e->p);
	x_alu_rr(e, ALU_XOR, XT0, XT0);
	for (int k = 0; k < nstale; k++)
		x_patch(e, stale[k], e->p);
	emit_lookup(x, reg, true, out, &n);
	emit_outs(x, out, n);
}

void xl_ras_push(struct xl *x, uint32_t ret_eip)
{
	struct emit *e = &x->e;
	struct jit_cell *cell = new_cell(x, ret_eip);
	if (!cell)
		return; /* a hint the stack can do without */
	xl_clobber_flags(x);
	x_load32(e, XT1, CPU_AT(ras_top));
	x_alu_ri(e, ALU_ADD, XT1, 1);
	x_alu_ri(e, ALU_AND, XT1, RAS_SIZE - 1);
	x_store32(e, CPU_AT(ras_top), XT1);
	x_movabs(e, XT3, (uint64_t)(uintptr_t)cell);
	x_store64(e, RAS_AT(XT1), XT3);
}

/* The end after a handler ran the last instruction: EIP = next_eip (the
 * handler may have branched), completed unless it asked to leave. */
void xl_end_generic(struct xl *x)
{
	struct emit *e = &x->e;
	x_load32(e, XT1, CPU_AT(next_eip));
	x_store32(e, CPU_AT(eip), XT1);
	emit_icount_add(x, x->b->n);
	emit_exit_block(x);
	x_movzx(e, 1, XT0, CPU_AT(block_abort));
	x_alu_ri(e, ALU_XOR, XT0, 1);
	xl_jmp_leave(x);
}

void xl_end_abort(struct xl *x, int k, uint32_t next_eip)
{
	x_store_imm32(&x->e, CPU_AT(eip), next_eip);
	emit_icount_add(x, k + 1);
	x_mov_ri(&x->e, XT0, 0);
	xl_jmp_leave(x);
}

_Static_assert(sizeof(struct itlb_entry) == 8, "xl_end_reg scales the instruction-TLB index by 8");
