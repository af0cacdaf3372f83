/*
 * Exceptions, checked against the SDM (vol. 3, ch. 6): which vector, which
 * error code, which EIP is saved (faults: the faulting instruction; traps
 * such as INTO: the next one), that a faulting instruction changes no
 * register, and the double-fault table 6-5 (benign / contributory / page
 * fault) up to the triple-fault shutdown.
 *
 * Code bytes assembled with `as --32` (Intel syntax), except the invalid
 * encodings, which as refuses and are written by hand.
 */
#include "engine/soft/ops.h"
#include "pm_fixture.h"
#include "t.h"

/* Slot k of the exception frame on the handler's stack (slot 0 is the
 * error code for vectors that push one, else EIP). */
static uint32_t frame(struct fx *f, int slot)
{
	return fx_read32(f, f->c->seg[SR_SS].base + f->c->r[R_ESP] + 4u * (uint32_t)slot);
}

static struct fx *run0(const uint8_t *code, size_t n)
{
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, n);
	fx_run(f, 1000);
	return f;
}

/* Clears the present bit of IDT gate vec. */
static void gate_not_present(struct fx *f, int vec)
{
	uint32_t hi = fx_read32(f, FX_IDT + (uint32_t)vec * 8 + 4);
	fx_write32(f, FX_IDT + (uint32_t)vec * 8 + 4, hi & ~0x8000u);
}

TEST(exc_divide_errors_point_at_the_instruction)
{
	static const uint8_t div0[] = {
		0x31, 0xc9,                   /* 00: xor ecx,ecx */
		0xb8, 0x01, 0x00, 0x00, 0x00, /* 02: mov eax,0x1 */
		0x31, 0xd2,                   /* 07: xor edx,edx */
		0xf7, 0xf1,                   /* 09: div ecx */
		0xf4,                         /* 0b: hlt */
	};
	static const uint8_t idiv32[] = {
		0xb8, 0x00, 0x00, 0x00, 0x80, /* 00: mov eax,0x80000000 */
		0xba, 0xff, 0xff, 0xff, 0xff, /* 05: mov edx,0xffffffff */
		0xb9, 0xff, 0xff, 0xff, 0xff, /* 0a: mov ecx,0xffffffff */
		0xf7, 0xf9,                   /* 0f: idiv ecx  (2^31 does not fit) */
		0xf4,                         /* 11: hlt */
	};
	static const uint8_t idiv8[] = {
		0xb8, 0x00, 0x80, 0xff, 0xff, /* 00: mov eax,0xffff8000 */
		0xb1, 0xff,                   /* 05: mov cl,0xff */
		0xf6, 0xf9,                   /* 07: idiv cl  (AX=-32768 / -1) */
		0xf4,                         /* 09: hlt */
	};
	struct fx *f = run0(div0, sizeof(div0));
	CHECK_EQ(fx_exception(f), EXC_DE);
	CHECK_EQ(frame(f, 0), FX_CODE + 9);
	CHECK_EQ(f->c->r[R_EAX], 1);
	CHECK_EQ(f->c->r[R_EDX], 0);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK - 12); /* no error code */
	fx_free(f);

	f = run0(idiv32, sizeof(idiv32));
	CHECK_EQ(fx_exception(f), EXC_DE);
	CHECK_EQ(frame(f, 0), FX_CODE + 0xf);
	CHECK_EQ(f->c->r[R_EAX], 0x80000000u);
	CHECK_EQ(f->c->r[R_EDX], 0xffffffffu);
	fx_free(f);

	f = run0(idiv8, sizeof(idiv8));
	CHECK_EQ(fx_exception(f), EXC_DE);
	CHECK_EQ(frame(f, 0), FX_CODE + 7);
	CHECK_EQ(f->c->r[R_EAX], 0xffff8000u);
	fx_free(f);
}

