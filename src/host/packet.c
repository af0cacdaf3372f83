/* Datagrams on a handed-over SOCK_SEQPACKET socket; see packet.h. */
#include "host/packet.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>

int host_packet_send(int fd, const void *buf, size_t len)
{
	ssize_t n;
	do
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return 0;
	return n == (ssize_t)len ? 1 : -1;
}

/* recv() says 0 both for an empty datagram and for the end. */
static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

long host_packet_recv(int fd, void *buf, size_t cap)
{
	ssize_t n;
	do
		n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0)
		return hung_up(fd) ? -1 : -2;
	return (size_t)n > cap ? -2 : (long)n;
}
