/*
 * The translated string instructions (jit_string.c) against the
 * interpreter (string.c): MOVS, STOS, LODS, CMPS and SCAS in every size,
 * alone and with REP/REPE/REPNE, over counts on both sides of the inline
 * limit, with DF set and clear, 16-bit addressing, a segment override,
 * a segment whose limit the string runs past, page faults in the middle
 * of a string (ECX, ESI, EDI and CR2 must say where), the instruction
 * budget stopping a run part-way, a string that rewrites the code it
 * runs in, and an interrupt arriving while a long REP runs.
 *
 * ediff.c runs each case both ways and fails on any difference in
 * registers, EIP, EFLAGS, CR2, the exception, the instruction count or
 * RAM, or on a block the translator refused; each test also checks
 * absolute results so both engines being wrong the same way fails too.
 */
#include <string.h>

#include "cpu_fixture.h"
#include "ediff.h"
#include "engine/machine.h"
#include "engine/soft/jit.h"
#include "t.h"

#define SRC (EDIFF_DATA + 0x100)
#define DST (EDIFF_DATA + 0x1100)

static uint8_t data[EDIFF_DATA_MAX];

/* SRC and DST hold the same bytes (nonzero, the first 40 of DST zero
 * for SCAS) but for DST's bytes 23 and 200, so REPE CMPS stops there. */
static void fill_data(void)
{
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 7 + 3) | 1;
	memcpy(data + (DST - EDIFF_DATA), data + (SRC - EDIFF_DATA), 0x800);
	memset(data + (DST - EDIFF_DATA), 0, 40);
	memset(data + (SRC - EDIFF_DATA), 0, 40);
	data[DST - EDIFF_DATA + 23] = 0x55;
	data[DST - EDIFF_DATA + 200] = 0x66;
}

/* Runs code both ways; requires agreement; returns the final state. */
static struct ediff_state run(const uint8_t *code, size_t n, const uint32_t r[8], uint32_t eflags, bool paging,
			      uint64_t budget)
{
	fill_data();
	struct ediff_case c = { .code = code, .code_len = n, .eflags = eflags, .data = data,
				.data_len = sizeof(data), .paging = paging, .budget = budget };
	memcpy(c.r, r, sizeof(c.r));
	char why[300] = "";
	struct ediff_state s;
	int rc = ediff_run(&c, &s, why, sizeof(why));
	if (rc)
		t_fail(__FILE__, __LINE__, "code %02x %02x %02x ecx %#x df %d: %s", code[0], n > 1 ? code[1] : 0,
		       n > 2 ? code[2] : 0, r[R_ECX], !!(eflags & FL_DF), why);
	return s;
}

static void regs(uint32_t r[8], uint32_t eax, uint32_t ecx, uint32_t esi, uint32_t edi)
{
	memset(r, 0, 8 * sizeof(r[0]));
	r[R_EAX] = eax;
	r[R_ECX] = ecx;
	r[R_ESI] = esi;
	r[R_EDI] = edi;
	r[R_ESP] = FX_STACK;
}

/* The string opcodes: byte form, then the word/dword form is +1. */
static const uint8_t str_ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };

TEST(xl_string_single_every_op_size_and_direction)
{
	for (size_t o = 0; o < sizeof(str_ops); o++)
		for (int form = 0; form < 3; form++)
			for (int df = 0; df < 2; df++) {
				uint8_t code[4];
				size_t n = 0;
				if (form == 1)
					code[n++] = 0x66;
				code[n++] = (uint8_t)(str_ops[o] + (form > 0));
				/* twice: the second runs from the registers the first left */
				memcpy(code + n, code, n);
				n *= 2;
				uint32_t r[8];
				regs(r, 0x11223344, 7, SRC + 0x80, DST + 0x80);
				struct ediff_state s = run(code, n, r, df ? FL_DF : 0, false, 1000);
				int size = form == 0 ? 1 : form == 1 ? 2 : 4;
				int32_t step = df ? -size : size;
				uint8_t op = str_ops[o];
				bool uses_si = op == 0xa4 || op == 0xa6 || op == 0xac;
				bool uses_di = op != 0xac;
				CHECK_EQ(s.exc, -1);
				CHECK_EQ(s.r[R_ESI], uses_si ? SRC + 0x80 + 2 * step : SRC + 0x80);
				CHECK_EQ(s.r[R_EDI], uses_di ? DST + 0x80 + 2 * step : DST + 0x80);
				CHECK_EQ(s.r[R_ECX], 7); /* no REP: ECX untouched */
			}
}