TEST(exc_invalid_opcodes_are_ud)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b, /* ud2 */ 0xf4 /* hlt */ };
	static const uint8_t lock_reg[] = { 0xf0, 0x01, 0xc0, /* lock add eax,eax */ 0xf4 /* hlt */ };
	static const uint8_t ff[] = { 0x0f, 0xff, /* (undefined 0F FF) */ 0xf4 /* hlt */ };
	static const uint8_t lea_reg[] = { 0x8d, 0xc0, /* lea eax,eax */ 0xf4 /* hlt */ };
	/* LOCK on instructions that are not read-modify-write, even with a
	 * memory operand (QEMU's user-mode emulator lets these three run, so
	 * the oracle leaves them out when it runs there: checked here). */
	static const uint8_t lock_mov[] = { 0xf0, 0x89, 0x06, /* lock mov [esi],eax */ 0xf4 };
	static const uint8_t lock_bt[] = { 0xf0, 0x0f, 0xa3, 0x06, /* lock bt [esi],eax */ 0xf4 };
	static const uint8_t lock_xchg_reg[] = { 0xf0, 0x87, 0xc3, /* lock xchg ebx,eax */ 0xf4 };
	static const uint8_t *const codes[] = { ud2, lock_reg, ff, lea_reg, lock_mov, lock_bt, lock_xchg_reg };
	static const size_t lens[] = { sizeof(ud2), sizeof(lock_reg), sizeof(ff), sizeof(lea_reg),
				       sizeof(lock_mov), sizeof(lock_bt), sizeof(lock_xchg_reg) };
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		struct fx *f = fx_new(0x100000);
		f->c->r[R_EAX] = 0x1234;
		f->c->r[R_EBX] = 0x5678;
		f->c->r[R_ESI] = FX_DATA;
		fx_write32(f, FX_DATA, 0xaabbccdd);
		fx_code(f, codes[k], lens[k]);
		fx_run(f, 100);
		CHECK_EQ(fx_exception(f), EXC_UD);
		CHECK_EQ(frame(f, 0), FX_CODE); /* the prefix is part of the instruction */
		CHECK_EQ(f->c->r[R_EAX], 0x1234);
		CHECK_EQ(f->c->r[R_EBX], 0x5678);
		CHECK_EQ(fx_read32(f, FX_DATA), 0xaabbccdd);
		fx_free(f);
	}
}

TEST(exc_lock_on_memory_add_is_fine)
{
	static const uint8_t code[] = {
		0xf0, 0x01, 0x05, 0x00, 0x00, 0x02, 0x00, /* 00: lock add DWORD PTR ds:0x20000,eax */
		0xf4,                                     /* 07: hlt */
	};
	struct fx *f = fx_new(0x100000);
	f->c->r[R_EAX] = 5;
	fx_write32(f, FX_DATA, 10);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, FX_DATA), 15);
	fx_free(f);
}

TEST(exc_privileged_at_cpl3_is_gp0)
{
	static const uint8_t hlt[] = { 0xf4, /* hlt */ 0xcd, 0x80 /* int 0x80 */ };
	static const uint8_t cli[] = { 0xfa, /* cli */ 0xcd, 0x80 /* int 0x80 */ };
	static const uint8_t to_cr0[] = { 0x0f, 0x22, 0xc0, /* mov cr0,eax */ 0xcd, 0x80 /* int 0x80 */ };
	static const uint8_t from_cr3[] = { 0x0f, 0x20, 0xd9, /* mov ecx,cr3 */ 0xcd, 0x80 /* int 0x80 */ };
	static const uint8_t *const codes[] = { hlt, cli, to_cr0, from_cr3 };
	static const size_t lens[] = { sizeof(hlt), sizeof(cli), sizeof(to_cr0), sizeof(from_cr3) };
	for (int k = 0; k < 4; k++) {
		struct fx *f = pm_new();
		f->c->r[R_ECX] = 0x5678;
		pm_run_at(f, 3, codes[k], lens[k], FL_IF);
		CHECK_EQ(fx_exception(f), EXC_GP);
		CHECK_EQ(pm_err(f), 0);
		CHECK_EQ(frame(f, 1), PM_USER_BODY);
		CHECK_EQ(frame(f, 3) & FL_IF, FL_IF); /* CLI did not take effect */
		CHECK_EQ(f->c->r[R_ECX], 0x5678);
		CHECK_EQ(f->c->cr0 & CR0_PG, 0);
		fx_free(f);
	}
	/* With IOPL 3, CLI is allowed at CPL 3. */
	struct fx *f = pm_new();
	pm_run_at(f, 3, cli, sizeof(cli), FL_IF | FL_IOPL);
	CHECK_EQ(fx_exception(f), 0x80);
	CHECK_EQ(frame(f, 2) & FL_IF, 0); /* EFLAGS image of INT 0x80 */
	fx_free(f);
}

