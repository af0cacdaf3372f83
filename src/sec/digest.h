/*
 * SHA-256 through OpenSSL, in the shape the transfer code wants (struct
 * xfer_hash, xfer/stream.h), for the host side: the guard and the
 * supervisor.  The guest tools bring their own (guest/sha256.c).
 */
#ifndef CORDON_SEC_DIGEST_H
#define CORDON_SEC_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "xfer/stream.h"

struct digest {
	void *md; /* EVP_MD_CTX, made on first use */
};

/* A hash backed by d; digest_free(d) when done.  The first init fetches
 * SHA-256 from OpenSSL, which may read its configuration: do one before
 * entering a sandbox (digest_warm_up). */
struct xfer_hash digest_hash(struct digest *d);
void digest_free(struct digest *d);
/* 0, or -1 when OpenSSL cannot give SHA-256. */
int digest_warm_up(void);
void digest_hex(const uint8_t d[XFER_DIGEST_LEN], char out[2 * XFER_DIGEST_LEN + 1]);
/* Parses 64 hex digits; 0, or -1. */
int digest_from_hex(const char *hex, uint8_t d[XFER_DIGEST_LEN]);

#endif
