/*
 * Two-level 32-bit paging (no PAE): 4 KiB pages, 4 MiB pages with CR4.PSE,
 * global pages with CR4.PGE, accessed/dirty bits, CR0.WP, and #PF with the
 * SDM's error code and CR2.
 */
#include <string.h>

#include "engine/soft/cpu.h"

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

/* Page tables outside RAM read as not-present (all zero). */
static uint32_t pt_read(struct cpu *c, uint32_t pa)
{
	uint32_t v = 0;
	if (pa <= c->ram_size - 4)
		memcpy(&v, c->ram + pa, 4);
	return v;
}

static void pt_write(struct cpu *c, uint32_t pa, uint32_t v)
{
	if (pa <= c->ram_size - 4)
		memcpy(c->ram + pa, &v, 4);
}

static _Noreturn void page_fault(struct cpu *c, uint32_t lin, int acc, bool present)
{
	uint32_t err = (present ? 1u : 0u) | ((acc & ACC_WRITE) ? 2u : 0u) | ((acc & ACC_USER) ? 4u : 0u);
	c->cr2 = lin;
	cpu_exception(c, EXC_PF, err);
}

/* Checks the combined U/S and R/W rights of a translation. */
static bool access_allowed(struct cpu *c, uint32_t rights, int acc)
{
	if ((acc & ACC_USER) && !(rights & PTE_U))
		return false;
	if (acc & ACC_WRITE) {
		if (acc & ACC_USER)
			return rights & PTE_W;
		if (c->cr0 & CR0_WP)
			return rights & PTE_W;
	}
	return true;
}

/* Sets A (and D on writes) without rewriting an entry that already has them. */
static void mark_used(struct cpu *c, uint32_t pa, uint32_t entry, uint32_t bits)
{
	if ((entry & bits) != bits)
		pt_write(c, pa, entry | bits);
}

uint32_t paging_translate(struct cpu *c, uint32_t lin, int acc, bool *global)
{
	uint32_t pde_pa = (c->cr3 & 0xfffff000u) + ((lin >> 22) << 2);
	uint32_t pde = pt_read(c, pde_pa);
	if (!(pde & PTE_P))
		page_fault(c, lin, acc, false);

	if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
		if (!access_allowed(c, pde, acc))
			page_fault(c, lin, acc, true);
		mark_used(c, pde_pa, pde, PTE_A | ((acc & ACC_WRITE) ? PTE_D : 0));
		*global = (pde & PTE_G) != 0;
		return (pde & 0xffc00000u) | (lin & 0x003fffffu);
	}

	uint32_t pte_pa = (pde & 0xfffff000u) + (((lin >> 12) & 0x3ff) << 2);
	uint32_t pte = pt_read(c, pte_pa);
	if (!(pte & PTE_P))
		page_fault(c, lin, acc, false);
	if (!access_allowed(c, pde & pte, acc))
		page_fault(c, lin, acc, true);
	mark_used(c, pde_pa, pde, PTE_A);
	mark_used(c, pte_pa, pte, PTE_A | ((acc & ACC_WRITE) ? PTE_D : 0));
	*global = (pte & PTE_G) != 0;
	return (pte & 0xfffff000u) | (lin & 0xfff);
}
