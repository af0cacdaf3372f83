/*
 * disk/image.c and disk/luks.c on real image files in a temporary
 * directory: images made by libcryptsetup itself (LUKS2 with 512- and
 * 4096-byte sectors, LUKS1), by `cryptsetup reencrypt` and by
 * `qemu-img`, so both directions of the data path are checked against
 * independent implementations, including the IV convention of LUKS2
 * with 4096-byte sectors (counted in 512-byte units, which cryptsetup's
 * own data path confirms; iv_large_sectors would fail the interop test).  Key slots use PBKDF2 with 1000 iterations to stay fast.
 */
#include "t.h"
#include "scratch.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>

#include "disk/image.h"
#include "disk/luks.h"
#include "host/host.h"

#define PASS "correct horse"
#define MARKER "CORDON-PLAINTEXT" /* 16 bytes at the start of every written 512 */
#define DATA_BYTES (512u * 1024)

static void quiet_log(int level, const char *msg, void *opaque)
{
	(void)level, (void)msg, (void)opaque;
}

static bool sparse_file(const char *path, uint64_t size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		return false;
	bool ok = ftruncate(fd, (off_t)size) == 0;
	close(fd);
	return ok;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	char err[HOST_ERRLEN];
	if (host_read_file(path, 64u << 20, &buf, len, err) < 0)
		t_fail(__FILE__, __LINE__, "%s", err);
	return buf;
}

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return a && b && alen == blen && memcmp(a, b, alen) == 0;
}

/* A fresh LUKS image of DATA_BYTES guest bytes, formatted by libcryptsetup. */
struct fmt {
	const char *type;  /* CRYPT_LUKS1 or CRYPT_LUKS2 */
	const char *mode;  /* "xts-plain64" unless testing a refusal */
	size_t key_bytes;
	unsigned sector;   /* LUKS2 only */
};

static bool format_image(const char *path, const struct fmt *f)
{
	if (!sparse_file(path, (2u << 20) + DATA_BYTES))
		return false;
	struct crypt_device *cd;
	if (crypt_init(&cd, path) < 0)
		return false;
	crypt_set_log_callback(cd, quiet_log, NULL);
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2, .hash = "sha256", .iterations = 1000,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct crypt_params_luks2 p2 = { .sector_size = f->sector };
	struct crypt_params_luks1 p1 = { .hash = "sha256" };
	bool luks2 = strcmp(f->type, CRYPT_LUKS2) == 0;
	int r = crypt_set_pbkdf_type(cd, &pbkdf);
	if (r == 0 && luks2)
		r = crypt_set_metadata_size(cd, 16384, (1u << 20) - 32768);
	if (r == 0)
		r = crypt_format(cd, f->type, "aes", f->mode, NULL, NULL, f->key_bytes,
				 luks2 ? (void *)&p2 : (void *)&p1);
	if (r == 0)
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, PASS, strlen(PASS));
	crypt_free(cd);
	return r >= 0;
}

static struct disk_image *open_luks(const char *path, const char *pass, bool ro, char *err)
{
	struct disk_image_opts o = {
		.path = path, .read_only = ro, .luks = true,
		.passphrase = (const uint8_t *)pass, .passphrase_len = strlen(pass),
	};
	return disk_image_open(&o, err);
}

/* Guest data: MARKER then bytes that depend on the offset and a seed. */
static void pattern(uint8_t *p, size_t len, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((off + i) * 131 + seed + ((off + i) >> 9) * 7);
	for (size_t i = 0; i + 512 <= len; i += 512)
		memcpy(p + i, MARKER, 16);
}

struct span {
	uint64_t off;
	size_t len;
};

/* Writes at 512-aligned offsets that cut 4096-byte sectors and 64 KiB
 * chunks, mirrors them in model, and reads everything back. */
