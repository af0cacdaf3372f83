/*
 * Disk image files as whole files, for `cordon disk`: see image_file.h.
 *
 * The subtle part is the clean-up guard.  A LUKS create spends seconds
 * deriving a key; if the user presses Ctrl-C then, the half-made image
 * must go, or the next create refuses the name and `cordon run` may
 * trust a file with no key slot.  A signal handler removes it.  The file
 * is created with those signals blocked and the handler installed before
 * they are unblocked, so no window leaves an orphan -- and the handler
 * can never remove a file that someone else made.
 */
#include "host/image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"

int host_check_absent(const char *path, char *err)
{
	struct stat st;

	/* lstat, not stat: a dangling link is "something there" too, and
	 * creating through it would make a file somewhere else. */
	if (lstat(path, &st) == 0) {
		snprintf(err, HOST_ERRLEN, "%s: already exists", path);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, HOST_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int host_remove(const char *path)
{
	return unlink(path);
}

/* --- the remove-on-signal guard ------------------------------------------ */

static const int guard_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NGUARD (sizeof(guard_signals) / sizeof(guard_signals[0]))

static const char *volatile guarded_path;
static bool guard_armed;
static struct sigaction guard_old[NGUARD];

static void remove_and_die(int sig)
{
	const char *path = guarded_path;
	if (path)
		unlink(path); /* async-signal-safe, as are signal and raise */
	signal(sig, SIG_DFL);
	raise(sig); /* delivered as soon as the handler returns */
}

void host_remove_on_signal(const char *path)
{
	struct sigaction sa;

	guarded_path = path;
	if (guard_armed)
		return; /* installing twice would save our own handler as "old" */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_and_die;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NGUARD; i++)
		sigaction(guard_signals[i], &sa, &guard_old[i]);
	guard_armed = true;
}

void host_keep_file(void)
{
	guarded_path = NULL;
	if (!guard_armed)
		return;
	for (size_t i = 0; i < NGUARD; i++)
		sigaction(guard_signals[i], &guard_old[i], NULL);
	guard_armed = false;
}

/* --- creating and finishing ---------------------------------------------- */

/* O_EXCL open with the guard armed before any guarded signal can land. */
static int open_new_guarded(const char *path)
{
	sigset_t block, old;
	int fd;

	sigemptyset(&block);
	for (size_t i = 0; i < NGUARD; i++)
		sigaddset(&block, guard_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* O_EXCL fails on any existing name, dangling links included. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0)
		host_remove_on_signal(path);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

int host_create_exclusive(const char *path, uint64_t size, char *err)
{
	int fd;

	if (size > (uint64_t)INT64_MAX) {
		snprintf(err, HOST_ERRLEN, "%s: %llu bytes is too large", path,
			 (unsigned long long)size);
		return -1;
	}
	fd = open_new_guarded(path);
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: %s", path,
			 errno == EEXIST ? "already exists" : strerror(errno));
		return -1;
	}
	/* Growing with ftruncate allocates nothing: the file stays sparse. */
	if (ftruncate(fd, (off_t)size) < 0) {
		snprintf(err, HOST_ERRLEN, "%s: cannot make it %llu bytes: %s", path,
			 (unsigned long long)size, strerror(errno));
		close(fd);
		unlink(path);
		host_keep_file();
		return -1;
	}
	close(fd);
	return 0;
}

int host_finish_file(const char *path, uint64_t size, char *err)
{
	int fd = -1;

	if (size > (uint64_t)INT64_MAX)
		errno = EFBIG;
	else
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0) {
		snprintf(err, HOST_ERRLEN, "%s: cannot finish the image: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* --- looking at existing files ------------------------------------------- */

int host_file_size(const char *path, uint64_t *size, char *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, HOST_ERRLEN, "%s: %s", path,
			 errno == ENOENT ? "no such file" : strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: is a directory, not a disk image", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, HOST_ERRLEN, "%s: not a regular file", path);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

bool host_file_starts_with(const char *path, const void *prefix, size_t len)
{
	const unsigned char *want = prefix;
	unsigned char buf[64];
	size_t done = 0;
	bool same = true;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return false;
	while (same && done < len) {
		size_t chunk = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			same = false; /* shorter than the prefix, or unreadable */
		} else {
			same = memcmp(buf, want + done, (size_t)n) == 0;
			done += (size_t)n;
		}
	}
	close(fd);
	return same;
}

bool host_stderr_is_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}
