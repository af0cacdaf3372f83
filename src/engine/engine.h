/*
 * The vCPU interface: what the machine asks of an execution engine.
 *
 * Two engines sit behind it: "soft" (cordon's own IA-32 interpreter) and,
 * later, "kvm" (hardware-assisted).  Device models, loaders and the security
 * layer only see struct vm; they never call an engine directly.
 */
#ifndef CORDON_ENGINE_ENGINE_H
#define CORDON_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Segment register as the loader sets it up (hidden part included). */
struct boot_seg {
	uint16_t sel;
	uint32_t base, limit; /* limit in bytes - 1 (already scaled by G) */
	uint16_t attr;        /* descriptor bits 40..55: type|S<<4|DPL<<5|P<<7|AVL<<12|D<<14|G<<15 */
};

/* Architectural register state a loader hands to the engine at start. */
struct boot_state {
	uint32_t gpr[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t eip, eflags, cr0;
	struct boot_seg seg[6]; /* ES CS SS DS FS GS */
	uint32_t gdt_base;
	uint16_t gdt_limit;
	uint32_t idt_base;
	uint16_t idt_limit;
};

enum run_status {
	RUN_BUDGET,      /* instruction budget used up */
	RUN_HALTED,      /* guest executed HLT and waits for an interrupt */
	RUN_HALTED_DEAD, /* HLT with interrupts disabled: nothing can wake it */
	RUN_STOP,        /* vm->stop_reason was set (device, triple fault, error) */
};

/*
 * The sensitive yet unprivileged instructions of Robin & Irvine (2000).
 * With --audit-sensitive, the engine counts each execution by CPL and
 * counts the executions that raised an exception.
 */
enum sens_insn {
	SENS_SGDT, SENS_SIDT, SENS_SLDT, SENS_SMSW, SENS_STR,
	SENS_PUSHF, SENS_POPF, SENS_LAR, SENS_LSL, SENS_VERR, SENS_VERW,
	SENS_PUSH_SREG, SENS_POP_SREG, SENS_MOV_FROM_SREG, SENS_MOV_TO_SREG,
	SENS_CALL_FAR, SENS_JMP_FAR, SENS_RET_FAR, SENS_IRET, SENS_INT,
	SENS_COUNT
};

struct sens_count {
	uint64_t cpl0, cpl12, cpl3, faulted;
};

extern const char *const sens_insn_names[SENS_COUNT];

struct engine_ops {
	const char *name;
	int (*create)(struct vm *vm, char *err);
	void (*destroy)(struct vm *vm);
	void (*set_boot_state)(struct vm *vm, const struct boot_state *bs);
	/* Runs at most about `budget` instructions. */
	enum run_status (*run)(struct vm *vm, uint64_t budget);
	/* Sensitive-instruction counters, SENS_COUNT entries (may be NULL). */
	const struct sens_count *(*audit)(struct vm *vm);
	uint64_t (*instructions)(struct vm *vm);
	/* How the engine is running the guest, for --stats (may be NULL). */
	const char *(*mode)(struct vm *vm);
	/* A device stored into guest RAM [pa, pa+len) (DMA): the engine drops
	 * whatever it derived from those bytes, such as decoded code. */
	void (*ram_written)(struct vm *vm, uint32_t pa, uint32_t len);
};

extern const struct engine_ops soft_engine;
const struct engine_ops *engine_by_name(const char *name);

#endif
