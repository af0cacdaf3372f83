/*
 * Two-level 32-bit paging, checked against the SDM (vol. 3, ch. 4):
 * 4 KiB and 4 MiB translation, the PS bit without CR4.PSE, #PF error codes
 * and CR2, CR0.WP, accessed and dirty bits, INVLPG, CR3 reloads and global
 * pages, and that a faulting instruction leaves its registers as they were
 * (so the kernel can restart it after fixing the fault).
 *
 * Physical layout on top of the fixture (RAM 16 MiB):
 *   PG_DIR  0x100000  page directory
 *   PG_LOW  0x101000  page table: identity map of 0-4 MiB, user, writable
 *   PG_PT   0x102000  page table of linear 0x400000-0x7fffff (tests fill it)
 *   0x300000...       target pages
 * Linear test pages sit at TLB indexes nothing else in the fixture uses.
 *
 * The code bytes were assembled with `as --32` (Intel syntax); each line
 * carries the instruction.
 */
#include "engine/soft/ops.h"
#include "pm_fixture.h"
#include "t.h"

#define PG_RAM 0x1000000u
#define PG_DIR 0x100000u
#define PG_LOW 0x101000u
#define PG_PT 0x102000u
#define LIN 0x4a0000u    /* PDE 1, PTE 0xa0 */
#define LIN2 0x4a1000u   /* PDE 1, PTE 0xa1 */
#define LIN_NP 0x4b0000u /* PDE 1, PTE 0xb0: left not present */
#define LIN_NOPDE 0xc00000u /* PDE 3: not present */
#define PHYS_A 0x300000u
#define PHYS_B 0x301000u
#define PHYS_C 0x305000u
#define BIG_PHYS 0xc00000u /* 4 MiB page frame, mapped at linear 0x800000 */

#define P 0x001u
#define W 0x002u
#define U 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G 0x100u

static uint32_t pte_addr(uint32_t lin)
{
	return PG_PT + ((lin >> 12) & 0x3ff) * 4;
}

static void set_pte(struct fx *f, uint32_t lin, uint32_t v)
{
	fx_write32(f, pte_addr(lin), v);
}

/* Page tables only; paging stays off. */
static struct fx *pg_tables(void)
{
	struct fx *f = fx_new(PG_RAM);
	pm_idt_dpl(f, 0x80, 3);
	for (uint32_t p = 0; p < 1024; p++)
		fx_write32(f, PG_LOW + p * 4, (p << 12) | P | W | U);
	fx_write32(f, PG_DIR + 0, PG_LOW | P | W | U);
	fx_write32(f, PG_DIR + 4, PG_PT | P | W | U);
	fx_write32(f, PHYS_A, 0xaaaa0001u);
	fx_write32(f, PHYS_B, 0xbbbb0002u);
	return f;
}

/* Tables, then paging on with the given CR4 and extra CR0 bits. */
static struct fx *pg_new(uint32_t cr4, uint32_t cr0_bits)
{
	struct fx *f = pg_tables();
	cpu_set_cr4(f->c, cr4);
	cpu_set_cr3(f->c, PG_DIR);
	cpu_set_cr0(f->c, f->c->cr0 | CR0_PG | cr0_bits);
	return f;
}

static void run0(struct fx *f, const uint8_t *code, size_t n)
{
	fx_code(f, code, n);
	fx_run(f, 1000);
}

/* Error code and EIP of an exception taken at CPL 0 or from CPL 3: both
 * frames start at the ring-0 stack's top with the error code. */
static uint32_t frame(struct fx *f, int slot)
{
	return fx_read32(f, f->c->seg[SR_SS].base + f->c->r[R_ESP] + 4u * (uint32_t)slot);
}

