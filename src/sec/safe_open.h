/*
 * The one way the supervisor opens a host file it hands to a monitor or
 * writes itself: kernels, initrds, disk and media images and their label
 * records, LUKS key files, console logs, and the state directory's files.
 *
 * A system file names paths; whoever can change what a path leads to
 * between the operator writing it and the supervisor opening it could
 * make the supervisor open something else on a guest's behalf (a
 * confused deputy: /etc/shadow as an initrd, another VM's key as a disk).
 * So, for PATH:
 *
 *   - no component is a symbolic link: every directory is opened with
 *     O_NOFOLLOW one by one from "/", and the last component with
 *     openat2(RESOLVE_NO_SYMLINKS) (O_NOFOLLOW where the kernel has no
 *     openat2);
 *   - every directory on the way belongs to root or to the supervisor's
 *     user and is writable by no one else (a sticky directory such as
 *     /tmp is accepted: others cannot rename or remove what is not
 *     theirs), so no other user can swap an entry after the check;
 *   - the file is opened O_NONBLOCK (a FIFO or device planted there cannot
 *     hang the supervisor), then checked on the descriptor: a regular file,
 *     owned by root or the supervisor's user, writable by neither group
 *     nor others, with exactly one link when it is opened for writing (a
 *     hard link planted in a directory we write cannot redirect the
 *     write) or when it lies in a sticky directory others can write (a
 *     root-only file another user linked into /tmp is not read), and
 *     readable by no one else when private is asked.
 *
 * Relative paths are taken from the current directory, whose own chain is
 * checked the same way.  Every refusal is one line "PATH: reason".
 */
#ifndef CORDON_SEC_SAFE_OPEN_H
#define CORDON_SEC_SAFE_OPEN_H

#include <stdbool.h>
#include <sys/types.h>

#define SAFE_ERRLEN 512

struct safe_open_opts {
	int flags;     /* O_RDONLY, O_WRONLY or O_RDWR; O_CREAT, O_EXCL, O_APPEND, O_TRUNC */
	mode_t mode;   /* for O_CREAT */
	bool private_file; /* also refuse a file group or others may read */
};

/* The descriptor (close-on-exec), or -1 with err and errno: the open's own
 * (ENOENT for a missing file), or EACCES when a check refused it. */
int safe_open(const char *path, const struct safe_open_opts *o, char *err);
/* The same rules for a directory (O_RDONLY | O_DIRECTORY): for syncing a
 * directory or checking a chain before creating in it. */
int safe_open_dir(const char *path, char *err);
/* fsyncs the directory at path, opened by safe_open_dir's rules: a rename
 * or a new name in it lasts a power loss only once this is done.  0, or
 * -1 with err. */
int safe_sync_dir(const char *path, char *err);

/* Test only: behave as on a kernel without openat2 (the O_NOFOLLOW walk). */
void safe_open_force_fallback(bool on);

#endif
