/*
 * Fuzz target: the soft CPU (src/engine/soft/), random code bytes run in
 * a small machine (the engine tests' fixture, tests/unit/cpu_fixture.h:
 * flat 32-bit protected mode at CPL 0, 640 KiB of RAM, an IDT whose stubs
 * record the vector and halt), once interpreted and once translated.  The
 * input is the arithmetic flags and DF, the initial EAX..EDI (ESP
 * excepted), then the code, followed by HLTs to the end of its 4 KiB (so
 * running off the end stops at once rather than in a sled of zeros).
 *
 * When both runs reach HLT (or a triple fault) within the budget, any
 * difference is an abort: the registers, EIP, EFLAGS, the control
 * registers, the segment selectors, the exception taken, the stop reason
 * and every byte of RAM.  A run that does not halt within the budget is
 * not compared (the translator counts instructions per block, so the two
 * stop at different places).
 *
 * The translator leaves the flags the SDM calls undefined (a shift's OF
 * and AF, MUL's SF and ZF...) as the host computes them (docs/engine.md),
 * so they are followed along the path the code really takes: the
 * interpreted run goes one instruction at a time, and each instruction is
 * decoded at CS:EIP just before it runs (struct poison), as
 * tests/unit/test_diff.c follows the sequences it generates; only an
 * instruction that retires changes what is undefined.  An input is
 * compared unless an instruction reads a flag while it is undefined, a
 * transfer that may save EFLAGS (INT n, a far or indirect one, a task
 * switch) or an exception happens while one is, or the code goes where it
 * cannot be followed (paging on, EIP outside RAM); the flags ever
 * undefined are not compared at the end.  Decoding the code ahead of the
 * run missed jumps into the middle of an instruction, code outside the
 * input and code the input rewrites, and gave false divergences in the
 * campaign.  Two CPUs are made once and reset for each input (fx_reset):
 * making one costs milliseconds.
 *
 * fuzz-plant: src/engine/soft/jit_alu.c
 * fuzz-plant-from: unsigned n = i->imm & 31;
 * fuzz-plant-to: unsigned n = i->imm & 15;
 * fuzz-options: -max_len=1060
 */
#include "fuzz.h"

#include "cpu_fixture.h"
#include "engine/soft/decode.h"
#include "engine/soft/insn.h"

#define RAM 0xa0000u /* 640 KiB: the fixture's layout ends at its ring-0 stack, 0x90000 */
#define BUDGET 2000
#define CODE_MAX 1024
#define ARITH_FLAGS 0x8d5u /* CF PF AF ZF SF OF */
#define FLAG_DF 0x400u

static struct fx *interp, *translated;

/*
 * Every guest exception is a longjmp, before which ASan unpoisons the
 * shadow of its alternate signal stack (a memset) and asks sigaltstack
 * where it is: with random code faulting hundreds of times an input, a
 * third of the target's time.  Without the alternate stack only a stack
 * overflow loses its report (the process still dies, so the run fails).
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "use_sigaltstack=0";
}

static void start(struct fx *f, const uint32_t regs[8], uint32_t flags, const uint8_t *code,
		  size_t n)
{
	fx_reset(f); /* each keeps the mode it was made in */
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			f->c->r[r] = regs[r];
	cpu_set_eflags(f->c, flags, ARITH_FLAGS | FLAG_DF);
	fx_code(f, code, n);
}

static bool stopped(const struct fx *f)
{
	return f->c->halted || f->vm.stop_reason;
}

/* What the undefined flags did along the interpreted run's path. */
struct poison {
	uint32_t now;  /* undefined at this point */
	uint32_t ever; /* undefined at some point: not compared at the end */
	bool carried;  /* an undefined flag may have reached state: not compared */
};

/*
 * What the poison becomes if the instruction at CS:EIP, about to run,
 * retires.  One defining a flag clears its poison (but not a shift, whose
 * count may be 0, nor a string instruction, whose REP may run no
 * iteration).  A relative jump or call carries poison along harmlessly,
 * since the path is followed; any other block end may save EFLAGS
 * somewhere (INT n pushes it, a far CALL through a task gate stores it)
 * and so carries it.
 */
