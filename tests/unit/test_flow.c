/*
 * The translator's control flow between blocks against the interpreter:
 * the code cache filling up and being flushed (its budget growing with
 * demand), and indirect jumps and returns through the per-site cache and
 * the return-address stack.
 *
 * Each test runs the same guest code interpreted (the reference) and
 * translated, requires identical registers, EIP, EFLAGS, exception,
 * instruction count and RAM, and checks an absolute result besides, so
 * both engines being equally wrong fails too.
 */
#include <stdlib.h>
#include <string.h>

#include "codebuf.h"
#include "cpu_fixture.h"
#include "engine/soft/jit.h"
#include "engine/soft/ops.h"
#include "t.h"

#define RAM (1u << 21)

struct outcome {
	uint32_t r[8], eip, eflags;
	int exc;
	uint64_t ran;
	uint32_t flushes;
	size_t code_limit;
	uint32_t pool_limit;
	uint8_t *ram;
};

typedef void (*setup_fn)(struct fx *f);

static void run_one(const struct code *g, setup_fn setup, bool jit, uint64_t max, struct outcome *o)
{
	struct fx *f = fx_new(RAM);
	CHECK(cpu_set_jit(f->c, jit));
	if (setup)
		setup(f);
	fx_code(f, g->b, g->n);
	o->ran = fx_run(f, max);
	if (jit)
		CHECK_EQ(jit_refused(f->c->jit), (uint64_t)0);
	memcpy(o->r, f->c->r, sizeof(o->r));
	o->eip = f->c->eip;
	o->eflags = cpu_get_eflags(f->c);
	o->exc = fx_exception(f);
	o->flushes = f->c->cache_flushes;
	o->code_limit = jit ? jit_code_limit(f->c->jit) : 0;
	o->pool_limit = f->c->block_pool_limit;
	o->ram = malloc(RAM);
	memcpy(o->ram, f->ram, RAM);
	fx_free(f);
}

/* Both ways; the translated outcome in *t (t->ram freed by the caller). */
static void run_both(const struct code *g, setup_fn setup, uint64_t max, struct outcome *t)
{
	struct outcome i;
	run_one(g, setup, false, max, &i);
	run_one(g, setup, true, max, t);
	for (int r = 0; r < 8; r++)
		CHECK_EQ(t->r[r], i.r[r]);
	CHECK_EQ(t->eip, i.eip);
	CHECK_EQ(t->eflags, i.eflags);
	CHECK_EQ(t->exc, i.exc);
	CHECK_EQ(t->ran, i.ran);
	size_t diff = RAM;
	for (size_t k = 0; k < RAM; k++)
		if (i.ram[k] != t->ram[k]) {
			diff = k;
			break;
		}
	CHECK_EQ(diff, (size_t)RAM); /* the first differing byte, if any */
	free(i.ram);
}

/* --- the code cache: full, flushed, grown ----------------------------------- */

#define MANY_BLOCKS 1500
#define MANY_ROUNDS 6

/*
 * MANY_ROUNDS passes over MANY_BLOCKS blocks, each `add eax, k*7+1` and a
 * jump to the next (every eighth a call to F, which counts in EDX and
 * returns): far more code than the budgets the setups below allow.
 */
static void many_blocks(struct code *g)
{
	g->n = 0;
	PUT(g, 0xb9, MANY_ROUNDS, 0, 0, 0); /* mov ecx, MANY_ROUNDS */
	PUT(g, 0x31, 0xc0);                 /* xor eax, eax */
	PUT(g, 0x31, 0xd2);                 /* xor edx, edx */
	size_t loop = g->n, calls[MANY_BLOCKS];
	int ncalls = 0;
	for (int k = 0; k < MANY_BLOCKS; k++) {
		PUT(g, 0x05);               /* add eax, imm32 */
		put32(g, (uint32_t)k * 7 + 1);
		if (k % 8 == 7) {
			PUT(g, 0xe8);       /* call F */
			calls[ncalls++] = g->n;
			put32(g, 0);
		} else {
			PUT(g, 0xeb, 0x00); /* jmp $+2 */
		}
	}
	PUT(g, 0x49);                       /* dec ecx */
	PUT(g, 0x0f, 0x85);                 /* jnz loop */
	put32(g, (uint32_t)(loop - (g->n + 4)));
	PUT(g, 0xf4);                       /* hlt */
	size_t f = g->n;
	PUT(g, 0x42, 0xc3);                 /* F: inc edx; ret */
	for (int k = 0; k < ncalls; k++)
		fix_rel32(g, calls[k], f);
}