/* REP over counts around the inline limits (16 for moves, 256 for
 * compares), both REPE and REPNE, both directions, every size. */
TEST(xl_string_rep_counts)
{
	static const uint32_t counts[] = { 0, 1, 2, 5, 15, 16, 17, 100, 255, 256, 257, 3000 };
	static const uint8_t reps[] = { 0xf3, 0xf2 };
	for (size_t o = 0; o < sizeof(str_ops); o++)
		for (int form = 0; form < 3; form++)
			for (size_t p = 0; p < 2; p++)
				for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
					for (int df = 0; df < 2; df++) {
						uint8_t code[4];
						size_t n = 0;
						if (form == 1)
							code[n++] = 0x66;
						code[n++] = reps[p];
						code[n++] = (uint8_t)(str_ops[o] + (form > 0));
						uint32_t r[8];
						/* DF: start high and walk down */
						uint32_t si = df ? SRC + 0x3000 : SRC, di = df ? DST + 0x3000 : DST;
						regs(r, 0, counts[k], si, di);
						struct ediff_state s = run(code, n, r, FL_CF | (df ? FL_DF : 0), false, 100000);
						CHECK_EQ(s.exc, -1);
						CHECK(s.halted);
						uint8_t op = str_ops[o];
						bool cmp = op == 0xa6 || op == 0xae;
						if (!cmp)
							CHECK_EQ(s.r[R_ECX], 0);
						else if (counts[k] == 0)
							CHECK_EQ(s.eflags & FL_CF, FL_CF); /* flags kept */
					}
}

/* Absolute results of the inline REPs: the copy and the fill are done,
 * and REPE CMPSB stops just past the first difference (DST's byte 200,
 * the 25th compared). */
TEST(xl_string_rep_results)
{
	static const uint8_t code[] = {
		0xf3, 0xa5,                   /* rep movsd (ECX=4) */
		0xb9, 0x03, 0x00, 0x00, 0x00, /* mov ecx, 3 */
		0xf3, 0xab,                   /* rep stosd */
		0x8b, 0x1d, 0x00, 0x11, 0x02, 0x00, /* mov ebx, [DST] */
		0x8b, 0x15, 0x14, 0x11, 0x02, 0x00, /* mov edx, [DST+20] */
		0xbe, 0xb0, 0x01, 0x02, 0x00, /* mov esi, SRC+0xb0 */
		0xbf, 0xb0, 0x11, 0x02, 0x00, /* mov edi, DST+0xb0 */
		0xb9, 0x40, 0x00, 0x00, 0x00, /* mov ecx, 64 */
		0xf3, 0xa6,                   /* repe cmpsb */
	};
	uint32_t r[8];
	regs(r, 0xa5a5a5a5, 4, SRC + 0x40, DST);
	struct ediff_state s = run(code, sizeof(code), r, 0, false, 1000);
	CHECK_EQ(s.exc, -1);
	CHECK_EQ(s.r[R_EBX], (uint32_t)(data[SRC - EDIFF_DATA + 0x40] | data[SRC - EDIFF_DATA + 0x41] << 8 |
					 data[SRC - EDIFF_DATA + 0x42] << 16 | (uint32_t)data[SRC - EDIFF_DATA + 0x43] << 24));
	CHECK_EQ(s.r[R_EDX], 0xa5a5a5a5u); /* DST+16..27: the fill */
	CHECK_EQ(s.r[R_ECX], 64 - 25);
	CHECK_EQ(s.r[R_ESI], SRC + 0xb0 + 25);
	CHECK_EQ(s.eflags & FL_ZF, 0);
}

