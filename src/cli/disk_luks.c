/*
 * `cordon disk info` and `cordon disk passwd`, for LUKS1 and LUKS2 alike,
 * and the passphrase helpers create shares with passwd.
 *
 * The image is looked at through host/image_file.c first (it exists, is a
 * regular file, its size), then handed to libcryptsetup by name: the
 * library opens and rewrites the header itself -- its own file access, not
 * an OS call of ours, so it stays here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/disk_internal.h"
#include "host/image_file.h"

/* --- passphrases --------------------------------------------------------- */

/* secret_prompt, with the hint given in this command's option names. */
static int ask_tty(struct secret *s, const char *text, char *err)
{
	if (secret_prompt(s, text, err) == 0)
		return 0;
	if (strncmp(err, SECRET_NO_TERMINAL, strlen(SECRET_NO_TERMINAL)) == 0)
		snprintf(err, ERRLEN, "%s (use --key-file or --key-fd)", SECRET_NO_TERMINAL);
	return -1;
}

int disk_get_secret(struct secret *s, const char *file, int fd, const char *text, char *err)
{
	if (file)
		return secret_from_file(s, file, err);
	if (fd >= 0)
		return secret_from_fd(s, fd, err);
	return ask_tty(s, text, err);
}

int disk_get_new_secret(struct secret *s, const char *file, int fd, const char *path,
			char *err)
{
	char prompt[HOST_ERRLEN];
	struct secret again;

	snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", path);
	if (disk_get_secret(s, file, fd, prompt, err) < 0)
		return -1;
	if (file || fd >= 0)
		return 0;
	if (ask_tty(&again, "Type it again: ", err) < 0) {
		secret_wipe(s);
		return -1;
	}
	bool same = secret_equal(s, &again);
	secret_wipe(&again);
	if (!same) {
		secret_wipe(s);
		snprintf(err, ERRLEN, "the two passphrases differ; nothing was changed");
		return -1;
	}
	return 0;
}

void disk_pbkdf_with_time(struct pbkdf_copy *c, struct crypt_device *cd, const char *type,
			  uint32_t iter_ms)
{
	const struct crypt_pbkdf_type *cur = cd ? crypt_get_pbkdf_type(cd) : NULL;

	if (!cur)
		cur = crypt_get_pbkdf_default(type);
	c->p = *cur;
	snprintf(c->type, sizeof(c->type), "%s", cur->type ? cur->type : "");
	snprintf(c->hash, sizeof(c->hash), "%s", cur->hash ? cur->hash : "");
	c->p.type = c->type[0] ? c->type : NULL;
	c->p.hash = c->hash[0] ? c->hash : NULL;
	c->p.time_ms = iter_ms ? iter_ms : ITER_MS_DEFAULT;
	c->p.iterations = 0;
	c->p.flags &= ~(CRYPT_PBKDF_NO_BENCHMARK | CRYPT_PBKDF_ITER_TIME_SET);
}

/* --- info ---------------------------------------------------------------- */

static void print_size(const char *label, uint64_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		printf("%-13s %llu bytes (%llu MiB)\n", label, (unsigned long long)n,
		       (unsigned long long)(n >> 20));
	else
		printf("%-13s %llu bytes\n", label, (unsigned long long)n);
}

static void print_keyslots(struct crypt_device *cd, const char *type)
{
	int max = crypt_keyslot_max(type), shown = 0;

	printf("%-13s", "key slots:");
	for (int i = 0; i < max; i++) {
		crypt_keyslot_info st = crypt_keyslot_status(cd, i);
		if (st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST)
			printf("%s %d", shown++ ? "," : "", i);
		else if (st == CRYPT_SLOT_UNBOUND)
			printf("%s %d (unbound)", shown++ ? "," : "", i);
	}
	printf("%s\n", shown ? "" : " none (no passphrase opens this image)");
}

static void print_luks(struct crypt_device *cd, const char *path, uint64_t file_size)
{
	const char *type = crypt_get_type(cd);
	uint64_t offset = crypt_get_data_offset(cd) * 512;
	const char *uuid = crypt_get_uuid(cd);

	printf("%-13s %s\n", "file:", path);
	printf("%-13s %s\n", "format:", type);
	print_size("file size:", file_size);
	print_size("guest size:", file_size > offset ? file_size - offset : 0);
	printf("%-13s %s\n", "cipher:", crypt_get_cipher(cd));
	printf("%-13s %s\n", "mode:", crypt_get_cipher_mode(cd));
	printf("%-13s %d bits\n", "key size:", crypt_get_volume_key_size(cd) * 8);
	printf("%-13s %d bytes\n", "sector size:", crypt_get_sector_size(cd));
	printf("%-13s %llu bytes (%llu 512-byte sectors)\n", "data offset:",
	       (unsigned long long)offset, (unsigned long long)(offset / 512));
	print_keyslots(cd, type);
	printf("%-13s %s\n", "uuid:", uuid ? uuid : "(none)");
}

