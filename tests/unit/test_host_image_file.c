/* Host layer: creating, sizing and removing disk image files (host/image_file.c). */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/host.h"
#include "host/image_file.h"

/* A fresh private directory with room for a few names in it. */
struct scratch {
	char dir[64], path[128], other[128];
};

static void scratch_open(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/cordon-image-test.XXXXXX");
	if (!mkdtemp(s->dir))
		t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	snprintf(s->path, sizeof(s->path), "%s/img", s->dir);
	snprintf(s->other, sizeof(s->other), "%s/other", s->dir);
}

static void scratch_close(struct scratch *s)
{
	unlink(s->path);
	unlink(s->other);
	rmdir(s->path); /* when a test made it a directory */
	rmdir(s->dir);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		t_fail(__FILE__, __LINE__, "cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void (*handler_of(int sig))(int)
{
	struct sigaction sa;
	sigaction(sig, NULL, &sa);
	return sa.sa_handler;
}

/* Runs fn in a child process: how it ended, as waitpid reports it. */
static int in_child(int (*fn)(struct scratch *), struct scratch *s)
{
	int status = -1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(s));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(host_create_exclusive_sparse_exact_private)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "";
	struct stat st;

	scratch_open(&s);
	CHECK_EQ(host_create_exclusive(s.path, (64u << 20) + 512, err), 0);
	host_keep_file();
	CHECK_EQ(stat(s.path, &st), 0);
	CHECK_EQ(st.st_size, (64u << 20) + 512);
	CHECK(st.st_blocks < 128); /* nothing written: no blocks allocated */
	CHECK_EQ(st.st_mode & 0077, 0); /* nobody else may read or write it */
	CHECK(S_ISREG(st.st_mode));
	scratch_close(&s);
}

TEST(host_create_exclusive_refuses_existing_file)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	uint64_t size = 0;
	void (*before)(int) = handler_of(SIGTERM);

	scratch_open(&s);
	write_file(s.path, "precious");
	CHECK_EQ(host_create_exclusive(s.path, 1 << 20, err), -1);
	snprintf(want, sizeof(want), "%s: already exists", s.path);
	CHECK_STR(err, want);
	CHECK_EQ(host_file_size(s.path, &size, err), 0);
	CHECK_EQ(size, 8); /* not truncated, not grown */
	CHECK(handler_of(SIGTERM) == before); /* no guard left armed */
	scratch_close(&s);
}

TEST(host_create_exclusive_refuses_directory_and_dangling_link)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];

	scratch_open(&s);
	CHECK_EQ(mkdir(s.path, 0700), 0);
	CHECK_EQ(host_create_exclusive(s.path, 4096, err), -1);
	snprintf(want, sizeof(want), "%s: already exists", s.path);
	CHECK_STR(err, want);
	CHECK_EQ(rmdir(s.path), 0);

	/* A link to a name that does not exist: creating "through" it would
	 * make a file wherever it points. */
	CHECK_EQ(symlink(s.other, s.path), 0);
	CHECK_EQ(host_create_exclusive(s.path, 4096, err), -1);
	CHECK_STR(err, want);
	CHECK(!exists(s.other));
	scratch_close(&s);
}

TEST(host_check_absent_sees_dangling_links)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];

	scratch_open(&s);
	CHECK_EQ(host_check_absent(s.path, err), 0);
	CHECK_EQ(symlink(s.other, s.path), 0);
	CHECK_EQ(host_check_absent(s.path, err), -1);
	snprintf(want, sizeof(want), "%s: already exists", s.path);
	CHECK_STR(err, want);
	scratch_close(&s);
}

TEST(host_remove_removes_files_and_links)
{
	struct scratch s;

	scratch_open(&s);
	write_file(s.path, "x");
	CHECK_EQ(host_remove(s.path), 0);
	CHECK(!exists(s.path));
	CHECK_EQ(host_remove(s.path), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(symlink(s.other, s.path), 0);
	CHECK_EQ(host_remove(s.path), 0);
	CHECK(!exists(s.path));
	scratch_close(&s);
}

TEST(host_finish_file_sets_size)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	uint64_t size = 0;

	scratch_open(&s);
	CHECK_EQ(host_create_exclusive(s.path, 16u << 20, err), 0);
	host_keep_file();
	CHECK_EQ(host_finish_file(s.path, 3u << 20, err), 0);
	CHECK_EQ(host_file_size(s.path, &size, err), 0);
	CHECK_EQ(size, 3u << 20);
	CHECK_EQ(host_finish_file(s.other, 512, err), -1);
	snprintf(want, sizeof(want), "%s: cannot finish the image: %s", s.other, strerror(ENOENT));
	CHECK_STR(err, want);
	CHECK(!exists(s.other));
	scratch_close(&s);
}

