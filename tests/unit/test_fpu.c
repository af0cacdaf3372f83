/*
 * x87 data instructions: every load/store format, rounding and precision
 * control, compares, classes, transcendentals, stack faults.  Reference
 * values come from the C compiler's own extended-precision constants and
 * from high-precision values (mpmath, 40 digits) written as long double
 * literals.
 */
#include <string.h>

#include "cpu_fixture.h"
#include "fpu_test.h"
#include "t.h"

TEST(fpu_load_store_every_format)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x05, 0x00, 0x00, 0x02, 0x00, /* fld dword ptr [0x20000] */
		0xd9, 0x1d, 0x00, 0x01, 0x02, 0x00, /* fstp dword ptr [0x20100] */
		0xdd, 0x05, 0x08, 0x00, 0x02, 0x00, /* fld qword ptr [0x20008] */
		0xdd, 0x1d, 0x08, 0x01, 0x02, 0x00, /* fstp qword ptr [0x20108] */
		0xdb, 0x2d, 0x10, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20010] */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xdf, 0x05, 0x20, 0x00, 0x02, 0x00, /* fild word ptr [0x20020] */
		0xdf, 0x1d, 0x20, 0x01, 0x02, 0x00, /* fistp word ptr [0x20120] */
		0xdb, 0x05, 0x24, 0x00, 0x02, 0x00, /* fild dword ptr [0x20024] */
		0xdb, 0x1d, 0x24, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20124] */
		0xdf, 0x2d, 0x28, 0x00, 0x02, 0x00, /* fild qword ptr [0x20028] */
		0xdf, 0x3d, 0x28, 0x01, 0x02, 0x00, /* fistp qword ptr [0x20128] */
		0xdf, 0x25, 0x30, 0x00, 0x02, 0x00, /* fbld tbyte ptr [0x20030] */
		0xdf, 0x35, 0x30, 0x01, 0x02, 0x00, /* fbstp tbyte ptr [0x20130] */
		0xdd, 0x3d, 0x00, 0x02, 0x02, 0x00, /* fnstsw word ptr [0x20200] */
		0xf4,                               /* hlt */
	};
	static const uint8_t bcd[10] = { 0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80 };
	float f32 = -1.5e-3f;
	int16_t i16 = -12345;
	int32_t i32 = -123456789;
	int64_t i64 = 0x7123456789abcdefLL;
	struct fx *f = fpu_fx(code, sizeof(code));
	put(f, D, &f32, 4);
	put_f64(f, D + 8, 6.02214076e23);
	put_ld(f, D + 0x10, ext80(0xc123, 0xdeadbeefcafef00dull));
	put(f, D + 0x20, &i16, 2);
	put(f, D + 0x24, &i32, 4);
	put(f, D + 0x28, &i64, 8);
	put(f, D + 0x30, bcd, 10);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(memcmp(f->ram + D, f->ram + D + 0x100, 4) == 0);
	CHECK(memcmp(f->ram + D + 8, f->ram + D + 0x108, 8) == 0);
	CHECK(memcmp(f->ram + D + 0x10, f->ram + D + 0x110, 10) == 0);
	CHECK(memcmp(f->ram + D + 0x20, f->ram + D + 0x120, 2) == 0);
	CHECK(memcmp(f->ram + D + 0x24, f->ram + D + 0x124, 4) == 0);
	CHECK(memcmp(f->ram + D + 0x28, f->ram + D + 0x128, 8) == 0);
	CHECK(memcmp(f->ram + D + 0x130, bcd, 10) == 0);
	CHECK_EQ(get16(f, D + 0x200), 0); /* exact: no flags, stack empty again */
	fx_free(f);
}

