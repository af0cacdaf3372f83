#include "cpu_fixture.h"
#include "engine/soft/block.h"
#include "engine/soft/soft.h"

#include <stdlib.h>
#include <string.h>

void fx_write32(struct fx *f, uint32_t pa, uint32_t v)
{
	memcpy(f->ram + pa, &v, 4);
}

uint32_t fx_read32(struct fx *f, uint32_t pa)
{
	uint32_t v;
	memcpy(&v, f->ram + pa, 4);
	return v;
}

void fx_set_desc(struct fx *f, int idx, uint32_t base, uint32_t limit, uint16_t attr)
{
	uint32_t lim = limit;
	if (attr & SA_G)
		lim >>= 12;
	uint32_t lo = (lim & 0xffff) | (base << 16);
	uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)(attr & 0xff) << 8) |
		      (lim & 0xf0000) | ((uint32_t)(attr & 0xf000) << 8) | (base & 0xff000000);
	fx_write32(f, FX_GDT + idx * 8, lo);
	fx_write32(f, FX_GDT + idx * 8 + 4, hi);
}

static void fx_stubs_and_idt(struct fx *f)
{
	for (uint32_t v = 0; v < 256; v++) {
		uint8_t *s = f->ram + FX_STUBS + v * 16;
		s[0] = 0xc7; /* mov dword [FX_EXC], v */
		s[1] = 0x05;
		memcpy(s + 2, &(uint32_t){ FX_EXC }, 4);
		memcpy(s + 6, &v, 4);
		s[10] = 0xf4; /* hlt */
		uint32_t h = FX_STUBS + v * 16;
		fx_write32(f, FX_IDT + v * 8, (h & 0xffff) | (0x08u << 16));
		fx_write32(f, FX_IDT + v * 8 + 4, (h & 0xffff0000u) | 0x8e00u);
	}
}

static struct boot_seg flat(uint16_t sel, uint16_t attr)
{
	return (struct boot_seg){ sel, 0, 0xffffffffu, attr };
}

/* Time stands still unless a test installs its own clock. */
static uint64_t fx_clock(void *opaque)
{
	(void)opaque;
	return 0;
}

struct fx *fx_new(uint32_t ram_size)
{
	return fx_new_in(ram_size, NULL);
}

struct fx *fx_new_in(uint32_t ram_size, const struct machine *mach)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram_size = ram_size;
	f->ram = calloc(1, ram_size);
	iobus_init(&f->vm.io);
	mmiobus_init(&f->vm.mmio);
	f->vm.clock.now_ns = fx_clock;
	f->vm.ram = f->ram;
	f->vm.ram_size = ram_size;
	struct machine m;
	soft_machine_of(&f->vm, &m);
	f->c = cpu_new(mach ? mach : &m, f->ram, ram_size);
	/* CORDON_TEST_INTERPRET=1 build/unit-tests oracle: the tests that do
	 * not choose run interpreted (the engine's default is translating). */
	if (getenv("CORDON_TEST_INTERPRET"))
		(void)cpu_set_jit(f->c, false);
	fx_reset(f);
	return f;
}

void fx_reset(struct fx *f)
{
	memset(f->ram, 0, f->ram_size);
	f->vm.stop_reason = 0;
	block_flush_all(f->c);
	cpu_reset(f->c);
	fx_write32(f, FX_EXC, 0xffffffffu);
	fx_set_desc(f, 1, 0, 0xffffffffu, 0xc09b);  /* code32 DPL0 */
	fx_set_desc(f, 2, 0, 0xffffffffu, 0xc093);  /* data32 DPL0 */
	fx_set_desc(f, 3, 0, 0xffffffffu, 0xc0fb);  /* code32 DPL3 */
	fx_set_desc(f, 4, 0, 0xffffffffu, 0xc0f3);  /* data32 DPL3 */
	fx_set_desc(f, 5, FX_TSS, 0x67, 0x008b);    /* TSS32, busy: it is TR */
	fx_set_desc(f, 6, 0, 0xffff, 0x009b);       /* code16 DPL0 */
	fx_set_desc(f, 7, 0, 0xffff, 0x0093);       /* data16 DPL0 */
	fx_set_desc(f, 8, 0, 0xfff, 0x4097);        /* data32 expand-down */
	fx_write32(f, FX_TSS + 4, FX_STACK0);       /* ESP0 */
	fx_write32(f, FX_TSS + 8, 0x10);            /* SS0 */
	fx_write32(f, FX_TSS + 0x64, 0x0068u << 16);/* I/O map base past the limit */
	fx_stubs_and_idt(f);

	struct boot_state bs;
	memset(&bs, 0, sizeof(bs));
	bs.gpr[R_ESP] = FX_STACK;
	bs.eip = FX_CODE;
	bs.eflags = 0x2;
	bs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	for (int s = 0; s < 6; s++)
		bs.seg[s] = flat(0x10, 0xc093);
	bs.seg[SR_CS] = flat(0x08, 0xc09b);
	bs.gdt_base = FX_GDT;
	bs.gdt_limit = 0x7ff;
	bs.idt_base = FX_IDT;
	bs.idt_limit = 0x7ff;
	cpu_load_boot_state(f->c, &bs);
	f->c->tr.sel = 0x28;
	f->c->tr.base = FX_TSS;
	f->c->tr.limit = 0x67;
	f->c->tr.attr = 0x008b; /* busy TSS32 */
}

void fx_free(struct fx *f)
{
	cpu_free(f->c);
	free(f->ram);
	free(f);
}

void fx_code(struct fx *f, const void *bytes, size_t n)
{
	/* Through phys_write so cached blocks of an earlier fx_code go stale. */
	phys_write(f->c, FX_CODE, bytes, (uint32_t)n);
	f->c->eip = FX_CODE;
}

uint64_t fx_run(struct fx *f, uint64_t max)
{
	uint64_t start = f->c->icount;
	f->c->halted = false;
	while (!f->c->halted && f->c->icount - start < max && !f->vm.stop_reason) {
		uint64_t before = f->c->icount;
		/* A run that retired nothing was a storm of exceptions (each
		 * counts against cpu_run's budget): the budget is spent. */
		if (cpu_run(f->c, max - (f->c->icount - start)) == RUN_BUDGET && f->c->icount == before)
			break;
	}
	return f->c->icount - start;
}

int fx_exception(struct fx *f)
{
	uint32_t v = fx_read32(f, FX_EXC);
	return v == 0xffffffffu ? -1 : (int)v;
}
