/*
 * The short way to run an x87 data instruction on the host (fpu.h has
 * the long one): when every exception is masked, load into the host only
 * the registers the instruction reads, ST(0)..ST(n-1), with FLD m80 (which
 * never raises anything), run the guest's instruction bytes, and store
 * back with FSTP m80 what is left on the host's stack.  No FRSTOR, no
 * FNSAVE: those two made up most of an x87 instruction's time (awk's
 * floating-point loop: bench/RESULTS.md).
 *
 * Why it is the same as the long way:
 *  - with every exception masked nothing traps and every instruction
 *    completes with its masked response, so the host stack's depth after
 *    the instruction says exactly how it moved TOP;
 *  - the instruction sees only ST(0)..ST(n-1) (fpu_lite_form knows n per
 *    form), which are the guest's, with the guest's control word
 *    (precision, rounding);
 *  - an empty operand (stack underflow) or a push onto a full register
 *    (overflow) is left to the long way: the guest's operands must be
 *    non-empty, a push needs an empty ST(7), and a stack fault on the host
 *    (SF) sends the instruction back too;
 *  - C0-C3: the instruction's own (cbits) come from the host; the ones
 *    the SDM leaves undefined are kept, which is what the P6 family and
 *    this host do (test_fpu_lite checks every form against the long way).
 * Nothing of the guest's state changes until the host part is done, so a
 * "no" from fpu_lite_exec leaves the instruction whole for the long way.
 */
#include <string.h>

#include "engine/soft/fpu.h"

/*
 * The host instructions: for every ESC byte and ModRM, the 2 bytes and a
 * RET, 4 bytes apart.  Register forms (ModRM C0-FF) as they are, memory
 * forms only with mod 0 and rm 0, i.e. the operand at [rax]; every other
 * slot is UD2.
 */
__asm__(".pushsection .text\n"
	".balign 64\n"
	".globl fpu_lite_stubs\n"
	".hidden fpu_lite_stubs\n"
	"fpu_lite_stubs:\n"
	".irp b, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf\n"
	".set m, 0\n"
	".rept 256\n"
	".if (m >= 0xc0) || ((m & 0xc7) == 0)\n"
	".byte \\b, m, 0xc3, 0xcc\n"
	".else\n"
	".byte 0x0f, 0x0b, 0xcc, 0xcc\n"
	".endif\n"
	".set m, m + 1\n"
	".endr\n"
	".endr\n"
	".popsection\n");

extern const uint8_t fpu_lite_stubs[] __attribute__((visibility("hidden")));

#define C_ALL (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

static void form(struct fpu_lite *l, unsigned nin, uint16_t cbits)
{
	l->nin = (uint8_t)nin;
	l->cbits = cbits;
}

/* The memory forms: operand size and whether it is a store. */
static bool mem_form(unsigned esc, unsigned reg, struct fpu_lite *l)
{
	static const uint8_t arith_size[8] = { 4, 0, 4, 0, 8, 0, 2, 0 }; /* D8 DA DC DE */
	if (!(esc & 1)) { /* D8 m32fp, DA m32int, DC m64fp, DE m16int arithmetic */
		l->size = arith_size[esc];
		form(l, 1, (reg == 2 || reg == 3) ? C_ALL : FSW_C1);
		return true;
	}
	/* D9 m32fp, DB m32int / m80fp, DD m64fp, DF m16int / m64int */
	static const uint8_t size[8][8] = {
		[1] = { 4, 0, 4, 4, 0, 0, 0, 0 },
		[3] = { 4, 0, 4, 4, 0, 10, 0, 10 },
		[5] = { 8, 0, 8, 8, 0, 0, 0, 0 },
		[7] = { 2, 0, 2, 2, 0, 8, 0, 8 },
	};
	if (!size[esc][reg])
		return false; /* control, FISTTP, BCD, reserved: the long way */
	l->size = size[esc][reg];
	l->store = reg == 2 || reg == 3 || reg == 7;
	form(l, l->store ? 1 : 0, FSW_C1);
	return true;
}

/* D9 E0-FF: the one-byte forms that move the stack predictably. */
static bool d9_special(unsigned modrm, struct fpu_lite *l)
{
	switch (modrm) {
	case 0xe0: case 0xe1:                 /* FCHS FABS */
	case 0xf0: case 0xfa: case 0xfc:      /* F2XM1 FSQRT FRNDINT */
	case 0xf4:                            /* FXTRACT */
		form(l, 1, FSW_C1);
		return true;
	case 0xe4: case 0xe5:                 /* FTST FXAM */
		form(l, 1, C_ALL);
		return true;
	case 0xe8: case 0xe9: case 0xea: case 0xeb:
	case 0xec: case 0xed: case 0xee:      /* FLD1 ... FLDZ */
		form(l, 0, FSW_C1);
		return true;
	case 0xf1: case 0xf3: case 0xf9: case 0xfd: /* FYL2X FPATAN FYL2XP1 FSCALE */
		form(l, 2, FSW_C1);
		return true;
	default: /* FPREM FPREM1 FPTAN FSIN FCOS FSINCOS (C2 says how far
		  * they went, and what else they changed), FDECSTP FINCSTP */
		return false;
	}
}

