/*
 * The x87: instruction dispatch, device-not-available and pending
 * floating-point error checks, the control instructions, FCMOVcc, and the
 * path that hands every data instruction to the host's x87 (fpu.h says
 * why that is exact).
 *
 * Order inside one instruction, so a fault never leaves half an update:
 *   1. #NM (CR0.EM or CR0.TS);
 *   2. a pending unmasked exception (ES) is reported by every waiting
 *      instruction: #MF when CR0.NE, else IRQ13 and the instruction runs;
 *   3. every guest memory access that can fault (operand read, or the
 *      write check of a store);
 *   4. then, and only then, the x87 state changes.
 */
#include <string.h>

#include "engine/soft/cpu.h"
#include "engine/soft/fpu.h"
#include "engine/soft/insn.h"
#include "engine/soft/ops.h"

/* --- state helpers -------------------------------------------------------- */

void fpu_reset(struct fpu *f)
{
	f->cw = FCW_INIT;
	f->sw = 0;
	f->tw = 0xffff;
	f->fop = 0;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
}

void fpu_reg_get(const struct fpu *f, int phys, uint8_t ext[EXT80])
{
	memcpy(ext, &f->st[phys], EXT80);
}

void fpu_reg_set(struct fpu *f, int phys, const uint8_t ext[EXT80])
{
	memcpy(&f->st[phys], ext, EXT80);
}

static void fpu_set_tag(struct fpu *f, int phys, int tag)
{
	f->tw = (uint16_t)((f->tw & ~(3u << (2 * phys))) | ((unsigned)tag << (2 * phys)));
}

int fpu_tag_of(const uint8_t ext[EXT80])
{
	uint64_t mant;
	uint16_t se;
	memcpy(&mant, ext, 8);
	memcpy(&se, ext + 8, 2);
	unsigned exp = se & 0x7fff;
	if (exp == 0x7fff)
		return TAG_SPECIAL; /* infinity, NaN, pseudo-NaN/infinity */
	if (exp == 0)
		return mant ? TAG_SPECIAL : TAG_ZERO; /* (pseudo-)denormal */
	return (mant >> 63) ? TAG_VALID : TAG_SPECIAL; /* unnormal */
}

uint16_t fpu_full_tags(const struct fpu *f)
{
	uint16_t tw = 0;
	for (int p = 0; p < 8; p++) {
		int tag = TAG_EMPTY;
		if (fpu_tag(f, p) != TAG_EMPTY) {
			uint8_t ext[EXT80];
			fpu_reg_get(f, p, ext);
			tag = fpu_tag_of(ext);
		}
		tw |= (uint16_t)(tag << (2 * p));
	}
	return tw;
}

void fpu_update_summary(struct fpu *f)
{
	if (f->sw & ~f->cw & FSW_EXC)
		f->sw |= FSW_ES | FSW_B;
	else
		f->sw &= (uint16_t)~(FSW_ES | FSW_B);
}

void fpu_load_cw(struct fpu *f, uint16_t cw)
{
	f->cw = (uint16_t)((cw & FCW_WRITABLE) | FCW_FIXED1);
	fpu_update_summary(f);
}

/* Raises the x87's own exceptions (IE, SF...) found in software. */
static void fpu_raise(struct fpu *f, uint16_t flags)
{
	f->sw |= flags;
	fpu_update_summary(f);
}

/* The QNaN "real indefinite" a masked invalid operation produces. */
static const uint8_t real_indefinite[EXT80] = {
	0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff
};

/* --- exception reporting -------------------------------------------------- */

/*
 * A waiting instruction found an unmasked exception left by an earlier
 * one.  With CR0.NE the processor raises #MF; without it (MS-DOS
 * compatibility) the FERR# pin drives IRQ13 on the PIC and the instruction
 * goes on.  The pulse gives the edge-triggered PIC one request per
 * waiting instruction that finds the error still pending.
 */
static void fpu_check_pending(struct cpu *c)
{
	if (!(c->fpu.sw & FSW_ES))
		return;
	if (c->cr0 & CR0_NE)
		cpu_exception(c, EXC_MF, 0);
	cpu_ferr(c);
}

OP(op_fwait)
{
	(void)i;
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		cpu_exception(c, EXC_NM, 0);
	fpu_check_pending(c);
}

/* --- decoding ------------------------------------------------------------- */

