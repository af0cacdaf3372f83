/*
 * Self-modifying code with P6 semantics: a store to an instruction that
 * has already been fetched or decoded (even the very next one) is seen
 * when that instruction executes (SDM vol. 3, 11.6).  The engine caches
 * decoded blocks by physical address, so the tests also rewrite code
 * through a second linear alias of the same physical page.
 *
 * The code bytes were assembled with `as --32` (Intel syntax); each line
 * carries the instruction and its offset from FX_CODE.
 */
#include "engine/soft/ops.h"
#include "cpu_fixture.h"
#include "t.h"

TEST(smc_store_to_later_instruction_in_a_loop)
{
	static const uint8_t code[] = {
		0xb9, 0x02, 0x00, 0x00, 0x00,             /* 00: mov ecx,0x2 */
		0xb8, 0x11, 0x00, 0x00, 0x00,             /* 05: L: mov eax,0x11 */
		0xc6, 0x05, 0x06, 0x00, 0x01, 0x00, 0x42, /* 0a: mov BYTE PTR ds:0x10006,0x42 */
		0x49,                                     /* 11: dec ecx */
		0x75, 0xf1,                               /* 12: jne L */
		0xf4,                                     /* 14: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	/* The second pass runs the rewritten immediate, not the cached one. */
	CHECK_EQ(f->c->r[R_EAX], 0x42);
	CHECK_EQ(f->c->r[R_ECX], 0);
	CHECK_EQ(f->c->eip, FX_CODE + 0x15);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

TEST(smc_store_to_the_next_instruction)
{
	static const uint8_t code[] = {
		0xc6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42, /* 00: mov BYTE PTR ds:0x10008,0x42 */
		0xb8, 0x11, 0x00, 0x00, 0x00,             /* 07: mov eax,0x11 (becomes 0x42) */
		0xc6, 0x05, 0x13, 0x00, 0x01, 0x00, 0x42, /* 0c: mov BYTE PTR ds:0x10013,0x42 */
		0x90,                                     /* 13: nop (becomes inc edx) */
		0xf4,                                     /* 14: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 0x42);
	CHECK_EQ(f->c->r[R_EDX], 1);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

TEST(smc_rep_stos_over_the_following_code)
{
	static const uint8_t code[] = {
		0xbf, 0x12, 0x00, 0x01, 0x00, /* 00: mov edi,0x10012 */
		0xb8, 0x40, 0x00, 0x00, 0x00, /* 05: mov eax,0x40 */
		0xb9, 0x03, 0x00, 0x00, 0x00, /* 0a: mov ecx,0x3 */
		0xfc,                         /* 0f: cld */
		0xf3, 0xaa,                   /* 10: rep stos BYTE PTR es:[edi],al */
		0x90,                         /* 12: nop (becomes inc eax) */
		0x90,                         /* 13: nop (becomes inc eax) */
		0x90,                         /* 14: nop (becomes inc eax) */
		0xf4,                         /* 15: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 0x43);
	CHECK_EQ(f->c->eip, FX_CODE + 0x16);
	fx_free(f);
}

TEST(smc_read_modify_write_of_the_next_instructions)
{
	static const uint8_t code[] = {
		0xfe, 0x05, 0x07, 0x00, 0x01, 0x00,             /* 00: inc BYTE PTR ds:0x10007 */
		0xb8, 0x41, 0x00, 0x00, 0x00,                   /* 06: mov eax,0x41 (becomes 0x42) */
		0xf0, 0x80, 0x05, 0x14, 0x00, 0x01, 0x00, 0x02, /* 0b: lock add BYTE PTR ds:0x10014,0x2 */
		0xba, 0x10, 0x00, 0x00, 0x00,                   /* 13: mov edx,0x10 (becomes 0x12) */
		0xf4,                                           /* 18: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 0x42);
	CHECK_EQ(f->c->r[R_EDX], 0x12);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

/*
 * Paging on, with low memory identity-mapped and two aliases:
 * linear 0x4a0000 -> physical FX_CODE, linear 0x4a2000 -> physical 0x12000.
 */
#define SMC_DIR 0x100000u
#define SMC_LOW 0x101000u
#define SMC_PT 0x102000u

/* A page the guest wrote (so the TLB holds a fast write entry for it)
 * before any code there: when it first holds a decoded block, that entry
 * must go (mem.c, tlb_protect_code_page and its per-page flag), or the
 * rewrite below would bypass the check that drops the stale block. */
TEST(smc_on_a_page_written_before_it_held_code)
{
	static const uint8_t code[] = {
		0xc6, 0x05, 0x00, 0x28, 0x01, 0x00, 0x01, /* 00: mov BYTE PTR ds:0x12800,0x1 */
		0xe8, 0xf4, 0x1f, 0x00, 0x00,             /* 07: call 0x12000 */
		0x89, 0xc6,                               /* 0c: mov esi,eax */
		0xc6, 0x05, 0x01, 0x20, 0x01, 0x00, 0x42, /* 0e: mov BYTE PTR ds:0x12001,0x42 */
		0xe8, 0xe6, 0x1f, 0x00, 0x00,             /* 15: call 0x12000 */
		0xf4,                                     /* 1a: hlt */
	};
	static const uint8_t callee[] = {
		0xb8, 0x11, 0x00, 0x00, 0x00, /* 12000: mov eax,0x11 */
		0xc3,                         /* 12005: ret */
	};
	struct fx *f = fx_new(0x100000);
	memcpy(f->ram + 0x12000, callee, sizeof(callee));
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_ESI], 0x11);
	CHECK_EQ(f->c->r[R_EAX], 0x42);
	CHECK_EQ(f->c->eip, FX_CODE + 0x1b);
	fx_free(f);
}

static struct fx *smc_paged(void)
{
	struct fx *f = fx_new(0x200000);
	for (uint32_t p = 0; p < 1024; p++)
		fx_write32(f, SMC_LOW + p * 4, (p << 12) | 0x7);
	fx_write32(f, SMC_DIR + 0, SMC_LOW | 0x7);
	fx_write32(f, SMC_DIR + 4, SMC_PT | 0x7);
	fx_write32(f, SMC_PT + 0xa0 * 4, FX_CODE | 0x7);
	fx_write32(f, SMC_PT + 0xa2 * 4, 0x12000u | 0x7);
	cpu_set_cr3(f->c, SMC_DIR);
	cpu_set_cr0(f->c, f->c->cr0 | CR0_PG);
	return f;
}

TEST(smc_through_a_second_linear_alias)
{
	static const uint8_t code[] = {
		0xc6, 0x05, 0x00, 0x28, 0x4a, 0x00, 0x01, /* 00: mov BYTE PTR ds:0x4a2800,0x1 (alias write before any code there) */
		0xe8, 0xf4, 0x1f, 0x00, 0x00,             /* 07: call 0x12000 */
		0x89, 0xc6,                               /* 0c: mov esi,eax */
		0xc6, 0x05, 0x01, 0x20, 0x4a, 0x00, 0x42, /* 0e: mov BYTE PTR ds:0x4a2001,0x42 */
		0xe8, 0xe6, 0x1f, 0x00, 0x00,             /* 15: call 0x12000 */
		0xb9, 0x02, 0x00, 0x00, 0x00,             /* 1a: mov ecx,0x2 */
		0xbb, 0x11, 0x00, 0x00, 0x00,             /* 1f: L: mov ebx,0x11 */
		0xc6, 0x05, 0x20, 0x00, 0x4a, 0x00, 0x42, /* 24: mov BYTE PTR ds:0x4a0020,0x42 */
		0x49,                                     /* 2b: dec ecx */
		0x75, 0xf1,                               /* 2c: jne L */
		0xc6, 0x05, 0x36, 0x00, 0x4a, 0x00, 0x42, /* 2e: mov BYTE PTR ds:0x4a0036,0x42 */
		0xba, 0x11, 0x00, 0x00, 0x00,             /* 35: mov edx,0x11 */
		0xf4,                                     /* 3a: hlt */
	};
	static const uint8_t callee[] = {
		0xb8, 0x11, 0x00, 0x00, 0x00, /* 12000: mov eax,0x11 */
		0xc3,                         /* 12005: ret */
	};
	struct fx *f = smc_paged();
	phys_write(f->c, 0x12000, callee, sizeof(callee));
	fx_code(f, code, sizeof(code));
	fx_run(f, 200);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->ram[0x12800], 1);
	CHECK_EQ(f->c->r[R_ESI], 0x11); /* the callee as first decoded */
	CHECK_EQ(f->c->r[R_EAX], 0x42); /* rewritten through the alias */
	CHECK_EQ(f->c->r[R_EBX], 0x42); /* loop body rewritten through the alias */
	CHECK_EQ(f->c->r[R_EDX], 0x42); /* next instruction rewritten through the alias */
	CHECK_EQ(f->c->eip, FX_CODE + 0x3b);
	fx_free(f);
}

/* A jump within one linear page is chained in a short form that trusts
 * the page's translation (xl_end_const).  The page 0x4a2000 is called
 * three times mapped to physical 0x12000, then remapped to 0x13000 (same
 * offsets, other code) and CR3 reloaded: the next three calls must run
 * the new page's second block, not the one chained for the old page. */
TEST(smc_same_page_chain_after_remap)
{
	static const uint8_t code[] = {
		0x31, 0xdb,                         /* 00: xor ebx,ebx */
		0xbe, 0x03, 0x00, 0x00, 0x00,       /* 02: mov esi,3 */
		0xe8, 0xf4, 0x1f, 0x49, 0x00,       /* 07: L1: call 0x4a2000 */
		0x4e,                               /* 0c: dec esi */
		0x75, 0xf8,                         /* 0d: jne L1 */
		0xc7, 0x05, 0x88, 0x22, 0x10, 0x00, 0x07, 0x30, 0x01, 0x00, /* 0f: mov DWORD PTR ds:0x102288,0x13007 */
		0x0f, 0x20, 0xd8,                   /* 19: mov eax,cr3 */
		0x0f, 0x22, 0xd8,                   /* 1c: mov cr3,eax */
		0xbe, 0x03, 0x00, 0x00, 0x00,       /* 1f: mov esi,3 */
		0xe8, 0xd7, 0x1f, 0x49, 0x00,       /* 24: L2: call 0x4a2000 */
		0x4e,                               /* 29: dec esi */
		0x75, 0xf8,                         /* 2a: jne L2 */
		0xf4,                               /* 2c: hlt */
	};
	static const uint8_t page_a[] = {
		0xb8, 0x01, 0x00, 0x00, 0x00, /* 000: mov eax,1 */
		0xeb, 0x09,                   /* 005: jmp 0x010 */
		[0x10] = 0x01, 0xc3,          /* 010: add ebx,eax */
		0xc3,                         /* 012: ret */
	};
	static const uint8_t page_b[] = {
		0xb8, 0x02, 0x00, 0x00, 0x00, /* 000: mov eax,2 */
		0xeb, 0x09,                   /* 005: jmp 0x010 */
		[0x10] = 0x83, 0xc3, 0x64,    /* 010: add ebx,100 */
		0xc3,                         /* 013: ret */
	};
	struct fx *f = smc_paged();
	phys_write(f->c, 0x12000, page_a, sizeof(page_a));
	phys_write(f->c, 0x13000, page_b, sizeof(page_b));
	fx_code(f, code, sizeof(code));
	fx_run(f, 500);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EBX], 3 * 1 + 3 * 100);
	CHECK_EQ(f->c->r[R_EAX], 2);
	CHECK_EQ(f->c->eip, FX_CODE + 0x2d);
	fx_free(f);
}