/* 16-bit addressing (SI, DI, CX) and an FS override stay correct (they
 * go to the handler or through the run-time segment check). */
TEST(xl_string_a16_and_override)
{
	static const uint8_t a16[] = { 0x67, 0xf3, 0xa4, 0x67, 0xa5, 0x67, 0xf3, 0xa6 };
	uint32_t r[8];
	regs(r, 0, 0xabcd0005, 0x77770100, 0x88880300);
	struct ediff_state s = run(a16, sizeof(a16), r, 0, false, 1000);
	CHECK_EQ(s.r[R_ECX] >> 16, 0xabcd); /* CX only */
	CHECK_EQ(s.r[R_ESI], 0x77770100 + 5 + 4);
	static const uint8_t fs[] = { 0x64, 0xa5, 0x64, 0xf3, 0xa4, 0x64, 0xac, 0x64, 0xf3, 0xa6 };
	regs(r, 0, 9, SRC, DST);
	s = run(fs, sizeof(fs), r, 0, false, 1000);
	CHECK_EQ(s.exc, -1);
	CHECK_EQ(s.r[R_EDI], DST + 4 + 9);
}

/* ES loaded with the fixture's expand-down data segment (limit 0xfff:
 * offsets up to 0xfff are outside it): STOS at offset 0x800 is #GP, at
 * 0x1800 it runs; the mode's flat-ES bit no longer holds. */
TEST(xl_string_segment_limit)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0x40, 0x00,             /* mov ax, 0x40 */
		0x8e, 0xc0,                         /* mov es, ax */
		0xbf, 0x00, 0x18, 0x00, 0x00,       /* mov edi, 0x1800 */
		0xf3, 0xaa,                         /* rep stosb (ECX=3) */
		0xbf, 0xfe, 0x0f, 0x00, 0x00,       /* mov edi, 0xffe */
		0xaa,                               /* stosb: 0xffe is outside */
	};
	uint32_t r[8];
	regs(r, 0, 3, SRC, DST);
	struct ediff_state s = run(code, sizeof(code), r, 0, false, 1000);
	CHECK_EQ(s.exc, EXC_GP);
	CHECK_EQ(s.r[R_EDI], 0xffe);
	CHECK_EQ(s.r[R_ECX], 0);
}

/* Page faults part-way through a string: the remaining count, the
 * indices and CR2 describe the element that faulted. */
TEST(xl_string_page_fault_mid_string)
{
	static const uint8_t stosd[] = { 0xf3, 0xab };
	uint32_t r[8];
	regs(r, 0x12345678, 6, SRC, EDIFF_ABSENT_PAGE - 8);
	struct ediff_state s = run(stosd, sizeof(stosd), r, 0, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_ECX], 4);
	CHECK_EQ(s.r[R_EDI], EDIFF_ABSENT_PAGE);
	CHECK_EQ(s.cr2, EDIFF_ABSENT_PAGE);

	/* MOVSD walking down (DF) into the read-only page from the page
	 * above it: the third element's store faults */
	static const uint8_t movsd[] = { 0xf3, 0xa5 };
	regs(r, 0, 3, SRC + 0x3000, EDIFF_RO_PAGE + 0x1004);
	s = run(movsd, sizeof(movsd), r, FL_DF, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_ECX], 1);
	CHECK_EQ(s.r[R_ESI], SRC + 0x3000 - 8);
	CHECK_EQ(s.cr2, EDIFF_RO_PAGE + 0xffc);
	/* and forward from inside it */
	regs(r, 0, 3, SRC, EDIFF_RO_PAGE + 0x8);
	s = run(movsd, sizeof(movsd), r, 0, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_ECX], 3);
	CHECK_EQ(s.cr2, EDIFF_RO_PAGE + 0x8);

	/* an element across the end of a page, the source faulting */
	static const uint8_t lodsd[] = { 0xad };
	regs(r, 0, 0, EDIFF_ABSENT_PAGE - 2, DST);
	s = run(lodsd, sizeof(lodsd), r, 0, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_ESI], EDIFF_ABSENT_PAGE - 2);

	/* walking down (DF) into the absent page from above */
	static const uint8_t repe_cmpsb[] = { 0xf3, 0xa6 };
	regs(r, 0, 10, EDIFF_ABSENT_PAGE + 0x1002, EDIFF_ABSENT_PAGE + 0x1002);
	s = run(repe_cmpsb, sizeof(repe_cmpsb), r, FL_DF, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);

	/* REPNE SCASB running off the end of a present page */
	static const uint8_t repne_scasb[] = { 0xf2, 0xae };
	regs(r, 0x100, 200, SRC, EDIFF_ABSENT_PAGE - 3);
	s = run(repne_scasb, sizeof(repne_scasb), r, 0, true, 1000);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_EDI], EDIFF_ABSENT_PAGE);
	CHECK_EQ(s.r[R_ECX], 197);
}

