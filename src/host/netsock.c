/*
 * The unix seqpacket link behind --net socket:PATH (see netsock.h).
 *
 * Who listens is decided by trying to connect first: a live listener
 * answers; no file, or a socket file nobody listens on (a cordon that
 * died without cleaning up), means we are first and take the path.  Two
 * cordons that both find the path empty race to bind; the loser sees
 * EADDRINUSE and connects to the winner instead.  (A connect that lands
 * between another cordon's bind and listen sees ECONNREFUSED and replaces
 * its socket file: a window of microseconds, left open on purpose rather
 * than adding a lock file.)
 *
 * Only socket files are ever unlinked: PATH is checked with lstat right
 * before, and on close only the very file we bound (same device and inode)
 * is removed.
 */
#include "host/netsock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define LISTEN_BACKLOG 4
#define ACCEPT_BURST 8       /* connections handled per poll */
#define EMPTY_SKIP 64        /* zero-length messages skipped per recv */

struct host_netsock {
	int listen_fd;       /* -1 for a connector */
	int peer_fd;         /* -1 when no peer is attached */
	bool changed;        /* connected state changed since the last poll */
	dev_t dev;           /* the socket file a listener bound */
	ino_t ino;
	struct sockaddr_un addr;
};

static void sys_error(const char *path, int e, char *err)
{
	snprintf(err, HOST_ERRLEN, "%s: %s", path, strerror(e));
}

/* A frame the peer's queue has no room for is dropped (a monitor never
 * blocks on its link), and the peer empties its queue only between guest
 * slices: at the default send buffer (about 90 full frames) a guest's TCP
 * burst overflows it, and each loss costs a retransmission timeout.  Ask
 * for room for about a thousand frames (the kernel caps it at wmem_max).
 * Both ends ask: an accepted socket does not inherit the listening one's
 * buffer, and it arrives while the guest runs, so a sandboxed monitor's
 * seccomp filter allows exactly this setsockopt (src/sec/sandbox.c). */
#define LINK_SNDBUF (2 * 1024 * 1024)

static void widen(int fd)
{
	int size = LINK_SNDBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int new_socket(const char *path, char *err)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		sys_error(path, errno, err);
	else
		widen(fd);
	return fd;
}

/* 1 if a socket file is at path, 0 if nothing is, -1 on error or when
 * something else is there (never touched). */
static int socket_at(const char *path, char *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		sys_error(path, errno, err);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: exists and is not a socket", path);
		return -1;
	}
	return 1;
}

/* Removes a socket file nobody listens on; never anything else. */
static int remove_stale(const char *path, char *err)
{
	int rc = socket_at(path, err);
	if (rc <= 0)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT) {
		sys_error(path, errno, err);
		return -1;
	}
	return 0;
}

/* 1 when connected, 0 when nobody listens (stale file removed), -1. */
static int try_connect(struct host_netsock *s, char *err)
{
	const char *path = s->addr.sun_path;
	int rc = socket_at(path, err);
	if (rc <= 0)
		return rc;
	int fd = new_socket(path, err);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) == 0) {
		s->peer_fd = fd;
		return 1;
	}
	int e = errno;
	close(fd);
	if (e == ENOENT)
		return 0; /* it went away since the lstat */
	if (e == ECONNREFUSED)
		return remove_stale(path, err);
	sys_error(path, e, err);
	return -1;
}

/* 1 when listening, 0 when another cordon bound path first, -1. */
static int try_listen(struct host_netsock *s, char *err)
{
	const char *path = s->addr.sun_path;
	int fd = new_socket(path, err);
	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0) {
		int e = errno;
		close(fd);
		if (e == EADDRINUSE)
			return 0;
		sys_error(path, e, err);
		return -1;
	}
	struct stat st;
	if (listen(fd, LISTEN_BACKLOG) < 0 || lstat(path, &st) < 0) {
		sys_error(path, errno, err);
		unlink(path); /* the file we just bound */
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 1;
}