TEST(exc_nm_when_guest_sets_ts_and_clts_clears_it)
{
	static const uint8_t set_ts[] = {
		0x0f, 0x20, 0xc0, /* 00: mov eax,cr0 */
		0x83, 0xc8, 0x08, /* 03: or eax,0x8 */
		0x0f, 0x22, 0xc0, /* 06: mov cr0,eax */
		0xd9, 0xe8,       /* 09: fld1 */
		0xf4,             /* 0b: hlt */
	};
	static const uint8_t clts[] = {
		0x0f, 0x06, /* 00: clts */
		0xd9, 0xe8, /* 02: fld1 */
		0xf4,       /* 04: hlt */
	};
	struct fx *f = run0(set_ts, sizeof(set_ts));
	CHECK_EQ(fx_exception(f), EXC_NM);
	CHECK_EQ(frame(f, 0), FX_CODE + 9);
	CHECK(f->c->cr0 & CR0_TS);
	fx_write32(f, FX_EXC, 0xffffffffu);
	fx_code(f, clts, sizeof(clts));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->cr0 & CR0_TS, 0);
	CHECK_EQ(f->c->eip, FX_CODE + 5);
	fx_free(f);
}

/* mov eax,0x800 ; mov ds,eax: the selector is past the GDT limit -> #GP. */
static const uint8_t bad_ds[] = {
	0xb8, 0x00, 0x08, 0x00, 0x00, /* 00: mov eax,0x800 */
	0x8e, 0xd8,                   /* 05: mov ds,eax */
	0xf4,                         /* 07: hlt */
};

TEST(exc_gp_first)
{
	struct fx *f = run0(bad_ds, sizeof(bad_ds));
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 0), 0x800);
	CHECK_EQ(frame(f, 1), FX_CODE + 5);
	CHECK_EQ(f->c->seg[SR_DS].sel, 0x10);
	fx_free(f);
}

TEST(exc_contributory_twice_is_double_fault)
{
	/* #GP, whose gate is not present -> #NP: contributory + contributory. */
	struct fx *f = fx_new(0x100000);
	gate_not_present(f, EXC_GP);
	fx_code(f, bad_ds, sizeof(bad_ds));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_DF);
	CHECK_EQ(frame(f, 0), 0); /* #DF always pushes 0 */
	CHECK_EQ(f->c->r[R_ESP], FX_STACK - 16);
	CHECK_EQ(f->vm.stop_reason, 0);
	fx_free(f);
}

TEST(exc_benign_then_contributory_is_serial)
{
	/* #UD (benign) whose gate is not present: the #NP is delivered as is,
	 * with the IDT error code (vector 6, IDT bit, EXT). */
	static const uint8_t ud2[] = { 0x0f, 0x0b, /* ud2 */ 0xf4 /* hlt */ };
	struct fx *f = fx_new(0x100000);
	gate_not_present(f, EXC_UD);
	fx_code(f, ud2, sizeof(ud2));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_NP);
	CHECK_EQ(frame(f, 0), EXC_UD * 8 + 2 + 1);
	CHECK_EQ(frame(f, 1), FX_CODE);
	fx_free(f);
}

TEST(exc_triple_fault_with_empty_idt)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b, /* ud2 */ 0xf4 /* hlt */ };
	struct fx *f = fx_new(0x100000);
	f->c->idt_limit = 0;
	fx_code(f, ud2, sizeof(ud2));
	fx_run(f, 100);
	CHECK_EQ(f->vm.stop_reason, STOP_TRIPLE_FAULT);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(cpu_run(f->c, 10), RUN_STOP);
	fx_free(f);
}

