/*
 * Guest code assembled byte by byte by the engine tests that need more
 * than a fixed array (loops, calls patched after the fact): PUT appends
 * bytes, put32 a dword, fix_rel32 patches a rel32 once its target is
 * known.  Bytes past the buffer are dropped, so a test that outgrows it
 * fails on what it runs, not on memory.
 */
#ifndef CORDON_TESTS_CODEBUF_H
#define CORDON_TESTS_CODEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct code {
	uint8_t b[0x60000];
	size_t n;
};

static inline void put(struct code *c, const void *bytes, size_t n)
{
	if (c->n + n <= sizeof(c->b)) {
		memcpy(c->b + c->n, bytes, n);
		c->n += n;
	}
}

#define PUT(c, ...) put((c), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static inline void put32(struct code *c, uint32_t v)
{
	put(c, &v, 4);
}

/* A rel32 at `at` (the offset in c of its 4 bytes) to offset `to`. */
static inline void fix_rel32(struct code *c, size_t at, size_t to)
{
	uint32_t rel = (uint32_t)(to - (at + 4));
	memcpy(c->b + at, &rel, 4);
}

#endif
