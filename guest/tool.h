/*
 * What cordon-send and cordon-receive share: finding a virtio port by its
 * name, whole writes that wait on a non-blocking port, the stream
 * checker's hash in the shape src/xfer/stream.h wants, and messages.
 */
#ifndef CORDON_GUEST_TOOL_H
#define CORDON_GUEST_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sha256.h"
#include "xfer/stream.h"

#define OUTBOX_PORT "org.cordon.outbox"
#define INBOX_PORT "org.cordon.inbox"

extern const char *tool_name;

/* Is the command line just --help (or -h)?  Inline: cordon-udp, which
 * links nothing else of tool.c, asks it too. */
static inline bool tool_wants_help(int argc, char **argv)
{
	return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}
/* "cordon-send: ..." on stderr. */
void tool_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes /dev/vportNpM for the port called name into path (PATH_MAX);
 * 0, or -1 with a message. */
int tool_find_port(const char *name, char *path, size_t size);
/* All of buf to fd, waiting in poll() when the port is full; 0 or -1. */
int tool_write_all(int fd, const void *buf, size_t len);
/* A hash for the stream checker, backed by *s. */
struct xfer_hash tool_hash(struct sha256 *s);
void tool_hex(const uint8_t *d, size_t n, char *out);

#endif