TEST(exc_fault_delivering_double_fault_is_triple)
{
	struct fx *f = fx_new(0x100000);
	gate_not_present(f, EXC_GP);
	gate_not_present(f, EXC_DF);
	fx_code(f, bad_ds, sizeof(bad_ds));
	fx_run(f, 100);
	CHECK_EQ(f->vm.stop_reason, STOP_TRIPLE_FAULT);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

/*
 * Paging with the IDT straddling a not-present page (linear 0xb0000):
 * identity map of the first MiB through PT at 0xa1000, PTE 0xb0 clear.
 * The IDT copy starts at idt_base, so some gates are unreachable.
 */
static struct fx *idt_across_hole(uint32_t idt_base)
{
	struct fx *f = fx_new(0x100000);
	for (uint32_t p = 0; p < 256; p++)
		fx_write32(f, 0xa1000 + p * 4, p == 0xb0 ? 0 : (p << 12) | 0x3);
	fx_write32(f, 0xa0000, 0xa1000 | 0x3);
	memcpy(f->ram + idt_base, f->ram + FX_IDT, 0x800);
	f->c->idt_base = idt_base;
	cpu_set_cr3(f->c, 0xa0000);
	cpu_set_cr0(f->c, f->c->cr0 | CR0_PG);
	return f;
}

TEST(exc_contributory_then_page_fault_is_serial)
{
	/* Gate 0 lies in the hole, gate 14 does not. */
	static const uint8_t div0[] = {
		0xf7, 0xf1, /* 00: div ecx  (ECX = 0) */
		0xf4,       /* 02: hlt */
	};
	struct fx *f = idt_across_hole(0xb1000 - 8);
	f->c->r[R_ECX] = 0;
	fx_code(f, div0, sizeof(div0));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_PF);
	CHECK_EQ(f->c->cr2, 0xb0ff8u);
	CHECK_EQ(frame(f, 0), 0); /* supervisor read, not present */
	CHECK_EQ(frame(f, 1), FX_CODE);
	fx_free(f);
}

TEST(exc_page_fault_then_page_fault_is_double_fault)
{
	/* Gate 14 lies in the hole, gate 8 does not. */
	static const uint8_t load[] = {
		0xa1, 0x00, 0x01, 0x0b, 0x00, /* 00: mov eax,ds:0xb0100 */
		0xf4,                         /* 05: hlt */
	};
	struct fx *f = idt_across_hole(0xb0000 - 14 * 8);
	fx_code(f, load, sizeof(load));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_DF);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(f->c->cr2, 0xb0000u); /* the second fault's address */
	fx_free(f);
}

TEST(exc_page_fault_then_gp_is_double_fault)
{
	static const uint8_t load[] = {
		0xa1, 0x00, 0x01, 0x0b, 0x00, /* 00: mov eax,ds:0xb0100 */
		0xf4,                         /* 05: hlt */
	};
	struct fx *f = idt_across_hole(0xb1000);
	fx_write32(f, 0xb1000 + EXC_PF * 8 + 4, 0x00008000u); /* gate 14: present, type 0 */
	fx_code(f, load, sizeof(load));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_DF);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(f->c->cr2, 0xb0100u);
	fx_free(f);
}

TEST(exc_bound_range)
{
	static const uint8_t code[] = {
		0x62, 0x05, 0x00, 0x00, 0x02, 0x00, /* 00: bound eax,QWORD PTR ds:0x20000 */
		0xf4,                               /* 06: hlt */
	};
	static const int32_t idx[] = { -5, -4, 4, 5, 100 };
	static const int expect[] = { EXC_BR, -1, -1, EXC_BR, EXC_BR };
	for (int k = 0; k < 5; k++) {
		struct fx *f = fx_new(0x100000);
		fx_write32(f, FX_DATA, (uint32_t)-4);     /* lower bound -4 */
		fx_write32(f, FX_DATA + 4, 4);            /* upper bound 4, inclusive */
		f->c->r[R_EAX] = (uint32_t)idx[k];
		fx_code(f, code, sizeof(code));
		fx_run(f, 100);
		CHECK_EQ(fx_exception(f), expect[k]);
		if (expect[k] == EXC_BR)
			CHECK_EQ(frame(f, 0), FX_CODE); /* a fault: BOUND again */
		fx_free(f);
	}
}

TEST(exc_into_traps_only_with_of)
{
	static const uint8_t overflow[] = {
		0xb0, 0x7f, /* 00: mov al,0x7f */
		0x04, 0x01, /* 02: add al,0x1  (OF=1) */
		0xce,       /* 04: into */
		0xf4,       /* 05: hlt */
	};
	static const uint8_t no_overflow[] = {
		0xb0, 0x7e, /* 00: mov al,0x7e */
		0x04, 0x01, /* 02: add al,0x1  (OF=0) */
		0xce,       /* 04: into */
		0xf4,       /* 05: hlt */
	};
	struct fx *f = run0(overflow, sizeof(overflow));
	CHECK_EQ(fx_exception(f), EXC_OF);
	CHECK_EQ(frame(f, 0), FX_CODE + 5); /* a trap: past INTO */
	CHECK(frame(f, 2) & FL_OF);
	fx_free(f);
	f = run0(no_overflow, sizeof(no_overflow));
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->eip, FX_CODE + 6);
	fx_free(f);
}

