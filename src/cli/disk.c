/*
 * `cordon disk create|info|passwd`: making raw and LUKS images and
 * managing their passphrases, through libcryptsetup so the on-disk format
 * is exactly what cryptsetup(8), the Linux kernel and QEMU read.
 *
 * This file holds the command line: dispatch, options, help texts and
 * the error helpers; disk_create.c and disk_luks.c do the work.
 *
 * Every check that can fail on the command line alone runs before any
 * file is touched or any passphrase is asked for, so a typo costs nothing.
 * Passphrases come only from host/secret.c (key file, key fd, or a prompt
 * on the terminal) and are wiped on every path out.
 *
 * libcryptsetup prints its own messages on stderr unless told otherwise;
 * we keep its last error and fold it into our one-line message instead.
 */
#include "cli/disk.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/disk_internal.h"

struct disk_cmd {
	const char *name;
	unsigned id;
	const char *args[2]; /* names of the positional arguments */
	void (*help)(FILE *f);
	int (*run)(const struct disk_opts *o);
};

/* --- help ---------------------------------------------------------------- */

static void cli_disk_help(FILE *f)
{
	fputs("Usage: cordon disk COMMAND ...\n"
	      "\n"
	      "Makes and inspects disk images for `cordon run --disk`.\n"
	      "\n"
	      "Commands:\n"
	      "  create FILE SIZE [--luks]   a new sparse raw image, or a LUKS-encrypted one\n"
	      "                              (LUKS2; --type luks1 for QEMU)\n"
	      "  info FILE                   format, sizes and (LUKS) encryption parameters\n"
	      "  passwd FILE [--add]         change a LUKS passphrase, or add another one\n"
	      "\n"
	      "Passphrases are read from --key-file PATH (the whole file, byte for byte),\n"
	      "--key-fd N (read to end of file), or asked on the terminal without echo;\n"
	      "never from the command line or the environment.\n"
	      "\n"
	      "Run 'cordon disk COMMAND --help' for each command's options.\n",
	      f);
}

static void create_help(FILE *f)
{
	fputs("Usage: cordon disk create FILE SIZE [options]\n"
	      "\n"
	      "Creates FILE (which must not exist; made readable by you only) holding a\n"
	      "disk of SIZE bytes for the guest: a sparse raw image, or with --luks a\n"
	      "LUKS2 image (aes-xts-plain64, 512-bit key) whose file is the LUKS2 header\n"
	      "(16 MiB) plus SIZE.  SIZE takes a K, M or G suffix (binary) and must be a\n"
	      "multiple of the sector size.  On any failure FILE is removed.\n"
	      "\n"
	      "Options:\n"
	      "  --luks               encrypt (asks for the passphrase twice on a terminal)\n"
	      "  --type luks1|luks2   encrypt with that LUKS version (default luks2); LUKS1\n"
	      "                       has a 2 MiB header and 512-byte sectors only, and is\n"
	      "                       what older tools such as QEMU 7's qemu-img read\n"
	      "  --sector-size N      512 (default) or 4096: the encryption sector size\n"
	      "  --iter-time MS       time to spend deriving the key from the passphrase\n"
	      "                       (argon2id; PBKDF2-SHA256 for LUKS1), in milliseconds\n"
	      "                       (default 2000)\n"
	      "  --key-file PATH      the passphrase is the whole content of PATH\n"
	      "  --key-fd N           the passphrase is read from descriptor N to its end\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Example: cordon disk create vm.img 8G --luks --key-file vm.key\n"
	      "  then:  cordon run ... --disk vm.img,luks,key-file=vm.key\n",
	      f);
}

static void info_help(FILE *f)
{
	fputs("Usage: cordon disk info FILE\n"
	      "\n"
	      "Shows whether FILE is a raw or LUKS (version 1 or 2) image, the size of\n"
	      "the file and of the disk the guest sees, and for LUKS the cipher, mode,\n"
	      "key size, sector size, data offset, active key slots and UUID.  Needs no\n"
	      "passphrase and shows no secret.\n",
	      f);
}

