/*
 * Media label records and sanitizing; see media.h.
 */
#include "sec/media.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "sec/safe_open.h"

#define ZERO_CHUNK (1u << 20)

/* "PATH: why", with PATH cut short rather than the reason. */
static void err_at(char *err, const char *path, const char *why)
{
	snprintf(err, MEDIA_ERRLEN, "%.300s: %.200s", path, why);
}

static int record_path(const char *image_path, const char *suffix, char *out, size_t len,
		       char *err)
{
	if ((size_t)snprintf(out, len, "%s.label%s", image_path, suffix) >= len) {
		err_at(err, image_path, "path too long for a label record");
		return -1;
	}
	return 0;
}

/* Reads up to cap-1 bytes (fewer only at end of file). */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Reads the record's one line into text (cap = LABEL_TEXT_MAX + 2: the
 * longest canonical line with its newline, plus one byte to see that a
 * record is too long).  1 when there is no record.  safe_open keeps a
 * symlink, FIFO, device or another user's file planted as the record from
 * hanging or feeding the supervisor.
 */
static int read_record(const char *path, char *text, size_t cap, char *err)
{
	const struct safe_open_opts o = { .flags = O_RDONLY };
	char why[SAFE_ERRLEN];
	int fd = safe_open(path, &o, why);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		snprintf(err, MEDIA_ERRLEN, "%s", why);
		return -1;
	}
	ssize_t n = read_upto(fd, text, cap);
	int e = errno;
	close(fd);
	if (n < 0) {
		err_at(err, path, strerror(e));
		return -1;
	}
	if ((size_t)n == cap - 1) {
		err_at(err, path, "longer than any label");
		return -1;
	}
	text[n] = '\0';
	char *nl = memchr(text, '\n', (size_t)n);
	if (n == 0 || !nl || nl != text + n - 1 || nl == text || memchr(text, '\0', (size_t)n)) {
		err_at(err, path, "not one line holding a label");
		return -1;
	}
	*nl = '\0';
	return 0;
}

int media_label_load(const struct lattice *lat, const char *image_path,
		     const struct label *declared, struct label *current, bool *had_record,
		     char *err)
{
	char path[4200], text[LABEL_TEXT_MAX + 2], why[LABEL_ERRLEN];
	struct label recorded;
	*had_record = false;
	if (!label_valid(lat, declared)) {
		err_at(err, image_path, "declared label is not valid in this lattice");
		return -1;
	}
	if (record_path(image_path, "", path, sizeof(path), err) < 0)
		return -1;
	int rc = read_record(path, text, sizeof(text), err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		*current = *declared;
		return 0;
	}
	if (label_parse(lat, text, &recorded, why) < 0) {
		err_at(err, path, why);
		return -1;
	}
	*had_record = true;
	*current = label_lub(declared, &recorded);
	return 0;
}

/* A rename is durable once the directory holding it is synced. */
static int sync_parent_dir(const char *path)
{
	char *copy = strdup(path), why[SAFE_ERRLEN];
	if (!copy)
		return -1;
	int rc = safe_sync_dir(dirname(copy), why);
	free(copy);
	return rc;
}

int media_label_store(const struct lattice *lat, const char *image_path, const struct label *l,
		      char *err)
{
	char path[4200], tmp[4200], text[LABEL_TEXT_MAX + 1];
	int len = label_format(lat, l, text, sizeof(text) - 1);
	if (len < 0) {
		err_at(err, image_path, "invalid label for the record");
		return -1;
	}
	text[len++] = '\n';
	if (record_path(image_path, "", path, sizeof(path), err) < 0 ||
	    record_path(image_path, ".tmp", tmp, sizeof(tmp), err) < 0)
		return -1;
	/* safe_open checks the directory (no one else can write it), so the
	 * rename below lands where we think. */
	const struct safe_open_opts o = { .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0600 };
	char why[SAFE_ERRLEN];
	unlink(tmp); /* a stale one from a crash */
	int fd = safe_open(tmp, &o, why);
	if (fd < 0) {
		snprintf(err, MEDIA_ERRLEN, "%s", why);
		return -1;
	}
	bool written = host_write_all(fd, text, (size_t)len) == 0 && fsync(fd) == 0;
	int e = errno;
	close(fd);
	if (written && rename(tmp, path) < 0) {
		written = false;
		e = errno;
	}
	if (!written) {
		unlink(tmp);
		err_at(err, path, strerror(e));
		return -1;
	}
	if (sync_parent_dir(path) < 0) {
		err_at(err, path, "written, but its directory cannot be synced");
		return -1;
	}
	return 0;
}

static int zero_fill(int fd, off_t size)
{
	char *zeros = calloc(1, ZERO_CHUNK);
	if (!zeros)
		return -1;
	int rc = 0;
	for (off_t off = 0; off < size && rc == 0;) {
		size_t n = size - off < (off_t)ZERO_CHUNK ? (size_t)(size - off) : ZERO_CHUNK;
		ssize_t w = pwrite(fd, zeros, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO; /* no progress and no reason: call it an I/O error */
		if (w <= 0)
			rc = -1;
		else
			off += w;
	}
	free(zeros);
	return rc == 0 ? fdatasync(fd) : -1;
}

/* An exclusive lock, refused while a VM holds the image read-write. */
static const char *lock_exclusive(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		return errno == EWOULDBLOCK ? "in use by a running VM" : strerror(errno);
	}
	return NULL;
}

int media_open_for_sanitize(const char *image_path, char *err)
{
	const struct safe_open_opts o = { .flags = O_RDWR, .private_file = true };
	char why[SAFE_ERRLEN];
	int fd = safe_open(image_path, &o, why);
	if (fd < 0) {
		snprintf(err, MEDIA_ERRLEN, "%s", why);
		return -1;
	}
	const char *busy = lock_exclusive(fd);
	if (busy) {
		close(fd);
		err_at(err, image_path, busy);
		return -1;
	}
	return fd;
}

int media_zero_fill(int fd, const char *image_path, char *err)
{
	if (zero_fill(fd, (off_t)host_fd_size(fd)) == 0)
		return 0;
	err_at(err, image_path, strerror(errno));
	return -1;
}

int media_sanitize(const char *image_path, char *err)
{
	int fd = media_open_for_sanitize(image_path, err);
	if (fd < 0)
		return -1;
	int rc = media_zero_fill(fd, image_path, err);
	close(fd);
	return rc;
}
