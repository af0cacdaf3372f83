/*
 * Real mode and 16-bit protected-mode code: 16-bit arithmetic and the
 * 0x66/0x67 prefixes, segment:offset addressing (base = selector << 4, BP
 * defaulting to SS), the IVT for INT n and for faults, far JMP/CALL/RETF,
 * the classic boot sequence into protected mode and the way back, and a
 * D=0 code segment in protected mode.
 *
 * Real-mode state is built directly with cpu_load_boot_state (CR0.PE=0):
 *   CS 0x1000 (code at FX_CODE), DS 0x2000, ES 0x2000, SS 0x7000 SP 0xf000,
 *   IVT at 0 (limit 0x3ff), GDTR still naming the fixture's GDT.
 *
 * Code bytes assembled with `as --32` (.code16 where the code is 16-bit).
 */
#include "engine/soft/ops.h"
#include "cpu_fixture.h"
#include "t.h"

static struct boot_seg rseg(uint16_t sel, uint16_t attr)
{
	return (struct boot_seg){ sel, (uint32_t)sel << 4, 0xffff, attr };
}

static struct fx *rm_new(const uint8_t *code, size_t n)
{
	struct fx *f = fx_new(0x100000);
	struct boot_state bs;
	memset(&bs, 0, sizeof(bs));
	bs.gpr[R_ESP] = 0xf000;
	bs.eflags = 0x2;
	bs.cr0 = 0;
	for (int s = 0; s < 6; s++)
		bs.seg[s] = rseg(0x2000, 0x93);
	bs.seg[SR_CS] = rseg(0x1000, 0x9b);
	bs.seg[SR_SS] = rseg(0x7000, 0x93);
	bs.gdt_base = FX_GDT;
	bs.gdt_limit = 0x7ff;
	bs.idt_base = 0;
	bs.idt_limit = 0x3ff;
	cpu_load_boot_state(f->c, &bs);
	phys_write(f->c, FX_CODE, code, (uint32_t)n);
	f->c->eip = 0;
	return f;
}

static void ivt_set(struct fx *f, int vec, uint16_t seg, uint16_t off)
{
	fx_write32(f, (uint32_t)vec * 4, ((uint32_t)seg << 16) | off);
}

static uint16_t rd16(struct fx *f, uint32_t pa)
{
	return (uint16_t)(f->ram[pa] | (f->ram[pa + 1] << 8));
}

TEST(rm_16bit_arithmetic_and_operand_prefix)
{
	static const uint8_t code[] = {
		0xb8, 0xff, 0xff,                   /* 00: mov ax,0xffff */
		0x83, 0xc0, 0x01,                   /* 03: add ax,0x1 */
		0x9c,                               /* 06: pushf */
		0x5b,                               /* 07: pop bx */
		0xb9, 0xff, 0x7f,                   /* 08: mov cx,0x7fff */
		0x41,                               /* 0b: inc cx */
		0xb8, 0x34, 0x12,                   /* 0c: mov ax,0x1234 */
		0xbe, 0x00, 0x01,                   /* 0f: mov si,0x100 */
		0xf7, 0xe6,                         /* 12: mul si */
		0x66, 0xbd, 0xef, 0xcd, 0xab, 0x89, /* 14: mov ebp,0x89abcdef */
		0xf4,                               /* 1a: hlt */
	};
	struct fx *f = rm_new(code, sizeof(code));
	f->c->r[R_EAX] = 0x55550000u;
	f->c->r[R_ECX] = 0x66660000u;
	f->c->r[R_EBX] = 0x77770000u;
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EAX], 0x55553400u);         /* upper half untouched */
	CHECK_EQ(f->c->r[R_EDX] & 0xffff, 0x0012);
	CHECK_EQ(f->c->r[R_EBX] & 0xffff0000u, 0x77770000u);
	CHECK_EQ(f->c->r[R_EBX] & (FL_CF | FL_ZF), FL_CF | FL_ZF); /* 0xffff + 1 */
	CHECK_EQ(f->c->r[R_ECX], 0x66668000u);
	CHECK(cpu_get_eflags(f->c) & FL_OF);          /* MUL: DX != 0 */
	CHECK_EQ(f->c->r[R_EBP], 0x89abcdefu);
	CHECK_EQ(f->c->r[R_ESP], 0xf000);
	CHECK_EQ(f->c->eip, 0x1b);
	fx_free(f);
}

