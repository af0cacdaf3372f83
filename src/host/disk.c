/*
 * Raw disk images for virtio-blk.
 *
 * A read-write open takes an exclusive, non-blocking flock on the image.
 * flock locks belong to the open file description, so the lock refuses a
 * second cordon and also a second --disk naming the same file in this
 * cordon (each open is its own description).  Read-only opens take no
 * lock: a stale read-only view is the user's choice.
 */
#include "host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 512u

struct host_disk {
	int fd;
	uint64_t size;
	bool read_only;
	dev_t dev;
	ino_t ino;
};

static void open_error(const char *path, int e, char *err)
{
	const char *why;
	switch (e) {
	case ENOENT: why = "no such file"; break;
	case EACCES: why = "permission denied"; break;
	case EISDIR: why = "is a directory, not a disk image"; break;
	case EROFS: why = "read-only file system (use ,ro)"; break;
	default: why = strerror(e); break;
	}
	snprintf(err, HOST_ERRLEN, "%s: %s", path, why);
}

static int check_image(const char *path, const struct stat *st, char *err)
{
	if (S_ISDIR(st->st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: is a directory, not a disk image", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: not a regular file", path);
		return -1;
	}
	if ((uint64_t)st->st_size % SECTOR) {
		snprintf(err, HOST_ERRLEN, "%s: size %llu bytes is not a multiple of 512", path,
			 (unsigned long long)st->st_size);
		return -1;
	}
	return 0;
}

static int lock_for_writing(int fd, const char *path, char *err)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			snprintf(err, HOST_ERRLEN, "%s: already in use read-write", path);
		else
			snprintf(err, HOST_ERRLEN, "%s: cannot lock: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks an open descriptor and wraps it, or closes it and fails: the
 * part host_disk_open and host_disk_from_fd share. */
static struct host_disk *adopt_fd(int fd, const char *name, bool read_only, char *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		open_error(name, errno, err);
		goto fail;
	}
	if (check_image(name, &st, err) < 0)
		goto fail;
	/* Clears O_NONBLOCK (see host_disk_open) and O_APPEND, under which
	 * Linux's pwrite would append instead of writing at the offset. */
	if (fcntl(fd, F_SETFL, 0) < 0) {
		open_error(name, errno, err);
		goto fail;
	}
	if (!read_only && lock_for_writing(fd, name, err) < 0)
		goto fail;
	struct host_disk *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory", name);
		goto fail;
	}
	d->fd = fd;
	d->size = (uint64_t)st.st_size;
	d->read_only = read_only;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	return d;
fail:
	close(fd);
	return NULL;
}

struct host_disk *host_disk_open(const char *path, bool read_only, char *err)
{
	/* O_NONBLOCK: opening a FIFO by mistake must not hang; cleared later. */
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		open_error(path, errno, err);
		return NULL;
	}
	return adopt_fd(fd, path, read_only, err);
}

/* The opener chose the access mode; it must allow what the disk needs. */
static int check_access(int fd, const char *name, bool read_only, char *err)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0) {
		snprintf(err, HOST_ERRLEN, "%s: bad descriptor: %s", name, strerror(errno));
		return -1;
	}
	int mode = flags & O_ACCMODE;
	if (mode == O_WRONLY) {
		snprintf(err, HOST_ERRLEN, "%s: descriptor is write-only", name);
		return -1;
	}
	if (!read_only && mode != O_RDWR) {
		snprintf(err, HOST_ERRLEN, "%s: descriptor is read-only", name);
		return -1;
	}
	return 0;
}

struct host_disk *host_disk_from_fd(int fd, const char *name, bool read_only, char *err)
{
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: no descriptor", name);
		return NULL;
	}
	if (check_access(fd, name, read_only, err) < 0) {
		close(fd);
		return NULL;
	}
	return adopt_fd(fd, name, read_only, err);
}

void host_disk_close(struct host_disk *d)
{
	if (!d)
		return;
	close(d->fd); /* drops the flock */
	free(d);
}

uint64_t host_disk_size(const struct host_disk *d)
{
	return d->size;
}

bool host_disk_same_file(const struct host_disk *a, const struct host_disk *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

static bool in_range(const struct host_disk *d, size_t len, uint64_t off)
{
	return off <= d->size && len <= d->size - off;
}

int host_disk_read(struct host_disk *d, void *buf, size_t len, uint64_t off)
{
	if (!in_range(d, len, off))
		return -1;
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(d->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* error, or the image shrank under us */
		p += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

int host_disk_write(struct host_disk *d, const void *buf, size_t len, uint64_t off)
{
	if (d->read_only || !in_range(d, len, off))
		return -1;
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(d->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

int host_disk_flush(struct host_disk *d)
{
	if (d->read_only)
		return 0;
	while (fdatasync(d->fd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}
