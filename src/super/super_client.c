/*
 * The client end of the control socket (cordon ps / stop / down / media
 * sanitize): one request line out, one reply line back (control_proto.h).
 */
#include "super/super.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/host.h"

static int connect_to(const char *dir, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, SUPER_CONTROL_FILE) >=
	    sizeof(sa.sun_path)) {
		snprintf(err, SUPER_ERRLEN, "--state-dir %s: path too long for a unix socket", dir);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, SUPER_ERRLEN, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(err, SUPER_ERRLEN, "no supervisor is running on %s", dir);
		else
			snprintf(err, SUPER_ERRLEN, "%s: %s", sa.sun_path, strerror(e));
		return -1;
	}
	/* A supervisor busy starting a VM may take a moment to answer. */
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

long super_read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char *nl = NULL;
	while (!nl && len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (!nl)
		return -1;
	*nl = '\0';
	return nl - buf;
}

/* Connects and sends the request: the connection, or -1 with err. */
static int send_request(const char *state_dir, enum control_cmd cmd, const char *const *args,
			char *err)
{
	char request[CONTROL_REQUEST_MAX + 1], why[CONTROL_ERRLEN];
	long len = control_request_encode(cmd, args, request, sizeof(request), why);
	if (len < 0) {
		snprintf(err, SUPER_ERRLEN, "%s", why);
		return -1;
	}
	int fd = connect_to(state_dir, err);
	if (fd >= 0 && host_write_all(fd, request, (size_t)len) < 0) {
		snprintf(err, SUPER_ERRLEN, "cannot send the request: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int super_session(const char *state_dir, enum control_cmd cmd, const char *const *args,
		  json_t **reply, int *session_fd, char *err)
{
	char why[CONTROL_ERRLEN];
	*reply = NULL;
	*session_fd = -1;
	int fd = send_request(state_dir, cmd, args, err);
	if (fd < 0)
		return -1;
	/* A byte at a time: what follows the reply's newline is the session's. */
	char *line = malloc(CONTROL_REPLY_MAX + 1);
	size_t len = 0;
	while (line && len < CONTROL_REPLY_MAX && read(fd, line + len, 1) == 1 && line[len] != '\n')
		len++;
	int rc = -1;
	if (!line)
		snprintf(err, SUPER_ERRLEN, "out of memory");
	else if (len == CONTROL_REPLY_MAX || line[len] != '\n')
		snprintf(err, SUPER_ERRLEN, "the supervisor sent no complete reply");
	else if ((rc = control_reply_decode(line, len, reply, why)) != 0)
		snprintf(err, SUPER_ERRLEN, "%s", why);
	free(line);
	if (rc == 0) {
		/* The session lasts as long as the operator wants: no timeouts. */
		struct timeval none = { 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
		*session_fd = fd;
	} else {
		close(fd);
	}
	return rc;
}

int super_request(const char *state_dir, enum control_cmd cmd, const char *const *args,
		  json_t **reply, char *err)
{
	char why[CONTROL_ERRLEN];
	*reply = NULL;
	int fd = send_request(state_dir, cmd, args, err);
	if (fd < 0)
		return -1;
	char *line = malloc(CONTROL_REPLY_MAX + 1);
	long n = -1;
	int rc = -1;
	if (!line)
		snprintf(err, SUPER_ERRLEN, "out of memory");
	else if ((n = super_read_line(fd, line, CONTROL_REPLY_MAX + 1)) < 0)
		snprintf(err, SUPER_ERRLEN, "the supervisor sent no complete reply");
	if (n >= 0) {
		rc = control_reply_decode(line, (size_t)n, reply, why);
		if (rc != 0)
			snprintf(err, SUPER_ERRLEN, "%s", why);
	}
	free(line);
	close(fd);
	return rc;
}
