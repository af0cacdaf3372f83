/* The oracle generator's snippet table (snippets*.c) and its helpers (gen.c). */
#ifndef CORDON_TESTS_ORACLE_GEN_H
#define CORDON_TESTS_ORACLE_GEN_H

#include <stdint.h>

#include "oracle.h"

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

/* Registers as tramp.S loads and stores them (ModRM order, then EFLAGS). */
struct ora_regs {
	uint32_t r[8];
	uint32_t fl;
};

/*
 * How a vector's flag and compare masks depend on its input, for the
 * instructions whose undefined flags vary with the operands.
 */
enum rule {
	RULE_FIXED, /* fmask as given */
	RULE_SHIFT, /* shift/rotate of `size` bits, kind = ModRM reg, count imm or CL */
	RULE_SHXD,  /* SHLD/SHRD of `size` bits into dest, count imm or CL */
	RULE_BSX,   /* BSF/BSR: dest undefined when the source is 0 (ZF=1) */
};
enum { SK_ROL, SK_ROR, SK_RCL, SK_RCR, SK_SHL, SK_SHR, SK_SAL, SK_SAR };
#define COUNT_CL (-1)
#define OPND_MEM 8 /* dest/src is memory (ORA_SLOT unless the prep says otherwise) */

struct rng {
	uint64_t s;
};
uint32_t rnd(struct rng *g);
/* Edge values (0, 1, 0x7f, 0x80, ..., 0xffffffff, often with random upper
 * bits) about half the time, random words otherwise. */
uint32_t interesting(struct rng *g);

/* Host pointer for [addr, addr+len) inside LOW/DATA/STACK; aborts otherwise. */
uint8_t *mem_at(uint32_t addr, uint32_t len);
uint32_t mem_get32(uint32_t addr);
void mem_put32(uint32_t addr, uint32_t v);

struct snippet;
/* Adjusts a vector's input after the random fill (n = vector index). */
typedef void (*prep_fn)(const struct snippet *s, struct ora_regs *in, struct rng *g, int n);

struct snippet {
	char name[64]; /* "group/what": the engine test has one TEST per group */
	uint8_t code[96];
	int len;
	uint32_t fmask;  /* defined flags (OF_*), before the rule */
	uint8_t rule;
	uint8_t size;    /* operand size in bits (rules and preps) */
	uint8_t kind;    /* rule-specific (shift kind) */
	int8_t count;    /* shift count, or COUNT_CL */
	uint8_t dest;    /* destination register (32-bit numbering) or OPND_MEM */
	uint8_t src;     /* operand register (size numbering: AL CL DL BL AH..) or OPND_MEM */
	uint8_t fix_mask;
	uint32_t fix[8]; /* registers with fixed values (pointers, counts) */
	prep_fn prep;
	int nvec;
	uint8_t may_fault; /* #BP #OF #BR #UD are expected results */
	uint8_t emulator_differs; /* QEMU user mode gets it wrong: left out there */
};

/* Adds a snippet; hexfmt is printf-formatted, then read as hex byte pairs
 * (spaces ignored).  Defaults: RULE_FIXED, 48 vectors, nothing fixed. */
struct snippet *snip(const char *name, uint32_t fmask, const char *hexfmt, ...)
	__attribute__((format(printf, 3, 4)));
void snip_fix(struct snippet *s, int reg, uint32_t v);

extern struct snippet *snippets;
extern int nsnippets;

/* Snippet tables, by area. */
void snippets_alu(void);
void snippets_bits(void);
void snippets_misc(void);
void snippets_addr(void);
void snippets_lazy(void);

/* Operand access by size numbering (8-bit: AL CL DL BL AH CH DH BH). */
uint32_t opnd_get(const struct ora_regs *in, int size, int r);
void opnd_set(struct ora_regs *in, int size, int r, uint32_t v);

#endif
