/*
 * Call gates, task gates and INT n, in storms, from every privilege level.
 *
 *  - INT n for every vector, many times, at ring 0 (the vectors without an
 *    error code: the others are left to the CPU) and at rings 1, 2 and 3,
 *    where the DPL-0 gates must answer #GP and the DPL-3 ones (0x80 up)
 *    must let the call through.
 *  - Far calls through a DPL-3 call gate from rings 3, 2 and 1 into ring
 *    0 (with parameters copied across the stack switch) and back with a
 *    far return; through a DPL-0 gate from ring 3 (#GP).
 *  - Task switches through a DPL-3 task gate in the GDT and one in the
 *    IDT, from ring 0 and ring 3, into a second task that returns at once.
 *  - Far calls and jumps to random selectors, each survived.
 * Exit 0x20 (status 65) when every count matches.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const void *mbi);

#define GATE_DPL3 (SEL_FREE + 0x00)
#define GATE_DPL0 (SEL_FREE + 0x08)
#define TASK_GATE (SEL_FREE + 0x10)
#define VEC_TASK 0x90
#define ROUNDS 200

static volatile uint32_t gate_calls, gate_params_ok;
static volatile const char *failure;

/* The call gates' target, at ring 0: counts, checks the two dwords the
 * gate copied, and returns to the caller's ring. */
void gate_entry(void);
__asm__(".text\n"
	"gate_entry:\n\t"
	"incl gate_calls\n\t"
	"cmpl $0x1111, 4+4(%esp)\n\t"   /* params above the return CS:EIP */
	"jne 1f\n\t"
	"cmpl $0x2222, 4+8(%esp)\n\t"
	"jne 1f\n\t"
	"incl gate_params_ok\n"
	"1:\tlret $8\n");

static void fail(const char *why)
{
	if (!failure)
		failure = why;
}

static void int_storm(int ring)
{
	for (int round = 0; round < ROUNDS / 10; round++) {
		for (uint32_t v = 0; v < 256; v++) {
			if (v == VEC_RETURN || v == VEC_TASK)
				continue;
			/* At ring 0 every gate lets INT n through, so vectors the CPU
			 * gives an error code are left out (INT n pushes none). */
			if (ring == 0 && (v == 8 || (v >= 10 && v <= 14) || v == 17))
				continue;
			uint32_t before = trap_count[v], gp = trap_count[13];
			/* "int v ; ret", called: a trap resumes at the ret. */
			static uint8_t stub[4] __attribute__((aligned(4)));
			stub[0] = 0xcd, stub[1] = (uint8_t)v, stub[2] = 0xc3;
			hrt_landing = (uint32_t)(uintptr_t)(stub + 2);
			__asm__ volatile("call *%0" : : "r"(stub) : "memory", "eax", "ecx", "edx");
			hrt_landing = 0;
			bool through = trap_count[v] == before + 1;
			bool refused = trap_count[13] == gp + 1 && last_error == v * 8 + 2;
			if (ring > 0 && v < 0x80 && !refused)
				fail("INT n through a DPL-0 gate from an outer ring was not #GP");
			if ((ring == 0 || v >= 0x80) && !through && v != 13)
				fail("INT n through an open gate did not arrive");
		}
	}
}

/* Far call through the gate at sel with two parameters; ESP is restored
 * from EBX, whatever the gate did with the parameters (a far return
 * through a gate pops them; a refused call leaves them). */
#define LCALL(sel) __asm__ volatile("movl %%esp, %%ebx\n\t"                    \
				    "pushl $0x2222\n\tpushl $0x1111\n\t"       \
				    "movl $1f, hrt_landing\n\t"                 \
				    "lcall $" #sel ", $0\n1:\n\t"               \
				    "movl $0, hrt_landing\n\t"                  \
				    "movl %%ebx, %%esp" : : : "memory", "eax", "ebx", "ecx", "edx")

static void gates_at_ring(void)
{
	uint32_t cs;
	__asm__ volatile("movl %%cs, %0" : "=r"(cs));
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t calls = gate_calls, gp = trap_count[13];
		LCALL(0x5b); /* GATE_DPL3 | 3 */
		if (gate_calls != calls + 1)
			fail("a far call through a DPL-3 call gate did not arrive");
		if ((cs & 3) == 3) {
			LCALL(0x63); /* GATE_DPL0 | 3 */
			if (trap_count[13] != gp + 1)
				fail("a far call through a DPL-0 call gate from ring 3 was not #GP");
		}
		uint32_t tasks = trap_count[13];
		PROBE("lcall $0x6b, $0", : : : "memory"); /* TASK_GATE | 3 */
		PROBE("int $0x90", : : : "memory");
		if (trap_count[13] != tasks)
			fail("a task switch through a DPL-3 task gate faulted");
	}
}

static void ring_storm(void)
{
	uint32_t cs;
	__asm__ volatile("movl %%cs, %0" : "=r"(cs));
	int_storm((int)(cs & 3));
	gates_at_ring();
}

/* A far call or jump to a random selector, landing on a far return. */
void far_ret(void);
__asm__(".text\nfar_ret:\n\tlret\n");

static void random_far(void)
{
	for (int i = 0; i < 20000; i++) {
		uint16_t sel = (uint16_t)hrt_rand();
		uint16_t index = sel & ~3u;
		if (index == SEL_TSS || index == SEL_TSS2 || (index >= SEL_FREE && index < SEL_FREE + 0x18))
			continue; /* tasks and gates are counted above */
		struct __attribute__((packed)) { uint32_t off; uint16_t sel; } target = {
			(uint32_t)(uintptr_t)far_ret, sel };
		PROBE("lcall *%0", : : "m"(target) : "memory", "eax", "ecx", "edx");
	}
}

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	__asm__ volatile("cli");
	hrt_set_call_gate(GATE_DPL3, SEL_CODE(0), (uint32_t)(uintptr_t)gate_entry, 3, 2);
	hrt_set_call_gate(GATE_DPL0, SEL_CODE(0), (uint32_t)(uintptr_t)gate_entry, 0, 2);
	hrt_set_task_gate(TASK_GATE, SEL_TSS2, 3);
	hrt_set_idt_task_gate(VEC_TASK, SEL_TSS2, 3);
	serial_puts("gates: start\n");
	ring_storm();
	for (int ring = 1; ring <= 3; ring++)
		hrt_run_at(ring, ring_storm);
	random_far();
	serial_puts("gates: gate calls ");
	serial_putu(gate_calls);
	serial_puts(", traps ");
	serial_putu(trap_total);
	serial_puts("\n");
	hrt_finish("gates", !failure && gate_calls == 4 * ROUNDS && gate_params_ok == gate_calls,
		   failure ? (const char *)failure : "call gate count or parameters wrong");
}
