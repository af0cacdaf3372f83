/*
 * Fuzz target: the Multiboot v1 loader (src/boot/multiboot.c), ELF32 or
 * a.out-kludge image bytes as input, into 1..5 MiB of guest RAM
 * (tests/fuzz/lib/bootrig.h), with a module for odd-length inputs.
 *
 * A file with a Multiboot header is either refused with one message
 * naming the kernel or the module, or loaded so that EAX holds the boot
 * magic, EBX a boot information block inside RAM whose module and memory
 * map lie inside RAM, the entry point inside RAM, and nothing was written
 * outside RAM (ASan guards the rest of the block).
 *
 * fuzz-plant: src/boot/multiboot.c
 * fuzz-plant-from: if (end > ram_size) {
 * fuzz-plant-to: if (end > (uint64_t)ram_size * 2) {
 * fuzz-options: -max_len=65536
 */
#include "bootrig.h"

#define MB_MAGIC 0x2badb002u
#define MBI_FLAGS 0
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48

static void check_info(const struct bootrig *r, const struct boot_state *st)
{
	uint32_t mbi = st->gpr[3];
	FUZZ_CHECK(st->gpr[0] == MB_MAGIC, "EAX %#x", st->gpr[0]);
	FUZZ_CHECK((uint64_t)mbi + 88 <= r->ram_size, "boot information at %#x", mbi);
	const uint8_t *p = r->ram + mbi;
	uint32_t nmods = boot_get32(p, 88, MBI_MODS_COUNT), mods = boot_get32(p, 88, MBI_MODS_ADDR);
	FUZZ_CHECK(nmods == (r->in.initrd ? 1u : 0u), "%u modules", nmods);
	if (nmods) {
		FUZZ_CHECK((uint64_t)mods + 16 <= r->ram_size, "module list at %#x", mods);
		uint32_t start = boot_get32(r->ram, r->ram_size, mods), end = boot_get32(r->ram, r->ram_size, mods + 4);
		FUZZ_CHECK(start >= BOOT_HIGH_START && start <= end && end <= r->ram_size &&
			   end - start == r->in.initrd_len &&
			   memcmp(r->ram + start, r->in.initrd, r->in.initrd_len) == 0,
			   "module at %#x..%#x", start, end);
	}
	uint32_t mmap = boot_get32(p, 88, MBI_MMAP_ADDR), mmap_len = boot_get32(p, 88, MBI_MMAP_LENGTH);
	FUZZ_CHECK((uint64_t)mmap + mmap_len <= r->ram_size, "memory map at %#x + %u", mmap, mmap_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootrig r;
	bootrig_begin(&r, data, size);
	long off = boot_find_multiboot(r.in.kernel, r.in.kernel_len);
	if (off >= 0) {
		FUZZ_CHECK((size_t)off + 12 <= size && off % 4 == 0 && off < 8192,
			   "header found at %ld in %zu bytes", off, size);
		struct boot_state st;
		if (boot_load_multiboot(r.ram, r.ram_size, &r.in, off, &st, r.err) == 0) {
			bootrig_check_state(&r, &st);
			check_info(&r, &st);
		} else {
			bootrig_check_error(&r);
		}
	}
	bootrig_end(&r);
	return 0;
}
