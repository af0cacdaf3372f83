/*
 * AES-XTS sector cipher for encrypted disk images (IEEE 1619), with the
 * "plain64" IV of dm-crypt and LUKS: the sector number as a 64-bit
 * little-endian integer, zero-padded to the 16-byte tweak.
 *
 * One struct xts holds a key for both directions.  The key is split in
 * two halves (data key, tweak key): 32 bytes select AES-128-XTS, 64 bytes
 * AES-256-XTS.  Every sector is one XTS data unit of sector_size bytes,
 * so sector_size is also the unit the caller must encrypt at a time.
 *
 * IVs count 512-byte sectors whatever the sector size, as dm-crypt does
 * by default and as LUKS1 and LUKS2 always do: a 4096-byte sector's IV is
 * the number of its first 512-byte sector, so consecutive 4096-byte
 * sectors step the IV by 8.  (dm-crypt's "iv_large_sectors", counting in
 * sector_size units, is a plain-mode option LUKS never uses; checked
 * against cryptsetup's own data path in tests/unit/test_disk_image.c.)
 *
 * The expanded keys live only in OpenSSL's cipher contexts (no copy of
 * the raw key is kept); xts_free frees them, and EVP_CIPHER_CTX_free
 * cleanses the key schedule before releasing it.
 */
#ifndef CORDON_DISK_XTS_H
#define CORDON_DISK_XTS_H

#include <stddef.h>
#include <stdint.h>

#define XTS_ERRLEN 256

struct xts;

/* key_len 32 or 64, sector_size 512 or 4096; the two key halves must
 * differ (IEEE 1619 and OpenSSL refuse a key whose halves are equal).
 * NULL with a one-line reason in err (XTS_ERRLEN bytes). */
struct xts *xts_new(const uint8_t *key, size_t key_len, unsigned sector_size, char *err);
void xts_free(struct xts *x);

/* Encrypts or decrypts len bytes (a non-zero multiple of sector_size)
 * that start at 512-byte sector first_sector: sector i of the buffer uses
 * IV first_sector + i * (sector_size / 512).  in == out is allowed;
 * other overlaps are not.  0, or -1 on a bad length or an OpenSSL
 * failure (out is then unspecified). */
int xts_encrypt(struct xts *x, uint64_t first_sector, const uint8_t *in, uint8_t *out, size_t len);
int xts_decrypt(struct xts *x, uint64_t first_sector, const uint8_t *in, uint8_t *out, size_t len);

#endif
