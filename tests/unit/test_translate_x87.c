/*
 * The translated x87 (jit_fpu.c) against the interpreter, on fixed code:
 * an awk-like loop of the translated forms with a known result, #NM from
 * CR0.TS and CR0.EM at a translated instruction, and an unmasked
 * exception reported by the next waiting instruction (#MF with CR0.NE,
 * an IRQ 13 pulse on FERR without it).  Both runs must agree on the
 * registers, EIP, EFLAGS, the exception, RAM, the x87 state and the FERR
 * pulses, and every block must really be translated.  (test_diff.c does
 * the same on random sequences, page faults in the middle of blocks
 * included.)
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "engine/soft/fpu.h"
#include "engine/soft/jit.h"
#include "engine/soft/ops.h"
#include "t.h"

#define RAM (1u << 21)
#define D FX_DATA

struct x87_run {
	uint32_t r[8], eip, eflags;
	int exc, ferr;
	struct fpu fpu;
	uint8_t *ram;
};

struct x87_setup {
	uint32_t cr0_set, cr0_clear;
	uint16_t cw; /* 0: the reset state's */
};

static int ferr_pulses;

static void count_ferr(void *ctx)
{
	(void)ctx;
	ferr_pulses++;
}

static void put_f64(struct fx *f, uint32_t pa, double v)
{
	memcpy(f->ram + pa, &v, 8);
}

static void run_x87(const uint8_t *code, size_t n, const struct x87_setup *s, bool jit, struct x87_run *out)
{
	struct fx *f = fx_new(RAM);
	CHECK(cpu_set_jit(f->c, jit));
	f->c->mach.ferr = count_ferr;
	ferr_pulses = 0;
	fx_write32(f, D, 1);
	put_f64(f, D + 8, 0.5);
	put_f64(f, D + 16, 1.25);
	if (s->cr0_set || s->cr0_clear)
		cpu_set_cr0(f->c, (f->c->cr0 | s->cr0_set) & ~s->cr0_clear);
	if (s->cw)
		fpu_load_cw(&f->c->fpu, s->cw);
	fx_code(f, code, n);
	fx_run(f, 100000);
	if (jit)
		CHECK_EQ(jit_refused(f->c->jit), (uint64_t)0);
	memcpy(out->r, f->c->r, sizeof(out->r));
	out->eip = f->c->eip;
	out->eflags = cpu_get_eflags(f->c);
	out->exc = fx_exception(f);
	out->ferr = ferr_pulses;
	out->fpu = f->c->fpu;
	out->ram = malloc(RAM);
	memcpy(out->ram, f->ram, RAM);
	fx_free(f);
}

/* Runs both ways, checks they agree, returns the translated run. */
static void run_both_x87(const uint8_t *code, size_t n, const struct x87_setup *s, struct x87_run *b)
{
	struct x87_run a;
	run_x87(code, n, s, false, &a);
	run_x87(code, n, s, true, b);
	for (int r = 0; r < 8; r++)
		CHECK_EQ(b->r[r], a.r[r]);
	CHECK_EQ(b->eip, a.eip);
	CHECK_EQ(b->eflags, a.eflags);
	CHECK_EQ(b->exc, a.exc);
	CHECK_EQ(b->ferr, a.ferr);
	CHECK_EQ(b->fpu.cw, a.fpu.cw);
	CHECK_EQ(b->fpu.sw, a.fpu.sw);
	CHECK_EQ(b->fpu.tw, a.fpu.tw);
	CHECK_EQ(b->fpu.fip, a.fpu.fip);
	CHECK_EQ(b->fpu.fdp, a.fpu.fdp);
	CHECK_EQ(b->fpu.fop, a.fpu.fop);
	for (int p = 0; p < 8; p++)
		if (fpu_tag(&a.fpu, p) != TAG_EMPTY)
			CHECK(memcmp(&a.fpu.st[p], &b->fpu.st[p], EXT80) == 0);
	CHECK(memcmp(a.ram, b->ram, RAM) == 0);
	free(a.ram);
}

#define A32(a) (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24)

/* s = sum over i = 1..50 of x / (x + 1.25), x = i * 0.5, in extended
 * precision, as awk's loop does it (bench/workloads.sh). */
