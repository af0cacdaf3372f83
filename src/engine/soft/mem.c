/*
 * Guest memory access: segment checks, the software TLB and the slow paths
 * behind it (page walk, MMIO, writes that invalidate decoded code).
 *
 * The fast path of every access is: one range compare against the segment,
 * one tag compare in the TLB, one host load or store.
 */
#include <string.h>

#include "engine/soft/cpu.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

#define PAGE_MASK 0xfffff000u

/* --- segments ------------------------------------------------------------- */

static void seg_bounds(struct seg *s, bool pmode);

void seg_refresh(struct seg *s, bool pmode)
{
	seg_bounds(s, pmode);
	s->flat = s->base == 0 && s->lo == 0 && s->hi == 0xffffffffu && s->readable && s->writable;
}

static void seg_bounds(struct seg *s, bool pmode)
{
	bool data = (s->attr & SA_S) && !(s->attr & ST_CODE);
	if (pmode && !(s->attr & SA_P)) {
		s->lo = 1, s->hi = 0; /* unusable: every access faults */
		s->readable = s->writable = false;
		return;
	}
	if (data && (s->attr & ST_EXPDOWN)) {
		uint32_t top = (s->attr & SA_DB) ? 0xffffffffu : 0xffffu;
		if (s->limit >= top)
			s->lo = 1, s->hi = 0;
		else
			s->lo = s->limit + 1, s->hi = top;
	} else {
		s->lo = 0, s->hi = s->limit;
	}
	if (!pmode) {
		s->readable = s->writable = true;
		return;
	}
	s->readable = (s->attr & SA_S) && (data || (s->attr & ST_READABLE));
	s->writable = data && (s->attr & ST_WRITABLE);
}

void seg_load_real(struct cpu *c, int sreg, uint16_t sel)
{
	struct seg *s = &c->seg[sreg];
	s->sel = sel;
	s->base = (uint32_t)sel << 4;
	if (cpu_v86(c)) {
		s->limit = 0xffff;
		s->attr = (uint16_t)(SA_P | SA_S | ST_WRITABLE | ST_ACCESSED | (3 << 5) |
				     (sreg == SR_CS ? ST_CODE : 0));
	}
	seg_refresh(s, cpu_pmode(c));
	c->block_abort = true; /* the block's mode (MODE_FLAT_*, MODE_STACK32) may change */
}

static _Noreturn void seg_fault(struct cpu *c, int sreg)
{
	cpu_exception(c, sreg == SR_SS ? EXC_SS : EXC_GP, 0);
}

static inline uint32_t seg_lin(struct cpu *c, int sreg, uint32_t off, uint32_t len, bool write)
{
	const struct seg *s = &c->seg[sreg];
	uint32_t last = off + len - 1;
	if (__builtin_expect(last < off || off < s->lo || last > s->hi, 0))
		seg_fault(c, sreg);
	if (__builtin_expect(write ? !s->writable : !s->readable, 0))
		seg_fault(c, sreg);
	return s->base + off;
}

/* --- TLB ------------------------------------------------------------------ */

void tlb_flush_all(struct cpu *c)
{
	c->link_epoch++;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < TLB_SIZE; i++) {
			c->tlb[s][i].tag_r = c->tlb[s][i].tag_w = TLB_INVALID;
			c->itlb[s][i].tag = TLB_INVALID;
		}
}

void tlb_flush_nonglobal(struct cpu *c)
{
	c->link_epoch++;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < TLB_SIZE; i++) {
			if (!c->tlb_aux[s][i].global || !(c->cr4 & CR4_PGE))
				c->tlb[s][i].tag_r = c->tlb[s][i].tag_w = TLB_INVALID;
			if (!c->itlb_global[s][i] || !(c->cr4 & CR4_PGE))
				c->itlb[s][i].tag = TLB_INVALID;
		}
}

void tlb_flush_page(struct cpu *c, uint32_t lin)
{
	c->link_epoch++;
	uint32_t idx = (lin >> 12) & (TLB_SIZE - 1);
	for (int s = 0; s < 2; s++) {
		c->tlb[s][idx].tag_r = c->tlb[s][idx].tag_w = TLB_INVALID;
		c->itlb[s][idx].tag = TLB_INVALID;
	}
}

