/*
 * Asks the keyboard controller to pulse the CPU reset line (command 0xFE
 * to port 0x64).  If no reset comes, it says so and exits with 0x02
 * (status 5).
 */
#include "lib.h"

#define I8042_STATUS 0x64
#define I8042_IBF    0x02 /* input buffer full: controller busy */

void guest_main(uint32_t magic, const void *mbi);

void guest_main(uint32_t magic, const void *mbi)
{
	(void)magic;
	(void)mbi;
	serial_puts("reset: pulsing the reset line through the i8042\n");
	for (int i = 0; i < 100000 && (inb(I8042_STATUS) & I8042_IBF); i++)
		;
	outb(I8042_STATUS, 0xfe);
	for (volatile int i = 0; i < 10000000; i++)
		;
	serial_puts("reset: no reset happened\n");
	debug_exit(0x02);
}
