/*
 * Frames on sockets, packet-mode pipes and tap devices (see pktfd.h).
 */
#include "host/pktfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EMPTY_SKIP 64 /* zero-length socket messages skipped per read */

int host_pkt_prepare(int fd, enum host_pkt_kind *kind, char *err)
{
	struct stat st;
	int fl;
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
		snprintf(err, HOST_ERRLEN, "descriptor %d: %s", fd, strerror(errno));
		return -1;
	}
	if (S_ISSOCK(st.st_mode))
		*kind = HOST_PKT_SOCKET;
	else if (S_ISFIFO(st.st_mode))
		*kind = HOST_PKT_PIPE;
	else if (S_ISCHR(st.st_mode))
		*kind = HOST_PKT_TAP;
	else {
		snprintf(err, HOST_ERRLEN, "descriptor %d: not a socket, pipe or tap device", fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, HOST_ERRLEN, "descriptor %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

void host_pkt_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

bool host_pkt_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) <= 0)
		return false;
	return p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL);
}

static ssize_t read_socket(int fd, void *buf, size_t cap)
{
	for (int skipped = 0; skipped < EMPTY_SKIP;) {
		/* MSG_TRUNC: the message's real length, even when cut to cap. */
		ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n > 0)
			return n;
		if (n == 0) {
			/* End of stream, or an empty message (never a frame). */
			if (host_pkt_hung_up(fd))
				return -1;
			skipped++;
			continue;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
	return 0;
}

ssize_t host_pkt_read(int fd, enum host_pkt_kind kind, void *buf, size_t cap)
{
	if (kind == HOST_PKT_SOCKET)
		return read_socket(fd, buf, cap);
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n > 0)
			return n;
		if (n == 0)
			return -1; /* a pipe's writer closed it */
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
}

int host_pkt_write(int fd, enum host_pkt_kind kind, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = kind == HOST_PKT_SOCKET ? send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
						    : write(fd, buf, len);
		if (n >= 0)
			return 1;
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
		case ENOBUFS:
		case EMSGSIZE:
		case EINVAL:
		case EIO: /* a tap whose interface is down drops what we write */
			return 0;
		default:
			return -1; /* EPIPE, ECONNRESET, ENOTCONN, EBADFD: gone */
		}
	}
}

int host_pkt_wait(struct host_pkt_poll *p, unsigned n, int64_t timeout_ns)
{
	struct pollfd pfd[64];
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
	if (n > sizeof(pfd) / sizeof(pfd[0]))
		n = sizeof(pfd) / sizeof(pfd[0]);
	for (unsigned i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = p[i].fd,
					  .events = (short)((p[i].want_read ? POLLIN : 0) |
							    (p[i].want_write ? POLLOUT : 0)) };
	int rc = ppoll(pfd, n, timeout_ns < 0 ? NULL : &ts, NULL);
	for (unsigned i = 0; i < n; i++) {
		short r = rc > 0 ? pfd[i].revents : 0;
		p[i].readable = r & POLLIN;
		p[i].writable = r & POLLOUT;
		p[i].hung_up = r & (POLLHUP | POLLERR | POLLNVAL);
	}
	return rc < 0 ? 0 : rc;
}