/* FISTP of 2.5, -2.5 and 3.5 under each rounding control. */
TEST(fpu_fistp_rounding_control)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xdd, 0x05, 0x08, 0x00, 0x02, 0x00, /* fld qword ptr [0x20008] */
		0xdb, 0x1d, 0x00, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20100] */
		0xdd, 0x05, 0x10, 0x00, 0x02, 0x00, /* fld qword ptr [0x20010] */
		0xdb, 0x1d, 0x04, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20104] */
		0xdd, 0x05, 0x18, 0x00, 0x02, 0x00, /* fld qword ptr [0x20018] */
		0xdb, 0x1d, 0x08, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20108] */
		0xdd, 0x3d, 0x0c, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x2010c] */
		0xf4,                               /* hlt */
	};
	static const struct {
		uint16_t cw;
		int32_t r[3];
	} modes[] = {
		{ 0x037f, { 2, -2, 4 } },  /* nearest even */
		{ 0x077f, { 2, -3, 3 } },  /* down */
		{ 0x0b7f, { 3, -2, 4 } },  /* up */
		{ 0x0f7f, { 2, -2, 3 } },  /* toward zero */
	};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct fx *f = fpu_fx(code, sizeof(code));
		put16(f, D, modes[m].cw);
		put_f64(f, D + 0x08, 2.5);
		put_f64(f, D + 0x10, -2.5);
		put_f64(f, D + 0x18, 3.5);
		fx_run(f, 100);
		CHECK_EQ(fx_exception(f), -1);
		for (int k = 0; k < 3; k++)
			CHECK_EQ(fx_read32(f, D + 0x100 + 4 * k), (uint32_t)modes[m].r[k]);
		CHECK_EQ(get16(f, D + 0x10c) & 0x3f, PE); /* inexact, nothing else */
		fx_free(f);
	}
}

/* 1/3 under each precision control: the significand is rounded to 24, 53
 * or 64 bits, the exponent range stays extended. */
TEST(fpu_precision_control)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xd9, 0xe8,                         /* fld1 */
		0xda, 0x35, 0x04, 0x00, 0x02, 0x00, /* fidiv dword ptr [0x20004] */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xf4,                               /* hlt */
	};
	volatile float third_f = 1.0f / 3.0f;
	volatile double third_d = 1.0 / 3.0;
	const struct {
		uint16_t cw;
		long double want;
	} pcs[] = {
		{ 0x007f, (long double)third_f },
		{ 0x027f, (long double)third_d },
		{ 0x037f, 1.0L / 3.0L },
	};
	for (size_t k = 0; k < 3; k++) {
		struct fx *f = fpu_fx(code, sizeof(code));
		put16(f, D, pcs[k].cw);
		fx_write32(f, D + 4, 3);
		fx_run(f, 100);
		CHECK(get_ld(f, D + 0x100) == pcs[k].want);
		fx_free(f);
	}
}

TEST(fpu_divide_by_zero_masked_gives_infinity)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe8,                         /* fld1 */
		0xd9, 0xee,                         /* fldz */
		0xde, 0xf9,                         /* fdivp st(1), st */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xdd, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20110] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(get_ld(f, D + 0x100) == __builtin_infl());
	CHECK_EQ(get16(f, D + 0x110), ZE); /* flag only: no ES, stack empty */
	fx_free(f);
}

static void fcomi_case(long double a, long double b, const uint8_t want[3], uint16_t want_ie)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdb, 0x2d, 0x10, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20010] */
		0xdb, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20000] */
		0xdb, 0xf1,                         /* fcomi st, st(1) */
		0x0f, 0x94, 0x05, 0x00, 0x01, 0x02, 0x00, /* setz byte ptr [0x20100] */
		0x0f, 0x9a, 0x05, 0x01, 0x01, 0x02, 0x00, /* setp byte ptr [0x20101] */
		0x0f, 0x92, 0x05, 0x02, 0x01, 0x02, 0x00, /* setc byte ptr [0x20102] */
		0xdf, 0xe9,                         /* fucomip st, st(1) */
		0x0f, 0x94, 0x05, 0x04, 0x01, 0x02, 0x00, /* setz byte ptr [0x20104] */
		0x0f, 0x9a, 0x05, 0x05, 0x01, 0x02, 0x00, /* setp byte ptr [0x20105] */
		0x0f, 0x92, 0x05, 0x06, 0x01, 0x02, 0x00, /* setc byte ptr [0x20106] */
		0xdd, 0x3d, 0x08, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20108] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put_ld(f, D, a);
	put_ld(f, D + 0x10, b);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(f->ram[D + 0x100 + k], want[k]); /* FCOMI */
		CHECK_EQ(f->ram[D + 0x104 + k], want[k]); /* FUCOMIP */
	}
	uint16_t sw = get16(f, D + 0x108);
	CHECK_EQ(sw & IE, want_ie);
	CHECK_EQ(TOP(sw), 7); /* FUCOMIP popped one of two */
	fx_free(f);
}

