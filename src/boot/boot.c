/*
 * Format detection and the pieces both loaders share: the flat GDT and
 * entry state, the PC memory map, and careful readers for untrusted files.
 */
#include "boot/boot_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Guest RAM must reach past 1 MiB: every supported kernel loads there. */
#define BOOT_MIN_RAM (BOOT_HIGH_START + BOOT_PAGE)

int boot_error(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, BOOT_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

const char *boot_kernel_name(const struct boot_input *in)
{
	return in->kernel_name ? in->kernel_name : "kernel";
}

const char *boot_initrd_name(const struct boot_input *in)
{
	return in->initrd_name ? in->initrd_name : "initrd";
}

const char *boot_size_str(uint64_t bytes, char buf[32])
{
	unsigned long long v = bytes;
	if (v && v % (1u << 20) == 0)
		snprintf(buf, 32, "%llu MiB", v >> 20);
	else if (v && v % 1024 == 0)
		snprintf(buf, 32, "%llu KiB", v >> 10);
	else
		snprintf(buf, 32, "%llu bytes", v);
	return buf;
}

bool boot_range_ok(uint64_t addr, uint64_t len, uint64_t limit)
{
	return addr <= limit && len <= limit - addr;
}

uint64_t boot_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

uint64_t boot_align_down(uint64_t v, uint64_t align)
{
	return v & ~(align - 1);
}

uint16_t boot_get16(const uint8_t *p, size_t len, size_t off)
{
	if (off > len || len - off < 2)
		return 0;
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

uint32_t boot_get32(const uint8_t *p, size_t len, size_t off)
{
	if (off > len || len - off < 4)
		return 0;
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

uint64_t boot_get64(const uint8_t *p, size_t len, size_t off)
{
	if (off > len || len - off < 8)
		return 0;
	return boot_get32(p, len, off) | (uint64_t)boot_get32(p, len, off + 4) << 32;
}

void boot_put16(uint8_t *p, uint32_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

void boot_put32(uint8_t *p, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

void boot_put64(uint8_t *p, uint32_t off, uint64_t v)
{
	boot_put32(p, off, (uint32_t)v);
	boot_put32(p, off + 4, (uint32_t)(v >> 32));
}

/*
 * A PC without option ROMs: conventional memory up to the EBDA, the EBDA
 * itself, the VGA/ROM hole, then everything from 1 MiB to the end of RAM.
 */
int boot_memory_map(uint32_t ram_size, struct boot_mem_range out[BOOT_MAX_RANGES])
{
	int n = 0;
	out[n++] = (struct boot_mem_range){ 0, BOOT_LOW_END, E820_RAM };
	out[n++] = (struct boot_mem_range){ BOOT_LOW_END, 0xa0000 - BOOT_LOW_END, E820_RESERVED };
	out[n++] = (struct boot_mem_range){ 0xa0000, BOOT_HIGH_START - 0xa0000, E820_RESERVED };
	if (ram_size > BOOT_HIGH_START)
		out[n++] = (struct boot_mem_range){ BOOT_HIGH_START, ram_size - BOOT_HIGH_START, E820_RAM };
	return n;
}

/* Flat 4 GiB segments, accessed bit preset so the CPU never writes back. */
#define ATTR_CODE 0xc09b /* G D P S type=1011 (exec/read, accessed) */
#define ATTR_DATA 0xc093 /* G B P S type=0011 (read/write, accessed) */

static void put_descriptor(uint8_t *ram, uint32_t addr, uint16_t attr)
{
	/* base 0, limit 0xfffff pages; the limit's top nibble sits in attr's bits 8..11 */
	uint64_t d = 0xffff | (uint64_t)(attr | 0x0f00) << 40;
	boot_put64(ram, addr, d);
}

static struct boot_seg flat_seg(uint16_t sel, uint16_t attr)
{
	return (struct boot_seg){ .sel = sel, .base = 0, .limit = 0xffffffff, .attr = attr };
}

void boot_flat_protected_mode(uint8_t *ram, struct boot_state *st, uint32_t eip)
{
	memset(ram + BOOT_GDT_ADDR, 0, 32);
	put_descriptor(ram, BOOT_GDT_ADDR + BOOT_CS, ATTR_CODE);
	put_descriptor(ram, BOOT_GDT_ADDR + BOOT_DS, ATTR_DATA);

	memset(st, 0, sizeof(*st));
	st->eip = eip;
	st->eflags = 0x2;     /* IF clear: interrupts off */
	st->cr0 = 0x11;       /* PE | ET; paging off */
	st->gpr[4] = BOOT_STACK_TOP;
	for (int i = 0; i < 6; i++)
		st->seg[i] = flat_seg(BOOT_DS, ATTR_DATA);
	st->seg[1] = flat_seg(BOOT_CS, ATTR_CODE); /* order: ES CS SS DS FS GS */
	st->gdt_base = BOOT_GDT_ADDR;
	st->gdt_limit = 4 * 8 - 1;
	st->idt_base = 0;
	st->idt_limit = 0; /* kernels load their own; a fault before that triple-faults */
}

static bool is_elf(const uint8_t *k, size_t len)
{
	return len >= 4 && k[0] == 0x7f && k[1] == 'E' && k[2] == 'L' && k[3] == 'F';
}

/* ISO 9660: the primary volume descriptor's "CD001" at sector 16. */
static bool is_iso9660(const uint8_t *k, size_t len)
{
	return len >= 0x8006 && memcmp(k + 0x8001, "CD001", 5) == 0;
}

int boot_load(uint8_t *ram, uint32_t ram_size, const struct boot_input *in, struct boot_state *out, char *err)
{
	const char *name = boot_kernel_name(in);

	if (!in->kernel || in->kernel_len == 0)
		return boot_error(err, "%s: kernel file is empty", name);
	if (ram_size < BOOT_MIN_RAM)
		return boot_error(err, "%s: guest RAM of %u KiB is too small (need at least %u KiB)",
				  name, ram_size / 1024, BOOT_MIN_RAM / 1024);
	if (in->initrd && in->initrd_len >= ram_size) {
		char a[32], b[32];
		return boot_error(err, "%s: initrd is %s, larger than guest RAM (%s)", boot_initrd_name(in),
				  boot_size_str(in->initrd_len, a), boot_size_str(ram_size, b));
	}

	if (boot_is_linux(in->kernel, in->kernel_len))
		return boot_load_linux(ram, ram_size, in, out, err);
	long mb = boot_find_multiboot(in->kernel, in->kernel_len);
	if (mb >= 0)
		return boot_load_multiboot(ram, ram_size, in, mb, out, err);

	if (is_elf(in->kernel, in->kernel_len))
		return boot_error(err, "%s: ELF file without a Multiboot header in its first 8 KiB", name);
	if (is_iso9660(in->kernel, in->kernel_len))
		return boot_error(err, "%s: a CD-ROM image (ISO 9660), not a kernel: boot it with "
				  "--cdrom %s and no --kernel", name, name);
	if (boot_get16(in->kernel, in->kernel_len, 0x1fe) == 0xaa55)
		return boot_error(err, "%s: a disk image or boot sector, not a Linux kernel (no setup "
				  "header): boot it with --disk %s and no --kernel", name, name);
	return boot_error(err, "%s: not a kernel (neither a Linux bzImage nor a Multiboot kernel)", name);
}
