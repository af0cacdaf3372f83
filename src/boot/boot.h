/*
 * Kernel loaders.  They take a kernel (and optional initrd) that the caller
 * has already read into memory, lay them out in guest RAM the way a PC boot
 * loader would, and describe the CPU state at the kernel's entry point.
 * They never touch the OS: every byte they see comes from the caller, and
 * every field of the kernel file is treated as hostile.
 */
#ifndef CORDON_BOOT_BOOT_H
#define CORDON_BOOT_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h" /* struct boot_state, struct boot_seg */

/* A Linux kernel's command line when the user gives none. */
#define BOOT_DEFAULT_CMDLINE "console=ttyS0"

struct boot_input {
	const uint8_t *kernel; size_t kernel_len; const char *kernel_name;
	const uint8_t *initrd; size_t initrd_len; const char *initrd_name; /* initrd may be NULL */
	const char *cmdline;   /* NULL: Linux gets BOOT_DEFAULT_CMDLINE */
};

/* Detects the kernel format (Linux bzImage, or a Multiboot v1 ELF32 kernel), lays it out in ram[0..ram_size)
 * and fills *out with the entry state. Returns 0, or -1 with a one-line message naming the file and the problem in err (256 bytes). */
int boot_load(uint8_t *ram, uint32_t ram_size, const struct boot_input *in, struct boot_state *out, char *err);

/* Firmware boot (boot/firmware.c): whether an image of len bytes can be a
 * PC BIOS (0, or -1 with a message naming the file), and the CPU's state
 * at reset, whose first fetch is the ROM's last 16 bytes. */
int boot_firmware_check(size_t len, const char *name, char *err);
void boot_firmware_state(struct boot_state *bs);

#endif