static struct poison poison_after(struct poison p, const struct cpu *c, const uint8_t *ram)
{
	uint32_t lin = c->seg[SR_CS].base + c->eip;
	struct insn i;
	if ((c->cr0 & CR0_PG) || lin >= RAM ||
	    decode_bytes(ram + lin, RAM - lin < 15 ? RAM - lin : 15, cpu_code32(c), &i) <= 0) {
		p.carried = true; /* lost: what runs now is not followed */
		return p;
	}
	const struct insn_def *d = idef(&i);
	bool may_save = (d->attr & D_END) && d->fmt != FM_J && i.iop != IOP_HLT;
	if ((d->fl_in & p.now) || (may_save && p.now))
		p.carried = true;
	uint32_t defined = (d->attr & (D_CONDFL | D_STRING)) ? 0 : d->fl_out & ~d->fl_undef;
	p.now = ((p.now & ~defined) | d->fl_undef) & ARITH_FLAGS;
	p.ever |= p.now;
	return p;
}

/*
 * The interpreted run, one instruction per cpu_run: a CPU in an interrupt
 * shadow steps exactly one (run.c, step_one), and a fault costs a cpu_run
 * of its own that retires nothing.  As fx_run does, it stops after BUDGET
 * instructions (a REP's slice counts its iterations) or deliveries.  An
 * instruction's effect on the poison counts only once it retires: one that
 * faults defines nothing, and the exception pushes the flags as they were
 * (an ADD faulting after a ROL by 13 pushes the ROL's undefined OF).
 */
static void run_followed(struct fx *f, struct poison *p)
{
	struct cpu *c = f->c;
	const uint64_t begin = c->icount;
	c->halted = false;
	for (int steps = 0; steps < BUDGET && c->icount - begin < BUDGET && !stopped(f); steps++) {
		struct poison next = poison_after(*p, c, f->ram);
		uint64_t before = c->icount;
		c->shadow = true;
		(void)cpu_run(c, 1);
		if (c->icount != before || c->halted) {
			*p = next;
		} else {
			p->carried |= next.carried || p->now != 0; /* an exception pushed them */
		}
	}
}

#define SAME(field, fmt)                                                           \
	FUZZ_CHECK(a->field == b->field, #field ": interpreted " fmt ", translated " fmt, \
		   a->field, b->field)

static void compare(const struct fx *fa, const struct fx *fb, uint32_t undef)
{
	const struct cpu *a = fa->c, *b = fb->c;
	for (int r = 0; r < 8; r++)
		SAME(r[r], "%#x");
	SAME(eip, "%#x");
	uint32_t fl_a = cpu_get_eflags(fa->c) & ~undef, fl_b = cpu_get_eflags(fb->c) & ~undef;
	FUZZ_CHECK(fl_a == fl_b, "EFLAGS: interpreted %#x, translated %#x", fl_a, fl_b);
	SAME(cr0, "%#x");
	SAME(cr2, "%#x");
	SAME(cr3, "%#x");
	SAME(cr4, "%#x");
	SAME(cpl, "%d");
	for (int s = 0; s < 6; s++)
		SAME(seg[s].sel, "%#x");
	FUZZ_CHECK(fa->vm.stop_reason == fb->vm.stop_reason, "stop reason %d vs %d",
		   fa->vm.stop_reason, fb->vm.stop_reason);
	for (uint32_t k = 0; k < RAM; k += 4096) {
		if (memcmp(fa->ram + k, fb->ram + k, 4096) == 0)
			continue;
		uint32_t at = k;
		while (fa->ram[at] == fb->ram[at])
			at++;
		FUZZ_CHECK(false, "RAM at %#x: interpreted %#x, translated %#x", at, fa->ram[at],
			   fb->ram[at]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!interp) {
		interp = fx_new(RAM);
		translated = fx_new(RAM);
		(void)cpu_set_jit(interp->c, false); /* a new CPU translates by default */
		FUZZ_CHECK(interp && translated && cpu_set_jit(translated->c, true),
			   "no translator on this host");
	}
	struct fuzz_in in = fuzz_in(data, size);
	uint32_t regs[8], flags = fin_u16(&in);
	for (int r = 0; r < 8; r++)
		regs[r] = fin_u32(&in);
	uint8_t code[4096];
	size_t n = fin_bytes(&in, code, CODE_MAX);
	memset(code + n, 0xf4, sizeof(code) - n); /* hlt */
	struct poison p = { 0 };
	start(interp, regs, flags, code, sizeof(code));
	run_followed(interp, &p);
	start(translated, regs, flags, code, sizeof(code));
	fx_run(translated, BUDGET);
	if (stopped(interp) && stopped(translated) && !p.carried)
		compare(interp, translated, p.ever);
	return 0;
}
