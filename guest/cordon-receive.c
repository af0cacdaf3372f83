/*
 * cordon-receive [--count N] DIR: takes transfers from this VM's inbox and
 * puts their files in DIR.
 *
 * The inbox stream (docs/transfer.md) is checked by the same code the
 * guard runs (src/xfer/stream.c), so whatever reaches us, a name holds no
 * '/' and is not '.' or '..', a mode is 0644 or 0755, sizes and the digest
 * agree.  On top of that, for each file:
 *   - it is written to a new temporary name in DIR, created with
 *     O_CREAT|O_EXCL|O_NOFOLLOW relative to DIR's descriptor (openat), so
 *     nothing outside DIR and no existing file is ever opened;
 *   - its mode is set with fchmod to exactly 0644 or 0755: no setuid or
 *     setgid bit, whatever the stream or the umask says;
 *   - only when all its bytes are in and the SHA-256 matched is it
 *     renamed into place, with RENAME_NOREPLACE: an existing file or
 *     symlink of that name is left alone and the file refused;
 *   - on any problem the temporary file is removed: nothing partial stays.
 *
 * Exit status: 0 when every file of N transfers (default 1) was placed,
 * 1 when a stream was refused or cut short, 2 when a file was not placed
 * because its name existed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define CHUNK (64 * 1024)

struct recv {
	int dir;
	const char *dir_path;
	int tmp;                  /* the current file's temporary, or -1 */
	char tmp_name[64];
	bool skip;                /* the current file's name exists: data discarded */
	bool write_failed;
	unsigned placed, refused;
	char from[XFER_VM_MAX + 1];
};

/* Exits: 0 after --help (usage on stdout), else 2 (on stderr). */
static void usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: cordon-receive [--port PATH] [--count N] DIR\n"
			"  Receives N transfers (default 1; 0: until the inbox closes) from this\n"
			"  VM's inbox (org.cordon.inbox) and places their files in DIR.\n");
	exit(status);
}

static void drop_tmp(struct recv *r)
{
	if (r->tmp < 0)
		return;
	close(r->tmp);
	unlinkat(r->dir, r->tmp_name, 0);
	r->tmp = -1;
}

static void begin_file(struct recv *r, const struct xfer_info *i)
{
	static unsigned serial;
	struct stat st;
	r->skip = r->write_failed = false;
	if (fstatat(r->dir, i->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		tool_say("%s: already exists in %s: not replaced", i->name, r->dir_path);
		r->skip = true;
		return;
	}
	snprintf(r->tmp_name, sizeof(r->tmp_name), ".cordon-receive.%ld.%u.part", (long)getpid(),
		 serial++);
	r->tmp = openat(r->dir, r->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->tmp < 0) {
		tool_say("%s/%s: %s", r->dir_path, r->tmp_name, strerror(errno));
		r->skip = true;
	}
}

static void file_data(struct recv *r, const struct xfer_info *i)
{
	if (r->tmp < 0 || r->write_failed)
		return;
	if (tool_write_all(r->tmp, i->data, i->len) < 0) {
		tool_say("%s: %s", i->name, strerror(errno));
		r->write_failed = true;
	}
}

static void end_file(struct recv *r, const struct xfer_info *i, uint16_t mode)
{
	char hex[2 * XFER_DIGEST_LEN + 1];
	tool_hex(i->digest, XFER_DIGEST_LEN, hex);
	if (r->skip || r->tmp < 0) {
		r->refused++;
		return;
	}
	if (r->write_failed || fchmod(r->tmp, mode) < 0 || fsync(r->tmp) < 0) {
		drop_tmp(r);
		r->refused++;
		return;
	}
	close(r->tmp);
	r->tmp = -1;
	if (renameat2(r->dir, r->tmp_name, r->dir, i->name, RENAME_NOREPLACE) < 0) {
		tool_say("%s: %s: not replaced", i->name, strerror(errno));
		unlinkat(r->dir, r->tmp_name, 0);
		r->refused++;
		return;
	}
	r->placed++;
	printf("%s: sha256 %s\n", i->name, hex);
}

static int open_inbox(const char *given)
{
	char path[PATH_MAX];
	if (!given) {
		if (tool_find_port(INBOX_PORT, path, sizeof(path)) < 0)
			return -1;
		given = path;
	}
	int fd = open(given, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tool_say("%s: %s", given, strerror(errno));
	return fd;
}

/* Handles one event; returns 1 when a transfer ended, -1 when the stream
 * was refused, 0 otherwise. */
static int on_event(struct recv *r, const struct xfer_info *i, uint16_t *mode)
{
	switch (i->ev) {
	case XFER_EV_BEGIN:
		snprintf(r->from, sizeof(r->from), "%s", i->vm);
		printf("cordon-receive: %u file%s from %s\n", i->nfiles, i->nfiles == 1 ? "" : "s", i->vm);
		return 0;
	case XFER_EV_FILE: *mode = i->mode; begin_file(r, i); return 0;
	case XFER_EV_DATA: file_data(r, i); return 0;
	case XFER_EV_FILE_END: end_file(r, i, *mode); return 0;
	case XFER_EV_END: return 1;
	case XFER_EV_ERROR:
		drop_tmp(r);
		tool_say("stream refused: %s; nothing of the current file was kept", i->reason);
		return -1;
	default: return 0;
	}
}

int main(int argc, char **argv)
{
	const char *port_path = NULL;
	long count = 1;
	tool_name = "cordon-receive";
	int a = 1;
	if (tool_wants_help(argc, argv))
		usage(0);
	while (a + 1 < argc && argv[a][0] == '-') {
		if (strcmp(argv[a], "--port") == 0)
			port_path = argv[a + 1];
		else if (strcmp(argv[a], "--count") == 0)
			count = strtol(argv[a + 1], NULL, 10);
		else
			usage(2);
		a += 2;
	}
	if (argc - a != 1 || count < 0)
		usage(2);
	struct recv r = { .tmp = -1, .dir_path = argv[a] };
	r.dir = open(r.dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dir < 0) {
		tool_say("%s: %s", r.dir_path, strerror(errno));
		return 1;
	}
	struct sha256 sha;
	struct xfer_hash h = tool_hash(&sha);
	struct xfer_limits lim = { XFER_CEIL_MAX_BYTES, XFER_CEIL_MAX_FILES };
	struct xfer_check c;
	uint8_t *buf = malloc(CHUNK);
	int port = open_inbox(port_path);
	if (port < 0 || !buf || xfer_check_init(&c, XFER_INBOX, &lim, &h) < 0)
		return 1;
	long done = 0;
	uint16_t mode = XFER_MODE_FILE;
	for (;;) {
		ssize_t n = read(port, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (xfer_check_mid_transfer(&c) || n < 0) {
				drop_tmp(&r);
				tool_say("the inbox %s in the middle of a transfer; nothing of the current file "
					 "was kept", n < 0 ? strerror(errno) : "closed");
				return 1;
			}
			break;
		}
		for (size_t pos = 0;;) {
			struct xfer_info info;
			pos += xfer_check_feed(&c, buf + pos, (size_t)n - pos, &info);
			int e = on_event(&r, &info, &mode);
			if (e < 0)
				return 1;
			if (e > 0) {
				printf("cordon-receive: %u placed, %u refused, from %s\n", r.placed, r.refused,
				       r.from);
				if (++done == count)
					return r.refused ? 2 : 0;
			}
			if (info.ev == XFER_EV_NONE && pos == (size_t)n)
				break;
		}
	}
	return r.refused ? 2 : 0;
}
