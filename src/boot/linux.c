/*
 * Linux bzImage loader, using the boot protocol's 32-bit entry point
 * (Documentation/arch/x86/boot.rst): the real-mode setup code is skipped, we
 * fill in the zero page (struct boot_params) ourselves and jump straight to
 * the protected-mode kernel at code32_start.
 *
 * Offsets below are those of struct boot_params / struct setup_header.  The
 * whole setup header comes from the file, so each field is checked before
 * it steers a copy.
 */
#include "boot/boot_internal.h"

#include <string.h>

/* Setup header (offsets from the start of the image and of the zero page). */
#define HDR_START          0x1f1
#define HDR_SETUP_SECTS    0x1f1
#define HDR_SYSSIZE        0x1f4
#define HDR_BOOT_FLAG      0x1fe
#define HDR_JUMP           0x200
#define HDR_MAGIC          0x202
#define HDR_VERSION        0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS      0x211
#define HDR_CODE32_START   0x214
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_CMD_LINE_PTR   0x228
#define HDR_INITRD_MAX     0x22c
#define HDR_KERNEL_ALIGN   0x230
#define HDR_RELOCATABLE    0x234
#define HDR_CMDLINE_SIZE   0x238
#define HDR_PREF_ADDRESS   0x258
#define HDR_INIT_SIZE      0x260
/* Where the header must reach for the fields each protocol version has. */
#define HDR_END_2_06       0x23c
#define HDR_END_2_10       0x264
/* Never copy past this: boot_params' own fields follow the header. */
#define HDR_COPY_LIMIT     0x290

/* Zero-page fields outside the setup header. */
#define ZP_EXT_MEM_K       0x002 /* screen_info.ext_mem_k */
#define ZP_ALT_MEM_K       0x1e0
#define ZP_E820_ENTRIES    0x1e8
#define ZP_E820_TABLE      0x2d0
#define ZP_SIZE            4096

#define BOOT_FLAG      0xaa55
#define HDRS_MAGIC     0x53726448 /* "HdrS" */
#define LOADED_HIGH    0x01
#define LOADER_UNKNOWN 0xff
#define KERNEL_ADDR    BOOT_HIGH_START

struct linux_hdr {
	uint16_t version;
	uint32_t setup_size;   /* bytes of real-mode code before the kernel proper */
	uint32_t hdr_end;      /* end of the setup header in the file */
	uint32_t syssize;      /* protected-mode size in 16-byte units */
	uint32_t initrd_max, cmdline_size, kernel_align, init_size;
	uint64_t pref_address;
	bool relocatable;
};

bool boot_is_linux(const uint8_t *k, size_t len)
{
	return boot_get16(k, len, HDR_BOOT_FLAG) == BOOT_FLAG &&
	       boot_get32(k, len, HDR_MAGIC) == HDRS_MAGIC;
}

