/*
 * Reading the header of a LUKS-encrypted image file with libcryptsetup:
 * LUKS1 (what `qemu-img create -f luks` writes) and LUKS2 (cryptsetup's
 * default).  cordon parses no header and derives no key itself; this file
 * only asks libcryptsetup and checks that the answer is something the
 * data path (disk/image.c, disk/xts.c) can serve: aes-xts-plain64 with a
 * 32- or 64-byte key, 512- or 4096-byte encryption sectors, no integrity
 * tags, no unfinished reencryption.
 *
 * libcryptsetup opens the image file itself: the one exception to "only
 * src/host calls the OS".  Nothing here writes to the image.  To make
 * sure of that, libcryptsetup's metadata locking is switched off for the
 * whole process (a library-wide switch): with locking on, loading a
 * LUKS2 header whose second copy is damaged silently rewrites it
 * ("auto-recovery"), and its shared lock would also wait forever on the
 * exclusive flock cordon holds on a read-write disk.  The flock is what
 * keeps other writers away while cordon runs.
 *
 * libcryptsetup's log messages are collected, not printed, so cordon
 * reports one line of its own.  Errors name the path, e.g.
 * "PATH: not a LUKS image", "PATH: LUKS header is damaged or truncated",
 * "PATH: wrong passphrase or damaged key slot (no key slot opened)",
 * "PATH: cipher aes-cbc-essiv:sha256 is not supported (only aes-xts-plain64)".
 */
#ifndef CORDON_DISK_LUKS_H
#define CORDON_DISK_LUKS_H

#include <stddef.h>
#include <stdint.h>

#define LUKS_MAX_KEY 64 /* bytes: the largest aes-xts volume key */

struct luks_info {
	int version;               /* 1 or 2 */
	char cipher[32], mode[32]; /* e.g. "aes", "xts-plain64" */
	unsigned key_size;         /* volume key, bytes */
	unsigned sector_size;      /* encryption sector: 512 (always for LUKS1) or 4096 */
	uint64_t data_offset;      /* bytes from the start of the file to sector 0 */
	int keyslots_active;
	char uuid[40];
};

/* What the data path needs to serve a LUKS image without libcryptsetup:
 * the geometry and the raw volume key, as luks_unlock returns them. */
struct luks_key {
	struct luks_info info;
	uint8_t key[LUKS_MAX_KEY];
	size_t key_len;
};

/* Reads the header of the image at path (no passphrase, no secrets) and
 * fills info, whatever the cipher.  0, or -1 with err (HOST_ERRLEN). */
int luks_probe(const char *path, struct luks_info *info, char *err);

/* Opens a key slot with the passphrase, checks that cordon supports the
 * format (see above), fills info and copies the volume key into key
 * (key_cap >= LUKS_MAX_KEY; *key_len set).  The passphrase is handed to
 * libcryptsetup as is and not copied.  On failure key holds nothing.
 * 0, or -1 with err (HOST_ERRLEN). */
int luks_unlock(const char *path, const uint8_t *pass, size_t pass_len, struct luks_info *info,
		uint8_t *key, size_t key_cap, size_t *key_len, char *err);

#endif
