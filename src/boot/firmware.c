/*
 * Firmware boot: the checks on a BIOS image and the CPU state at reset.
 *
 * A PC's processor starts in real mode at F000:FFF0 with CS's hidden base
 * at 0xFFFF0000, so its first fetch is at 0xFFFFFFF0: the last 16 bytes
 * of the ROM mapped below 4 GiB (dev/i440fx.h), which jump into the copy
 * at 0xF0000.  EDX holds the processor signature, as after RESET.
 */
#include "boot/boot.h"
#include "boot/boot_internal.h"

#include <string.h>

#define FW_MIN (64u << 10)
#define FW_MAX (16u << 20)
#define CPU_SIGNATURE 0x633 /* family 6, model 3, stepping 3: the soft CPU's CPUID */

int boot_firmware_check(size_t len, const char *name, char *err)
{
	char sz[32];
	if (len < FW_MIN || len > FW_MAX || len % FW_MIN)
		return boot_error(err, "%s: firmware of %s; it must be a multiple of 64 KiB, "
				  "64 KiB to 16 MiB (a BIOS image such as SeaBIOS's bios.bin)",
				  name, boot_size_str(len, sz));
	return 0;
}

void boot_firmware_state(struct boot_state *bs)
{
	memset(bs, 0, sizeof(*bs));
	for (int s = 0; s < 6; s++)
		bs->seg[s] = (struct boot_seg){ .sel = 0, .base = 0, .limit = 0xffff, .attr = 0x93 };
	bs->seg[1] = (struct boot_seg){ .sel = 0xf000, .base = 0xffff0000u, .limit = 0xffff, .attr = 0x9b };
	bs->eip = 0xfff0;
	bs->eflags = 0x2;
	bs->cr0 = 0x60000010u; /* CD, NW, ET */
	bs->gpr[2] = CPU_SIGNATURE;
	bs->gdt_limit = 0xffff;
	bs->idt_limit = 0xffff;
}
