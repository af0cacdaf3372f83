/*
 * CPU state, reset, EFLAGS and exceptions.  The run loop is in run.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/soft/block.h"
#include "engine/soft/cpu.h"
#include "engine/soft/jit.h"
#include "host/host.h"
#include "engine/soft/ops.h"

struct cpu *cpu_new(const struct machine *m, uint8_t *ram, uint32_t ram_size)
{
	static const volatile int never;
	struct cpu *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->mach = *m;
	if (!c->mach.stop)
		c->mach.stop = &never;
	c->ram = ram;
	/* Whole pages only: the TLB and the decoder hand out host pointers to
	 * entire pages, so a partial last page must not count as RAM. */
	c->ram_size = ram_size & ~0xfffu;
	c->npages = (ram_size + 0xfff) >> 12;
	c->page_gen = calloc(c->npages, sizeof(*c->page_gen));
	c->page_code = calloc(c->npages, 1);
	c->page_fastw = calloc(c->npages, 1);
	c->block_table = calloc(BLOCK_TABLE_SIZE, sizeof(*c->block_table));
	c->block_pool = malloc(BLOCK_POOL_SIZE); /* pages are touched as the budget allows */
	c->block_pool_limit = BLOCK_POOL_MIN;
	if (!c->page_gen || !c->page_code || !c->page_fastw || !c->block_table || !c->block_pool) {
		cpu_free(c);
		return NULL;
	}
	cpu_reset(c);
	(void)cpu_set_jit(c, true);
	return c;
}

bool cpu_set_jit(struct cpu *c, bool on)
{
	block_flush_all(c);
	jit_free(c->jit);
	c->jit = NULL;
	if (!on)
		return true;
#if defined(__x86_64__)
	char err[HOST_ERRLEN];
	c->jit = jit_new(err);
#endif
	return c->jit != NULL;
}

void cpu_free(struct cpu *c)
{
	if (!c)
		return;
	free(c->page_gen);
	free(c->page_code);
	free(c->page_fastw);
	free(c->block_table);
	free(c->block_pool);
	jit_free(c->jit);
	free(c);
}

static void seg_reset(struct seg *s, uint16_t sel, uint32_t base, uint16_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attr = attr;
	seg_refresh(s, false);
}

void cpu_reset(struct cpu *c)
{
	memset(c->r, 0, sizeof(c->r));
	c->r[R_EDX] = 0x0633; /* family 6, model 3, stepping 3: Pentium II */
	c->eip = 0xfff0;
	c->eflags = FL_FIXED1;
	c->lf_op = LF_NONE;
	c->lf_size = 4;
	for (int s = 0; s < 6; s++)
		seg_reset(&c->seg[s], 0, 0, SA_P | SA_S | ST_WRITABLE | ST_ACCESSED);
	seg_reset(&c->seg[SR_CS], 0xf000, 0xffff0000u, SA_P | SA_S | ST_CODE | ST_READABLE | ST_ACCESSED);
	seg_reset(&c->ldtr, 0, 0, SA_P | 0x2);
	seg_reset(&c->tr, 0, 0, SA_P | 0xb);
	c->gdt_base = c->idt_base = 0;
	c->gdt_limit = c->idt_limit = 0xffff;
	c->cr0 = CR0_ET | CR0_CD | CR0_NW;
	c->cr2 = c->cr3 = c->cr4 = 0;
	memset(c->dr, 0, sizeof(c->dr));
	c->dr[6] = 0xffff0ff0u;
	c->dr[7] = 0x400;
	c->cpl = 0;
	/* A RESET, not an INIT: the x87 data registers read +0.0 (SDM vol. 3,
	 * table 10-1; FNINIT's fpu_reset leaves them), and the MSRs a guest
	 * can write start again from the values a new CPU has. */
	memset(c->fpu.st, 0, sizeof(c->fpu.st));
	fpu_reset(&c->fpu);
	c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
	c->misc_enable = 0;
	c->tsc_offset = 0;
	c->halted = c->shadow = false;
	c->delivering = -1;
	tlb_flush_all(c);
}