TEST(pg_guest_enables_paging_4k_translation)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x00, 0x10, 0x00,                               /* 00: mov eax,0x100000 */
		0x0f, 0x22, 0xd8,                                           /* 05: mov cr3,eax */
		0x0f, 0x20, 0xc0,                                           /* 08: mov eax,cr0 */
		0x0d, 0x00, 0x00, 0x00, 0x80,                               /* 0b: or eax,0x80000000 */
		0x0f, 0x22, 0xc0,                                           /* 10: mov cr0,eax */
		0x8b, 0x1d, 0x23, 0x01, 0x4a, 0x00,                         /* 13: mov ebx,DWORD PTR ds:0x4a0123 */
		0xc7, 0x05, 0xfe, 0x0f, 0x4a, 0x00, 0x44, 0x33, 0x22, 0x11, /* 19: mov DWORD PTR ds:0x4a0ffe,0x11223344 */
		0xf4,                                                       /* 23: hlt */
	};
	struct fx *f = pg_tables();
	/* Two adjacent linear pages on swapped physical frames. */
	set_pte(f, LIN, PHYS_B | P | W);
	set_pte(f, LIN2, PHYS_A | P | W);
	fx_write32(f, PHYS_B + 0x123, 0x600df00du);
	run0(f, code, sizeof(code));
	CHECK_EQ(fx_exception(f), -1);
	CHECK(f->c->cr0 & CR0_PG);
	CHECK_EQ(f->c->cr3, PG_DIR);
	CHECK_EQ(f->c->r[R_EBX], 0x600df00du);
	/* The store crosses from LIN (frame B) into LIN2 (frame A). */
	CHECK_EQ(f->ram[PHYS_B + 0xffe], 0x44);
	CHECK_EQ(f->ram[PHYS_B + 0xfff], 0x33);
	CHECK_EQ(f->ram[PHYS_A + 0], 0x22);
	CHECK_EQ(f->ram[PHYS_A + 1], 0x11);
	CHECK_EQ(f->c->eip, FX_CODE + 0x24);
	fx_free(f);
}

static const uint8_t big_code[] = {
	0xa1, 0x00, 0x00, 0x80, 0x00,                               /* 00: mov eax,ds:0x800000 */
	0x8b, 0x1d, 0x34, 0x12, 0x80, 0x00,                         /* 05: mov ebx,DWORD PTR ds:0x801234 */
	0xc7, 0x05, 0x10, 0x00, 0x80, 0x00, 0x77, 0x00, 0x00, 0x00, /* 0b: mov DWORD PTR ds:0x800010,0x77 */
	0xf4,                                                       /* 15: hlt */
};

/* PDE 2 has PS set and points at BIG_PHYS; the first dword of that frame
 * doubles as PTE 0 of a page table when PS is ignored. */
static struct fx *big_page_fixture(uint32_t cr4)
{
	struct fx *f = pg_new(cr4, 0);
	fx_write32(f, PG_DIR + 8, BIG_PHYS | PS | P | W);
	fx_write32(f, BIG_PHYS, PHYS_C | P | W);
	fx_write32(f, BIG_PHYS + 0x1234, 0x12345678u);
	fx_write32(f, PHYS_C, 0x5a5a5a5au);
	return f;
}

TEST(pg_4m_page_with_pse)
{
	struct fx *f = big_page_fixture(CR4_PSE);
	run0(f, big_code, sizeof(big_code));
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EAX], PHYS_C | P | W); /* the frame itself, no walk */
	CHECK_EQ(f->c->r[R_EBX], 0x12345678u);
	CHECK_EQ(fx_read32(f, BIG_PHYS + 0x10), 0x77);
	CHECK_EQ(fx_read32(f, PG_DIR + 8), BIG_PHYS | PS | P | W | A | D);
	fx_free(f);
}

