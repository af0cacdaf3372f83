/*
 * The decoded-block cache.
 *
 * A block is a run of up to BLOCK_MAX_INSNS instructions decoded from one
 * physical page, ending at the first control transfer or state change.
 * Blocks live in a bump-allocated pool and are found through a hash table
 * keyed by the physical address of their first byte; they stay valid while
 * their page's generation counter is unchanged (any write to a page with
 * decoded code bumps it, see code_page_written in mem.c).  Keying by
 * physical address means that remapping a linear page never runs stale
 * code.  When the pool or the code memory is full, everything is dropped at
 * once (block_flush_all).  Both have a budget that starts small and doubles
 * when they fill up again soon after a flush (cache_full): the memory a
 * guest costs follows the code it really runs, not a worst case.
 *
 * Blocks are chained: each remembers up to two successors, so a loop or a
 * hot path runs without translating EIP or hashing between blocks.
 */
#include <string.h>

#include "engine/soft/block.h"
#include "engine/soft/decode.h"
#include "engine/soft/jit.h"
#include "engine/soft/ops.h"

#define PAGE_MASK 0xfffff000u

void tlb_protect_code_page(struct cpu *c, uint32_t phys_page);

void block_flush_all(struct cpu *c)
{
	memset(c->block_table, 0, BLOCK_TABLE_SIZE * sizeof(*c->block_table));
	c->block_pool_used = 0;
	c->link_epoch++;
	memset(c->ras, 0, sizeof(c->ras)); /* its cells were in the pool */
	if (c->jit)
		jit_reset(c->jit);
}

void *block_pool_alloc(struct cpu *c, size_t bytes)
{
	bytes = (bytes + 15) & ~(size_t)15;
	if (c->block_pool_used + bytes > c->block_pool_limit)
		return NULL;
	void *p = c->block_pool + c->block_pool_used;
	c->block_pool_used += (uint32_t)bytes;
	return p;
}

static inline uint32_t block_slot(uint32_t phys)
{
	return (phys ^ (phys >> 16)) & (BLOCK_TABLE_SIZE - 1);
}

static inline uint8_t cur_mode(const struct cpu *c)
{
	return (uint8_t)((cpu_code32(c) ? MODE_CODE32 : 0) | (c->cpl == 3 ? MODE_CPL3 : 0) |
			 (cpu_stack32(c) ? MODE_STACK32 : 0) | (c->seg[SR_SS].flat ? MODE_FLAT_SS : 0) |
			 (c->seg[SR_DS].flat ? MODE_FLAT_DS : 0) | (c->seg[SR_ES].flat ? MODE_FLAT_ES : 0));
}

/* Physical address of CS:EIP for an instruction fetch (checks CS limit);
 * 0xffffffff when the page is not RAM. */
static uint32_t fetch_phys(struct cpu *c, uint32_t eip)
{
	const struct seg *cs = &c->seg[SR_CS];
	if (eip > cs->limit)
		cpu_gp(c, 0);
	uint32_t lin = cs->base + eip;
	int set = c->cpl == 3;
	uint32_t idx = (lin >> 12) & (TLB_SIZE - 1);
	struct itlb_entry *it = &c->itlb[set][idx];
	if (it->tag != (lin & PAGE_MASK)) {
		/* Walk through the data TLB (which raises the fault), then
		 * keep the translation in the instruction TLB. */
		(void)lread8(c, lin);
		if (c->tlb[set][idx].tag_r != (lin & PAGE_MASK))
			return 0xffffffffu; /* not RAM */
		it->tag = lin & PAGE_MASK;
		it->phys = c->tlb_aux[set][idx].phys;
		c->itlb_global[set][idx] = c->tlb_aux[set][idx].global;
	}
	return it->phys | (lin & 0xfff);
}

static void mark_code_page(struct cpu *c, uint32_t pn)
{
	if (!c->page_code[pn]) {
		c->page_code[pn] = 1;
		tlb_protect_code_page(c, pn << 12);
	}
}

/* Does an instruction of len bytes at eip end within the CS limit (and
 * not past 4 GiB)? */
static inline bool insn_fits_cs(uint32_t eip, int len, uint32_t limit)
{
	uint32_t last = eip + (uint32_t)len - 1;
	return last <= limit && last >= eip;
}

/* A flush for want of room within this many instructions of the previous
 * one means the working set does not fit: the budgets double.  (About a
 * third of a second of guest time; a flush and retranslating a working set
 * of a few thousand blocks costs a few milliseconds.) */
#define GROW_IF_FULL_WITHIN 200000000ull

static void cache_full(struct cpu *c)
{
	if (c->icount - c->flush_icount < GROW_IF_FULL_WITHIN) {
		uint32_t pool = c->block_pool_limit * 2;
		c->block_pool_limit = pool < BLOCK_POOL_SIZE ? pool : BLOCK_POOL_SIZE;
		if (c->jit)
			(void)jit_grow(c->jit);
	}
	c->flush_icount = c->icount;
	c->cache_flushes++;
	block_flush_all(c);
}

