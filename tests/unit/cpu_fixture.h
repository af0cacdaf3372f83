/*
 * A ready-made soft CPU for engine unit tests.
 *
 * fx_new() gives a CPU in flat 32-bit protected mode at CPL 0 with paging
 * off, RAM of the requested size, and this layout:
 *   FX_EXC   0x0500  vector of the last exception taken (0xffffffff: none)
 *   FX_GDT   0x1000  0x08 code32 DPL0, 0x10 data32 DPL0, 0x18 code32 DPL3,
 *                    0x20 data32 DPL3, 0x28 TSS32 (at FX_TSS), 0x30 code16
 *                    DPL0, 0x38 data16 DPL0, 0x40 data32 DPL0 expand-down
 *                    limit 0xfff (free slots from 0x48 for tests)
 *   FX_IDT   0x2000  256 interrupt gates (DPL 0) to stubs at FX_STUBS
 *   FX_TSS   0x3000  ring-0 stack SS0=0x10, ESP0=FX_STACK0
 *   FX_STUBS 0x4000  stub n (16 bytes each): mov dword [FX_EXC], n ; hlt
 *   FX_CODE  0x10000 where fx_code() puts the test's code; EIP starts here
 *   FX_STACK 0x80000 initial ESP; FX_STACK0 0x90000 ring-0 stack
 * So a test runs code until HLT; an exception ends in a stub that records
 * the vector (the error code, if any, is at the top of the ring-0 stack).
 */
#ifndef CORDON_TESTS_CPU_FIXTURE_H
#define CORDON_TESTS_CPU_FIXTURE_H

#include <stddef.h>

#include "engine/soft/cpu.h"
#include "vm/vm.h"

#define FX_EXC 0x500u
#define FX_GDT 0x1000u
#define FX_IDT 0x2000u
#define FX_TSS 0x3000u
#define FX_STUBS 0x4000u
#define FX_CODE 0x10000u
#define FX_DATA 0x20000u
#define FX_STACK 0x80000u
#define FX_STACK0 0x90000u

struct fx {
	struct vm vm;
	struct cpu *c;
	uint8_t *ram;
	uint32_t ram_size;
};

struct fx *fx_new(uint32_t ram_size);
/* The same CPU in machine m instead of f->vm's (m == NULL: f->vm's). */
struct fx *fx_new_in(uint32_t ram_size, const struct machine *m);
void fx_free(struct fx *f);
/* Back to the state fx_new() gives: RAM cleared and set up again, every
 * decoded block dropped, the CPU reset and loaded as at the start. */
void fx_reset(struct fx *f);
/* Copies code to FX_CODE and points EIP there. */
void fx_code(struct fx *f, const void *bytes, size_t n);
/* Runs until HLT (or max instructions); returns the number executed. */
uint64_t fx_run(struct fx *f, uint64_t max);
/* Vector recorded by the exception stubs, or -1. */
int fx_exception(struct fx *f);
/* Writes a GDT descriptor at index idx (selector idx*8). */
void fx_set_desc(struct fx *f, int idx, uint32_t base, uint32_t limit, uint16_t attr);
uint32_t fx_read32(struct fx *f, uint32_t pa);
void fx_write32(struct fx *f, uint32_t pa, uint32_t v);

#endif