static uint32_t many_blocks_eax(void)
{
	uint32_t sum = 0;
	for (uint32_t k = 0; k < MANY_BLOCKS; k++)
		sum += k * 7 + 1;
	return sum * MANY_ROUNDS;
}

static void tiny_code_budget(struct fx *f)
{
	if (f->c->jit)
		jit_set_code_limit(f->c->jit, 0); /* the least: a couple of blocks' worth */
}

TEST(flow_code_cache_full_flushes_and_grows)
{
	static struct code g;
	many_blocks(&g);
	struct outcome o;
	run_both(&g, tiny_code_budget, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], many_blocks_eax());
	CHECK_EQ(o.r[R_EDX], (uint32_t)(MANY_BLOCKS / 8 * MANY_ROUNDS));
	CHECK_EQ(o.r[R_ESP], FX_STACK);
	CHECK(o.flushes >= 2);          /* it did fill up, more than once */
	CHECK(o.code_limit >= 2 * (2u * 48 << 10)); /* and the budget grew (flushes came soon) */
	free(o.ram);
}

static void tiny_pool_budget(struct fx *f)
{
	f->c->block_pool_limit = 16u << 10;
}

TEST(flow_block_pool_full_flushes_and_grows)
{
	static struct code g;
	many_blocks(&g);
	struct outcome o;
	run_both(&g, tiny_pool_budget, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], many_blocks_eax());
	CHECK(o.flushes >= 2);
	CHECK(o.pool_limit > (16u << 10));
	CHECK(o.pool_limit <= BLOCK_POOL_SIZE);
	free(o.ram);
}

/* A new CPU starts with the small budgets: memory follows demand. */
TEST(flow_cache_budgets_start_small)
{
	struct fx *f = fx_new(RAM);
	CHECK(cpu_set_jit(f->c, true));
	CHECK_EQ(f->c->block_pool_limit, BLOCK_POOL_MIN);
	CHECK(jit_code_limit(f->c->jit) <= (8u << 20));
	CHECK_EQ(f->c->cache_flushes, 0u);
	fx_free(f);
}

/* --- indirect exits: the return-address stack and the per-site cells ------- */

/* A label's address in the guest (the code runs at FX_CODE). */
static uint32_t at(size_t off)
{
	return FX_CODE + (uint32_t)off;
}

/* CALL rel32 with the target to fix later; returns where its rel32 is. */
static size_t call_rel(struct code *g)
{
	PUT(g, 0xe8);
	size_t fix = g->n;
	put32(g, 0);
	return fix;
}

/* DEC ECX; JNZ rel32 back to loop. */
static void loop_back(struct code *g, size_t loop)
{
	PUT(g, 0x49, 0x0f, 0x85);
	put32(g, (uint32_t)(loop - (g->n + 4)));
}

/* The lookups the translated run made (struct cpu's jit_lookups). */
static uint64_t lookups_of(const struct code *g, setup_fn setup, uint64_t max)
{
	struct fx *f = fx_new(RAM);
	CHECK(cpu_set_jit(f->c, true));
	if (setup)
		setup(f);
	fx_code(f, g->b, g->n);
	fx_run(f, max);
	uint64_t n = f->c->jit_lookups;
	fx_free(f);
	return n;
}

/* 1000 rounds of CALL F and CALL G (which calls F too): after the first
 * round every RET finds its block through the return-address stack. */
TEST(flow_returns_through_the_return_address_stack)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 0xe8, 0x03, 0, 0);    /* mov ecx, 1000 */
	PUT(&g, 0x31, 0xc0);                /* xor eax, eax */
	size_t loop = g.n;
	size_t to_f = call_rel(&g);          /* L: call F */
	size_t to_g = call_rel(&g);          /* call G */
	loop_back(&g, loop);                 /* dec ecx; jnz L */
	PUT(&g, 0xf4);                      /* hlt */
	size_t f_at = g.n;
	fix_rel32(&g, to_f, f_at);
	PUT(&g, 0x40, 0xc3);                /* F: inc eax; ret */
	fix_rel32(&g, to_g, g.n);
	fix_rel32(&g, call_rel(&g), f_at);   /* G: call F */
	PUT(&g, 0x83, 0xc0, 0x02, 0xc3);    /* add eax, 2; ret */
	struct outcome o;
	run_both(&g, NULL, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], 4000u);
	CHECK_EQ(o.r[R_ESP], FX_STACK);
	free(o.ram);
	/* 3000 returns; a handful of lookups fill the cells. */
	uint64_t n = lookups_of(&g, NULL, 10000000);
	CHECK(n < 20);

	/* The budget still stops the loop within a block of it. */
	struct fx *f = fx_new(RAM);
	fx_code(f, g.b, g.n);
	uint64_t ran = fx_run(f, 1000);
	CHECK(ran >= 1000 && ran < 1000 + BLOCK_MAX_INSNS);
	fx_free(f);
}