/* Register forms (ModRM C0-FF). */
static bool reg_form_lite(unsigned esc, unsigned modrm, struct fpu_lite *l)
{
	unsigned reg = (modrm >> 3) & 7, rm = modrm & 7;
	unsigned nst = rm + 1; /* ST(0)..ST(rm) */
	bool compare = reg == 2 || reg == 3;
	switch (esc) {
	case 0: case 4: /* arithmetic ST(0),ST(i) / ST(i),ST(0); FCOM(P) */
		form(l, nst, compare ? C_ALL : FSW_C1);
		return true;
	case 6: /* the same, popping; FCOMPP */
		if (reg == 3 && rm != 1)
			return false;
		form(l, reg == 3 ? 2 : nst, compare ? C_ALL : FSW_C1);
		return true;
	case 1:
		if (reg == 0 && rm == 7)
			return false; /* FLD ST(7) pushes onto itself: always overflows */
		if (reg <= 1 || reg == 3) { /* FLD, FXCH, FSTP1 */
			form(l, nst, FSW_C1);
			return true;
		}
		return reg >= 4 && d9_special(modrm, l);
	case 2:
		if (modrm != 0xe9) /* FCMOVcc: done in software */
			return false;
		form(l, 2, C_ALL); /* FUCOMPP */
		return true;
	case 3: /* FUCOMI, FCOMI */
	case 7: /* FUCOMIP, FCOMIP; FXCH7, FSTP8, FSTP9 */
		if (reg == 5 || reg == 6) { /* C1 kept, as the P6 does */
			form(l, nst, 0);
			l->eflags = true;
			return true;
		}
		if (esc == 7 && reg >= 1 && reg <= 3) {
			form(l, nst, FSW_C1);
			return true;
		}
		return false; /* FNSTSW AX, FNCLEX, FNINIT, FFREEP... */
	default: /* 5: FXCH4, FST, FSTP, FUCOM, FUCOMP (FFREE: no) */
		if (reg < 1 || reg > 5)
			return false;
		form(l, nst, reg >= 4 ? C_ALL : FSW_C1);
		return true;
	}
}

bool fpu_lite_form(unsigned esc, unsigned modrm, struct fpu_lite *l)
{
	memset(l, 0, sizeof(*l));
	l->esc = (uint8_t)(esc & 7);
	l->modrm = (uint8_t)modrm;
	if ((modrm >> 6) != 3) {
		l->modrm = (uint8_t)(modrm & 0x38); /* the host's operand: [rax] */
		return mem_form(esc & 7, (modrm >> 3) & 7, l);
	}
	return reg_form_lite(esc & 7, modrm, l);
}

/* Host registers are 16 bytes apart in these arrays (10 used). */
struct lite_regs {
	uint8_t r[8][16];
};

/*
 * The host part.  in->r[k] holds ST(k) for k < nin; afterwards out->r[k]
 * holds the host's ST(k) for k < *left, the depth of the host's stack.
 * The host's own control word is saved and restored (FLDCW only when it
 * differs: both are 037F in most code); FNCLEX, when a flag is set,
 * before so the status word shows only what this instruction raised and
 * after so the next call finds them clear; the FFREEs at the end leave
 * the host's x87 empty whatever happened (the ABI wants it so).
 */
