/*
 * Loader tests: synthetic bzImages and Multiboot ELFs built in memory, the
 * layout they produce in guest RAM, and the errors for broken input.
 */
#include "t.h"

#include <stdlib.h>

#include "boot/boot.h"

#define MiB (1u << 20)
#define ZP 0x10000u /* where the loaders put the zero page / Multiboot info */

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	       (uint32_t)p[off + 3] << 24;
}
static uint16_t rd16(const uint8_t *p, uint32_t off) { return (uint16_t)(p[off] | p[off + 1] << 8); }
static uint64_t rd64(const uint8_t *p, uint32_t off) { return rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32; }
static void wr16(uint8_t *p, uint32_t off, uint16_t v) { p[off] = (uint8_t)v; p[off + 1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *new_ram(uint32_t size)
{
	uint8_t *ram = malloc(size);
	memset(ram, 0xaa, size); /* not zero: the loaders must clear what they use */
	return ram;
}

/* --- synthetic bzImage ---------------------------------------------------- */

struct bz_opts {
	uint8_t setup_sects;
	uint16_t version;
	uint8_t loadflags;
	uint32_t pm_size, init_size, pref_address, kernel_align, initrd_max, cmdline_size;
	uint8_t relocatable;
};

static struct bz_opts bz_default(void)
{
	return (struct bz_opts){
		.setup_sects = 8, .version = 0x20f, .loadflags = 0x01, .pm_size = 100000,
		.init_size = 4 * MiB, .pref_address = 0x1000000, .kernel_align = 0x200000,
		.initrd_max = 0x7fffffff, .cmdline_size = 2047, .relocatable = 1,
	};
}

static uint8_t *make_bzimage(const struct bz_opts *o, size_t *len)
{
	uint32_t setup = ((o->setup_sects ? o->setup_sects : 4) + 1) * 512;
	*len = setup + o->pm_size;
	uint8_t *k = calloc(1, *len);
	k[0x1f1] = o->setup_sects;
	wr32(k, 0x1f4, o->pm_size / 16);
	wr16(k, 0x1fe, 0xaa55);
	k[0x200] = 0xeb;
	k[0x201] = 0x26c - 0x202; /* header runs to kernel_info_offset's end */
	memcpy(k + 0x202, "HdrS", 4);
	wr16(k, 0x206, o->version);
	k[0x211] = o->loadflags;
	wr32(k, 0x214, 0x100000);
	wr32(k, 0x22c, o->initrd_max);
	wr32(k, 0x230, o->kernel_align);
	k[0x234] = o->relocatable;
	wr32(k, 0x238, o->cmdline_size);
	wr32(k, 0x258, o->pref_address);
	wr32(k, 0x260, o->init_size);
	for (uint32_t i = 0; i < o->pm_size; i++)
		k[setup + i] = (uint8_t)(i * 7 + 3);
	return k;
}

static struct boot_input input(const uint8_t *k, size_t len)
{
	return (struct boot_input){ .kernel = k, .kernel_len = len, .kernel_name = "vmlinuz-test" };
}

TEST(boot_bzimage_layout)
{
	struct bz_opts o = bz_default();
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	uint32_t ram_size = 64 * MiB;
	uint8_t *ram = new_ram(ram_size);
	struct boot_input in = input(k, len);
	in.cmdline = "console=ttyS0 quiet";
	struct boot_state st;
	char err[256] = "";

	CHECK_EQ(boot_load(ram, ram_size, &in, &st, err), 0);
	CHECK_STR(err, "");
	/* the protected-mode kernel at 1 MiB */
	CHECK(memcmp(ram + 0x100000, k + 9 * 512, o.pm_size) == 0);
	/* zero page: header copy plus the loader's answers */
	const uint8_t *zp = ram + ZP;
	CHECK_EQ(rd32(zp, 0x202), 0x53726448);
	CHECK_EQ(rd16(zp, 0x206), 0x20f);
	CHECK_EQ(rd32(zp, 0x238), 2047);
	CHECK_EQ(zp[0x210], 0xff);
	CHECK_EQ(rd32(zp, 0x214), 0x100000);
	CHECK_EQ(rd32(zp, 0x228), 0x20000);
	CHECK_STR((const char *)ram + 0x20000, "console=ttyS0 quiet");
	CHECK_EQ(rd32(zp, 0x218), 0);
	CHECK_EQ(rd32(zp, 0x21c), 0);
	CHECK_EQ(zp[0x1ef], 0);  /* sentinel: we did not copy junk */
	CHECK_EQ(zp[0x00f], 0);  /* screen_info: no VGA */
	CHECK_EQ(zp[0x00e], 0);
	CHECK_EQ(zp[0x007], 0);
	CHECK_EQ(rd16(zp, 0x002), 0xfc00); /* ext_mem_k caps at 63 MiB */
	CHECK_EQ(rd32(zp, 0x1e0), 63 * 1024);
	/* e820 */
	CHECK_EQ(zp[0x1e8], 4);
	static const uint64_t map[4][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xa0000, 0x60000, 2 }, { 0x100000, 63 * MiB, 1 },
	};
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(rd64(zp, 0x2d0 + 20 * i), map[i][0]);
		CHECK_EQ(rd64(zp, 0x2d0 + 20 * i + 8), map[i][1]);
		CHECK_EQ(rd32(zp, 0x2d0 + 20 * i + 16), map[i][2]);
	}
	CHECK_EQ(rd64(zp, 0x2d0 + 20 * 4), 0);
	/* entry state: boot.rst's 32-bit protocol */
	CHECK_EQ(st.eip, 0x100000);
	CHECK_EQ(st.gpr[6], ZP);   /* ESI */
	CHECK_EQ(st.gpr[3], 0);    /* EBX */
	CHECK_EQ(st.gpr[5], 0);    /* EBP */
	CHECK_EQ(st.gpr[7], 0);    /* EDI */
	CHECK_EQ(st.eflags, 0x2);
	CHECK_EQ(st.cr0 & 0x80000001, 1);
	CHECK_EQ(st.seg[1].sel, 0x10);
	CHECK_EQ(st.seg[1].attr, 0xc09b);
	CHECK_EQ(st.seg[1].limit, 0xffffffff);
	for (int i = 0; i < 6; i++) {
		if (i == 1)
			continue;
		CHECK_EQ(st.seg[i].sel, 0x18);
		CHECK_EQ(st.seg[i].base, 0);
		CHECK_EQ(st.seg[i].limit, 0xffffffff);
		CHECK_EQ(st.seg[i].attr, 0xc093);
	}
	/* the GDT the selectors refer to */
	CHECK_EQ(st.gdt_limit, 31);
	CHECK_EQ(rd64(ram + st.gdt_base, 0), 0);
	CHECK_EQ(rd64(ram + st.gdt_base, 0x10), 0x00cf9b000000ffffull);
	CHECK_EQ(rd64(ram + st.gdt_base, 0x18), 0x00cf93000000ffffull);
	free(ram);
	free(k);
}

