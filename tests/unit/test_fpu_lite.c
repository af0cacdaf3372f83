/*
 * The short way of running an x87 instruction (fpu_lite.c) against the
 * long way (FRSTOR, the instruction, FNSAVE: fpu_host.c), which the rest
 * of the x87 tests check against the SDM: every form fpu_lite_form takes,
 * on random states (values of every class, empty registers, any TOP,
 * precision and rounding control, C0-C3 set and clear).  Whenever the
 * short way accepts a state, registers, tags, status word, the memory
 * operand and the EFLAGS result must be the long way's; it must decline
 * every state with an exception unmasked.
 *
 * Except the condition codes an instruction leaves undefined: the short
 * way keeps the guest's, the long way shows what the host's x87 left
 * there.  A P6, and this host, keep them too, so the two agree here;
 * another CPU may change them, and both results are then within the SDM.
 * So which codes each form defines is written here from the SDM (never
 * taken from fpu_lite's own table, which must match it), the others are
 * not compared with the long way, and the short way must keep them.
 */
#include <string.h>

#include "engine/soft/fpu.h"
#include "fpu_random.h"
#include "t.h"

static uint32_t rng = 0x9e3779b9u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void random_operand(uint8_t mem[16], int size)
{
	uint64_t lo = (uint64_t)rnd() << 32 | rnd();
	memset(mem, 0, 16);
	switch (rnd() % 4) {
	case 0: { /* a small double or float */
		double d = (double)(rnd() % 2000) / 8 - 100;
		memcpy(&lo, &d, 8);
		if (size == 4) {
			float fl = (float)d;
			uint32_t u;
			memcpy(&u, &fl, 4);
			lo = u;
		}
		break;
	}
	case 1: lo &= 0xffff; break;
	default: break;
	}
	memcpy(mem, &lo, 8);
	if (size == 10)
		fpu_random_ext(mem, rnd);
}

/* The long way, as fpu_data runs it with every exception masked. */
static void long_way(struct fpu *f, const struct fpu_lite *l, uint8_t *mem, struct host_flags *fl)
{
	struct x87_image img;
	fpu_to_image(f, &img);
	fpu_host_exec((uint8_t)(0xd8 | l->esc), l->modrm, &img, mem, fl);
	f->sw |= fpu_from_image(f, &img);
	fpu_update_summary(f);
}

#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* The condition codes the SDM defines for a form fpu_lite takes: all four
 * for the compares and FTST/FXAM, C1 (rounding, stack fault) for the rest,
 * none for FCOMI and kin, whose result goes to EFLAGS: C0, C2 and C3 are
 * "not affected" and C1, which the SDM sets to 0, the P6 and this host
 * keep (and so does cordon). */
static uint16_t sdm_defined_cc(unsigned esc, unsigned modrm)
{
	unsigned reg = (modrm >> 3) & 7;
	if (modrm < 0xc0) /* FCOM(P) m32/m64, FICOM(P) m16/m32; else arithmetic, loads, stores */
		return !(esc & 1) && (reg == 2 || reg == 3) ? FSW_CC : FSW_C1;
	switch (esc) {
	case 0: case 4: case 6: /* FCOM(P) ST(i), FCOMPP and their DC/DE aliases */
		return reg == 2 || reg == 3 ? FSW_CC : FSW_C1;
	case 1: /* FTST, FXAM */
		return modrm == 0xe4 || modrm == 0xe5 ? FSW_CC : FSW_C1;
	case 2: /* FUCOMPP */
		return modrm == 0xe9 ? FSW_CC : FSW_C1;
	case 5: /* FUCOM(P) */
		return reg == 4 || reg == 5 ? FSW_CC : FSW_C1;
	default: /* DB, DF: F(U)COMI(P) */
		return reg == 5 || reg == 6 ? 0 : FSW_C1;
	}
}

/* Status bits in `undefined` are not compared. */
static int compare(const struct fpu *a, const struct fpu *b, uint16_t undefined)
{
	if (((a->sw ^ b->sw) & ~undefined) || a->tw != b->tw || a->cw != b->cw)
		return 1;
	for (int p = 0; p < 8; p++)
		if (fpu_tag(a, p) != TAG_EMPTY && memcmp(&a->st[p], &b->st[p], EXT80))
			return 2;
	return 0;
}