/* The instruction budget stops a run with the same count either way,
 * inside a loop of short inline REPs and in a long REP the handler
 * slices. */
TEST(xl_string_budget)
{
	static const uint8_t loop[] = {
		0xb9, 0x10, 0x00, 0x00, 0x00, /* top: mov ecx, 16 */
		0xbf, 0x00, 0x11, 0x02, 0x00, /* mov edi, DST */
		0xf3, 0xab,                   /* rep stosd */
		0xeb, 0xf2,                   /* jmp top */
	};
	uint32_t r[8];
	for (uint64_t budget = 1; budget < 40; budget += 3) {
		regs(r, 1, 0, SRC, DST);
		struct ediff_state s = run(loop, sizeof(loop), r, 0, false, budget);
		CHECK(!s.halted);
	}
	/* The first REP STOSD fills the TLB with its 20 pages; the second,
	 * over the same pages, must still stop part-way as the
	 * interpreter's does (the handler slices it; an inline loop would
	 * not). */
	static const uint8_t long_rep[] = {
		0xf3, 0xab,                   /* rep stosd */
		0xb9, 0x20, 0x4e, 0x00, 0x00, /* mov ecx, 20000 */
		0xbf, 0x00, 0x00, 0x02, 0x00, /* mov edi, EDIFF_DATA */
		0xf3, 0xab,                   /* rep stosd */
	};
	regs(r, 2, 20000, SRC, EDIFF_DATA);
	struct ediff_state s = run(long_rep, sizeof(long_rep), r, 0, false, 25000);
	CHECK(s.r[R_ECX] > 0 && s.r[R_ECX] < 20000); /* stopped part-way */
	CHECK_EQ(s.eip, EDIFF_CODE + 12);
}

/* A string that rewrites the code it runs in: STOSB and REP MOVSB turn
 * the INC EDX at `l` into a NOP; the second time round it must be gone. */
TEST(xl_string_self_modifying_code)
{
	/* EDI, ESI are set by the code itself */
	static const uint8_t stos[] = {
		0x31, 0xd2,                         /* xor edx, edx */
		0xbb, 0x02, 0x00, 0x00, 0x00,       /* mov ebx, 2 */
		0xb8, 0x90, 0x00, 0x00, 0x00,       /* mov eax, 0x90 */
		0x42,                               /* l: inc edx (at 0x1000c) */
		0xbf, 0x0c, 0x00, 0x01, 0x00,       /* mov edi, l */
		0xaa,                               /* stosb */
		0x4b,                               /* dec ebx */
		0x75, 0xf5,                         /* jnz l */
	};
	uint32_t r[8];
	regs(r, 0, 0, SRC, DST);
	struct ediff_state s = run(stos, sizeof(stos), r, 0, false, 1000);
	CHECK_EQ(s.exc, -1);
	CHECK_EQ(s.r[R_EDX], 1);

	static const uint8_t movs[] = {
		0x31, 0xd2,                         /* xor edx, edx */
		0xbb, 0x02, 0x00, 0x00, 0x00,       /* mov ebx, 2 */
		0xc6, 0x05, 0x00, 0x01, 0x02, 0x00, 0x90, /* mov byte [SRC], 0x90 */
		0x42,                               /* l: inc edx (at 0x1000e) */
		0xbe, 0x00, 0x01, 0x02, 0x00,       /* mov esi, SRC */
		0xbf, 0x0e, 0x00, 0x01, 0x00,       /* mov edi, l */
		0xb9, 0x01, 0x00, 0x00, 0x00,       /* mov ecx, 1 */
		0xf3, 0xa4,                         /* rep movsb */
		0x4b,                               /* dec ebx */
		0x75, 0xe9,                         /* jnz l */
	};
	s = run(movs, sizeof(movs), r, 0, false, 1000);
	CHECK_EQ(s.exc, -1);
	CHECK_EQ(s.r[R_EDX], 1);
}

