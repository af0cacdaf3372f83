/*
 * x87 control: FNINIT, exception reporting (#MF, CR0.NE, FLDCW unmasking,
 * stores stopped by unmasked exceptions), #NM, #UD, and the environment /
 * save-area layouts of FNSTENV, FLDENV, FNSAVE, FRSTOR.
 */
#include <string.h>

#include "cpu_fixture.h"
#include "engine/soft/fpu.h"
#include "engine/soft/insn.h"
#include "engine/soft/ops.h"
#include "fpu_test.h"
#include "t.h"

TEST(fpu_fninit_state)
{
	static const uint8_t code[] = {
		0xd9, 0xe8,                         /* fld1 */
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x3d, 0x00, 0x00, 0x02, 0x00, /* fnstcw word ptr [0x20000] */
		0xdd, 0x3d, 0x02, 0x00, 0x02, 0x00, /* fnstsw word ptr [0x20002] */
		0xd9, 0x35, 0x10, 0x00, 0x02, 0x00, /* fnstenv [0x20010] */
		0xdf, 0xe0,                         /* fnstsw ax */
		0xa3, 0x04, 0x00, 0x02, 0x00,       /* mov [0x20004], eax */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	f->c->r[R_EAX] = 0x12345678;
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(get16(f, D), 0x037f);
	CHECK_EQ(get16(f, D + 2), 0);
	CHECK_EQ(fx_read32(f, D + 4), 0x12340000u); /* Linux's probe: AX = 0 */
	CHECK_EQ(get16(f, D + 0x10), 0x037f);       /* env: cw, sw, tw */
	CHECK_EQ(get16(f, D + 0x14), 0);
	CHECK_EQ(get16(f, D + 0x18), 0xffff);
	CHECK_EQ(fx_read32(f, D + 0x1c), 0);        /* FIP cleared by FNINIT */
	fx_free(f);
}

/* An unmasked exception is reported by the next waiting FPU instruction:
 * #MF with CR0.NE, and not at all by no-wait FNSTSW. */
static const uint8_t unmasked_zd_code[] = {
	0xdb, 0xe3,                         /* fninit */
	0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
	0xd9, 0xe8,                         /* fld1 */
	0xd9, 0xee,                         /* fldz */
	0xde, 0xf9,                         /* fdivp st(1), st  (offset 12) */
	0xc7, 0x05, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, /* mov dword ptr [0x20010], 1 */
	0xdd, 0x3d, 0x14, 0x00, 0x02, 0x00, /* fnstsw word ptr [0x20014] */
	0xd9, 0xd0,                         /* fnop */
	0xc7, 0x05, 0x18, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, /* mov dword ptr [0x20018], 2 */
	0xf4,                               /* hlt */
};

TEST(fpu_unmasked_divide_by_zero_raises_mf_later)
{
	struct fx *f = fpu_fx(unmasked_zd_code, sizeof(unmasked_zd_code));
	put16(f, D, 0x037b); /* ZM clear */
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_MF);
	CHECK_EQ(fx_read32(f, D + 0x10), 1);  /* the divide itself did not fault */
	CHECK_EQ(get16(f, D + 0x14) & 0x80ff, 0x8000 | ES | ZE);
	CHECK_EQ(fx_read32(f, D + 0x18), 0);  /* FNOP faulted */
	CHECK_EQ(f->c->fpu.fip, FX_CODE + 12); /* the handler sees FDIVP */
	CHECK_EQ(f->c->fpu.fop, 0x6f9);
	CHECK_EQ(f->c->fpu.fcs, 0x08);
	fx_free(f);
}

TEST(fpu_unmasked_exception_without_ne_does_not_fault)
{
	struct fx *f = fpu_fx(unmasked_zd_code, sizeof(unmasked_zd_code));
	put16(f, D, 0x037b);
	f->c->cr0 &= ~CR0_NE; /* MS-DOS style: FERR# -> IRQ13 instead */
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, D + 0x18), 2);
	fx_free(f);
}

/* FLDCW that unmasks an exception whose flag is already set makes it
 * pending. */
TEST(fpu_fldcw_unmasking_a_set_flag_raises_mf)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe8,                         /* fld1 */
		0xd9, 0xee,                         /* fldz */
		0xde, 0xf9,                         /* fdivp st(1), st */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xc7, 0x05, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, /* mov dword ptr [0x20010], 1 */
		0xd9, 0xd0,                         /* fnop */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put16(f, D, 0x037b);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_MF);
	CHECK_EQ(fx_read32(f, D + 0x10), 1);
	fx_free(f);
}

