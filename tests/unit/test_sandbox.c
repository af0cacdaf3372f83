/*
 * The monitor sandbox (src/sec/sandbox.c).  Entering it cannot be undone,
 * so each test forks a child that enters it, tries one thing, and leaves
 * with a raw exit_group: not exit() (atexit handlers, ASan's leak check)
 * and not even _exit(), which ASan intercepts and which then calls
 * sigaltstack -- not on the allowlist, since cordon itself is not built
 * with ASan.
 * The child hands its report to the parent through a pipe.
 */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "host/host.h"
#include "sec/sandbox.h"
#include "sec/test_hooks.h"

#define CHILD_SANDBOX_FAILED 99
#define CHILD_BODY_FAILED 98

/* Always inlined: ASan precedes every call to a noreturn function with
 * __asan_handle_no_return, which asks sigaltstack() -- a call no
 * allowlist has.  Inlined, there is no such call, whatever the compiler
 * would otherwise decide for a helper called from several places. */
static inline __attribute__((always_inline)) _Noreturn void child_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

/* What the child does once sandboxed; fd is the pipe to the parent.
 * Returns normally only if everything it tried worked. */
typedef bool (*sandboxed_fn)(int fd);

struct child_result {
	int status; /* from waitpid */
	bool got_report;
	struct sandbox_report report;
};

static void run_child(sandboxed_fn body, const struct sandbox_opts *opts, int fd)
{
	struct sandbox_report report;
	char err[HOST_ERRLEN];
	if (sandbox_enter(opts, &report, err) < 0) {
		(void)!write(STDERR_FILENO, err, strlen(err));
		child_exit(CHILD_SANDBOX_FAILED);
	}
	if (write(fd, &report, sizeof(report)) != (ssize_t)sizeof(report))
		child_exit(CHILD_BODY_FAILED);
	child_exit(body(fd) ? 0 : CHILD_BODY_FAILED);
}

static struct child_result run_sandboxed(sandboxed_fn body, const struct sandbox_opts *opts)
{
	struct child_result res = { .status = -1 };
	int p[2];
	if (pipe(p) < 0)
		return res;
	fflush(NULL); /* or the child's buffers would be written twice */
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_child(body, opts, p[1]);
	}
	close(p[1]);
	if (pid > 0) {
		res.got_report = read(p[0], &res.report, sizeof(res.report)) == (ssize_t)sizeof(res.report);
		waitpid(pid, &res.status, 0);
	}
	close(p[0]);
	return res;
}

static bool killed_by_sigsys(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static bool exited_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static struct child_result run_default(sandboxed_fn body)
{
	struct sandbox_opts opts;
	sandbox_default_opts(&opts);
	return run_sandboxed(body, &opts);
}

/* --- what the run loop needs still works ------------------------------------ */

static bool use_allowed_calls(int fd)
{
	uint8_t rnd[16];
	struct timespec ts;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return false;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return false;
	if (poll(&pfd, 1, 0) != 1)
		return false;
	char *big = malloc(1 << 20); /* large enough for malloc to mmap it */
	if (!big)
		return false;
	memset(big, 'x', 1 << 20);
	free(big);
	return write(fd, "alive", 5) == 5;
}

TEST(sandbox_allows_what_the_loop_needs)
{
	struct child_result r = run_default(use_allowed_calls);
	CHECK(exited_ok(r.status));
	CHECK(r.got_report);
}

/* A listening --net link widens the send buffer of each peer it accepts
 * (host/netsock.c).  fd is a pipe, so the call that gets past the filter
 * fails with ENOTSOCK instead of killing. */
static bool widen_send_buffer(int fd)
{
	int size = 1 << 21;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0 || errno != ENOTSOCK)
		return false;
	return write(fd, "alive", 5) == 5;
}

TEST(sandbox_allows_widening_a_send_buffer)
{
	CHECK(exited_ok(run_default(widen_send_buffer).status));
}

/* --- what a compromised monitor must not do ---------------------------------- */

static bool try_open(int fd)
{
	(void)fd;
	return open("/etc/passwd", O_RDONLY) < 0;
}

static bool try_socket(int fd)
{
	(void)fd;
	return socket(AF_INET, SOCK_STREAM, 0) < 0;
}

