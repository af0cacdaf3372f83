/*
 * `cordon run` argument parsing.  Parsed by hand rather than with
 * getopt_long: getopt keeps global state and prints its own messages, and
 * we want every error to be one line naming the option and the value.
 */
#include "cli/args.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_size(const char *s, uint64_t *out)
{
	uint64_t n = 0;
	unsigned shift = 0;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	default: return -1;
	}
	if (*p != '\0')
		return -1;
	if (shift && n > (UINT64_MAX >> shift))
		return -1;
	*out = n << shift;
	return 0;
}

int cli_parse_memory(const char *s, uint64_t *out, char *err)
{
	uint64_t n;

	if (cli_parse_size(s, &n) < 0) {
		snprintf(err, CLI_ERRLEN,
			 "--memory: '%s' is not a size (bytes, or a number with a K, M or G suffix, e.g. 256M)",
			 s);
		return -1;
	}
	if (n < CLI_MEM_MIN || n > CLI_MEM_MAX) {
		snprintf(err, CLI_ERRLEN,
			 "--memory: '%s' is out of range (must be 16M .. 3G)", s);
		return -1;
	}
	if (n % CLI_MEM_ALIGN) {
		snprintf(err, CLI_ERRLEN,
			 "--memory: '%s' is not a multiple of 4K (guest RAM is whole pages)", s);
		return -1;
	}
	*out = n;
	return 0;
}

/* MODE of --serial and --hvc: "stdio", "none" or "file:PATH". */
static int parse_console_mode(const char *opt, const char *s, enum serial_mode *mode,
			      const char **path, char *err)
{
	*path = NULL;
	if (strcmp(s, "stdio") == 0) {
		*mode = SERIAL_STDIO;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*mode = SERIAL_NONE;
		return 0;
	}
	if (strncmp(s, "file:", 5) == 0) {
		if (s[5] == '\0') {
			snprintf(err, CLI_ERRLEN, "%s: '%s' needs a path after 'file:'", opt, s);
			return -1;
		}
		*mode = SERIAL_FILE;
		*path = s + 5;
		return 0;
	}
	snprintf(err, CLI_ERRLEN, "%s: '%s' is not one of stdio, file:PATH, none", opt, s);
	return -1;
}

int cli_parse_serial(const char *s, enum serial_mode *mode, const char **path, char *err)
{
	return parse_console_mode("--serial", s, mode, path, err);
}

int cli_parse_hvc(const char *s, struct run_opts *o, char *err)
{
	if (parse_console_mode("--hvc", s, &o->hvc_mode, &o->hvc_path, err) < 0)
		return -1;
	o->hvc = true;
	return 0;
}