enum fpu_kind {
	K_UD,       /* reserved encoding */
	K_REG,      /* data instruction with register operands only */
	K_LOAD,     /* data instruction reading a memory operand */
	K_STORE,    /* data instruction writing a memory operand */
	K_FCMOV,
	K_NOP_NOWAIT, /* FNENI, FNDISI, FNSETPM: no-ops since the 387 */
	K_FNINIT, K_FNCLEX, K_FNSTSW_AX,
	K_FLDCW, K_FNSTCW, K_FNSTSW, K_FLDENV, K_FNSTENV, K_FRSTOR, K_FNSAVE,
};

struct fpu_form {
	uint8_t kind, size; /* size: bytes of the memory operand */
};

#define L(n) { K_LOAD, n }
#define S(n) { K_STORE, n }
#define UD { K_UD, 0 }
/* Memory forms by ESC byte (D8-DF) and ModRM reg. */
static const struct fpu_form mem_forms[8][8] = {
	{ L(4), L(4), L(4), L(4), L(4), L(4), L(4), L(4) },   /* D8 m32fp arith */
	{ L(4), UD, S(4), S(4), { K_FLDENV, 0 }, { K_FLDCW, 2 },
	  { K_FNSTENV, 0 }, { K_FNSTCW, 2 } },                 /* D9 */
	{ L(4), L(4), L(4), L(4), L(4), L(4), L(4), L(4) },   /* DA m32int arith */
	{ L(4), UD, S(4), S(4), UD, L(10), UD, S(10) },       /* DB FILD FIST(P) m32, FLD/FSTP m80 */
	{ L(8), L(8), L(8), L(8), L(8), L(8), L(8), L(8) },   /* DC m64fp arith */
	{ L(8), UD, S(8), S(8), { K_FRSTOR, 0 }, UD,
	  { K_FNSAVE, 0 }, { K_FNSTSW, 2 } },                  /* DD */
	{ L(2), L(2), L(2), L(2), L(2), L(2), L(2), L(2) },   /* DE m16int arith */
	{ L(2), UD, S(2), S(2), L(10), L(8), S(10), S(8) },   /* DF m16int, FBLD, m64int, FBSTP */
};
#undef L
#undef S
#undef UD

/* Register forms (ModRM C0-FF) the P6 implements, documented aliases
 * (FSTP1, FXCH4, FCOM2...) included. */
static enum fpu_kind reg_form(unsigned esc, unsigned modrm)
{
	unsigned reg = (modrm >> 3) & 7, rm = modrm & 7;
	switch (esc) {
	case 0: /* D8 */
	case 4: /* DC */
		return K_REG;
	case 1: /* D9: FLD FXCH FNOP FSTP1, E0-FF singles */
		if (reg == 2)
			return rm == 0 ? K_REG : K_UD;
		if (reg == 4)
			return (rm == 2 || rm == 3 || rm == 6 || rm == 7) ? K_UD : K_REG;
		if (reg == 5)
			return rm == 7 ? K_UD : K_REG;
		return K_REG;
	case 2: /* DA: FCMOVB/E/BE/U, FUCOMPP */
		if (reg <= 3)
			return K_FCMOV;
		return modrm == 0xe9 ? K_REG : K_UD;
	case 3: /* DB: FCMOVNB/NE/NBE/NU, FNENI..FNSETPM, FUCOMI, FCOMI */
		if (reg <= 3)
			return K_FCMOV;
		if (reg == 4) {
			static const enum fpu_kind e[8] = { K_NOP_NOWAIT, K_NOP_NOWAIT, K_FNCLEX,
				K_FNINIT, K_NOP_NOWAIT, K_UD, K_UD, K_UD };
			return e[rm];
		}
		return (reg == 5 || reg == 6) ? K_REG : K_UD;
	case 5: /* DD: FFREE FXCH4 FST FSTP FUCOM FUCOMP */
		return reg <= 5 ? K_REG : K_UD;
	case 6: /* DE: arith-and-pop, FCOMP5, FCOMPP */
		return (reg != 3 || rm == 1) ? K_REG : K_UD;
	default: /* DF: FFREEP FXCH7 FSTP8 FSTP9, FNSTSW AX, FUCOMIP, FCOMIP */
		if (reg == 4)
			return modrm == 0xe0 ? K_FNSTSW_AX : K_UD;
		return reg == 7 ? K_UD : K_REG;
	}
}

static struct fpu_form classify(const struct insn *i)
{
	unsigned esc = idef(i)->arg;
	if (i->mod != 3)
		return mem_forms[esc][i->reg];
	return (struct fpu_form){ (uint8_t)reg_form(esc, 0xc0u | i->reg << 3 | i->rm), 0 };
}