static void exercise(struct disk_image *d, uint8_t *model, uint64_t size)
{
	const struct span spans[] = {
		{ 512, 512 },                    /* inside sector 0 */
		{ 1536, 3 * 512 },               /* inside sector 0 again */
		{ 4096 - 512, 1024 },            /* across a 4096 boundary */
		{ 8 * 4096 + 512, 7 * 512 },     /* tail of one sector */
		{ 65536 - 1024, 65536 + 2048 },  /* across two 64 KiB chunks, ragged ends */
		{ 3 * 65536, 2 * 65536 },        /* aligned, two whole chunks */
		{ size - 512, 512 },             /* the last sector */
	};
	uint8_t *buf = malloc(3 * 65536);
	CHECK(size >= 5 * 65536);
	if (size < 5 * 65536) {
		free(buf);
		return;
	}
	CHECK(disk_image_read(d, model, size, 0) == 0);
	for (unsigned i = 0; buf && i < sizeof(spans) / sizeof(spans[0]); i++) {
		pattern(buf, spans[i].len, spans[i].off, i + 1);
		CHECK_EQ(disk_image_write(d, buf, spans[i].len, spans[i].off), 0);
		memcpy(model + spans[i].off, buf, spans[i].len);
		memset(buf, 0, spans[i].len);
		CHECK_EQ(disk_image_read(d, buf, spans[i].len, spans[i].off), 0);
		CHECK(memcmp(buf, model + spans[i].off, spans[i].len) == 0);
	}
	uint8_t *all = malloc(size);
	CHECK(all && disk_image_read(d, all, size, 0) == 0);
	CHECK(all && memcmp(all, model, size) == 0);
	CHECK_EQ(disk_image_flush(d), 0);
	free(all);
	free(buf);
}

static bool contains(const uint8_t *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static void round_trip(const struct fmt *f, uint64_t want_offset_max)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	CHECK(format_image(path, f));

	struct luks_info info;
	CHECK_EQ(luks_probe(path, &info, err), 0);
	CHECK_EQ(info.version, strcmp(f->type, CRYPT_LUKS1) == 0 ? 1 : 2);
	CHECK_STR(info.cipher, "aes");
	CHECK_STR(info.mode, "xts-plain64");
	CHECK_EQ(info.key_size, f->key_bytes);
	CHECK_EQ(info.sector_size, f->sector);
	CHECK_EQ(info.keyslots_active, 1);
	CHECK_EQ(strlen(info.uuid), 36);
	CHECK(info.data_offset > 0 && info.data_offset <= want_offset_max);

	struct disk_image *d = open_luks(path, PASS, false, err);
	CHECK(d != NULL);
	if (!d) {
		scratch_remove();
		return;
	}
	uint64_t size = disk_image_size(d);
	CHECK_EQ(size, ((2u << 20) + DATA_BYTES - info.data_offset) / f->sector * f->sector);
	uint8_t *model = malloc(size);
	exercise(d, model, size);
	/* Past the end, unaligned, and ragged lengths are refused. */
	CHECK_EQ(disk_image_read(d, model, 512, size), -1);
	CHECK_EQ(disk_image_write(d, model, 1024, size - 512), -1);
	CHECK_EQ(disk_image_read(d, model, 512, 100), -1);
	CHECK_EQ(disk_image_write(d, model, 100, 0), -1);
	disk_image_close(d);

	/* The plaintext never reaches the file. */
	size_t flen;
	uint8_t *file = slurp(path, &flen);
	CHECK(file && !contains(file, flen, MARKER));
	free(file);

	/* A second, read-only open sees the same data and cannot write. */
	d = open_luks(path, PASS, true, err);
	CHECK(d != NULL);
	if (d) {
		uint8_t *all = malloc(size);
		CHECK(all && disk_image_read(d, all, size, 0) == 0);
		CHECK(all && memcmp(all, model, size) == 0);
		CHECK_EQ(disk_image_write(d, all, 512, 0), -1);
		free(all);
		disk_image_close(d);
	}
	free(model);
	scratch_remove();
}

TEST(disk_image_luks2_512_round_trip)
{
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 512 };
	round_trip(&f, 1u << 20);
}

TEST(disk_image_luks2_4096_round_trip)
{
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 4096 };
	round_trip(&f, 1u << 20);
}

TEST(disk_image_luks2_aes128_key_round_trip)
{
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 32, 4096 };
	round_trip(&f, 1u << 20);
}

TEST(disk_image_luks1_round_trip)
{
	struct fmt f = { CRYPT_LUKS1, "xts-plain64", 64, 512 };
	round_trip(&f, 2u << 20);
}

/* --- refusals ------------------------------------------------------------ */

static bool have(const char *tool);
static bool run(const char *cmd);

static void expect_error(const char *path, const char *pass, const char *why)
{
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	struct disk_image *d = open_luks(path, pass, false, err);
	CHECK(d == NULL);
	disk_image_close(d);
	snprintf(want, sizeof(want), "%s: %s", path, why);
	CHECK_STR(err, want);
}