/*
 * Recursion 40 deep (the stack holds 16: it overflows and wraps), then a
 * RET no CALL made (PUSH; RET: it underflows), 50 times.
 */
TEST(flow_return_stack_overflow_and_underflow)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 50, 0, 0, 0);         /* mov ecx, 50 */
	PUT(&g, 0x31, 0xc0);                /* xor eax, eax */
	PUT(&g, 0x31, 0xdb);                /* xor ebx, ebx */
	size_t loop = g.n;
	PUT(&g, 0xba, 40, 0, 0, 0);         /* L: mov edx, 40 */
	size_t to_r = call_rel(&g);          /* call R */
	PUT(&g, 0x68);                      /* push N */
	size_t push_n = g.n;
	put32(&g, 0);
	PUT(&g, 0xc3);                      /* ret (to N) */
	PUT(&g, 0xf4);                      /* hlt: not reached */
	uint32_t n_at = at(g.n);
	memcpy(g.b + push_n, &n_at, 4);
	PUT(&g, 0x43);                      /* N: inc ebx */
	loop_back(&g, loop);
	PUT(&g, 0xf4);                      /* hlt */
	size_t r_at = g.n;
	fix_rel32(&g, to_r, r_at);
	PUT(&g, 0x40, 0x4a);                /* R: inc eax; dec edx */
	PUT(&g, 0x74, 0x05);                /* jz out */
	fix_rel32(&g, call_rel(&g), r_at);   /* call R */
	PUT(&g, 0xc3);                      /* out: ret */
	struct outcome o;
	run_both(&g, NULL, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], 50u * 40);
	CHECK_EQ(o.r[R_EBX], 50u);
	CHECK_EQ(o.r[R_ESP], FX_STACK);
	free(o.ram);
}

/*
 * Returns the stack cannot predict: F overwrites its return address on
 * odd rounds (so the RET goes elsewhere), and each round starts with a
 * CALL whose return address is popped, not returned to (CALL $+5; POP, as
 * position-independent code does), leaving the stack one entry off.
 */
TEST(flow_return_address_overwritten_and_calls_never_returned)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 100, 0, 0, 0);        /* mov ecx, 100 */
	PUT(&g, 0x31, 0xc0);                /* xor eax, eax */
	PUT(&g, 0x31, 0xf6);                /* xor esi, esi */
	size_t loop = g.n;
	PUT(&g, 0xe8, 0, 0, 0, 0);          /* L: call $+5 */
	PUT(&g, 0x5b);                      /* pop ebx */
	PUT(&g, 0x01, 0xde);                /* add esi, ebx */
	size_t to_f = call_rel(&g);          /* call F */
	PUT(&g, 0x83, 0xc0, 0x64);          /* add eax, 100 (skipped on odd rounds) */
	size_t a_at = g.n;
	loop_back(&g, loop);                 /* A: dec ecx; jnz L */
	PUT(&g, 0xf4);                      /* hlt */
	fix_rel32(&g, to_f, g.n);
	PUT(&g, 0x40);                      /* F: inc eax */
	PUT(&g, 0xf6, 0xc1, 0x01);          /* test cl, 1 */
	PUT(&g, 0x74, 0x07);                /* jz plain */
	PUT(&g, 0xc7, 0x04, 0x24);          /* mov dword [esp], A */
	put32(&g, at(a_at));
	PUT(&g, 0xc3);                      /* plain: ret */
	struct outcome o;
	run_both(&g, NULL, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], 100u + 50 * 100);
	CHECK_EQ(o.r[R_ESI], 100u * at(loop + 5));
	CHECK_EQ(o.r[R_ESP], FX_STACK);
	free(o.ram);
}

/*
 * JMP through a register to one target (its cell hits after the first
 * round) 1000 times, then CALL through memory alternating between two
 * targets 100 times (the cell holds the last one: each round looks up).
 */
