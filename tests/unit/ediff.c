#include "ediff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "engine/soft/block.h"
#include "engine/soft/jit.h"
#include "engine/soft/ops.h"

static uint64_t last_refused;

uint64_t ediff_refused(void)
{
	return last_refused;
}

/* Identity map of the first 4 MiB through one page table; the two hole
 * pages are absent and read-only; CR0.WP makes read-only bind CPL 0. */
static void enable_paging(struct fx *f)
{
	for (uint32_t p = 0; p < 1024; p++) {
		uint32_t pte = (p << 12) | 0x3; /* present, writable, supervisor */
		if ((p << 12) == EDIFF_ABSENT_PAGE)
			pte = 0;
		else if ((p << 12) == EDIFF_RO_PAGE)
			pte &= ~0x2u;
		fx_write32(f, EDIFF_PT + 4 * p, pte);
	}
	memset(f->ram + EDIFF_PD, 0, 4096);
	fx_write32(f, EDIFF_PD, EDIFF_PT | 0x3);
	cpu_set_cr3(f->c, EDIFF_PD);
	cpu_set_cr0(f->c, f->c->cr0 | CR0_PG | CR0_WP);
}

struct run {
	struct ediff_state s;
	struct fpu fpu;
	int ferr;
	const uint8_t *ram;
};

/* FERR pulses of the run in progress. */
static int ferr_pulses;

static void count_ferr(void *ctx)
{
	(void)ctx;
	ferr_pulses++;
}

/* Two machines, interpreting and translating, kept from case to case
 * (building one maps the translator's code memory) and reset for each. */
static struct fx *machines[2];

static struct fx *machine(bool jit)
{
	if (!machines[jit]) {
		machines[jit] = fx_new(EDIFF_RAM);
		(void)cpu_set_jit(machines[jit]->c, jit);
		machines[jit]->c->mach.ferr = count_ferr;
	} else {
		fx_reset(machines[jit]);
	}
	return machines[jit];
}

static void run_once(const struct ediff_case *k, bool jit, struct run *out)
{
	struct fx *f = machine(jit);
	uint64_t start = f->c->icount;
	if (k->data)
		memcpy(f->ram + EDIFF_DATA, k->data, k->data_len < EDIFF_DATA_MAX ? k->data_len : EDIFF_DATA_MAX);
	size_t n = k->code_len < 0x10000 - 1 ? k->code_len : 0x10000 - 1;
	memcpy(f->ram + EDIFF_CODE, k->code, n);
	f->ram[EDIFF_CODE + n] = 0xf4; /* hlt */
	if (k->paging)
		enable_paging(f);
	if (k->fpu)
		f->c->fpu = *k->fpu;
	if (k->cr0_set || k->cr0_clear)
		cpu_set_cr0(f->c, (f->c->cr0 | k->cr0_set) & ~k->cr0_clear);
	ferr_pulses = 0;
	memcpy(f->c->r, k->r, sizeof(f->c->r));
	cpu_set_eflags(f->c, k->eflags, FL_ARITH | FL_DF);
	f->c->eip = EDIFF_CODE;
	fx_run(f, k->budget);
	struct ediff_state *s = &out->s;
	memcpy(s->r, f->c->r, sizeof(s->r));
	s->eip = f->c->eip;
	s->eflags = cpu_get_eflags(f->c);
	s->cr2 = f->c->cr2;
	s->exc = fx_exception(f);
	s->icount = f->c->icount - start;
	s->halted = f->c->halted;
	out->fpu = f->c->fpu;
	out->ferr = ferr_pulses;
	if (jit)
		last_refused = f->c->jit ? jit_refused(f->c->jit) : 0;
	out->ram = f->ram;
}

static const char *const reg_names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };

/* Byte k differs only in `mask`'s bits of an EFLAGS image pushed by an
 * exception: the dword just above a pushed CS (the fixture's code
 * selector, 0x08) in both runs.  ESP may be unaligned, so every start
 * covering k is tried. */
static bool in_eflags_image(const struct run *a, const struct run *b, uint32_t k, uint32_t mask)
{
	for (uint32_t at = k >= 3 ? k - 3 : 0; at <= k; at++) {
		uint32_t cs_a, cs_b;
		if (at < 4 || at + 4 > EDIFF_RAM)
			continue;
		memcpy(&cs_a, a->ram + at - 4, 4);
		memcpy(&cs_b, b->ram + at - 4, 4);
		uint8_t allowed = (uint8_t)(mask >> (8 * (k - at)));
		if (cs_a == 0x08 && cs_b == 0x08 && !((a->ram[k] ^ b->ram[k]) & ~allowed))
			return true;
	}
	return false;
}