static bool try_execve(int fd)
{
	char *argv[] = { "/bin/true", NULL };
	char *envp[] = { NULL };
	(void)fd;
	execve("/bin/true", argv, envp);
	return false;
}

static bool try_fork(int fd)
{
	(void)fd;
	pid_t pid = fork();
	if (pid == 0)
		child_exit(0);
	return false;
}

static bool try_exec_memory(int fd)
{
	(void)fd;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED;
}

static bool try_ioctl_stdout(int fd)
{
	struct termios t;
	(void)fd;
	return ioctl(STDOUT_FILENO, TCGETS, &t) < 0;
}

static bool try_escape_hook(int fd)
{
	(void)fd;
	test_hook_escape();
	return false;
}

static bool try_kill_parent(int fd)
{
	(void)fd;
	return kill(getppid(), SIGTERM) < 0;
}

TEST(sandbox_kills_open)
{
	CHECK(killed_by_sigsys(run_default(try_open).status));
	CHECK(killed_by_sigsys(run_default(try_escape_hook).status));
}

static bool try_receive_buffer(int fd)
{
	int size = 1 << 21;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0;
}

static bool try_force_send_buffer(int fd)
{
	int size = 1 << 21; /* past net.core.wmem_max, were it allowed */
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0;
}

TEST(sandbox_kills_socket)
{
	CHECK(killed_by_sigsys(run_default(try_socket).status));
}

/* setsockopt is allowed for SO_SNDBUF alone. */
TEST(sandbox_kills_other_socket_options)
{
	CHECK(killed_by_sigsys(run_default(try_receive_buffer).status));
	CHECK(killed_by_sigsys(run_default(try_force_send_buffer).status));
}

TEST(sandbox_kills_execve_and_fork)
{
	CHECK(killed_by_sigsys(run_default(try_execve).status));
	CHECK(killed_by_sigsys(run_default(try_fork).status));
}

TEST(sandbox_kills_executable_memory_and_stray_ioctls)
{
	CHECK(killed_by_sigsys(run_default(try_exec_memory).status));
	CHECK(killed_by_sigsys(run_default(try_ioctl_stdout).status));
}

static bool raise_sigterm(int fd)
{
	(void)fd;
	raise(SIGTERM); /* as term.c's fatal-signal handler does */
	return false;
}