TEST(pg_ps_bit_ignored_without_pse)
{
	struct fx *f = big_page_fixture(0);
	run0(f, big_code, sizeof(big_code));
	/* PDE 2 is a page-table pointer: 0x800000 -> PTE 0 -> PHYS_C, and
	 * 0x801234 -> PTE 1 (zero) -> not present. */
	CHECK_EQ(f->c->r[R_EAX], 0x5a5a5a5au);
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(frame(f, 0), 0);                /* read, supervisor, not present */
	CHECK_EQ(frame(f, 1), FX_CODE + 5);
	CHECK_EQ(f->c->cr2, 0x801234u);
	CHECK_EQ(fx_read32(f, BIG_PHYS), PHYS_C | P | W | A);
	fx_free(f);
}

/* One access, at CPL 0 or 3, to lin: a read into ECX or a store of 0x77. */
struct pf_case {
	const char *what;
	int cpl;
	bool write;
	uint32_t lin;
	uint32_t pde1;   /* PDE 1 (linear 0x400000-0x7fffff) */
	uint32_t pte;    /* PTE of LIN */
	uint32_t cr0;    /* extra CR0 bits (WP) */
	int vec;         /* expected: EXC_PF, or 0x80 for no fault */
	uint32_t err;
};

static const struct pf_case pf_cases[] = {
	{ "no PDE, read", 0, false, LIN_NOPDE, PG_PT | P | W | U, PHYS_A | P | W | U, 0, EXC_PF, 0 },
	{ "no PDE, write", 0, true, LIN_NOPDE, PG_PT | P | W | U, PHYS_A | P | W | U, 0, EXC_PF, 2 },
	{ "no PDE, user read", 3, false, LIN_NOPDE, PG_PT | P | W | U, PHYS_A | P | W | U, 0, EXC_PF, 4 },
	{ "no PDE, user write", 3, true, LIN_NOPDE, PG_PT | P | W | U, PHYS_A | P | W | U, 0, EXC_PF, 6 },
	{ "no PTE, read", 0, false, LIN, PG_PT | P | W | U, PHYS_A | W | U, 0, EXC_PF, 0 },
	{ "no PTE, write", 0, true, LIN, PG_PT | P | W | U, PHYS_A | W | U, 0, EXC_PF, 2 },
	{ "no PTE, user read", 3, false, LIN, PG_PT | P | W | U, PHYS_A | W | U, 0, EXC_PF, 4 },
	{ "no PTE, user write", 3, true, LIN, PG_PT | P | W | U, PHYS_A | W | U, 0, EXC_PF, 6 },
	{ "user read, supervisor PTE", 3, false, LIN, PG_PT | P | W | U, PHYS_A | P | W, 0, EXC_PF, 5 },
	{ "user write, supervisor PTE", 3, true, LIN, PG_PT | P | W | U, PHYS_A | P | W, 0, EXC_PF, 7 },
	{ "user read, supervisor PDE", 3, false, LIN, PG_PT | P | W, PHYS_A | P | W | U, 0, EXC_PF, 5 },
	{ "user read, read-only page", 3, false, LIN, PG_PT | P | W | U, PHYS_A | P | U, 0, 0x80, 0 },
	{ "user write, read-only PTE, WP=1", 3, true, LIN, PG_PT | P | W | U, PHYS_A | P | U, CR0_WP, EXC_PF, 7 },
	{ "user write, read-only PDE", 3, true, LIN, PG_PT | P | U, PHYS_A | P | W | U, 0, EXC_PF, 7 },
	{ "user write, read-only, WP=0", 3, true, LIN, PG_PT | P | W | U, PHYS_A | P | U, 0, EXC_PF, 7 },
	{ "supervisor write, read-only, WP=1", 0, true, LIN, PG_PT | P | W | U, PHYS_A | P, CR0_WP, EXC_PF, 3 },
	{ "supervisor write, read-only, WP=0", 0, true, LIN, PG_PT | P | W | U, PHYS_A | P, 0, 0x80, 0 },
	{ "supervisor write, user page, WP=0", 0, true, LIN, PG_PT | P | W | U, PHYS_A | P | U, 0, 0x80, 0 },
	{ "supervisor read, user page", 0, false, LIN, PG_PT | P | W | U, PHYS_A | P | U, CR0_WP, 0x80, 0 },
};

