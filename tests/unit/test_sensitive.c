/*
 * The sensitive unprivileged instructions of Robin & Irvine (2000), each
 * run at CPL 0 and at CPL 3 and checked against the SDM.  The point of the
 * paper is that these neither fault nor behave the same at CPL 3 as at
 * CPL 0, so each test asserts the exact difference (or the lack of one).
 *
 * The code bytes were assembled with `as --32` (Intel syntax); each line
 * carries the instruction.
 */
#include "pm_fixture.h"
#include "t.h"

#define RUN(f, cpl, body, fl) pm_run_at((f), (cpl), (body), sizeof(body), (fl))

static uint16_t rd16(struct fx *f, uint32_t pa)
{
	return (uint16_t)(f->ram[pa] | (f->ram[pa + 1] << 8));
}

/* Loads GDTR limit 0x5ff, IDTR limit 0x7ff and LDTR 0x58 at CPL 0. */
static void load_tables(struct fx *f)
{
	static const uint8_t lgdt_body[] = {
		0x0f, 0x01, 0x15, 0x00, 0x01, 0x02, 0x00, /* lgdtd ds:0x20100 */
		0x0f, 0x01, 0x1d, 0x08, 0x01, 0x02, 0x00, /* lidtd ds:0x20108 */
		0xb8, 0x58, 0x00, 0x00, 0x00,             /* mov eax,0x58 */
		0x0f, 0x00, 0xd0,                         /* lldt ax */
		0xf4,                                     /* hlt */
	};
	f->ram[0x20100] = 0xff;
	f->ram[0x20101] = 0x05;
	fx_write32(f, 0x20102, FX_GDT);
	f->ram[0x20108] = 0xff;
	f->ram[0x20109] = 0x07;
	fx_write32(f, 0x2010a, FX_IDT);
	RUN(f, 0, lgdt_body, 0x2);
}

static const uint8_t sgdt_body[] = {
	0x0f, 0x01, 0x05, 0x00, 0x00, 0x02, 0x00, /* sgdtd ds:0x20000 */
	0x0f, 0x01, 0x0d, 0x08, 0x00, 0x02, 0x00, /* sidtd ds:0x20008 */
	0xcd, 0x80,                               /* int 0x80 */
};

TEST(sgdt_sidt_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		load_tables(f);
		CHECK_EQ(f->c->gdt_limit, 0x5ff);
		RUN(f, cpl, sgdt_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80); /* no fault at either CPL */
		CHECK_EQ(rd16(f, 0x20000), 0x5ff);
		CHECK_EQ(fx_read32(f, 0x20002), FX_GDT);
		CHECK_EQ(rd16(f, 0x20008), 0x7ff);
		CHECK_EQ(fx_read32(f, 0x2000a), FX_IDT);
		fx_free(f);
	}
}

static const uint8_t sldt_body[] = {
	0xb8, 0xff, 0xff, 0xff, 0xff,             /* mov eax,0xffffffff */
	0x0f, 0x00, 0xc0,                         /* sldt eax */
	0xbb, 0xff, 0xff, 0xff, 0xff,             /* mov ebx,0xffffffff */
	0x0f, 0x00, 0xcb,                         /* str ebx */
	0x0f, 0x00, 0x0d, 0x00, 0x00, 0x02, 0x00, /* str WORD PTR ds:0x20000 */
	0xcd, 0x80,                               /* int 0x80 */
};

TEST(sldt_str_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		load_tables(f);
		fx_write32(f, 0x20000, 0xffffffffu);
		RUN(f, cpl, sldt_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_EAX], 0x58);  /* zero-extended into EAX */
		CHECK_EQ(f->c->r[R_EBX], 0x28);
		CHECK_EQ(fx_read32(f, 0x20000), 0xffff0028u); /* memory: 16 bits */
		fx_free(f);
	}
}

static const uint8_t smsw_body[] = {
	0xb8, 0xff, 0xff, 0xff, 0xff,             /* mov eax,0xffffffff */
	0x0f, 0x01, 0xe0,                         /* smsw eax */
	0x0f, 0x01, 0x25, 0x00, 0x00, 0x02, 0x00, /* smsw WORD PTR ds:0x20000 */
	0xcd, 0x80,                               /* int 0x80 */
};