TEST(sandbox_lets_a_process_signal_itself)
{
	int status = run_default(raise_sigterm).status;
	CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

static bool try_dup(int fd)
{
	return dup(fd) < 0; /* a new descriptor other than by accept4 */
}

TEST(sandbox_kills_dup)
{
	CHECK(killed_by_sigsys(run_default(try_dup).status));
}

TEST(sandbox_kills_signals_to_others)
{
	/* getppid is not allowed either; either way the child dies of SIGSYS
	 * and the parent (this test runner) is still here to check it. */
	CHECK(killed_by_sigsys(run_default(try_kill_parent).status));
}

/* --- the report ------------------------------------------------------------ */

static bool do_nothing(int fd)
{
	(void)fd;
	return true;
}

TEST(sandbox_report_lists_steps)
{
	struct child_result r = run_default(do_nothing);
	CHECK(exited_ok(r.status));
	CHECK(r.got_report);
	CHECK(strstr(r.report.applied, "seccomp allowlist") != NULL);
	CHECK(strstr(r.report.applied, "no_new_privs") != NULL);
	CHECK(strstr(r.report.applied, "RLIMIT_NOFILE") != NULL);
	CHECK(strstr(r.report.applied, "RLIMIT_CORE 0") != NULL);
	if (geteuid() == 0) {
		CHECK(strstr(r.report.applied, "uid 65534 gid 65534 without groups") != NULL);
		CHECK(strstr(r.report.applied, "empty root") != NULL);
		CHECK(strstr(r.report.applied, "no capabilities") != NULL);
	} else {
		CHECK(strstr(r.report.skipped, "uid switch (not root)") != NULL);
		CHECK(strstr(r.report.skipped, "empty root (not root)") != NULL);
	}
	/* Whatever was not applied says why, and nothing is in both lists. */
	CHECK(strstr(r.report.skipped, "seccomp") == NULL);
	CHECK(strstr(r.report.skipped, "uid 65534") == NULL);
}

TEST(sandbox_root_steps_can_be_left_out)
{
	struct sandbox_opts opts;
	sandbox_default_opts(&opts);
	opts.skip_root_steps = true;
	struct child_result r = run_sandboxed(do_nothing, &opts);
	CHECK(exited_ok(r.status));
	CHECK(strstr(r.report.skipped, "uid switch (not") != NULL);
	CHECK(strstr(r.report.skipped, "empty root (not") != NULL);
	CHECK(strstr(r.report.applied, "seccomp allowlist") != NULL);
}

static bool try_getresuid(int fd)
{
	uid_t ids[3];
	if (getresuid(&ids[0], &ids[1], &ids[2]) < 0)
		return false;
	return write(fd, ids, sizeof(ids)) == (ssize_t)sizeof(ids);
}

TEST(sandbox_getresuid_is_not_allowed)
{
	/* The loop never asks who it is; a filter that lets it ask is wider
	 * than docs/sandbox.md says. */
	CHECK(killed_by_sigsys(run_default(try_getresuid).status));
}

TEST(sandbox_escape_hook_is_off_without_the_variable)
{
	/* The unit-test runner is started without CORDON_TEST_SANDBOX_ESCAPE. */
	if (getenv("CORDON_TEST_SANDBOX_ESCAPE"))
		return;
	CHECK(!test_hook_escape_due(1));
	CHECK(!test_hook_escape_due(20));
}

/* --- the command line ---------------------------------------------------------- */

TEST(sandbox_option_parses)
{
	static struct run_opts o; /* large: keep it off the stack */
	char err[CLI_ERRLEN];
	char *with[] = { "run", "--kernel", "k", "--sandbox" };
	char *without[] = { "run", "--kernel", "k" };
	char *with_value[] = { "run", "--kernel", "k", "--sandbox=yes" };
	CHECK_EQ(cli_parse_run_args(4, with, &o, err), 0);
	CHECK(o.sandbox);
	CHECK_EQ(cli_parse_run_args(3, without, &o, err), 0);
	CHECK(!o.sandbox);
	CHECK_EQ(cli_parse_run_args(4, with_value, &o, err), -1);
}

/* --- the channel profile (a switch, a relay) ------------------------------------- */

static struct child_result run_channel(sandboxed_fn body)
{
	struct sandbox_opts opts;
	sandbox_default_opts(&opts);
	opts.profile = SANDBOX_CHANNEL;
	opts.spare_fds = 0;
	return run_sandboxed(body, &opts);
}

/* What the switch and relay loops do: poll, read and write their
 * descriptors, send on a socket, read the clock. */
static bool use_channel_calls(int fd)
{
	struct timespec ts;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || poll(&pfd, 1, 0) != 1 ||
	    ppoll(&pfd, 1, &(struct timespec){ 0, 0 }, NULL) != 1)
		return false;
	if (send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0 || errno != ENOTSOCK)
		return false; /* allowed (no address): the pipe just is not a socket */
	return write(fd, "alive", 5) == 5;
}

static bool try_getrandom(int fd)
{
	uint8_t b[4];
	(void)fd;
	return getrandom(b, sizeof(b), 0) < 0;
}

static bool try_accept4(int fd)
{
	return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) < 0;
}

static bool try_ioctl_stdin(int fd)
{
	struct termios t;
	(void)fd;
	return ioctl(STDIN_FILENO, TCGETS, &t) < 0;
}

TEST(sandbox_channel_profile_allows_its_loop)
{
	struct child_result r = run_channel(use_channel_calls);
	CHECK(exited_ok(r.status));
	CHECK(r.got_report && strstr(r.report.applied, "seccomp allowlist (15 syscalls") != NULL);
}

