/*
 * The instruction-definition table: one row per operation and operand
 * form, in insn.def, as Bochs's ia_opcodes.def and QEMU's decode-new
 * table are.  A row names the operation (enum iop), its mnemonic and
 * form, how it is encoded (opcode, ModRM group extension, immediate), the
 * interpreter's handler, the specialised handlers for the 32-bit register
 * and memory forms where there are some (fast.c), the translator's
 * emitter (jit*.c; none: the translated block calls the handler), and
 * what the engine must know about it: whether it ends a decoded block,
 * takes LOCK, is sensitive in Robin & Irvine's sense, which arithmetic
 * flags it reads and writes.
 *
 * The decoder (decode.c) turns bytes into a struct insn whose `iop` names
 * its row; nothing after the decoder looks at opcode bits again.  Operands
 * that an opcode implies are parameters of the row (`arg`: the ALU
 * operation, the condition, the segment register, the shift kind).
 *
 * The forms do not assume 32-bit code: operand and address size are the
 * decoder's (struct insn), the rows say only "byte" or "word/dword".
 */
#ifndef CORDON_ENGINE_SOFT_INSN_H
#define CORDON_ENGINE_SOFT_INSN_H

#include "engine/soft/cpu.h"
#include "engine/soft/x86.h"

/* Operations, one per row of insn.def. */
enum iop {
#define I(name, ...) IOP_##name,
#define G(name, ...) IOP_##name,
#define GROUP(...)
#define ALIAS(...)
#include "engine/soft/insn.def"
#undef I
#undef G
#undef GROUP
#undef ALIAS
	IOP_COUNT
};

/* Opcode groups: one opcode (or two), the operation picked by ModRM.reg. */
enum igroup {
	GRP_NONE,
	GRP1_EB_IB, GRP1_EV_IZ, GRP1_EV_IB,
	GRP1A_POP, GRP11_EB_IB, GRP11_EV_IZ,
	GRP2_EB_IB, GRP2_EV_IB, GRP2_EB_1, GRP2_EV_1, GRP2_EB_CL, GRP2_EV_CL,
	GRP3_EB, GRP3_EV, GRP4, GRP5, GRP6, GRP7, GRP8, GRP9,
	GRP_COUNT
};

/* Operand forms, for the emitters and the random-code generator.
 * E r/m, G ModRM.reg, M memory only, Z register in the opcode, A the
 * accumulator, I immediate, J relative target. */
enum iform {
	FM_NONE,  /* no explicit operand (implied ones only) */
	FM_E,     /* r/m */
	FM_EG,    /* r/m, reg */
	FM_GE,    /* reg, r/m */
	FM_EI,    /* r/m, imm */
	FM_GEI,   /* reg, r/m, imm */
	FM_AI,    /* accumulator, imm */
	FM_Z,     /* register in the opcode */
	FM_ZI,    /* register in the opcode, imm */
	FM_AZ,    /* accumulator, register in the opcode */
	FM_M,     /* memory only */
	FM_GM,    /* reg, memory only */
	FM_J,     /* relative branch */
	FM_I,     /* immediate only */
	FM_O,     /* accumulator and a memory offset (moffs) */
	FM_ES,    /* r/m, segment register in ModRM.reg */
	FM_SE,    /* segment register in ModRM.reg, r/m */
	FM_CR,    /* register and control/debug register (ModRM mod 3 only) */
	FM_STR,   /* string instruction */
	FM_FAR,   /* far pointer immediate */
	FM_X87,   /* x87 escape: the rest of ModRM is the x87's own table */
};

/* Immediate kinds, decoded after ModRM. */
enum iimm {
	IM_NONE,
	IM_B,     /* imm8, zero-extended */
	IM_BS,    /* imm8, sign-extended */
	IM_W,     /* imm16 */
	IM_V,     /* imm16 or imm32 per operand size */
	IM_VS,    /* rel16 / rel32, sign-extended */
	IM_AP,    /* far pointer: offset (16/32) then selector (imm2) */
	IM_MOFFS, /* offset of the address size, stored in disp */
	IM_ENTER, /* imm16 then imm8 (imm2) */
	IM_ONE,   /* no bytes: the count 1 of the D0/D1 shifts */
	IM_CL,    /* no bytes: the count is CL (imm2 = 1) */
};

