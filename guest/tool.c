/* Shared by the guest tools; see tool.h. */
#include "tool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYSFS_PORTS "/sys/class/virtio-ports"

const char *tool_name = "cordon";

void tool_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Reads the first line of path into buf; 0, or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int tool_find_port(const char *name, char *path, size_t size)
{
	DIR *d = opendir(SYSFS_PORTS);
	if (!d) {
		tool_say("%s: %s (is virtio_console loaded?)", SYSFS_PORTS, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = -1;
	while (rc < 0 && (e = readdir(d))) {
		char file[512], got[128];
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/name", SYSFS_PORTS, e->d_name);
		if (read_line(file, got, sizeof(got)) == 0 && strcmp(got, name) == 0) {
			snprintf(path, size, "/dev/%s", e->d_name);
			rc = 0;
		}
	}
	closedir(d);
	if (rc < 0)
		tool_say("no virtio port named %s (is 'transfer on' set for this VM?)", name);
	return rc;
}

int tool_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n > 0) {
			p += n, len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static void h_init(void *ctx) { sha256_init(ctx); }
static void h_update(void *ctx, const void *d, size_t n) { sha256_update(ctx, d, n); }
static void h_final(void *ctx, uint8_t out[XFER_DIGEST_LEN]) { sha256_final(ctx, out); }

struct xfer_hash tool_hash(struct sha256 *s)
{
	return (struct xfer_hash){ h_init, h_update, h_final, s };
}

void tool_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = 0;
}