TEST(smsw_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		f->c->cr0 |= CR0_WP; /* a bit above 15, to see the whole CR0 */
		fx_write32(f, 0x20000, 0xffffffffu);
		RUN(f, cpl, smsw_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_EAX], f->c->cr0); /* P6: all of CR0 */
		CHECK(f->c->r[R_EAX] & CR0_PE);
		CHECK_EQ(fx_read32(f, 0x20000), 0xffff0000u | (f->c->cr0 & 0xffff));
		fx_free(f);
	}
}

static const uint8_t pushf_body[] = {
	0x9c,       /* pushfd */
	0x58,       /* pop eax */
	0xcd, 0x80, /* int 0x80 */
};

TEST(pushf_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, pushf_body, 0x1202); /* IOPL 1, IF */
		CHECK_EQ(fx_exception(f), 0x80);
		/* PUSHF shows the real IF and IOPL at every CPL. */
		CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_VM | FL_RF), 0x1200);
		fx_free(f);
	}
}

static const uint8_t popf_body[] = {
	0x68, 0x03, 0x32, 0x00, 0x00, /* push 0x3203 (IOPL 3, IF, CF) */
	0x9d,                         /* popfd */
	0x9c,                         /* pushfd */
	0x58,                         /* pop eax */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(popf_cpl0_changes_if_and_iopl)
{
	struct fx *f = pm_new();
	RUN(f, 0, popf_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_CF), FL_IF | FL_IOPL | FL_CF);
	fx_free(f);
}

TEST(popf_cpl3_iopl0_silently_keeps_if_and_iopl)
{
	struct fx *f = pm_new();
	RUN(f, 3, popf_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80); /* no #GP */
	CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_CF), FL_CF);
	fx_free(f);
}

TEST(popf_cpl3_iopl3_changes_if_not_iopl)
{
	static const uint8_t body[] = {
		0x68, 0x03, 0x02, 0x00, 0x00, /* push 0x0203 (IOPL 0, IF, CF) */
		0x9d,                         /* popfd */
		0x9c,                         /* pushfd */
		0x58,                         /* pop eax */
		0xcd, 0x80,                   /* int 0x80 */
	};
	struct fx *f = pm_new();
	RUN(f, 3, body, 0x3002);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_CF), FL_IF | FL_IOPL | FL_CF);
	fx_free(f);
}

static const uint8_t lar_body[] = {
	0xbb, 0x1b, 0x00, 0x00, 0x00, /* mov ebx,0x1b */
	0x0f, 0x02, 0xc3,             /* lar eax,ebx */
	0x0f, 0x94, 0xc1,             /* sete cl */
	0xbb, 0x08, 0x00, 0x00, 0x00, /* mov ebx,0x8 */
	0xba, 0x78, 0x56, 0x34, 0x12, /* mov edx,0x12345678 */
	0x0f, 0x02, 0xd3,             /* lar edx,ebx */
	0x0f, 0x94, 0xc5,             /* sete ch */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(lar_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, lar_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_EAX], 0x00cffb00u); /* DPL3 code: visible everywhere */
		CHECK_EQ(f->c->r[R_ECX] & 0xff, 1);
		if (cpl == 0) {
			CHECK_EQ(f->c->r[R_EDX], 0x00cf9b00u);
			CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 1);
		} else { /* DPL0 code from CPL3: ZF clear, EDX untouched */
			CHECK_EQ(f->c->r[R_EDX], 0x12345678u);
			CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 0);
		}
		fx_free(f);
	}
}

static const uint8_t lsl_body[] = {
	0xbb, 0x23, 0x00, 0x00, 0x00, /* mov ebx,0x23 */
	0x0f, 0x03, 0xc3,             /* lsl eax,ebx */
	0x0f, 0x94, 0xc1,             /* sete cl */
	0xbb, 0x28, 0x00, 0x00, 0x00, /* mov ebx,0x28 */
	0xba, 0x78, 0x56, 0x34, 0x12, /* mov edx,0x12345678 */
	0x0f, 0x03, 0xd3,             /* lsl edx,ebx */
	0x0f, 0x94, 0xc5,             /* sete ch */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(lsl_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, lsl_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_EAX], 0xffffffffu); /* scaled by G */
		CHECK_EQ(f->c->r[R_ECX] & 0xff, 1);
		if (cpl == 0) {
			CHECK_EQ(f->c->r[R_EDX], 0x67); /* the TSS limit */
			CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 1);
		} else {
			CHECK_EQ(f->c->r[R_EDX], 0x12345678u);
			CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 0);
		}
		fx_free(f);
	}
}

