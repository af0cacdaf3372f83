/*
 * Host files: loading kernel/initrd images and opening the serial log.
 *
 * Errors name the path exactly as the user typed it, because that is the
 * string they will look for on their command line.
 */
#include "host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* "512 MiB", "64 KiB" or "1000 bytes": whichever unit divides evenly. */
static void format_size(char *out, size_t outlen, uint64_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(out, outlen, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, outlen, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(out, outlen, "%llu bytes", (unsigned long long)n);
}

static void describe_errno(const char *path, int e, char *err)
{
	const char *why;
	switch (e) {
	case ENOENT: why = "no such file"; break;
	case ENOTDIR: why = "a component of the path is not a directory"; break;
	case EACCES: why = "permission denied"; break;
	case EISDIR: why = "is a directory, not a file"; break;
	default: why = strerror(e); break;
	}
	snprintf(err, HOST_ERRLEN, "%s: %s", path, why);
}

/* Checks the opened file is a regular file no larger than max. */
static int check_file(int fd, const char *path, size_t max, size_t *size, char *err)
{
	struct stat st;
	char limit[32];

	if (fstat(fd, &st) < 0) {
		describe_errno(path, errno, err);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: is a directory, not a file", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: not a regular file", path);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		format_size(limit, sizeof(limit), max);
		snprintf(err, HOST_ERRLEN, "%s: file is larger than %s", path, limit);
		return -1;
	}
	*size = (size_t)st.st_size;
	return 0;
}

/* Reads exactly len bytes from offset 0; a short file (truncated while
 * we read) is an error.  pread leaves a shared descriptor's offset alone. */
static int read_exact(int fd, const char *path, uint8_t *buf, size_t len, char *err)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, HOST_ERRLEN, "%s: read failed: %s", path, strerror(errno));
			return -1;
		}
		if (n == 0) {
			snprintf(err, HOST_ERRLEN, "%s: file shrank while being read", path);
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int host_read_fd(int fd, const char *name, size_t max, uint8_t **buf, size_t *len, char *err)
{
	size_t size = 0;
	uint8_t *data;

	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: no descriptor", name);
		return -1;
	}
	if (check_file(fd, name, max, &size, err) < 0)
		return -1;
	/* +1 so an empty file still yields a non-NULL buffer. */
	data = malloc(size + 1);
	if (!data) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory reading %zu bytes", name, size);
		return -1;
	}
	if (read_exact(fd, name, data, size, err) < 0) {
		free(data);
		return -1;
	}
	*buf = data;
	*len = size;
	return 0;
}

int host_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err)
{
	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO named here must not hang us (host_read_fd then
	 * refuses it as not a regular file); regular files ignore the flag. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		describe_errno(path, errno, err);
		return -1;
	}
	int rc = host_read_fd(fd, path, max, buf, len, err);
	close(fd);
	return rc;
}

int host_limit_file_size(uint64_t bytes, char *err)
{
	struct rlimit r = { (rlim_t)bytes, (rlim_t)bytes };
	if (setrlimit(RLIMIT_FSIZE, &r) == 0)
		return 0;
	snprintf(err, HOST_ERRLEN, "cannot limit file sizes to %llu bytes: %s",
		 (unsigned long long)bytes, strerror(errno));
	return -1;
}

uint64_t host_fd_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
}

int host_open_output(const char *path, char *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		describe_errno(path, errno, err);
		return -1;
	}
	return fd;
}

/*
 * Writes everything, retrying on EINTR.  If the descriptor happens to be
 * non-blocking (a terminal shared with another process may be), wait for
 * it to drain rather than drop guest output.
 */
int host_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, 100);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void host_close(int fd)
{
	/* Never close the standard streams: the serial port may be "stdout". */
	if (fd > 2)
		close(fd);
}