TEST(rm_segment_offset_addressing)
{
	static const uint8_t code[] = {
		0xbb, 0x10, 0x00,             /* 00: mov bx,0x10 */
		0xc7, 0x47, 0x04, 0xef, 0xbe, /* 03: mov WORD PTR [bx+0x4],0xbeef */
		0xb8, 0x00, 0x30,             /* 08: mov ax,0x3000 */
		0x8e, 0xc0,                   /* 0b: mov es,ax */
		0x26, 0xc7, 0x07, 0xfe, 0xca, /* 0d: mov WORD PTR es:[bx],0xcafe */
		0xbd, 0x20, 0x00,             /* 12: mov bp,0x20 */
		0xc7, 0x46, 0x00, 0x11, 0x11, /* 15: mov WORD PTR [bp+0x0],0x1111 */
		0x8b, 0x36, 0x14, 0x00,       /* 1a: mov si,WORD PTR ds:0x14 */
		0x8b, 0x3e, 0xff, 0xff,       /* 1e: mov di,WORD PTR ds:0xffff  (wraps the limit: #GP) */
		0xf4,                         /* 22: hlt */
	};
	static const uint8_t handler[] = { 0xf4 /* hlt */ };
	struct fx *f = rm_new(code, sizeof(code));
	ivt_set(f, EXC_GP, 0x1000, 0x100);
	phys_write(f->c, FX_CODE + 0x100, handler, sizeof(handler));
	f->c->r[R_EDI] = 0x4444;
	fx_run(f, 100);
	CHECK_EQ(rd16(f, 0x20014), 0xbeef);
	CHECK_EQ(f->c->seg[SR_ES].base, 0x30000u);
	CHECK_EQ(rd16(f, 0x30010), 0xcafe);
	CHECK_EQ(rd16(f, 0x70020), 0x1111); /* [bp] is SS-relative */
	CHECK_EQ(f->c->r[R_ESI], 0xbeef);
	/* The word at DS:0xffff overruns the segment: interrupt 13, no error
	 * code in real mode, IP of the faulting instruction. */
	CHECK_EQ(f->c->eip, 0x101);
	CHECK_EQ(f->c->r[R_ESP], 0xf000 - 6);
	CHECK_EQ(rd16(f, 0x70000 + 0xf000 - 6), 0x1e);
	CHECK_EQ(rd16(f, 0x70000 + 0xf000 - 4), 0x1000);
	CHECK_EQ(f->c->r[R_EDI], 0x4444);
	fx_free(f);
}

TEST(rm_int_iret_and_divide_fault_through_ivt)
{
	static const uint8_t code[] = {
		0xfb,       /* 00: sti */
		0xcd, 0x21, /* 01: int 0x21 */
		0x9c,       /* 03: pushf */
		0x59,       /* 04: pop cx */
		0x31, 0xdb, /* 05: xor bx,bx */
		0xf7, 0xf3, /* 07: div bx */
		0xf4,       /* 09: hlt */
	};
	static const uint8_t int21[] = {
		0x42, /* 00: inc dx */
		0x9c, /* 01: pushf */
		0x5e, /* 02: pop si */
		0xcf, /* 03: iret */
	};
	static const uint8_t int0[] = { 0xf4 /* hlt */ };
	struct fx *f = rm_new(code, sizeof(code));
	ivt_set(f, 0x21, 0x2000, 0x200);
	ivt_set(f, EXC_DE, 0x2000, 0x300);
	phys_write(f->c, 0x20200, int21, sizeof(int21));
	phys_write(f->c, 0x20300, int0, sizeof(int0));
	f->c->r[R_EDX] = 0x41;
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EDX] & 0xffff, 0x42);       /* the handler ran */
	CHECK_EQ(f->c->r[R_ESI] & FL_IF, 0);           /* INT cleared IF */
	CHECK_EQ(f->c->r[R_ECX] & FL_IF, FL_IF);       /* IRET restored it */
	/* #DE: IP of the DIV, CS 0x1000, FLAGS, then the handler at 2000:0300. */
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x2000);
	CHECK_EQ(f->c->eip, 0x301);
	CHECK_EQ(f->c->r[R_ESP], 0xf000 - 6);
	CHECK_EQ(rd16(f, 0x7f000 - 6), 0x07);
	CHECK_EQ(rd16(f, 0x7f000 - 4), 0x1000);
	CHECK_EQ(rd16(f, 0x7f000 - 2) & FL_IF, FL_IF);
	fx_free(f);
}

