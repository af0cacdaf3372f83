/*
 * LUKS headers through libcryptsetup (see disk/luks.h for why locking is
 * off and why libcryptsetup may open files here).
 */
#include "disk/luks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>

#include "host/host.h"

#define LUKS_MAGIC "LUKS\xba\xbe"
#define LUKS_MAGIC_LEN 6
#define LUKS_SECTOR 512u

/* The last error libcryptsetup logged, for failures we cannot name better. */
struct cs_log {
	char last[160];
};

static void collect_log(int level, const char *msg, void *opaque)
{
	struct cs_log *log = opaque;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(log->last, sizeof(log->last), "%s", msg);
	log->last[strcspn(log->last, "\n")] = '\0';
}

/* Checks, through the host layer, that path is a readable image that
 * starts with the LUKS magic.  libcryptsetup would say "not a valid LUKS
 * device" for a missing file and a damaged header alike; this check lets
 * us tell the user which one it is. */
static int check_magic(const char *path, char *err)
{
	struct host_disk *d = host_disk_open(path, true, err);
	if (!d)
		return -1;
	uint8_t first[LUKS_SECTOR];
	bool luks = host_disk_read(d, first, sizeof(first), 0) == 0 &&
		    memcmp(first, LUKS_MAGIC, LUKS_MAGIC_LEN) == 0;
	host_disk_close(d);
	if (!luks) {
		snprintf(err, HOST_ERRLEN, "%s: not a LUKS image", path);
		return -1;
	}
	return 0;
}

static int count_active_keyslots(struct crypt_device *cd)
{
	int n = 0, max = crypt_keyslot_max(crypt_get_type(cd));
	for (int slot = 0; slot < max; slot++) {
		crypt_keyslot_info st = crypt_keyslot_status(cd, slot);
		if (st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST)
			n++;
	}
	return n;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void fill_info(struct crypt_device *cd, struct luks_info *info)
{
	memset(info, 0, sizeof(*info));
	const char *type = crypt_get_type(cd);
	info->version = type && strcmp(type, CRYPT_LUKS1) == 0 ? 1 : 2;
	copy_str(info->cipher, sizeof(info->cipher), crypt_get_cipher(cd));
	copy_str(info->mode, sizeof(info->mode), crypt_get_cipher_mode(cd));
	int key_size = crypt_get_volume_key_size(cd);
	info->key_size = key_size > 0 ? (unsigned)key_size : 0;
	int sector = crypt_get_sector_size(cd);
	info->sector_size = sector > 0 ? (unsigned)sector : LUKS_SECTOR;
	info->data_offset = crypt_get_data_offset(cd) * LUKS_SECTOR;
	info->keyslots_active = count_active_keyslots(cd);
	copy_str(info->uuid, sizeof(info->uuid), crypt_get_uuid(cd));
}

/* Loads the header at path into a fresh context.  The caller crypt_free()s
 * *cdp, after which nothing refers to log. */
static int load_header(const char *path, struct crypt_device **cdp, struct cs_log *log, char *err)
{
	*cdp = NULL;
	if (check_magic(path, err) < 0)
		return -1;
	crypt_metadata_locking(NULL, 0); /* library-wide; see luks.h */
	struct crypt_device *cd;
	int r = crypt_init(&cd, path);
	if (r < 0) {
		snprintf(err, HOST_ERRLEN, "%s: cannot open: %s", path, strerror(-r));
		return -1;
	}
	crypt_set_log_callback(cd, collect_log, log);
	*cdp = cd;
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS header is damaged or truncated", path);
		return -1;
	}
	return 0;
}

int luks_probe(const char *path, struct luks_info *info, char *err)
{
	struct crypt_device *cd;
	struct cs_log log = { "" };
	int r = load_header(path, &cd, &log, err);
	if (r == 0)
		fill_info(cd, info);
	crypt_free(cd);
	return r;
}

/* --- what the data path can serve ---------------------------------------- */

