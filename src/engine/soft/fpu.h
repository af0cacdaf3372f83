/*
 * x87 internals shared by fpu.c, fpu_env.c and fpu_host.c.
 *
 * The guest's x87 state lives in struct fpu (cpu.h): the eight physical
 * registers, the control/status/tag words and the last-instruction
 * pointers.  Data instructions (arithmetic, compares, conversions,
 * transcendentals, stack moves) are not reimplemented: the host is an
 * x86-64 machine with the very same x87 unit, so each one runs on it.
 * fpu_host.c loads the guest state into the host x87 with FRSTOR, runs the
 * guest's own instruction bytes (a register operand stays the same
 * register; a memory operand is redirected to a host buffer), and reads
 * the state back with FNSAVE.  Rounding and precision control, C0-C3,
 * stack faults, NaN propagation, denormals, integer indefinite, BCD and
 * the unmasked-exception rules then come out exactly as the hardware
 * defines them.
 *
 * The host never sees a pending exception: the image it loads has every
 * exception flag clear, and FNSAVE (a no-wait instruction that also
 * reinitialises the unit) collects what the instruction raised before any
 * waiting instruction could trap.  The flags are then merged into the
 * guest's sticky flags here, and the guest's ES decides #MF.
 *
 * Control instructions (FNINIT, FLDCW, FNSTENV, FRSTOR...) and FCMOVcc,
 * which reads EFLAGS, are done in software.
 */
#ifndef CORDON_ENGINE_SOFT_FPU_H
#define CORDON_ENGINE_SOFT_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/soft/cpu.h"

/* Status word. */
#define FSW_IE 0x0001u
#define FSW_DE 0x0002u
#define FSW_ZE 0x0004u
#define FSW_OE 0x0008u
#define FSW_UE 0x0010u
#define FSW_PE 0x0020u
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3 0x4000u
#define FSW_B 0x8000u
#define FSW_EXC 0x003fu   /* the six exceptions, same bits as the masks */
#define FSW_STICKY 0x007fu /* exception flags and SF: cleared only by FNCLEX & co. */
#define FSW_TOP_SHIFT 11

/* Control word: exception masks in bits 0-5; bit 6 reads as 1; PC, RC,
 * and the (ignored, but kept) infinity control bit 12. */
#define FCW_IM 0x0001u
#define FCW_MASKS 0x003fu
#define FCW_INIT 0x037fu
#define FCW_WRITABLE 0x1f3fu
#define FCW_FIXED1 0x0040u

/* Tags, 2 bits per physical register. */
enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* Size of an extended-real register in memory. */
#define EXT80 10

static inline int fpu_top(const struct fpu *f)
{
	return (f->sw & FSW_TOP) >> FSW_TOP_SHIFT;
}

/* Physical register holding ST(i). */
static inline int fpu_phys(const struct fpu *f, int i)
{
	return (fpu_top(f) + i) & 7;
}

static inline int fpu_tag(const struct fpu *f, int phys)
{
	return (f->tw >> (2 * phys)) & 3;
}

/* Offset k bytes into a memory operand, wrapping as the address size does. */
static inline uint32_t fpu_ea_add(const struct insn *i, uint32_t ea, uint32_t k)
{
	return i->a32 ? ea + k : ((ea + k) & 0xffff);
}

/* Full tag of an 80-bit value from its bits: zero, special (NaN, infinity,
 * denormal, unsupported encodings) or valid. */
int fpu_tag_of(const uint8_t ext[EXT80]);
/* The tag word with every non-empty register's tag recomputed from its
 * contents, as FNSTENV/FNSAVE store it. */
uint16_t fpu_full_tags(const struct fpu *f);
/* Sets ES and B from the flags and the masks: they are set exactly when an
 * exception flag is set whose mask is clear. */
void fpu_update_summary(struct fpu *f);
/* Loads a control word (reserved bits forced) and re-evaluates ES/B. */
void fpu_load_cw(struct fpu *f, uint16_t cw);