TEST(rm_far_call_retf_and_jmp)
{
	static const uint8_t code[] = {
		0x9a, 0x20, 0x00, 0x00, 0x20, /* 00: call 0x2000:0x20 */
		0x8c, 0xcb,                   /* 05: mov bx,cs */
		0xea, 0x10, 0x00, 0x00, 0x20, /* 07: jmp 0x2000:0x10 */
	};
	static const uint8_t far_code[] = {
		0x8c, 0xc8, /* 20010: mov ax,cs */
		0xf4,       /* 20012: hlt */
		0x8c, 0xca, /* 20013: mov dx,cs */
		0xcb,       /* 20015: retf */
	};
	struct fx *f = rm_new(code, sizeof(code));
	phys_write(f->c, 0x20010, far_code, 3);
	phys_write(f->c, 0x20020, far_code + 3, 3);
	fx_run(f, 100);
	CHECK_EQ(f->c->r[R_EDX] & 0xffff, 0x2000);
	CHECK_EQ(f->c->r[R_EBX] & 0xffff, 0x1000);
	CHECK_EQ(f->c->r[R_EAX] & 0xffff, 0x2000);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x2000);
	CHECK_EQ(f->c->seg[SR_CS].base, 0x20000u);
	CHECK_EQ(f->c->eip, 0x13);
	CHECK_EQ(f->c->r[R_ESP], 0xf000);
	CHECK_EQ(rd16(f, 0x7f000 - 4), 0x05); /* CALL pushed CS then IP */
	CHECK_EQ(rd16(f, 0x7f000 - 2), 0x1000);
	fx_free(f);
}

TEST(rm_classic_boot_into_protected_mode)
{
	static const uint8_t code[] = {
		/* 16-bit, CS 0x1000 */
		0xfa,                                           /* 00: cli */
		0x0f, 0x01, 0x16, 0x00, 0x01,                   /* 01: lgdtw ds:0x100 */
		0x0f, 0x20, 0xc0,                               /* 06: mov eax,cr0 */
		0x0c, 0x01,                                     /* 09: or al,0x1 */
		0x0f, 0x22, 0xc0,                               /* 0b: mov cr0,eax */
		0x66, 0xea, 0x20, 0x00, 0x01, 0x00, 0x08, 0x00, /* 0e: jmp 0x8:0x10020 */
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, /* 16: padding */
		/* 32-bit, CS 0x08 (flat) */
		0xb8, 0x10, 0x00, 0x00, 0x00,                   /* 20: mov eax,0x10 */
		0x8e, 0xd8,                                     /* 25: mov ds,eax */
		0x8e, 0xd0,                                     /* 27: mov ss,eax */
		0xbc, 0x00, 0x00, 0x08, 0x00,                   /* 29: mov esp,0x80000 */
		0x8b, 0x1d, 0x08, 0x01, 0x02, 0x00,             /* 2e: mov ebx,DWORD PTR ds:0x20108 */
		0xf4,                                           /* 34: hlt */
	};
	struct fx *f = rm_new(code, sizeof(code));
	f->c->gdt_base = 0; /* as after reset: only LGDT can make this work */
	f->c->gdt_limit = 0xffff;
	f->ram[0x20100] = 0xff; /* GDTR image: limit 0x7ff, base FX_GDT */
	f->ram[0x20101] = 0x07;
	fx_write32(f, 0x20102, FX_GDT);
	fx_write32(f, 0x20108, 0x600d600du);
	fx_run(f, 100);
	CHECK_EQ(f->c->gdt_base, FX_GDT);
	CHECK_EQ(f->c->gdt_limit, 0x7ff);
	CHECK(f->c->cr0 & CR0_PE);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x08);
	CHECK_EQ(f->c->seg[SR_CS].base, 0);
	CHECK(cpu_code32(f->c));
	CHECK_EQ(f->c->cpl, 0);
	CHECK_EQ(f->c->seg[SR_DS].limit, 0xffffffffu);
	CHECK_EQ(f->c->r[R_EBX], 0x600d600du);
	CHECK_EQ(f->c->eip, FX_CODE + 0x35);
	CHECK_EQ(fx_exception(f), -1);
	fx_free(f);
}

