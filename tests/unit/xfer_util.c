/* Transfer test helpers; see xfer_util.h. */
#include "xfer_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static void sha_init(void *ctx)
{
	struct xu_sha *s = ctx;
	if (!s->md)
		s->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
}

static void sha_update(void *ctx, const void *data, size_t len)
{
	struct xu_sha *s = ctx;
	EVP_DigestUpdate(s->md, data, len);
}

static void sha_final(void *ctx, uint8_t digest[XFER_DIGEST_LEN])
{
	struct xu_sha *s = ctx;
	EVP_DigestFinal_ex(s->md, digest, NULL);
}

struct xfer_hash xu_hash(struct xu_sha *s)
{
	s->md = NULL;
	return (struct xfer_hash){ sha_init, sha_update, sha_final, s };
}

void xu_sha_free(struct xu_sha *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

void xu_sha256(const void *data, size_t len, uint8_t out[XFER_DIGEST_LEN])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

void xu_put(struct xu_buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void xu_free(struct xu_buf *b)
{
	free(b->p);
	*b = (struct xu_buf){ 0 };
}

void xu_file(struct xu_buf *b, const char *name, uint16_t mode, const void *data, size_t len)
{
	uint8_t hdr[XFER_FILE_LEN + XFER_NAME_MAX], tr[XFER_TRAILER_LEN], d[XFER_DIGEST_LEN];
	xu_put(b, hdr, xfer_put_file(hdr, name, mode, len));
	xu_put(b, data, len);
	xu_sha256(data, len, d);
	xu_put(b, tr, xfer_put_trailer(tr, d));
}

void xu_transfer(struct xu_buf *b, const char *vm, uint32_t n)
{
	uint8_t hdr[XFER_HEADER_LEN + XFER_VM_MAX], end[XFER_END_LEN];
	xu_put(b, hdr, xfer_put_header(hdr, vm, n));
	for (uint32_t k = 0; k < n; k++) {
		char name[32], data[32];
		snprintf(name, sizeof(name), "f%u", k);
		snprintf(data, sizeof(data), "data %u", k);
		xu_file(b, name, XFER_MODE_FILE, data, strlen(data));
	}
	xu_put(b, end, xfer_put_end(end, n));
}
