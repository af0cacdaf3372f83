/*
 * Multiboot v1 loader (the GNU Multiboot Specification 0.6.96): ELF32
 * kernels, or any image that gives its load addresses in the header (the
 * "a.out kludge", flag bit 16).  The initrd, if any, becomes module 0.
 *
 * Everything the kernel file says is checked before it steers a copy:
 * header placement, ELF header and program-header bounds, and that every
 * segment lands in guest RAM at or above 1 MiB (below that live the GDT and
 * the boot information we hand over).
 */
#include "boot/boot_internal.h"

#include <stdio.h>
#include <string.h>

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC   0x2badb002u /* in EAX at entry */
#define MB_SEARCH_LEN   8192

/* Header flags.  Bits 0-15 are requirements: unknown ones mean "refuse". */
#define MB_PAGE_ALIGN   (1u << 0)
#define MB_MEMORY_INFO  (1u << 1)
#define MB_VIDEO_MODE   (1u << 2)
#define MB_AOUT_KLUDGE  (1u << 16)

/* Boot information flags and layout. */
#define MBI_MEM         (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODS        (1u << 3)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

#define MBI_FLAGS       0
#define MBI_MEM_LOWER   4
#define MBI_MEM_UPPER   8
#define MBI_CMDLINE_PTR 16
#define MBI_MODS_COUNT  20
#define MBI_MODS_ADDR   24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR   48
#define MBI_LOADER_PTR  64
#define MBI_SIZE        0x80

/* Where the boot information pieces go (all below BOOT_LOW_END). */
#define MBI_ADDR         BOOT_INFO_ADDR
#define MBI_MMAP_AT      (MBI_ADDR + 0x100)
#define MBI_MODS_AT      (MBI_ADDR + 0x200)
#define MBI_LOADER_AT    (MBI_ADDR + 0x300)
#define MBI_MODSTR_AT    (MBI_ADDR + 0x1000)
#define MBI_MODSTR_MAX   (0x1000 - 1)
#define MB_CMDLINE_AT    BOOT_CMDLINE_ADDR
#define MB_CMDLINE_MAX   (0x10000 - 1)

/* ELF32 */
#define EHDR_SIZE   52
#define PHDR_SIZE   32
#define ET_EXEC     2
#define EM_386      3
#define PT_LOAD     1
#define MAX_PHNUM   64

/* A piece of the file to put in RAM: filesz bytes copied, the rest zeroed. */
struct mb_segment {
	uint32_t file_off, filesz;
	uint32_t addr, memsz;
	uint32_t vaddr; /* ELF link address, for translating the entry point */
};

struct mb_image {
	struct mb_segment seg[MAX_PHNUM];
	int nseg;
	uint32_t entry;
	uint32_t end; /* highest byte used + 1 */
};

long boot_find_multiboot(const uint8_t *k, size_t len)
{
	size_t limit = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	for (size_t off = 0; off + 12 <= limit; off += 4) {
		uint32_t magic = boot_get32(k, len, off);
		uint32_t flags = boot_get32(k, len, off + 4);
		uint32_t sum = boot_get32(k, len, off + 8);
		if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0)
			return (long)off;
	}
	return -1;
}

/* Checks one segment's placement in RAM and records it. */
static int add_segment(const struct boot_input *in, uint32_t ram_size, struct mb_image *img,
		       const struct mb_segment *s, const char *what, char *err)
{
	const char *name = boot_kernel_name(in);
	uint64_t end = (uint64_t)s->addr + s->memsz;

	if (s->filesz > s->memsz)
		return boot_error(err, "%s: %s has %u bytes in the file but only %u in memory",
				  name, what, s->filesz, s->memsz);
	if (!boot_range_ok(s->file_off, s->filesz, in->kernel_len))
		return boot_error(err, "%s: %s (file offset %#x, %u bytes) runs past the end of the %zu-byte file",
				  name, what, s->file_off, s->filesz, in->kernel_len);
	if (s->memsz == 0)
		return 0;
	if (s->addr < BOOT_HIGH_START)
		return boot_error(err, "%s: %s loads at %#x, below 1 MiB", name, what, s->addr);
	if (end > ram_size) {
		char a[32];
		return boot_error(err, "%s: %s (%#x-%#llx) lies outside guest RAM (%s)", name, what,
				  s->addr, (unsigned long long)end - 1, boot_size_str(ram_size, a));
	}
	img->seg[img->nseg++] = *s;
	if (end > img->end)
		img->end = (uint32_t)end;
	return 0;
}