TEST(disk_image_wrong_passphrase_leaves_file_alone)
{
	char path[96];
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 4096 };
	CHECK(format_image(path, &f));
	size_t len0, len1;
	uint8_t *before = slurp(path, &len0);
	expect_error(path, "wrong horse", "wrong passphrase or damaged key slot (no key slot opened)");
	expect_error(path, "", "wrong passphrase or damaged key slot (no key slot opened)");
	uint8_t *after = slurp(path, &len1);
	CHECK(same_bytes(before, len0, after, len1));
	free(before), free(after);
	scratch_remove();
}

TEST(disk_image_refuses_what_it_cannot_serve)
{
	char path[96];
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "cbc.img");
	struct fmt cbc = { CRYPT_LUKS1, "cbc-essiv:sha256", 32, 512 };
	CHECK(format_image(path, &cbc));
	expect_error(path, PASS, "cipher aes-cbc-essiv:sha256 is not supported (only aes-xts-plain64)");

	scratch_path(path, sizeof(path), "raw.img");
	CHECK(sparse_file(path, 1u << 20));
	expect_error(path, PASS, "not a LUKS image");

	scratch_path(path, sizeof(path), "missing.img");
	expect_error(path, PASS, "no such file");

	/* No room for data after the header. */
	scratch_path(path, sizeof(path), "full.img");
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 512 };
	CHECK(format_image(path, &f));
	CHECK(truncate(path, 1u << 20) == 0);
	char err[HOST_ERRLEN] = "";
	CHECK(open_luks(path, PASS, true, err) == NULL);
	CHECK(strstr(err, "no encrypted data after the LUKS header") != NULL);

	/* Half-done reencryption: two keys over one data area. */
	scratch_path(path, sizeof(path), "reenc.img");
	CHECK(format_image(path, &f));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s' '%s' | cryptsetup reencrypt -q --init-only --force-offline-reencrypt "
		 "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - '%s' >/dev/null 2>&1",
		 PASS, path);
	if (have("cryptsetup") && run(cmd))
		expect_error(path, PASS, "LUKS2 header has unmet requirements (unfinished "
			     "reencryption?); finish it with cryptsetup first");
	scratch_remove();
}

TEST(disk_image_damaged_headers)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	struct fmt f2 = { CRYPT_LUKS2, "xts-plain64", 64, 512 };
	struct fmt f1 = { CRYPT_LUKS1, "xts-plain64", 64, 512 };

	/* Cut to 4 KiB: the LUKS2 JSON area is gone. */
	scratch_path(path, sizeof(path), "cut2.img");
	CHECK(format_image(path, &f2));
	CHECK(truncate(path, 4096) == 0);
	expect_error(path, PASS, "LUKS header is damaged or truncated");

	/* Cut to 4 KiB: the LUKS1 key material is gone. */
	scratch_path(path, sizeof(path), "cut1.img");
	CHECK(format_image(path, &f1));
	CHECK(truncate(path, 4096) == 0);
	struct disk_image *d = open_luks(path, PASS, true, err);
	CHECK(d == NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	disk_image_close(d);

	/* Garbage over the key slot's key material. */
	for (int v = 1; v <= 2; v++) {
		scratch_path(path, sizeof(path), v == 1 ? "slot1.img" : "slot2.img");
		CHECK(format_image(path, v == 1 ? &f1 : &f2));
		struct crypt_device *cd;
		uint64_t off = 0, len = 0;
		CHECK(crypt_init(&cd, path) == 0);
		crypt_set_log_callback(cd, quiet_log, NULL);
		CHECK(crypt_load(cd, CRYPT_LUKS, NULL) == 0);
		CHECK(crypt_keyslot_area(cd, 0, &off, &len) == 0);
		crypt_free(cd);
		uint8_t junk[4096];
		memset(junk, 0xa5, sizeof(junk));
		int fd = open(path, O_WRONLY);
		CHECK(fd >= 0 && len >= sizeof(junk));
		CHECK(pwrite(fd, junk, sizeof(junk), (off_t)(off + 1024)) == (ssize_t)sizeof(junk));
		close(fd);
		expect_error(path, PASS, "wrong passphrase or damaged key slot (no key slot opened)");
	}
	scratch_remove();
}

