/*
 * Prints "spin: running" and then runs forever, doing nothing, until the
 * VMM stops it: a guest for tests that need a VM which is still running
 * when they look at it (cordon ps, stop, down, the sandbox hook).  It
 * spins rather than halting so that the run loop keeps turning.
 */
#include "lib.h"

void guest_main(uint32_t magic, const void *mbi);

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	serial_puts("spin: running\n");
	for (;;)
		__asm__ volatile("pause");
}