TEST(fpu_fnsave_frstor_round_trip)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0xe8,                         /* fld1 */
		0xd9, 0xee,                         /* fldz */
		0xd9, 0xeb,                         /* fldpi  (offset 6) */
		0xdd, 0x35, 0x00, 0x00, 0x02, 0x00, /* fnsave [0x20000] */
		0xdd, 0x3d, 0x00, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20100] */
		0xd9, 0x35, 0x10, 0x01, 0x02, 0x00, /* fnstenv [0x20110] */
		0xdd, 0x25, 0x00, 0x00, 0x02, 0x00, /* frstor [0x20000] */
		0xdb, 0x3d, 0x00, 0x02, 0x02, 0x00, /* fstp tbyte ptr [0x20200] */
		0xdb, 0x3d, 0x10, 0x02, 0x02, 0x00, /* fstp tbyte ptr [0x20210] */
		0xdb, 0x3d, 0x20, 0x02, 0x02, 0x00, /* fstp tbyte ptr [0x20220] */
		0xdd, 0x3d, 0x30, 0x02, 0x02, 0x00, /* fnstsw word ptr [0x20230] */
		0xf4,                               /* hlt */
	};
	const long double pi = ext80(0x4000, 0xc90fdaa22168c235ull);
	struct fx *f = fpu_fx(code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	/* The 108-byte image: env, then ST(0)..ST(7). */
	CHECK_EQ(get16(f, D + 0), 0x037f);
	CHECK_EQ(get16(f, D + 4), 5 << 11);          /* TOP = 5 */
	/* R7 = 1.0 valid, R6 = 0 zero, R5 = pi valid, R0-R4 empty. */
	CHECK_EQ(get16(f, D + 8), 0x13ff);
	CHECK_EQ(fx_read32(f, D + 12), FX_CODE + 6); /* FIP: FLDPI */
	CHECK_EQ(get16(f, D + 16), 0x08);            /* FCS */
	CHECK_EQ(get16(f, D + 18), 0x1eb);           /* FOP: D9 EB */
	CHECK(get_ld(f, D + 28) == pi);
	CHECK(get_ld(f, D + 38) == 0.0L);
	CHECK(get_ld(f, D + 48) == 1.0L);
	/* FNSAVE reinitialised the FPU. */
	CHECK_EQ(get16(f, D + 0x100), 0);
	CHECK_EQ(get16(f, D + 0x118), 0xffff);
	/* FRSTOR brought the stack back. */
	CHECK(get_ld(f, D + 0x200) == pi);
	CHECK(get_ld(f, D + 0x210) == 0.0L);
	CHECK(get_ld(f, D + 0x220) == 1.0L);
	CHECK_EQ(get16(f, D + 0x230), 0);
	fx_free(f);
}

TEST(fpu_fnstenv_16bit_layout_and_masking)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xd9, 0x05, 0x40, 0x00, 0x02, 0x00, /* fld dword ptr [0x20040]  (offset 8) */
		0x66, 0xd9, 0x35, 0x00, 0x01, 0x02, 0x00, /* data16 fnstenv [0x20100] */
		0xd9, 0x3d, 0x20, 0x01, 0x02, 0x00, /* fnstcw word ptr [0x20120] */
		0xf4,                               /* hlt */
	};
	float one = 1.0f;
	struct fx *f = fpu_fx(code, sizeof(code));
	put16(f, D, 0x0360); /* all exceptions unmasked */
	put(f, D + 0x40, &one, 4);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(get16(f, D + 0x100), 0x0360);          /* cw */
	CHECK_EQ(get16(f, D + 0x102), 7 << 11);         /* sw: TOP = 7 */
	CHECK_EQ(get16(f, D + 0x104), 0x3fff);          /* tw: R7 valid */
	CHECK_EQ(get16(f, D + 0x106), (FX_CODE + 8) & 0xffff); /* FIP */
	CHECK_EQ(get16(f, D + 0x108), 0x08);            /* FCS */
	CHECK_EQ(get16(f, D + 0x10a), 0x0040);          /* FDP */
	CHECK_EQ(get16(f, D + 0x10c), 0x10);            /* FDS */
	CHECK_EQ(get16(f, D + 0x120), 0x037f);          /* FNSTENV masked all */
	fx_free(f);
}

TEST(fpu_device_not_available)
{
	static const uint8_t fld1[] = { 0xd9, 0xe8, /* fld1 */ 0xf4 /* hlt */ };
	static const uint8_t fninit[] = { 0xdb, 0xe3, /* fninit */ 0xf4 /* hlt */ };
	static const uint8_t fwait[] = {
		0x9b,                                                       /* fwait */
		0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, /* mov dword ptr [0x20000], 1 */
		0xf4,                                                       /* hlt */
	};
	struct fx *f = fpu_fx(fld1, sizeof(fld1));
	f->c->cr0 |= CR0_TS;
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_NM);
	fx_free(f);

	f = fpu_fx(fninit, sizeof(fninit));
	f->c->cr0 |= CR0_EM; /* even no-wait instructions */
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_NM);
	fx_free(f);

	f = fpu_fx(fwait, sizeof(fwait));
	f->c->cr0 |= CR0_TS | CR0_EM; /* WAIT ignores EM, and TS without MP */
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, D), 1);
	fx_free(f);

	f = fpu_fx(fwait, sizeof(fwait));
	f->c->cr0 |= CR0_TS | CR0_MP;
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_NM);
	CHECK_EQ(fx_read32(f, D), 0);
	fx_free(f);
}