/* Instructions that do not first report a pending exception. */
static bool no_wait(enum fpu_kind k)
{
	return k == K_NOP_NOWAIT || k == K_FNINIT || k == K_FNCLEX || k == K_FNSTSW_AX ||
	       k == K_FNSTCW || k == K_FNSTSW || k == K_FNSTENV || k == K_FNSAVE;
}

/* --- memory operands ------------------------------------------------------ */

static void read_operand(struct cpu *c, const struct insn *i, uint32_t ea, uint8_t *buf, int size)
{
	uint64_t lo;
	uint32_t v32;
	uint16_t v16;
	switch (size) {
	case 2:
		v16 = vread16(c, i->seg, ea);
		memcpy(buf, &v16, 2);
		break;
	case 4:
		v32 = vread32(c, i->seg, ea);
		memcpy(buf, &v32, 4);
		break;
	default: /* 8 or 10 */
		lo = vread64(c, i->seg, ea);
		memcpy(buf, &lo, 8);
		if (size == 10) {
			v16 = vread16(c, i->seg, fpu_ea_add(i, ea, 8));
			memcpy(buf + 8, &v16, 2);
		}
		break;
	}
}

/* Called after vcheck_write covered the whole operand: cannot fault. */
static void write_operand(struct cpu *c, const struct insn *i, uint32_t ea, const uint8_t *buf, int size)
{
	uint64_t lo;
	uint32_t v32;
	uint16_t v16;
	switch (size) {
	case 2:
		memcpy(&v16, buf, 2);
		vwrite16(c, i->seg, ea, v16);
		break;
	case 4:
		memcpy(&v32, buf, 4);
		vwrite32(c, i->seg, ea, v32);
		break;
	default:
		memcpy(&lo, buf, 8);
		vwrite64(c, i->seg, ea, lo);
		if (size == 10) {
			memcpy(&v16, buf + 8, 2);
			vwrite16(c, i->seg, fpu_ea_add(i, ea, 8), v16);
		}
		break;
	}
}

/* --- data instructions ---------------------------------------------------- */

static uint8_t modrm_of(const struct insn *i)
{
	return (uint8_t)(i->mod << 6 | i->reg << 3 | i->rm);
}

/* FIP/FCS/FOP (and FDP/FDS for a memory operand) of the last non-control
 * instruction, for FNSTENV/FNSAVE and exception handlers. */
static void record_pointers(struct cpu *c, const struct insn *i, uint32_t ea)
{
	struct fpu *f = &c->fpu;
	f->fip = c->eip;
	f->fcs = c->seg[SR_CS].sel;
	f->fop = (uint16_t)((idef(i)->arg) << 8 | modrm_of(i));
	if (i->mod != 3) {
		f->fdp = ea;
		f->fds = c->seg[i->seg].sel;
	}
}

/* FUCOMI, FCOMI (DB E8-F7) and FUCOMIP, FCOMIP (DF E8-F7) set EFLAGS. */
static bool sets_eflags(const struct insn *i)
{
	unsigned esc = idef(i)->arg;
	return i->mod == 3 && (esc == 3 || esc == 7) && (i->reg == 5 || i->reg == 6);
}

void fpu_set_compare_flags(struct cpu *c, const struct host_flags *fl)
{
	uint32_t v = (fl->zf ? FL_ZF : 0) | (fl->pf ? FL_PF : 0) | (fl->cf ? FL_CF : 0);
	cpu_set_eflags(c, v, FL_ZF | FL_PF | FL_CF | FL_OF | FL_SF | FL_AF);
}

/*
 * A store to memory happens unless an unmasked invalid, denormal,
 * divide, overflow or underflow exception stops it; an unmasked precision
 * exception still lets the rounded result through (SDM vol. 1, 8.5).
 */
#define FSW_BLOCKS_STORE (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE)