static void host_run(const struct fpu_lite *l, uint16_t cw, const struct lite_regs *in, void *mem,
		     struct lite_regs *out, uint16_t *sw, int *left, struct host_flags *fl)
{
	const uint8_t *stub = fpu_lite_stubs + 4 * ((unsigned)l->esc << 8 | l->modrm);
	uint16_t host_cw = 0, sw_after = 0;
	int depth = 0;
	__asm__ volatile(
		"fnstcw %[hcw]\n\t"
		"movzwl %[hcw], %%eax\n\t"
		"cmp %[gcw], %%ax\n\t"
		"je 5f\n\t"
		"fldcw %[gcw]\n"
		"5:\n\t"
		"fnstsw %%ax\n\t"
		"test $0x7f, %%al\n\t"
		"jz 6f\n\t"
		"fnclex\n"
		"6:\n\t"
		"mov %[nin], %%ecx\n"
		"1:\n\t"
		"test %%ecx, %%ecx\n\t"
		"jz 2f\n\t"
		"dec %%ecx\n\t"
		"mov %%ecx, %%edx\n\t"
		"shl $4, %%edx\n\t"
		"fldt (%[in], %%rdx)\n\t"
		"jmp 1b\n"
		"2:\n\t"
		"fnstsw %%ax\n\t"
		"mov %%eax, %%r10d\n\t"           /* TOP before */
		"mov %[mem], %%rax\n\t"
		"lea -128(%%rsp), %%rsp\n\t"      /* the red zone is the caller's */
		"call *%[stub]\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"setz %[zf]\n\t"
		"setp %[pf]\n\t"
		"setc %[cf]\n\t"
		"fnstsw %%ax\n\t"
		"mov %%ax, %[swa]\n\t"
		/* depth = nin + (TOP before - TOP after), the difference
		 * taken in -4..3 */
		"shr $11, %%r10d\n\t"
		"shr $11, %%eax\n\t"
		"sub %%eax, %%r10d\n\t"
		"add $4, %%r10d\n\t"
		"and $7, %%r10d\n\t"
		"sub $4, %%r10d\n\t"
		"add %[nin], %%r10d\n\t"
		"mov %%r10d, %[depth]\n\t"
		"xor %%ecx, %%ecx\n"
		"3:\n\t"
		"cmp %%r10d, %%ecx\n\t"
		"jge 4f\n\t"
		"mov %%ecx, %%edx\n\t"
		"shl $4, %%edx\n\t"
		"fstpt (%[out], %%rdx)\n\t"
		"inc %%ecx\n\t"
		"jmp 3b\n"
		"4:\n\t"
		"ffree %%st(0)\n\tffree %%st(1)\n\tffree %%st(2)\n\tffree %%st(3)\n\t"
		"ffree %%st(4)\n\tffree %%st(5)\n\tffree %%st(6)\n\tffree %%st(7)\n\t"
		"testb $0x7f, %[swa]\n\t"
		"jz 7f\n\t"
		"fnclex\n"
		"7:\n\t"
		"movzwl %[hcw], %%eax\n\t"
		"cmp %[gcw], %%ax\n\t"
		"je 8f\n\t"
		"fldcw %[hcw]\n"
		"8:"
		: [hcw] "+m"(host_cw), [swa] "=m"(sw_after), [depth] "=m"(depth), [zf] "=m"(fl->zf),
		  [pf] "=m"(fl->pf), [cf] "=m"(fl->cf), "=m"(*out)
		: [gcw] "m"(cw), [nin] "r"((int)l->nin), [in] "r"(in), [out] "r"(out), [mem] "r"(mem),
		  [stub] "r"(stub), "m"(*in)
		: "rax", "rcx", "rdx", "r10", "memory", "cc", "st", "st(1)", "st(2)", "st(3)", "st(4)",
		  "st(5)", "st(6)", "st(7)");
	*sw = sw_after;
	*left = depth;
}

static void set_tag(struct fpu *f, int phys, int tag)
{
	f->tw = (uint16_t)((f->tw & ~(3u << (2 * phys))) | ((unsigned)tag << (2 * phys)));
}

bool fpu_lite_exec(struct fpu *f, const struct fpu_lite *l, void *mem, struct host_flags *fl)
{
	if ((f->cw & FCW_MASKS) != FCW_MASKS || (f->sw & FSW_ES))
		return false;
	struct lite_regs in, out;
	for (int k = 0; k < l->nin; k++) {
		int p = fpu_phys(f, k);
		if (fpu_tag(f, p) == TAG_EMPTY)
			return false; /* stack underflow */
		fpu_reg_get(f, p, in.r[k]);
	}
	uint16_t sw;
	int depth;
	host_run(l, f->cw, &in, mem, &out, &sw, &depth, fl);
	int delta = depth - l->nin; /* +1 push, -1 pop, -2 pop twice */
	if ((sw & FSW_SF) || depth < 0 || depth > 8)
		return false;
	if (delta > 0 && (delta > 1 || fpu_tag(f, fpu_phys(f, 7)) != TAG_EMPTY))
		return false; /* stack overflow */

	int top = fpu_top(f);
	for (int k = 0; k < -delta; k++)
		set_tag(f, (top + k) & 7, TAG_EMPTY);
	top = (top - delta) & 7;
	f->sw = (uint16_t)((f->sw & ~FSW_TOP) | (unsigned)top << FSW_TOP_SHIFT);
	for (int k = 0; k < depth; k++) {
		int p = (top + k) & 7;
		fpu_reg_set(f, p, out.r[k]);
		set_tag(f, p, fpu_tag_of(out.r[k]));
	}
	f->sw = (uint16_t)((f->sw & ~l->cbits) | (sw & l->cbits) | (sw & FSW_STICKY));
	fpu_update_summary(f);
	return true;
}
