/*
 * Fuzz target: the Linux bzImage loader (src/boot/linux.c), image bytes as
 * input, into 1..5 MiB of guest RAM (tests/fuzz/lib/bootrig.h), with an
 * initrd for odd-length inputs.
 *
 * A file the probe takes as a bzImage is either refused with one message
 * naming the kernel or the initrd, or laid out so that the kernel starts
 * at 1 MiB in flat protected mode, ESI points at a zero page whose
 * command line and ramdisk lie inside RAM, and nothing was written
 * outside RAM (ASan guards the rest of the block).
 *
 * fuzz-plant: src/boot/linux.c
 * fuzz-plant-from: if (kernel_end > ram_size) {
 * fuzz-plant-to: if (kernel_end > (uint64_t)ram_size * 2) {
 * fuzz-options: -max_len=65536
 */
#include "bootrig.h"

#define ZP_CMD_LINE_PTR 0x228
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c

static void check_zero_page(const struct bootrig *r, const struct boot_state *st)
{
	const uint8_t *zp = r->ram + st->gpr[6];
	FUZZ_CHECK(st->gpr[6] == BOOT_INFO_ADDR, "ESI %#x", st->gpr[6]);
	FUZZ_CHECK(st->eip == BOOT_HIGH_START, "entry %#x, not 1 MiB", st->eip);
	uint32_t cmdline = boot_get32(zp, 4096, ZP_CMD_LINE_PTR);
	FUZZ_CHECK(cmdline < r->ram_size && memchr(r->ram + cmdline, 0, r->ram_size - cmdline),
		   "command line at %#x", cmdline);
	uint32_t rd = boot_get32(zp, 4096, ZP_RAMDISK_IMAGE), rd_len = boot_get32(zp, 4096, ZP_RAMDISK_SIZE);
	FUZZ_CHECK((uint64_t)rd + rd_len <= r->ram_size, "ramdisk %#x + %u outside RAM", rd, rd_len);
	FUZZ_CHECK(!r->in.initrd || (rd >= BOOT_HIGH_START && rd_len == r->in.initrd_len &&
				     memcmp(r->ram + rd, r->in.initrd, rd_len) == 0),
		   "initrd not where the zero page says (%#x, %u bytes)", rd, rd_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootrig r;
	bootrig_begin(&r, data, size);
	if (boot_is_linux(r.in.kernel, r.in.kernel_len)) {
		struct boot_state st;
		if (boot_load_linux(r.ram, r.ram_size, &r.in, &st, r.err) == 0) {
			bootrig_check_state(&r, &st);
			check_zero_page(&r, &st);
		} else {
			bootrig_check_error(&r);
		}
	}
	bootrig_end(&r);
	return 0;
}
