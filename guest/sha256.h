/*
 * SHA-256 (FIPS 180-4) for the guest tools, which are static i386
 * programs with nothing but the C library: cordon's host side uses
 * OpenSSL instead.  tests/unit/test_guest_sha256.c checks this one
 * against OpenSSL.
 */
#ifndef CORDON_GUEST_SHA256_H
#define CORDON_GUEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);

#endif
