/*
 * Protected-mode test scaffolding on top of cpu_fixture.h, shared by
 * test_pm.c and test_sensitive.c.
 *
 * pm_new() adds to the fixture's GDT:
 *   0x48 call gate DPL3 -> 0x08:PM_KTARGET, 32-bit, 2 parameters
 *   0x50 conforming readable code DPL0
 *   0x58 LDT at PM_LDT
 *   0x60 writable data DPL0, not present
 *   0x68 code32 DPL1
 *   0x70 call gate DPL3 -> 0x68:PM_KTARGET
 *   0x78 TSS32 available at PM_TSS2
 * and makes IDT vector 0x80 a DPL3 gate, so user code ends with INT 0x80:
 * stub 0x80 records 0x80 in FX_EXC and halts at CPL 0.  A fault at CPL 3
 * lands in its stub the same way, so fx_exception() tells which happened.
 * The stubs write FX_EXC through DS, so DS must stay usable at CPL 0.
 *
 * User code runs at PM_USER_CODE: an 8-byte prefix loads DS and ES with
 * 0x23 (the fixture's DS 0x10 is DPL0 and IRET to CPL 3 nulls it), then
 * the test's bytes at PM_USER_BODY.
 */
#ifndef CORDON_TESTS_PM_FIXTURE_H
#define CORDON_TESTS_PM_FIXTURE_H

#include <string.h>

#include "cpu_fixture.h"

#define PM_USER_CODE 0x11000u
#define PM_USER_BODY (PM_USER_CODE + 8u)
#define PM_USER_TAIL 0x11100u /* pushfd; pop eax; int 0x80 */
#define PM_USER_TAIL2 0x11200u /* the same, but EBX = DS first and DS = 0x23 for the stubs */
#define PM_USER_STACK 0x70000u
#define PM_KTARGET 0x12000u   /* hlt */
#define PM_KIRET 0x12100u     /* iretd */
#define PM_LDT 0x6000u
#define PM_TSS2 0x5000u

/* Writing guest RAM behind the CPU's back: drop decoded blocks of those
 * pages, or a fixture reused for a second run would execute stale code. */
static inline void pm_code_changed(struct fx *f, uint32_t addr, size_t n)
{
	for (uint32_t p = addr >> 12; p <= (uint32_t)(addr + n - 1) >> 12; p++)
		f->c->page_gen[p]++;
}

static inline void pm_put(struct fx *f, uint32_t addr, const void *bytes, size_t n)
{
	memcpy(f->ram + addr, bytes, n);
	pm_code_changed(f, addr, n);
}

static inline void pm_set_gate(struct fx *f, int idx, uint16_t sel, uint32_t off, uint8_t access,
			       uint8_t params)
{
	fx_write32(f, FX_GDT + idx * 8, (off & 0xffff) | ((uint32_t)sel << 16));
	fx_write32(f, FX_GDT + idx * 8 + 4, (off & 0xffff0000u) | ((uint32_t)access << 8) | params);
}

/* Type byte (P DPL S type) of GDT entry idx, as it is in memory. */
static inline uint8_t pm_desc_type(struct fx *f, int idx)
{
	return f->ram[FX_GDT + idx * 8 + 5];
}

static inline void pm_idt_dpl(struct fx *f, int vec, int dpl)
{
	uint32_t hi = fx_read32(f, FX_IDT + vec * 8 + 4);
	hi = (hi & ~0x6000u) | ((uint32_t)dpl << 13);
	fx_write32(f, FX_IDT + vec * 8 + 4, hi);
}

static inline struct fx *pm_new(void)
{
	static const uint8_t hlt[] = { 0xf4 };         /* hlt */
	static const uint8_t iretd[] = { 0xcf };       /* iretd */
	static const uint8_t tail[] = {
		0x9c,       /* pushfd */
		0x58,       /* pop eax */
		0xcd, 0x80, /* int 0x80 */
	};
	static const uint8_t tail2[] = {
		0x8c, 0xdb, /* mov ebx,ds */
		0x9c,       /* pushfd */
		0x58,       /* pop eax */
		0x6a, 0x23, /* push 0x23 */
		0x1f,       /* pop ds (the stubs write FX_EXC through DS) */
		0xcd, 0x80, /* int 0x80 */
	};
	struct fx *f = fx_new(0x100000);
	pm_set_gate(f, 9, 0x08, PM_KTARGET, 0xec, 2);
	fx_set_desc(f, 10, 0, 0xffffffffu, 0xc09f);
	fx_set_desc(f, 11, PM_LDT, 0xff, 0x0082);
	fx_set_desc(f, 12, 0, 0xffffffffu, 0xc013);
	fx_set_desc(f, 13, 0, 0xffffffffu, 0xc0bb);
	pm_set_gate(f, 14, 0x68, PM_KTARGET, 0xec, 0);
	fx_set_desc(f, 15, PM_TSS2, 0x67, 0x0089);
	fx_set_desc(f, 5, FX_TSS, 0x67, 0x008b); /* busy, as LTR leaves it */
	pm_idt_dpl(f, 0x80, 3);
	pm_put(f, PM_KTARGET, hlt, sizeof(hlt));
	pm_put(f, PM_KIRET, iretd, sizeof(iretd));
	pm_put(f, PM_USER_TAIL, tail, sizeof(tail));
	pm_put(f, PM_USER_TAIL2, tail2, sizeof(tail2));
	return f;
}

/* Ring-0 code at FX_CODE: `pre` (if any), then an IRET frame into
 * PM_USER_CODE at CPL 3 with the given EFLAGS and the stack PM_USER_STACK. */
static inline void pm_enter_user(struct fx *f, const uint8_t *pre, size_t npre,
				 const uint8_t *body, size_t n, uint32_t eflags)
{
	static const uint8_t prefix[8] = {
		0x66, 0xb8, 0x23, 0x00, /* mov ax, 0x23 */
		0x8e, 0xd8,             /* mov ds, eax */
		0x8e, 0xc0,             /* mov es, eax */
	};
	uint8_t code[256];
	size_t k = 0;
	uint32_t frame[5] = { 0x23, PM_USER_STACK, eflags, 0x1b, PM_USER_CODE };
	if (npre)
		memcpy(code, pre, npre);
	k = npre;
	for (int j = 0; j < 5; j++) {
		code[k++] = 0x68; /* push imm32 */
		memcpy(code + k, &frame[j], 4);
		k += 4;
	}
	code[k++] = 0xcf; /* iretd */
	fx_code(f, code, k);
	pm_code_changed(f, FX_CODE, k);
	pm_put(f, PM_USER_CODE, prefix, sizeof(prefix));
	pm_put(f, PM_USER_BODY, body, n);
}

/* Runs body at CPL 0 or 3 with EFLAGS eflags until HLT (usually a stub). */
static inline void pm_run_at(struct fx *f, int cpl, const uint8_t *body, size_t n, uint32_t eflags)
{
	if (cpl == 0) {
		cpu_set_eflags(f->c, eflags, 0xffffffffu);
		fx_code(f, body, n);
		pm_code_changed(f, FX_CODE, n);
	} else {
		cpu_set_eflags(f->c, 0x2, 0xffffffffu);
		pm_enter_user(f, NULL, 0, body, n, eflags);
	}
	fx_run(f, 10000);
}

/* The error code an exception stub left on top of its stack. */
static inline uint32_t pm_err(struct fx *f)
{
	return fx_read32(f, f->c->seg[SR_SS].base + f->c->r[R_ESP]);
}

#endif
