/*
 * Prints the command line and modules the loader handed over, then exits
 * through the debug port with 0x10 (cordon's exit status 33), or with N
 * when the command line holds "exit=N" (decimal, 0..255).  A wrong boot
 * magic exits with 0x11 (status 35) instead.
 */
#include "lib.h"

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};
struct mb_module {
	uint32_t start, end, string, reserved;
};

#define MBI_CMDLINE (1u << 2)
#define MBI_MODS    (1u << 3)

void guest_main(uint32_t magic, const struct mb_info *mbi);

/* The N of "exit=N" in the command line, or 0x10. */
static unsigned exit_value(const char *cmdline)
{
	for (const char *p = cmdline; p && *p; p++) {
		if (p[0] != 'e' || p[1] != 'x' || p[2] != 'i' || p[3] != 't' || p[4] != '=')
			continue;
		unsigned v = 0;
		for (p += 5; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (unsigned)(*p - '0');
		return v & 0xff;
	}
	return 0x10;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC) {
		serial_puts("hello: bad multiboot magic\n");
		debug_exit(0x11);
	}
	serial_puts("hello from multiboot: ");
	if (mbi->flags & MBI_CMDLINE)
		serial_puts((const char *)mbi->cmdline);
	serial_puts("\nmodules: ");
	uint32_t n = (mbi->flags & MBI_MODS) ? mbi->mods_count : 0;
	serial_putu(n);
	serial_puts("\n");
	if (n > 0) {
		const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
		serial_puts("module 0: ");
		serial_puts((const char *)m->string);
		serial_puts(" (");
		serial_putu(m->end - m->start);
		serial_puts(" bytes)\n");
	}
	serial_puts("memory: ");
	serial_putu(mbi->mem_lower);
	serial_puts(" KiB low, ");
	serial_putu(mbi->mem_upper);
	serial_puts(" KiB upper\n");
	debug_exit(exit_value((mbi->flags & MBI_CMDLINE) ? (const char *)mbi->cmdline : 0));
}
