/*
 * Residual-information probe.  Guest RAM must be fresh zeroed memory for
 * every VM, so a pattern one VM leaves behind can never be read by the next.
 * The Multiboot command line picks the mode:
 *
 *   fill SEED            cover every free page (end of this image to the top
 *                        of RAM) with a pattern derived from SEED; print
 *                        "filled N pages"; exit 1 (cordon's status 3).
 *   scan SEED            look for any trace of such a pattern; print
 *                        "scan: magic-pages=A pattern-words=B nonzero-words=C
 *                        pages=N"; exit 2 (status 5) if A, B and C are all
 *                        zero, else 3 (status 7).
 *   fill-then-scan SEED  both in one VM: proves the scan sees a pattern
 *                        when there is one (expected status 7).
 *
 * A bad command line or missing memory information exits 4 (status 9).
 *
 * Each page starts with a 16-byte magic, so a leak from a VM with any seed
 * shows up; the other 510 64-bit words hold a 64-bit LCG sequence keyed by
 * SEED and the page address, always odd and so never equal to zeroed RAM.
 */
#include "lib.h"

#include <stddef.h>

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};
struct mb_module {
	uint32_t start, end, string, reserved;
};
/* A memory map entry; `size` does not count itself. */
struct mb_mmap_entry {
	uint32_t size;
	uint32_t addr_lo, addr_hi, len_lo, len_hi;
	uint32_t type;
} __attribute__((packed));

#define MBI_MEM     (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS    (1u << 3)
#define MBI_MMAP    (1u << 6)
#define MMAP_RAM    1

#define HIGH_START  0x100000u
#define PAGE        4096u
#define PAGE_WORDS  (PAGE / 8)
#define MAGIC_WORDS 2 /* 64-bit words of magic at the start of each page */

#define EXIT_FILLED 1
#define EXIT_CLEAN  2
#define EXIT_DIRTY  3
#define EXIT_USAGE  4

#define LCG_MUL 6364136223846793005ull /* Knuth's MMIX constants */
#define LCG_ADD 1442695040888963407ull

/* End of the loaded image including .bss (and so the boot stack); the
 * Makefile defines it with --defsym because guest.ld names no such symbol. */
extern char residue_image_end[];

static const char page_magic[16] = "CORDON-RESIDUE:";

/* Word i of page_magic as the CPU loads it (little-endian). */
static uint32_t magic_word(int i)
{
	const unsigned char *b = (const unsigned char *)page_magic + 4 * i;
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

struct range {
	uint32_t start, end; /* page-aligned, end exclusive */
};

enum mode { MODE_FILL, MODE_SCAN, MODE_FILL_THEN_SCAN };

void guest_main(uint32_t magic, const struct mb_info *mbi);

static void fail(const char *why) __attribute__((noreturn));
static void fail(const char *why)
{
	serial_puts("residue: ");
	serial_puts(why);
	serial_puts("\n");
	debug_exit(EXIT_USAGE);
}

static void put_hex(uint32_t v)
{
	serial_puts("0x");
	for (int shift = 28; shift >= 0; shift -= 4)
		serial_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* Returns the length of prefix if s starts with it followed by a space. */
static size_t word_prefix(const char *s, const char *prefix)
{
	size_t n = 0;
	while (prefix[n]) {
		if (s[n] != prefix[n])
			return 0;
		n++;
	}
	return s[n] == ' ' ? n + 1 : 0;
}

/* A decimal number that fits 32 bits and ends the string. */
static uint32_t parse_seed(const char *s)
{
	uint64_t v = 0;
	if (!*s)
		fail("missing SEED");
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			fail("SEED is not a decimal number");
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > 0xffffffffu)
			fail("SEED does not fit 32 bits");
	}
	return (uint32_t)v;
}

static enum mode parse_cmdline(const struct mb_info *mbi, uint32_t *seed)
{
	static const char *const names[] = { "fill", "scan", "fill-then-scan" };
	if (!(mbi->flags & MBI_CMDLINE) || !mbi->cmdline)
		fail("no command line (want fill|scan|fill-then-scan SEED)");
	const char *cmd = (const char *)mbi->cmdline;
	for (int m = 0; m < 3; m++) {
		size_t skip = word_prefix(cmd, names[m]);
		if (skip) {
			*seed = parse_seed(cmd + skip);
			return (enum mode)m;
		}
	}
	fail("command line must be fill|scan|fill-then-scan SEED");
}