/* Pages holding decoded code must not take the fast write path. */
void tlb_protect_code_page(struct cpu *c, uint32_t phys_page)
{
	uint32_t pn = phys_page >> 12; /* a page of RAM: blocks decode from nothing else */
	if (!c->page_fastw[pn])
		return;
	c->page_fastw[pn] = 0;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < TLB_SIZE; i++)
			if (c->tlb_aux[s][i].phys == phys_page)
				c->tlb[s][i].tag_w = TLB_INVALID;
}

/* Linear -> physical for an access from privilege set `user`. */
static uint32_t translate(struct cpu *c, uint32_t lin, bool write, bool user, bool *global)
{
	*global = false;
	if (!(c->cr0 & CR0_PG))
		return lin;
	return paging_translate(c, lin, (write ? ACC_WRITE : 0) | (user ? ACC_USER : 0), global);
}

/*
 * Fills the TLB for lin and returns the host pointer to the byte, or NULL
 * when the physical page is not RAM (then *pa_out holds the address).
 */
static uint8_t *tlb_fill(struct cpu *c, uint32_t lin, bool write, int set, uint32_t *pa_out)
{
	bool global;
	uint32_t pa = translate(c, lin, write, set == 1, &global);
	*pa_out = pa;
	if (pa >= c->ram_size)
		return NULL;
	uint32_t page = pa & PAGE_MASK;
	uint32_t idx = (lin >> 12) & (TLB_SIZE - 1);
	struct tlb_entry *e = &c->tlb[set][idx];
	c->tlb_aux[set][idx].phys = page;
	c->tlb_aux[set][idx].global = global;
	e->addend = (uintptr_t)(c->ram + page) - (lin & PAGE_MASK);
	e->tag_r = lin & PAGE_MASK;
	e->tag_w = TLB_INVALID;
	/* A read fill leaves writes to a later write miss, which sets the dirty
	 * bit; code pages always write through the slow path. */
	if (write && !c->page_code[pa >> 12]) {
		e->tag_w = lin & PAGE_MASK;
		c->page_fastw[pa >> 12] = 1;
	}
	return c->ram + pa;
}

/* A write reached a page that holds decoded blocks: drop them. */
static void code_page_written(struct cpu *c, uint32_t pa)
{
	uint32_t pn = pa >> 12;
	if (pn < c->npages && c->page_code[pn]) {
		c->page_code[pn] = 0;
		c->page_gen[pn]++;
		if (pn == c->cur_block_page)
			c->block_abort = true;
	}
}

static uint32_t slow_read(struct cpu *c, uint32_t lin, int size, int set)
{
	uint32_t v = 0;
	if ((lin & 0xfff) + (uint32_t)size > 0x1000) {
		/* Page-crossing: translate both pages before reading. */
		for (int k = 0; k < size; k++)
			v |= slow_read(c, lin + (uint32_t)k, 1, set) << (8 * k);
		return v;
	}
	uint32_t pa;
	uint8_t *h = tlb_fill(c, lin, false, set, &pa);
	if (!h)
		return cpu_mmio_read(c, pa, size);
	memcpy(&v, h, (size_t)size);
	return v;
}

static void slow_write(struct cpu *c, uint32_t lin, int size, uint32_t v, int set)
{
	if ((lin & 0xfff) + (uint32_t)size > 0x1000) {
		/* Translate (and fault on) both pages first: no half-done store. */
		uint32_t pa;
		uint32_t second = (lin + (uint32_t)size - 1) & PAGE_MASK;
		tlb_fill(c, lin, true, set, &pa);
		tlb_fill(c, second, true, set, &pa);
		for (int k = 0; k < size; k++)
			slow_write(c, lin + (uint32_t)k, 1, v >> (8 * k), set);
		return;
	}
	uint32_t pa;
	uint8_t *h = tlb_fill(c, lin, true, set, &pa);
	if (!h) {
		cpu_mmio_write(c, pa, size, v);
		return;
	}
	memcpy(h, &v, (size_t)size);
	code_page_written(c, pa);
}

static inline int cur_set(const struct cpu *c)
{
	return c->cpl == 3;
}

uint32_t lin_read_slow(struct cpu *c, uint32_t lin, int size, int set)
{
	return slow_read(c, lin, size, set);
}

void lin_write_slow(struct cpu *c, uint32_t lin, int size, uint32_t v, int set)
{
	slow_write(c, lin, size, v, set);
}