static const uint8_t verr_body[] = {
	0xbb, 0x10, 0x00, 0x00, 0x00, /* mov ebx,0x10 (data DPL0) */
	0x0f, 0x00, 0xe3,             /* verr bx */
	0x0f, 0x94, 0xc1,             /* sete cl */
	0xbb, 0x50, 0x00, 0x00, 0x00, /* mov ebx,0x50 (conforming readable code DPL0) */
	0x0f, 0x00, 0xe3,             /* verr bx */
	0x0f, 0x94, 0xc5,             /* sete ch */
	0xbb, 0x23, 0x00, 0x00, 0x00, /* mov ebx,0x23 (data DPL3) */
	0x0f, 0x00, 0xe3,             /* verr bx */
	0x0f, 0x94, 0xc2,             /* sete dl */
	0xbb, 0x13, 0x00, 0x00, 0x00, /* mov ebx,0x13 (data DPL0, RPL3) */
	0x0f, 0x00, 0xe3,             /* verr bx */
	0x0f, 0x94, 0xc6,             /* sete dh */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(verr_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, verr_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_ECX] & 0xff, cpl == 0 ? 1 : 0); /* DPL0 data */
		CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 1);         /* conforming */
		CHECK_EQ(f->c->r[R_EDX] & 0xff, 1);                /* DPL3 data */
		CHECK_EQ((f->c->r[R_EDX] >> 8) & 0xff, 0);         /* RPL3 > DPL0 */
		fx_free(f);
	}
}

static const uint8_t verw_body[] = {
	0xbb, 0x23, 0x00, 0x00, 0x00, /* mov ebx,0x23 (data DPL3) */
	0x0f, 0x00, 0xeb,             /* verw bx */
	0x0f, 0x94, 0xc1,             /* sete cl */
	0xbb, 0x1b, 0x00, 0x00, 0x00, /* mov ebx,0x1b (code) */
	0x0f, 0x00, 0xeb,             /* verw bx */
	0x0f, 0x94, 0xc5,             /* sete ch */
	0xbb, 0x10, 0x00, 0x00, 0x00, /* mov ebx,0x10 (data DPL0) */
	0x0f, 0x00, 0xeb,             /* verw bx */
	0x0f, 0x94, 0xc2,             /* sete dl */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(verw_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, verw_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_ECX] & 0xff, 1);
		CHECK_EQ((f->c->r[R_ECX] >> 8) & 0xff, 0); /* code is never writable */
		CHECK_EQ(f->c->r[R_EDX] & 0xff, cpl == 0 ? 1 : 0);
		fx_free(f);
	}
}

static const uint8_t push_sreg_body[] = {
	0xc7, 0x44, 0x24, 0xfc, 0xef, 0xbe, 0xad, 0xde, /* mov DWORD PTR [esp-0x4],0xdeadbeef */
	0x0e,                                           /* push cs */
	0x8b, 0x04, 0x24,                               /* mov eax,DWORD PTR [esp] */
	0x89, 0xe3,                                     /* mov ebx,esp */
	0x16,                                           /* push ss */
	0x59,                                           /* pop ecx */
	0xcd, 0x80,                                     /* int 0x80 */
};

TEST(push_sreg_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, push_sreg_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		/* PUSH CS reveals the CPL; P6 writes 16 bits of the 4-byte slot. */
		CHECK_EQ(f->c->r[R_EAX], cpl == 0 ? 0xdead0008u : 0xdead001bu);
		CHECK_EQ(f->c->r[R_EBX], (cpl == 0 ? FX_STACK : PM_USER_STACK) - 4);
		CHECK_EQ(f->c->r[R_ECX] & 0xffff, cpl == 0 ? 0x10 : 0x23);
		fx_free(f);
	}
}

static const uint8_t pop_sreg_body[] = {
	0x6a, 0x23, /* push 0x23 */
	0x0f, 0xa1, /* pop fs */
	0x8c, 0xe0, /* mov eax,fs */
	0x6a, 0x10, /* push 0x10 */
	0x0f, 0xa9, /* pop gs */
	0xcd, 0x80, /* int 0x80 */
};