/* libcryptsetup repairs a damaged second LUKS2 header copy when it holds
 * its metadata lock; cordon switches locking off so that opening an image
 * never writes to it.  The primary copy still opens the image. */
TEST(disk_image_open_never_repairs_the_header)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 512 };
	CHECK(format_image(path, &f));
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "XXXX", 4, 16384) == 4); /* second header's magic */
	close(fd);
	size_t len0, len1;
	uint8_t *before = slurp(path, &len0);
	struct disk_image *d = open_luks(path, PASS, false, err);
	CHECK(d != NULL);
	disk_image_close(d);
	uint8_t *after = slurp(path, &len1);
	CHECK(same_bytes(before, len0, after, len1));
	free(before), free(after);
	scratch_remove();
}

/* --- from a descriptor and a volume key (cordon up's monitors) ----------- */

static bool unlock(const char *path, struct luks_key *k)
{
	char err[HOST_ERRLEN] = "";
	memset(k, 0, sizeof(*k));
	if (luks_unlock(path, (const uint8_t *)PASS, strlen(PASS), &k->info, k->key,
			sizeof(k->key), &k->key_len, err) == 0)
		return true;
	t_fail(__FILE__, __LINE__, "luks_unlock: %s", err);
	return false;
}

static struct disk_image *open_by_key(const char *path, const struct luks_key *k, bool ro,
				      int *fd, char *err)
{
	*fd = open(path, ro ? O_RDONLY : O_RDWR);
	struct disk_image_opts o = {
		.path = "vdb", .read_only = ro, .luks = true, .from_fd = true, .fd = *fd, .key = k,
	};
	return disk_image_open(&o, err);
}

static void key_round_trip(const struct fmt *f)
{
	char path[96], err[HOST_ERRLEN] = "";
	struct luks_key k;
	int fd;
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	CHECK(format_image(path, f));
	struct disk_image *d = open_luks(path, PASS, false, err);
	uint64_t size = d ? disk_image_size(d) : 0;
	uint8_t *model = malloc(size ? size : 1), *all = malloc(size ? size : 1);
	if (d)
		exercise(d, model, size); /* plaintext written by the passphrase path */
	disk_image_close(d);
	if (!d || !unlock(path, &k))
		goto out;

	d = open_by_key(path, &k, false, &fd, err);
	CHECK(d != NULL);
	if (!d)
		goto out;
	OPENSSL_cleanse(k.key, sizeof(k.key)); /* the image kept no reference to it */
	CHECK_EQ(disk_image_size(d), size);
	CHECK(disk_image_read(d, all, size, 0) == 0 && memcmp(all, model, size) == 0);
	/* What the key path writes, the passphrase path reads. */
	pattern(model + 4096, 3 * 512, 4096, 99);
	CHECK_EQ(disk_image_write(d, model + 4096, 3 * 512, 4096), 0);
	disk_image_close(d);
	CHECK(fcntl(fd, F_GETFD) == -1);
	d = open_luks(path, PASS, true, err);
	CHECK(d && disk_image_read(d, all, size, 0) == 0 && memcmp(all, model, size) == 0);
	disk_image_close(d);
out:
	free(model), free(all);
	scratch_remove();
}

TEST(disk_image_luks_by_key_matches_passphrase_luks2_4096)
{
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 4096 };
	key_round_trip(&f);
}

TEST(disk_image_luks_by_key_matches_passphrase_luks1_aes128)
{
	struct fmt f = { CRYPT_LUKS1, "xts-plain64", 32, 512 };
	key_round_trip(&f);
}

static void expect_key_refused(const char *path, const struct luks_key *k, const char *why)
{
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	int fd;
	struct disk_image *d = open_by_key(path, k, true, &fd, err);
	CHECK(d == NULL);
	disk_image_close(d);
	CHECK(fcntl(fd, F_GETFD) == -1); /* closed on failure */
	snprintf(want, sizeof(want), "vdb: %s", why);
	CHECK_STR(err, want);
}

