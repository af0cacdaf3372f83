/* Guest RAM and inputs for the boot-loader fuzz targets; see bootrig.h. */
#include "bootrig.h"

#include <sanitizer/asan_interface.h>

#define RAM_CAP ((1u << 20) + 255u * (16u << 10))
#define INITRD_LEN 3000

static uint8_t *ram;
static uint8_t initrd[INITRD_LEN];

void bootrig_begin(struct bootrig *r, const uint8_t *data, size_t size)
{
	if (!ram) {
		ram = malloc(RAM_CAP);
		if (!ram)
			abort();
		memset(initrd, 0xa5, sizeof(initrd));
	}
	memset(r, 0, sizeof(*r));
	r->ram = ram;
	r->ram_size = (1u << 20) + (size ? data[size - 1] : 0) * (16u << 10);
	ASAN_UNPOISON_MEMORY_REGION(ram, RAM_CAP);
	ASAN_POISON_MEMORY_REGION(ram + r->ram_size, RAM_CAP - r->ram_size);
	uint8_t *k = malloc(size ? size : 1); /* exact size */
	if (!k)
		abort();
	memcpy(k, data, size);
	r->in = (struct boot_input){
		.kernel = k, .kernel_len = size, .kernel_name = "fuzz-kernel",
		.initrd = size & 1 ? initrd : NULL, .initrd_len = size & 1 ? INITRD_LEN : 0,
		.initrd_name = size & 1 ? "fuzz-initrd" : NULL,
		.cmdline = "console=ttyS0 fuzz",
	};
}

void bootrig_check_state(const struct bootrig *r, const struct boot_state *st)
{
	FUZZ_CHECK(st->eip < r->ram_size, "entry point %#x outside %u bytes of RAM", st->eip,
		   r->ram_size);
	FUZZ_CHECK(st->cr0 & 1, "not in protected mode (CR0 %#x)", st->cr0);
	FUZZ_CHECK(!(st->eflags & 0x200), "interrupts on at entry");
	FUZZ_CHECK(st->seg[1].sel == BOOT_CS && st->seg[1].base == 0, "CS %#x base %#x",
		   st->seg[1].sel, st->seg[1].base);
}

void bootrig_check_error(const struct bootrig *r)
{
	FUZZ_CHECK(fuzz_message_ok(r->err, sizeof(r->err)), "failed without a message");
	FUZZ_CHECK(strncmp(r->err, "fuzz-kernel: ", 13) == 0 || strncmp(r->err, "fuzz-initrd: ", 13) == 0,
		   "message names neither file: %s", r->err);
}

void bootrig_end(struct bootrig *r)
{
	free((void *)r->in.kernel);
	ASAN_UNPOISON_MEMORY_REGION(ram, RAM_CAP);
}
