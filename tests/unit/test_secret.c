/* Passphrase input (host/secret.c): key files, key fds, the no-terminal case. */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/host.h"
#include "host/secret.h"

/* A key file with len bytes of data in a fresh directory; path gets its name. */
static void make_key_file(char *path, size_t pathlen, const void *data, size_t len)
{
	char dir[64];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/cordon-secret-test.XXXXXX");
	if (!mkdtemp(dir)) {
		path[0] = '\0';
		return;
	}
	snprintf(path, pathlen, "%s/key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, data, len) != (ssize_t)len)
		t_fail(__FILE__, __LINE__, "short write to %s", path);
	close(fd);
}

static void remove_key_file(const char *path)
{
	char dir[128];
	const char *slash = strrchr(path, '/');

	unlink(path);
	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		rmdir(dir);
	}
}

static bool zeroed(const struct secret *s)
{
	return !s->buf && s->len == 0 && s->cap == 0 && !s->locked;
}

/* A pipe whose write end has had data written and been closed. */
static int pipe_with(const void *data, size_t len)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (len && write(p[1], data, len) != (ssize_t)len)
		t_fail(__FILE__, __LINE__, "short write to a pipe");
	close(p[1]);
	return p[0];
}

TEST(secret_file_content_is_used_as_is)
{
	char path[128], err[HOST_ERRLEN] = "";
	struct secret s;

	/* cryptsetup semantics: the trailing newline is part of the passphrase. */
	make_key_file(path, sizeof(path), "hunter2\n", 8);
	CHECK_EQ(secret_from_file(&s, path, err), 0);
	CHECK_EQ(s.len, 8);
	CHECK(s.buf && memcmp(s.buf, "hunter2\n", 8) == 0);
	CHECK(s.cap > SECRET_MAX);
	secret_wipe(&s);
	CHECK(zeroed(&s));
	remove_key_file(path);
}

TEST(secret_file_binary_bytes)
{
	static const uint8_t key[] = { 0, 0xff, '\n', '\r', 0, 7 };
	char path[128], err[HOST_ERRLEN] = "";
	struct secret s;

	make_key_file(path, sizeof(path), key, sizeof(key));
	CHECK_EQ(secret_from_file(&s, path, err), 0);
	CHECK_EQ(s.len, sizeof(key));
	CHECK(s.buf && memcmp(s.buf, key, sizeof(key)) == 0);
	secret_wipe(&s);
	remove_key_file(path);
}

TEST(secret_file_missing)
{
	char err[HOST_ERRLEN] = "";
	struct secret s;

	CHECK_EQ(secret_from_file(&s, "/nonexistent/cordon-k.txt", err), -1);
	CHECK_STR(err, "key file /nonexistent/cordon-k.txt: No such file");
	CHECK(zeroed(&s));
	secret_wipe(&s); /* harmless after a failure */
}

TEST(secret_file_empty)
{
	char path[128], want[200], err[HOST_ERRLEN] = "";
	struct secret s;

	make_key_file(path, sizeof(path), "", 0);
	CHECK_EQ(secret_from_file(&s, path, err), -1);
	snprintf(want, sizeof(want), "key file %s: empty", path);
	CHECK_STR(err, want);
	CHECK(zeroed(&s));
	remove_key_file(path);
}

TEST(secret_file_max_length_accepted_one_more_refused)
{
	static uint8_t big[SECRET_MAX + 1];
	char path[128], want[200], err[HOST_ERRLEN] = "";
	struct secret s;

	memset(big, 'x', sizeof(big));
	make_key_file(path, sizeof(path), big, SECRET_MAX);
	CHECK_EQ(secret_from_file(&s, path, err), 0);
	CHECK_EQ(s.len, SECRET_MAX);
	secret_wipe(&s);
	remove_key_file(path);

	make_key_file(path, sizeof(path), big, SECRET_MAX + 1);
	CHECK_EQ(secret_from_file(&s, path, err), -1);
	snprintf(want, sizeof(want), "key file %s: passphrase too long (max 8192 bytes)", path);
	CHECK_STR(err, want);
	CHECK(zeroed(&s));
	remove_key_file(path);
}

TEST(secret_file_is_directory)
{
	char err[HOST_ERRLEN] = "";
	struct secret s;

	CHECK_EQ(secret_from_file(&s, "/tmp", err), -1);
	CHECK_STR(err, "key file /tmp: Is a directory");
}

