/*
 * cordon-send VM FILE...: sends files through this VM's outbox to VM.
 *
 * It writes one transfer stream (docs/transfer.md) to the virtio port
 * named org.cordon.outbox and prints "queued".  That is all the sending VM
 * ever learns: whether the reference monitor lets the files up, holds them
 * for review or refuses them, the outbox answers the same, so a lower VM
 * cannot be signalled through a refusal.
 *
 * Each file goes by its base name, mode 0755 if any execute bit is set and
 * 0644 otherwise.  It computes no digest: the guard hashes what arrives
 * (on the host, where it costs little; in the guest SHA-256 was most of
 * the time a transfer took).  A name the guard would
 * refuse is refused here first, with the reason.  A file that changes size
 * while it is read cuts the stream short, and the guard drops it whole.
 *
 * A static i386 program (guest/Makefile), like cordon-receive.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define CHUNK (64 * 1024)

struct item {
	const char *path;
	const char *name;
	uint16_t mode;
	uint64_t size;
};

/* Exits: 0 after --help (usage on stdout), else 2 (on stderr). */
static void usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: cordon-send [--port PATH] VM FILE...\n"
			"  Sends the files to VM through this VM's outbox (org.cordon.outbox).\n"
			"  Prints 'queued' when the outbox has taken them; the outcome is not told.\n");
	exit(status);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Fills it from path; 0, or -1 with a message. */
static int check_file(struct item *it, const char *path)
{
	struct stat st;
	char why[XFER_REASON_LEN];
	it->path = path;
	it->name = base_name(path);
	if (stat(path, &st) < 0) {
		tool_say("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		tool_say("%s: not a regular file", path);
		return -1;
	}
	if (xfer_name_check((const uint8_t *)it->name, strlen(it->name), why) < 0) {
		tool_say("%s: the name %s", path, why);
		return -1;
	}
	it->mode = st.st_mode & 0111 ? XFER_MODE_EXEC : XFER_MODE_FILE;
	it->size = (uint64_t)st.st_size;
	return 0;
}

static int check_all(struct item *items, int n, char **paths)
{
	for (int i = 0; i < n; i++) {
		if (check_file(&items[i], paths[i]) < 0)
			return -1;
		for (int j = 0; j < i; j++) {
			if (strcmp(items[i].name, items[j].name) == 0) {
				tool_say("%s and %s have the same name", paths[j], paths[i]);
				return -1;
			}
		}
	}
	return 0;
}

/* Header and data of one file. */
static int send_file(int port, const struct item *it, uint8_t *buf)
{
	uint8_t hdr[XFER_FILE_LEN + XFER_NAME_MAX];
	int fd = open(it->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tool_say("%s: %s", it->path, strerror(errno));
		return -1;
	}
	int rc = tool_write_all(port, hdr, xfer_put_file(hdr, it->name, it->mode, it->size));
	uint64_t left = it->size;
	while (rc == 0 && left) {
		ssize_t n = read(fd, buf, left < CHUNK ? left : CHUNK);
		if (n <= 0) {
			tool_say("%s: %s", it->path, n < 0 ? strerror(errno) : "shrank while being sent");
			rc = -1;
			break;
		}
		left -= (uint64_t)n;
		rc = tool_write_all(port, buf, (size_t)n);
	}
	if (rc == 0 && read(fd, buf, 1) != 0) {
		tool_say("%s: grew while being sent", it->path);
		rc = -1;
	}
	close(fd);
	return rc;
}

static int open_port(const char *given)
{
	char path[PATH_MAX];
	if (!given) {
		if (tool_find_port(OUTBOX_PORT, path, sizeof(path)) < 0)
			return -1;
		given = path;
	}
	int fd = open(given, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		tool_say("%s: %s", given, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	const char *port_path = NULL;
	tool_name = "cordon-send";
	int a = 1;
	if (tool_wants_help(argc, argv))
		usage(0);
	if (a + 1 < argc && strcmp(argv[a], "--port") == 0)
		port_path = argv[a + 1], a += 2;
	if (argc - a < 2 || argv[a][0] == '-')
		usage(2);
	const char *vm = argv[a++];
	int n = argc - a;
	if (!xfer_vm_name_ok((const uint8_t *)vm, strlen(vm))) {
		tool_say("bad VM name '%s' (1..%d of A-Z a-z 0-9 _ -)", vm, XFER_VM_MAX);
		return 2;
	}
	if (n > (int)XFER_CEIL_MAX_FILES) {
		tool_say("%d files: at most %u in one transfer", n, XFER_CEIL_MAX_FILES);
		return 2;
	}
	struct item *items = calloc((size_t)n, sizeof(*items));
	uint8_t *buf = malloc(CHUNK);
	if (!items || !buf || check_all(items, n, argv + a) < 0)
		return 1;
	int port = open_port(port_path);
	if (port < 0)
		return 1;
	uint8_t hdr[XFER_HEADER_LEN + XFER_VM_MAX];
	int rc = tool_write_all(port, hdr, xfer_put_header(hdr, XFER_OUTBOX, vm, (uint32_t)n));
	uint64_t total = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		rc = send_file(port, &items[i], buf);
		total += items[i].size;
	}
	if (rc == 0)
		rc = tool_write_all(port, hdr, xfer_put_end(hdr, (uint32_t)n));
	if (rc < 0 && errno)
		tool_say("writing the outbox: %s", strerror(errno));
	/* Closing waits until the host has taken every byte written. */
	if (close(port) < 0 && rc == 0) {
		tool_say("closing the outbox: %s", strerror(errno));
		rc = -1;
	}
	if (rc < 0) {
		tool_say("not sent: the transfer was cut short and will be dropped");
		return 1;
	}
	printf("cordon-send: queued %d file%s (%llu bytes) for %s\n", n, n == 1 ? "" : "s",
	       (unsigned long long)total, vm);
	return 0;
}