/* The x87 state: control, status and tag words, the last-instruction
 * pointers and every register that is not empty. */
static bool fpu_differs(const struct fpu *a, const struct fpu *b, char *why, size_t n)
{
	if (a->cw != b->cw || a->sw != b->sw || a->tw != b->tw) {
		snprintf(why, n, "x87 cw/sw/tw %#x/%#x/%#x interpreted, %#x/%#x/%#x translated", a->cw, a->sw, a->tw,
			 b->cw, b->sw, b->tw);
		return true;
	}
	if (a->fop != b->fop || a->fip != b->fip || a->fdp != b->fdp || a->fcs != b->fcs || a->fds != b->fds) {
		snprintf(why, n, "x87 fop/fip/fdp %#x/%#x/%#x interpreted, %#x/%#x/%#x translated", a->fop, a->fip,
			 a->fdp, b->fop, b->fip, b->fdp);
		return true;
	}
	for (int p = 0; p < 8; p++) {
		if (((a->tw >> (2 * p)) & 3) == 3 || memcmp(&a->st[p], &b->st[p], 10) == 0)
			continue;
		snprintf(why, n, "x87 register R%d differs", p);
		return true;
	}
	return false;
}

static int differ(const struct run *a, const struct run *b, uint32_t mask, char *why, size_t n)
{
	for (int r = 0; r < 8; r++)
		if (a->s.r[r] != b->s.r[r])
			return snprintf(why, n, "%s %#x interpreted, %#x translated", reg_names[r], a->s.r[r], b->s.r[r]), -1;
	if (a->s.eip != b->s.eip)
		return snprintf(why, n, "EIP %#x interpreted, %#x translated", a->s.eip, b->s.eip), -1;
	if ((a->s.eflags ^ b->s.eflags) & ~mask)
		return snprintf(why, n, "EFLAGS %#x interpreted, %#x translated", a->s.eflags, b->s.eflags), -1;
	if (a->s.cr2 != b->s.cr2)
		return snprintf(why, n, "CR2 %#x interpreted, %#x translated", a->s.cr2, b->s.cr2), -1;
	if (a->s.exc != b->s.exc)
		return snprintf(why, n, "exception %d interpreted, %d translated", a->s.exc, b->s.exc), -1;
	if (a->s.icount != b->s.icount || a->s.halted != b->s.halted)
		return snprintf(why, n, "%llu instructions (%s) interpreted, %llu (%s) translated",
				(unsigned long long)a->s.icount, a->s.halted ? "halted" : "running",
				(unsigned long long)b->s.icount, b->s.halted ? "halted" : "running"), -1;
	if (fpu_differs(&a->fpu, &b->fpu, why, n))
		return -1;
	if (a->ferr != b->ferr)
		return snprintf(why, n, "%d FERR pulses interpreted, %d translated", a->ferr, b->ferr), -1;
	if (memcmp(a->ram, b->ram, EDIFF_RAM) == 0)
		return 0;
	/* The EFLAGS image an exception pushed holds the undefined flags
	 * too: compared under the mask.  Such an image is the dword above
	 * a pushed CS (the fixture's code selector, 0x08); the frames are
	 * found that way rather than from the final ESP, because when a
	 * sequence has loaded a bad DS the stubs fault in turn, and one
	 * exception pushes a frame after another. */
	for (uint32_t k = 0; k < EDIFF_RAM; k++) {
		if (a->ram[k] == b->ram[k])
			continue;
		if (!in_eflags_image(a, b, k, mask))
			return snprintf(why, n, "RAM at %#x: %#x interpreted, %#x translated", k, a->ram[k], b->ram[k]), -1;
	}
	return 0;
}

int ediff_run(const struct ediff_case *k, struct ediff_state *interp, char *why, size_t whylen)
{
	struct run a, b;
	run_once(k, false, &a);
	run_once(k, true, &b);
	int rc = differ(&a, &b, k->mask_flags, why, whylen);
	if (rc == 0 && last_refused) {
		snprintf(why, whylen, "the translator refused %llu blocks", (unsigned long long)last_refused);
		rc = -1;
	}
	if (interp)
		*interp = a.s;
	return rc;
}