static size_t pf_body(uint8_t *b, bool write, uint32_t lin)
{
	size_t k = 0;
	b[k++] = write ? 0xc7 : 0x8b; /* mov dword [lin],imm32  /  mov ecx,[lin] */
	b[k++] = write ? 0x05 : 0x0d;
	memcpy(b + k, &lin, 4);
	k += 4;
	if (write) {
		memcpy(b + k, &(uint32_t){ 0x77 }, 4);
		k += 4;
	}
	b[k++] = 0xcd; /* int 0x80 */
	b[k++] = 0x80;
	return k;
}

static void run_pf_case(const struct pf_case *pc)
{
	uint8_t body[16];
	size_t n = pf_body(body, pc->write, pc->lin);
	struct fx *f = pg_new(0, pc->cr0);
	fx_write32(f, PG_DIR + 4, pc->pde1);
	set_pte(f, LIN, pc->pte);
	fx_write32(f, PHYS_A, 0x1234u);
	f->c->r[R_ECX] = 0xc0ffee;
	pm_run_at(f, pc->cpl, body, n, 0x2);
	uint32_t at = pc->cpl ? PM_USER_BODY : FX_CODE;
	if (fx_exception(f) != pc->vec)
		t_fail(__FILE__, __LINE__, "%s: vector %d, expected %d", pc->what, fx_exception(f), pc->vec);
	if (pc->vec == EXC_PF) {
		if (frame(f, 0) != pc->err || frame(f, 1) != at || f->c->cr2 != pc->lin)
			t_fail(__FILE__, __LINE__, "%s: error %#x EIP %#x CR2 %#x, expected %#x %#x %#x",
			       pc->what, frame(f, 0), frame(f, 1), f->c->cr2, pc->err, at, pc->lin);
		if (f->c->r[R_ECX] != 0xc0ffee || fx_read32(f, PHYS_A) != 0x1234u)
			t_fail(__FILE__, __LINE__, "%s: faulting access changed ECX or memory", pc->what);
		if (pc->write && (fx_read32(f, pte_addr(LIN)) & D))
			t_fail(__FILE__, __LINE__, "%s: faulting write set the dirty bit", pc->what);
	} else if (pc->write) {
		if (fx_read32(f, PHYS_A) != 0x77)
			t_fail(__FILE__, __LINE__, "%s: the store did not land", pc->what);
	} else if (f->c->r[R_ECX] != 0x1234u) {
		t_fail(__FILE__, __LINE__, "%s: ECX %#x, expected 0x1234", pc->what, f->c->r[R_ECX]);
	}
	fx_free(f);
}

TEST(pg_fault_error_codes_and_cr2)
{
	for (size_t k = 0; k < sizeof(pf_cases) / sizeof(pf_cases[0]); k++)
		run_pf_case(&pf_cases[k]);
}

TEST(pg_wp_toggled_by_guest)
{
	static const uint8_t code[] = {
		0xc7, 0x05, 0x00, 0x00, 0x4a, 0x00, 0x11, 0x00, 0x00, 0x00, /* 00: mov DWORD PTR ds:0x4a0000,0x11 */
		0x0f, 0x20, 0xc0,                                           /* 0a: mov eax,cr0 */
		0x0d, 0x00, 0x00, 0x01, 0x00,                               /* 0d: or eax,0x10000 */
		0x0f, 0x22, 0xc0,                                           /* 12: mov cr0,eax */
		0xc7, 0x05, 0x00, 0x00, 0x4a, 0x00, 0x22, 0x00, 0x00, 0x00, /* 15: mov DWORD PTR ds:0x4a0000,0x22 */
		0xf4,                                                       /* 1f: hlt */
	};
	struct fx *f = pg_new(0, 0);
	set_pte(f, LIN, PHYS_A | P);
	run0(f, code, sizeof(code));
	/* The first store passes with WP=0 (its TLB entry must not survive
	 * setting WP), the second faults. */
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(frame(f, 0), 3);
	CHECK_EQ(frame(f, 1), FX_CODE + 0x15);
	CHECK_EQ(fx_read32(f, PHYS_A), 0x11);
	CHECK(f->c->cr0 & CR0_WP);
	fx_free(f);
}