static int parse_setup_header(const struct boot_input *in, struct linux_hdr *h, char *err)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	const char *name = boot_kernel_name(in);

	/* The setup code (at least 2.5 KiB) holds the whole header: once the
	 * file covers it, every header read below is in bounds. */
	memset(h, 0, sizeof(*h));
	uint32_t sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4; /* 0 means 4 */
	h->setup_size = (sects + 1) * 512;
	if (len <= h->setup_size)
		return boot_error(err, "%s: truncated bzImage: file has %zu bytes, its setup code alone needs %u",
				  name, len, h->setup_size);

	h->version = boot_get16(k, len, HDR_VERSION);
	if (h->version < 0x206)
		return boot_error(err, "%s: Linux boot protocol %u.%02u is too old (need 2.06 or later)",
				  name, h->version >> 8, h->version & 0xff);
	if (!(k[HDR_LOADFLAGS] & LOADED_HIGH))
		return boot_error(err, "%s: not a bzImage (zImage kernels that load low are not supported)", name);

	h->hdr_end = 0x202u + k[HDR_JUMP + 1]; /* the jump at 0x200 skips the header */
	uint32_t need = h->version >= 0x20a ? HDR_END_2_10 : HDR_END_2_06;
	if (h->hdr_end < need)
		return boot_error(err, "%s: setup header ends at %#x, protocol %u.%02u needs it to reach %#x",
				  name, h->hdr_end, h->version >> 8, h->version & 0xff, need);

	/* syssize counts 16-byte paragraphs, and some images (memtest86+)
	 * round it up past their end: a shortfall under one paragraph is
	 * that rounding, which QEMU accepts too, and is loaded as zeros. */
	h->syssize = boot_get32(k, len, HDR_SYSSIZE);
	uint64_t pm_size = len - h->setup_size;
	if ((uint64_t)h->syssize * 16 >= pm_size + 16)
		return boot_error(err, "%s: truncated bzImage: header promises %llu bytes of kernel, file has %llu",
				  name, (unsigned long long)h->syssize * 16, (unsigned long long)pm_size);

	h->initrd_max = boot_get32(k, len, HDR_INITRD_MAX);
	h->cmdline_size = boot_get32(k, len, HDR_CMDLINE_SIZE);
	h->relocatable = k[HDR_RELOCATABLE] != 0;
	if (h->version >= 0x20a) {
		h->kernel_align = boot_get32(k, len, HDR_KERNEL_ALIGN);
		h->pref_address = boot_get64(k, len, HDR_PREF_ADDRESS);
		h->init_size = boot_get32(k, len, HDR_INIT_SIZE);
		if (h->relocatable && (h->kernel_align == 0 || (h->kernel_align & (h->kernel_align - 1))))
			return boot_error(err, "%s: kernel_alignment %#x is not a power of two", name, h->kernel_align);
	}
	return 0;
}

/*
 * Where the kernel's memory use ends.  The decompressor runs the kernel at
 * pref_address (LOAD_PHYSICAL_ADDR) or, if relocatable, at the aligned load
 * address when that is higher, and needs init_size bytes from there.
 * Kernels before protocol 2.10 do not say; we can only check the file fits.
 */
static uint64_t kernel_footprint_end(const struct linux_hdr *h, uint64_t pm_size)
{
	uint64_t end = KERNEL_ADDR + pm_size;
	if (h->version < 0x20a)
		return end;
	uint64_t run = h->pref_address;
	if (h->relocatable) {
		uint64_t aligned = boot_align_up(KERNEL_ADDR, h->kernel_align);
		if (aligned > run)
			run = aligned;
	}
	if (run + h->init_size > end)
		end = run + h->init_size;
	return end;
}

/* Highest page-aligned spot below both the kernel's limit and RAM's end. */
static int place_initrd(const struct boot_input *in, const struct linux_hdr *h, uint32_t ram_size,
			uint64_t kernel_end, uint32_t *addr, char *err)
{
	uint64_t limit = (uint64_t)h->initrd_max + 1;
	if (limit > ram_size)
		limit = ram_size;
	uint64_t floor = boot_align_up(kernel_end, BOOT_PAGE);
	if (in->initrd_len <= limit && boot_align_down(limit - in->initrd_len, BOOT_PAGE) >= floor) {
		*addr = (uint32_t)boot_align_down(limit - in->initrd_len, BOOT_PAGE);
		return 0;
	}
	char a[32], b[32], c[32];
	return boot_error(err, "%s: initrd of %s does not fit: only %s free between the kernel (ends %#llx) "
			  "and %#llx (guest RAM %s)", boot_initrd_name(in), boot_size_str(in->initrd_len, a),
			  boot_size_str(limit > floor ? limit - floor : 0, b), (unsigned long long)floor,
			  (unsigned long long)limit, boot_size_str(ram_size, c));
}

static void write_e820(uint8_t *zp, uint32_t ram_size)
{
	struct boot_mem_range map[BOOT_MAX_RANGES];
	int n = boot_memory_map(ram_size, map);
	for (int i = 0; i < n; i++) {
		uint32_t e = ZP_E820_TABLE + 20 * i;
		boot_put64(zp, e, map[i].addr);
		boot_put64(zp, e + 8, map[i].len);
		boot_put32(zp, e + 16, map[i].type);
	}
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
}

