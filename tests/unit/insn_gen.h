/*
 * Encodes instructions from rows of the instruction table (insn.def), so
 * tests can produce every form of every operation without a table of
 * their own: the table's opcode, group extension, ModRM need and
 * immediate kind say how.
 */
#ifndef CORDON_TESTS_INSN_GEN_H
#define CORDON_TESTS_INSN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/soft/insn.h"

struct gen_operands {
	bool op16;       /* 66 prefix: 16-bit operand size (32-bit code) */
	bool a16;        /* 67 prefix: 16-bit addressing */
	uint8_t seg_prefix; /* a segment override byte (0x26 ... 0x65), or 0 */
	uint8_t rep;     /* 0, 0xF3 or 0xF2 */
	bool lock;
	int reg;         /* ModRM.reg, or the register in the opcode's low bits
			  * (group rows: ignored; their ModRM.reg is the row's) */
	int mod, rm;     /* ModRM: mod 3 names register rm */
	int sib_base, sib_index, sib_scale; /* used when rm == 4 and mod != 3 (32-bit) */
	uint32_t disp;   /* displacement (its size follows mod / rm) */
	uint32_t imm;    /* immediate (truncated to its encoded size) */
	uint16_t imm2;   /* far pointer selector, ENTER nesting level */
};

/* Encodes row with the given operands into out (16 bytes at least);
 * returns the length.  The caller picks operands the row allows (a
 * memory form for D_MEMONLY rows...); gen_decodes_as() checks. */
size_t gen_encode(enum iop row, const struct gen_operands *o, uint8_t *out);

/* The opcode byte(s) of row for ModRM.reg or opcode register `reg`. */
unsigned gen_opcode(enum iop row, int reg);

/* Decodes bytes as 32-bit code; true if they make one instruction of
 * exactly len bytes whose row is `row`. */
bool gen_decodes_as(const uint8_t *bytes, size_t len, enum iop row);

#endif
