/*
 * Protected mode of the soft CPU: segment loads and their error codes,
 * far transfers across privilege levels, interrupt delivery, task switches,
 * the I/O permission bitmap, descriptor-table instructions, SYSENTER.
 *
 * The code bytes were assembled with `as --32` (Intel syntax); each line
 * carries the instruction.  Layout and helpers: pm_fixture.h.
 */
#include "pm_fixture.h"
#include "t.h"

#define RUN(f, cpl, body, fl) pm_run_at((f), (cpl), (body), sizeof(body), (fl))

TEST(pm_retf_to_outer_level_nulls_ds)
{
	static const uint8_t body[] = {
		0xb8, 0x23, 0x00, 0x00, 0x00, /* mov eax,0x23 */
		0x8e, 0xc0,                   /* mov es,eax */
		0x6a, 0x23,                   /* push 0x23 */
		0x68, 0x00, 0x00, 0x07, 0x00, /* push 0x70000 */
		0x6a, 0x1b,                   /* push 0x1b */
		0x68, 0x00, 0x12, 0x01, 0x00, /* push 0x11200 (PM_USER_TAIL2) */
		0xcb,                         /* retf */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->r[R_EBX], 0);          /* DS 0x10: DPL0 < CPL3, nulled */
	CHECK_EQ(f->c->seg[SR_FS].sel, 0);
	CHECK_EQ(f->c->seg[SR_ES].sel, 0x23); /* DPL3: kept */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 4) & 0xffff, 0x23);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16) & 0xffff, 0x1b);
	fx_free(f);
}

TEST(pm_mov_ds_not_present_is_np_with_selector)
{
	static const uint8_t body[] = {
		0xb8, 0x60, 0x00, 0x00, 0x00, /* mov eax,0x60 */
		0x8e, 0xd8,                   /* mov ds,eax */
		0xf4,                         /* hlt */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_NP);
	CHECK_EQ(pm_err(f), 0x60);
	CHECK_EQ(f->c->seg[SR_DS].sel, 0x10);
	fx_free(f);
}

TEST(pm_mov_ss_not_present_is_ss_with_selector)
{
	static const uint8_t body[] = {
		0xb8, 0x60, 0x00, 0x00, 0x00, /* mov eax,0x60 */
		0x8e, 0xd0,                   /* mov ss,eax */
		0xf4,                         /* hlt */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_SS);
	CHECK_EQ(pm_err(f), 0x60);
	fx_free(f);
}

TEST(pm_mov_ss_null_is_gp0)
{
	static const uint8_t body[] = {
		0x31, 0xc0, /* xor eax,eax */
		0x8e, 0xd0, /* mov ss,eax */
		0xf4,       /* hlt */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);
	CHECK_EQ(f->c->seg[SR_SS].sel, 0x10);
	fx_free(f);
}

TEST(pm_mov_es_null_is_allowed_then_use_faults)
{
	static const uint8_t body[] = {
		0x31, 0xc0,                               /* xor eax,eax */
		0x8e, 0xc0,                               /* mov es,eax */
		0x26, 0x8b, 0x1d, 0x00, 0x00, 0x02, 0x00, /* mov ebx,DWORD PTR es:0x20000 */
		0xf4,                                     /* hlt */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(f->c->seg[SR_ES].sel, 0);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);
	fx_free(f);
}

TEST(pm_call_gate_bad_inner_stack_is_ts)
{
	static const uint8_t body[] = {
		0x9a, 0x00, 0x00, 0x00, 0x00, 0x73, 0x00, /* call 0x73:0x0 */
		0xcd, 0x80,                               /* int 0x80 */
	};
	struct fx *f = pm_new();
	/* Ring 1's stack: SS1 = 0x10, whose RPL and DPL are 0, not 1. */
	fx_write32(f, FX_TSS + 0x0c, 0x60000); /* ESP1 */
	fx_write32(f, FX_TSS + 0x10, 0x10);    /* SS1 */
	RUN(f, 3, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_TS);
	CHECK_EQ(pm_err(f), 0x10);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16) & 0xffff, 0x1b); /* taken at CPL3 */
	fx_free(f);
}

TEST(pm_int_beyond_idt_limit_is_gp)
{
	static const uint8_t body[] = {
		0xcd, 0x30, /* int 0x30 */
		0xf4,       /* hlt */
	};
	struct fx *f = pm_new();
	f->c->idt_limit = 0x30 * 8 - 1;
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0x30 * 8 + 2);
	fx_free(f);
}