TEST(fpu_fcomi_sets_zf_pf_cf)
{
	static const uint8_t less[3] = { 0, 0, 1 }, greater[3] = { 0, 0, 0 };
	static const uint8_t equal[3] = { 1, 0, 0 }, unordered[3] = { 1, 1, 1 };
	fcomi_case(1.0L, 2.0L, less, 0);
	fcomi_case(2.0L, 1.0L, greater, 0);
	fcomi_case(-0.0L, 0.0L, equal, 0);
	/* FCOMI signals invalid on a QNaN, FUCOMIP does not (the flag is sticky). */
	fcomi_case(__builtin_nanl(""), 1.0L, unordered, IE);
}

static uint16_t fxam_of(long double v, bool empty)
{
	static const uint8_t load[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdb, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20000] */
		0xd9, 0xe5,                         /* fxam */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xf4,                               /* hlt */
	};
	static const uint8_t bare[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe5,                         /* fxam */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xf4,                               /* hlt */
	};
	struct fx *f = empty ? fpu_fx(bare, sizeof(bare)) : fpu_fx(load, sizeof(load));
	put_ld(f, D, v);
	fx_run(f, 100);
	uint16_t sw = get16(f, D + 0x100);
	fx_free(f);
	return sw;
}

TEST(fpu_fxam_classes)
{
	const uint16_t cc = C3 | C2 | C1 | C0;
	CHECK_EQ(fxam_of(0.0L, false) & cc, C3);                       /* zero */
	CHECK_EQ(fxam_of(-1.0L, false) & cc, C2 | C1);                 /* negative normal */
	CHECK_EQ(fxam_of(__builtin_infl(), false) & cc, C2 | C0);      /* infinity */
	CHECK_EQ(fxam_of(__builtin_nanl(""), false) & cc, C0);         /* NaN */
	CHECK_EQ(fxam_of(ext80(0x0000, 1), false) & cc, C3 | C2);      /* denormal */
	CHECK_EQ(fxam_of(ext80(0x0001, 1), false) & cc, 0);            /* unnormal: unsupported */
	CHECK_EQ(fxam_of(0.0L, true) & (C3 | C2 | C0), C3 | C0);       /* empty */
}

TEST(fpu_fsqrt_fsin_values)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdb, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20000] */
		0xd9, 0xfa,                         /* fsqrt */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xdb, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20000] */
		0xd9, 0xfe,                         /* fsin */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xdb, 0x2d, 0x10, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20010] */
		0xd9, 0xfe,                         /* fsin */
		0xdd, 0x3d, 0x20, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20120] */
		0xdb, 0x3d, 0x30, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20130] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put_ld(f, D, 2.0L);
	put_ld(f, D + 0x10, 1e30L);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	/* FSQRT is correctly rounded. */
	CHECK(get_ld(f, D + 0x100) == 1.414213562373095048801688724209698078570L);
	CHECK(within_ulps(get_ld(f, D + 0x110), 0.9092974268256816953960198659117448427023L, 0x1p-64L, 1));
	/* |x| >= 2^63: C2 set, operand left alone. */
	CHECK(get16(f, D + 0x120) & C2);
	CHECK(get_ld(f, D + 0x130) == 1e30L);
	fx_free(f);
}