TEST(boot_bzimage_setup_sects_zero_means_four)
{
	struct bz_opts o = bz_default();
	o.setup_sects = 0;
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	uint8_t *ram = new_ram(64 * MiB);
	struct boot_input in = input(k, len);
	struct boot_state st;
	char err[256];
	CHECK_EQ(boot_load(ram, 64 * MiB, &in, &st, err), 0);
	CHECK(memcmp(ram + 0x100000, k + 5 * 512, o.pm_size) == 0);
	CHECK_STR((const char *)ram + 0x20000, "console=ttyS0"); /* no --append: the serial console */
	free(ram);
	free(k);
}

TEST(boot_bzimage_initrd_high)
{
	struct bz_opts o = bz_default();
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	uint32_t ram_size = 64 * MiB;
	uint8_t *ram = new_ram(ram_size);
	uint8_t initrd[10000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	struct boot_input in = input(k, len);
	in.initrd = initrd;
	in.initrd_len = sizeof(initrd);
	in.initrd_name = "test.img";
	struct boot_state st;
	char err[256];

	CHECK_EQ(boot_load(ram, ram_size, &in, &st, err), 0);
	uint32_t at = rd32(ram + ZP, 0x218);
	CHECK_EQ(at, (ram_size - sizeof(initrd)) & ~0xfffu);
	CHECK_EQ(rd32(ram + ZP, 0x21c), sizeof(initrd));
	CHECK(memcmp(ram + at, initrd, sizeof(initrd)) == 0);

	/* initrd_addr_max is the highest byte the initrd may occupy */
	free(k);
	o.initrd_max = 0x1ffffff;
	k = make_bzimage(&o, &len);
	in.kernel = k;
	CHECK_EQ(boot_load(ram, ram_size, &in, &st, err), 0);
	at = rd32(ram + ZP, 0x218);
	CHECK_EQ(at, (0x2000000 - sizeof(initrd)) & ~0xfffu);
	CHECK(at + sizeof(initrd) - 1 <= 0x1ffffff);
	free(ram);
	free(k);
}

/* Runs boot_load expecting failure; returns the message. */
static const char *load_fails(uint32_t ram_size, const struct boot_input *in)
{
	static char err[256];
	struct boot_state st;
	uint8_t *ram = new_ram(ram_size);
	strcpy(err, "(no error)");
	int rc = boot_load(ram, ram_size, in, &st, err);
	free(ram);
	if (rc != -1)
		return "(load succeeded)";
	CHECK(strchr(err, '\n') == NULL);
	return err;
}

#define CHECK_ERR(msg, name, what)                                            \
	do {                                                                  \
		const char *m_ = (msg);                                       \
		if (!strstr(m_, name) || !strstr(m_, what))                   \
			t_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\" or \"%s\"", m_, name, what); \
	} while (0)