TEST(pg_accessed_and_dirty_bits)
{
	static const uint8_t read_only[] = {
		0xa1, 0x00, 0x00, 0x4a, 0x00, /* mov eax,ds:0x4a0000 */
		0xf4,                         /* hlt */
	};
	static const uint8_t read_then_write[] = {
		0xa1, 0x00, 0x00, 0x4a, 0x00,       /* 00: mov eax,ds:0x4a0000 */
		0x89, 0x1d, 0x00, 0x00, 0x4a, 0x00, /* 05: mov DWORD PTR ds:0x4a0000,ebx */
		0xf4,                               /* 0b: hlt */
	};
	static const uint8_t write_only[] = {
		0x89, 0x1d, 0x00, 0x10, 0x4a, 0x00, /* mov DWORD PTR ds:0x4a1000,ebx */
		0xf4,                               /* hlt */
	};
	struct fx *f = pg_new(0, 0);
	fx_write32(f, PG_DIR + 4, PG_PT | P | W);
	set_pte(f, LIN, PHYS_A | P | W);
	set_pte(f, LIN2, PHYS_B | P | W);
	run0(f, read_only, sizeof(read_only));
	CHECK_EQ(f->c->r[R_EAX], 0xaaaa0001u);
	CHECK_EQ(fx_read32(f, PG_DIR + 4), PG_PT | P | W | A); /* PDEs never get D */
	CHECK_EQ(fx_read32(f, pte_addr(LIN)), PHYS_A | P | W | A);
	CHECK_EQ(fx_read32(f, pte_addr(LIN2)), PHYS_B | P | W);

	/* The read fills the TLB first; the store must still set D. */
	f->c->r[R_EBX] = 0x99;
	run0(f, read_then_write, sizeof(read_then_write));
	CHECK_EQ(fx_read32(f, PHYS_A), 0x99);
	CHECK_EQ(fx_read32(f, pte_addr(LIN)), PHYS_A | P | W | A | D);

	run0(f, write_only, sizeof(write_only));
	CHECK_EQ(fx_read32(f, pte_addr(LIN2)), PHYS_B | P | W | A | D);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

TEST(pg_4m_page_dirty_only_on_write)
{
	static const uint8_t read_only[] = {
		0xa1, 0x00, 0x00, 0x80, 0x00, /* mov eax,ds:0x800000 */
		0xf4,                         /* hlt */
	};
	struct fx *f = big_page_fixture(CR4_PSE);
	run0(f, read_only, sizeof(read_only));
	CHECK_EQ(fx_read32(f, PG_DIR + 8), BIG_PHYS | PS | P | W | A);
	run0(f, big_code, sizeof(big_code)); /* ends with a store */
	CHECK_EQ(fx_read32(f, PG_DIR + 8), BIG_PHYS | PS | P | W | A | D);
	fx_free(f);
}

TEST(pg_invlpg_makes_new_pte_visible)
{
	static const uint8_t code[] = {
		0xa1, 0x00, 0x00, 0x4a, 0x00,                               /* 00: mov eax,ds:0x4a0000 */
		0xc7, 0x05, 0x80, 0x22, 0x10, 0x00, 0x03, 0x10, 0x30, 0x00, /* 05: mov DWORD PTR ds:0x102280,0x301003 */
		0x8b, 0x1d, 0x00, 0x00, 0x4a, 0x00,                         /* 0f: mov ebx,DWORD PTR ds:0x4a0000 */
		0x0f, 0x01, 0x3d, 0x00, 0x00, 0x4a, 0x00,                   /* 15: invlpg BYTE PTR ds:0x4a0000 */
		0x8b, 0x0d, 0x00, 0x00, 0x4a, 0x00,                         /* 1c: mov ecx,DWORD PTR ds:0x4a0000 */
		0xf4,                                                       /* 22: hlt */
	};
	struct fx *f = pg_new(0, 0);
	CHECK_EQ(pte_addr(LIN), 0x102280u);
	set_pte(f, LIN, PHYS_A | P | W);
	run0(f, code, sizeof(code));
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EAX], 0xaaaa0001u);
	/* EBX may hold either value: without INVLPG the old entry may stay. */
	CHECK(f->c->r[R_EBX] == 0xaaaa0001u || f->c->r[R_EBX] == 0xbbbb0002u);
	CHECK_EQ(f->c->r[R_ECX], 0xbbbb0002u);
	fx_free(f);
}