TEST(pop_sreg_at_cpl0_and_cpl3)
{
	struct fx *f = pm_new();
	RUN(f, 0, pop_sreg_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->r[R_EAX], 0x23);
	CHECK_EQ(f->c->seg[SR_GS].sel, 0x10);
	fx_free(f);

	f = pm_new();
	RUN(f, 3, pop_sreg_body, 0x2);
	CHECK_EQ(f->c->r[R_EAX], 0x23);          /* POP FS 0x23 worked */
	CHECK_EQ(fx_exception(f), EXC_GP);       /* POP GS 0x10: DPL0 < CPL3 */
	CHECK_EQ(pm_err(f), 0x10);
	CHECK(f->c->seg[SR_GS].sel != 0x10);
	/* The faulting POP left ESP where it was (frame's ESP slot). */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK - 4);
	fx_free(f);
}

static const uint8_t mov_from_body[] = {
	0xb8, 0xff, 0xff, 0xff, 0xff,                               /* mov eax,0xffffffff */
	0x8c, 0xc8,                                                 /* mov eax,cs */
	0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff, /* mov DWORD PTR ds:0x20000,0xffffffff */
	0x8c, 0x15, 0x00, 0x00, 0x02, 0x00,                         /* mov WORD PTR ds:0x20000,ss */
	0xcd, 0x80,                                                 /* int 0x80 */
};

TEST(mov_from_sreg_at_cpl0_and_cpl3)
{
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		struct fx *f = pm_new();
		RUN(f, cpl, mov_from_body, 0x2);
		CHECK_EQ(fx_exception(f), 0x80);
		CHECK_EQ(f->c->r[R_EAX], cpl == 0 ? 0x08u : 0x1bu);
		CHECK_EQ(fx_read32(f, 0x20000), cpl == 0 ? 0xffff0010u : 0xffff0023u);
		fx_free(f);
	}
}

static const uint8_t mov_to_body[] = {
	0xb8, 0x23, 0x00, 0x00, 0x00, /* mov eax,0x23 */
	0x8e, 0xe0,                   /* mov fs,eax */
	0xb8, 0x10, 0x00, 0x00, 0x00, /* mov eax,0x10 */
	0x8e, 0xe8,                   /* mov gs,eax */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(mov_to_sreg_at_cpl0_and_cpl3)
{
	struct fx *f = pm_new();
	RUN(f, 0, mov_to_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->seg[SR_FS].sel, 0x23);
	CHECK_EQ(f->c->seg[SR_GS].sel, 0x10);
	fx_free(f);

	f = pm_new();
	RUN(f, 3, mov_to_body, 0x2);
	CHECK_EQ(f->c->seg[SR_FS].sel, 0x23);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0x10);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 20), PM_USER_BODY + 12); /* EIP of MOV GS */
	fx_free(f);
}

static const uint8_t call_gate_body[] = {
	0x68, 0x11, 0x11, 0x11, 0x11,             /* push 0x11111111 */
	0x68, 0x22, 0x22, 0x22, 0x22,             /* push 0x22222222 */
	0x9a, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, /* call 0x4b:0x0 */
	0xcd, 0x80,                               /* int 0x80 */
};

TEST(call_far_gate_from_cpl3_switches_stack)
{
	struct fx *f = pm_new();
	RUN(f, 3, call_gate_body, 0x2);
	CHECK_EQ(fx_exception(f), -1); /* halted at PM_KTARGET */
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	CHECK_EQ(f->c->cpl, 0);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x08);
	CHECK_EQ(f->c->seg[SR_SS].sel, 0x10); /* SS0:ESP0 from the TSS */
	CHECK_EQ(f->c->r[R_ESP], FX_STACK0 - 24);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 4), 0x23);                 /* old SS */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK - 8);    /* old ESP */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 12), 0x11111111u);         /* parameters, */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16), 0x22222222u);         /* same order */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 20) & 0xffff, 0x1b);       /* CS */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 24), PM_USER_BODY + 17);   /* EIP */
	fx_free(f);
}

TEST(call_far_gate_from_cpl0_stays_on_stack)
{
	struct fx *f = pm_new();
	RUN(f, 0, call_gate_body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK - 16); /* 2 params + CS + EIP */
	CHECK_EQ(fx_read32(f, FX_STACK - 16), FX_CODE + 17);
	CHECK_EQ(fx_read32(f, FX_STACK - 12) & 0xffff, 0x08);
	fx_free(f);
}

