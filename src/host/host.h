/*
 * The host layer: the only code in cordon that talks to the operating
 * system.  The engine, device models and loaders call these functions and
 * nothing from libc that touches files, memory mapping, time or the
 * terminal, so the core could one day run on bare metal.
 *
 * Every function that can fail returns <0 (or NULL) and writes a one-line,
 * human-readable reason into err (naming the file or value at fault).
 */
#ifndef CORDON_HOST_HOST_H
#define CORDON_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#define HOST_ERRLEN 256

/* Files ------------------------------------------------------------------ */

/* Reads a whole regular file (at most max bytes).  *buf is malloc'ed. */
int host_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err);
/* The same from a descriptor someone else opened (read from offset 0 with
 * pread; fd is left open).  name stands for the file in messages. */
int host_read_fd(int fd, const char *name, size_t max, uint8_t **buf, size_t *len, char *err);
/* Opens PATH for appending output (created 0600, truncated).  Returns fd. */
int host_open_output(const char *path, char *err);
int host_write_all(int fd, const void *buf, size_t len); /* 0, or -1 */
uint64_t host_fd_size(int fd); /* a file's size in bytes; 0 when unknown */
/* Caps every file this process writes at bytes (RLIMIT_FSIZE, soft and
 * hard: not raised again without privilege).  0, or -1 with err. */
int host_limit_file_size(uint64_t bytes, char *err);
void host_close(int fd); /* never closes fds 0-2 (serial may be stdout) */

/* Disk images ------------------------------------------------------------- */

/* A raw image: a regular file whose size is a multiple of 512.  Read-write
 * opens hold an exclusive flock, so a second read-write open of the same
 * file (here or in another cordon) fails with "PATH: already in use
 * read-write". */
struct host_disk;
struct host_disk *host_disk_open(const char *path, bool read_only, char *err);
/* The same checks and lock on a descriptor someone else opened; name
 * stands for the file in messages.  Takes fd over: host_disk_close closes
 * it, and so does a failure.  A read-write disk needs an O_RDWR fd
 * ("NAME: descriptor is read-only"). */
struct host_disk *host_disk_from_fd(int fd, const char *name, bool read_only, char *err);
void host_disk_close(struct host_disk *d);
uint64_t host_disk_size(const struct host_disk *d);
bool host_disk_same_file(const struct host_disk *a, const struct host_disk *b);
/* Whole-length transfers inside the image: 0, or -1 (out of range, I/O
 * error, or a write to a read-only image). */
int host_disk_read(struct host_disk *d, void *buf, size_t len, uint64_t off);
int host_disk_write(struct host_disk *d, const void *buf, size_t len, uint64_t off);
int host_disk_flush(struct host_disk *d); /* fdatasync; 0 or -1 */

/* Guest memory ------------------------------------------------------------ */

/* Fresh zero-filled anonymous memory (never reused from another VM). */
void *host_alloc_ram(size_t size, char *err);
void host_free_ram(void *p, size_t size);

/* Memory for generated host code: the same bytes seen read-write at rw
 * (for the translator) and read-execute at rx (to run), never both at one
 * address. */
struct host_code {
	uint8_t *rw;
	const uint8_t *rx;
	size_t size;
};
int host_code_map(size_t size, struct host_code *out, char *err);
void host_code_unmap(struct host_code *m);
/* Drops the write view's page-table entries for [off, off + len) (whole
 * pages): the code stays, seen through the execute view, and a later
 * write faults the page back in.  Each code page then counts once in the
 * resident size, not once per view. */
void host_code_unmap_written(struct host_code *m, size_t off, size_t len);
/* Profiling builds only (make CFLAGS+=-DCORDON_PERF_MAP): names the code
 * at [addr, addr + len) in /tmp/perf-PID.map, which perf reads. */
void host_perf_map(const void *addr, size_t len, const char *name);
/* ... and keeps the guest and host bytes of each block in
 * /tmp/cordon-blocks-PID (scripts read it to disassemble hot blocks). */
void host_perf_dump(const char *name, const void *guest, size_t glen, const void *host, size_t hlen);

/* Time -------------------------------------------------------------------- */

uint64_t host_monotonic_ns(void);
int64_t host_wall_seconds(void); /* seconds since the Unix epoch, UTC */

/* Randomness --------------------------------------------------------------- */

/* Fills buf with len bytes from the kernel's CSPRNG; 0, or -1 on failure. */
int host_random(void *buf, size_t len);

/* Terminal and standard streams ------------------------------------------ */

/* Puts stdin in raw mode if it is a terminal; restored by host_term_restore,
 * which is also registered for exit() and fatal signals. */
void host_term_raw(void);
void host_term_restore(void);
bool host_stdin_is_tty(void);
/* Non-blocking read from stdin: >0 bytes, 0 nothing ready, -1 EOF/error.
 * (poll + read; stdin's O_NONBLOCK flag is left alone, see term.c.)  After
 * -1, stop passing watch_stdin to host_wait_input: EOF is always readable. */
int host_stdin_read(uint8_t *buf, size_t len);
/* Waits until stdin (if watch_stdin) or one of the n backends (at most
 * HOST_WAIT_MAX) is ready -- readable when .in, writable when .out (output
 * that had to wait) -- or timeout_ns elapses (0 = just poll); a caught
 * signal ends the wait early. */
#define HOST_WAIT_MAX 16
struct host_waitfd {
	int fd;     /* < 0: skipped */
	bool in, out;
};
void host_wait_fds(uint64_t timeout_ns, bool watch_stdin, const struct host_waitfd *w, unsigned n);
/* The same for nfds descriptors, each waited on to become readable. */
void host_wait_input(uint64_t timeout_ns, bool watch_stdin, const int *fds, unsigned nfds);
/* SIGPWR from now on increments *count instead of ending the process
 * (host/sigterm.c); 0, or -1 if the handler could not be installed.
 * host_end_by_sigterm: the process dies of SIGTERM's default action. */
int host_count_power_signal(volatile sig_atomic_t *count);
void host_end_by_sigterm(void);
void host_stdout_write(const void *buf, size_t len);

#endif