TEST(fpu_fisttp_is_undefined_on_p6)
{
	static const uint8_t code[] = {
		0xdb, 0x0d, 0x00, 0x00, 0x02, 0x00, /* fisttp dword ptr [0x20000] */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_UD);
	fx_free(f);
}

/* An unmasked invalid operation on a store leaves memory and the stack
 * alone; the error is reported by the next waiting instruction (FWAIT). */
TEST(fpu_unmasked_invalid_store_writes_nothing)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw word ptr [0x20000] */
		0xdd, 0x05, 0x08, 0x00, 0x02, 0x00, /* fld qword ptr [0x20008] */
		0xdb, 0x1d, 0x00, 0x01, 0x02, 0x00, /* fistp dword ptr [0x20100] */
		0xdd, 0x3d, 0x04, 0x01, 0x02, 0x00, /* fnstsw word ptr [0x20104] */
		0x9b,                               /* fwait */
		0xf4,                               /* hlt */
	};
	struct fx *f = fpu_fx(code, sizeof(code));
	put16(f, D, 0x037e); /* IM clear */
	put_f64(f, D + 8, 1e10);
	fx_write32(f, D + 0x100, 0x11223344);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_MF);
	CHECK_EQ(fx_read32(f, D + 0x100), 0x11223344u);
	uint16_t sw = get16(f, D + 0x104);
	CHECK_EQ(sw & (ES | IE), ES | IE);
	CHECK_EQ(TOP(sw), 7); /* not popped */
	fx_free(f);
}

/* The real-mode environment layouts hold linear pointers split around the
 * opcode; FLDENV reads back what FNSTENV wrote. */
TEST(fpu_real_mode_environment_layouts)
{
	for (int op32 = 0; op32 <= 1; op32++) {
		struct fx *f = fx_new(1u << 20);
		struct cpu *c = f->c;
		c->cr0 &= ~CR0_PE;
		seg_load_real(c, SR_DS, 0x2000);
		c->fpu.fip = 0x1234, c->fpu.fcs = 0xf000;
		c->fpu.fdp = 0x5678, c->fpu.fds = 0x2000;
		c->fpu.fop = 0x5ab;
		struct insn i = { .iop = IOP_ESC1, .mod = 0, .reg = 6, .rm = 6, .disp = 0x100,
				  .base = REG_NONE, .index = REG_NONE, .seg = SR_DS,
				  .op32 = (uint8_t)op32, .a32 = 0 };
		fpu_fnstenv(c, &i);
		uint32_t e = D + 0x100;
		if (op32) {
			CHECK_EQ(get16(f, e + 12), 0x1234);          /* IP 15:0 */
			CHECK_EQ(fx_read32(f, e + 16), 0xf5abu);     /* IP 31:16 << 12 | FOP */
			CHECK_EQ(get16(f, e + 20), 0x5678);          /* DP 15:0 */
			CHECK_EQ(fx_read32(f, e + 24), 0x2000u);     /* DP 31:16 << 12 */
		} else {
			CHECK_EQ(get16(f, e + 6), 0x1234);
			CHECK_EQ(get16(f, e + 8), 0xf5ab);
			CHECK_EQ(get16(f, e + 10), 0x5678);
			CHECK_EQ(get16(f, e + 12), 0x2000);
		}
		fpu_reset(&c->fpu);
		fpu_fldenv(c, &i);
		CHECK_EQ(c->fpu.fip, 0xf1234u);
		CHECK_EQ(c->fpu.fdp, 0x25678u);
		CHECK_EQ(c->fpu.fop, 0x5ab);
		CHECK_EQ(c->fpu.cw, 0x037f);
		fx_free(f);
	}
}

/* FRSTOR takes only "empty or not" from the tag word: an empty tag hides a
 * value, a wrong non-empty tag is recomputed. */
TEST(fpu_frstor_recomputes_tags)
{
	struct fx *f = fx_new(1u << 20);
	struct cpu *c = f->c;
	uint8_t img[108];
	memset(img, 0, sizeof(img));
	img[0] = 0x7f, img[1] = 0x03;       /* cw */
	img[5] = 6 << 3;                    /* sw: TOP = 6 */
	img[8] = 0xff, img[9] = 0x0f;       /* R6, R7 tagged valid, the rest empty */
	long double one = 1.0L;
	memcpy(img + 38, &one, 10);         /* ST(1) = R7 = 1.0; ST(0) = R6 = +0 */
	put(f, D, img, sizeof(img));
	struct insn i = { .iop = IOP_ESC5, .mod = 0, .reg = 4, .rm = 5, .disp = D,
			  .base = REG_NONE, .index = REG_NONE, .seg = SR_DS,
			  .op32 = 1, .a32 = 1 };
	fpu_frstor(c, &i);
	CHECK_EQ(fpu_top(&c->fpu), 6);
	CHECK_EQ(fpu_full_tags(&c->fpu), 0x1fff); /* R6 zero, R7 valid */
	fx_free(f);
}