static void print_raw(const char *path, uint64_t file_size)
{
	printf("%-13s %s\n", "file:", path);
	printf("%-13s raw\n", "format:");
	print_size("file size:", file_size);
	print_size("guest size:", file_size / 512 * 512);
	if (file_size % 512)
		printf("%-13s the size is not a multiple of 512: cordon run refuses it\n", "note:");
}

/* True when the file starts with a LUKS magic, whether or not it loads. */
static bool has_luks_magic(const char *path)
{
	static const unsigned char magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
	return host_file_starts_with(path, magic, sizeof(magic));
}

int disk_run_info(const struct disk_opts *o)
{
	char err[ERRLEN];
	struct crypt_device *cd = NULL;
	uint64_t size;
	int r;

	if (host_file_size(o->file, &size, err) < 0)
		return disk_fail(err);
	r = crypt_init(&cd, o->file);
	if (r < 0)
		return disk_fail_lib(o->file, "cannot open", r);
	disk_lib_reset();
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r >= 0)
		print_luks(cd, o->file, size);
	crypt_free(cd);
	if (r >= 0)
		return 0;
	if (has_luks_magic(o->file))
		return disk_fail_lib(o->file, "has a LUKS signature but its header cannot be read", r);
	print_raw(o->file, size);
	return 0;
}

/* --- passwd -------------------------------------------------------------- */

/* Opens a key slot with the old passphrase: its number, or -1 (reported). */
static int open_slot(struct crypt_device *cd, const struct disk_opts *o, const struct secret *old)
{
	char msg[ERRLEN];
	int slot;

	disk_lib_reset();
	/* With no name this only tries the slots: nothing is activated. */
	slot = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, (const char *)old->buf,
					    old->len, 0);
	if (slot == -EPERM) {
		snprintf(msg, sizeof(msg), "%s: wrong passphrase or damaged key slot (no key slot opened)", o->file);
		disk_fail(msg);
		return -1;
	}
	if (slot < 0) {
		disk_fail_lib(o->file, "cannot open a key slot", slot);
		return -1;
	}
	return slot;
}

static int change_passphrase(struct crypt_device *cd, const struct disk_opts *o,
			     const struct secret *old, int slot)
{
	char err[ERRLEN];
	struct secret new = { 0 };
	struct pbkdf_copy pbkdf;
	int r;

	if (disk_get_new_secret(&new, o->new_key_file, o->new_key_fd, o->file, err) < 0)
		return disk_fail(err);
	disk_pbkdf_with_time(&pbkdf, cd, crypt_get_type(cd), o->iter_ms);
	disk_lib_reset();
	r = crypt_set_pbkdf_type(cd, &pbkdf.p);
	if (r >= 0 && o->add)
		r = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, (const char *)old->buf,
						    old->len, (const char *)new.buf, new.len);
	else if (r >= 0)
		r = crypt_keyslot_change_by_passphrase(cd, slot, slot, (const char *)old->buf,
						       old->len, (const char *)new.buf, new.len);
	secret_wipe(&new);
	if (r < 0)
		return disk_fail_lib(o->file, o->add ? "cannot add a passphrase" : "cannot change the passphrase", r);
	fprintf(stderr, "cordon disk: %s: %s key slot %d\n", o->file,
		o->add ? "new passphrase in" : "passphrase changed in", r);
	return 0;
}

int disk_run_passwd(const struct disk_opts *o)
{
	char err[ERRLEN], prompt[HOST_ERRLEN];
	struct crypt_device *cd = NULL;
	struct secret old = { 0 };
	uint64_t size;
	int r, rc = 1;

	if (host_file_size(o->file, &size, err) < 0)
		return disk_fail(err);
	r = crypt_init(&cd, o->file);
	if (r < 0)
		return disk_fail_lib(o->file, "cannot open", r);
	if (crypt_load(cd, CRYPT_LUKS, NULL) < 0) {
		snprintf(err, sizeof(err), "%s: not a LUKS image (no passphrase to change)", o->file);
		disk_fail(err);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Existing passphrase for %s: ", o->file);
	if (disk_get_secret(&old, o->key_file, o->key_fd, prompt, err) < 0) {
		disk_fail(err);
		goto out;
	}
	if (host_stderr_is_tty())
		fprintf(stderr, "cordon disk: checking the passphrase...\n");
	int slot = open_slot(cd, o, &old);
	if (slot >= 0)
		rc = change_passphrase(cd, o, &old, slot);
out:
	secret_wipe(&old);
	crypt_free(cd);
	return rc;
}