static int make_address(struct sockaddr_un *addr, const char *path, char *err)
{
	size_t len = strlen(path);
	if (len == 0) {
		snprintf(err, HOST_ERRLEN, "empty path for a unix socket");
		return -1;
	}
	if (len > SUN_PATH_MAX) {
		snprintf(err, HOST_ERRLEN, "%s: path too long for a unix socket (max %zu bytes)",
			 path, SUN_PATH_MAX);
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, len + 1);
	return 0;
}

struct host_netsock *host_netsock_open(const char *path, char *err)
{
	struct host_netsock *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory", path);
		return NULL;
	}
	s->listen_fd = s->peer_fd = -1;
	if (make_address(&s->addr, path, err) < 0)
		goto fail;
	/* Twice: losing the bind race to another cordon means it now listens. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = try_connect(s, err);
		if (rc == 0)
			rc = try_listen(s, err);
		if (rc < 0)
			goto fail;
		if (rc == 1)
			return s;
	}
	sys_error(path, EADDRINUSE, err);
fail:
	free(s);
	return NULL;
}

void host_netsock_close(struct host_netsock *s)
{
	if (!s)
		return;
	if (s->peer_fd >= 0)
		close(s->peer_fd);
	if (s->listen_fd >= 0) {
		struct stat st;
		if (lstat(s->addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == s->dev && st.st_ino == s->ino)
			unlink(s->addr.sun_path);
		close(s->listen_fd);
	}
	free(s);
}

bool host_netsock_connected(const struct host_netsock *s)
{
	return s->peer_fd >= 0;
}

static void drop_peer(struct host_netsock *s)
{
	close(s->peer_fd);
	s->peer_fd = -1;
	s->changed = true;
}

/* Hung up, or at least stopped sending for good (POLLRDHUP): either way
 * the link is down.  Frames still queued from it are lost with it. */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) <= 0)
		return false;
	return p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL);
}

/* The first waiting connection becomes the peer; while one is attached,
 * others are closed at once, so their cordon sees its link go down. */
static void accept_waiting(struct host_netsock *s)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN: nobody waiting; anything else: try next poll */
		}
		if (s->peer_fd >= 0) {
			close(fd);
			continue;
		}
		widen(fd);
		s->peer_fd = fd;
		s->changed = true;
	}
}

bool host_netsock_poll(struct host_netsock *s)
{
	if (s->peer_fd >= 0 && peer_gone(s->peer_fd))
		drop_peer(s);
	if (s->listen_fd >= 0)
		accept_waiting(s);
	bool changed = s->changed;
	s->changed = false;
	return changed;
}

int host_netsock_send(struct host_netsock *s, const void *frame, size_t len)
{
	if (len > HOST_NET_MAX_FRAME)
		return -1;
	/* An empty message would read as "nothing waiting" at the far end. */
	if (s->peer_fd < 0 || len == 0)
		return 0;
	for (;;) {
		if (send(s->peer_fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN || errno == ECONNREFUSED)
			drop_peer(s);
		return 0; /* EAGAIN (peer's queue full) and the rest: dropped */
	}
}

int host_netsock_recv(struct host_netsock *s, void *buf, size_t cap)
{
	size_t want = cap < HOST_NET_MAX_FRAME ? cap : HOST_NET_MAX_FRAME;
	for (int skipped = 0; s->peer_fd >= 0 && skipped < EMPTY_SKIP;) {
		/* MSG_TRUNC: the message's real length, even when cut to want. */
		ssize_t n = recv(s->peer_fd, buf, want, MSG_DONTWAIT | MSG_TRUNC);
		if (n > (ssize_t)want)
			return -1;
		if (n > 0)
			return (int)n;
		if (n == 0) {
			/* End of stream, or an empty message (never a frame). */
			if (peer_gone(s->peer_fd))
				drop_peer(s);
			skipped++;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			drop_peer(s);
		return 0;
	}
	return 0;
}

int host_netsock_wait_fd(const struct host_netsock *s)
{
	return s->peer_fd >= 0 ? s->peer_fd : s->listen_fd;
}
