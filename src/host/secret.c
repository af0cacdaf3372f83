/*
 * Passphrases: reading them, keeping them out of swap and core dumps, and
 * wiping them.  See secret.h for why the sources are what they are.
 *
 * Each secret gets a private anonymous mapping rather than malloc memory:
 * mlock/munlock work on whole pages, and unlocking a malloc'ed block would
 * also unlock whatever else shares its pages.  MADV_DONTDUMP keeps the key
 * out of core files and MADV_WIPEONFORK out of any child we fork.  Failing
 * to lock (RLIMIT_MEMLOCK) is not fatal: the passphrase is still wiped.
 */
#include "host/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "host/host.h"

#define NO_TTY_MSG SECRET_NO_TERMINAL " (use key-file= or key-fd=)"

/* SECRET_MAX + 1 bytes so that one byte too many is seen, rounded to pages. */
static size_t secret_cap(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;
	return (SECRET_MAX + 1 + p - 1) / p * p;
}

static int secret_alloc(struct secret *s, char *err)
{
	size_t cap = secret_cap();
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(s, 0, sizeof(*s));
	if (p == MAP_FAILED) {
		snprintf(err, HOST_ERRLEN, "cannot allocate memory for a passphrase: %s",
			 strerror(errno));
		return -1;
	}
	(void)madvise(p, cap, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
	(void)madvise(p, cap, MADV_WIPEONFORK);
#endif
	s->buf = p;
	s->cap = cap;
	s->locked = mlock(p, cap) == 0;
	return 0;
}

int secret_reserve(struct secret *s, char *err)
{
	return secret_alloc(s, err);
}

void secret_wipe(struct secret *s)
{
	if (s->buf) {
		explicit_bzero(s->buf, s->cap);
		if (s->locked)
			munlock(s->buf, s->cap);
		munmap(s->buf, s->cap);
	}
	memset(s, 0, sizeof(*s));
}

bool secret_equal(const struct secret *a, const struct secret *b)
{
	uint8_t diff = 0;

	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		diff |= a->buf[i] ^ b->buf[i];
	return diff == 0;
}

/* strerror, except the one message users meet most, kept short. */
static const char *why(int e)
{
	return e == ENOENT ? "No such file" : strerror(e);
}

/* Reads fd to end of file into a fresh secret; source names it in errors. */
static int read_to_eof(struct secret *s, int fd, const char *source, char *err)
{
	if (secret_alloc(s, err) < 0)
		return -1;
	while (s->len <= SECRET_MAX) {
		ssize_t n = read(fd, s->buf + s->len, s->cap - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, HOST_ERRLEN, "%s: %s", source, why(errno));
			goto fail;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
	}
	if (s->len > SECRET_MAX) {
		snprintf(err, HOST_ERRLEN, "%s: passphrase too long (max %d bytes)", source,
			 SECRET_MAX);
		goto fail;
	}
	if (s->len == 0) {
		snprintf(err, HOST_ERRLEN, "%s: empty", source);
		goto fail;
	}
	return 0;
fail:
	secret_wipe(s);
	return -1;
}

int secret_from_file(struct secret *s, const char *path, char *err)
{
	char source[HOST_ERRLEN / 2];
	int fd, rc;

	memset(s, 0, sizeof(*s));
	snprintf(source, sizeof(source), "key file %s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: %s", source, why(errno));
		return -1;
	}
	rc = read_to_eof(s, fd, source, err);
	close(fd);
	return rc;
}

int secret_from_open_file(struct secret *s, int fd, const char *path, char *err)
{
	char source[HOST_ERRLEN / 2];

	memset(s, 0, sizeof(*s));
	snprintf(source, sizeof(source), "key file %s", path);
	return read_to_eof(s, fd, source, err);
}

int secret_from_fd(struct secret *s, int fd, char *err)
{
	char source[64];

	memset(s, 0, sizeof(*s));
	snprintf(source, sizeof(source), "--key-fd %d", fd);
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "%s: %s", source, strerror(EBADF));
		return -1;
	}
	return read_to_eof(s, fd, source, err);
}

