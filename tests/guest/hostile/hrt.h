/*
 * The hostile guests' runtime: a GDT with code and data segments for all
 * four privilege levels, a TSS (with a second one to switch tasks to), an
 * IDT whose 256 vectors all reach hrt_trap, and a way to survive a fault:
 * PROBE() runs one instruction with a landing point after it, so the
 * trap handler resumes there instead of re-executing the fault.  Rings
 * 1-3 are entered with hrt_run_at(ring, fn), which returns once fn has
 * returned (through a DPL-3 gate back to ring 0).
 */
#ifndef CORDON_GUEST_HOSTILE_HRT_H
#define CORDON_GUEST_HOSTILE_HRT_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib.h"

/* GDT selectors (RPL 0); OR in the ring for RPL. */
#define SEL_CODE(ring) (0x08u + 0x10u * (ring))
#define SEL_DATA(ring) (0x10u + 0x10u * (ring))
#define SEL_TSS 0x48u
#define SEL_TSS2 0x50u
#define SEL_FREE 0x58u      /* first of the slots the guests fill in (hrt_set_desc) */
#define GDT_SLOTS 32

#define VEC_RETURN 0xfd      /* the gate back to ring 0 (DPL 3) */

struct trap_frame {
	uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;        /* only when the trap came from an outer ring */
};

/* What the handler saw, per vector and in total. */
extern volatile uint32_t trap_count[256];
extern volatile uint32_t trap_total;
extern volatile uint32_t last_vector, last_error;
/* Where the next trap resumes (0: return to the faulting instruction). */
extern volatile uint32_t hrt_landing;
/* An optional hook for vectors 32..47 (the PIC's): called with the vector. */
extern void (*volatile hrt_irq_hook)(uint32_t vector);

void hrt_init(void);
/* Whether the Multiboot command line asks for the endless phase
 * ("forever"), which hostile.sh uses to stop a busy guest on request. */
bool hrt_forever(const uint32_t *mbi);
/* GDT entry at selector sel. */
void hrt_set_desc(uint32_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
/* A call gate at sel to (code_sel:off) with DPL dpl and param_count dwords. */
void hrt_set_call_gate(uint32_t sel, uint16_t code_sel, uint32_t off, int dpl, int params);
/* A task gate at sel (in the GDT) to TSS selector tss. */
void hrt_set_task_gate(uint32_t sel, uint16_t tss, int dpl);
/* IDT gate vec: DPL dpl (vectors 0x80 up are DPL 3, the others 0). */
void hrt_set_idt_dpl(int vec, int dpl);
/* IDT vector vec as a task gate to TSS selector tss. */
void hrt_set_idt_task_gate(int vec, uint16_t tss, int dpl);
/* Runs fn at ring 1..3 (its code and stack there) and returns to ring 0. */
void hrt_run_at(int ring, void (*fn)(void));

/* Runs one instruction (an asm string); a trap resumes after it. */
#define PROBE(insn, ...)                                                        \
	__asm__ volatile("movl $1f, hrt_landing\n\t" insn "\n1:\n\tmovl $0, hrt_landing" \
			 __VA_ARGS__)

uint32_t hrt_rand(void);
void hrt_srand(uint32_t seed);
void put_hex(uint32_t v);
/* "NAME: ok" and debug-exit 0x20 (cordon exits 65) when ok, else the
 * reason and 0x21 (67). */
void hrt_finish(const char *name, bool ok, const char *why) __attribute__((noreturn));

/* PCI configuration mechanism #1. */
uint32_t pci_read(int slot, int fn, unsigned reg);
void pci_write(int slot, int fn, unsigned reg, uint32_t v);

#endif