static const uint8_t jmp_far_body[] = {
	0xea, 0x00, 0x20, 0x01, 0x00, 0x08, 0x00, /* jmp 0x8:0x12000 */
};

TEST(jmp_far_at_cpl0_and_cpl3)
{
	struct fx *f = pm_new();
	RUN(f, 0, jmp_far_body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	fx_free(f);

	f = pm_new();
	RUN(f, 3, jmp_far_body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP); /* non-conforming DPL0 from CPL3 */
	CHECK_EQ(pm_err(f), 0x08);
	fx_free(f);
}

TEST(ret_far_at_cpl0_and_cpl3)
{
	static const uint8_t retf0_body[] = {
		0x6a, 0x08,                   /* push 0x8 */
		0x68, 0x00, 0x20, 0x01, 0x00, /* push 0x12000 */
		0xcb,                         /* retf */
	};
	static const uint8_t retf3_body[] = {
		0x6a, 0x1b,                   /* push 0x1b */
		0x68, 0x00, 0x11, 0x01, 0x00, /* push 0x11100 */
		0xcb,                         /* retf */
	};
	struct fx *f = pm_new();
	RUN(f, 0, retf0_body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK);
	fx_free(f);

	f = pm_new();
	RUN(f, 3, retf3_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80); /* reached PM_USER_TAIL */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK);
	fx_free(f);

	/* RET to a more privileged level is refused. */
	f = pm_new();
	RUN(f, 3, retf0_body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0x08);
	fx_free(f);
}

TEST(iret_cpl0_to_cpl3)
{
	static const uint8_t iret0_body[] = {
		0x6a, 0x23,                   /* push 0x23 */
		0x68, 0x00, 0x00, 0x07, 0x00, /* push 0x70000 */
		0x68, 0x03, 0x32, 0x00, 0x00, /* push 0x3203 */
		0x6a, 0x1b,                   /* push 0x1b */
		0x68, 0x00, 0x12, 0x01, 0x00, /* push 0x11200 (PM_USER_TAIL2) */
		0xcf,                         /* iretd */
	};
	struct fx *f = pm_new();
	RUN(f, 0, iret0_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	/* The tail's PUSHFD ran at CPL3 with the IRET image's flags. */
	CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_CF), FL_IF | FL_IOPL | FL_CF);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16) & 0xffff, 0x1b); /* CS at INT 0x80 */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 4) & 0xffff, 0x23);  /* SS */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK);   /* ESP */
	CHECK_EQ(f->c->r[R_EBX], 0); /* DS 0x10 (DPL0) was nulled */
	fx_free(f);
}

TEST(iret_cpl3_same_level_keeps_if_and_iopl)
{
	static const uint8_t iret_body[] = {
		0x68, 0x03, 0x32, 0x00, 0x00, /* push 0x3203 */
		0x6a, 0x1b,                   /* push 0x1b */
		0x68, 0x00, 0x11, 0x01, 0x00, /* push 0x11100 */
		0xcf,                         /* iretd */
	};
	struct fx *f = pm_new();
	RUN(f, 3, iret_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->r[R_EAX] & (FL_IF | FL_IOPL | FL_CF), FL_CF);
	fx_free(f);
}

static const uint8_t int_body[] = {
	0xcd, 0x30, /* int 0x30 */
	0xcd, 0x80, /* int 0x80 */
};

TEST(int_n_at_cpl0_and_cpl3)
{
	struct fx *f = pm_new();
	RUN(f, 0, int_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x30);
	fx_free(f);

	f = pm_new();
	RUN(f, 3, int_body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP); /* gate DPL0 < CPL3 */
	CHECK_EQ(pm_err(f), 0x30 * 8 + 2);
	fx_free(f);
}

TEST(audit_counts_by_cpl_and_faults)
{
	struct fx *f = pm_new();
	f->c->audit = true;
	RUN(f, 3, sgdt_body, 0x2);
	CHECK_EQ(f->c->sens[SENS_SGDT].cpl3, 1);
	CHECK_EQ(f->c->sens[SENS_SIDT].cpl3, 1);
	CHECK_EQ(f->c->sens[SENS_SGDT].cpl0, 0);
	CHECK_EQ(f->c->sens[SENS_IRET].cpl0, 1); /* the way into CPL3 */
	RUN(f, 3, mov_to_body, 0x2);
	CHECK_EQ(f->c->sens[SENS_MOV_TO_SREG].faulted, 1);
	fx_free(f);
}
