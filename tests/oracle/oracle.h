/*
 * The native-CPU oracle: a 32-bit host program that runs small snippets of
 * IA-32 code natively and writes what the host CPU did, so the soft engine
 * can be checked against real silicon (tests/unit/test_oracle.c).
 *
 * Memory layout, identical on the host (MAP_FIXED) and in the engine
 * fixture (physical = linear, paging off):
 *   ORA_LOW   0x08000  4 KiB  data reachable with 16-bit addressing
 *   ORA_CODE  0x10000  4 KiB  the snippet (natively followed by an epilogue,
 *                              in the engine by HLT)
 *   ORA_DATA  0x20000  8 KiB  scratch data (two pages: page-crossing operands)
 *   ORA_STACK 0x30000  4 KiB  the snippet's stack; ESP starts at ORA_ESP
 *   ORA_CTRL  0x40000  4 KiB  host only: register blocks for the trampoline
 * Every byte of LOW, DATA and STACK starts as ora_fill(address); a vector
 * lists the bytes that differ from that fill before and after the run.
 */
#ifndef CORDON_TESTS_ORACLE_H
#define CORDON_TESTS_ORACLE_H

#include <stdint.h>

#define ORA_LOW 0x8000u
#define ORA_LOW_SIZE 0x1000u
#define ORA_CODE 0x10000u
#define ORA_DATA 0x20000u
#define ORA_DATA_SIZE 0x2000u
#define ORA_STACK 0x30000u
#define ORA_STACK_SIZE 0x1000u
#define ORA_ESP 0x30800u
#define ORA_CTRL 0x40000u

/* The control page, shared with tramp.S (offsets are hard-coded there). */
#define CTRL_IN 0x00       /* struct ora_regs loaded before the snippet */
#define CTRL_OUT 0x40      /* struct ora_regs stored after it */
#define CTRL_HOST_ESP 0x80 /* the C stack pointer while the snippet runs */
#define CTRL_CODE 0x84     /* where the trampoline jumps: ORA_CODE */
#define CTRL_RET 0x88      /* where the epilogue jumps back: native_return */

/* Slots of interesting values every vector writes (before the snippet's prep). */
#define ORA_SLOT (ORA_DATA + 0x100u)     /* 2 dwords */
#define ORA_SLOT16 (ORA_LOW + 0x100u)    /* 2 dwords */
#define ORA_STACK_SLOT ORA_ESP           /* 8 dwords from ESP up (stack/ snippets) */

/* Flags the oracle can check. */
#define OF_CF 0x001u
#define OF_PF 0x004u
#define OF_AF 0x010u
#define OF_ZF 0x040u
#define OF_SF 0x080u
#define OF_DF 0x400u
#define OF_OF 0x800u
#define OF_ARITH (OF_CF | OF_PF | OF_AF | OF_ZF | OF_SF | OF_OF)

/* Bits of a vector's compare mask: registers 0-7, then the memory regions. */
#define CMP_REGS 0xffu
#define CMP_MEM 0x100u

/* Initial content of every data byte (the engine test uses the same). */
static inline uint8_t ora_fill(uint32_t addr)
{
	return (uint8_t)((addr * 2654435761u) >> 24);
}

#endif