/* --- the terminal prompt ---------------------------------------------------
 *
 * While echo is off, a signal that ends the process must not leave the
 * terminal silent: the handler below restores the saved settings, puts
 * back whatever handler was there before and re-raises the signal.
 * Signals that were being ignored stay ignored.
 */

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NPROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static struct sigaction prompt_old_actions[NPROMPT_SIGNALS];
static bool prompt_hooked[NPROMPT_SIGNALS];
static struct termios prompt_saved;
static volatile sig_atomic_t prompt_tty = -1;       /* fd while echo is off */
static volatile sig_atomic_t prompt_interrupted;

static void prompt_on_signal(int sig)
{
	int saved_errno = errno;

	if (prompt_tty >= 0) {
		tcsetattr(prompt_tty, TCSANOW, &prompt_saved);
		(void)!write(prompt_tty, "\n", 1);
		prompt_tty = -1;
	}
	prompt_interrupted = 1;
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++)
		if (prompt_signals[i] == sig && prompt_hooked[i])
			sigaction(sig, &prompt_old_actions[i], NULL);
	raise(sig); /* delivered when this handler returns */
	errno = saved_errno;
}

static void hook_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	prompt_interrupted = 0;
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++) {
		prompt_hooked[i] = false;
		if (sigaction(prompt_signals[i], NULL, &prompt_old_actions[i]) < 0 ||
		    prompt_old_actions[i].sa_handler == SIG_IGN)
			continue;
		prompt_hooked[i] = sigaction(prompt_signals[i], &sa, NULL) == 0;
	}
}

static void unhook_signals(void)
{
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++) {
		if (prompt_hooked[i])
			sigaction(prompt_signals[i], &prompt_old_actions[i], NULL);
		prompt_hooked[i] = false;
	}
}

static int echo_off(int fd, char *err)
{
	struct termios quiet;

	if (tcgetattr(fd, &prompt_saved) < 0) {
		snprintf(err, HOST_ERRLEN, "/dev/tty: %s", strerror(errno));
		return -1;
	}
	quiet = prompt_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	hook_signals();
	prompt_tty = fd;
	/* TCSADRAIN, not TCSAFLUSH: keep what was typed ahead of the prompt. */
	if (tcsetattr(fd, TCSADRAIN, &quiet) < 0) {
		prompt_tty = -1;
		unhook_signals();
		snprintf(err, HOST_ERRLEN, "/dev/tty: cannot turn echo off: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void echo_on(int fd)
{
	if (prompt_tty >= 0) {
		prompt_tty = -1;
		tcsetattr(fd, TCSADRAIN, &prompt_saved);
		(void)!write(fd, "\n", 1); /* the newline the user typed was not echoed */
	}
	unhook_signals();
}

/* Reads one line (canonical mode hands us at most a line per read). */
static int read_line(struct secret *s, int fd, char *err)
{
	while (s->len < s->cap) {
		ssize_t n = read(fd, s->buf + s->len, s->cap - s->len);
		if (n < 0 && errno == EINTR && !prompt_interrupted)
			continue;
		if (n < 0) {
			snprintf(err, HOST_ERRLEN, "/dev/tty: %s",
				 prompt_interrupted ? "interrupted" : strerror(errno));
			return -1;
		}
		if (n == 0)
			break; /* Ctrl-D: take what was typed */
		s->len += (size_t)n;
		if (s->buf[s->len - 1] == '\n') {
			s->buf[--s->len] = 0;
			break;
		}
	}
	if (s->len > SECRET_MAX) {
		snprintf(err, HOST_ERRLEN, "passphrase too long (max %d bytes)", SECRET_MAX);
		return -1;
	}
	if (s->len == 0) {
		snprintf(err, HOST_ERRLEN, "no passphrase entered");
		return -1;
	}
	return 0;
}

int secret_prompt(struct secret *s, const char *prompt, char *err)
{
	int fd, rc;

	memset(s, 0, sizeof(*s));
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, NO_TTY_MSG);
		return -1;
	}
	if (secret_alloc(s, err) < 0) {
		close(fd);
		return -1;
	}
	if (echo_off(fd, err) < 0) {
		secret_wipe(s);
		close(fd);
		return -1;
	}
	rc = host_write_all(fd, prompt, strlen(prompt));
	if (rc < 0)
		snprintf(err, HOST_ERRLEN, "/dev/tty: cannot write the prompt: %s", strerror(errno));
	else
		rc = read_line(s, fd, err);
	echo_on(fd);
	close(fd);
	if (rc < 0)
		secret_wipe(s);
	return rc;
}
