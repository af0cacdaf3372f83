/*
 * The small instructions translated inline for their frequency in the
 * profiled workloads (bench/RESULTS.md): BSWAP, XCHG (accumulator,
 * register and memory forms), CLD and STD, against the interpreter
 * (ediff.c: registers, flags, memory, faults, instruction count), with
 * absolute results.
 */
#include <string.h>

#include "cpu_fixture.h"
#include "ediff.h"
#include "t.h"

static struct ediff_state run(const uint8_t *code, size_t n, const uint32_t r[8], uint32_t eflags, bool paging)
{
	static uint8_t data[0x1000];
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 13 + 1);
	struct ediff_case c = { .code = code, .code_len = n, .eflags = eflags, .data = data,
				.data_len = sizeof(data), .paging = paging, .budget = 1000 };
	memcpy(c.r, r, sizeof(c.r));
	char why[300] = "";
	struct ediff_state s;
	if (ediff_run(&c, &s, why, sizeof(why)))
		t_fail(__FILE__, __LINE__, "code %02x %02x: %s", code[0], n > 1 ? code[1] : 0, why);
	return s;
}

static const uint32_t init[8] = { 0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00,
				  FX_STACK, 0x01020304, EDIFF_DATA + 0x10, EDIFF_DATA + 0x20 };

TEST(xl_misc_bswap_every_register)
{
	for (int r = 0; r < 8; r++) {
		uint8_t code[] = { 0x0f, (uint8_t)(0xc8 + r), 0x66, 0x0f, (uint8_t)(0xc8 + (r + 1) % 8) };
		struct ediff_state s = run(code, sizeof(code), init, 0, false);
		CHECK_EQ(s.r[r], __builtin_bswap32(init[r]));
		int w = (r + 1) % 8; /* BSWAP r16: P6 clears the word (the handler) */
		CHECK_EQ(s.r[w], w == r ? __builtin_bswap32(init[r]) & 0xffff0000u : init[w] & 0xffff0000u);
	}
}

TEST(xl_misc_xchg_forms)
{
	for (int r = 1; r < 8; r++) {
		uint8_t code[] = { (uint8_t)(0x90 + r) };           /* xchg eax, r */
		struct ediff_state s = run(code, sizeof(code), init, 0, false);
		CHECK_EQ(s.r[R_EAX], init[r]);
		CHECK_EQ(s.r[r], init[R_EAX]);
		uint8_t code16[] = { 0x66, (uint8_t)(0x90 + r) };   /* xchg ax, r16 */
		s = run(code16, sizeof(code16), init, 0, false);
		CHECK_EQ(s.r[R_EAX], (init[R_EAX] & 0xffff0000u) | (init[r] & 0xffff));
		CHECK_EQ(s.r[r], (init[r] & 0xffff0000u) | (init[R_EAX] & 0xffff));
	}
	static const uint8_t code[] = {
		0x86, 0xfc,             /* xchg ah, bh */
		0x87, 0xd1,             /* xchg ecx, edx */
		0x87, 0x3e,             /* xchg [esi], edi */
	};
	uint32_t r[8];
	memcpy(r, init, sizeof(r));
	struct ediff_state s = run(code, sizeof(code), r, 0, false);
	CHECK_EQ(s.r[R_EAX], 0x1122ff44u);
	CHECK_EQ(s.r[R_EBX], 0xddee3300u);
	CHECK_EQ(s.r[R_ECX], init[R_EDX]);
	CHECK_EQ(s.r[R_EDX], init[R_ECX]);
	uint32_t at10;
	memcpy(&at10, (const uint8_t[]){ 0x10 * 13 + 1, 0x11 * 13 + 1, 0x12 * 13 + 1, 0x13 * 13 + 1 }, 4);
	CHECK_EQ(s.r[R_EDI], at10);
	/* a byte register with memory */
	static const uint8_t code2[] = { 0x86, 0x0f, 0x8a, 0x1f }; /* xchg [edi], cl; mov bl, [edi] */
	s = run(code2, sizeof(code2), r, 0, false);
	CHECK_EQ(s.r[R_EBX] & 0xff, init[R_ECX] & 0xff);
	CHECK_EQ(s.r[R_ECX] & 0xff, (uint32_t)(uint8_t)(0x20 * 13 + 1));
}

