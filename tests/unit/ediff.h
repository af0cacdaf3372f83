/*
 * The translator against the interpreter on one piece of guest code: the
 * same machine is built twice, the code runs once interpreted (the
 * reference) and once translated, and every difference in registers,
 * EIP, EFLAGS, CR2, the exception taken, the instructions retired or any
 * byte of RAM is reported.  test_diff.c feeds it random instruction
 * sequences generated from the instruction table; a libFuzzer target can
 * feed it raw bytes (it depends on cpu_fixture.c only, not on t.h).
 *
 * The machine is the CPU fixture's (cpu_fixture.h): flat 32-bit protected
 * mode at CPL 0, exceptions end in stubs that record the vector and halt.
 */
#ifndef CORDON_TESTS_EDIFF_H
#define CORDON_TESTS_EDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDIFF_RAM (2u << 20)
#define EDIFF_CODE 0x10000u  /* the code, then HLT */
#define EDIFF_DATA 0x20000u  /* 64 KiB of the case's data */
#define EDIFF_DATA_MAX 0x10000u
#define EDIFF_PD 0x1f0000u   /* paging: the page directory, */
#define EDIFF_PT 0x1f1000u   /* one page table for the first 4 MiB */
/* With paging, these pages of the data area are not present / read-only
 * (CR0.WP is set), so accesses fault part-way through blocks. */
#define EDIFF_ABSENT_PAGE 0x2a000u
#define EDIFF_RO_PAGE 0x2b000u

struct fpu;

struct ediff_case {
	const uint8_t *code;
	size_t code_len;        /* at most 0x10000 bytes */
	uint32_t r[8];          /* EAX..EDI, ESP included */
	uint32_t eflags;        /* arithmetic flags and DF are taken */
	const uint8_t *data;    /* copied to EDIFF_DATA (NULL: zeros) */
	size_t data_len;
	bool paging;            /* identity map of RAM with the two holes */
	uint64_t budget;        /* instructions */
	uint32_t mask_flags;    /* EFLAGS bits not compared (undefined ones) */
	/* x87: the state to start from (NULL: the reset state), and CR0
	 * bits (TS, EM, MP, NE) to set and clear on the fixture's.  The x87
	 * state and the FERR pulses (IRQ 13) are compared too. */
	const struct fpu *fpu;
	uint32_t cr0_set, cr0_clear;
};

struct ediff_state {
	uint32_t r[8], eip, eflags, cr2;
	int exc;                /* vector recorded by the stubs, -1: none */
	uint64_t icount;
	bool halted;
};

/* Runs the case both ways.  0 when they agree; -1 with the first
 * difference described in why.  *interp (may be NULL) gets the
 * interpreter's final state. */
int ediff_run(const struct ediff_case *k, struct ediff_state *interp, char *why, size_t whylen);

/* Blocks the translator refused during the translated run of the last
 * ediff_run (a translator bug; the tests require none). */
uint64_t ediff_refused(void);

#endif