TEST(boot_bzimage_errors)
{
	struct bz_opts o = bz_default();
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	struct boot_input in = input(k, len);

	in.kernel_len = 4000; /* cut inside the setup code */
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "truncated");
	in.kernel_len = len - 16; /* cut inside the kernel proper: a whole paragraph */
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "truncated");
	in.kernel_len = len;

	wr16(k, 0x206, 0x205);
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "too old");
	wr16(k, 0x206, 0x20f);

	k[0x211] = 0;
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "not a bzImage");
	k[0x211] = 1;

	/* decompressing at 16 MiB needs 16 + 4 MiB */
	CHECK_ERR(load_fails(20 * MiB - 4096, &in), "vmlinuz-test", "needs 20 MiB");
	CHECK_ERR(load_fails(512 * 1024, &in), "vmlinuz-test", "too small");

	k[0x201] = 0x30; /* a header too short for protocol 2.15 */
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "setup header");
	free(k);
}

TEST(boot_not_a_kernel)
{
	static const char text[] = "root:x:0:0:root:/root:/bin/bash\n";
	struct boot_input in = input((const uint8_t *)text, sizeof(text) - 1);
	in.kernel_name = "/tmp/passwd";
	CHECK_ERR(load_fails(64 * MiB, &in), "/tmp/passwd", "not a kernel");
	in.kernel_len = 0;
	CHECK_ERR(load_fails(64 * MiB, &in), "/tmp/passwd", "empty");

	uint8_t boot_sector[1024] = { 0 };
	wr16(boot_sector, 0x1fe, 0xaa55);
	in.kernel = boot_sector;
	in.kernel_len = sizeof(boot_sector);
	CHECK_ERR(load_fails(64 * MiB, &in), "/tmp/passwd", "--disk /tmp/passwd");

	/* An ISO 9660 image (grub-mkrescue's are also MBRs): point to --cdrom. */
	static uint8_t iso[0x8800];
	wr16(iso, 0x1fe, 0xaa55);
	memcpy(iso + 0x8000, "\x01" "CD001" "\x01", 7);
	in.kernel = iso;
	in.kernel_len = sizeof(iso);
	CHECK_ERR(load_fails(64 * MiB, &in), "/tmp/passwd", "--cdrom /tmp/passwd");
}

/* memtest86+ rounds syssize up to whole paragraphs past its file's end;
 * QEMU loads it, and so does cordon, with the missing bytes as zeros. */
