/*
 * Snippets: integer arithmetic and logic, INC/DEC/NEG/NOT, multiply and
 * divide, BCD adjust.  Register forms use fixed registers with random
 * values; memory forms point ESI at ORA_SLOT (random interesting dword).
 */
#include <stdio.h>

#include "gen.h"

#define LOGIC_FLAGS (OF_ARITH & ~OF_AF) /* AND OR XOR TEST: AF undefined */

static void set_name(char *buf, size_t n, const char *fmt, const char *op, const char *form)
{
	snprintf(buf, n, fmt, op, form);
}

static struct snippet *mem_snip(const char *name, uint32_t fm, const char *hex)
{
	struct snippet *s = snip(name, fm, "%s", hex);
	snip_fix(s, ESI, ORA_SLOT);
	return s;
}

/* The eight classic ALU operations, ModRM reg / opcode >> 3 order. */
static void alu_ops(void)
{
	static const char *const names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
	for (int k = 0; k < 8; k++) {
		const char *op = names[k];
		uint32_t fm = (k == 1 || k == 4 || k == 6) ? LOGIC_FLAGS : OF_ARITH;
		int b = k * 8, g = k << 3;
		char n[64], h[64];
#define R(form, ...) do { set_name(n, sizeof(n), "alu/%s.%s", op, form); \
	snprintf(h, sizeof(h), __VA_ARGS__); snip(n, fm, "%s", h)->nvec = 96; } while (0)
#define M(form, ...) do { set_name(n, sizeof(n), "alu/%s.%s", op, form); \
	snprintf(h, sizeof(h), __VA_ARGS__); mem_snip(n, fm, h); } while (0)
		R("rm8.r8", "%02x c8", b);              /* op al, cl */
		R("rm8.r8.hi", "%02x e5", b);           /* op ch, ah */
		R("rm32.r32", "%02x c8", b + 1);        /* op eax, ecx */
		R("rm32.same", "%02x c0", b + 1);       /* op eax, eax */
		R("rm16.r16", "66 %02x c8", b + 1);
		R("r8.rm8", "%02x d9", b + 2);          /* op bl, cl */
		R("r32.rm32", "%02x d1", b + 3);        /* op edx, ecx */
		R("r16.rm16", "66 %02x d1", b + 3);
		R("al.imm8", "%02x 80", b + 4);
		R("eax.imm32", "%02x ff ff ff 7f", b + 5);
		R("ax.imm16", "66 %02x 00 80", b + 5);
		R("g80.r8", "80 %02x ff", 0xc3 | g);     /* op bl, 0xff */
		R("g80.r8.hi", "80 %02x 01", 0xc7 | g);  /* op bh, 1 */
		R("g81.r32", "81 %02x 00 00 00 80", 0xc3 | g);
		R("g81.r16", "66 81 %02x ff 7f", 0xc3 | g);
		R("g83.r32", "83 %02x 80", 0xc3 | g);    /* imm8 sign-extended */
		R("g83.r16", "66 83 %02x 01", 0xc3 | g);
		R("g82.r8", "82 %02x 7f", 0xc3 | g);     /* 82 = 80 alias in 32-bit mode */
		M("m8.r8", "%02x 0e", b);
		M("m32.r32", "%02x 0e", b + 1);
		M("m16.r16", "66 %02x 0e", b + 1);
		M("r8.m8", "%02x 0e", b + 2);
		M("r32.m32", "%02x 0e", b + 3);
		M("r16.m16", "66 %02x 0e", b + 3);
		M("m8.imm8", "80 %02x 80", 0x06 | g);
		M("m32.imm32", "81 %02x ff ff ff ff", 0x06 | g);
		M("m32.imm8", "83 %02x 7f", 0x06 | g);
		M("m16.imm8", "66 83 %02x ff", 0x06 | g);
		if (k != 7) {
			M("m32.lock", "f0 %02x 0e", b + 1);
		}
		set_name(n, sizeof(n), "alu/%s.%s", op, "m32.pagecross");
		snprintf(h, sizeof(h), "%02x 0e", b + 1);
		snip_fix(snip(n, fm, "%s", h), ESI, ORA_DATA + 0xffe);
#undef R
#undef M
	}
}