uint32_t mem_read_slow(struct cpu *c, int sreg, uint32_t off, int size)
{
	uint32_t lin = seg_lin(c, sreg, off, (uint32_t)size, false);
	return lin_read(c, lin, size, cur_set(c));
}

void mem_write_slow(struct cpu *c, int sreg, uint32_t off, int size, uint32_t v)
{
	uint32_t lin = seg_lin(c, sreg, off, (uint32_t)size, true);
	lin_write(c, lin, size, v, cur_set(c));
}

uint64_t vread64(struct cpu *c, int sreg, uint32_t off)
{
	vcheck_read(c, sreg, off, 8);
	uint64_t lo = vread32(c, sreg, off);
	return lo | (uint64_t)vread32(c, sreg, off + 4) << 32;
}

void vwrite64(struct cpu *c, int sreg, uint32_t off, uint64_t v)
{
	vcheck_write(c, sreg, off, 8);
	vwrite32(c, sreg, off, (uint32_t)v);
	vwrite32(c, sreg, off + 4, (uint32_t)(v >> 32));
}

/* Probes every page of [off, off+len) so that a following multi-part
 * access cannot fault half-way. */
static void vcheck(struct cpu *c, int sreg, uint32_t off, uint32_t len, bool write)
{
	if (len == 0)
		return;
	uint32_t lin = seg_lin(c, sreg, off, len, write);
	uint32_t end = lin + len - 1;
	int set = cur_set(c);
	for (uint32_t p = lin & PAGE_MASK;; p += 0x1000) {
		uint32_t a = p < lin ? lin : p, pa;
		struct tlb_entry *e = &c->tlb[set][(a >> 12) & (TLB_SIZE - 1)];
		if ((write ? e->tag_w : e->tag_r) != (a & PAGE_MASK))
			tlb_fill(c, a, write, set, &pa);
		if (p == (end & PAGE_MASK))
			break;
	}
}

void vcheck_write(struct cpu *c, int sreg, uint32_t off, uint32_t len)
{
	vcheck(c, sreg, off, len, true);
}

void vcheck_read(struct cpu *c, int sreg, uint32_t off, uint32_t len)
{
	vcheck(c, sreg, off, len, false);
}

/* --- physical access (DMA, loaders, the page walker) ---------------------- */

bool phys_read(struct cpu *c, uint32_t pa, void *buf, uint32_t len)
{
	if (pa >= c->ram_size || len > c->ram_size - pa)
		return false;
	memcpy(buf, c->ram + pa, len);
	return true;
}

bool phys_write(struct cpu *c, uint32_t pa, const void *buf, uint32_t len)
{
	if (pa >= c->ram_size || len > c->ram_size - pa)
		return false;
	memcpy(c->ram + pa, buf, len);
	phys_written(c, pa, len);
	return true;
}

void phys_written(struct cpu *c, uint32_t pa, uint32_t len)
{
	if (len == 0 || pa >= c->ram_size)
		return;
	if (len > c->ram_size - pa)
		len = c->ram_size - pa;
	for (uint32_t p = pa & PAGE_MASK; p < pa + len; p += 0x1000)
		code_page_written(c, p);
}

/* --- read-modify-write ---------------------------------------------------- */

uint8_t *vptr_write(struct cpu *c, int sreg, uint32_t off, uint32_t size)
{
	uint32_t lin = seg_lin(c, sreg, off, size, true);
	if ((lin & 0xfff) > 0x1000 - size)
		return NULL;
	int set = cur_set(c);
	struct tlb_entry *e = &c->tlb[set][(lin >> 12) & (TLB_SIZE - 1)];
	if (e->tag_w == (lin & PAGE_MASK))
		return tlb_host(e, lin);
	uint32_t pa;
	uint8_t *h = tlb_fill(c, lin, true, set, &pa);
	if (h)
		code_page_written(c, pa); /* the caller is about to store */
	return h;
}

uint8_t *vptr_read(struct cpu *c, int sreg, uint32_t off, uint32_t size)
{
	uint32_t lin = seg_lin(c, sreg, off, size, false);
	if ((lin & 0xfff) > 0x1000 - size)
		return NULL;
	int set = cur_set(c);
	struct tlb_entry *e = &c->tlb[set][(lin >> 12) & (TLB_SIZE - 1)];
	if (e->tag_r == (lin & PAGE_MASK))
		return tlb_host(e, lin);
	uint32_t pa;
	return tlb_fill(c, lin, false, set, &pa);
}