TEST(boot_bzimage_syssize_rounding_is_tolerated)
{
	struct bz_opts o = bz_default();
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	struct boot_input in = input(k, len - 8); /* syssize now says 8 bytes more */
	uint8_t *ram = new_ram(64 * MiB);
	struct boot_state st;
	char err[256];
	CHECK_EQ(boot_load(ram, 64 * MiB, &in, &st, err), 0);
	CHECK_EQ(ram[0x100000 + o.pm_size - 9], k[len - 9]);
	for (uint32_t i = o.pm_size - 8; i < o.pm_size; i++)
		CHECK_EQ(ram[0x100000 + i], 0);
	/* Without --append, the serial console. */
	CHECK_STR((const char *)ram + 0x20000, "console=ttyS0");
	free(ram);
	free(k);
}

TEST(boot_cmdline_limit)
{
	struct bz_opts o = bz_default();
	o.cmdline_size = 16;
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	struct boot_input in = input(k, len);
	in.cmdline = "0123456789abcdefg"; /* 17 bytes */
	CHECK_ERR(load_fails(64 * MiB, &in), "vmlinuz-test", "command line is 17 bytes");

	in.cmdline = "0123456789abcdef"; /* exactly cmdline_size */
	uint8_t *ram = new_ram(64 * MiB);
	struct boot_state st;
	char err[256];
	CHECK_EQ(boot_load(ram, 64 * MiB, &in, &st, err), 0);
	CHECK_STR((const char *)ram + 0x20000, "0123456789abcdef");
	free(ram);
	free(k);
}

TEST(boot_initrd_too_large)
{
	struct bz_opts o = bz_default();
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	struct boot_input in = input(k, len);
	uint8_t *big = calloc(1, 40 * MiB);
	in.initrd = big;
	in.initrd_name = "huge.cpio";

	in.initrd_len = 40 * MiB; /* more than all of RAM */
	CHECK_ERR(load_fails(32 * MiB, &in), "huge.cpio", "larger than guest RAM");
	/* fits in RAM, but not above the kernel's 16 + 4 MiB */
	in.initrd_len = 13 * MiB;
	const char *m = load_fails(32 * MiB, &in);
	CHECK_ERR(m, "huge.cpio", "does not fit");
	CHECK_ERR(m, "13 MiB", "12 MiB free");
	free(big);
	free(k);
}

TEST(boot_bzimage_prefixes_never_crash)
{
	struct bz_opts o = bz_default();
	o.pm_size = 4096;
	size_t len;
	uint8_t *k = make_bzimage(&o, &len);
	uint8_t *ram = new_ram(32 * MiB);
	struct boot_state st;
	char err[256];
	for (size_t n = 0; n < len; n += 7) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		memcpy(copy, k, n);
		struct boot_input in = input(copy, n);
		/* The last paragraph may be short: syssize rounding is tolerated. */
		CHECK_EQ(boot_load(ram, 32 * MiB, &in, &st, err), len - n < 16 ? 0 : -1);
		free(copy);
	}
	free(ram);
	free(k);
}

/* --- synthetic Multiboot ELF --------------------------------------------- */

struct seg {
	uint32_t type, off, vaddr, paddr, filesz, memsz;
};

#define MB_HDR_OFF 0x100

/* ELF header, program headers, a Multiboot header at 0x100, segment bytes. */
static uint8_t *make_elf(const struct seg *s, int n, uint32_t entry, uint32_t mb_flags, size_t *len)
{
	*len = 0x200;
	for (int i = 0; i < n; i++)
		if (s[i].off + s[i].filesz > *len)
			*len = s[i].off + s[i].filesz;
	uint8_t *e = calloc(1, *len);
	memcpy(e, "\177ELF\1\1\1", 7);
	wr16(e, 16, 2);   /* ET_EXEC */
	wr16(e, 18, 3);   /* EM_386 */
	wr32(e, 20, 1);
	wr32(e, 24, entry);
	wr32(e, 28, 52);  /* e_phoff */
	wr16(e, 40, 52);
	wr16(e, 42, 32);
	wr16(e, 44, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		uint32_t ph = 52 + 32 * i;
		wr32(e, ph, s[i].type);
		wr32(e, ph + 4, s[i].off);
		wr32(e, ph + 8, s[i].vaddr);
		wr32(e, ph + 12, s[i].paddr);
		wr32(e, ph + 16, s[i].filesz);
		wr32(e, ph + 20, s[i].memsz);
		for (uint32_t j = 0; j < s[i].filesz; j++)
			e[s[i].off + j] = (uint8_t)(j * 13 + i + 1);
	}
	wr32(e, MB_HDR_OFF, 0x1badb002);
	wr32(e, MB_HDR_OFF + 4, mb_flags);
	wr32(e, MB_HDR_OFF + 8, -(0x1badb002u + mb_flags));
	return e;
}

