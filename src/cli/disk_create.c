/*
 * `cordon disk create FILE SIZE [--luks | --type luks1|luks2]`: a new
 * sparse raw image, or a LUKS image whose guest-visible size is SIZE.
 *
 * LUKS2 is the default (what cryptsetup makes today: argon2id, 512- or
 * 4096-byte sectors).  LUKS1 is for moving images to tools that read only
 * LUKS1, QEMU 7's qemu-img among them: PBKDF2-SHA256 and 512-byte
 * sectors, the only sector size LUKS1 has.
 *
 * The file itself is made, sized and (on failure or a fatal signal)
 * removed by host/image_file.c.  libcryptsetup opens and writes it on its
 * own in between: it is a library with its own file access, not an OS
 * call of ours, so it stays here.
 */
#include <stdio.h>

#include "cli/disk_internal.h"
#include "host/image_file.h"

#define LUKS2_HEADER_GUESS (16u << 20)  /* LUKS2's default data offset */
#define LUKS1_HEADER_GUESS (2u << 20)   /* LUKS1's, with a 512-bit key */
#define IMAGE_SIZE_MAX (1ull << 60)     /* far beyond any file system; keeps off_t sums safe */
#define LUKS1_HASH "sha256"

/* --- the command line ---------------------------------------------------- */

static int parse_size(const struct disk_opts *o, uint64_t *out, char *err)
{
	const char *s = o->size_arg;
	uint64_t n;

	if (cli_parse_size(s, &n) < 0) {
		snprintf(err, CLI_ERRLEN,
			 "SIZE: '%s' is not a size (bytes, or a number with a K, M or G suffix, e.g. 64M)", s);
		return -1;
	}
	if (n == 0) {
		snprintf(err, CLI_ERRLEN, "SIZE: '%s' must be more than 0", s);
		return -1;
	}
	if (n > IMAGE_SIZE_MAX) {
		snprintf(err, CLI_ERRLEN, "SIZE: '%s' is too large", s);
		return -1;
	}
	if (n % o->sector_size) {
		snprintf(err, CLI_ERRLEN, "SIZE: '%s' is not a multiple of the %u-byte sector size", s,
			 o->sector_size);
		return -1;
	}
	*out = n;
	return 0;
}

int disk_check_create(struct disk_opts *o, char *err)
{
	if (!o->luks && (o->key_file || o->key_fd >= 0 || o->iter_ms)) {
		snprintf(err, CLI_ERRLEN, "%s is only for encrypted images (add --luks)",
			 o->key_file ? "--key-file" : o->key_fd >= 0 ? "--key-fd" : "--iter-time");
		return -1;
	}
	if (o->luks == 1 && o->sector_size != 512) {
		snprintf(err, CLI_ERRLEN, "--sector-size %u: LUKS1 has only 512-byte sectors "
			 "(use --type luks2)", o->sector_size);
		return -1;
	}
	return parse_size(o, &o->size, err);
}

/* --- formatting ---------------------------------------------------------- */

/* LUKS1's keys are derived with PBKDF2; o->iter_ms sets its iterations. */
static int set_luks1_pbkdf(struct crypt_device *cd, uint32_t iter_ms)
{
	const struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = LUKS1_HASH,
		.time_ms = iter_ms ? iter_ms : ITER_MS_DEFAULT,
	};
	return crypt_set_pbkdf_type(cd, &pbkdf);
}

/* crypt_format and the first key slot; returns what the library did. */
static int format_with_key(struct crypt_device *cd, const struct disk_opts *o,
			   const struct secret *pass)
{
	struct pbkdf_copy pbkdf;
	struct crypt_params_luks2 params2 = { .pbkdf = &pbkdf.p, .sector_size = o->sector_size };
	struct crypt_params_luks1 params1 = { .hash = LUKS1_HASH };
	int r;

	/* volume_key NULL: libcryptsetup draws a fresh random one. */
	if (o->luks == 1) {
		r = crypt_format(cd, CRYPT_LUKS1, LUKS_CIPHER, LUKS_MODE, NULL, NULL,
				 LUKS_KEY_BYTES, &params1);
		if (r >= 0) /* for the key slot below; the format's own digest is fixed */
			r = set_luks1_pbkdf(cd, o->iter_ms);
	} else {
		disk_pbkdf_with_time(&pbkdf, NULL, CRYPT_LUKS2, o->iter_ms);
		r = crypt_format(cd, CRYPT_LUKS2, LUKS_CIPHER, LUKS_MODE, NULL, NULL,
				 LUKS_KEY_BYTES, &params2);
	}
	if (r >= 0)
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0,
						    (const char *)pass->buf, pass->len);
	return r;
}

static int format_luks(const struct disk_opts *o, const struct secret *pass, char *err)
{
	const char *version = o->luks == 1 ? "LUKS1" : "LUKS2";
	struct crypt_device *cd = NULL;
	uint64_t offset;
	int r;

	if (host_stderr_is_tty())
		fprintf(stderr, "cordon disk: formatting %s (%s, %s-%s, %u-byte sectors)...\n",
			o->file, version, LUKS_CIPHER, LUKS_MODE, o->sector_size);
	disk_lib_reset();
	r = crypt_init(&cd, o->file);
	if (r < 0) {
		snprintf(err, ERRLEN, "%s: cannot open for formatting: %s", o->file,
			 disk_lib_reason(r));
		return -1;
	}
	r = format_with_key(cd, o, pass);
	offset = crypt_get_data_offset(cd) * 512;
	crypt_free(cd);
	if (r < 0) {
		snprintf(err, ERRLEN, "%s: cannot format as %s: %s", o->file, version,
			 disk_lib_reason(r));
		return -1;
	}
	return host_finish_file(o->file, offset + o->size, err);
}

/* --- create -------------------------------------------------------------- */

static uint64_t header_guess(const struct disk_opts *o)
{
	if (!o->luks)
		return 0;
	return o->luks == 1 ? LUKS1_HEADER_GUESS : LUKS2_HEADER_GUESS;
}

/* Makes the file, fills it, and removes it again on any failure. */
static int create_image(const struct disk_opts *o, const struct secret *pass, char *err)
{
	int rc;

	/* Guarded from here: a fatal signal removes the file. */
	if (host_create_exclusive(o->file, o->size + header_guess(o), err) < 0)
		return -1;
	rc = o->luks ? format_luks(o, pass, err) : host_finish_file(o->file, o->size, err);
	if (rc < 0)
		host_remove(o->file);
	host_keep_file();
	return rc;
}

int disk_run_create(const struct disk_opts *o)
{
	char err[ERRLEN] = "", prompt[HOST_ERRLEN];
	struct secret pass = { 0 };
	int rc;

	if (host_check_absent(o->file, err) < 0)
		return disk_fail(err);
	if (o->luks) {
		snprintf(prompt, sizeof(prompt), "Passphrase for the new image %s: ", o->file);
		rc = o->key_file || o->key_fd >= 0
			     ? disk_get_secret(&pass, o->key_file, o->key_fd, prompt, err)
			     : disk_get_new_secret(&pass, NULL, -1, o->file, err);
		if (rc < 0)
			return disk_fail(err);
	}
	rc = create_image(o, &pass, err);
	secret_wipe(&pass);
	return rc < 0 ? disk_fail(err) : 0;
}
