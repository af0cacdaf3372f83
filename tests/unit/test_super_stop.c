/*
 * Stopping monitors (src/super/super.c): a later, harder request is never
 * held back by an earlier, gentler one.  The "monitor" is a forked child
 * that ignores SIGPWR, as a guest that does not answer its power button
 * leaves its monitor running.
 */
#include "t.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "super/super_internal.h"

static struct super s;
static struct sysdef_vm def = { .name = "slow" };

/* A child that ignores SIGPWR and waits to be ended; 0 if fork failed. */
static pid_t deaf_child(void)
{
	/* Ignored before the fork, so the child ignores it from its start:
	 * the test's SIGPWR may come before the child runs at all. */
	void (*was)(int) = signal(SIGPWR, SIG_IGN);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		for (;;)
			pause();
	signal(SIGPWR, was);
	return pid > 0 ? pid : 0;
}

/* The signal that ended pid within about 2 s, or 0 (then it is killed). */
static int ended_by(pid_t pid)
{
	int status;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}

static struct vmrec *running_vm(pid_t pid)
{
	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	s.nvms = 1;
	s.vms[0].def = &def;
	s.vms[0].state = VMS_RUNNING;
	s.vms[0].pid = pid;
	return &s.vms[0];
}

#define HOUR_NS (3600ull * 1000000000ull)

/* cordon stop --timeout 3600, then cordon down: the SIGTERM goes out at
 * once and the SIGKILL is armed seconds away, not an hour. */
TEST(super_down_after_a_long_stop_still_ends_the_vm)
{
	pid_t pid = deaf_child();
	CHECK(pid != 0);
	if (!pid)
		return;
	struct vmrec *v = running_vm(pid);
	stop_monitor_after(&s, v, HOUR_NS);
	uint64_t first = v->kill_at_ns;
	super_begin_shutdown(&s, "cordon down");
	CHECK(v->stop_requested);
	CHECK(v->kill_at_ns < first);
	CHECK(v->kill_at_ns < host_monotonic_ns() + 10ull * 1000000000ull);
	CHECK_EQ(ended_by(pid), SIGTERM);
}

/* The other order: a stop after a down does not push the kill back. */
TEST(super_long_stop_after_down_keeps_the_short_grace)
{
	pid_t pid = deaf_child();
	CHECK(pid != 0);
	if (!pid)
		return;
	struct vmrec *v = running_vm(pid);
	stop_monitor(&s, v);
	uint64_t armed = v->kill_at_ns;
	stop_monitor_after(&s, v, HOUR_NS);
	CHECK_EQ(v->kill_at_ns, armed);
	ended_by(pid);
}