static const struct seg two_segs[] = {
	{ 1, 0x1000, 0x100000, 0x100000, 0x1800, 0x1800 },
	{ 1, 0x3000, 0x103000, 0x103000, 0x100, 0x5000 }, /* data + bss */
	{ 4, 0x200, 0, 0, 0x10, 0x10 },                   /* PT_NOTE: ignored */
};

TEST(boot_multiboot_layout)
{
	size_t len;
	uint8_t *e = make_elf(two_segs, 3, 0x100010, 0x3, &len);
	uint32_t ram_size = 16 * MiB;
	uint8_t *ram = new_ram(ram_size);
	uint8_t mod[5000];
	memset(mod, 0x42, sizeof(mod));
	struct boot_input in = {
		.kernel = e, .kernel_len = len, .kernel_name = "guest.elf",
		.initrd = mod, .initrd_len = sizeof(mod), .initrd_name = "module.bin",
		.cmdline = "foo bar",
	};
	struct boot_state st;
	char err[256] = "";

	CHECK_EQ(boot_load(ram, ram_size, &in, &st, err), 0);
	CHECK_STR(err, "");
	CHECK(memcmp(ram + 0x100000, e + 0x1000, 0x1800) == 0);
	CHECK(memcmp(ram + 0x103000, e + 0x3000, 0x100) == 0);
	CHECK_EQ(ram[0x103100], 0); /* bss zeroed */
	CHECK_EQ(ram[0x107fff], 0);
	CHECK_EQ(st.eip, 0x100010);
	CHECK_EQ(st.gpr[0], 0x2badb002);
	CHECK_EQ(st.gpr[3], ZP);
	CHECK_EQ(st.seg[1].sel, 0x10);
	CHECK_EQ(st.seg[3].sel, 0x18);
	CHECK_EQ(st.eflags & 0x200, 0);

	const uint8_t *mbi = ram + st.gpr[3];
	uint32_t flags = rd32(mbi, 0);
	CHECK_EQ(flags & 0x24d, 0x24d); /* mem, cmdline, mods, mmap, loader name */
	CHECK_EQ(rd32(mbi, 4), 639);
	CHECK_EQ(rd32(mbi, 8), 15 * 1024);
	CHECK_STR((const char *)ram + rd32(mbi, 16), "foo bar");
	CHECK_STR((const char *)ram + rd32(mbi, 64), "cordon");
	CHECK_EQ(rd32(mbi, 20), 1);
	const uint8_t *m = ram + rd32(mbi, 24);
	CHECK_EQ(rd32(m, 0), 0x108000); /* first page after the bss */
	CHECK_EQ(rd32(m, 4), 0x108000 + sizeof(mod));
	CHECK_STR((const char *)ram + rd32(m, 8), "module.bin");
	CHECK(memcmp(ram + 0x108000, mod, sizeof(mod)) == 0);
	/* memory map: 4 entries of 24 bytes, size field first */
	CHECK_EQ(rd32(mbi, 44), 4 * 24);
	const uint8_t *mm = ram + rd32(mbi, 48);
	CHECK_EQ(rd32(mm, 0), 20);
	CHECK_EQ(rd64(mm, 4), 0);
	CHECK_EQ(rd64(mm, 12), 0x9fc00);
	CHECK_EQ(rd32(mm, 20), 1);
	CHECK_EQ(rd64(mm, 72 + 4), 0x100000);
	CHECK_EQ(rd64(mm, 72 + 12), 15 * MiB);
	CHECK_EQ(rd32(mm, 72 + 20), 1);
	free(ram);
	free(e);
}

