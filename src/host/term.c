/*
 * The host terminal and standard streams.
 *
 * While a guest owns the console, stdin is put in raw mode: no echo, no
 * line editing, and no ISIG, so Ctrl-C and Ctrl-Z reach the guest instead
 * of killing cordon (Ctrl-A x is the way out, see vm/console.c).  A shell
 * left in raw mode is unusable, so the saved settings are restored on every
 * way out we can catch: normal exit (atexit) and the usual fatal signals,
 * whose handlers restore the terminal and then re-raise the signal so the
 * exit status still tells the truth.
 *
 * Reads from stdin never block, but we do not set O_NONBLOCK: on a terminal
 * stdin and stdout usually share one open file description, so the flag
 * would also make stdout non-blocking (losing guest output) and would leak
 * into the parent shell after we exit.  A zero-timeout poll() before each
 * read() gives the same effect without touching shared state.
 */
#include "host/host.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static struct termios saved_termios;
static volatile sig_atomic_t term_is_raw;
static bool hooks_installed;

/* Termination requests, crashes, and SIGPIPE (stdout piped into `head`
 * while stdin is still the terminal). */
static const int fatal_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT,
	SIGPIPE, SIGBUS, SIGFPE, SIGILL,
};

/* Async-signal-safe: tcsetattr() is on the POSIX list. */
void host_term_restore(void)
{
	if (!term_is_raw)
		return;
	term_is_raw = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

/*
 * SA_RESETHAND has already put the default action back, and SA_NODEFER
 * leaves the signal unblocked, so raise() ends the process the way the
 * signal would have without us.
 */
static void restore_and_reraise(int sig)
{
	int saved_errno = errno;
	host_term_restore();
	raise(sig);
	errno = saved_errno;
}

static void install_exit_hooks(void)
{
	struct sigaction sa = { 0 };

	if (hooks_installed)
		return;
	hooks_installed = true;
	atexit(host_term_restore);
	sa.sa_handler = restore_and_reraise;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

bool host_stdin_is_tty(void)
{
	return isatty(STDIN_FILENO) == 1;
}

void host_term_raw(void)
{
	struct termios t;

	if (term_is_raw || !host_stdin_is_tty())
		return;
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	install_exit_hooks();

	t = saved_termios;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	/* OPOST stays on so cordon's own "\n"-terminated messages still
	 * return the carriage; the guest's "\r\n" is unaffected. */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	term_is_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		term_is_raw = 0;
}

int host_stdin_read(uint8_t *buf, size_t len)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	ssize_t n;

	if (len == 0)
		return 0;
	if (poll(&pfd, 1, 0) < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd.revents & POLLNVAL)
		return -1;
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(STDIN_FILENO, buf, len);
	if (n < 0)
		return (errno == EINTR || errno == EAGAIN) ? 0 : -1;
	if (n == 0)
		return -1; /* end of file */
	return n > (ssize_t)0x7fffffff ? 0x7fffffff : (int)n;
}

void host_wait_fds(uint64_t timeout_ns, bool watch_stdin, const struct host_waitfd *w, unsigned n)
{
	struct pollfd pfd[1 + HOST_WAIT_MAX];
	nfds_t k = 0;
	if (watch_stdin)
		pfd[k++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	for (unsigned i = 0; i < n && k < sizeof(pfd) / sizeof(pfd[0]); i++)
		if (w[i].fd >= 0 && (w[i].in || w[i].out))
			pfd[k++] = (struct pollfd){ .fd = w[i].fd,
						    .events = (short)((w[i].in ? POLLIN : 0) |
								      (w[i].out ? POLLOUT : 0)) };
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000u),
		.tv_nsec = (long)(timeout_ns % 1000000000u),
	};
	/* EINTR just means "wake up early"; the caller re-checks its deadlines. */
	ppoll(k ? pfd : NULL, k, &ts, NULL);
}

void host_wait_input(uint64_t timeout_ns, bool watch_stdin, const int *fds, unsigned nfds)
{
	struct host_waitfd w[HOST_WAIT_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < nfds && n < HOST_WAIT_MAX; i++)
		w[n++] = (struct host_waitfd){ .fd = fds[i], .in = true };
	host_wait_fds(timeout_ns, watch_stdin, w, n);
}

void host_stdout_write(const void *buf, size_t len)
{
	/* Nowhere to report a failure (stdout closed, broken pipe): drop it. */
	(void)host_write_all(STDOUT_FILENO, buf, len);
}