TEST(flow_indirect_jump_cells_hit_and_miss)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 0xe8, 0x03, 0, 0);    /* mov ecx, 1000 */
	PUT(&g, 0x31, 0xc0);                /* xor eax, eax */
	PUT(&g, 0xbe);                      /* mov esi, T */
	size_t mov_t = g.n;
	put32(&g, 0);
	size_t loop = g.n;
	PUT(&g, 0xff, 0xe6);                /* L: jmp esi */
	size_t back = g.n;
	loop_back(&g, loop);                 /* B: dec ecx; jnz L */
	PUT(&g, 0xb9, 100, 0, 0, 0);        /* mov ecx, 100 */
	size_t loop2 = g.n;
	PUT(&g, 0x89, 0xcb);                /* L2: mov ebx, ecx */
	PUT(&g, 0x83, 0xe3, 0x01);          /* and ebx, 1 */
	PUT(&g, 0xff, 0x14, 0x9d);          /* call [ebx*4 + TABLE] */
	size_t table_ref = g.n;
	put32(&g, 0);
	loop_back(&g, loop2);
	PUT(&g, 0xf4);                      /* hlt */
	uint32_t t = at(g.n);
	memcpy(g.b + mov_t, &t, 4);
	PUT(&g, 0x40, 0xe9);                /* T: inc eax; jmp B */
	put32(&g, (uint32_t)(back - (g.n + 4)));
	uint32_t u = at(g.n);
	PUT(&g, 0x83, 0xc0, 0x0a, 0xc3);    /* U: add eax, 10; ret */
	uint32_t v = at(g.n);
	PUT(&g, 0x83, 0xc0, 0x64, 0xc3);    /* V: add eax, 100; ret */
	while (g.n % 4)
		PUT(&g, 0xcc);
	uint32_t table = at(g.n);
	memcpy(g.b + table_ref, &table, 4);
	put32(&g, u);                       /* TABLE: U, V */
	put32(&g, v);
	struct outcome o;
	run_both(&g, NULL, 10000000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_EAX], 1000u + 50 * 10 + 50 * 100);
	free(o.ram);
	uint64_t n = lookups_of(&g, NULL, 10000000);
	CHECK(n >= 90);       /* the alternating site: a lookup nearly every round */
	CHECK(n < 100 + 30);  /* the steady one (and the returns): hardly ever */
}

/*
 * A cached target rewritten: CALL through a register to T (`mov edx, 5;
 * ret`) four times; before the third, the caller rewrites T's immediate
 * to 9.  The site's cell and the return's were filled for the old code.
 */
TEST(flow_cached_target_rewritten)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 4, 0, 0, 0);          /* mov ecx, 4 */
	PUT(&g, 0x31, 0xf6);                /* xor esi, esi */
	size_t loop = g.n;
	PUT(&g, 0x83, 0xf9, 0x02);          /* L: cmp ecx, 2 */
	PUT(&g, 0x75, 0x07);                /* jne skip */
	PUT(&g, 0xc6, 0x05);                /* mov byte [T+1], 9 */
	size_t t_ref = g.n;
	put32(&g, 0);
	PUT(&g, 0x09);
	PUT(&g, 0xb8);                      /* skip: mov eax, T */
	size_t t_ref2 = g.n;
	put32(&g, 0);
	PUT(&g, 0xff, 0xd0);                /* call eax */
	PUT(&g, 0x01, 0xd6);                /* add esi, edx */
	loop_back(&g, loop);
	PUT(&g, 0xf4);                      /* hlt */
	g.n = 0x1800;                        /* T on another page */
	uint32_t t = at(g.n), t1 = t + 1;
	memcpy(g.b + t_ref, &t1, 4);
	memcpy(g.b + t_ref2, &t, 4);
	PUT(&g, 0xba, 5, 0, 0, 0, 0xc3);    /* T: mov edx, 5; ret */
	struct outcome o;
	run_both(&g, NULL, 100000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_ESI], 5u + 5 + 9 + 9);
	free(o.ram);
}

/*
 * A cached target remapped: paging on, T's linear page maps PHYS_A
 * (`mov edx, 1; ret`), then PHYS_B (`mov edx, 2; ret`), flushed with
 * INVLPG; then back to PHYS_A, flushed by reloading CR3.
 */
#define PG_DIR 0x180000u
#define PG_LOW 0x181000u
#define PG_PT 0x182000u
#define LIN_T 0x4a0000u /* PDE 1, PTE 0xa0 */
#define PHYS_A 0x1a0000u
#define PHYS_B 0x1a1000u