static int parse_elf(const struct boot_input *in, uint32_t ram_size, struct mb_image *img, char *err)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	const char *name = boot_kernel_name(in);

	if (len < EHDR_SIZE || memcmp(k, "\177ELF", 4) != 0)
		return boot_error(err, "%s: Multiboot kernel is not ELF and has no a.out addresses (flag bit 16)", name);
	if (k[4] != 1)
		return boot_error(err, "%s: not a 32-bit ELF file (Multiboot v1 needs ELF32)", name);
	if (k[5] != 1 || k[6] != 1)
		return boot_error(err, "%s: ELF file is not little-endian version 1", name);
	if (boot_get16(k, len, 16) != ET_EXEC || boot_get16(k, len, 18) != EM_386)
		return boot_error(err, "%s: ELF file is not an i386 executable (type %u, machine %u)",
				  name, boot_get16(k, len, 16), boot_get16(k, len, 18));

	uint32_t entry = boot_get32(k, len, 24);
	uint32_t phoff = boot_get32(k, len, 28);
	uint16_t phentsize = boot_get16(k, len, 42), phnum = boot_get16(k, len, 44);
	if (phnum == 0 || phnum > MAX_PHNUM || phentsize < PHDR_SIZE)
		return boot_error(err, "%s: bad ELF program header table (%u entries of %u bytes)",
				  name, phnum, phentsize);
	if (!boot_range_ok(phoff, (uint64_t)phnum * phentsize, len))
		return boot_error(err, "%s: ELF program headers at offset %#x run past the end of the file", name, phoff);

	for (unsigned i = 0; i < phnum; i++) {
		size_t ph = (size_t)phoff + (size_t)i * phentsize;
		if (boot_get32(k, len, ph) != PT_LOAD)
			continue;
		struct mb_segment s = {
			.file_off = boot_get32(k, len, ph + 4), .vaddr = boot_get32(k, len, ph + 8),
			.addr = boot_get32(k, len, ph + 12), .filesz = boot_get32(k, len, ph + 16),
			.memsz = boot_get32(k, len, ph + 20),
		};
		char what[32];
		snprintf(what, sizeof(what), "ELF segment %u", i);
		if (add_segment(in, ram_size, img, &s, what, err) < 0)
			return -1;
	}
	if (img->nseg == 0)
		return boot_error(err, "%s: ELF file has nothing to load", name);

	/* Like GRUB, accept an entry given as a link (virtual) address. */
	img->entry = entry;
	for (int i = 0; i < img->nseg; i++) {
		const struct mb_segment *s = &img->seg[i];
		if (entry - s->vaddr < s->memsz && s->vaddr != s->addr) {
			img->entry = entry - s->vaddr + s->addr;
			break;
		}
	}
	return 0;
}

/* Flag bit 16: the header itself says where the image goes. */
static int parse_aout_kludge(const struct boot_input *in, uint32_t ram_size, long hoff,
			     struct mb_image *img, char *err)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	const char *name = boot_kernel_name(in);

	if (!boot_range_ok((uint64_t)hoff, 32, len))
		return boot_error(err, "%s: Multiboot header at %#lx is cut off by the end of the file", name, hoff);
	uint32_t header_addr = boot_get32(k, len, hoff + 12), load_addr = boot_get32(k, len, hoff + 16);
	uint32_t load_end = boot_get32(k, len, hoff + 20), bss_end = boot_get32(k, len, hoff + 24);
	img->entry = boot_get32(k, len, hoff + 28);

	if (load_addr > header_addr || header_addr - load_addr > (uint64_t)hoff)
		return boot_error(err, "%s: Multiboot load_addr %#x does not match header_addr %#x at file offset %#lx",
				  name, load_addr, header_addr, hoff);
	struct mb_segment s = { .file_off = (uint32_t)(hoff - (header_addr - load_addr)), .addr = load_addr };
	s.vaddr = s.addr;
	if (load_end == 0) {
		s.filesz = (uint32_t)(len - s.file_off);
	} else if (load_end < load_addr) {
		return boot_error(err, "%s: Multiboot load_end_addr %#x is below load_addr %#x", name, load_end, load_addr);
	} else {
		s.filesz = load_end - load_addr;
	}
	s.memsz = s.filesz;
	if (bss_end != 0) {
		if ((uint64_t)bss_end < (uint64_t)load_addr + s.filesz)
			return boot_error(err, "%s: Multiboot bss_end_addr %#x is below the loaded image", name, bss_end);
		s.memsz = bss_end - load_addr;
	}
	return add_segment(in, ram_size, img, &s, "Multiboot image", err);
}

static bool entry_is_loaded(const struct mb_image *img)
{
	for (int i = 0; i < img->nseg; i++)
		if (img->entry - img->seg[i].addr < img->seg[i].memsz)
			return true;
	return false;
}

static int check_header_flags(const struct boot_input *in, uint32_t flags, char *err)
{
	const char *name = boot_kernel_name(in);
	uint32_t unknown = flags & 0xffff & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO);
	if (unknown & MB_VIDEO_MODE)
		return boot_error(err, "%s: Multiboot kernel requires a video mode (flag bit 2), which cordon cannot provide", name);
	if (unknown)
		return boot_error(err, "%s: Multiboot kernel requires unsupported features (flags %#x)", name, unknown);
	return 0;
}

