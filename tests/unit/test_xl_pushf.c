/*
 * PUSHF and POPF, two of Robin & Irvine's sensitive unprivileged
 * instructions, with translation on and off: PUSHF is translated inline
 * (jit_eflags.c), POPF stays the handler's, and the guest must not be
 * able to tell.  Each case runs at CPL 0 and 3, with IOPL 0 and 3, and
 * with EFLAGS.VM set (V86 rules: IOPL < 3 is #GP(0)), in both engines;
 * the results must be identical and match the SDM, and --audit-sensitive
 * must count each execution (and a faulting one in its faulted column)
 * the same way.
 */
#include "engine/soft/jit.h"
#include "pm_fixture.h"
#include "t.h"

struct outcome {
	uint32_t eax, ebx, ecx, esp;
	int exc;
	struct sens_count pushf, popf;
};

static struct outcome run(bool jit, int cpl, const uint8_t *body, size_t n, uint32_t eflags)
{
	struct fx *f = pm_new();
	CHECK(cpu_set_jit(f->c, jit));
	f->c->audit = true;
	fx_set_desc(f, 16, 0, 0xfff, 0x40f7); /* 0x83: data32 DPL 3, expand-down, limit 0xfff */
	pm_run_at(f, cpl, body, n, eflags);
	struct outcome o = { f->c->r[R_EAX], f->c->r[R_EBX], f->c->r[R_ECX], f->c->r[R_ESP], fx_exception(f),
			     f->c->sens[SENS_PUSHF], f->c->sens[SENS_POPF] };
	if (jit)
		CHECK_EQ(jit_refused(f->c->jit), (uint64_t)0);
	fx_free(f);
	return o;
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK_EQ(b->eax, a->eax);
	CHECK_EQ(b->ebx, a->ebx);
	CHECK_EQ(b->ecx, a->ecx);
	CHECK_EQ(b->esp, a->esp);
	CHECK_EQ(b->exc, a->exc);
	CHECK_EQ(b->pushf.cpl0, a->pushf.cpl0);
	CHECK_EQ(b->pushf.cpl3, a->pushf.cpl3);
	CHECK_EQ(b->pushf.faulted, a->pushf.faulted);
	CHECK_EQ(b->popf.cpl0, a->popf.cpl0);
	CHECK_EQ(b->popf.cpl3, a->popf.cpl3);
	CHECK_EQ(b->popf.faulted, a->popf.faulted);
}

/* Both engines; checks they agree and returns the translated outcome. */
static struct outcome both(int cpl, const uint8_t *body, size_t n, uint32_t eflags)
{
	struct outcome a = run(false, cpl, body, n, eflags);
	struct outcome b = run(true, cpl, body, n, eflags);
	same(&a, &b);
	return b;
}

#define BOTH(cpl, body, fl) both((cpl), (body), sizeof(body), (fl))

/* PUSHFD, PUSHFW, and PUSHFD after an ALU result that only the host's
 * flags held (SUB 1 - 2: CF SF AF PF); then INT 0x80 to end. */