static int hex_digit(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* "52:54:00:12:34:56": six two-digit hex bytes; a unicast address. */
static int parse_mac(const char *s, uint8_t mac[VM_MAC_LEN])
{
	for (int i = 0; i < VM_MAC_LEN; i++) {
		const char *p = s + 3 * i;
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
		if (lo < 0 || p[2] != (i == VM_MAC_LEN - 1 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return (mac[0] & 1) ? -1 : 0; /* a multicast MAC cannot be a NIC's */
}

/* "socket:PATH" or "socket:PATH,mac=XX:XX:XX:XX:XX:XX". */
int cli_parse_net(const char *s, struct run_opts *o, char *err)
{
	if (strncmp(s, "socket:", 7) != 0) {
		snprintf(err, CLI_ERRLEN, "--net: '%s' is not socket:PATH[,mac=XX:XX:XX:XX:XX:XX]", s);
		return -1;
	}
	const char *path = s + 7, *mac = strstr(path, ",mac=");
	size_t len = mac ? (size_t)(mac - path) : strlen(path);
	if (o->nnets == VM_MAX_NICS) {
		snprintf(err, CLI_ERRLEN, "--net: at most %d NICs", VM_MAX_NICS);
		return -1;
	}
	__typeof__(o->nets[0]) *n = &o->nets[o->nnets];
	if (len == 0) {
		snprintf(err, CLI_ERRLEN, "--net: '%s' needs a socket path after 'socket:'", s);
		return -1;
	}
	if (len >= sizeof(n->path)) {
		snprintf(err, CLI_ERRLEN, "--net: '%s' socket path is too long", s);
		return -1;
	}
	n->mac_set = mac != NULL;
	if (mac && parse_mac(mac + 5, n->mac) < 0) {
		snprintf(err, CLI_ERRLEN, "--net: '%s' is not a unicast MAC address (XX:XX:XX:XX:XX:XX)",
			 mac + 5);
		return -1;
	}
	memcpy(n->path, path, len);
	n->path[len] = '\0';
	o->nnets++;
	return 0;
}

#define DISK_FORM "FILE[,ro][,luks][,key-file=PATH|,key-fd=N][,if=virtio|ide][,index=N]"

/* One option word of --disk into d; 1 if it was one, 0 if not, -1 bad. */
static int disk_option(const char *arg, const char *word, size_t len, struct vm_disk *d, char *err)
{
	if (len == 2 && strncmp(word, "ro", 2) == 0) {
		d->read_only = true;
		return 1;
	}
	if (len == 4 && strncmp(word, "luks", 4) == 0) {
		d->luks = true;
		return 1;
	}
	if (len >= 9 && strncmp(word, "key-file=", 9) == 0) {
		if (len == 9) {
			snprintf(err, CLI_ERRLEN, "--disk: '%s': key-file= needs a path", arg);
			return -1;
		}
		d->key_file = word + 9; /* NUL-terminated: words are cut from the end */
		return 1;
	}
	if (len == 6 && strncmp(word, "if=ide", 6) == 0) {
		d->iface = DISK_IDE;
		return 1;
	}
	if (len == 9 && strncmp(word, "if=virtio", 9) == 0) {
		d->iface = DISK_VIRTIO;
		return 1;
	}
	if (len == 7 && strncmp(word, "index=", 6) == 0 && word[6] >= '0' && word[6] <= '3') {
		d->ide_pos = word[6] - '0';
		return 1;
	}
	if (len >= 3 && (strncmp(word, "if=", 3) == 0 || strncmp(word, "index=", 6) == 0)) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s': '%.*s' is not if=virtio, if=ide or index=0..3",
			 arg, (int)len, word);
		return -1;
	}
	if (len >= 7 && strncmp(word, "key-fd=", 7) == 0) {
		char *end;
		long fd = strtol(word + 7, &end, 10);
		if (len == 7 || end != word + len || fd < 0 || fd > 65535) {
			snprintf(err, CLI_ERRLEN, "--disk: '%s': key-fd= needs a file descriptor number", arg);
			return -1;
		}
		d->key_fd = (int)fd;
		return 1;
	}
	return 0;
}

static unsigned count_virtio(const struct run_opts *o)
{
	unsigned n = 0;
	for (unsigned i = 0; i < o->ndisks; i++)
		n += o->disks[i].iface == DISK_VIRTIO;
	return n;
}

/*
 * FILE[,ro][,luks][,key-file=PATH|,key-fd=N]: option words are taken from
 * the end while they are options, so a FILE may hold commas (a key-file
 * PATH may not).  The words are cut out of a private copy of s.
 */
int cli_parse_disk(const char *s, struct run_opts *o, char *err)
{
	if (o->ndisks >= VM_MAX_DISKS) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s' is one too many (at most %d virtio and %d IDE disks)",
			 s, VM_MAX_VIRTIO_DISKS, VM_IDE_POSITIONS);
		return -1;
	}
	char *copy = o->disk_paths[o->ndisks];
	if (strlen(s) >= sizeof(o->disk_paths[0])) {
		snprintf(err, CLI_ERRLEN, "--disk: '%.64s...' is too long", s);
		return -1;
	}
	strcpy(copy, s);
	struct vm_disk d = { .key_fd = -1, .ide_pos = -1 };
	char *comma;
	while ((comma = strrchr(copy, ',')) != NULL) {
		int rc = disk_option(s, comma + 1, strlen(comma + 1), &d, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		*comma = '\0';
	}
	if (copy[0] == '\0') {
		snprintf(err, CLI_ERRLEN, "--disk: '%s' needs a file name (%s)", s, DISK_FORM);
		return -1;
	}
	if ((d.key_file || d.key_fd >= 0) && !d.luks) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s': a key is only for a luks image (add ,luks)", s);
		return -1;
	}
	if (d.key_file && d.key_fd >= 0) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s': give key-file= or key-fd=, not both", s);
		return -1;
	}
	if (d.ide_pos >= 0 && d.iface != DISK_IDE) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s': index= is an IDE position (add ,if=ide)", s);
		return -1;
	}
	if (d.iface == DISK_VIRTIO && count_virtio(o) == VM_MAX_VIRTIO_DISKS) {
		snprintf(err, CLI_ERRLEN, "--disk: '%s' is one too many (at most %d virtio disks, vda..vdd; "
			 "IDE takes %d more with ,if=ide)", s, VM_MAX_VIRTIO_DISKS, VM_IDE_POSITIONS);
		return -1;
	}
	d.path = copy;
	o->disks[o->ndisks++] = d;
	return 0;
}