TEST(pm_exception_through_bad_gate_sets_ext)
{
	static const uint8_t body[] = {
		0x0f, 0x0b, /* ud2 */
	};
	struct fx *f = pm_new();
	/* Vector 6's gate names a data segment as its code segment. */
	uint32_t lo = fx_read32(f, FX_IDT + 6 * 8);
	fx_write32(f, FX_IDT + 6 * 8, (lo & 0xffff) | (0x10u << 16));
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0x10 | 1); /* EXT: raised delivering an exception */
	fx_free(f);
}

TEST(pm_interrupt_from_cpl3_frame_and_if)
{
	static const uint8_t body[] = {
		0xcd, 0x80, /* int 0x80 */
	};
	struct fx *f = pm_new();
	RUN(f, 3, body, 0x202);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->cpl, 0);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK0 - 20);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 4) & 0xffff, 0x23);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), PM_USER_STACK);
	CHECK(fx_read32(f, FX_STACK0 - 12) & FL_IF);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16) & 0xffff, 0x1b);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 20), PM_USER_BODY + 2);
	CHECK(!(f->c->eflags & FL_IF)); /* interrupt gate */
	fx_free(f);
}

/* A second 32-bit TSS whose task starts at eip with EAX = 0x1234. */
static void setup_task2(struct fx *f, uint32_t eip)
{
	uint32_t t = PM_TSS2;
	memset(f->ram + t, 0, 0x68);
	fx_write32(f, t + 0x20, eip);
	fx_write32(f, t + 0x24, 0x2);
	fx_write32(f, t + 0x28, 0x1234); /* EAX */
	fx_write32(f, t + 0x38, 0x60000); /* ESP */
	for (int s = 0; s < 6; s++)
		fx_write32(f, t + 0x48 + 4 * (uint32_t)s, s == SR_CS ? 0x08 : 0x10);
}

TEST(pm_jmp_to_tss_switches_task)
{
	static const uint8_t body[] = {
		0xb8, 0x55, 0x55, 0x00, 0x00,             /* mov eax,0x5555 */
		0xea, 0x00, 0x00, 0x00, 0x00, 0x78, 0x00, /* jmp 0x78:0x0 */
	};
	struct fx *f = pm_new();
	setup_task2(f, PM_KTARGET);
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	CHECK_EQ(f->c->tr.sel, 0x78);
	CHECK_EQ(f->c->r[R_EAX], 0x1234);
	CHECK_EQ(f->c->r[R_ESP], 0x60000);
	CHECK(f->c->cr0 & CR0_TS);
	CHECK(!(f->c->eflags & FL_NT));        /* JMP does not nest */
	CHECK_EQ(pm_desc_type(f, 5), 0x89);    /* old TSS: available */
	CHECK_EQ(pm_desc_type(f, 15), 0x8b);   /* new TSS: busy */
	CHECK_EQ(fx_read32(f, FX_TSS + 0x20), FX_CODE + 12); /* saved EIP */
	CHECK_EQ(fx_read32(f, FX_TSS + 0x28), 0x5555);       /* saved EAX */
	fx_free(f);
}

TEST(pm_call_to_tss_and_iret_back)
{
	static const uint8_t body[] = {
		0xb8, 0x77, 0x77, 0x00, 0x00,             /* mov eax,0x7777 */
		0x9a, 0x00, 0x00, 0x00, 0x00, 0x78, 0x00, /* call 0x78:0x0 */
		0xf4,                                     /* hlt */
	};
	struct fx *f = pm_new();
	setup_task2(f, PM_KIRET);
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, FX_CODE + 13);
	CHECK_EQ(f->c->tr.sel, 0x28);
	CHECK_EQ(f->c->r[R_EAX], 0x7777);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK);
	CHECK(!(f->c->eflags & FL_NT));
	CHECK_EQ(fx_read32(f, PM_TSS2) & 0xffff, 0x28);       /* back link */
	CHECK_EQ(fx_read32(f, PM_TSS2 + 0x28), 0x1234);       /* task 2's EAX saved */
	CHECK(!(fx_read32(f, PM_TSS2 + 0x24) & FL_NT));       /* saved without NT */
	CHECK_EQ(pm_desc_type(f, 15), 0x89);
	CHECK_EQ(pm_desc_type(f, 5), 0x8b);
	fx_free(f);
}

