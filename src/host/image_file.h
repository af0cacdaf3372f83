/*
 * Disk image files as whole files: making a new one, its size, removing
 * it, and making sure an interrupted `cordon disk create` leaves no half
 * made image behind.  (Reading and writing inside an image is host_disk_*
 * in host/host.h.)
 *
 * As everywhere in the host layer, a function that can fail returns <0
 * and writes a one-line reason naming the path into err (HOST_ERRLEN
 * bytes), e.g. "vm.img: already exists".
 */
#ifndef CORDON_HOST_IMAGE_FILE_H
#define CORDON_HOST_IMAGE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 when nothing at all is at path -- not even a dangling symbolic link --
 * else "PATH: already exists" (or why path cannot be looked at). */
int host_check_absent(const char *path, char *err);

/*
 * Creates path as a new sparse file of exactly size bytes, readable and
 * writable by its owner only.  Anything already there (a file, a
 * directory, a dangling symbolic link) is refused with "PATH: already
 * exists" and left alone.
 *
 * On success the file is guarded as by host_remove_on_signal(path): the
 * guard is armed with the fatal signals held back, so there is no moment
 * at which a signal could leave it behind.  Call host_keep_file() once it
 * is complete (or host_remove() then host_keep_file() to give up on it).
 * On failure nothing is left: no file, no guard.
 */
int host_create_exclusive(const char *path, uint64_t size, char *err);

/* Gives path its final size and flushes it to stable storage:
 * "PATH: cannot finish the image: REASON" on failure. */
int host_finish_file(const char *path, uint64_t size, char *err);

/* Removes path (which may be a dangling link); 0, or -1 with errno set. */
int host_remove(const char *path);

/*
 * Until host_keep_file(), SIGINT, SIGTERM, SIGHUP or SIGQUIT first
 * removes path, then ends the process as that signal would have.  path
 * must stay valid (argv is fine) until then.  Calling it again while
 * armed only changes the path.
 */
void host_remove_on_signal(const char *path);
/* Disarms that guard and puts back the handlers that were there before. */
void host_keep_file(void);

/* The size of the existing regular file at path, following links.
 * Errors: "PATH: no such file", "PATH: is a directory, not a disk image",
 * "PATH: not a regular file". */
int host_file_size(const char *path, uint64_t *size, char *err);

/* True when path can be read and begins with the len bytes at prefix. */
bool host_file_starts_with(const char *path, const void *prefix, size_t len);

/* Whether stderr is a terminal: progress lines for slow steps (deriving a
 * key from a passphrase) are shown only to a person watching. */
bool host_stderr_is_tty(void);

#endif
