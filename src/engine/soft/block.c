/*
 * The decoded-block cache.
 *
 * A block is a run of up to BLOCK_MAX_INSNS instructions decoded from one
 * physical page, ending at the first control transfer or state change.
 * Blocks are found by the physical address of their first byte in a
 * direct-mapped table and are valid while the page's generation counter is
 * unchanged; any write to a page with decoded code bumps the counter (see
 * code_page_written in mem.c).  Keying by physical address means that
 * remapping a linear page never runs stale code.
 */
#include <string.h>

#include "engine/soft/block.h"
#include "engine/soft/decode.h"
#include "engine/soft/ops.h"

#define PAGE_MASK 0xfffff000u

void tlb_protect_code_page(struct cpu *c, uint32_t phys_page);

void block_flush_all(struct cpu *c)
{
	for (uint32_t i = 0; i < c->npages; i++)
		c->page_gen[i]++;
}

static inline uint32_t block_slot(uint32_t phys)
{
	return (phys ^ (phys >> 13)) & (BLOCK_CACHE_SIZE - 1);
}

/* Physical address of CS:EIP for an instruction fetch (checks CS limit). */
static uint32_t fetch_phys(struct cpu *c, uint32_t eip)
{
	const struct seg *cs = &c->seg[SR_CS];
	if (eip > cs->limit)
		cpu_gp(c, 0);
	uint32_t lin = cs->base + eip;
	int set = c->cpl == 3;
	struct tlb_entry *e = &c->tlb[set][(lin >> 12) & (TLB_SIZE - 1)];
	if (e->tag_r == (lin & PAGE_MASK))
		return e->phys | (lin & 0xfff);
	(void)lread8(c, lin); /* fills the TLB, or faults */
	if (e->tag_r == (lin & PAGE_MASK))
		return e->phys | (lin & 0xfff);
	return 0xffffffffu; /* not RAM (MMIO or unmapped) */
}

static void mark_code_page(struct cpu *c, uint32_t pn)
{
	if (!c->page_code[pn]) {
		c->page_code[pn] = 1;
		tlb_protect_code_page(c, pn << 12);
	}
}

/* Decodes a block starting at the current EIP whose bytes are at phys. */
static struct block *block_build(struct cpu *c, struct block *b, uint32_t phys)
{
	uint32_t pn = phys >> 12, off = phys & 0xfff, eip = c->eip;
	bool code32 = cpu_code32(c);
	uint32_t limit = c->seg[SR_CS].limit;
	const uint8_t *page = c->ram + (phys & PAGE_MASK);

	b->n = 0;
	while (b->n < BLOCK_MAX_INSNS && off < 0x1000) {
		struct insn *i = &b->insns[b->n];
		int len = decode_bytes(page + off, 0x1000 - off, code32, i);
		if (len < 0 || eip + (uint32_t)len - 1 > limit || eip + (uint32_t)len - 1 < eip)
			break; /* crosses the page or the CS limit: run uncached */
		b->n++;
		if (i->flags & INSN_ENDS_BLOCK)
			break;
		off += (uint32_t)len;
		eip += (uint32_t)len;
	}
	if (b->n == 0)
		return NULL;
	mark_code_page(c, pn);
	b->phys = phys;
	b->gen = c->page_gen[pn];
	b->mode = code32;
	return b;
}

static struct block *block_lookup(struct cpu *c, uint32_t phys)
{
	struct block *b = &c->blocks[block_slot(phys)];
	if (b->phys == phys && b->n && b->mode == cpu_code32(c) && b->gen == c->page_gen[phys >> 12])
		return b;
	return block_build(c, b, phys);
}

/* Instruction fetched across a page boundary or from outside RAM. */
static void exec_uncached(struct cpu *c)
{
	struct insn i;
	decode_insn(c, c->eip, &i);
	c->cur_block_page = 0xffffffffu;
	c->next_eip = c->eip + i.len;
	i.fn(c, &i);
	c->eip = c->next_eip;
	c->icount++;
}

void block_exec(struct cpu *c, int max)
{
	uint32_t phys = fetch_phys(c, c->eip);
	struct block *b = phys < c->ram_size ? block_lookup(c, phys) : NULL;
	if (!b) {
		exec_uncached(c);
		return;
	}
	c->cur_block_page = phys >> 12;
	c->block_abort = false;
	int n = b->n < max ? b->n : max;
	const struct insn *i = b->insns, *end = b->insns + n;
	do {
		c->next_eip = c->eip + i->len;
		i->fn(c, i);
		c->eip = c->next_eip;
		c->icount++;
	} while (++i < end && !c->block_abort);
}