/* Linux's check_fpu(): the Pentium FDIV erratum test must come out exact. */
TEST(fpu_pentium_fdiv_check)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdd, 0x05, 0x00, 0x00, 0x02, 0x00, /* fld qword ptr [0x20000] */
		0xdc, 0x35, 0x08, 0x00, 0x02, 0x00, /* fdiv qword ptr [0x20008] */
		0xdc, 0x0d, 0x08, 0x00, 0x02, 0x00, /* fmul qword ptr [0x20008] */
		0xdd, 0x05, 0x00, 0x00, 0x02, 0x00, /* fld qword ptr [0x20000] */
		0xde, 0xe9,                         /* fsubp st(1), st */
		0xdb, 0x1d, 0x00, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20100] */
		0x9b,                               /* fwait */
		0xdd, 0x05, 0x00, 0x00, 0x02, 0x00, /* fld qword ptr [0x20000] */
		0xdc, 0x35, 0x08, 0x00, 0x02, 0x00, /* fdiv qword ptr [0x20008] */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xdd, 0x3d, 0x20, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20120] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put_f64(f, D, 4195835.0);
	put_f64(f, D + 8, 3145727.0);
	fx_write32(f, D + 0x100, 0xdeadbeef);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, D + 0x100), 0);
	CHECK(get_ld(f, D + 0x110) == 4195835.0L / 3145727.0L); /* correctly rounded */
	CHECK_EQ(TOP(get16(f, D + 0x120)), 0);
	fx_free(f);
}

TEST(fpu_integer_overflow_and_bcd_store)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdd, 0x05, 0x00, 0x00, 0x02, 0x00, /* fld qword ptr [0x20000] */
		0xdb, 0x1d, 0x00, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20100] */
		0xdd, 0x05, 0x08, 0x00, 0x02, 0x00, /* fld qword ptr [0x20008] */
		0xdf, 0x35, 0x10, 0x01, 0x02, 0x00, /* fbstp tbyte ptr [0x20110] */
		0xdd, 0x3d, 0x20, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20120] */
		0xf4,                               /* hlt */
	};
	static const uint8_t bcd[10] = { 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0x80 };
	struct fx *f = fpu_fx(code, sizeof(code));
	put_f64(f, D, 1e10);
	put_f64(f, D + 8, -1234567.0);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, D + 0x100), 0x80000000u); /* integer indefinite */
	CHECK(memcmp(f->ram + D + 0x110, bcd, 10) == 0);
	CHECK_EQ(get16(f, D + 0x120), IE);
	fx_free(f);
}

TEST(fpu_stack_underflow_and_overflow)
{
	static const uint8_t under[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd8, 0xc1,                         /* fadd st, st(1) */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xf4,                               /* hlt */
	};
	static const uint8_t over[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, /* fld1 x 3 */
		0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, /* fld1 x 3 */
		0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, /* fld1 x 3: the ninth overflows */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xf4,                               /* hlt */
	};
	const long double indefinite = ext80(0xffff, 0xc000000000000000ull);
	struct fx *f = fpu_fx(under, sizeof(under));
	fx_run(f, 100);
	CHECK_EQ(get16(f, D + 0x100) & ~FSW_TOP_BITS, IE | SF);      /* C1 = 0: underflow */
	CHECK(memcmp(f->ram + D + 0x110, &indefinite, 10) == 0);
	fx_free(f);

	f = fpu_fx(over, sizeof(over));
	fx_run(f, 100);
	CHECK_EQ(get16(f, D + 0x100) & ~FSW_TOP_BITS, C1 | IE | SF); /* C1 = 1: overflow */
	CHECK_EQ(TOP(get16(f, D + 0x100)), 7);               /* the push happened */
	CHECK(memcmp(f->ram + D + 0x110, &indefinite, 10) == 0);
	fx_free(f);
}

TEST(fpu_fcmov_follows_eflags)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe8,                         /* fld1 */
		0xd9, 0xee,                         /* fldz */
		0xf9,                               /* stc */
		0xda, 0xc1,                         /* fcmovb st, st(1) */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xd9, 0xee,                         /* fldz */
		0xf8,                               /* clc */
		0xda, 0xc1,                         /* fcmovb st, st(1) */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(get_ld(f, D + 0x100) == 1.0L);
	CHECK(get_ld(f, D + 0x110) == 0.0L);
	fx_free(f);
}