TEST(host_file_size_errors)
{
	struct scratch s;
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	uint64_t size = 99;

	scratch_open(&s);
	CHECK_EQ(host_file_size(s.path, &size, err), -1);
	snprintf(want, sizeof(want), "%s: no such file", s.path);
	CHECK_STR(err, want);
	CHECK_EQ(size, 99); /* untouched on error */

	CHECK_EQ(host_file_size(s.dir, &size, err), -1);
	snprintf(want, sizeof(want), "%s: is a directory, not a disk image", s.dir);
	CHECK_STR(err, want);

	CHECK_EQ(mkfifo(s.path, 0600), 0);
	CHECK_EQ(host_file_size(s.path, &size, err), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", s.path);
	CHECK_STR(err, want);
	CHECK_EQ(unlink(s.path), 0);

	/* A link to an image is the image. */
	write_file(s.other, "12345");
	CHECK_EQ(symlink(s.other, s.path), 0);
	CHECK_EQ(host_file_size(s.path, &size, err), 0);
	CHECK_EQ(size, 5);
	scratch_close(&s);
}

TEST(host_file_starts_with_prefix)
{
	struct scratch s;

	scratch_open(&s);
	write_file(s.path, "LUKS\xba\xbe rest");
	CHECK(host_file_starts_with(s.path, "LUKS\xba\xbe", 6));
	CHECK(!host_file_starts_with(s.path, "LUKS\xba\xbf", 6));
	CHECK(!host_file_starts_with(s.path, "LUKS\xba\xbe rest and more", 19)); /* too short */
	CHECK(!host_file_starts_with(s.other, "L", 1));                          /* missing */
	scratch_close(&s);
}

/* Child: creates the file, then is killed by SIGTERM before keeping it. */
static int create_then_die(struct scratch *s)
{
	char err[HOST_ERRLEN];
	if (host_create_exclusive(s->path, 1 << 20, err) < 0)
		return 1;
	raise(SIGTERM);
	return 2; /* not reached if the guard re-raised the signal */
}

/* Child: creates and keeps the file, then is killed by SIGTERM. */
static int create_keep_then_die(struct scratch *s)
{
	char err[HOST_ERRLEN];
	if (host_create_exclusive(s->path, 1 << 20, err) < 0)
		return 1;
	host_keep_file();
	raise(SIGTERM);
	return 2;
}

TEST(host_remove_on_signal_removes_then_dies)
{
	struct scratch s;
	int status;

	scratch_open(&s);
	status = in_child(create_then_die, &s);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK(!exists(s.path));

	status = in_child(create_keep_then_die, &s);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK(exists(s.path));
	scratch_close(&s);
}

static void marker_handler(int sig)
{
	(void)sig;
}

TEST(host_keep_file_restores_handlers)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = marker_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, &old);
	host_remove_on_signal("/nonexistent/cordon-test");
	CHECK(handler_of(SIGHUP) != marker_handler);
	host_remove_on_signal("/nonexistent/cordon-test-2"); /* re-arming keeps "old" */
	host_keep_file();
	CHECK(handler_of(SIGHUP) == marker_handler);
	host_keep_file(); /* harmless when not armed */
	CHECK(handler_of(SIGHUP) == marker_handler);
	sigaction(SIGHUP, &old, NULL);
}

/* Child: a file size limit makes the sizing fail after the file exists. */
static int create_too_big(struct scratch *s)
{
	char err[HOST_ERRLEN] = "", want[HOST_ERRLEN];
	struct rlimit lim = { 1 << 20, 1 << 20 };
	void (*before)(int) = handler_of(SIGTERM);

	signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of dying */
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
		return 10;
	if (host_create_exclusive(s->path, 4 << 20, err) == 0)
		return 11;
	snprintf(want, sizeof(want), "%s: cannot make it %d bytes: %s", s->path, 4 << 20,
		 strerror(EFBIG));
	if (strcmp(err, want) != 0)
		return 12;
	if (exists(s->path))
		return 13; /* a failed create leaves nothing */
	if (handler_of(SIGTERM) != before)
		return 14; /* nor a guard */
	return 0;
}

TEST(host_create_exclusive_failure_leaves_nothing)
{
	struct scratch s;
	int status;

	scratch_open(&s);
	status = in_child(create_too_big, &s);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	scratch_close(&s);
}
