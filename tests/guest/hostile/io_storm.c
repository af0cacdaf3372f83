/*
 * Reads and writes every I/O port from 0 to 0xFFFF with random values,
 * bytes, words and dwords, in two passes.  Left out are the ports whose
 * purpose is to end the machine or that carry this guest's own report,
 * each of which other tests exercise: 0xf4 (debug-exit), 0x60/0x64 (the
 * i8042's reset), 0x92 and 0xcf9 (reset), 0xb000-0xb03f (the ACPI PM
 * block: power-off), 0x3f8-0x3ff (COM1).  Exit 0x20 (status 65) when the
 * guest is still running and its RAM is untouched by the storm.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const void *mbi);

static bool skipped(uint32_t port)
{
	return port == 0xf4 || port == 0x60 || port == 0x64 || port == 0x92 ||
	       (port >= 0xcf9 && port <= 0xcfb) || (port >= 0xb000 && port < 0xb040) ||
	       (port >= 0x3f8 && port < 0x400);
}

static uint32_t canary[1024];

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	__asm__ volatile("cli");
	serial_puts("io_storm: start\n");
	for (int i = 0; i < 1024; i++)
		canary[i] = 0x9e3779b9u * (uint32_t)i;
	hrt_srand(0x5eed);
	uint32_t reads = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t port = 0; port < 0x10000; port++) {
			if (skipped(port))
				continue;
			uint32_t v = hrt_rand();
			switch ((v >> 8) % 3) {
			case 0:
				outb((uint16_t)port, (uint8_t)v);
				reads += inb((uint16_t)port) != 0xff;
				break;
			case 1:
				if (skipped(port + 1))
					break;
				outw((uint16_t)port, (uint16_t)v);
				reads += inw((uint16_t)port) != 0xffff;
				break;
			default:
				if (skipped(port + 1) || skipped(port + 2) || skipped(port + 3))
					break;
				outl((uint16_t)port, v);
				reads += inl((uint16_t)port) != 0xffffffffu;
				break;
			}
		}
	}
	bool intact = true;
	for (int i = 0; i < 1024; i++)
		intact &= canary[i] == 0x9e3779b9u * (uint32_t)i;
	serial_puts("io_storm: ports that answered: ");
	serial_putu(reads);
	serial_puts("\n");
	hrt_finish("io_storm", intact, "RAM changed under the storm");
}
