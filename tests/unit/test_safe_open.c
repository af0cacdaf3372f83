/*
 * safe_open (src/sec/safe_open.c): what the supervisor refuses to open --
 * a symlink as the file or as any directory on the way, a directory
 * another uid owns or may write, a FIFO (at once, never hanging), a
 * device, a file of another uid, a group-writable file, a hard-linked
 * file opened for writing, a readable file where a private one is asked
 * -- with openat2 and with the O_NOFOLLOW walk alike.  And what it opens:
 * a plain file, one created in a checked directory, one under a sticky
 * directory such as /tmp, one named relative to the current directory.
 */
#include "t.h"
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sec/safe_open.h"

static const struct safe_open_opts rd = { .flags = O_RDONLY };
static const struct safe_open_opts rw = { .flags = O_RDWR };

static void refused(const char *path, const struct safe_open_opts *o, const char *why, int line)
{
	char err[SAFE_ERRLEN] = "";
	int fd = safe_open(path, o, err);
	if (fd >= 0) {
		t_fail(__FILE__, line, "opened %s", path);
		close(fd);
	} else if (!strstr(err, why)) {
		t_fail(__FILE__, line, "error '%s', expected '%s'", err, why);
	}
}
#define REFUSED(p, o, why) refused(p, o, why, __LINE__)

static void opened(const char *path, const struct safe_open_opts *o, int line)
{
	char err[SAFE_ERRLEN] = "";
	int fd = safe_open(path, o, err);
	if (fd < 0)
		t_fail(__FILE__, line, "refused %s: %s", path, err);
	else
		close(fd);
}
#define OPENED(p, o) opened(p, o, __LINE__)

static void cases(void)
{
	char f[128], lnk[128], dirlink[128], via[160], fifo[128], other[128], hard[128],
	     odir[128], in_odir[160], gw[128], created[128];
	scratch_path(f, sizeof(f), "plain");
	scratch_write(f, "data", 4);
	OPENED(f, &rd);
	OPENED(f, &rw);

	scratch_path(lnk, sizeof(lnk), "link");
	CHECK(symlink(f, lnk) == 0);
	REFUSED(lnk, &rd, "link is a symbolic link");

	scratch_path(dirlink, sizeof(dirlink), "dirlink");
	CHECK(symlink(scratch_dir, dirlink) == 0);
	snprintf(via, sizeof(via), "%s/plain", dirlink);
	REFUSED(via, &rd, "dirlink is a symbolic link");

	scratch_path(fifo, sizeof(fifo), "fifo");
	CHECK(mkfifo(fifo, 0600) == 0);
	REFUSED(fifo, &rd, "a FIFO, not a regular file"); /* returns: no writer needed */
	REFUSED("/dev/null", &rd, "a character device");
	REFUSED(scratch_dir, &rd, "a directory, not a regular file");

	scratch_path(other, sizeof(other), "other");
	scratch_write(other, "x", 1);
	CHECK(chown(other, 4242, 4242) == 0);
	REFUSED(other, &rd, "belongs to uid 4242");

	chmod(f, 0664);
	REFUSED(f, &rd, "writable by its group (mode 0664)");
	chmod(f, 0644);
	const struct safe_open_opts priv = { .flags = O_RDONLY, .private_file = true };
	REFUSED(f, &priv, "has mode 0644: other users could read it");
	chmod(f, 0600);
	OPENED(f, &priv);

	scratch_path(hard, sizeof(hard), "hard");
	CHECK(link(f, hard) == 0);
	OPENED(hard, &rd); /* reading through a second name changes nothing */
	REFUSED(hard, &rw, "has 2 hard links");
	REFUSED(f, &rw, "has 2 hard links");
	unlink(hard);

	/* A directory of another uid, or writable by a group, on the way. */
	scratch_path(odir, sizeof(odir), "odir");
	CHECK(mkdir(odir, 0755) == 0);
	snprintf(in_odir, sizeof(in_odir), "%s/file", odir);
	scratch_write(in_odir, "x", 1);
	CHECK(chown(odir, 4242, 4242) == 0);
	REFUSED(in_odir, &rd, "odir belongs to uid 4242");
	CHECK(chown(odir, 0, 0) == 0);
	chmod(odir, 0775);
	REFUSED(in_odir, &rd, "odir is writable by its group (mode 0775)");
	chmod(odir, 01777); /* sticky, like /tmp */
	OPENED(in_odir, &rd);
	/* ... where anyone may add a name: a hard link there is refused even
	 * for reading (a root-only file another user linked into /tmp). */
	char in_odir2[160];
	snprintf(in_odir2, sizeof(in_odir2), "%s/linked", odir);
	CHECK(link(f, in_odir2) == 0);
	REFUSED(in_odir2, &rd, "has 2 hard links in a directory others can write");
	unlink(in_odir2);
	scratch_path(gw, sizeof(gw), "odir/nested");
	chmod(odir, 0755);

	/* Creating in a checked directory; O_EXCL over a planted file fails. */
	scratch_path(created, sizeof(created), "created");
	const struct safe_open_opts cr = { .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0600 };
	OPENED(created, &cr);
	REFUSED(created, &cr, "File exists");
	const struct safe_open_opts append = { .flags = O_WRONLY | O_CREAT, .mode = 0600 };
	REFUSED(lnk, &append, "link is a symbolic link");

	/* Relative to the current directory. */
	char cwd[512];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(scratch_dir) == 0);
	OPENED("plain", &rd);
	REFUSED("link", &rd, "link is a symbolic link");
	CHECK(chdir(cwd) == 0);
	REFUSED("", &rd, "no file named");
	REFUSED("/", &rd, "names a directory");
	(void)gw;
}

