/*
 * Fuzz target: opening a LUKS header (src/disk/luks.c, through
 * libcryptsetup) on arbitrary bytes, handed over as a memfd's
 * /proc/self/fd path.  The input is the start of the image; the memfd is
 * then extended (sparsely, with zeros) to 16 MiB, so headers whose data
 * area and key slots lie beyond the input are not refused as truncated.  Both luks_probe and luks_unlock run; unlock gets
 * no room for a key, so it goes through every check of the header that
 * cordon makes (cipher, key and sector size, data offset, LUKS2
 * requirements and integrity) and stops before the key derivation, whose
 * cost the header itself sets (see docs/testing.md).
 *
 * Every call must fail cleanly or succeed within luks.h's promises: one
 * message naming the path, never "not a LUKS image" for bytes that start
 * with the LUKS magic, and no success for bytes that do not; a probed
 * header of version 1 or 2, NUL-terminated strings, at most 32 key slots.
 *
 * fuzz-plant: src/disk/luks.c
 * fuzz-plant-from: memcmp(first, LUKS_MAGIC, LUKS_MAGIC_LEN) == 0;
 * fuzz-plant-to: memcmp(first, LUKS_MAGIC, LUKS_MAGIC_LEN) != 0;
 * fuzz-options: -max_len=65536 -timeout=30
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "disk/luks.h"
#include "host/host.h"

#define IMAGE_SIZE (16 << 20)

static const uint8_t magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };

static void check_error(const char *path, const char *err, bool is_luks)
{
	size_t n = strlen(path);
	FUZZ_CHECK(memchr(err, '\0', HOST_ERRLEN) && strncmp(err, path, n) == 0 &&
		   strncmp(err + n, ": ", 2) == 0 && err[n + 2], "message: %.200s", err);
	FUZZ_CHECK(!is_luks || strcmp(err + n, ": not a LUKS image") != 0,
		   "%s for bytes with the LUKS magic", err);
}

static void check_info(const struct luks_info *info)
{
	FUZZ_CHECK(info->version == 1 || info->version == 2, "version %d", info->version);
	FUZZ_CHECK(memchr(info->cipher, '\0', sizeof(info->cipher)) &&
		   memchr(info->mode, '\0', sizeof(info->mode)) &&
		   memchr(info->uuid, '\0', sizeof(info->uuid)), "unterminated strings");
	FUZZ_CHECK(info->keyslots_active >= 0 && info->keyslots_active <= 32, "%d key slots",
		   info->keyslots_active);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-luks", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && (size == 0 || write(fd, data, size) == (ssize_t)size) &&
		   ftruncate(fd, IMAGE_SIZE) == 0, "memfd");
	char path[64], err[HOST_ERRLEN];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	bool is_luks = size >= sizeof(magic) && memcmp(data, magic, sizeof(magic)) == 0;

	struct luks_info info;
	memset(err, 'X', sizeof(err));
	if (luks_probe(path, &info, err) == 0) {
		FUZZ_SAY("probe: LUKS%d %s-%s, %u-byte key\n", info.version, info.cipher, info.mode,
			 info.key_size);
		FUZZ_CHECK(is_luks, "probe took bytes without the magic");
		check_info(&info);
	} else {
		FUZZ_SAY("probe: %s\n", err);
		check_error(path, err, is_luks);
	}

	uint8_t key[LUKS_MAX_KEY];
	size_t key_len = 99;
	memset(err, 'X', sizeof(err));
	int rc = luks_unlock(path, (const uint8_t *)"fuzz", 4, &info, key, 0, &key_len, err);
	FUZZ_SAY("unlock: %s\n", err);
	FUZZ_CHECK(rc == -1 && key_len == 0, "unlock with no room for a key: rc %d, %zu bytes", rc,
		   key_len);
	check_error(path, err, is_luks);
	close(fd);
	return 0;
}