/* Warms LIN (PTE with G) and LIN2 (without), repoints both at frame B,
 * reloads CR3 (EBX = LIN, ECX = LIN2), then toggles CR4.PGE (EDX = LIN). */
static const uint8_t global_code[] = {
	0xa1, 0x00, 0x00, 0x4a, 0x00,                               /* 00: mov eax,ds:0x4a0000 */
	0xa1, 0x00, 0x10, 0x4a, 0x00,                               /* 05: mov eax,ds:0x4a1000 */
	0xc7, 0x05, 0x80, 0x22, 0x10, 0x00, 0x03, 0x11, 0x30, 0x00, /* 0a: mov DWORD PTR ds:0x102280,0x301103 */
	0xc7, 0x05, 0x84, 0x22, 0x10, 0x00, 0x03, 0x10, 0x30, 0x00, /* 14: mov DWORD PTR ds:0x102284,0x301003 */
	0x0f, 0x20, 0xd8,                                           /* 1e: mov eax,cr3 */
	0x0f, 0x22, 0xd8,                                           /* 21: mov cr3,eax */
	0x8b, 0x1d, 0x00, 0x00, 0x4a, 0x00,                         /* 24: mov ebx,DWORD PTR ds:0x4a0000 */
	0x8b, 0x0d, 0x00, 0x10, 0x4a, 0x00,                         /* 2a: mov ecx,DWORD PTR ds:0x4a1000 */
	0x0f, 0x20, 0xe0,                                           /* 30: mov eax,cr4 */
	0x25, 0x7f, 0xff, 0xff, 0xff,                               /* 33: and eax,0xffffff7f */
	0x0f, 0x22, 0xe0,                                           /* 38: mov cr4,eax */
	0x0d, 0x80, 0x00, 0x00, 0x00,                               /* 3b: or eax,0x80 */
	0x0f, 0x22, 0xe0,                                           /* 40: mov cr4,eax */
	0x8b, 0x15, 0x00, 0x00, 0x4a, 0x00,                         /* 43: mov edx,DWORD PTR ds:0x4a0000 */
	0xf4,                                                       /* 49: hlt */
};

TEST(pg_cr3_reload_keeps_global_entries)
{
	struct fx *f = pg_new(CR4_PGE, 0);
	set_pte(f, LIN, PHYS_A | P | W | G);
	set_pte(f, LIN2, PHYS_A | P | W);
	run0(f, global_code, sizeof(global_code));
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EBX], 0xaaaa0001u); /* global: survives MOV CR3 */
	CHECK_EQ(f->c->r[R_ECX], 0xbbbb0002u); /* not global: flushed */
	CHECK_EQ(f->c->r[R_EDX], 0xbbbb0002u); /* toggling PGE flushes all */
	CHECK(f->c->cr4 & CR4_PGE);
	fx_free(f);
}