TEST(pm_jmp_to_short_tss_is_ts)
{
	static const uint8_t body[] = {
		0xea, 0x00, 0x00, 0x00, 0x00, 0x78, 0x00, /* jmp 0x78:0x0 */
	};
	struct fx *f = pm_new();
	fx_set_desc(f, 15, PM_TSS2, 0x20, 0x0089);
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_TS);
	CHECK_EQ(pm_err(f), 0x78);
	CHECK_EQ(f->c->tr.sel, 0x28);
	fx_free(f);
}

TEST(pm_jmp_to_busy_tss_is_gp)
{
	static const uint8_t body[] = {
		0xea, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, /* jmp 0x28:0x0 */
	};
	struct fx *f = pm_new();
	fx_set_desc(f, 5, FX_TSS, 0x67, 0x008b); /* the running task: busy */
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0x28);
	fx_free(f);
}

/* TSS with an I/O bitmap at 0x68: ports 0x80-0x87 allowed, others denied,
 * ports from 0x100 on beyond the TSS limit. */
static void setup_iomap(struct fx *f)
{
	fx_write32(f, FX_TSS + 0x64, 0x68u << 16);
	memset(f->ram + FX_TSS + 0x68, 0xff, 0x20);
	f->ram[FX_TSS + 0x68 + 0x10] = 0x00;
	fx_set_desc(f, 5, FX_TSS, 0x68 + 0x20, 0x008b);
	f->c->tr.limit = 0x68 + 0x20;
}

TEST(pm_io_bitmap_allows_and_denies_at_cpl3)
{
	static const uint8_t in_ok[] = {
		0xe4, 0x80, /* in al,0x80 */
		0xcd, 0x80, /* int 0x80 */
	};
	static const uint8_t in_deny[] = {
		0xe4, 0x88, /* in al,0x88 */
		0xcd, 0x80, /* int 0x80 */
	};
	static const uint8_t in_straddle[] = {
		0x66, 0xe5, 0x7f, /* in ax,0x7f (0x7f denied, 0x80 allowed) */
		0xcd, 0x80,       /* int 0x80 */
	};
	static const uint8_t in_far[] = {
		0xba, 0x00, 0x02, 0x00, 0x00, /* mov edx,0x200 */
		0xec,                         /* in al,dx */
		0xcd, 0x80,                   /* int 0x80 */
	};
	struct fx *f = pm_new();
	setup_iomap(f);
	RUN(f, 3, in_ok, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	RUN(f, 3, in_deny, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);
	RUN(f, 3, in_straddle, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	RUN(f, 3, in_far, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	/* At CPL3 with IOPL 3 the bitmap is not consulted. */
	RUN(f, 3, in_deny, 0x3002);
	CHECK_EQ(fx_exception(f), 0x80);
	/* Nor at CPL0. */
	RUN(f, 0, in_deny, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	fx_free(f);
}

static const uint8_t ltr_body[] = {
	0xb8, 0x78, 0x00, 0x00, 0x00, /* mov eax,0x78 */
	0x0f, 0x00, 0xd8,             /* ltr ax */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(pm_ltr_marks_busy_and_is_privileged)
{
	struct fx *f = pm_new();
	RUN(f, 3, ltr_body, 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);
	CHECK_EQ(f->c->tr.sel, 0x28);
	RUN(f, 0, ltr_body, 0x2);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(f->c->tr.sel, 0x78);
	CHECK_EQ(f->c->tr.base, PM_TSS2);
	CHECK_EQ(pm_desc_type(f, 15), 0x8b);
	fx_free(f);
}

TEST(pm_lmsw_cannot_clear_pe)
{
	static const uint8_t body[] = {
		0xb8, 0x08, 0x00, 0x00, 0x00, /* mov eax,0x8 */
		0x0f, 0x01, 0xf0,             /* lmsw ax */
		0xf4,                         /* hlt */
	};
	struct fx *f = pm_new();
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(f->c->cr0 & CR0_PE);
	CHECK(f->c->cr0 & CR0_TS);
	fx_free(f);
}

TEST(pm_sysenter_and_sysexit)
{
	static const uint8_t sysenter[] = {
		0x0f, 0x34, /* sysenter */
	};
	static const uint8_t sysexit[] = {
		0xb9, 0x00, 0x00, 0x07, 0x00, /* mov ecx,0x70000 */
		0xba, 0x00, 0x11, 0x01, 0x00, /* mov edx,0x11100 */
		0x0f, 0x35,                   /* sysexit */
	};
	struct fx *f = pm_new();
	RUN(f, 3, sysenter, 0x202); /* SYSENTER_CS = 0: #GP(0) */
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);

	f->c->sysenter_cs = 0x08;
	f->c->sysenter_esp = 0x60000;
	f->c->sysenter_eip = PM_KTARGET;
	RUN(f, 3, sysenter, 0x202);
	CHECK_EQ(f->c->eip, PM_KTARGET + 1);
	CHECK_EQ(f->c->cpl, 0);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x08);
	CHECK_EQ(f->c->seg[SR_SS].sel, 0x10);
	CHECK_EQ(f->c->r[R_ESP], 0x60000);
	CHECK(!(f->c->eflags & FL_IF));

	RUN(f, 0, sysexit, 0x2);
	CHECK_EQ(fx_exception(f), 0x80); /* PM_USER_TAIL ran at CPL3 */
	CHECK_EQ(fx_read32(f, FX_STACK0 - 16) & 0xffff, 0x1b);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 4) & 0xffff, 0x23);
	CHECK_EQ(fx_read32(f, FX_STACK0 - 8), 0x70000);
	fx_free(f);
}

TEST(pm_sgdt_16bit_operand_zeroes_sixth_byte)
{
	static const uint8_t body[] = {
		0x66, 0x0f, 0x01, 0x05, 0x00, 0x00, 0x02, 0x00, /* sgdtw ds:0x20000 */
		0xf4,                                           /* hlt */
	};
	struct fx *f = pm_new();
	f->c->gdt_base = 0xab001000u;
	fx_write32(f, 0x20002, 0xffffffffu);
	RUN(f, 0, body, 0x2);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, 0x20002), 0x00001000u);
	fx_free(f);
}