/* XCHG with a read-only or absent page: #PF, nothing exchanged. */
TEST(xl_misc_xchg_memory_faults)
{
	static const uint8_t code[] = { 0x87, 0x3e }; /* xchg [esi], edi */
	uint32_t r[8];
	memcpy(r, init, sizeof(r));
	r[R_ESI] = EDIFF_RO_PAGE + 8;
	struct ediff_state s = run(code, sizeof(code), r, 0, true);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.r[R_EDI], init[R_EDI]);
	r[R_ESI] = EDIFF_ABSENT_PAGE - 2; /* across into the absent page */
	s = run(code, sizeof(code), r, 0, true);
	CHECK_EQ(s.exc, EXC_PF);
	CHECK_EQ(s.cr2, EDIFF_ABSENT_PAGE);
}

/* STD and CLD in the middle of a block steer the string instructions
 * after them in the same block. */
TEST(xl_misc_cld_std_steer_strings)
{
	static const uint8_t code[] = {
		0xfd,       /* std */
		0xaa,       /* stosb: EDI - 1 */
		0xab,       /* stosd: EDI - 4 */
		0xfc,       /* cld */
		0xaa,       /* stosb: EDI + 1 */
		0xfd,       /* std */
		0xac,       /* lodsb: ESI - 1 */
		0x9c,       /* pushfd */
		0x5b,       /* pop ebx */
		0xfc,       /* cld */
	};
	struct ediff_state s = run(code, sizeof(code), init, 0, false);
	CHECK_EQ(s.r[R_EDI], init[R_EDI] - 1 - 4 + 1);
	CHECK_EQ(s.r[R_ESI], init[R_ESI] - 1);
	CHECK_EQ(s.r[R_EBX] & FL_DF, FL_DF);
	CHECK_EQ(s.eflags & FL_DF, 0);
}

/*
 * BT/BTS/BTR/BTC write CF only, in the interpreter and (on this host's
 * CPU) in the host instruction the translator emits; OF, SF, AF and PF
 * are the SDM's "undefined".  The translator must still hand the host BT
 * the guest's flags, not what its own code left in the host's EFLAGS (a
 * memory access's TLB compare here): otherwise a guest reading OF after
 * BT saw the monitor's flags.  SETO, SETS, SETP and SETC copy the flags
 * into registers, which the comparison sees exactly.
 */
TEST(xl_misc_bt_keeps_the_guests_other_flags)
{
	static const uint8_t forms[][4] = {
		{ 0x0f, 0xba, 0xe0, 0x01 }, /* bt eax, 1 */
		{ 0x0f, 0xba, 0xe8, 0x01 }, /* bts eax, 1 */
		{ 0x0f, 0xa3, 0xc8, 0x90 }, /* bt eax, ecx */
		{ 0x0f, 0xbb, 0xc8, 0x90 }, /* btc eax, ecx */
	};
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		uint8_t code[] = {
			0xb9, 0xff, 0xff, 0xff, 0x7f, /* mov ecx, 0x7fffffff */
			0x83, 0xe9, 0xff,             /* sub ecx, -1: CF OF SF PF set */
			0x8b, 0x06,                   /* mov eax, [esi]: the host's flags change */
			forms[f][0], forms[f][1], forms[f][2], forms[f][3],
			0x0f, 0x90, 0xc2,             /* seto dl */
			0x0f, 0x98, 0xc6,             /* sets dh */
			0x0f, 0x9a, 0xc3,             /* setp bl */
			0x0f, 0x92, 0xc5,             /* setc ch: BT's own flag */
			0x39, 0xc0,                   /* cmp eax, eax: every flag written */
		};
		struct ediff_state s = run(code, sizeof(code), init, 0, false);
		CHECK_EQ(s.r[R_EDX] & 0xffff, 0x0101u);
		CHECK_EQ(s.r[R_EBX] & 0xff, 1u);
	}
}