TEST(disk_image_luks_by_key_checks_the_geometry)
{
	char path[96];
	struct luks_key good, k;
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	struct fmt f = { CRYPT_LUKS2, "xts-plain64", 64, 512 };
	CHECK(format_image(path, &f));
	if (!unlock(path, &good)) {
		scratch_remove();
		return;
	}
	k = good, k.info.sector_size = 1024;
	expect_key_refused(path, &k, "LUKS sector size 1024 is not supported (only 512 or 4096)");
	k = good, k.key_len = 16, k.info.key_size = 16;
	expect_key_refused(path, &k, "volume key of 16 bytes for a 16-byte aes-xts-plain64 key "
			   "(only 32 or 64, and they must agree)");
	k = good, k.key_len = 32;
	expect_key_refused(path, &k, "volume key of 32 bytes for a 64-byte aes-xts-plain64 key "
			   "(only 32 or 64, and they must agree)");
	k = good, snprintf(k.info.cipher, sizeof(k.info.cipher), "twofish");
	expect_key_refused(path, &k, "cipher twofish-xts-plain64 is not supported (only aes-xts-plain64)");
	k = good, k.info.data_offset = 1000;
	expect_key_refused(path, &k, "LUKS data offset 1000 is not a non-zero multiple of the "
			   "512-byte sector");
	k = good, k.info.data_offset = 0;
	expect_key_refused(path, &k, "LUKS data offset 0 is not a non-zero multiple of the "
			   "512-byte sector");
	char why[HOST_ERRLEN];
	uint64_t file = (2u << 20) + DATA_BYTES;
	k = good, k.info.data_offset = file + 4096;
	snprintf(why, sizeof(why), "no encrypted data after the LUKS header (file %llu bytes, "
		 "data at %llu)", (unsigned long long)file, (unsigned long long)file + 4096);
	expect_key_refused(path, &k, why);
	k = good, k.info.uuid[0] ^= 1; /* a key for some other image */
	expect_key_refused(path, &k, "LUKS header changed while opening");
	/* The unchanged key opens it. */
	int fd;
	char err[HOST_ERRLEN] = "";
	struct disk_image *d = open_by_key(path, &good, true, &fd, err);
	CHECK(d != NULL);
	disk_image_close(d);
	OPENSSL_cleanse(&good, sizeof(good));
	scratch_remove();
}

/* --- raw images ---------------------------------------------------------- */

TEST(disk_image_raw_passes_through)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-luks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "raw.img");
	CHECK(sparse_file(path, DATA_BYTES));
	struct disk_image_opts o = { .path = path };
	struct disk_image *d = disk_image_open(&o, err), *ro = NULL;
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(disk_image_size(d), DATA_BYTES);
		uint8_t *model = malloc(DATA_BYTES);
		exercise(d, model, DATA_BYTES);
		o.read_only = true;
		ro = disk_image_open(&o, err);
		CHECK(ro && disk_image_same_file(d, ro));
		disk_image_close(d);
		size_t len;
		uint8_t *file = slurp(path, &len);
		CHECK(same_bytes(file, len, model, DATA_BYTES)); /* raw: the bytes as written */
		free(file), free(model);
	}
	disk_image_close(ro);
	scratch_remove();
}

/* --- independent implementations ------------------------------------------ */

static bool have(const char *tool)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) == 0)
		return true;
	t_fail(__FILE__, __LINE__, "%s is not installed (scripts/deps.sh installs it)", tool);
	return false;
}

static bool run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		t_fail(__FILE__, __LINE__, "`%s` failed (%d)", cmd, rc);
	return rc == 0;
}

/* qemu-img now and then fails on a busy machine with "Unable to get
 * accurate CPU usage" (its PBKDF timing): its commands here are
 * idempotent, so they get three tries. */
static bool run_qemu_img(const char *cmd)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (system(cmd) == 0)
			return true;
	}
	return run(cmd);
}

/* cryptsetup encrypts a plain file in place (its own data path, not
 * dm-crypt); cordon must read the plaintext back.  Then cordon writes,
 * cryptsetup re-encrypts the whole volume under a new volume key
 * (decrypting what cordon wrote), and cordon must read its data again:
 * both directions agree with cryptsetup, IV convention included. */
