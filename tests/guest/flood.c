/*
 * Writes to COM1 without end: a guest filling its console log (issue 18).
 * Each line carries a counter, so a test can tell the log stopped growing
 * while the guest went on.
 */
#include "lib.h"

void guest_main(uint32_t magic, const void *mbi);

void guest_main(uint32_t magic, const void *mbi)
{
	(void)magic, (void)mbi;
	for (uint32_t n = 0;; n++) {
		serial_puts("flood line ");
		serial_putu(n);
		serial_puts(": the quick brown fox jumps over the lazy dog\n");
	}
}
