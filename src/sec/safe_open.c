/*
 * Opening host files without being turned into a confused deputy; the
 * rules are in safe_open.h.
 *
 * Why a walk and not one openat2 call: RESOLVE_NO_SYMLINKS alone would
 * refuse symlinks but not a directory on the way that another user can
 * write (who could then put a FIFO, a hard link or a file of their own
 * where the operator expects ours).  The walk opens each directory with
 * O_PATH | O_NOFOLLOW relative to the one before and checks it on its
 * descriptor, so what is checked is what is used.
 */
#include "sec/safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool force_fallback;

void safe_open_force_fallback(bool on)
{
	force_fallback = on;
}

static int refuse(char *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *err, const char *path, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, SAFE_ERRLEN, "%.300s: %s", path, why);
	return -1;
}

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A directory no one but root and us can change the entries of. */
static int check_dir(const struct stat *st, const char *dir, const char *path, char *err)
{
	if (!trusted_owner(st->st_uid))
		return refuse(err, path, "directory %.200s belongs to uid %u, who could swap the file",
			      dir, (unsigned)st->st_uid);
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return refuse(err, path, "directory %.200s is writable by %s (mode %04o)", dir,
			      (st->st_mode & 002) ? "others" : "its group",
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

static const char *kind_of(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
	     : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" : S_ISLNK(m) ? "a symbolic link"
							       : "something else";
}

/* Why openat on name in dirfd failed, in words (a symlink says so). */
static int open_failed(int dirfd, const char *name, int e, const char *path, char *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return refuse(err, path, "%.100s is a symbolic link (refused: the supervisor "
				      "follows none)", name);
		/* e.g. ENXIO from a FIFO opened for writing with no reader */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			return refuse(err, path, "%s, not a regular file", kind_of(st.st_mode));
	}
	return refuse(err, path, "%s", strerror(e));
}

static int open_last(int dirfd, const char *name, int flags, mode_t mode)
{
	if (!force_fallback) {
		struct open_how how = { .flags = (uint64_t)flags, .mode = (flags & O_CREAT) ? mode : 0,
					.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
						   RESOLVE_BENEATH };
		long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
	}
	return openat(dirfd, name, flags | O_NOFOLLOW, mode);
}

/* The absolute form of path (relative ones from the current directory). */
static int absolute(const char *path, char *out, size_t cap, char *err)
{
	char cwd[PATH_MAX];
	if (!path || !path[0])
		return refuse(err, "(empty path)", "no file named");
	if (path[0] == '/') {
		if (strlen(path) >= cap)
			return refuse(err, path, "path too long");
		strcpy(out, path);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return refuse(err, path, "cannot name the current directory: %s", strerror(errno));
	if ((size_t)snprintf(out, cap, "%s/%s", cwd, path) >= cap)
		return refuse(err, path, "path too long");
	return 0;
}

/* A sticky directory others may write, such as /tmp: anyone can add
 * names there, so a hard link planted in it is refused even for reading
 * (fs.protected_hardlinks=0 would let a user link a root-only file). */
static bool shared_dir(const struct stat *st)
{
	return (st->st_mode & 022) && (st->st_mode & S_ISVTX);
}

/*
 * Walks the directories of abs (an absolute path, modified in place) and
 * returns a descriptor of the last one, with *last pointing at the final
 * component and *shared telling whether that directory is shared_dir;
 * -1 with err.
 */
static int walk_dirs(char *abs, const char *path, char **last, bool *shared, char *err)
{
	struct stat st;
	int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &st) < 0 || check_dir(&st, "/", path, err) < 0) {
		if (dirfd >= 0)
			close(dirfd);
		return dirfd < 0 ? refuse(err, path, "cannot open /: %s", strerror(errno)) : -1;
	}
	char *p = abs + 1, *slash;
	while ((slash = strchr(p, '/'))) {
		*slash = '\0';
		if (*p) {
			int next = openat(dirfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0) {
				open_failed(dirfd, p, errno, path, err);
				close(dirfd);
				return -1;
			}
			close(dirfd);
			dirfd = next;
			if (fstat(dirfd, &st) < 0 || check_dir(&st, abs, path, err) < 0) {
				close(dirfd);
				return -1;
			}
		}
		*slash = '/';
		p = slash + 1;
	}
	if (!*p) {
		close(dirfd);
		return refuse(err, path, "names a directory, not a file");
	}
	*last = p;
	*shared = shared_dir(&st);
	return dirfd;
}

static int check_file(int fd, const struct safe_open_opts *o, bool dir, bool shared,
		      const char *path, char *err)
{
	struct stat st;
	bool writes = (o->flags & O_ACCMODE) != O_RDONLY;
	if (fstat(fd, &st) < 0)
		return refuse(err, path, "%s", strerror(errno));
	if (dir && !S_ISDIR(st.st_mode))
		return refuse(err, path, "not a directory");
	if (!dir && !S_ISREG(st.st_mode))
		return refuse(err, path, "%s, not a regular file", kind_of(st.st_mode));
	if (!trusted_owner(st.st_uid))
		return refuse(err, path, "belongs to uid %u, not to root or this user (%u)",
			      (unsigned)st.st_uid, (unsigned)geteuid());
	if (dir)
		return check_dir(&st, path, path, err);
	if (st.st_mode & 022)
		return refuse(err, path, "writable by %s (mode %04o)",
			      (st.st_mode & 002) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
	if (writes && st.st_nlink != 1)
		return refuse(err, path, "has %lu hard links: another name could be written through it",
			      (unsigned long)st.st_nlink);
	if (shared && st.st_nlink != 1)
		return refuse(err, path, "has %lu hard links in a directory others can write: "
			      "another user may have linked it there", (unsigned long)st.st_nlink);
	if (o->private_file && (st.st_mode & 077))
		return refuse(err, path, "has mode %04o: other users could read it (chmod 600 it)",
			      (unsigned)(st.st_mode & 07777));
	return 0;
}

static int open_checked(const char *path, const struct safe_open_opts *o, bool dir, char *err)
{
	char abs[PATH_MAX + 1], *last;
	bool shared;
	if (absolute(path, abs, sizeof(abs), err) < 0) {
		errno = EINVAL;
		return -1;
	}
	int dirfd = walk_dirs(abs, path, &last, &shared, err);
	if (dirfd < 0) {
		errno = EACCES;
		return -1;
	}
	int flags = o->flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (dir ? O_DIRECTORY : 0);
	int fd = open_last(dirfd, last, flags, o->mode), e = errno;
	if (fd < 0)
		open_failed(dirfd, last, e, path, err);
	close(dirfd);
	if (fd < 0) {
		errno = e; /* ENOENT tells a missing file from a refused one */
		return -1;
	}
	if (check_file(fd, o, dir, shared, path, err) < 0) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	/* Regular files ignore O_NONBLOCK; clear it so the holder sees a
	 * plain descriptor. */
	if (!dir)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int safe_open(const char *path, const struct safe_open_opts *o, char *err)
{
	return open_checked(path, o, false, err);
}

int safe_open_dir(const char *path, char *err)
{
	struct safe_open_opts o = { .flags = O_RDONLY };
	return open_checked(path, &o, true, err);
}

int safe_sync_dir(const char *path, char *err)
{
	int fd = safe_open_dir(path, err);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	if (rc < 0)
		snprintf(err, SAFE_ERRLEN, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}
