/*
 * What the pieces of `cordon disk` share, and nothing else includes:
 *
 *   disk.c          dispatch, option parsing, help texts, error helpers
 *   disk_create.c   create: raw and LUKS1/LUKS2 formatting
 *   disk_luks.c     info and passwd, and passphrases for all three
 */
#ifndef CORDON_CLI_DISK_INTERNAL_H
#define CORDON_CLI_DISK_INTERNAL_H

#include <libcryptsetup.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/args.h"
#include "host/host.h"
#include "host/secret.h"

#define LUKS_CIPHER "aes"
#define LUKS_MODE "xts-plain64"
#define LUKS_KEY_BYTES 64               /* AES-256 in XTS takes two 256-bit keys */
#define ITER_MS_DEFAULT 2000            /* as cryptsetup */
#define ITER_MS_MAX 600000
/* Our messages hold a path and a libcryptsetup message. */
#define ERRLEN (HOST_ERRLEN * 2)

enum { CMD_CREATE = 1, CMD_INFO = 2, CMD_PASSWD = 4 };

struct disk_opts {
	const char *file, *size_arg;
	unsigned nargs;
	bool help, add;
	unsigned luks;        /* create: 0 raw, else the LUKS version (1 or 2) */
	unsigned sector_size;
	uint32_t iter_ms;     /* 0: not given */
	const char *key_file, *new_key_file;
	int key_fd, new_key_fd; /* -1: not given */
	uint64_t size;        /* create: parsed SIZE */
};

/* --- disk.c: errors -------------------------------------------------------- */

/* "cordon disk: MSG" on stderr; returns 1, the exit status for a failure. */
int disk_fail(const char *msg);
/* "cordon disk: PATH: WHAT: REASON", REASON being libcryptsetup's last
 * error since disk_lib_reset() or else strerror(-r); returns 1. */
int disk_fail_lib(const char *path, const char *what, int r);
/* Forgets libcryptsetup's last error: call before each step reported. */
void disk_lib_reset(void);
/* That last error, or strerror(-r) when the library gave none. */
const char *disk_lib_reason(int r);

/* --- disk_create.c --------------------------------------------------------- */

/* create's own checks of the command line (SIZE, LUKS-only options). */
int disk_check_create(struct disk_opts *o, char *err);
int disk_run_create(const struct disk_opts *o);

/* --- disk_luks.c ----------------------------------------------------------- */

int disk_run_info(const struct disk_opts *o);
int disk_run_passwd(const struct disk_opts *o);

/* A passphrase from file, else fd (>= 0), else asked with prompt. */
int disk_get_secret(struct secret *s, const char *file, int fd, const char *prompt,
		    char *err);
/* A new passphrase for path: from file/fd as is, or typed twice and compared. */
int disk_get_new_secret(struct secret *s, const char *file, int fd, const char *path,
			char *err);

/*
 * The PBKDF cd already uses (its type's default after crypt_load, or with
 * no cd; for LUKS1 the header's hash), with our time.  The strings are
 * copied: crypt_set_pbkdf_type frees the ones crypt_get_pbkdf_type handed out.
 */
struct pbkdf_copy {
	struct crypt_pbkdf_type p;
	char type[32], hash[64];
};
void disk_pbkdf_with_time(struct pbkdf_copy *c, struct crypt_device *cd, const char *type,
			  uint32_t iter_ms);

#endif