static void passwd_help(FILE *f)
{
	fputs("Usage: cordon disk passwd FILE [options]\n"
	      "\n"
	      "Changes the passphrase of one key slot of the LUKS image FILE (the slot\n"
	      "the existing passphrase opens), or with --add puts a new passphrase in a\n"
	      "free slot and keeps the old one.  Asks for an existing passphrase, then\n"
	      "the new one twice, on the terminal unless given below.\n"
	      "\n"
	      "Options:\n"
	      "  --add                add a passphrase instead of replacing one\n"
	      "  --key-file PATH      the existing passphrase is the content of PATH\n"
	      "  --key-fd N           ... or is read from descriptor N\n"
	      "  --new-key-file PATH  the new passphrase is the content of PATH\n"
	      "  --new-key-fd N       ... or is read from descriptor N\n"
	      "  --iter-time MS       key derivation time for the new passphrase (default 2000)\n"
	      "  -h, --help           show this help\n",
	      f);
}

/* --- errors -------------------------------------------------------------- */

static int usage_error(const struct disk_cmd *c, const char *msg)
{
	fprintf(stderr, "cordon disk %s: %s\nTry 'cordon disk %s --help'.\n", c->name, msg,
		c->name);
	return 2;
}

int disk_fail(const char *msg)
{
	fprintf(stderr, "cordon disk: %s\n", msg);
	return 1;
}

/* libcryptsetup's last error message, for the tail of ours. */
static char lib_msg[HOST_ERRLEN];

static void lib_log(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(lib_msg, sizeof(lib_msg), "%s", msg);
	size_t n = strlen(lib_msg);
	while (n > 0 && (lib_msg[n - 1] == '\n' || lib_msg[n - 1] == '.'))
		lib_msg[--n] = '\0';
}

void disk_lib_reset(void)
{
	lib_msg[0] = '\0';
}

const char *disk_lib_reason(int r)
{
	return lib_msg[0] ? lib_msg : strerror(-r);
}

int disk_fail_lib(const char *path, const char *what, int r)
{
	char msg[ERRLEN];
	snprintf(msg, sizeof(msg), "%s: %s: %s", path, what, disk_lib_reason(r));
	return disk_fail(msg);
}

/* --- parsing ------------------------------------------------------------- */

enum opt_id { O_LUKS, O_TYPE, O_SECTOR, O_ITER, O_KEY_FILE, O_KEY_FD, O_NEW_KEY_FILE,
	      O_NEW_KEY_FD, O_ADD, O_HELP };

struct opt_def {
	const char *name;
	enum opt_id id;
	bool takes_value;
	unsigned cmds; /* the commands that accept it */
};

static const struct opt_def opt_defs[] = {
	{ "--luks", O_LUKS, false, CMD_CREATE },
	{ "--type", O_TYPE, true, CMD_CREATE },
	{ "--sector-size", O_SECTOR, true, CMD_CREATE },
	{ "--iter-time", O_ITER, true, CMD_CREATE | CMD_PASSWD },
	{ "--key-file", O_KEY_FILE, true, CMD_CREATE | CMD_PASSWD },
	{ "--key-fd", O_KEY_FD, true, CMD_CREATE | CMD_PASSWD },
	{ "--new-key-file", O_NEW_KEY_FILE, true, CMD_PASSWD },
	{ "--new-key-fd", O_NEW_KEY_FD, true, CMD_PASSWD },
	{ "--add", O_ADD, false, CMD_PASSWD },
	{ "--help", O_HELP, false, CMD_CREATE | CMD_INFO | CMD_PASSWD },
	{ "-h", O_HELP, false, CMD_CREATE | CMD_INFO | CMD_PASSWD },
};

static const struct opt_def *find_opt(const char *name, size_t len, unsigned cmd)
{
	for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
		const struct opt_def *d = &opt_defs[i];
		if ((d->cmds & cmd) && strlen(d->name) == len && strncmp(d->name, name, len) == 0)
			return d;
	}
	return NULL;
}