static void paging_two_frames(struct fx *f)
{
	for (uint32_t p = 0; p < 1024; p++)
		fx_write32(f, PG_LOW + p * 4, (p << 12) | 3);
	fx_write32(f, PG_DIR + 0, PG_LOW | 3);
	fx_write32(f, PG_DIR + 4, PG_PT | 3);
	fx_write32(f, PG_PT + 0xa0 * 4, PHYS_A | 3);
	static const uint8_t a[] = { 0xba, 1, 0, 0, 0, 0xc3 }, b[] = { 0xba, 2, 0, 0, 0, 0xc3 };
	memcpy(f->ram + PHYS_A, a, sizeof(a));
	memcpy(f->ram + PHYS_B, b, sizeof(b));
	cpu_set_cr3(f->c, PG_DIR);
	cpu_set_cr0(f->c, f->c->cr0 | CR0_PG);
}

TEST(flow_cached_target_remapped)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0x31, 0xf6);                     /* xor esi, esi */
	PUT(&g, 0xbf, 0, 0, 0x4a, 0);            /* mov edi, LIN_T */
	PUT(&g, 0xb9, 9, 0, 0, 0);               /* mov ecx, 9 */
	size_t loop = g.n;
	PUT(&g, 0xff, 0xd7, 0x01, 0xd6);         /* L: call edi; add esi, edx */
	PUT(&g, 0x83, 0xf9, 0x07);               /* cmp ecx, 7 */
	PUT(&g, 0x75, 0x0d);                     /* jne 1f */
	PUT(&g, 0xc7, 0x05);                     /* mov dword [PTE], PHYS_B | 3 */
	put32(&g, PG_PT + 0xa0 * 4);
	put32(&g, PHYS_B | 3);
	PUT(&g, 0x0f, 0x01, 0x3f);               /* invlpg [edi] */
	PUT(&g, 0x83, 0xf9, 0x04);               /* 1: cmp ecx, 4 */
	PUT(&g, 0x75, 0x10);                     /* jne 2f */
	PUT(&g, 0xc7, 0x05);                     /* mov dword [PTE], PHYS_A | 3 */
	put32(&g, PG_PT + 0xa0 * 4);
	put32(&g, PHYS_A | 3);
	PUT(&g, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8); /* mov eax, cr3; mov cr3, eax */
	loop_back(&g, loop);                      /* 2: dec ecx; jnz L */
	PUT(&g, 0xf4);
	struct outcome o;
	run_both(&g, paging_two_frames, 100000, &o);
	CHECK_EQ(o.exc, -1);
	/* ECX 9..7 PHYS_A, 6..4 PHYS_B, 3..1 PHYS_A. */
	CHECK_EQ(o.r[R_ESI], 3u * 1 + 3 * 2 + 3 * 1);
	free(o.ram);
}

/*
 * A popped cell made for another mode: F returns with a flat DS twice
 * (filling the return's cell with a block translated for a flat DS), then
 * loads DS with a segment based at 0x1000 (selector 0x48) and returns to
 * the same EIP.  The block there must be the one for the new mode, whose
 * load from DS:0x20000 reads linear 0x21000, not the cached flat one.
 */
static void based_ds(struct fx *f)
{
	fx_set_desc(f, 9, 0x1000, 0xfffff, 0xc093); /* data32, base 0x1000, 4 GiB */
	fx_write32(f, 0x20000, 0x11111111u);
	fx_write32(f, 0x21000, 0x22222222u);
}

TEST(flow_return_stack_cell_of_another_mode)
{
	static struct code g;
	g.n = 0;
	PUT(&g, 0xb9, 3, 0, 0, 0);          /* mov ecx, 3 */
	PUT(&g, 0x31, 0xf6);                /* xor esi, esi */
	size_t loop = g.n;
	size_t to_f = call_rel(&g);          /* L: call F */
	PUT(&g, 0xa1, 0x00, 0x00, 0x02, 0); /* R: mov eax, [0x20000] */
	PUT(&g, 0x01, 0xc6);                /* add esi, eax */
	loop_back(&g, loop);
	PUT(&g, 0xf4);                      /* hlt */
	fix_rel32(&g, to_f, g.n);
	PUT(&g, 0x83, 0xf9, 0x01);          /* F: cmp ecx, 1 */
	PUT(&g, 0x75, 0x06);                /* jne plain */
	PUT(&g, 0x66, 0xb8, 0x48, 0x00);    /* mov ax, 0x48 */
	PUT(&g, 0x8e, 0xd8);                /* mov ds, ax */
	PUT(&g, 0xc3);                      /* plain: ret */
	struct outcome o;
	run_both(&g, based_ds, 100000, &o);
	CHECK_EQ(o.exc, -1);
	CHECK_EQ(o.r[R_ESI], 0x11111111u * 2 + 0x22222222u);
	free(o.ram);
}
