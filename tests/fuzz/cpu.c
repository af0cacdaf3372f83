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
 * so they are followed through the code (poisoned_flags, as
 * tests/unit/test_diff.c does on the sequences it generates): an input is
 * compared unless an instruction reads a flag while it is undefined, or
 * control is transferred or an exception taken while one is, and the
 * flags ever undefined are not compared at the end.  The instructions are
 * found by decoding the code from its start (a jump into the middle of
 * one, or code the input writes, escapes that).  Two CPUs are made
 * once and reset for each input (fx_reset): making one costs milliseconds.
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

static void run(struct fx *f, const uint32_t regs[8], uint32_t flags, const uint8_t *code,
		size_t n, bool *halted)
{
	fx_reset(f); /* each keeps the mode it was made in */
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			f->c->r[r] = regs[r];
	cpu_set_eflags(f->c, flags, ARITH_FLAGS | FLAG_DF);
	fx_code(f, code, n);
	fx_run(f, BUDGET);
	*halted = f->c->halted || f->vm.stop_reason;
}

#define SAME(field, fmt)                                                           \
	FUZZ_CHECK(a->field == b->field, #field ": interpreted " fmt ", translated " fmt, \
		   a->field, b->field)

/*
 * Which flags may differ between the two runs for a legitimate reason,
 * followed through the code as tests/unit/test_diff.c follows the
 * sequences it generates.  `poison` is the set of flags left undefined
 * where an instruction starts; one defining a flag clears it (but not a
 * shift, whose count may be 0, nor a string instruction, whose REP may
 * run no iteration).  The input carries poison (*carried: not compared)
 * when an instruction reads a poisoned flag (ADC, Jcc, SETcc, PUSHF,
 * LAHF...), or transfers control while some flag is poisoned (a Jcc,
 * JMP, CALL, RET, INT n...: INT pushes EFLAGS).  Returns every flag ever
 * poisoned: those are not compared at the end.  An exception taken while
 * a flag was poisoned would push it too: the caller checks that.
 *
 * The code is followed as it may run, not as it reads from its start: a
 * relative branch continues at its target as well as after it (a jump
 * into the middle of an instruction decodes differently there), and
 * after a transfer to a target not known here (RET, IRET, INT n, an
 * indirect JMP) any byte of the code may be the next instruction, entered
 * with no flag poisoned.  Decoding runs through the HLT padding, so an
 * instruction that takes HLT bytes as operands is seen as it will run.
 * (Code the input writes still escapes this.)
 */
static uint32_t poisoned_flags(const uint8_t *code, size_t n, size_t padded, bool *carried)
{
	static uint16_t in[CODE_MAX];     /* poison where an instruction starts */
	static bool seen[CODE_MAX];
	static uint16_t work[CODE_MAX * 8]; /* an offset is pushed at most 7 times */
	unsigned nwork = 0;
	uint32_t ever = 0;
	bool anywhere = false;
	memset(seen, 0, n);
	*carried = false;
	seen[0] = true, in[0] = 0, work[nwork++] = 0;
	while (nwork) {
		size_t at = work[--nwork];
		uint32_t poison = in[at];
		struct insn i;
		int len = decode_bytes(code + at, (uint32_t)(padded - at), true, &i);
		if (len <= 0)
			continue; /* #UD: an exception, which the caller sees */
		const struct insn_def *d = idef(&i);
		bool halts = i.iop == IOP_HLT, jumps = d->fmt == FM_J;
		bool unknown = (d->attr & D_END) && !halts && !jumps;
		if ((d->fl_in & poison) || ((jumps || unknown) && poison)) {
			*carried = true;
			return 0;
		}
		uint32_t defined = (d->attr & (D_CONDFL | D_STRING)) ? 0 : d->fl_out & ~d->fl_undef;
		poison = ((poison & ~defined) | d->fl_undef) & ARITH_FLAGS;
		ever |= poison;
		anywhere |= unknown;
		size_t next[2] = { halts ? SIZE_MAX : at + (size_t)len, SIZE_MAX };
		if (jumps) {
			uint32_t eip = FX_CODE + (uint32_t)(at + (size_t)len) + i.imm;
			next[1] = (i.op32 ? eip : eip & 0xffffu) - FX_CODE;
		}
		for (int k = 0; k < 2; k++) {
			size_t to = next[k];
			if (to >= n || (seen[to] && (in[to] | poison) == in[to]))
				continue;
			in[to] = seen[to] ? (uint16_t)(in[to] | poison) : (uint16_t)poison;
			seen[to] = true;
			work[nwork++] = (uint16_t)to;
		}
		if (anywhere && nwork == 0)
			for (size_t to = 0; to < n; to++)
				if (!seen[to]) {
					seen[to] = true, in[to] = 0;
					work[nwork++] = (uint16_t)to;
				}
	}
	return ever;
}

static bool took_exception(const struct fx *f)
{
	uint32_t v;
	memcpy(&v, f->ram + FX_EXC, sizeof v);
	return v != 0xffffffffu;
}

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
	bool carried;
	uint32_t undef = poisoned_flags(code, n, sizeof(code), &carried);
	bool ha, hb;
	run(interp, regs, flags, code, sizeof(code), &ha);
	run(translated, regs, flags, code, sizeof(code), &hb);
	carried |= undef && (took_exception(interp) || took_exception(translated));
	if (ha && hb && !carried)
		compare(interp, translated, undef);
	return 0;
}