/* IDE positions: the CD-ROM is the secondary master; a disk takes its
 * index= or the first free position.  Two on one position are refused. */
static int place_ide(struct run_opts *o, char *err)
{
	const char *taken[VM_IDE_POSITIONS] = { NULL };
	if (o->cdrom)
		taken[VM_IDE_CDROM_POS] = o->cdrom;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < o->ndisks; i++) {
			struct vm_disk *d = &o->disks[i];
			if (d->iface != DISK_IDE || (pass == 0) != (d->ide_pos >= 0))
				continue;
			int pos = d->ide_pos;
			for (int p = 0; pos < 0 && p < VM_IDE_POSITIONS; p++)
				if (!taken[p])
					pos = p;
			if (pos < 0 || taken[pos]) {
				snprintf(err, CLI_ERRLEN, "--disk: '%s': %s", d->path,
					 pos < 0 ? "no IDE position left (there are 4, the CD-ROM has one)"
						 : "two devices on one IDE position (index=)");
				return -1;
			}
			d->ide_pos = pos;
			taken[pos] = d->path;
		}
	}
	return 0;
}

int cli_parse_boot(const char *s, enum boot_device *out, char *err)
{
	if (strcmp(s, "cdrom") == 0)
		*out = BOOT_CDROM;
	else if (strcmp(s, "disk") == 0)
		*out = BOOT_DISK;
	else {
		snprintf(err, CLI_ERRLEN, "--boot: '%s' is not cdrom or disk", s);
		return -1;
	}
	return 0;
}

enum opt_id {
	OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_MEMORY,
	OPT_SERIAL, OPT_ENGINE, OPT_AUDIT, OPT_STATS, OPT_NO_JIT, OPT_HELP, OPT_DISK,
	OPT_HVC, OPT_NET, OPT_SANDBOX, OPT_FIRMWARE, OPT_CDROM, OPT_BOOT,
};

struct opt_def {
	const char *name;
	enum opt_id id;
	bool takes_value;
};

static const struct opt_def run_opt_defs[] = {
	{ "--kernel", OPT_KERNEL, true },
	{ "--firmware", OPT_FIRMWARE, true },
	{ "--cdrom", OPT_CDROM, true },
	{ "--boot", OPT_BOOT, true },
	{ "--initrd", OPT_INITRD, true },
	{ "--append", OPT_APPEND, true },
	{ "--memory", OPT_MEMORY, true },
	{ "--serial", OPT_SERIAL, true },
	{ "--engine", OPT_ENGINE, true },
	{ "--disk", OPT_DISK, true },
	{ "--hvc", OPT_HVC, true },
	{ "--net", OPT_NET, true },
	{ "--audit-sensitive", OPT_AUDIT, false },
	{ "--stats", OPT_STATS, false },
	{ "--no-jit", OPT_NO_JIT, false },
	{ "--sandbox", OPT_SANDBOX, false },
	{ "--help", OPT_HELP, false },
	{ "-h", OPT_HELP, false },
};

static const struct opt_def *find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(run_opt_defs) / sizeof(run_opt_defs[0]); i++) {
		const struct opt_def *d = &run_opt_defs[i];
		if (strlen(d->name) == len && strncmp(d->name, name, len) == 0)
			return d;
	}
	return NULL;
}