static uint32_t page_up(uint64_t a)
{
	a = (a + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	return a > 0xfffff000u ? 0xfffff000u : (uint32_t)a;
}

/* A top-of-RAM address as a page boundary below 4 GiB (no paging here). */
static uint32_t page_down(uint64_t a)
{
	return a > 0xfffff000u ? 0xfffff000u : (uint32_t)a & ~(PAGE - 1);
}

/* Top of the RAM block that starts at 1 MiB: from the memory map when there
 * is one, else from mem_upper. */
static uint32_t ram_top(const struct mb_info *mbi)
{
	if (mbi->flags & MBI_MMAP) {
		for (uint32_t off = 0; off + 24 <= mbi->mmap_length;) {
			const struct mb_mmap_entry *e = (const void *)(mbi->mmap_addr + off);
			uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
			uint64_t len = (uint64_t)e->len_hi << 32 | e->len_lo;
			if (e->type == MMAP_RAM && addr <= HIGH_START && addr + len > HIGH_START)
				return page_down(addr + len);
			off += e->size + 4;
		}
	}
	if (mbi->flags & MBI_MEM)
		return page_down((uint64_t)HIGH_START + (uint64_t)mbi->mem_upper * 1024);
	fail("no memory map and no mem_upper");
}

/* The pages this guest may overwrite: past its image and any module. */
static struct range free_range(const struct mb_info *mbi)
{
	struct range r = { page_up((uint32_t)residue_image_end), ram_top(mbi) };
	if ((mbi->flags & MBI_MODS) && mbi->mods_count) {
		const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
		for (uint32_t i = 0; i < mbi->mods_count; i++)
			if (page_up(m[i].end) > r.start)
				r.start = page_up(m[i].end);
	}
	if (r.start >= r.end)
		fail("no free RAM above the image");
	return r;
}

/* First LCG state of a page: differs per seed and per page. */
static uint64_t page_state(uint32_t seed, uint32_t page)
{
	uint64_t s = ((uint64_t)seed << 32 | page) ^ 0x9e3779b97f4a7c15ull;
	return s * LCG_MUL + LCG_ADD;
}

/* The next pattern word; odd, so it never looks like zeroed memory. */
static uint64_t next_pattern(uint64_t *s)
{
	*s = *s * LCG_MUL + LCG_ADD;
	return (*s ^ (*s >> 32)) | 1;
}

static void fill_page(uint32_t page, uint32_t seed)
{
	volatile uint32_t *w = (volatile uint32_t *)page;
	for (int i = 0; i < 4; i++)
		w[i] = magic_word(i);
	uint64_t s = page_state(seed, page);
	for (uint32_t i = MAGIC_WORDS; i < PAGE_WORDS; i++) {
		uint64_t v = next_pattern(&s);
		w[2 * i] = (uint32_t)v;
		w[2 * i + 1] = (uint32_t)(v >> 32);
	}
}

static uint32_t fill(struct range r, uint32_t seed)
{
	uint32_t pages = 0;
	for (uint32_t p = r.start; p < r.end; p += PAGE, pages++)
		fill_page(p, seed);
	return pages;
}

struct scan_counts {
	uint32_t magic_pages, pattern_words, nonzero_words, pages;
};

/* Pattern matches are only looked for in pages that are not all zero, so
 * scanning clean RAM costs one load and test per word. */
static void scan_page(uint32_t page, uint32_t seed, struct scan_counts *c)
{
	const volatile uint32_t *w = (const volatile uint32_t *)page;
	uint32_t nonzero = 0;
	for (uint32_t i = 0; i < PAGE_WORDS; i++)
		nonzero += (w[2 * i] | w[2 * i + 1]) != 0;
	if (!nonzero)
		return;
	c->nonzero_words += nonzero;
	if (w[0] == magic_word(0) && w[1] == magic_word(1) && w[2] == magic_word(2) &&
	    w[3] == magic_word(3))
		c->magic_pages++;
	uint64_t s = page_state(seed, page);
	for (uint32_t i = MAGIC_WORDS; i < PAGE_WORDS; i++) {
		uint64_t v = next_pattern(&s);
		if (w[2 * i] == (uint32_t)v && w[2 * i + 1] == (uint32_t)(v >> 32))
			c->pattern_words++;
	}
}

static struct scan_counts scan(struct range r, uint32_t seed)
{
	struct scan_counts c = { 0, 0, 0, 0 };
	for (uint32_t p = r.start; p < r.end; p += PAGE, c.pages++)
		scan_page(p, seed, &c);
	return c;
}

static void report_range(struct range r, uint32_t seed)
{
	serial_puts("residue: seed ");
	serial_putu(seed);
	serial_puts(", range ");
	put_hex(r.start);
	serial_puts("-");
	put_hex(r.end);
	serial_puts("\n");
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		fail("bad multiboot magic");
	uint32_t seed;
	enum mode mode = parse_cmdline(mbi, &seed);
	struct range r = free_range(mbi);
	report_range(r, seed);

	if (mode != MODE_SCAN) {
		serial_puts("filled ");
		serial_putu(fill(r, seed));
		serial_puts(" pages\n");
		if (mode == MODE_FILL)
			debug_exit(EXIT_FILLED);
	}
	struct scan_counts c = scan(r, seed);
	serial_puts("scan: magic-pages=");
	serial_putu(c.magic_pages);
	serial_puts(" pattern-words=");
	serial_putu(c.pattern_words);
	serial_puts(" nonzero-words=");
	serial_putu(c.nonzero_words);
	serial_puts(" pages=");
	serial_putu(c.pages);
	serial_puts("\n");
	debug_exit(c.magic_pages || c.pattern_words || c.nonzero_words ? EXIT_DIRTY : EXIT_CLEAN);
}