static void cryptsetup_interop(unsigned sector)
{
	char path[96], passfile[96], cmd[512], err[HOST_ERRLEN] = "";
	const uint64_t plain_len = 1u << 20;
	if (!have("cryptsetup") || !scratch_make("cordon-luks"))
		return;
	scratch_path(path, sizeof(path), "enc.img");
	scratch_path(passfile, sizeof(passfile), "pass");
	CHECK(scratch_write(passfile, PASS, strlen(PASS)));
	uint8_t *plain = malloc(plain_len);
	pattern(plain, plain_len, 0, 77);
	CHECK(scratch_write(path, plain, plain_len));
	CHECK(truncate(path, 3u << 20) == 0);
	const char *kdf = "--pbkdf pbkdf2 --pbkdf-force-iterations 1000";
	snprintf(cmd, sizeof(cmd),
		 "cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 2M %s "
		 "--sector-size %u --key-file '%s' '%s' >/dev/null 2>&1", kdf, sector, passfile, path);
	if (!run(cmd))
		goto out;

	struct disk_image *d = open_luks(path, PASS, false, err);
	CHECK(d != NULL);
	if (!d)
		goto out;
	uint64_t size = disk_image_size(d);
	uint8_t *model = malloc(size);
	CHECK(size >= plain_len && disk_image_read(d, model, plain_len, 0) == 0);
	CHECK(memcmp(model, plain, plain_len) == 0);
	exercise(d, model, size);
	disk_image_close(d);

	snprintf(cmd, sizeof(cmd),
		 "cryptsetup reencrypt -q --force-offline-reencrypt %s --key-file '%s' '%s' "
		 ">/dev/null 2>&1", kdf, passfile, path);
	if (run(cmd)) {
		d = open_luks(path, PASS, true, err);
		uint8_t *all = malloc(size);
		CHECK(d && all && disk_image_size(d) == size && disk_image_read(d, all, size, 0) == 0);
		CHECK(all && memcmp(all, model, size) == 0);
		free(all);
		disk_image_close(d);
	}
	free(model);
out:
	free(plain);
	scratch_remove();
}

TEST(disk_image_matches_cryptsetup_luks2_512)
{
	cryptsetup_interop(512);
}

TEST(disk_image_matches_cryptsetup_luks2_4096)
{
	cryptsetup_interop(4096);
}

/* QEMU reads and writes LUKS1 only (its LUKS2 support is newer than
 * Debian 12's qemu-img).  qemu-img writes a plaintext into a LUKS1 image
 * (made by libcryptsetup: qemu-img's own creation benchmarks its PBKDF and
 * fails at random in containers), cordon must read it; then what cordon
 * writes must convert back to the same plaintext. */
TEST(disk_image_matches_qemu_img_luks1)
{
	char raw[96], img[96], out[96], passfile[96], cmd[1024], err[HOST_ERRLEN] = "";
	const size_t len = DATA_BYTES;
	if (!have("qemu-img") || !scratch_make("cordon-luks"))
		return;
	scratch_path(raw, sizeof(raw), "plain.raw");
	scratch_path(img, sizeof(img), "disk.img");
	scratch_path(out, sizeof(out), "back.raw");
	scratch_path(passfile, sizeof(passfile), "pass");
	CHECK(scratch_write(passfile, PASS, strlen(PASS)));
	struct fmt f = { CRYPT_LUKS1, "xts-plain64", 64, 512 };
	CHECK(format_image(img, &f));
	uint8_t *plain = malloc(len);
	pattern(plain, len, 0, 5);
	CHECK(scratch_write(raw, plain, len));
	const char *secret = "--object secret,id=s0,file=";
	snprintf(cmd, sizeof(cmd),
		 "qemu-img convert -n %s'%s' -f raw '%s' --target-image-opts "
		 "driver=luks,key-secret=s0,file.filename='%s' >/dev/null 2>&1",
		 secret, passfile, raw, img);
	if (!run_qemu_img(cmd))
		goto out;

	struct disk_image *d = open_luks(img, PASS, false, err);
	CHECK(d != NULL);
	if (!d)
		goto out;
	CHECK_EQ(disk_image_size(d), len);
	uint8_t *model = malloc(len);
	CHECK(disk_image_read(d, model, len, 0) == 0);
	CHECK(memcmp(model, plain, len) == 0);
	exercise(d, model, len);
	disk_image_close(d);

	snprintf(cmd, sizeof(cmd),
		 "qemu-img convert %s'%s' --image-opts driver=luks,key-secret=s0,file.filename='%s' "
		 "-O raw '%s' >/dev/null 2>&1", secret, passfile, img, out);
	if (run_qemu_img(cmd)) {
		size_t blen;
		uint8_t *back = slurp(out, &blen);
		CHECK(same_bytes(back, blen, model, len));
		free(back);
	}
	free(model);
out:
	free(plain);
	scratch_remove();
}