static const uint8_t pushf_body[] = {
	0x9c,                         /* pushfd */
	0x5b,                         /* pop ebx */
	0x66, 0x9c,                   /* pushfw */
	0x66, 0x59,                   /* pop cx */
	0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
	0x2d, 0x02, 0x00, 0x00, 0x00, /* sub eax, 2 */
	0x9c,                         /* pushfd */
	0x58,                         /* pop eax */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(xl_pushf_every_cpl_and_iopl)
{
	for (int cpl = 0; cpl <= 3; cpl += 3)
		for (int iopl = 0; iopl <= 3; iopl += 3) {
			uint32_t fl = 0x202 | (uint32_t)iopl << 12 | FL_RF;
			struct outcome o = BOTH(cpl, pushf_body, fl);
			CHECK_EQ(o.exc, 0x80);
			/* the real IF and IOPL at every level; never VM or RF */
			CHECK_EQ(o.ebx & (FL_IF | FL_IOPL | FL_VM | FL_RF), FL_IF | (uint32_t)iopl << 12);
			CHECK_EQ(o.ecx & 0xffff, o.ebx & 0xffff);
			CHECK_EQ(o.eax & (FL_ARITH | FL_IF), FL_CF | FL_SF | FL_AF | FL_PF | FL_IF);
			CHECK_EQ(cpl == 0 ? o.pushf.cpl0 : o.pushf.cpl3, 3);
			CHECK_EQ(o.pushf.faulted, 0);
		}
}

/* POPF at each level (the handler in both engines, between translated
 * PUSHFs): IF changes only at CPL <= IOPL, IOPL only at CPL 0. */
static const uint8_t popf_body[] = {
	0x68, 0x03, 0x32, 0x00, 0x00, /* push 0x3203 (IOPL 3, IF, CF) */
	0x9d,                         /* popfd */
	0x9c,                         /* pushfd */
	0x58,                         /* pop eax */
	0x68, 0x02, 0x00, 0x00, 0x00, /* push 0x2 (IOPL 0, IF clear) */
	0x9d,                         /* popfd */
	0x9c,                         /* pushfd */
	0x5b,                         /* pop ebx */
	0xcd, 0x80,                   /* int 0x80 */
};

TEST(xl_popf_every_cpl_and_iopl)
{
	for (int cpl = 0; cpl <= 3; cpl += 3)
		for (int iopl = 0; iopl <= 3; iopl += 3) {
			uint32_t fl = 0x202 | (uint32_t)iopl << 12;
			struct outcome o = BOTH(cpl, popf_body, fl);
			CHECK_EQ(o.exc, 0x80);
			bool if_ok = cpl <= iopl;
			uint32_t iopl_after1 = cpl == 0 ? FL_IOPL : (uint32_t)iopl << 12;
			CHECK_EQ(o.eax & FL_CF, FL_CF);
			CHECK_EQ(o.eax & FL_IOPL, iopl_after1);
			CHECK_EQ(o.eax & FL_IF, FL_IF); /* set, or kept set */
			/* the second POPF clears IF if allowed (IOPL is now 3 at CPL 0) */
			CHECK_EQ(o.ebx & FL_IF, (if_ok || cpl == 0) ? 0 : FL_IF);
			CHECK_EQ(cpl == 0 ? o.popf.cpl0 : o.popf.cpl3, 2);
		}
}

/* EFLAGS.VM set: PUSHF and POPF are #GP(0) unless IOPL is 3, where
 * PUSHF's image still shows no VM.  (The engine does not enter V86 mode
 * through IRET; the flag is set directly, which is all these two
 * instructions look at.) */
TEST(xl_pushf_popf_v86)
{
	/* push eax; pop eax (the stack page into the TLB, so PUSHF's own
	 * push is inline); pushfd; pop ebx; hlt */
	static const uint8_t pushf_only[] = { 0x50, 0x58, 0x9c, 0x5b, 0xf4 };
	static const uint8_t popf_only[] = { 0x6a, 0x02, 0x9d, 0xf4 };  /* push 2; popfd; hlt */
	for (int iopl = 0; iopl <= 3; iopl += 3) {
		uint32_t fl = 0x2 | FL_VM | (uint32_t)iopl << 12;
		struct outcome o = BOTH(0, pushf_only, fl);
		if (iopl < 3) {
			CHECK_EQ(o.exc, EXC_GP);
			CHECK_EQ(o.pushf.faulted, 1);
		} else {
			CHECK_EQ(o.ebx & (FL_VM | FL_IOPL), FL_IOPL);
			CHECK_EQ(o.pushf.faulted, 0);
		}
		CHECK_EQ(o.pushf.cpl0, 1);
		o = BOTH(0, popf_only, fl);
		if (iopl < 3)
			CHECK_EQ(o.exc, EXC_GP);
		CHECK_EQ(o.popf.cpl0, 1);
	}
}

/* A PUSHF whose push faults (the stack segment's limit, at CPL 3 so the
 * #SS is delivered on the ring-0 stack) is counted once, in the faulted
 * column too, in both engines. */
TEST(xl_pushf_fault_counted_once)
{
	static const uint8_t body[] = {
		0x66, 0xb8, 0x83, 0x00,       /* mov ax, 0x83: expand-down, limit 0xfff */
		0x8e, 0xd0,                   /* mov ss, ax */
		0xbc, 0x02, 0x10, 0x00, 0x00, /* mov esp, 0x1002 */
		0x9c,                         /* pushfd: 0xffe is outside */
		0xcd, 0x80,                   /* int 0x80 (not reached) */
	};
	struct outcome o = BOTH(3, body, 0x2);
	CHECK_EQ(o.exc, EXC_SS);
	CHECK_EQ(o.pushf.cpl3, 1);
	CHECK_EQ(o.pushf.faulted, 1);
}