static void fpu_data(struct cpu *c, const struct insn *i, struct fpu_form form)
{
	struct fpu *f = &c->fpu;
	uint8_t buf[16] = { 0 };
	uint32_t ea = 0;

	if (form.kind == K_LOAD) {
		ea = insn_ea(c, i);
		read_operand(c, i, ea, buf, form.size);
	} else if (form.kind == K_STORE) {
		ea = insn_ea(c, i);
		vcheck_write(c, i->seg, ea, form.size);
	}
	record_pointers(c, i, ea);

	struct host_flags fl;
	struct fpu_lite lite;
	if (fpu_lite_form(idef(i)->arg, modrm_of(i), &lite) && fpu_lite_exec(f, &lite, buf, &fl)) {
		if (form.kind == K_STORE)
			write_operand(c, i, ea, buf, form.size);
		if (lite.eflags)
			fpu_set_compare_flags(c, &fl);
		return;
	}

	struct x87_image img;
	uint8_t host_modrm = i->mod == 3 ? modrm_of(i) : (uint8_t)(i->reg << 3); /* [rax] */
	fpu_to_image(f, &img);
	fpu_host_exec((uint8_t)(0xd8 | (idef(i)->arg)), host_modrm, &img, buf, &fl);
	uint16_t raised = fpu_from_image(f, &img);
	fpu_raise(f, raised);

	uint16_t unmasked = raised & ~f->cw & FSW_EXC;
	if (form.kind == K_STORE && !(unmasked & FSW_BLOCKS_STORE))
		write_operand(c, i, ea, buf, form.size);
	if (sets_eflags(i) && !(unmasked & FSW_IE))
		fpu_set_compare_flags(c, &fl);
}

/*
 * FCMOVcc ST(0), ST(i): DA /0-3 = B, E, BE, U; DB /0-3 their negations.
 * An empty operand is a stack underflow; masked, ST(0) becomes the
 * indefinite.
 */
static void fpu_fcmov(struct cpu *c, const struct insn *i)
{
	static const uint8_t cc[4] = { 0x2, 0x4, 0x6, 0xa }; /* B E BE P */
	struct fpu *f = &c->fpu;
	int p0 = fpu_phys(f, 0), pi = fpu_phys(f, i->rm);

	record_pointers(c, i, 0);
	if (fpu_tag(f, p0) == TAG_EMPTY || fpu_tag(f, pi) == TAG_EMPTY) {
		f->sw &= (uint16_t)~FSW_C1; /* C1 = 0: underflow, not overflow */
		fpu_raise(f, FSW_IE | FSW_SF);
		if (f->cw & FCW_IM) {
			fpu_reg_set(f, p0, real_indefinite);
			fpu_set_tag(f, p0, TAG_SPECIAL);
		}
		return;
	}
	if (cond_true(c, cc[i->reg] | ((idef(i)->arg) == 3)) && pi != p0) {
		uint8_t ext[EXT80];
		fpu_reg_get(f, pi, ext);
		fpu_reg_set(f, p0, ext);
		fpu_set_tag(f, p0, fpu_tag(f, pi));
	}
}

/* --- control instructions ------------------------------------------------- */

static void fpu_control(struct cpu *c, const struct insn *i, enum fpu_kind k)
{
	struct fpu *f = &c->fpu;
	switch (k) {
	case K_FNINIT:
		fpu_reset(f);
		break;
	case K_FNCLEX:
		f->sw &= (uint16_t)~(FSW_STICKY | FSW_ES | FSW_B);
		break;
	case K_FNSTSW_AX:
		set_reg16(c, R_EAX, f->sw);
		break;
	case K_FNSTSW:
		vwrite16(c, i->seg, insn_ea(c, i), f->sw);
		break;
	case K_FNSTCW:
		vwrite16(c, i->seg, insn_ea(c, i), f->cw);
		break;
	case K_FLDCW:
		fpu_load_cw(f, vread16(c, i->seg, insn_ea(c, i)));
		break;
	case K_FNSTENV:
		fpu_fnstenv(c, i);
		break;
	case K_FLDENV:
		fpu_fldenv(c, i);
		break;
	case K_FNSAVE:
		fpu_fnsave(c, i);
		break;
	case K_FRSTOR:
		fpu_frstor(c, i);
		break;
	default: /* K_NOP_NOWAIT */
		break;
	}
}

OP(op_fpu)
{
	struct fpu_form form = classify(i);
	enum fpu_kind k = (enum fpu_kind)form.kind;

	if (c->cr0 & (CR0_EM | CR0_TS))
		cpu_exception(c, EXC_NM, 0);
	if (k == K_UD)
		cpu_ud(c);
	if (!no_wait(k))
		fpu_check_pending(c);
	switch (k) {
	case K_REG:
	case K_LOAD:
	case K_STORE:
		fpu_data(c, i, form);
		break;
	case K_FCMOV:
		fpu_fcmov(c, i);
		break;
	default:
		fpu_control(c, i, k);
		break;
	}
}