static void check_form(unsigned esc, unsigned modrm, int *accepted)
{
	struct fpu_lite l;
	if (!fpu_lite_form(esc, modrm, &l))
		return;
	uint16_t undefined = (uint16_t)(FSW_CC & ~sdm_defined_cc(esc, modrm));
	if (l.cbits != (FSW_CC & ~undefined)) {
		t_fail(__FILE__, __LINE__, "%02x %02x: takes C0-C3 %#x from the host; the SDM defines %#x",
		       0xd8 | esc, modrm, l.cbits, FSW_CC & ~undefined);
		return;
	}
	for (int n = 0; n < 400; n++) {
		struct fpu a, b;
		uint8_t mem_a[16], mem_b[16];
		struct host_flags fa = { 0 }, fb = { 0 };
		fpu_random_state(&a, rnd);
		b = a;
		random_operand(mem_a, l.size);
		memcpy(mem_b, mem_a, 16);
		bool masked = (a.cw & FCW_MASKS) == FCW_MASKS;
		if (!fpu_lite_exec(&a, &l, mem_a, &fa)) {
			if (compare(&a, &b, 0) || memcmp(mem_a, mem_b, 16)) {
				t_fail(__FILE__, __LINE__, "%02x %02x: declined but changed the state", 0xd8 | esc, modrm);
				return;
			}
			continue;
		}
		if (!masked) {
			t_fail(__FILE__, __LINE__, "%02x %02x: ran with cw %#x", 0xd8 | esc, modrm, a.cw);
			return;
		}
		(*accepted)++;
		if ((a.sw ^ b.sw) & undefined) {
			t_fail(__FILE__, __LINE__, "%02x %02x: changed undefined condition codes, sw %#x -> %#x",
			       0xd8 | esc, modrm, b.sw, a.sw);
			return;
		}
		long_way(&b, &l, mem_b, &fb);
		int why = compare(&a, &b, undefined);
		if (!why && l.store && memcmp(mem_a, mem_b, l.size))
			why = 3;
		if (!why && l.eflags && (fa.zf != fb.zf || fa.pf != fb.pf || fa.cf != fb.cf))
			why = 4;
		if (why) {
			t_fail(__FILE__, __LINE__, "%02x %02x (case %d): %s differs: sw %#x/%#x tw %#x/%#x", 0xd8 | esc,
			       modrm, n, why == 1 ? "status/tags" : why == 2 ? "register" : why == 3 ? "memory" : "EFLAGS",
			       a.sw, b.sw, a.tw, b.tw);
			return;
		}
	}
}

static uint16_t host_cw(void)
{
	uint16_t cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

TEST(fpu_lite_matches_the_long_way)
{
	int forms = 0, accepted = 0;
	uint16_t cw_before = host_cw();
	for (unsigned esc = 0; esc < 8; esc++) {
		for (unsigned modrm = 0; modrm < 256; modrm++) {
			if (modrm < 0xc0 && (modrm & 0xc7))
				continue; /* one memory form per ModRM.reg */
			struct fpu_lite l;
			if (!fpu_lite_form(esc, modrm, &l))
				continue;
			forms++;
			int before = accepted;
			check_form(esc, modrm, &accepted);
			if (accepted - before < 10)
				t_fail(__FILE__, __LINE__, "%02x %02x: the short way took only %d of 400 states",
				       0xd8 | esc, modrm, accepted - before);
		}
	}
	CHECK_EQ(forms, 372);
	CHECK_EQ(host_cw(), cw_before); /* the host's own control word is back */ /* the arithmetic, loads, stores, compares, moves */
}

TEST(fpu_lite_forms)
{
	struct fpu_lite l;
	CHECK(fpu_lite_form(5, 0x00, &l) && l.size == 8 && !l.store && l.nin == 0); /* fld m64 */
	CHECK(fpu_lite_form(5, 0x1d, &l) && l.size == 8 && l.store && l.modrm == 0x18); /* fstp m64 */
	CHECK(fpu_lite_form(3, 0xe9, &l) && l.eflags && l.nin == 2);                 /* fucomi st(1) */
	CHECK(fpu_lite_form(6, 0xd9, &l) && l.nin == 2 && l.cbits == (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3));
	CHECK(!fpu_lite_form(6, 0xda, &l));  /* reserved */
	CHECK(!fpu_lite_form(1, 0x28, &l));  /* fldcw */
	CHECK(!fpu_lite_form(7, 0xe0, &l));  /* fnstsw ax */
	CHECK(!fpu_lite_form(2, 0xc1, &l));  /* fcmovb */
	CHECK(!fpu_lite_form(1, 0xfe, &l));  /* fsin: C2 decides the stack */
	CHECK(!fpu_lite_form(5, 0xc1, &l));  /* ffree */
	CHECK(!fpu_lite_form(7, 0x20, &l));  /* fbld */
}