TEST(secret_fd_reads_to_eof)
{
	char err[HOST_ERRLEN] = "";
	struct secret s;
	int fd = pipe_with("pass phrase\n", 12);

	CHECK(fd >= 0);
	CHECK_EQ(secret_from_fd(&s, fd, err), 0);
	CHECK_EQ(s.len, 12);
	CHECK(s.buf && memcmp(s.buf, "pass phrase\n", 12) == 0);
	/* The descriptor is the caller's: still open, now at EOF. */
	char c;
	CHECK_EQ(read(fd, &c, 1), 0);
	close(fd);
	secret_wipe(&s);
}

TEST(secret_fd_empty)
{
	char want[64], err[HOST_ERRLEN] = "";
	struct secret s;
	int fd = pipe_with("", 0);

	CHECK_EQ(secret_from_fd(&s, fd, err), -1);
	snprintf(want, sizeof(want), "--key-fd %d: empty", fd);
	CHECK_STR(err, want);
	CHECK(zeroed(&s));
	close(fd);
}

TEST(secret_fd_too_long)
{
	static uint8_t big[SECRET_MAX + 100];
	char want[80], err[HOST_ERRLEN] = "";
	struct secret s;

	memset(big, 'y', sizeof(big)); /* fits in a pipe's 64 KiB buffer */
	int fd = pipe_with(big, sizeof(big));
	CHECK_EQ(secret_from_fd(&s, fd, err), -1);
	snprintf(want, sizeof(want), "--key-fd %d: passphrase too long (max 8192 bytes)", fd);
	CHECK_STR(err, want);
	CHECK(zeroed(&s));
	close(fd);
}

TEST(secret_fd_bad)
{
	char want[64], err[HOST_ERRLEN] = "";
	struct secret s;
	int fd = open("/dev/null", O_RDONLY);

	close(fd); /* now certainly not open */
	CHECK_EQ(secret_from_fd(&s, fd, err), -1);
	snprintf(want, sizeof(want), "--key-fd %d: Bad file descriptor", fd);
	CHECK_STR(err, want);
	CHECK(zeroed(&s));

	CHECK_EQ(secret_from_fd(&s, -1, err), -1);
	CHECK_STR(err, "--key-fd -1: Bad file descriptor");
}

TEST(secret_fd_write_only_is_refused)
{
	char want[64], err[HOST_ERRLEN] = "";
	struct secret s;
	int fd = open("/dev/null", O_WRONLY);

	CHECK_EQ(secret_from_fd(&s, fd, err), -1);
	snprintf(want, sizeof(want), "--key-fd %d: Bad file descriptor", fd);
	CHECK_STR(err, want);
	close(fd);
}

TEST(secret_wipe_zeroes_and_is_idempotent)
{
	char err[HOST_ERRLEN] = "";
	struct secret s, none;
	int fd = pipe_with("abc", 3);

	memset(&none, 0, sizeof(none));
	secret_wipe(&none);
	CHECK(zeroed(&none));
	CHECK_EQ(secret_from_fd(&s, fd, err), 0);
	close(fd);
	secret_wipe(&s);
	CHECK(zeroed(&s));
	secret_wipe(&s);
	CHECK(zeroed(&s));
}

TEST(secret_equal_compares_length_and_bytes)
{
	char err[HOST_ERRLEN] = "";
	struct secret a, b, c, d;
	int fa = pipe_with("same", 4), fb = pipe_with("same", 4);
	int fc = pipe_with("samf", 4), fd = pipe_with("same\n", 5);

	CHECK_EQ(secret_from_fd(&a, fa, err), 0);
	CHECK_EQ(secret_from_fd(&b, fb, err), 0);
	CHECK_EQ(secret_from_fd(&c, fc, err), 0);
	CHECK_EQ(secret_from_fd(&d, fd, err), 0);
	CHECK(secret_equal(&a, &b));
	CHECK(!secret_equal(&a, &c));
	CHECK(!secret_equal(&a, &d));
	secret_wipe(&a), secret_wipe(&b), secret_wipe(&c), secret_wipe(&d);
	close(fa), close(fb), close(fc), close(fd);
}

/* In a new session there is no controlling terminal, so /dev/tty fails. */
TEST(secret_prompt_without_terminal)
{
	pid_t pid = fork();

	if (pid == 0) {
		char err[HOST_ERRLEN] = "";
		struct secret s;
		setsid();
		int rc = secret_prompt(&s, "Passphrase: ", err);
		_exit(rc == -1 && zeroed(&s) &&
		      strcmp(err, "no terminal to ask for a passphrase (use key-file= or key-fd=)") == 0
			      ? 0 : 1);
	}
	int status = -1;
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}