/* A new pool block for n decoded instructions at phys (CS:EIP), in the
 * block table; not yet translated. */
static struct block *block_new(struct cpu *c, uint32_t phys, const struct insn *insns, int n)
{
	size_t bytes = (sizeof(struct block) + (size_t)n * sizeof(struct insn) + 15) & ~(size_t)15;
	if (c->block_pool_used + bytes > c->block_pool_limit || (c->jit && jit_nearly_full(c->jit)))
		cache_full(c);
	struct block *b = (struct block *)(c->block_pool + c->block_pool_used);
	c->block_pool_used += (uint32_t)bytes;
	memset(b, 0, sizeof(*b));
	memcpy(b->insns, insns, (size_t)n * sizeof(struct insn));
	mark_code_page(c, phys >> 12);
	b->phys = phys;
	b->gen = c->page_gen[phys >> 12];
	b->phys2 = NO_PAGE2;
	b->eip = c->eip;
	b->cs_base = c->seg[SR_CS].base;
	b->cs_limit = c->seg[SR_CS].limit;
	b->mode = cur_mode(c);
	b->n = (uint8_t)n;
	c->block_table[block_slot(phys)] = b;
	return b;
}

/* The EIP of the first byte on the page after a straddling block's. */
static inline uint32_t second_page_eip(const struct block *b)
{
	return b->eip + (0x1000 - (b->phys & 0xfff));
}

/*
 * A block of the one instruction at phys that runs into the next page
 * (fetching that page faults as the CPU's fetch would).  It records the
 * next page's physical address and generation, which block_find and
 * block_valid check, and stays interpreted, so no translated exit jumps
 * into it past those checks.  NULL when the next page is not RAM or the
 * instruction does not fit the CS limit: exec_uncached then runs it.
 */
static struct block *build_straddling(struct cpu *c, uint32_t phys)
{
	uint32_t first = 0x1000 - (phys & 0xfff), eip = c->eip;
	if (first >= 15 || eip + first < eip)
		return NULL;
	uint32_t phys2 = fetch_phys(c, eip + first);
	if (phys2 >= c->ram_size)
		return NULL;
	uint8_t bytes[15];
	memcpy(bytes, c->ram + phys, first);
	memcpy(bytes + first, c->ram + phys2, 15 - first);
	struct insn i;
	int len = decode_bytes(bytes, 15, cpu_code32(c), &i);
	if (len <= (int)first || !insn_fits_cs(eip, len, c->seg[SR_CS].limit))
		return NULL;
	struct block *b = block_new(c, phys, &i, 1);
	mark_code_page(c, phys2 >> 12);
	b->phys2 = phys2;
	b->gen2 = c->page_gen[phys2 >> 12];
	return b;
}

/* Decodes the instructions at phys (CS:EIP) into a new pool block. */
static struct block *block_build(struct cpu *c, uint32_t phys)
{
	struct insn tmp[BLOCK_MAX_INSNS];
	uint32_t off = phys & 0xfff, eip = c->eip;
	bool code32 = cpu_code32(c);
	uint32_t limit = c->seg[SR_CS].limit;
	const uint8_t *page = c->ram + (phys & PAGE_MASK);
	int n = 0;

	while (n < BLOCK_MAX_INSNS && off < 0x1000) {
		struct insn *i = &tmp[n];
		int len = decode_bytes(page + off, 0x1000 - off, code32, i);
		if (len < 0 && n == 0)
			return build_straddling(c, phys);
		if (len < 0 || !insn_fits_cs(eip, len, limit))
			break; /* crosses the page (a block of its own) or the CS limit (uncached) */
		n++;
		if (i->flags & INSN_ENDS_BLOCK)
			break;
		off += (uint32_t)len;
		eip += (uint32_t)len;
	}
	if (n == 0)
		return NULL;
	struct block *b = block_new(c, phys, tmp, n);
	if (c->jit)
		jit_translate(c, b);
	return b;
}

static inline bool block_valid(const struct cpu *c, const struct block *b)
{
	return b->gen == c->page_gen[b->phys >> 12] &&
	       (b->phys2 == NO_PAGE2 || b->gen2 == c->page_gen[b->phys2 >> 12]);
}

/* A straddling block's next page still maps to the same physical page
 * (links need no such check: any TLB flush retires them). */
static inline bool second_page_same(struct cpu *c, const struct block *b)
{
	return b->phys2 == NO_PAGE2 || fetch_phys(c, second_page_eip(b)) == b->phys2;
}

/* The block for CS:EIP through the TLB and the hash table, or NULL when
 * the instruction must run uncached (outside RAM, or past the CS limit). */