static void test_ops(void)
{
	uint32_t fm = LOGIC_FLAGS;
	snip("alu/test.rm8.r8", fm, "84 c8")->nvec = 96;
	snip("alu/test.rm8.r8.hi", fm, "84 e5");
	snip("alu/test.rm32.r32", fm, "85 c8")->nvec = 96;
	snip("alu/test.rm16.r16", fm, "66 85 c8");
	snip("alu/test.al.imm8", fm, "a8 80");
	snip("alu/test.eax.imm32", fm, "a9 00 00 00 80");
	snip("alu/test.ax.imm16", fm, "66 a9 ff 7f");
	snip("alu/test.f6.r8", fm, "f6 c3 81");
	snip("alu/test.f7.r32", fm, "f7 c3 ff 00 ff 00");
	snip("alu/test.f7.r16", fm, "66 f7 c3 01 80");
	mem_snip("alu/test.m32.r32", fm, "85 0e");
	mem_snip("alu/test.m8.imm8", fm, "f6 06 0f");
	mem_snip("alu/test.m32.imm32", fm, "f7 06 00 00 00 80");
}

static void incdec_ops(void)
{
	uint32_t fm = OF_ARITH; /* CF is unaffected, so still compared */
	snip("incdec/inc.r32", fm, "40")->nvec = 96;
	snip("incdec/dec.r32", fm, "4b")->nvec = 96;
	snip("incdec/inc.r16", fm, "66 40");
	snip("incdec/dec.r16", fm, "66 4b");
	snip("incdec/inc.r8", fm, "fe c1");
	snip("incdec/dec.r8.hi", fm, "fe cc");
	snip("incdec/inc.ff.r32", fm, "ff c1");
	snip("incdec/dec.ff.r32", fm, "ff c9");
	snip("incdec/inc.ff.r16", fm, "66 ff c1");
	mem_snip("incdec/inc.m8", fm, "fe 06");
	mem_snip("incdec/dec.m8", fm, "fe 0e");
	mem_snip("incdec/inc.m32", fm, "ff 06");
	mem_snip("incdec/dec.m32", fm, "ff 0e");
	mem_snip("incdec/inc.m16", fm, "66 ff 06");
	mem_snip("incdec/inc.m32.lock", fm, "f0 ff 06");
	snip("incdec/neg.r8", fm, "f6 d9")->nvec = 96;
	snip("incdec/neg.r32", fm, "f7 d9")->nvec = 96;
	snip("incdec/neg.r16", fm, "66 f7 d9");
	mem_snip("incdec/neg.m32", fm, "f7 1e");
	mem_snip("incdec/neg.m8", fm, "f6 1e");
	snip("incdec/not.r8", fm, "f6 d1");
	snip("incdec/not.r32", fm, "f7 d1");
	snip("incdec/not.r16", fm, "66 f7 d1");
	mem_snip("incdec/not.m8", fm, "f6 16");
	mem_snip("incdec/not.m32", fm, "f7 16");
	mem_snip("incdec/not.m32.lock", fm, "f0 f7 16");
	mem_snip("incdec/neg.m16.lock", fm, "f0 66 f7 1e");
}

/*
 * Most random dividends overflow the quotient; three vectors in four are
 * steered into range (high half below the divisor, or the sign extension
 * of the low half), a few hit divide-by-zero and the signed -MIN / -1 case.
 */
static void prep_div(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	int sz = s->size;
	uint32_t mask = sz == 32 ? 0xffffffffu : (1u << sz) - 1;
	uint32_t top = sz == 32 ? 0x80000000u : 1u << (sz - 1);
	int lo = EAX, hi = sz == 8 ? 4 /* AH */ : EDX;
	if (n % 16 == 5 || n % 16 == 6) {
		uint32_t d = n % 16 == 5 ? 0 : mask;
		if (s->src == OPND_MEM)
			mem_put32(ORA_SLOT, (mem_get32(ORA_SLOT) & ~mask) | d);
		else
			opnd_set(in, sz, s->src, d);
		if (n % 16 == 6) {
			opnd_set(in, sz, lo, top);
			opnd_set(in, sz, hi, mask);
		}
		return;
	}
	if (n % 4 == 3)
		return;
	(void)g;
	uint32_t d = s->src == OPND_MEM ? mem_get32(ORA_SLOT) & mask : opnd_get(in, sz, s->src);
	if (s->kind == 0)
		opnd_set(in, sz, hi, d ? opnd_get(in, sz, hi) % d : 0);
	else
		opnd_set(in, sz, hi, (opnd_get(in, sz, lo) & top) ? mask : 0);
}