/* GDT 0x48: 16-bit code, base FX_CODE, limit 0xffff. */
static struct fx *pm16_new(const uint8_t *code, size_t n)
{
	struct fx *f = fx_new(0x100000);
	fx_set_desc(f, 9, FX_CODE, 0xffff, 0x009b);
	fx_code(f, code, n);
	return f;
}

TEST(rm_return_from_protected_mode)
{
	static const uint8_t code[] = {
		/* 32-bit, CS 0x08 */
		0xea, 0x07, 0x00, 0x00, 0x00, 0x48, 0x00, /* 00: jmp 0x48:0x7 */
		/* 16-bit protected mode, CS 0x48 (base FX_CODE) */
		0xb8, 0x38, 0x00,             /* 07: mov ax,0x38  (16-bit data, limit 0xffff) */
		0x8e, 0xd8,                   /* 0a: mov ds,ax */
		0x8e, 0xc0,                   /* 0c: mov es,ax */
		0x8e, 0xd0,                   /* 0e: mov ss,ax */
		0x0f, 0x20, 0xc0,             /* 10: mov eax,cr0 */
		0x24, 0xfe,                   /* 13: and al,0xfe */
		0x0f, 0x22, 0xc0,             /* 15: mov cr0,eax */
		0xea, 0x1d, 0x00, 0x00, 0x10, /* 18: jmp 0x1000:0x1d */
		/* real mode, CS 0x1000 */
		0xb8, 0x00, 0x20,             /* 1d: mov ax,0x2000 */
		0x8e, 0xd8,                   /* 20: mov ds,ax */
		0x8c, 0xcb,                   /* 22: mov bx,cs */
		0x8b, 0x0e, 0x10, 0x00,       /* 24: mov cx,WORD PTR ds:0x10 */
		0xf4,                         /* 28: hlt */
	};
	struct fx *f = pm16_new(code, sizeof(code));
	f->c->r[R_ESP] = 0xfff0;
	fx_write32(f, 0x20010, 0xabcd);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->cr0 & CR0_PE, 0);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x1000);
	CHECK_EQ(f->c->seg[SR_CS].base, 0x10000u);
	CHECK_EQ(f->c->seg[SR_DS].base, 0x20000u);
	CHECK_EQ(f->c->r[R_EBX] & 0xffff, 0x1000);
	CHECK_EQ(f->c->r[R_ECX] & 0xffff, 0xabcd);
	CHECK(!cpu_code32(f->c));
	CHECK_EQ(f->c->eip, 0x29);
	fx_free(f);
}