/* An instruction across a page boundary: linear 0x4a0ffd holds the opcode
 * and two immediate bytes (physical FX_CODE + 0xffd), 0x4a1000 the rest
 * and a RET.  Called twice with 0x4a1000 mapped to 0x13000, then once
 * mapped to 0x14000 (CR3 reloaded): the last call must read the new
 * page's bytes, not those the straddling block was decoded from. */
TEST(smc_straddling_instruction_after_remap_of_its_second_page)
{
	static const uint8_t code[] = {
		0x31, 0xdb,                         /* 00: xor ebx,ebx */
		0xc7, 0x05, 0x84, 0x22, 0x10, 0x00, 0x07, 0x30, 0x01, 0x00, /* 02: mov DWORD PTR ds:0x102284,0x13007 */
		0x0f, 0x20, 0xd8,                   /* 0c: mov eax,cr3 */
		0x0f, 0x22, 0xd8,                   /* 0f: mov cr3,eax */
		0xe8, 0xe6, 0x0f, 0x49, 0x00,       /* 12: call 0x4a0ffd */
		0x01, 0xc3,                         /* 17: add ebx,eax */
		0xe8, 0xdf, 0x0f, 0x49, 0x00,       /* 19: call 0x4a0ffd */
		0x01, 0xc3,                         /* 1e: add ebx,eax */
		0xc7, 0x05, 0x84, 0x22, 0x10, 0x00, 0x07, 0x40, 0x01, 0x00, /* 20: mov DWORD PTR ds:0x102284,0x14007 */
		0x0f, 0x20, 0xd8,                   /* 2a: mov eax,cr3 */
		0x0f, 0x22, 0xd8,                   /* 2d: mov cr3,eax */
		0xe8, 0xc8, 0x0f, 0x49, 0x00,       /* 30: call 0x4a0ffd */
		0x01, 0xc3,                         /* 35: add ebx,eax */
		0xf4,                               /* 37: hlt */
	};
	static const uint8_t head[] = { 0xb8, 0x11, 0x22 };        /* mov eax, ... */
	static const uint8_t tail_a[] = { 0x33, 0x44, 0xc3 };      /* ... 0x44332211; ret */
	static const uint8_t tail_b[] = { 0x55, 0x66, 0xc3 };      /* ... 0x66552211; ret */
	struct fx *f = smc_paged();
	fx_code(f, code, sizeof(code));
	phys_write(f->c, FX_CODE + 0xffd, head, sizeof(head));
	phys_write(f->c, 0x13000, tail_a, sizeof(tail_a));
	phys_write(f->c, 0x14000, tail_b, sizeof(tail_b));
	fx_run(f, 500);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EAX], 0x66552211u);
	CHECK_EQ(f->c->r[R_EBX], 2 * 0x44332211u + 0x66552211u);
	CHECK_EQ(f->c->eip, FX_CODE + 0x38);
	fx_free(f);
}

/* A device (DMA) rewrote code the engine had decoded: after phys_written,
 * the new bytes run, not the cached block. */
TEST(smc_dma_write_retires_decoded_code)
{
	static const uint8_t first[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };  /* mov eax,1 ; hlt */
	static const uint8_t second[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4 }; /* mov eax,2 ; hlt */
	struct fx *f = fx_new(1u << 20);
	fx_code(f, first, sizeof(first));
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 1);
	memcpy(f->ram + FX_CODE, second, sizeof(second)); /* as a device would */
	phys_written(f->c, FX_CODE, sizeof(second));
	f->c->eip = FX_CODE;
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 2);
	fx_free(f);
}