/* Switches the fixture's CPU to real mode: CS=0x1000 (FX_CODE), SS:SP=0:0x8000,
 * the IVT at 0 with vector 0x21 -> 1000:0100. */
static void enter_real_mode(struct fx *f)
{
	struct cpu *c = f->c;
	c->cr0 &= ~CR0_PE;
	c->cpl = 0;
	for (int s = 0; s < 6; s++) {
		c->seg[s].attr = SA_P | SA_S | ST_WRITABLE | ST_ACCESSED;
		c->seg[s].limit = 0xffff;
		seg_load_real(c, s, 0);
	}
	c->seg[SR_CS].attr = SA_P | SA_S | ST_CODE | ST_READABLE | ST_ACCESSED;
	seg_load_real(c, SR_CS, 0x1000);
	c->r[R_ESP] = 0x8000;
	c->idt_base = 0;
	c->idt_limit = 0x3ff;
	fx_write32(f, 0x21 * 4, 0x10000100u);
}

TEST(real_mode_int_and_iret)
{
	static const uint8_t body[] = {
		0xcd, 0x21, /* int 0x21 */
		0xf4,       /* hlt */
	};
	static const uint8_t handler[] = {
		0xf4, /* hlt (resumed by the test) */
		0xcf, /* iret */
	};
	struct fx *f = pm_new();
	enter_real_mode(f);
	pm_put(f, 0x10100, handler, sizeof(handler));
	cpu_set_eflags(f->c, FL_IF | FL_CF, 0xffffffffu);
	f->c->eip = 0;
	pm_put(f, FX_CODE, body, sizeof(body));
	fx_run(f, 100);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x1000);
	CHECK_EQ(f->c->eip, 0x101);
	CHECK_EQ(f->c->r[R_ESP], 0x8000 - 6);
	CHECK_EQ(fx_read32(f, 0x8000 - 6), 0x10000002u);          /* IP, CS */
	CHECK_EQ(fx_read32(f, 0x8000 - 2) & 0xffff, FL_IF | FL_CF | FL_FIXED1); /* FLAGS */
	CHECK(!(f->c->eflags & FL_IF));
	fx_run(f, 100); /* iret, then the hlt after INT */
	CHECK_EQ(f->c->eip, 3);
	CHECK_EQ(f->c->r[R_ESP], 0x8000);
	CHECK(f->c->eflags & FL_IF);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}