static void div_snip(const char *name, const char *hex, int size, int is_signed, int src)
{
	struct snippet *s = snip(name, 0, "%s", hex);
	s->size = (uint8_t)size;
	s->kind = (uint8_t)is_signed;
	s->src = (uint8_t)src;
	s->prep = prep_div;
	s->nvec = 96;
	if (src == OPND_MEM)
		snip_fix(s, ESI, ORA_SLOT);
}

static void muldiv_ops(void)
{
	uint32_t fm = OF_CF | OF_OF; /* SF ZF AF PF undefined */
	snip("muldiv/mul.r8", fm, "f6 e1")->nvec = 96;
	snip("muldiv/mul.ah", fm, "f6 e4");
	snip("muldiv/mul.r32", fm, "f7 e1")->nvec = 96;
	snip("muldiv/mul.r16", fm, "66 f7 e1")->nvec = 96;
	mem_snip("muldiv/mul.m32", fm, "f7 26");
	mem_snip("muldiv/mul.m8", fm, "f6 26");
	snip("muldiv/imul1.r8", fm, "f6 e9")->nvec = 96;
	snip("muldiv/imul1.r32", fm, "f7 e9")->nvec = 96;
	snip("muldiv/imul1.r16", fm, "66 f7 e9")->nvec = 96;
	mem_snip("muldiv/imul1.m32", fm, "f7 2e");
	snip("muldiv/imul2.r32", fm, "0f af c1")->nvec = 96;
	snip("muldiv/imul2.r16", fm, "66 0f af c1")->nvec = 96;
	snip("muldiv/imul2.same", fm, "0f af d2");
	mem_snip("muldiv/imul2.m32", fm, "0f af 06");
	mem_snip("muldiv/imul2.m16", fm, "66 0f af 06");
	snip("muldiv/imul3.imm32", fm, "69 c1 78 56 34 12");
	snip("muldiv/imul3.immneg", fm, "69 c1 ff ff ff ff");
	snip("muldiv/imul3.imm8", fm, "6b c1 80");
	snip("muldiv/imul3.imm8pos", fm, "6b c1 7f");
	snip("muldiv/imul3.imm16", fm, "66 69 c1 01 80");
	snip("muldiv/imul3.imm8.r16", fm, "66 6b c1 ff");
	mem_snip("muldiv/imul3.m32", fm, "69 06 00 00 01 00");
	div_snip("muldiv/div.r8", "f6 f1", 8, 0, ECX);
	div_snip("muldiv/div.r32", "f7 f1", 32, 0, ECX);
	div_snip("muldiv/div.r16", "66 f7 f1", 16, 0, ECX);
	div_snip("muldiv/div.m8", "f6 36", 8, 0, OPND_MEM);
	div_snip("muldiv/div.m32", "f7 36", 32, 0, OPND_MEM);
	div_snip("muldiv/div.m16", "66 f7 36", 16, 0, OPND_MEM);
	div_snip("muldiv/idiv.r8", "f6 f9", 8, 1, ECX);
	div_snip("muldiv/idiv.r32", "f7 f9", 32, 1, ECX);
	div_snip("muldiv/idiv.r16", "66 f7 f9", 16, 1, ECX);
	div_snip("muldiv/idiv.m8", "f6 3e", 8, 1, OPND_MEM);
	div_snip("muldiv/idiv.m32", "f7 3e", 32, 1, OPND_MEM);
	snip("muldiv/div.ah", 0, "f6 f4"); /* AX / AH: overflows unless AH is 0 */
}

static void bcd_ops(void)
{
	uint32_t szp = OF_SF | OF_ZF | OF_PF;
	snip("bcd/daa", OF_ARITH & ~OF_OF, "27")->nvec = 192;
	snip("bcd/das", OF_ARITH & ~OF_OF, "2f")->nvec = 192;
	snip("bcd/aaa", OF_CF | OF_AF, "37")->nvec = 192;
	snip("bcd/aas", OF_CF | OF_AF, "3f")->nvec = 192;
	snip("bcd/aam", szp, "d4 0a")->nvec = 96;
	snip("bcd/aam.base7", szp, "d4 07");
	snip("bcd/aam.base255", szp, "d4 ff");
	snip("bcd/aam.zero", szp, "d4 00"); /* #DE */
	snip("bcd/aad", szp, "d5 0a")->nvec = 96;
	snip("bcd/aad.base7", szp, "d5 07");
	snip("bcd/aad.base255", szp, "d5 ff");
	snip("bcd/salc", OF_ARITH, "d6");
}

void snippets_alu(void)
{
	alu_ops();
	test_ops();
	incdec_ops();
	muldiv_ops();
	bcd_ops();
}