static const uint8_t awk_loop[] = {
	0xb9, 0x32, 0x00, 0x00, 0x00, /* mov ecx, 50 */
	0xd9, 0xee,                   /* fldz */
	/* loop: */
	0xdb, 0x05, A32(D),           /* fild dword [D] */
	0xdc, 0x0d, A32(D + 8),       /* fmul qword [D+8] */
	0xd9, 0xc0,                   /* fld st(0) */
	0xdc, 0x05, A32(D + 16),      /* fadd qword [D+16] */
	0xde, 0xf9,                   /* fdivp st(1), st */
	0xde, 0xc1,                   /* faddp st(1), st */
	0xd9, 0xe8,                   /* fld1 */
	0xdf, 0xe9,                   /* fucomip st, st(1) */
	0x0f, 0x92, 0xc3,             /* setb bl: 1 < s */
	0xdd, 0x15, A32(D + 24),      /* fst qword [D+24] */
	0xdd, 0x05, A32(D + 24),      /* fld qword [D+24] */
	0xd9, 0xc9,                   /* fxch st(1) */
	0xdd, 0xd9,                   /* fstp st(1) */
	0xdf, 0xe0,                   /* fnstsw ax */
	0xff, 0x05, A32(D),           /* inc dword [D] */
	0x49,                         /* dec ecx */
	0x75, 0xc6,                   /* jnz loop */
	0xdd, 0x1d, A32(D + 32),      /* fstp qword [D+32] */
	0xf4,                         /* hlt */
};

TEST(translate_x87_awk_loop)
{
	_Static_assert(sizeof(awk_loop) == 7 + 58 + 7, "the jnz displacement");
	struct x87_setup s = { 0 };
	struct x87_run b;
	run_both_x87(awk_loop, sizeof(awk_loop), &s, &b);
	CHECK_EQ(b.exc, -1);
	long double sum = 0;
	for (int i = 1; i <= 50; i++) {
		long double x = (long double)i * 0.5L;
		long double y = x + 1.25L;
		sum += x / y;
	}
	double want = (double)sum, got;
	memcpy(&got, b.ram + D + 32, 8);
	CHECK(got == want);
	CHECK_EQ(b.r[R_EBX] & 0xff, 1);           /* the last compare: 1 < s */
	CHECK_EQ(b.fpu.tw, 0xffff);               /* the stack is empty again */
	CHECK_EQ(b.fpu.fip, FX_CODE + 7 + 58);    /* the last x87 instruction */
	CHECK_EQ(b.fpu.fdp, D + 32);
	free(b.ram);
}

static const uint8_t after_a_mov[] = {
	0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
	0xdd, 0x05, A32(D + 8),       /* fld qword [D+8]: #NM */
	0xb8, 0x02, 0x00, 0x00, 0x00, /* mov eax, 2 */
	0xf4,
};

TEST(translate_x87_nm_from_ts_and_em)
{
	static const uint32_t bits[] = { CR0_TS, CR0_EM, CR0_TS | CR0_MP };
	for (size_t k = 0; k < sizeof(bits) / sizeof(bits[0]); k++) {
		struct x87_setup s = { .cr0_set = bits[k] };
		struct x87_run b;
		run_both_x87(after_a_mov, sizeof(after_a_mov), &s, &b);
		CHECK_EQ(b.exc, EXC_NM);
		CHECK_EQ(b.r[R_EAX], 1);
		CHECK_EQ(b.fpu.tw, 0xffff); /* nothing loaded */
		free(b.ram);
	}
}

/* 1/0 with ZE unmasked: the flag and ES are set, and the next waiting
 * instructions report it. */
static const uint8_t divide_by_zero[] = {
	0xd9, 0xe8,                   /* fld1 */
	0xd9, 0xee,                   /* fldz */
	0xde, 0xf9,                   /* fdivp st(1), st: ZE */
	0xb8, 0x02, 0x00, 0x00, 0x00, /* mov eax, 2 */
	0xdd, 0x05, A32(D + 8),       /* fld qword [D+8]: reports it */
	0xdc, 0x05, A32(D + 16),      /* fadd qword [D+16]: and again */
	0xdf, 0xe0,                   /* fnstsw ax: no wait */
	0xf4,
};

TEST(translate_x87_pending_exception_mf_and_ferr)
{
	struct x87_setup mf = { .cw = 0x037b };
	struct x87_run b;
	run_both_x87(divide_by_zero, sizeof(divide_by_zero), &mf, &b);
	CHECK_EQ(b.exc, EXC_MF);
	CHECK_EQ(b.r[R_EAX], 2);
	CHECK_EQ(b.ferr, 0); /* #MF, not IRQ 13 */
	CHECK(b.fpu.sw & FSW_ZE);
	free(b.ram);

	struct x87_setup irq = { .cw = 0x037b, .cr0_clear = CR0_NE };
	run_both_x87(divide_by_zero, sizeof(divide_by_zero), &irq, &b);
	CHECK_EQ(b.exc, -1);
	CHECK_EQ(b.ferr, 2); /* one pulse per waiting instruction */
	CHECK_EQ(b.r[R_EAX] & 0xffff, b.fpu.sw);
	free(b.ram);
}
