/*
 * Shared by the loaders in src/boot/: the low-memory layout every loader
 * uses, bounds-checked little-endian readers for untrusted files, the PC
 * memory map, and the flat 32-bit protected-mode entry state.
 */
#ifndef CORDON_BOOT_BOOT_INTERNAL_H
#define CORDON_BOOT_BOOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"

#define BOOT_ERRLEN 256

/*
 * Low memory as the loaders lay it out.  Everything a loader writes for the
 * kernel's benefit lives below the EBDA at 0x9fc00, and kernels go at or
 * above 1 MiB, so the two never collide.
 */
#define BOOT_GDT_ADDR      0x1000u  /* 4 descriptors: null, null, code, data */
#define BOOT_STACK_TOP     0x9000u  /* a scratch stack; kernels set their own */
#define BOOT_INFO_ADDR     0x10000u /* Linux zero page / Multiboot info */
#define BOOT_CMDLINE_ADDR  0x20000u
#define BOOT_LOW_END       0x9fc00u /* EBDA starts here: reserved in the map */
#define BOOT_HIGH_START    0x100000u

#define BOOT_CS 0x10 /* Linux's __BOOT_CS */
#define BOOT_DS 0x18 /* Linux's __BOOT_DS */

#define BOOT_PAGE 4096u

/* A region of the PC memory map (E820 types). */
enum { E820_RAM = 1, E820_RESERVED = 2 };
struct boot_mem_range {
	uint64_t addr, len;
	uint32_t type;
};
#define BOOT_MAX_RANGES 4

/* Fills the memory map for ram_size bytes of RAM; returns the entry count. */
int boot_memory_map(uint32_t ram_size, struct boot_mem_range out[BOOT_MAX_RANGES]);

/* Writes the flat GDT at BOOT_GDT_ADDR and sets *st to 32-bit protected
 * mode, paging and interrupts off, CS=BOOT_CS, other segments BOOT_DS. */
void boot_flat_protected_mode(uint8_t *ram, struct boot_state *st, uint32_t eip);

/* Readers for untrusted bytes: out-of-range reads yield 0, so callers must
 * still check the length first; these only keep a bug from becoming an
 * out-of-bounds read. */
uint16_t boot_get16(const uint8_t *p, size_t len, size_t off);
uint32_t boot_get32(const uint8_t *p, size_t len, size_t off);
uint64_t boot_get64(const uint8_t *p, size_t len, size_t off);
void boot_put16(uint8_t *p, uint32_t off, uint16_t v);
void boot_put32(uint8_t *p, uint32_t off, uint32_t v);
void boot_put64(uint8_t *p, uint32_t off, uint64_t v);

/* True when [addr, addr+len) lies inside [0, limit); no overflow. */
bool boot_range_ok(uint64_t addr, uint64_t len, uint64_t limit);

uint64_t boot_align_up(uint64_t v, uint64_t align);   /* align: power of 2 */
uint64_t boot_align_down(uint64_t v, uint64_t align);

/* snprintf into err (BOOT_ERRLEN bytes); always returns -1. */
int boot_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "64 MiB", "12 KiB" or "100 bytes": the largest unit that is exact. */
const char *boot_size_str(uint64_t bytes, char buf[32]);

/* Human-readable name of the kernel / initrd for error messages. */
const char *boot_kernel_name(const struct boot_input *in);
const char *boot_initrd_name(const struct boot_input *in);

/* Format probes and loaders (src/boot/linux.c, src/boot/multiboot.c). */
bool boot_is_linux(const uint8_t *k, size_t len);
int boot_load_linux(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
		    struct boot_state *out, char *err);
/* Returns the offset of a valid Multiboot v1 header, or -1. */
long boot_find_multiboot(const uint8_t *k, size_t len);
int boot_load_multiboot(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
			long header_off, struct boot_state *out, char *err);

#endif
