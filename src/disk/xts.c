/*
 * AES-XTS over OpenSSL's EVP interface.
 *
 * Each context is keyed once at xts_new; per sector only the IV changes,
 * which EVP_CipherInit_ex accepts without a key (the key schedule stays).
 * One EVP_CipherUpdate call is one XTS data unit, so a buffer is fed to
 * OpenSSL a sector at a time.
 */
#include "disk/xts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define XTS_IV_LEN 16
#define IV_UNIT 512 /* bytes one IV step covers, for every sector size */

struct xts {
	EVP_CIPHER_CTX *enc, *dec;
	unsigned sector_size;
};

static bool valid_sector_size(unsigned s)
{
	return s == 512 || s == 4096;
}

static EVP_CIPHER_CTX *keyed_context(const EVP_CIPHER *cipher, const uint8_t *key, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return NULL;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, NULL, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct xts *xts_new(const uint8_t *key, size_t key_len, unsigned sector_size, char *err)
{
	const EVP_CIPHER *cipher;
	if (key_len == 32)
		cipher = EVP_aes_128_xts();
	else if (key_len == 64)
		cipher = EVP_aes_256_xts();
	else {
		snprintf(err, XTS_ERRLEN, "aes-xts key of %zu bytes (only 32 or 64)", key_len);
		return NULL;
	}
	if (!valid_sector_size(sector_size)) {
		snprintf(err, XTS_ERRLEN, "aes-xts sector size %u (only 512 or 4096)", sector_size);
		return NULL;
	}
	/* XTS is insecure with equal halves; OpenSSL refuses such a key for
	 * encryption only, so check here to refuse it for both directions. */
	if (CRYPTO_memcmp(key, key + key_len / 2, key_len / 2) == 0) {
		snprintf(err, XTS_ERRLEN, "aes-xts key halves are identical");
		return NULL;
	}
	struct xts *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, XTS_ERRLEN, "out of memory");
		return NULL;
	}
	x->sector_size = sector_size;
	x->enc = keyed_context(cipher, key, 1);
	x->dec = keyed_context(cipher, key, 0);
	if (!x->enc || !x->dec) {
		snprintf(err, XTS_ERRLEN, "OpenSSL refused the aes-xts key");
		xts_free(x);
		return NULL;
	}
	return x;
}

void xts_free(struct xts *x)
{
	if (!x)
		return;
	EVP_CIPHER_CTX_free(x->enc); /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(x->dec);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

/* plain64: the sector number, little-endian, in the first 8 tweak bytes. */
static void plain64_iv(uint64_t sector, uint8_t iv[XTS_IV_LEN])
{
	memset(iv, 0, XTS_IV_LEN);
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(sector >> (8 * i));
}

static int crypt_sectors(struct xts *x, EVP_CIPHER_CTX *ctx, uint64_t first_sector,
			 const uint8_t *in, uint8_t *out, size_t len)
{
	size_t s = x->sector_size;
	if (len == 0 || len % s)
		return -1;
	uint8_t iv[XTS_IV_LEN];
	for (size_t done = 0; done < len; done += s, first_sector += s / IV_UNIT) {
		int outl = 0;
		plain64_iv(first_sector, iv);
		if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1 ||
		    EVP_CipherUpdate(ctx, out + done, &outl, in + done, (int)s) != 1 ||
		    (size_t)outl != s)
			return -1;
	}
	return 0;
}

int xts_encrypt(struct xts *x, uint64_t first_sector, const uint8_t *in, uint8_t *out, size_t len)
{
	return crypt_sectors(x, x->enc, first_sector, in, out, len);
}

int xts_decrypt(struct xts *x, uint64_t first_sector, const uint8_t *in, uint8_t *out, size_t len)
{
	return crypt_sectors(x, x->dec, first_sector, in, out, len);
}