static void seg_from_boot(struct seg *s, const struct boot_seg *b)
{
	s->sel = b->sel;
	s->base = b->base;
	s->limit = b->limit;
	s->attr = b->attr;
	seg_refresh(s, true);
}

void cpu_load_boot_state(struct cpu *c, const struct boot_state *bs)
{
	memcpy(c->r, bs->gpr, sizeof(c->r));
	c->eip = bs->eip;
	c->cr0 = bs->cr0 | CR0_ET;
	c->lf_op = LF_NONE;
	c->eflags = (bs->eflags & 0x003f7fd5u) | FL_FIXED1;
	for (int s = 0; s < 6; s++) {
		seg_from_boot(&c->seg[s], &bs->seg[s]);
		if (!(c->cr0 & CR0_PE))
			seg_refresh(&c->seg[s], false);
	}
	c->gdt_base = bs->gdt_base;
	c->gdt_limit = bs->gdt_limit;
	c->idt_base = bs->idt_base;
	c->idt_limit = bs->idt_limit;
	c->cpl = (c->cr0 & CR0_PE) ? (c->seg[SR_CS].sel & 3) : 0;
	c->halted = false;
	tlb_flush_all(c);
}

/* --- EFLAGS --------------------------------------------------------------- */

#define EFLAGS_VALID 0x003f7fd5u

uint32_t cpu_get_eflags(struct cpu *c)
{
	flags_materialize(c);
	return (c->eflags & EFLAGS_VALID) | FL_FIXED1;
}

void cpu_set_eflags(struct cpu *c, uint32_t val, uint32_t mask)
{
	flags_materialize(c);
	mask &= EFLAGS_VALID;
	c->eflags = ((c->eflags & ~mask) | (val & mask) | FL_FIXED1) & (EFLAGS_VALID | FL_FIXED1);
}

/* --- exceptions ----------------------------------------------------------- */

static bool exc_has_error_code(int vec)
{
	return vec == EXC_DF || (vec >= EXC_TS && vec <= EXC_PF) || vec == EXC_AC;
}

static bool contributory(int vec)
{
	return vec == EXC_DE || (vec >= EXC_TS && vec <= EXC_GP);
}

/*
 * An exception while delivering another one: the SDM's table 6-5.
 * Benign first events (external interrupts, INT n, #DB, #BP...) let the
 * second one be handled serially; contributory + contributory, or #PF
 * followed by #PF or a contributory fault, become #DF; a fault while
 * delivering #DF shuts the processor down (triple fault).
 */
static int combine_nested(struct cpu *c, int first, int second)
{
	if (first == EXC_DF)
		return -1;
	if (first == EXC_PF && (second == EXC_PF || contributory(second)))
		return EXC_DF;
	if (contributory(first) && contributory(second))
		return EXC_DF;
	(void)c;
	return second;
}

_Noreturn void cpu_exception(struct cpu *c, int vec, uint32_t err)
{
	if (c->audit && c->sens_at == c->icount && c->sens_eip == c->eip) {
		c->sens[c->sens_idx].faulted++;
		c->sens_at = ~0ull;
	}
	if (c->delivering >= 0 && c->delivering < 256) {
		vec = combine_nested(c, c->delivering, vec);
		if (vec < 0) {
			char msg[64];
			snprintf(msg, sizeof(msg), "triple fault at CS:EIP %04x:%08x", c->seg[SR_CS].sel, c->eip);
			cpu_shutdown(c, msg);
		}
		if (vec == EXC_DF)
			err = 0;
	}
	c->exc_vec = vec;
	c->exc_err = err;
	c->exc_has_err = exc_has_error_code(vec) && cpu_pmode(c);
	longjmp(c->jb, 1);
}