static int check_cipher(const char *path, const struct luks_info *info, char *err)
{
	if (strcmp(info->cipher, "aes") != 0 || strcmp(info->mode, "xts-plain64") != 0) {
		snprintf(err, HOST_ERRLEN, "%s: cipher %s-%s is not supported (only aes-xts-plain64)",
			 path, info->cipher, info->mode);
		return -1;
	}
	if (info->key_size != 32 && info->key_size != 64) {
		snprintf(err, HOST_ERRLEN,
			 "%s: aes-xts-plain64 with a %u-bit key is not supported (only 256 or 512)",
			 path, info->key_size * 8);
		return -1;
	}
	if (info->sector_size != 512 && info->sector_size != 4096) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS sector size %u is not supported (only 512 or 4096)",
			 path, info->sector_size);
		return -1;
	}
	if (info->data_offset == 0) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS header has no data area (detached header?)", path);
		return -1;
	}
	return 0;
}

/* LUKS2 only: integrity tags and unfinished reencryption change the data
 * layout in ways the plain XTS path cannot follow. */
static int check_luks2_extras(struct crypt_device *cd, const char *path, char *err)
{
	uint32_t req = 0;
	if (crypt_persistent_flags_get(cd, CRYPT_FLAGS_REQUIREMENTS, &req) < 0 || req) {
		snprintf(err, HOST_ERRLEN,
			 "%s: LUKS2 header has unmet requirements (unfinished reencryption?); "
			 "finish it with cryptsetup first", path);
		return -1;
	}
	struct crypt_params_integrity ip;
	memset(&ip, 0, sizeof(ip));
	if (crypt_get_integrity_info(cd, &ip) == 0 && (ip.tag_size || (ip.integrity && *ip.integrity))) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS2 with integrity protection (%s) is not supported",
			 path, ip.integrity ? ip.integrity : "tags");
		return -1;
	}
	return 0;
}

static void key_error(const char *path, int r, const struct cs_log *log, char *err)
{
	if (r == -EPERM)
		snprintf(err, HOST_ERRLEN, "%s: wrong passphrase or damaged key slot (no key slot opened)", path);
	else if (r == -ENOENT)
		snprintf(err, HOST_ERRLEN, "%s: no usable LUKS key slot", path);
	else if (r == -ENOMEM)
		snprintf(err, HOST_ERRLEN, "%s: not enough memory to derive the LUKS key", path);
	else
		snprintf(err, HOST_ERRLEN, "%s: cannot unlock: %s", path,
			 log->last[0] ? log->last : strerror(-r));
}

static int get_volume_key(struct crypt_device *cd, const char *path, const uint8_t *pass,
			  size_t pass_len, uint8_t *key, size_t key_cap, size_t *key_len,
			  const struct cs_log *log, char *err)
{
	size_t size = key_cap;
	int r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *)key, &size, (const char *)pass,
				     pass_len);
	if (r < 0) {
		OPENSSL_cleanse(key, key_cap);
		key_error(path, r, log, err);
		return -1;
	}
	*key_len = size;
	return 0;
}

int luks_unlock(const char *path, const uint8_t *pass, size_t pass_len, struct luks_info *info,
		uint8_t *key, size_t key_cap, size_t *key_len, char *err)
{
	struct crypt_device *cd;
	struct cs_log log = { "" };
	*key_len = 0;
	int r = load_header(path, &cd, &log, err);
	if (r == 0) {
		fill_info(cd, info);
		r = check_cipher(path, info, err);
	}
	if (r == 0 && info->version == 2)
		r = check_luks2_extras(cd, path, err);
	if (r == 0 && key_cap < info->key_size) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS volume key of %u bytes does not fit", path,
			 info->key_size);
		r = -1;
	}
	if (r == 0)
		r = get_volume_key(cd, path, pass, pass_len, key, key_cap, key_len, &log, err);
	crypt_free(cd);
	return r;
}