static int need_file(const char *opt, const char *val, char *err)
{
	if (val[0] == '\0') {
		snprintf(err, CLI_ERRLEN, "%s: empty file name", opt);
		return -1;
	}
	return 0;
}

static int apply_opt(const struct opt_def *d, const char *val, struct run_opts *o, char *err)
{
	switch (d->id) {
	case OPT_KERNEL:
		o->kernel = val;
		return need_file(d->name, val, err);
	case OPT_INITRD:
		o->initrd = val;
		return need_file(d->name, val, err);
	case OPT_FIRMWARE:
		o->firmware = val;
		return need_file(d->name, val, err);
	case OPT_CDROM:
		o->cdrom = val;
		return need_file(d->name, val, err);
	case OPT_BOOT:
		return cli_parse_boot(val, &o->boot, err);
	case OPT_APPEND:
		o->append = val;
		return 0;
	case OPT_MEMORY:
		return cli_parse_memory(val, &o->mem_bytes, err);
	case OPT_SERIAL:
		return cli_parse_serial(val, &o->serial, &o->serial_path, err);
	case OPT_ENGINE:
		o->engine = val;
		return 0;
	case OPT_AUDIT:
		o->audit_sensitive = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_NO_JIT:
		o->no_jit = true;
		return 0;
	case OPT_SANDBOX:
		o->sandbox = true;
		return 0;
	case OPT_DISK:
		return cli_parse_disk(val, o, err);
	case OPT_HVC:
		return cli_parse_hvc(val, o, err);
	case OPT_NET:
		return cli_parse_net(val, o, err);
	}
	return 0;
}

/* Without --kernel the guest boots through firmware: the options that
 * only mean something to a kernel loader are mistakes then. */
static int check_boot_choice(struct run_opts *o, char *err)
{
	if (!o->kernel && (o->initrd || o->append)) {
		snprintf(err, CLI_ERRLEN, "%s is for a kernel: missing --kernel FILE",
			 o->initrd ? "--initrd" : "--append");
		return -1;
	}
	if (o->kernel && (o->firmware || o->boot)) {
		snprintf(err, CLI_ERRLEN, "%s and --kernel exclude each other "
			 "(--kernel boots without firmware)", o->firmware ? "--firmware" : "--boot");
		return -1;
	}
	if (o->boot == BOOT_CDROM && !o->cdrom) {
		snprintf(err, CLI_ERRLEN, "--boot cdrom: there is no --cdrom to boot from");
		return -1;
	}
	if (o->boot == BOOT_DISK && !o->ndisks) {
		snprintf(err, CLI_ERRLEN, "--boot disk: there is no --disk to boot from");
		return -1;
	}
	return place_ide(o, err);
}

static void set_defaults(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mem_bytes = CLI_MEM_DEFAULT;
	o->serial = SERIAL_STDIO;
	o->engine = "soft";
}

int cli_parse_run_args(int argc, char **argv, struct run_opts *o, char *err)
{
	set_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;
		size_t namelen = strlen(arg);
		const struct opt_def *d;

		if (arg[0] != '-') {
			snprintf(err, CLI_ERRLEN, "unexpected argument '%s' (options start with --)", arg);
			return -1;
		}
		eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
		if (eq) {
			namelen = (size_t)(eq - arg);
			val = eq + 1;
		}
		d = find_opt(arg, namelen);
		if (!d) {
			snprintf(err, CLI_ERRLEN, "unknown option '%.*s'", (int)namelen, arg);
			return -1;
		}
		if (!d->takes_value && val) {
			snprintf(err, CLI_ERRLEN, "%s takes no value (got '%s')", d->name, arg);
			return -1;
		}
		if (d->takes_value && !val) {
			if (i + 1 >= argc) {
				snprintf(err, CLI_ERRLEN, "%s needs a value", d->name);
				return -1;
			}
			val = argv[++i];
		}
		if (apply_opt(d, val, o, err) < 0)
			return -1;
		if (o->help)
			return 0;
	}
	return check_boot_choice(o, err);
}