/* A decimal number in 0..max with nothing after it. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_fd(const char *opt, const char *val, int *fd, char *err)
{
	unsigned long v;
	if (parse_uint(val, INT_MAX, &v) < 0) {
		snprintf(err, CLI_ERRLEN, "%s: '%s' is not a file descriptor number", opt, val);
		return -1;
	}
	*fd = (int)v;
	return 0;
}

static int parse_path(const char *opt, const char *val, const char **out, char *err)
{
	if (val[0] == '\0') {
		snprintf(err, CLI_ERRLEN, "%s: empty file name", opt);
		return -1;
	}
	*out = val;
	return 0;
}

/* --type: the LUKS version, which also asks for encryption. */
static int parse_luks_type(const char *val, unsigned *version, char *err)
{
	if (strcmp(val, "luks1") == 0) {
		*version = 1;
	} else if (strcmp(val, "luks2") == 0) {
		*version = 2;
	} else {
		snprintf(err, CLI_ERRLEN, "--type: '%s' must be luks1 or luks2", val);
		return -1;
	}
	return 0;
}

static int apply_opt(const struct opt_def *d, const char *val, struct disk_opts *o, char *err)
{
	unsigned long v;

	switch (d->id) {
	case O_LUKS:
		if (!o->luks) /* --type wins, in either order */
			o->luks = 2;
		return 0;
	case O_TYPE: return parse_luks_type(val, &o->luks, err);
	case O_ADD: o->add = true; return 0;
	case O_HELP: o->help = true; return 0;
	case O_SECTOR:
		if (strcmp(val, "512") != 0 && strcmp(val, "4096") != 0) {
			snprintf(err, CLI_ERRLEN, "--sector-size: '%s' must be 512 or 4096", val);
			return -1;
		}
		o->sector_size = (unsigned)atoi(val);
		return 0;
	case O_ITER:
		if (parse_uint(val, ITER_MS_MAX, &v) < 0 || v == 0) {
			snprintf(err, CLI_ERRLEN,
				 "--iter-time: '%s' is not a time in milliseconds (1 .. %d)", val,
				 ITER_MS_MAX);
			return -1;
		}
		o->iter_ms = (uint32_t)v;
		return 0;
	case O_KEY_FILE: return parse_path(d->name, val, &o->key_file, err);
	case O_NEW_KEY_FILE: return parse_path(d->name, val, &o->new_key_file, err);
	case O_KEY_FD: return parse_fd(d->name, val, &o->key_fd, err);
	case O_NEW_KEY_FD: return parse_fd(d->name, val, &o->new_key_fd, err);
	}
	return 0;
}

static int add_positional(const struct disk_cmd *c, const char *arg, struct disk_opts *o,
			  char *err)
{
	unsigned max = c->args[1] ? 2 : 1;
	if (o->nargs >= max) {
		snprintf(err, CLI_ERRLEN, "unexpected argument '%s'", arg);
		return -1;
	}
	if (o->nargs++ == 0)
		o->file = arg;
	else
		o->size_arg = arg;
	return 0;
}

/* One argument at *i (an option may take the next one too). */
static int parse_one(const struct disk_cmd *c, int argc, char **argv, int *i,
		     struct disk_opts *o, char *err)
{
	const char *arg = argv[*i], *val = NULL, *eq = NULL;
	size_t namelen = strlen(arg);
	const struct opt_def *d;

	if (arg[0] != '-' || arg[1] == '\0')
		return add_positional(c, arg, o, err);
	if (strncmp(arg, "--", 2) == 0 && (eq = strchr(arg, '=')) != NULL)
		namelen = (size_t)(eq - arg);
	d = find_opt(arg, namelen, c->id);
	if (!d) {
		snprintf(err, CLI_ERRLEN, "unknown option '%.*s'", (int)namelen, arg);
		return -1;
	}
	if (!d->takes_value) {
		if (eq) {
			snprintf(err, CLI_ERRLEN, "%s takes no value", d->name);
			return -1;
		}
		return apply_opt(d, NULL, o, err);
	}
	if (eq) {
		val = eq + 1;
	} else if (*i + 1 < argc) {
		val = argv[++*i];
	} else {
		snprintf(err, CLI_ERRLEN, "%s needs a value", d->name);
		return -1;
	}
	return apply_opt(d, val, o, err);
}