/* Module 0 goes on the first page boundary after the kernel. */
static int place_module(const struct boot_input *in, uint32_t ram_size, uint32_t kernel_end,
			uint32_t *addr, char *err)
{
	uint64_t at = boot_align_up(kernel_end, BOOT_PAGE);
	if (!boot_range_ok(at, in->initrd_len, ram_size)) {
		char a[32], b[32], c[32];
		return boot_error(err, "%s: initrd of %s does not fit: only %s free after the kernel (ends %#llx), guest RAM %s",
				  boot_initrd_name(in), boot_size_str(in->initrd_len, a),
				  boot_size_str(at < ram_size ? ram_size - at : 0, b), (unsigned long long)at,
				  boot_size_str(ram_size, c));
	}
	*addr = (uint32_t)at;
	return 0;
}

static uint32_t put_string(uint8_t *ram, uint32_t addr, const char *s, size_t len)
{
	memcpy(ram + addr, s, len);
	ram[addr + len] = 0;
	return addr;
}

static void write_boot_info(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
			    const char *cmdline, size_t cmdline_len, uint32_t mod_addr)
{
	uint8_t *mbi = ram + MBI_ADDR;
	uint32_t flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;

	memset(mbi, 0, MBI_SIZE);
	boot_put32(mbi, MBI_MEM_LOWER, BOOT_LOW_END / 1024);
	boot_put32(mbi, MBI_MEM_UPPER, (ram_size - BOOT_HIGH_START) / 1024);
	boot_put32(mbi, MBI_CMDLINE_PTR, put_string(ram, MB_CMDLINE_AT, cmdline, cmdline_len));
	boot_put32(mbi, MBI_LOADER_PTR, put_string(ram, MBI_LOADER_AT, "cordon", 6));

	struct boot_mem_range map[BOOT_MAX_RANGES];
	int n = boot_memory_map(ram_size, map);
	for (int i = 0; i < n; i++) {
		uint32_t e = MBI_MMAP_AT + 24 * i;
		boot_put32(ram, e, 20); /* size of the entry, not counting this field */
		boot_put64(ram, e + 4, map[i].addr);
		boot_put64(ram, e + 12, map[i].len);
		boot_put32(ram, e + 20, map[i].type);
	}
	boot_put32(mbi, MBI_MMAP_LENGTH, 24 * n);
	boot_put32(mbi, MBI_MMAP_ADDR, MBI_MMAP_AT);

	boot_put32(mbi, MBI_MODS_ADDR, MBI_MODS_AT);
	if (in->initrd) {
		const char *mod_name = boot_initrd_name(in);
		size_t name_len = strnlen(mod_name, MBI_MODSTR_MAX); /* a long path is cut, not fatal */
		boot_put32(ram, MBI_MODS_AT, mod_addr);
		boot_put32(ram, MBI_MODS_AT + 4, mod_addr + (uint32_t)in->initrd_len);
		boot_put32(ram, MBI_MODS_AT + 8, put_string(ram, MBI_MODSTR_AT, mod_name, name_len));
		boot_put32(ram, MBI_MODS_AT + 12, 0);
		boot_put32(mbi, MBI_MODS_COUNT, 1);
	}
	boot_put32(mbi, MBI_FLAGS, flags);
}

int boot_load_multiboot(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
			long header_off, struct boot_state *out, char *err)
{
	const char *name = boot_kernel_name(in);
	uint32_t flags = boot_get32(in->kernel, in->kernel_len, (size_t)header_off + 4);
	if (check_header_flags(in, flags, err) < 0)
		return -1;

	const char *cmdline = in->cmdline ? in->cmdline : "";
	size_t cmdline_len = strlen(cmdline);
	if (cmdline_len > MB_CMDLINE_MAX)
		return boot_error(err, "%s: kernel command line is %zu bytes, cordon passes at most %u",
				  name, cmdline_len, MB_CMDLINE_MAX);

	struct mb_image img;
	memset(&img, 0, sizeof(img));
	int rc = (flags & MB_AOUT_KLUDGE) ? parse_aout_kludge(in, ram_size, header_off, &img, err)
					  : parse_elf(in, ram_size, &img, err);
	if (rc < 0)
		return -1;
	if (!entry_is_loaded(&img))
		return boot_error(err, "%s: entry point %#x is outside the loaded image", name, img.entry);

	uint32_t mod_addr = 0;
	if (in->initrd && place_module(in, ram_size, img.end, &mod_addr, err) < 0)
		return -1;

	for (int i = 0; i < img.nseg; i++) {
		const struct mb_segment *s = &img.seg[i];
		memcpy(ram + s->addr, in->kernel + s->file_off, s->filesz);
		memset(ram + s->addr + s->filesz, 0, s->memsz - s->filesz);
	}
	if (in->initrd)
		memcpy(ram + mod_addr, in->initrd, in->initrd_len);
	write_boot_info(ram, ram_size, in, cmdline, cmdline_len, mod_addr);

	boot_flat_protected_mode(ram, out, img.entry);
	out->gpr[0] = MB_BOOT_MAGIC;
	out->gpr[3] = MBI_ADDR;
	return 0;
}