TEST(pg_global_bit_ignored_without_pge)
{
	struct fx *f = pg_new(0, 0);
	set_pte(f, LIN, PHYS_A | P | W | G);
	set_pte(f, LIN2, PHYS_A | P | W);
	/* The same code, but the CR4 toggle now sets PGE: only the CR3
	 * reload matters, and with PGE clear it flushes G entries too. */
	run0(f, global_code, sizeof(global_code));
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EBX], 0xbbbb0002u);
	CHECK_EQ(f->c->r[R_ECX], 0xbbbb0002u);
	fx_free(f);
}

TEST(pg_faulting_instructions_are_restartable)
{
	static const uint8_t pop_mem[] = {
		0x8f, 0x05, 0x00, 0x00, 0x4b, 0x00, /* pop DWORD PTR ds:0x4b0000 */
		0xf4,                               /* hlt */
	};
	static const uint8_t push_mem[] = {
		0xff, 0x35, 0x00, 0x00, 0x4b, 0x00, /* push DWORD PTR ds:0x4b0000 */
		0xf4,                               /* hlt */
	};
	static const uint8_t mov_load[] = {
		0xa1, 0x00, 0x00, 0x4b, 0x00, /* mov eax,ds:0x4b0000 */
		0xf4,                         /* hlt */
	};
	static const uint8_t split_store[] = {
		0xc7, 0x05, 0xfe, 0x0f, 0x4a, 0x00, 0x44, 0x33, 0x22, 0x11, /* mov DWORD PTR ds:0x4a0ffe,0x11223344 */
		0xf4,                                                       /* hlt */
	};
	static const uint8_t *const bodies[] = { pop_mem, push_mem, mov_load, split_store };
	static const size_t lens[] = { sizeof(pop_mem), sizeof(push_mem), sizeof(mov_load), sizeof(split_store) };
	static const uint32_t cr2[] = { LIN_NP, LIN_NP, LIN_NP, LIN2 };
	static const uint32_t err[] = { 2, 0, 0, 2 };
	for (int k = 0; k < 4; k++) {
		struct fx *f = pg_new(0, 0);
		set_pte(f, LIN, PHYS_A | P | W); /* LIN2 and LIN_NP stay not present */
		f->c->r[R_EAX] = 0xfeedf00d;
		fx_write32(f, FX_STACK, 0x5555);
		run0(f, bodies[k], lens[k]);
		CHECK_EQ(fx_exception(f), EXC_PF);
		CHECK_EQ(f->c->cr2, cr2[k]);
		CHECK_EQ(frame(f, 0), err[k]);
		CHECK_EQ(frame(f, 1), FX_CODE);
		/* Same-ring delivery pushed 4 dwords below the ESP at the fault:
		 * so that ESP was the original one. */
		CHECK_EQ(f->c->r[R_ESP], FX_STACK - 16);
		CHECK_EQ(f->c->r[R_EAX], 0xfeedf00du);
		CHECK_EQ(fx_read32(f, PHYS_A + 0xffc), 0); /* no half-done split store */
		fx_free(f);
	}
}

TEST(pg_user_push_to_missing_stack_page_keeps_esp)
{
	static const uint8_t body[] = {
		0xbc, 0x00, 0x01, 0x4b, 0x00, /* 00: mov esp,0x4b0100 */
		0x50,                         /* 05: push eax */
		0xcd, 0x80,                   /* 06: int 0x80 */
	};
	struct fx *f = pg_new(0, 0);
	pm_run_at(f, 3, body, sizeof(body), 0x2);
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(frame(f, 0), 6);                    /* user write, not present */
	CHECK_EQ(frame(f, 1), PM_USER_BODY + 5);     /* EIP of the push */
	CHECK_EQ(frame(f, 4), LIN_NP + 0x100);       /* user ESP as before the push */
	CHECK_EQ(f->c->cr2, LIN_NP + 0xfc);
	fx_free(f);
}

/* Jumps to `target` (in LIN, whose frame is PHYS_A) where `insn` sits;
 * LIN2, the page after, is not present. */