TEST(boot_multiboot_no_initrd_and_higher_half_entry)
{
	/* linked at 3 GiB, loaded at 1 MiB: the entry is translated, like GRUB */
	static const struct seg hh[] = { { 1, 0x1000, 0xc0100000, 0x100000, 0x800, 0x800 } };
	size_t len;
	uint8_t *e = make_elf(hh, 1, 0xc0100020, 0, &len);
	uint8_t *ram = new_ram(4 * MiB);
	struct boot_input in = input(e, len);
	struct boot_state st;
	char err[256];
	CHECK_EQ(boot_load(ram, 4 * MiB, &in, &st, err), 0);
	CHECK_EQ(st.eip, 0x100020);
	CHECK_EQ(rd32(ram + ZP, 20), 0);              /* no modules */
	CHECK_STR((const char *)ram + rd32(ram + ZP, 16), ""); /* empty cmdline */
	free(ram);
	free(e);
}

/* Builds the two-segment ELF, lets `edit` break it, expects an error. */
static void check_elf_error(void (*edit)(uint8_t *e, size_t *len), uint32_t ram_size, const char *what, int line)
{
	size_t len;
	uint8_t *e = make_elf(two_segs, 3, 0x100010, 0x3, &len);
	edit(e, &len);
	struct boot_input in = { .kernel = e, .kernel_len = len, .kernel_name = "bad.elf" };
	const char *m = load_fails(ram_size, &in);
	if (!strstr(m, "bad.elf") || !strstr(m, what))
		t_fail(__FILE__, line, "error \"%s\" lacks \"bad.elf\" or \"%s\"", m, what);
	free(e);
}

static void seg_past_ram(uint8_t *e, size_t *len) { (void)len; wr32(e, 52 + 32 + 12, 0xfff000); }
static void seg_wraps(uint8_t *e, size_t *len) { (void)len; wr32(e, 52 + 32 + 12, 0xfffff000); }
static void seg_low(uint8_t *e, size_t *len) { (void)len; wr32(e, 52 + 12, 0x8000); }
static void seg_past_file(uint8_t *e, size_t *len) { (void)len; wr32(e, 52 + 4, 0xfffffff0); }
static void seg_filesz_big(uint8_t *e, size_t *len) { (void)len; wr32(e, 52 + 16, 0x2000); }
static void phdrs_past_file(uint8_t *e, size_t *len) { (void)len; wr32(e, 28, (uint32_t)*len - 40); }
static void elf64(uint8_t *e, size_t *len) { (void)len; e[4] = 2; }
static void arm(uint8_t *e, size_t *len) { (void)len; wr16(e, 18, 40); }
static void entry_out(uint8_t *e, size_t *len) { (void)len; wr32(e, 24, 0x200000); }
static void video(uint8_t *e, size_t *len)
{
	(void)len;
	wr32(e, MB_HDR_OFF + 4, 0x4);
	wr32(e, MB_HDR_OFF + 8, -(0x1badb002u + 4));
}
static void bad_checksum(uint8_t *e, size_t *len) { (void)len; e[MB_HDR_OFF + 8] ^= 1; }
static void no_edit(uint8_t *e, size_t *len) { (void)e; (void)len; }
static void no_load(uint8_t *e, size_t *len) { (void)len; wr32(e, 52, 6); wr32(e, 52 + 32, 6); }

TEST(boot_multiboot_errors)
{
	check_elf_error(seg_past_ram, 16 * MiB, "outside guest RAM", __LINE__);
	check_elf_error(seg_wraps, 16 * MiB, "outside guest RAM", __LINE__);
	check_elf_error(seg_low, 16 * MiB, "below 1 MiB", __LINE__);
	check_elf_error(seg_past_file, 16 * MiB, "past the end", __LINE__);
	check_elf_error(seg_filesz_big, 16 * MiB, "in the file but only", __LINE__);
	check_elf_error(phdrs_past_file, 16 * MiB, "program headers", __LINE__);
	check_elf_error(elf64, 16 * MiB, "32-bit", __LINE__);
	check_elf_error(arm, 16 * MiB, "i386", __LINE__);
	check_elf_error(entry_out, 16 * MiB, "entry point", __LINE__);
	check_elf_error(video, 16 * MiB, "video mode", __LINE__);
	check_elf_error(bad_checksum, 16 * MiB, "without a Multiboot header", __LINE__);
	check_elf_error(no_load, 16 * MiB, "nothing to load", __LINE__);
	/* the bss ends at 0x108000: RAM just too small for it */
	check_elf_error(no_edit, 0x104000, "outside guest RAM", __LINE__);
}