static struct block *block_find(struct cpu *c)
{
	uint32_t phys = fetch_phys(c, c->eip);
	if (phys >= c->ram_size)
		return NULL;
	struct block *b = c->block_table[block_slot(phys)];
	if (b && b->phys == phys && b->mode == cur_mode(c) && b->eip == c->eip &&
	    b->cs_base == c->seg[SR_CS].base && b->cs_limit == c->seg[SR_CS].limit && block_valid(c, b) &&
	    second_page_same(c, b))
		return b;
	return block_build(c, phys);
}

/* A remembered successor of b that still describes CS:EIP, or NULL. */
static inline struct block *follow_link(struct cpu *c, struct block *b)
{
	for (int k = 0; k < 2; k++) {
		struct block *n = b->link[k];
		if (n && b->link_epoch[k] == c->link_epoch && n->eip == c->eip &&
		    n->cs_base == c->seg[SR_CS].base && n->cs_limit == c->seg[SR_CS].limit &&
		    n->mode == cur_mode(c) && block_valid(c, n))
			return n;
	}
	return NULL;
}

static void remember_link(struct cpu *c, struct block *from, struct block *to)
{
	int k = from->link[0] && from->link_epoch[0] == c->link_epoch ? 1 : 0;
	from->link[k] = to;
	from->link_epoch[k] = c->link_epoch;
}

/* An instruction outside RAM, past the CS limit, or across into a page
 * that is not RAM: fetched byte by byte through the MMU. */
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

/*
 * Runs up to max instructions of b; false if the block was cut short.
 *
 * Only the last instruction of a block can branch (the decoder ends blocks
 * at every control transfer), so only it gets c->next_eip; the others just
 * advance EIP.  c->eip always holds the start of the running instruction,
 * which is what a fault reports.
 */
static inline bool run_insns(struct cpu *c, const struct block *b, int max)
{
	c->cur_block_page = b->phys >> 12;
	c->block_abort = false;
	int n = b->n < max ? b->n : max;
	const struct insn *i = b->insns, *last = b->insns + n - 1;
	uint32_t eip = c->eip;
	for (; i < last; i++) {
		i->fn(c, i);
		eip += i->len;
		c->eip = eip;
		if (__builtin_expect(c->block_abort, 0)) {
			c->icount += (uint64_t)(i - b->insns) + 1;
			return false;
		}
	}
	c->next_eip = eip + i->len;
	i->fn(c, i);
	c->eip = c->next_eip;
	c->icount += (uint64_t)n;
	return n == b->n && !c->block_abort;
}

/* A whole block, translated or interpreted. */
static inline bool run_block(struct cpu *c, const struct block *b)
{
	if (!b->code)
		return run_insns(c, b, BLOCK_MAX_INSNS);
	c->block_abort = false;
	return jit_run(c, b); /* sets cur_block_page itself */
}

void block_exec_one(struct cpu *c)
{
	struct block *b = block_find(c);
	if (b)
		run_insns(c, b, 1);
	else
		exec_uncached(c);
}

/* Must block_run() return to the run loop now? */
static inline bool must_stop(const struct cpu *c, uint64_t until)
{
	return c->icount >= until || c->halted || c->shadow || (c->eflags & FL_TF) || cpu_stop_requested(c);
}

/*
 * One instruction no block can hold (see exec_uncached); false if
 * block_run() must return after it, as after a block cut short.  It runs
 * here rather than after a return to the run loop, whose clock and
 * interrupt checks each time cost more than the instruction (page-crossing
 * instructions took this path too before they got blocks of their own:
 * some 300,000 in a guest's 256 MiB disk write).
 */
static bool step_uncached(struct cpu *c, uint64_t until)
{
	c->block_abort = false;
	exec_uncached(c);
	return !c->block_abort && !must_stop(c, until);
}

__attribute__((noinline)) void block_run(struct cpu *c, uint64_t until)
{
	c->run_until = until;
	struct block *b = NULL; /* the block that ran last, to link from */
	for (;;) {
		struct block *next = b ? follow_link(c, b) : NULL;
		if (!next) {
			uint32_t epoch = c->link_epoch;
			next = block_find(c);
			if (!next) {
				if (!step_uncached(c, until))
					return;
				b = NULL; /* no link across an uncached instruction */
				continue;
			}
			/* A pool flush inside block_find frees b: link only if
			 * nothing was flushed meanwhile. */
			if (epoch != c->link_epoch)
				b = NULL; /* freed by the flush */
			else if (b)
				remember_link(c, b, next);
		}
		if (b && b->code && next->code)
			jit_chain(c, b, next);
		b = next;
		c->exit_block = b;
		if (!run_block(c, b))
			return;
		b = c->exit_block; /* translated code may have chained onwards */
		if (must_stop(c, until))
			return;
	}
}