/* Narrower than a monitor's: what a monitor may do and a channel not. */
TEST(sandbox_channel_profile_kills_the_rest)
{
	CHECK(killed_by_sigsys(run_channel(try_getrandom).status));
	CHECK(killed_by_sigsys(run_channel(try_accept4).status));
	CHECK(killed_by_sigsys(run_channel(try_ioctl_stdin).status));
	CHECK(killed_by_sigsys(run_channel(try_open).status));
	CHECK(killed_by_sigsys(run_channel(try_socket).status));
	CHECK(killed_by_sigsys(run_channel(try_fork).status));
	CHECK(killed_by_sigsys(run_channel(try_exec_memory).status));
	CHECK(killed_by_sigsys(run_channel(try_kill_parent).status));
	CHECK(killed_by_sigsys(run_channel(raise_sigterm).status)); /* no tgkill either */
	/* A monitor may: these are the channel profile's own. */
	CHECK(!killed_by_sigsys(run_default(try_getrandom).status));
	CHECK(!killed_by_sigsys(run_default(try_ioctl_stdin).status));
}

/* --- the transfer guard's allowlist (sandbox_guard.c) ------------------------------ */

/* Forks a child that puts sock on descriptor 3 (the guard's link), enters
 * the guard's sandbox and runs body; returns its wait status. */
static int run_guard_child(bool (*body)(int sock, int file), int sock, int file)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct sandbox_opts opts;
		struct sandbox_report report;
		char err[HOST_ERRLEN];
		if (dup2(sock, 3) < 0)
			child_exit(CHILD_SANDBOX_FAILED);
		sandbox_default_opts(&opts);
		opts.profile = SANDBOX_GUARD;
		opts.skip_root_steps = true;
		if (sandbox_enter(&opts, &report, err) < 0)
			child_exit(CHILD_SANDBOX_FAILED);
		child_exit(body(3, file) ? 0 : CHILD_BODY_FAILED);
	}
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

/* What a guard does: a descriptor from the link, reads of a spool, writes,
 * memory, poll. */
static bool guard_allowed(int link, int file)
{
	char buf[64];
	union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			      .msg_controllen = sizeof(ctl.b) };
	if (recvmsg(link, &msg, 0) != 4 || !CMSG_FIRSTHDR(&msg))
		return false;
	int got;
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	if (pread(got, buf, 4, 0) != 4 || memcmp(buf, "spoo", 4) != 0)
		return false;
	if (pread(file, buf, 4, 0) != 4 || send(link, "done", 4, 0) != 4)
		return false;
	struct pollfd p = { .fd = link, .events = POLLOUT };
	return poll(&p, 1, 0) == 1 && close(got) == 0;
}

static bool guard_open(int link, int file) { (void)link, (void)file; return open("/etc/passwd", O_RDONLY) < 0; }
static bool guard_socket(int link, int file) { (void)link, (void)file; return socket(AF_UNIX, SOCK_STREAM, 0) < 0; }
static bool guard_random(int link, int file)
{
	uint8_t b[4];
	(void)link, (void)file;
	return getrandom(b, 4, 0) < 0;
}
/* recvmsg on anything but the link (the port, where a monitor could try
 * to pass a descriptor). */
static bool guard_recvmsg_elsewhere(int link, int file)
{
	char buf[4];
	struct iovec iov = { buf, 4 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	(void)link;
	return recvmsg(file, &msg, MSG_DONTWAIT) < 0;
}

TEST(sandbox_guard_profile)
{
	int sv[2], spool = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	char path[] = "/tmp/cordon-guard-sb.XXXXXX";
	int tmp = mkstemp(path);
	CHECK(tmp >= 0 && write(tmp, "spoolspool", 10) == 10);
	unlink(path);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* The supervisor's side: one message with a spool descriptor. */
	union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { "give", 4 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			      .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tmp, sizeof(int));
	CHECK_EQ(sendmsg(sv[1], &msg, 0), 4);
	int st = run_guard_child(guard_allowed, sv[0], tmp);
	if (!exited_ok(st))
		t_fail(__FILE__, __LINE__, "status %#x", st);
	char done[4];
	CHECK_EQ(recv(sv[1], done, 4, MSG_DONTWAIT), 4);
	CHECK(killed_by_sigsys(run_guard_child(guard_open, sv[0], tmp)));
	CHECK(killed_by_sigsys(run_guard_child(guard_socket, sv[0], tmp)));
	CHECK(killed_by_sigsys(run_guard_child(guard_random, sv[0], tmp)));
	CHECK(killed_by_sigsys(run_guard_child(guard_recvmsg_elsewhere, sv[0], sv[1])));
	close(sv[0]), close(sv[1]), close(tmp), close(spool);
}