TEST(pm_16bit_code_segment_and_size_prefixes)
{
	static const uint8_t code[] = {
		/* 32-bit, CS 0x08 */
		0xea, 0x07, 0x00, 0x00, 0x00, 0x48, 0x00,       /* 00: jmp 0x48:0x7 */
		/* 16-bit, CS 0x48; DS and SS are still the flat 32-bit ones */
		0xb8, 0x34, 0x12,                               /* 07: mov ax,0x1234 */
		0x66, 0xbb, 0x00, 0x00, 0x02, 0x00,             /* 0a: mov ebx,0x20000 */
		0x67, 0x66, 0xc7, 0x03, 0x44, 0x33, 0x22, 0x11, /* 10: mov DWORD PTR [ebx],0x11223344 */
		0xa3, 0x00, 0x01,                               /* 18: mov ds:0x100,ax */
		0x50,                                           /* 1b: push ax */
		0x66, 0x50,                                     /* 1c: push eax */
		0xe8, 0x04, 0x00,                               /* 1e: call 0x25 */
		0x66, 0x89, 0xe1,                               /* 21: mov ecx,esp */
		0xf4,                                           /* 24: hlt */
		0x46,                                           /* 25: inc si */
		0xc3,                                           /* 26: ret */
	};
	struct fx *f = pm16_new(code, sizeof(code));
	f->c->r[R_EAX] = 0xaaaa0000u;
	f->c->r[R_ESI] = 0;
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0x48);
	CHECK(!cpu_code32(f->c));
	CHECK_EQ(f->c->r[R_EAX], 0xaaaa1234u);
	CHECK_EQ(f->c->r[R_EBX], 0x20000u);
	CHECK_EQ(fx_read32(f, 0x20000), 0x11223344u); /* 0x67: 32-bit [ebx] */
	CHECK_EQ(rd16(f, 0x100), 0x1234);             /* 16-bit moffs */
	CHECK_EQ(f->c->r[R_ESI], 1);
	/* 2 (push ax) + 4 (push eax); CALL/RET moved ESP by 2 each way. */
	CHECK_EQ(f->c->r[R_ECX], FX_STACK - 6);
	CHECK_EQ(rd16(f, FX_STACK - 2), 0x1234);
	CHECK_EQ(fx_read32(f, FX_STACK - 6), 0xaaaa1234u);
	CHECK_EQ(rd16(f, FX_STACK - 8), 0x21); /* 16-bit return IP */
	CHECK_EQ(f->c->eip, 0x25);
	fx_free(f);
}

/* SDM vol. 3, table 9-1: the state after RESET. */
TEST(rm_reset_state)
{
	struct fx *f = fx_new(0x100000);
	f->c->r[R_EAX] = 0x1234;
	f->c->cr4 = CR4_PSE;
	cpu_reset(f->c);
	CHECK_EQ(f->c->r[R_EAX], 0);
	CHECK_EQ(f->c->r[R_EDX] & 0xf00, 0x600); /* family 6 signature */
	CHECK_EQ(f->c->eip, 0xfff0);
	CHECK_EQ(f->c->seg[SR_CS].sel, 0xf000);
	CHECK_EQ(f->c->seg[SR_CS].base, 0xffff0000u);
	CHECK_EQ(f->c->seg[SR_CS].limit, 0xffff);
	CHECK_EQ(f->c->seg[SR_DS].base, 0);
	CHECK_EQ(f->c->seg[SR_SS].limit, 0xffff);
	CHECK_EQ(f->c->cr0, 0x60000010u);
	CHECK_EQ(f->c->cr4, 0);
	CHECK_EQ(cpu_get_eflags(f->c), 0x2);
	CHECK_EQ(f->c->gdt_base, 0);
	CHECK_EQ(f->c->gdt_limit, 0xffff);
	CHECK_EQ(f->c->idt_limit, 0xffff);
	CHECK_EQ(f->c->dr[6], 0xffff0ff0u);
	CHECK_EQ(f->c->dr[7], 0x400);
	CHECK_EQ(f->c->cpl, 0);
	CHECK(!cpu_pmode(f->c));
	fx_free(f);
}
