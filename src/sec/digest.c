/* SHA-256 for the transfer code, through OpenSSL; see digest.h. */
#include "sec/digest.h"

#include <string.h>

#include <openssl/evp.h>

static void d_init(void *ctx)
{
	struct digest *d = ctx;
	if (!d->md)
		d->md = EVP_MD_CTX_new();
	if (d->md)
		EVP_DigestInit_ex(d->md, EVP_sha256(), NULL);
}

static void d_update(void *ctx, const void *data, size_t len)
{
	struct digest *d = ctx;
	if (d->md)
		EVP_DigestUpdate(d->md, data, len);
}

/* Without a context (out of memory) the digest is all zeros, which never
 * matches a real one: the transfer is refused, not passed. */
static void d_final(void *ctx, uint8_t out[XFER_DIGEST_LEN])
{
	struct digest *d = ctx;
	memset(out, 0, XFER_DIGEST_LEN);
	if (d->md)
		EVP_DigestFinal_ex(d->md, out, NULL);
}

struct xfer_hash digest_hash(struct digest *d)
{
	d->md = NULL;
	return (struct xfer_hash){ d_init, d_update, d_final, d };
}

void digest_free(struct digest *d)
{
	EVP_MD_CTX_free(d->md);
	d->md = NULL;
}

int digest_warm_up(void)
{
	uint8_t out[XFER_DIGEST_LEN];
	unsigned len = 0;
	return EVP_Digest("", 0, out, &len, EVP_sha256(), NULL) == 1 && len == XFER_DIGEST_LEN ? 0 : -1;
}

void digest_hex(const uint8_t d[XFER_DIGEST_LEN], char out[2 * XFER_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < XFER_DIGEST_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * XFER_DIGEST_LEN] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int digest_from_hex(const char *hex, uint8_t d[XFER_DIGEST_LEN])
{
	if (strlen(hex) != 2 * XFER_DIGEST_LEN)
		return -1;
	for (unsigned i = 0; i < XFER_DIGEST_LEN; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
