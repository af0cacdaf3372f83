/*
 * Guest RAM for the boot-loader fuzz targets: one 5 MiB block kept across
 * inputs, of which each input uses 1 MiB + k * 16 KiB (k from the input's
 * last byte); ASan is told the rest is out of bounds, so a loader that
 * writes one byte past the RAM it was given is caught, as with an
 * exact-size block, without allocating megabytes per input.  An initrd
 * of 3000 bytes comes with every odd-length input.
 */
#ifndef CORDON_TESTS_FUZZ_BOOTRIG_H
#define CORDON_TESTS_FUZZ_BOOTRIG_H

#include "fuzz.h"

#include "boot/boot_internal.h"

struct bootrig {
	uint8_t *ram;
	uint32_t ram_size;
	struct boot_input in;
	char err[BOOT_ERRLEN];
};

/* Sets up r for data[0..size): the kernel is a copy of all of it. */
void bootrig_begin(struct bootrig *r, const uint8_t *data, size_t size);
/* The checks every successful load must pass: flat protected mode, the
 * entry point and the stack inside RAM. */
void bootrig_check_state(const struct bootrig *r, const struct boot_state *st);
/* A failed load: one message naming the kernel or the initrd. */
void bootrig_check_error(const struct bootrig *r);
void bootrig_end(struct bootrig *r);

#endif