/* 17 rem 3: remainder 2, quotient 5 = 101b in C0 C3 C1, C2 clear (done). */
TEST(fpu_fprem_quotient_bits)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdb, 0x05, 0x04, 0x00, 0x02, 0x00, /* fild dword ptr [0x20004] */
		0xdb, 0x05, 0x00, 0x00, 0x02, 0x00, /* fild dword ptr [0x20000] */
		0xd9, 0xf8,                         /* fprem */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xdb, 0x1d, 0x04, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20104] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	fx_write32(f, D, 17);
	fx_write32(f, D + 4, 3);
	fx_run(f, 100);
	CHECK_EQ(get16(f, D + 0x100) & (C3 | C2 | C1 | C0), C0 | C1);
	CHECK_EQ(fx_read32(f, D + 0x104), 2);
	fx_free(f);
}

/* Instructions that push or pop more than one register. */
TEST(fpu_fxtract_fyl2x_fscale_fptan)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xdb, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20000] */
		0xd9, 0xf4,                         /* fxtract */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xdb, 0x3d, 0x10, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20110] */
		0xdb, 0x05, 0x10, 0x00, 0x02, 0x00, /* fild dword ptr [0x20010] */
		0xdb, 0x05, 0x14, 0x00, 0x02, 0x00, /* fild dword ptr [0x20014] */
		0xd9, 0xf1,                         /* fyl2x */
		0xdb, 0x3d, 0x20, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20120] */
		0xd9, 0xe8,                         /* fld1 */
		0xdb, 0x05, 0x10, 0x00, 0x02, 0x00, /* fild dword ptr [0x20010] */
		0xd9, 0xc9,                         /* fxch st(1) */
		0xd9, 0xfd,                         /* fscale */
		0xdb, 0x3d, 0x30, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20130] */
		0xdd, 0xd8,                         /* fstp st(0) */
		0xdb, 0x2d, 0x20, 0x00, 0x02, 0x00, /* fld tbyte ptr [0x20020] */
		0xd9, 0xf2,                         /* fptan */
		0xdb, 0x3d, 0x40, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20140] */
		0xdb, 0x3d, 0x50, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20150] */
		0xdd, 0x3d, 0x60, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20160] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put_ld(f, D, 12.0L);
	fx_write32(f, D + 0x10, 3);
	fx_write32(f, D + 0x14, 8);
	put_ld(f, D + 0x20, 0.5L);
	fx_run(f, 200);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(get_ld(f, D + 0x100) == 1.5L); /* significand */
	CHECK(get_ld(f, D + 0x110) == 3.0L); /* exponent */
	CHECK(get_ld(f, D + 0x120) == 9.0L); /* 3 * log2(8) */
	CHECK(get_ld(f, D + 0x130) == 8.0L); /* 1 * 2^3 */
	CHECK(get_ld(f, D + 0x140) == 1.0L); /* FPTAN pushes 1 */
	CHECK(within_ulps(get_ld(f, D + 0x150), 0.5463024898437905132551794657802853832975L, 0x1p-64L, 1));
	uint16_t sw = get16(f, D + 0x160);
	CHECK_EQ(sw & (IE | SF), 0);
	CHECK_EQ(TOP(sw), 0);
	fx_free(f);
}

/* FLDPI is rounded by RC: the 65th bit of pi is 1, so nearest and up
 * round the significand up, down and chop do not. */
TEST(fpu_constants_follow_rounding_control)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xd9, 0xeb,                         /* fldpi */
		0xdb, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fstp tbyte ptr [0x20100] */
		0xf4,                               /* hlt */
	};
	static const struct {
		uint16_t cw;
		uint64_t mant;
	} rc[] = {
		{ 0x037f, 0xc90fdaa22168c235ull },
		{ 0x077f, 0xc90fdaa22168c234ull },
		{ 0x0b7f, 0xc90fdaa22168c235ull },
		{ 0x0f7f, 0xc90fdaa22168c234ull },
	};
	for (size_t k = 0; k < 4; k++) {
		struct fx *f = fpu_fx(code, sizeof(code));
		put16(f, D, rc[k].cw);
		fx_run(f, 100);
		CHECK_EQ(get64(f, D + 0x100), rc[k].mant);
		CHECK_EQ(get16(f, D + 0x108), 0x4000);
		fx_free(f);
	}
}