/* The checks that need the whole command line. */
static int check_combination(const struct disk_cmd *c, struct disk_opts *o, char *err)
{
	if (o->nargs < (c->args[1] ? 2u : 1u)) {
		snprintf(err, CLI_ERRLEN, "missing %s", c->args[o->nargs]);
		return -1;
	}
	if (o->key_file && o->key_fd >= 0) {
		snprintf(err, CLI_ERRLEN, "give --key-file or --key-fd, not both");
		return -1;
	}
	if (o->new_key_file && o->new_key_fd >= 0) {
		snprintf(err, CLI_ERRLEN, "give --new-key-file or --new-key-fd, not both");
		return -1;
	}
	if (o->key_fd >= 0 && o->key_fd == o->new_key_fd) {
		snprintf(err, CLI_ERRLEN, "--key-fd and --new-key-fd: both are %d; one descriptor "
			 "holds one passphrase", o->key_fd);
		return -1;
	}
	return c->id == CMD_CREATE ? disk_check_create(o, err) : 0;
}

static int parse_args(const struct disk_cmd *c, int argc, char **argv, struct disk_opts *o,
		      char *err)
{
	bool options_done = false;

	memset(o, 0, sizeof(*o));
	o->key_fd = o->new_key_fd = -1;
	o->sector_size = 512;
	for (int i = 1; i < argc; i++) {
		int rc;
		if (options_done)
			rc = add_positional(c, argv[i], o, err);
		else if (strcmp(argv[i], "--") == 0)
			options_done = true, rc = 0;
		else
			rc = parse_one(c, argc, argv, &i, o, err);
		if (rc < 0)
			return -1;
		if (o->help)
			return 0;
	}
	return check_combination(c, o, err);
}

/* --- dispatch ------------------------------------------------------------ */

static const struct disk_cmd disk_cmds[] = {
	{ "create", CMD_CREATE, { "FILE", "SIZE" }, create_help, disk_run_create },
	{ "info", CMD_INFO, { "FILE", NULL }, info_help, disk_run_info },
	{ "passwd", CMD_PASSWD, { "FILE", NULL }, passwd_help, disk_run_passwd },
};

static const struct disk_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(disk_cmds) / sizeof(disk_cmds[0]); i++)
		if (strcmp(disk_cmds[i].name, name) == 0)
			return &disk_cmds[i];
	return NULL;
}

static bool is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0;
}

/* `cordon disk help [COMMAND]`, `cordon disk --help`. */
static int show_help(int argc, char **argv)
{
	const struct disk_cmd *c = argc > 2 ? find_cmd(argv[2]) : NULL;
	if (argc > 2 && !c) {
		fprintf(stderr, "cordon disk: unknown command '%s'\nTry 'cordon disk --help'.\n",
			argv[2]);
		return 2;
	}
	if (c)
		c->help(stdout);
	else
		cli_disk_help(stdout);
	return 0;
}

int cli_disk(int argc, char **argv)
{
	const struct disk_cmd *c;
	struct disk_opts o;
	char err[CLI_ERRLEN];

	if (argc < 2) {
		cli_disk_help(stderr);
		return 2;
	}
	if (is_help(argv[1]))
		return show_help(argc, argv);
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "cordon disk: unknown command '%s'\nTry 'cordon disk --help'.\n",
			argv[1]);
		return 2;
	}
	if (parse_args(c, argc - 1, argv + 1, &o, err) < 0)
		return usage_error(c, err);
	if (o.help) {
		c->help(stdout);
		return 0;
	}
	disk_lib_reset();
	crypt_set_log_callback(NULL, lib_log, NULL);
	return c->run(&o);
}
