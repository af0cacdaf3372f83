/*
 * Loads an empty IDT and raises #BP: the CPU cannot deliver it, nor the #GP
 * that follows, nor the double fault, so it triple-faults (shutdown).  If it
 * somehow carries on, it says so and exits with 0x01 (status 3).
 */
#include "lib.h"

struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint32_t base;
};

void guest_main(uint32_t magic, const void *mbi);

void guest_main(uint32_t magic, const void *mbi)
{
	static const struct idtr empty = { 0, 0 };
	(void)magic;
	(void)mbi;
	serial_puts("triple: raising int3 with an empty IDT\n");
	__asm__ volatile("lidt %0\n\tint3" : : "m"(empty));
	serial_puts("triple: still running after the fault\n");
	debug_exit(0x01);
}