/*
 * The zero page: a copy of the file's setup header with the loader's
 * answers filled in, plus memory sizes and the E820 map.  screen_info is
 * left zeroed: with no video lines or columns, the kernel skips vgacon and
 * cordon's serial console is the only one.
 */
static void write_zero_page(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
			    const struct linux_hdr *h, uint32_t initrd_addr)
{
	uint8_t *zp = ram + BOOT_INFO_ADDR;
	uint32_t copy_end = h->hdr_end < HDR_COPY_LIMIT ? h->hdr_end : HDR_COPY_LIMIT;

	memset(zp, 0, ZP_SIZE);
	memcpy(zp + HDR_START, in->kernel + HDR_START, copy_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNKNOWN;
	boot_put32(zp, HDR_CODE32_START, KERNEL_ADDR);
	boot_put32(zp, HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);
	boot_put32(zp, HDR_RAMDISK_IMAGE, initrd_addr);
	boot_put32(zp, HDR_RAMDISK_SIZE, initrd_addr ? (uint32_t)in->initrd_len : 0);

	uint32_t ext_k = (ram_size - BOOT_HIGH_START) / 1024;
	boot_put16(zp, ZP_EXT_MEM_K, (uint16_t)(ext_k > 0xfc00 ? 0xfc00 : ext_k)); /* int 15h/88h caps at 63 MiB */
	boot_put32(zp, ZP_ALT_MEM_K, ext_k);
	write_e820(zp, ram_size);
}

int boot_load_linux(uint8_t *ram, uint32_t ram_size, const struct boot_input *in,
		    struct boot_state *out, char *err)
{
	const char *name = boot_kernel_name(in);
	struct linux_hdr h;
	if (parse_setup_header(in, &h, err) < 0)
		return -1;

	/* No command line given: the serial console, so a first run is never
	 * silent (the kernel's default console is a screen cordon lacks). */
	const char *cmdline = in->cmdline ? in->cmdline : BOOT_DEFAULT_CMDLINE;
	size_t cmdline_len = strlen(cmdline);
	uint32_t cmdline_max = h.cmdline_size; /* excludes the terminating NUL */
	if (cmdline_max > BOOT_LOW_END - BOOT_CMDLINE_ADDR - 1)
		cmdline_max = BOOT_LOW_END - BOOT_CMDLINE_ADDR - 1;
	if (cmdline_len > cmdline_max)
		return boot_error(err, "%s: kernel command line is %zu bytes, this kernel accepts at most %u",
				  name, cmdline_len, cmdline_max);

	uint64_t pm_file = in->kernel_len - h.setup_size, pm_size = pm_file;
	if ((uint64_t)h.syssize * 16 > pm_size)
		pm_size = (uint64_t)h.syssize * 16; /* the rounding tolerated above */
	uint64_t kernel_end = kernel_footprint_end(&h, pm_size);
	if (kernel_end > ram_size) {
		char a[32], b[32];
		return boot_error(err, "%s: kernel needs %s of guest RAM to decompress and run, guest has %s",
				  name, boot_size_str(boot_align_up(kernel_end, 1u << 20), a),
				  boot_size_str(ram_size, b));
	}

	uint32_t initrd_addr = 0;
	if (in->initrd && in->initrd_len > 0 &&
	    place_initrd(in, &h, ram_size, kernel_end, &initrd_addr, err) < 0)
		return -1;

	memcpy(ram + KERNEL_ADDR, in->kernel + h.setup_size, pm_file);
	memset(ram + KERNEL_ADDR + pm_file, 0, pm_size - pm_file);
	if (initrd_addr)
		memcpy(ram + initrd_addr, in->initrd, in->initrd_len);
	memcpy(ram + BOOT_CMDLINE_ADDR, cmdline, cmdline_len + 1);
	write_zero_page(ram, ram_size, in, &h, initrd_addr);

	/* boot.rst: ESI = boot_params; EBP, EDI, EBX zero; CS/DS = __BOOT_CS/DS. */
	boot_flat_protected_mode(ram, out, KERNEL_ADDR);
	out->gpr[6] = BOOT_INFO_ADDR;
	return 0;
}
