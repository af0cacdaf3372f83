/* See send_pending.h. */
#include "super/send_pending.h"

#include <errno.h>
#include <sys/socket.h>

enum send_pending_result send_pending(int fd, const void *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, (const char *)buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return SEND_AGAIN;
		if (n <= 0) /* 0 for a non-empty buffer: nothing will ever go */
			return SEND_FAILED;
		*off += (size_t)n;
	}
	return SEND_DONE;
}
