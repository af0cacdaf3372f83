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

#include "cpu_fixture.h"
#include "engine/soft/jit.h"
#include "t.h"

#define RAM (1u << 21)

struct gen {
	uint8_t b[0x40000];
	size_t n;
};

static void emit(struct gen *g, const void *bytes, size_t n)
{
	if (g->n + n <= sizeof(g->b)) {
		memcpy(g->b + g->n, bytes, n);
		g->n += n;
	}
}

#define EMIT(g, ...) emit((g), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void emit32(struct gen *g, uint32_t v)
{
	emit(g, &v, 4);
}

/* A rel32 at `at` (the offset in g of its 4 bytes) to offset `to`. */
static void fix_rel32(struct gen *g, size_t at, size_t to)
{
	uint32_t rel = (uint32_t)(to - (at + 4));
	memcpy(g->b + at, &rel, 4);
}

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

static void run_one(const struct gen *g, setup_fn setup, bool jit, uint64_t max, struct outcome *o)
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
static void run_both(const struct gen *g, setup_fn setup, uint64_t max, struct outcome *t)
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
static void many_blocks(struct gen *g)
{
	g->n = 0;
	EMIT(g, 0xb9, MANY_ROUNDS, 0, 0, 0); /* mov ecx, MANY_ROUNDS */
	EMIT(g, 0x31, 0xc0);                 /* xor eax, eax */
	EMIT(g, 0x31, 0xd2);                 /* xor edx, edx */
	size_t loop = g->n, calls[MANY_BLOCKS];
	int ncalls = 0;
	for (int k = 0; k < MANY_BLOCKS; k++) {
		EMIT(g, 0x05);               /* add eax, imm32 */
		emit32(g, (uint32_t)k * 7 + 1);
		if (k % 8 == 7) {
			EMIT(g, 0xe8);       /* call F */
			calls[ncalls++] = g->n;
			emit32(g, 0);
		} else {
			EMIT(g, 0xeb, 0x00); /* jmp $+2 */
		}
	}
	EMIT(g, 0x49);                       /* dec ecx */
	EMIT(g, 0x0f, 0x85);                 /* jnz loop */
	emit32(g, (uint32_t)(loop - (g->n + 4)));
	EMIT(g, 0xf4);                       /* hlt */
	size_t f = g->n;
	EMIT(g, 0x42, 0xc3);                 /* F: inc edx; ret */
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
	static struct gen g;
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
	static struct gen g;
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