/* GDT 0x48: DPL 3 writable expand-down data, B=1, base 0x60000, limit
 * 0xfff: valid offsets 0x1000-0xffffffff. */
static struct fx *expand_down_user(void)
{
	struct fx *f = pm_new();
	fx_set_desc(f, 9, 0x60000, 0xfff, 0x40f7);
	return f;
}

TEST(exc_ss_on_expand_down_stack_limit)
{
	static const uint8_t body[] = {
		0xb8, 0x4b, 0x00, 0x00, 0x00, /* 00: mov eax,0x4b */
		0x8e, 0xd0,                   /* 05: mov ss,eax */
		0xbc, 0x04, 0x10, 0x00, 0x00, /* 07: mov esp,0x1004 */
		0x50,                         /* 0c: push eax  (to 0x1000: fine) */
		0x50,                         /* 0d: push eax  (to 0xffc: below the limit) */
		0xcd, 0x80,                   /* 0e: int 0x80 */
	};
	struct fx *f = expand_down_user();
	pm_run_at(f, 3, body, sizeof(body), 0x2);
	CHECK_EQ(fx_exception(f), EXC_SS);
	CHECK_EQ(pm_err(f), 0);
	CHECK_EQ(frame(f, 1), PM_USER_BODY + 0xd);
	CHECK_EQ(frame(f, 4), 0x1000); /* ESP as after the first push only */
	CHECK_EQ(frame(f, 5), 0x4b);
	CHECK_EQ(fx_read32(f, 0x61000), 0x4b);
	CHECK_EQ(fx_read32(f, 0x60ffc), 0);
	fx_free(f);
}

TEST(exc_ss_on_pop_past_expand_down_top)
{
	static const uint8_t body[] = {
		0xb8, 0x4b, 0x00, 0x00, 0x00, /* 00: mov eax,0x4b */
		0x8e, 0xd0,                   /* 05: mov ss,eax */
		0xbc, 0xfe, 0xff, 0xff, 0xff, /* 07: mov esp,0xfffffffe */
		0x59,                         /* 0c: pop ecx  (bytes past 0xffffffff) */
		0xcd, 0x80,                   /* 0d: int 0x80 */
	};
	struct fx *f = expand_down_user();
	f->c->r[R_ECX] = 0x4321;
	pm_run_at(f, 3, body, sizeof(body), 0x2);
	CHECK_EQ(fx_exception(f), EXC_SS);
	CHECK_EQ(pm_err(f), 0);
	CHECK_EQ(frame(f, 1), PM_USER_BODY + 0xc);
	CHECK_EQ(frame(f, 4), 0xfffffffeu);
	CHECK_EQ(f->c->r[R_ECX], 0x4321);
	fx_free(f);
}

TEST(exc_gp_on_data_segment_limit)
{
	static const uint8_t load[] = {
		0xb8, 0x38, 0x00, 0x00, 0x00,       /* 00: mov eax,0x38  (limit 0xffff) */
		0x8e, 0xd8,                         /* 05: mov ds,eax */
		0x8b, 0x0d, 0xfc, 0xff, 0x00, 0x00, /* 07: mov ecx,DWORD PTR ds:0xfffc  (last dword: fine) */
		0x8b, 0x15, 0xfe, 0xff, 0x00, 0x00, /* 0d: mov edx,DWORD PTR ds:0xfffe  (2 bytes past) */
		0xf4,                               /* 13: hlt */
	};
	static const uint8_t store[] = {
		0xb8, 0x38, 0x00, 0x00, 0x00,                               /* 00: mov eax,0x38 */
		0x8e, 0xd8,                                                 /* 05: mov ds,eax */
		0xc7, 0x05, 0xfd, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* 07: mov DWORD PTR ds:0xfffd,0x1 */
		0xf4,                                                       /* 11: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_write32(f, 0xfffc, 0xabcdef01u);
	f->c->r[R_EDX] = 0x77;
	fx_code(f, load, sizeof(load));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(frame(f, 1), FX_CODE + 0xd);
	CHECK_EQ(f->c->r[R_ECX], 0xabcdef01u);
	CHECK_EQ(f->c->r[R_EDX], 0x77);
	fx_free(f);

	f = fx_new(0x100000);
	fx_code(f, store, sizeof(store));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 1), FX_CODE + 7);
	CHECK_EQ(fx_read32(f, 0xfffc), 0); /* nothing written below the limit */
	fx_free(f);
}