static struct fx *fetch_case(uint32_t target, const uint8_t *insn, size_t n)
{
	uint8_t code[] = {
		0xb8, 0, 0, 0, 0, /* 00: mov eax,target */
		0xff, 0xe0,       /* 05: jmp eax */
	};
	memcpy(code + 1, &target, 4);
	struct fx *f = pg_new(0, 0);
	set_pte(f, LIN, PHYS_A | P | W);
	phys_write(f->c, PHYS_A + (target & 0xfff), insn, (uint32_t)n);
	f->c->r[R_EBX] = 0x5555;
	run0(f, code, sizeof(code));
	return f;
}

TEST(pg_instruction_fetch_across_into_missing_page)
{
	static const uint8_t mov_ebx[] = {
		0xbb, 0x44, 0x33, 0x22, 0x11, /* mov ebx,0x11223344 */
	};
	/* Straddles the boundary: #PF for the second page, EIP at the start. */
	struct fx *f = fetch_case(LIN + 0xffd, mov_ebx, sizeof(mov_ebx));
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(f->c->cr2, LIN2);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(frame(f, 1), LIN + 0xffd);
	CHECK_EQ(f->c->r[R_EBX], 0x5555);
	fx_free(f);

	/* Ends on the last byte: it runs, then the next fetch faults. */
	f = fetch_case(LIN + 0xffb, mov_ebx, sizeof(mov_ebx));
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(f->c->r[R_EBX], 0x11223344u);
	CHECK_EQ(f->c->cr2, LIN2);
	CHECK_EQ(frame(f, 1), LIN2);
	fx_free(f);
}

TEST(pg_user_fetch_from_supervisor_page)
{
	static const uint8_t body[] = {
		0xb8, 0x00, 0x00, 0x4a, 0x00, /* 00: mov eax,0x4a0000 */
		0xff, 0xe0,                   /* 05: jmp eax */
	};
	struct fx *f = pg_new(0, 0);
	set_pte(f, LIN, PHYS_A | P | W); /* supervisor only */
	f->ram[PHYS_A] = 0x90;          /* nop */
	pm_run_at(f, 3, body, sizeof(body), 0x2);
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(frame(f, 0), 5); /* user, read, present */
	CHECK_EQ(frame(f, 1), LIN);
	CHECK_EQ(f->c->cr2, LIN);
	fx_free(f);
}

TEST(pg_rep_movs_fault_keeps_progress)
{
	static const uint8_t code[] = {
		0xbe, 0xf8, 0x0f, 0x4a, 0x00, /* 00: mov esi,0x4a0ff8 */
		0xbf, 0x00, 0x00, 0x02, 0x00, /* 05: mov edi,0x20000 */
		0xb9, 0x04, 0x00, 0x00, 0x00, /* 0a: mov ecx,0x4 */
		0xfc,                         /* 0f: cld */
		0xf3, 0xa5,                   /* 10: rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi] */
		0xf4,                         /* 12: hlt */
	};
	struct fx *f = pg_new(0, 0);
	set_pte(f, LIN, PHYS_A | P | W); /* LIN2 not present */
	fx_write32(f, PHYS_A + 0xff8, 0x11111111u);
	fx_write32(f, PHYS_A + 0xffc, 0x22222222u);
	run0(f, code, sizeof(code));
	/* Two iterations done, the third faults on its source: the registers
	 * say so, and EIP names the REP MOVS to resume it. */
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(f->c->cr2, LIN2);
	CHECK_EQ(frame(f, 1), FX_CODE + 0x10);
	CHECK_EQ(f->c->r[R_ECX], 2);
	CHECK_EQ(f->c->r[R_ESI], LIN2);
	CHECK_EQ(f->c->r[R_EDI], 0x20008u);
	CHECK_EQ(fx_read32(f, 0x20000), 0x11111111u);
	CHECK_EQ(fx_read32(f, 0x20004), 0x22222222u);
	CHECK_EQ(fx_read32(f, 0x20008), 0);
	fx_free(f);
}