/* Register contents as the 10 bytes of the extended-real format. */
void fpu_reg_get(const struct fpu *f, int phys, uint8_t ext[EXT80]);
void fpu_reg_set(struct fpu *f, int phys, const uint8_t ext[EXT80]);

/* --- fpu_host.c ----------------------------------------------------------- */

/* The host FNSAVE/FRSTOR image: 32-bit protected-mode layout. */
#define X87_IMAGE_SIZE 108
struct x87_image {
	uint8_t b[X87_IMAGE_SIZE];
};

/* EFLAGS as left by the host instruction (for FCOMI and friends). */
struct host_flags {
	bool zf, pf, cf;
};

/* Builds the image the host loads: the guest's registers, tags, TOP,
 * C0-C3 and control word, with the exception flags, ES and B clear. */
void fpu_to_image(const struct fpu *f, struct x87_image *img);
/* Takes back what the host instruction produced: registers, tags, TOP and
 * C0-C3 replace the guest's; the exception flags it raised are returned
 * (the caller merges them into the sticky flags). */
uint16_t fpu_from_image(struct fpu *f, const struct x87_image *img);

/*
 * Runs one x87 instruction on the host.  opcode is the ESC byte (D8-DF)
 * and modrm its ModRM byte; a memory form (mod != 3) must have mod = 0 and
 * rm = 0, which addresses `mem` on the host (at least 16 bytes).  The
 * caller has validated the encoding: only real x87 instructions get here.
 */
void fpu_host_exec(uint8_t opcode, uint8_t modrm, struct x87_image *img, void *mem,
		   struct host_flags *fl);

/* --- fpu_lite.c ------------------------------------------------------------ */

/*
 * A data instruction the short way can run (fpu_lite.c says why it is
 * exact), decoded once: by op_fpu for the interpreter, by jit_fpu.c when
 * it translates.
 */
struct fpu_lite {
	uint8_t esc;     /* 0-7 for D8-DF */
	uint8_t modrm;   /* the host's: a register form as it is, a memory
			  * form with mod 0 and rm 0 (the operand at [rax]) */
	uint8_t nin;     /* it reads ST(0)..ST(nin-1) */
	uint8_t size;    /* bytes of its memory operand, 0 for none */
	bool store;      /* it writes the memory operand */
	bool eflags;     /* FCOMI & co.: ZF, PF, CF */
	uint16_t cbits;  /* the C0-C3 bits it sets (the others are kept) */
};

/* The short form of ESC byte esc (0-7) with ModRM modrm, if it has one. */
bool fpu_lite_form(unsigned esc, unsigned modrm, struct fpu_lite *l);
/*
 * Runs l on f with the memory operand in mem (read, or written for a
 * store; at least 16 bytes), EFLAGS results in fl.  Returns false, having
 * changed nothing, when the short way does not apply: an exception
 * unmasked or pending, an empty operand, a full stack, a stack fault.
 * The caller has done #NM and the pending-exception check, and records
 * the instruction pointers.
 */
bool fpu_lite_exec(struct fpu *f, const struct fpu_lite *l, void *mem, struct host_flags *fl);
/* FCOMI & co.: ZF, PF, CF from the host's compare, OF, SF, AF cleared. */
void fpu_set_compare_flags(struct cpu *c, const struct host_flags *fl);

/* --- fpu_env.c ------------------------------------------------------------ */

/* FNSTENV / FLDENV / FNSAVE / FRSTOR with the memory operand of i: the
 * 14- or 28-byte environment (16/32-bit operand size, real-mode or
 * protected-mode layout) followed, for FNSAVE/FRSTOR, by ST(0)-ST(7). */
void fpu_fnstenv(struct cpu *c, const struct insn *i);
void fpu_fldenv(struct cpu *c, const struct insn *i);
void fpu_fnsave(struct cpu *c, const struct insn *i);
void fpu_frstor(struct cpu *c, const struct insn *i);

#endif