TEST(boot_multiboot_module_too_large)
{
	size_t len;
	uint8_t *e = make_elf(two_segs, 3, 0x100010, 0x3, &len);
	uint8_t *mod = calloc(1, 2 * MiB);
	struct boot_input in = { .kernel = e, .kernel_len = len, .kernel_name = "k.elf",
				 .initrd = mod, .initrd_len = 2 * MiB, .initrd_name = "mod.img" };
	CHECK_ERR(load_fails(3 * MiB, &in), "mod.img", "does not fit");
	free(mod);
	free(e);
}

TEST(boot_multiboot_aout_kludge)
{
	/* a flat binary: header at offset 0x40 says where everything goes */
	uint8_t img[0x400];
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i + 1);
	uint32_t flags = 0x10003;
	wr32(img, 0x40, 0x1badb002);
	wr32(img, 0x44, flags);
	wr32(img, 0x48, -(0x1badb002u + flags));
	wr32(img, 0x4c, 0x200040);  /* header_addr */
	wr32(img, 0x50, 0x200000);  /* load_addr: file offset 0 */
	wr32(img, 0x54, 0x200300);  /* load_end_addr */
	wr32(img, 0x58, 0x202000);  /* bss_end_addr */
	wr32(img, 0x5c, 0x200080);  /* entry */
	uint8_t *ram = new_ram(4 * MiB);
	struct boot_input in = input(img, sizeof(img));
	struct boot_state st;
	char err[256];
	CHECK_EQ(boot_load(ram, 4 * MiB, &in, &st, err), 0);
	CHECK(memcmp(ram + 0x200000, img, 0x300) == 0);
	CHECK_EQ(ram[0x200300], 0);
	CHECK_EQ(ram[0x201fff], 0);
	CHECK_EQ(st.eip, 0x200080);

	wr32(img, 0x50, 0x200050); /* load_addr above header_addr */
	CHECK_ERR(load_fails(4 * MiB, &in), "vmlinuz-test", "load_addr");
	wr32(img, 0x50, 0x200000);
	wr32(img, 0x54, 0x200800); /* more than the file holds */
	CHECK_ERR(load_fails(4 * MiB, &in), "vmlinuz-test", "past the end");
	free(ram);
}

/* Random corruption of valid kernels: errors are fine, crashes are not. */
TEST(boot_mutations_never_crash)
{
	struct bz_opts o = bz_default();
	o.pm_size = 2048;
	o.init_size = 0x1000;
	o.pref_address = 0x100000;
	size_t bz_len, elf_len;
	uint8_t *bz = make_bzimage(&o, &bz_len);
	uint8_t *elf = make_elf(two_segs, 3, 0x100010, 0x3, &elf_len);
	uint32_t ram_size = 2 * MiB;
	uint8_t *ram = new_ram(ram_size);
	uint8_t initrd[300] = { 1 };
	uint32_t seed = 12345;
	struct boot_state st;
	char err[256];
	int loaded = 0;

	for (int iter = 0; iter < 4000; iter++) {
		const uint8_t *orig = (iter & 1) ? elf : bz;
		size_t len = (iter & 1) ? elf_len : bz_len;
		uint8_t *k = malloc(len);
		memcpy(k, orig, len);
		for (int j = 0; j < 4; j++) {
			seed = seed * 1103515245 + 12345;
			/* aim at the headers, where the loaders look */
			size_t at = (iter & 1) ? (seed >> 8) % 0x120 : 0x1f0 + (seed >> 8) % 0x80;
			k[at] = (uint8_t)(seed >> 24);
		}
		struct boot_input in = input(k, len);
		in.initrd = initrd;
		in.initrd_len = sizeof(initrd);
		int rc = boot_load(ram, ram_size, &in, &st, err);
		CHECK(rc == 0 || rc == -1);
		loaded += rc == 0;
		free(k);
	}
	CHECK(loaded > 0); /* some mutations are harmless: the loaders still work */
	free(ram);
	free(bz);
	free(elf);
}