TEST(safe_open_refuses_what_could_deceive_the_supervisor)
{
	if (geteuid() != 0) {
		printf("SKIP safe_open tests need root (chown)\n");
		return;
	}
	if (!scratch_make("cordon-safe-open"))
		return;
	chmod(scratch_dir, 0700);
	cases();
	scratch_remove();
}

TEST(safe_open_same_rules_without_openat2)
{
	if (geteuid() != 0)
		return;
	if (!scratch_make("cordon-safe-open-walk"))
		return;
	safe_open_force_fallback(true);
	cases();
	safe_open_force_fallback(false);
	scratch_remove();
}

TEST(safe_open_dir_checks_the_directory_too)
{
	char err[SAFE_ERRLEN] = "", sub[128];
	if (!scratch_make("cordon-safe-open-dir"))
		return;
	int fd = safe_open_dir(scratch_dir, err);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	scratch_path(sub, sizeof(sub), "sub");
	CHECK(mkdir(sub, 0777) == 0);
	chmod(sub, 0777);
	CHECK(safe_open_dir(sub, err) < 0);
	CHECK(strstr(err, "is writable by others (mode 0777)") != NULL);
	/* safe_sync_dir opens by the same rules. */
	CHECK_EQ(safe_sync_dir(scratch_dir, err), 0);
	err[0] = 0;
	CHECK_EQ(safe_sync_dir(sub, err), -1);
	CHECK(strstr(err, "is writable by others (mode 0777)") != NULL);
	scratch_remove();
}

/*
 * A local user racing the supervisor: while a child swaps a file with a
 * symlink to a root-only file, and a directory with a symlink to a
 * root-only directory (renameat2 RENAME_EXCHANGE, atomic), in a sticky
 * directory, every open either is refused or reads the good file -- what
 * is checked is what is read.  Both outcomes must be seen, so the race
 * really ran.
 */
static int read_one(const char *path, char *buf, size_t cap)
{
	char err[SAFE_ERRLEN];
	int fd = safe_open(path, &rd, err);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return 0;
}

static void race(void)
{
	char d[128], priv[128], secret[160], good[160], sub[160], subx[200], lnk[160];
	scratch_path(d, sizeof(d), "race");
	scratch_path(priv, sizeof(priv), "priv");
	CHECK(mkdir(d, 01777) == 0 && chmod(d, 01777) == 0 && mkdir(priv, 0700) == 0);
	snprintf(secret, sizeof(secret), "%s/x", priv);
	scratch_write(secret, "SECRET", 6);
	snprintf(good, sizeof(good), "%s/x", d);
	scratch_write(good, "GOOD", 4);
	snprintf(lnk, sizeof(lnk), "%s/y", d);
	CHECK(symlink(secret, lnk) == 0);
	snprintf(sub, sizeof(sub), "%s/sub", d);
	CHECK(mkdir(sub, 0755) == 0);
	snprintf(subx, sizeof(subx), "%s/x", sub);
	scratch_write(subx, "GOOD", 4);
	snprintf(lnk, sizeof(lnk), "%s/alt", d);
	CHECK(symlink(priv, lnk) == 0);

	pid_t child = fork();
	if (child == 0) {
		int dfd = open(d, O_PATH | O_DIRECTORY);
		for (;;) {
			renameat2(dfd, "x", dfd, "y", RENAME_EXCHANGE);
			renameat2(dfd, "sub", dfd, "alt", RENAME_EXCHANGE);
		}
	}
	CHECK(child > 0);
	const char *paths[2] = { good, subx };
	int ok[2] = { 0, 0 }, refused_n[2] = { 0, 0 }, leaked = 0;
	char buf[16];
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rounds = 0;
	do {
		rounds++;
		for (int i = 0; i < 2; i++) {
			if (read_one(paths[i], buf, sizeof(buf)) < 0)
				refused_n[i]++;
			else if (strcmp(buf, "GOOD") == 0)
				ok[i]++;
			else
				leaked++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((rounds < 20000 || ok[0] < 50 || refused_n[0] < 50 || ok[1] < 50 ||
		  refused_n[1] < 50) && now.tv_sec - t0.tv_sec < 5);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK(leaked == 0);
	CHECK(ok[0] > 0 && refused_n[0] > 0);
	CHECK(ok[1] > 0 && refused_n[1] > 0);
}

TEST(safe_open_a_racing_symlink_swap_never_leaks)
{
	for (int fallback = 0; fallback < 2; fallback++) {
		if (!scratch_make("cordon-safe-open-race"))
			return;
		chmod(scratch_dir, 0700);
		safe_open_force_fallback(fallback);
		race();
		safe_open_force_fallback(false);
		scratch_remove();
	}
}