/* Row attributes. */
#define D_MODRM   0x0001u /* a ModRM byte follows the opcode */
#define D_REGOP   0x0002u /* 8 opcodes; the low 3 bits name a register (insn.reg) */
#define D_RANGE8  0x0004u /* 8 opcodes, one operation (hint NOPs) */
#define D_END     0x0008u /* ends a decoded block: control transfer or state change */
#define D_MEMONLY 0x0010u /* the register form is #UD */
#define D_MOD3    0x0020u /* ModRM always names registers (MOV CRn/DRn) */
#define D_LOCK    0x0040u /* LOCK allowed (with a memory operand); else LOCK is #UD */
#define D_BYTE    0x0080u /* byte operands (else word/dword per operand size) */
#define D_STRING  0x0100u /* string instruction: REP makes it a loop that ends its block */
#define D_XC      0x0200u /* may raise an exception with no memory operand (#DE, #GP, #UD...) */
#define D_CONDFL  0x0400u /* writes its flags only for some operands (a shift count of 0) */
#define D_SREG    0x0800u /* ModRM.reg names a segment register: CS and 6, 7 are #UD */
#define D_IMPREG  0x1000u /* insn.reg = arg: an implied register operand (PUSH ES) */

/* The arithmetic flags, as in EFLAGS. */
#define F_C FL_CF
#define F_P FL_PF
#define F_A FL_AF
#define F_Z FL_ZF
#define F_S FL_SF
#define F_O FL_OF
#define F_ALL FL_ARITH
#define F_D FL_DF
#define F_I FL_IF

/* Index of a sensitive instruction's counter, plus one (0: not sensitive). */
#define SENS(x) (SENS_##x + 1)
#define NS 0

struct xl;
typedef int (*xl_fn)(struct xl *x, const struct insn *i);

struct insn_def {
	const char *mnemonic; /* lower case, as the SDM spells it */
	const char *form;     /* the SDM's operand notation: "Ev,Gv" */
	uint16_t opcode;      /* 0x00-0xff, 0x100-0x1ff for 0F xx; in a group, its first opcode */
	int8_t ext;           /* ModRM.reg of a group member, else -1 */
	uint8_t group;        /* enum igroup */
	uint8_t fmt;          /* enum iform */
	uint8_t imm;          /* enum iimm */
	uint16_t attr;        /* D_* */
	uint8_t arg;          /* the row's parameter: ALU op, condition, segment register... */
	uint8_t sens;         /* SENS(x) or NS */
	uint16_t fl_in;       /* flags read */
	uint16_t fl_out;      /* flags written (D_CONDFL: may be) */
	uint16_t fl_undef;    /* of those, the ones the SDM leaves undefined */
	insn_fn fn;           /* the interpreter's handler */
	insn_fn fast_r;       /* 32-bit operand, register form: a specialised handler, or NULL */
	insn_fn fast_m;       /* 32-bit operand, memory form */
	xl_fn emit;           /* the translator's inline form, or NULL */
};

extern const struct insn_def insn_defs[IOP_COUNT];

static inline const struct insn_def *idef(const struct insn *i)
{
	return &insn_defs[i->iop];
}

/* The row of a plain opcode (op 0-0x1ff), or of a group member. */
enum iop insn_lookup(unsigned op, int ext);
/* The group an opcode selects by ModRM.reg, or GRP_NONE. */
enum igroup insn_group_of(unsigned op);

/* Operand size in bytes of i's row: 1 for byte rows, else 2 or 4. */
static inline int isize(const struct insn *i)
{
	return (idef(i)->attr & D_BYTE) ? 1 : i->op32 ? 4 : 2;
}

#endif
