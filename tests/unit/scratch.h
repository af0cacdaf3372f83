/*
 * A scratch directory under /tmp for tests that need real files (disk
 * images, key files, descriptors to hand over).  One at a time: a test
 * makes it, works in it, and removes it with everything inside.
 */
#ifndef CORDON_TESTS_SCRATCH_H
#define CORDON_TESTS_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

extern char scratch_dir[64];

/* mkdtemp("/tmp/PREFIX-XXXXXX") into scratch_dir; false on failure. */
bool scratch_make(const char *prefix);
/* rm -rf scratch_dir (a test failure if that fails). */
void scratch_remove(void);
/* out = scratch_dir/name. */
void scratch_path(char *out, size_t cap, const char *name);
/* Creates or truncates path (mode 0600) and writes len bytes. */
bool scratch_write(const char *path, const void *buf, size_t len);
/* Creates or truncates path (mode 0600) to size bytes (sparse). */
bool scratch_sized(const char *path, off_t size);
/* The smallest bzImage the kernel loader takes, at path. */
bool scratch_bzimage(const char *path);

#endif
