/*
 * Helpers for the transfer tests: a one-shot SHA-256, and a builder that
 * writes transfer streams, well-formed or broken on purpose.  (The
 * checker's hash is sec/digest.h's.)
 */
#ifndef CORDON_TESTS_XFER_UTIL_H
#define CORDON_TESTS_XFER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "xfer/stream.h"

void xu_sha256(const void *data, size_t len, uint8_t out[XFER_DIGEST_LEN]);

/* A growing byte buffer. */
struct xu_buf {
	uint8_t *p;
	size_t len, cap;
};
void xu_put(struct xu_buf *b, const void *data, size_t len);
void xu_free(struct xu_buf *b);

/* Appends a whole well-formed file record: header, data and, in an inbox
 * stream, the trailer. */
void xu_file(struct xu_buf *b, enum xfer_kind kind, const char *name, uint16_t mode,
	     const void *data, size_t len);
/* A well-formed transfer (to or from vm) of n files named f0..f(n-1)
 * holding "data k". */
void xu_transfer(struct xu_buf *b, enum xfer_kind kind, const char *vm, uint32_t n);

#endif