/* --- an interrupt while strings run ------------------------------------- */

struct pending_intr {
	int polls, acks;
	int stop;
};

/* Raised from the second time the run loop asks: the first is right
 * after STI's shadow, before the long REP starts. */
static bool p_pending(void *ctx)
{
	struct pending_intr *m = ctx;
	return ++m->polls >= 2 && m->acks == 0;
}

static int p_ack(void *ctx)
{
	((struct pending_intr *)ctx)->acks++;
	return 0x40;
}

static uint64_t p_clock(void *ctx)
{
	(void)ctx;
	return 0;
}

static void p_shutdown(void *ctx, const char *msg)
{
	(void)ctx, (void)msg;
}

/* STI, short inline REPs, then a REP STOSD of 100,000 dwords: the
 * interrupt is taken at the first point the run loop samples it (inside
 * the long REP, which yields every REP_SLICE elements), at the same
 * element both ways. */
static void run_interrupted(bool jit, uint32_t out[8], int *exc)
{
	struct pending_intr m = { 0, 0, 0 };
	struct machine mach = { .ctx = &m, .stop = &m.stop, .intr_pending = p_pending, .intr_ack = p_ack,
				.clock_ns = p_clock, .shutdown = p_shutdown };
	struct fx *f = fx_new_in(1u << 21, &mach);
	CHECK(cpu_set_jit(f->c, jit));
	static const uint8_t code[] = {
		0xb9, 0x08, 0x00, 0x00, 0x00, /* mov ecx, 8 */
		0xbe, 0x00, 0x01, 0x02, 0x00, /* mov esi, SRC */
		0xbf, 0x00, 0x11, 0x02, 0x00, /* mov edi, DST */
		0xfb,                         /* sti */
		0xf3, 0xa5,                   /* rep movsd */
		0xb9, 0xa0, 0x86, 0x01, 0x00, /* mov ecx, 100000 */
		0xbf, 0x00, 0x00, 0x10, 0x00, /* mov edi, 0x100000 */
		0xf3, 0xab,                   /* rep stosd */
		0xf4,
	};
	fx_code(f, code, sizeof(code));
	fx_run(f, 1000000);
	memcpy(out, f->c->r, 8 * sizeof(out[0]));
	*exc = fx_exception(f);
	CHECK_EQ(m.acks, 1);
	if (jit)
		CHECK_EQ(jit_refused(f->c->jit), (uint64_t)0);
	fx_free(f);
}

TEST(xl_string_interrupt_during_rep)
{
	uint32_t a[8], b[8];
	int ea, eb;
	run_interrupted(false, a, &ea);
	run_interrupted(true, b, &eb);
	CHECK_EQ(ea, 0x40);
	CHECK_EQ(eb, 0x40);
	for (int r = 0; r < 8; r++)
		CHECK_EQ(b[r], a[r]);
	CHECK(a[R_ECX] > 0 && a[R_ECX] < 100000); /* interrupted mid-string */
	CHECK_EQ(a[R_ESI], SRC + 32);
}
