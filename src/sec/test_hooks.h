/*
 * Test-only hooks, compiled in only with -DCORDON_TEST_HOOKS: the Makefile
 * builds them into build/cordon-test (and the unit tests), never into
 * build/cordon, whose strings hold no trace of them (tests/sh/hooks.sh).
 * In the production build every call below is an empty inline.
 *
 * The sandbox escape: CORDON_TEST_SANDBOX_ESCAPE=N makes the run loop try
 * open("/etc/passwd") once, after N slices; under the sandbox that earns
 * SIGSYS, which tests/sh/sandbox.sh checks.  The supervisor's
 * CORDON_TEST_MONITOR_ESCAPE=VM:N arms it in VM's monitor only
 * (tests/sh/supervisor.sh).
 */
#ifndef CORDON_SEC_TEST_HOOKS_H
#define CORDON_SEC_TEST_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef CORDON_TEST_HOOKS

/* True once, at slice N of CORDON_TEST_SANDBOX_ESCAPE=N. */
bool test_hook_escape_due(uint64_t slices);
/* The escape attempt itself: open("/etc/passwd"), reported on stderr. */
void test_hook_escape(void);
/* Supervisor: reads CORDON_TEST_MONITOR_ESCAPE (before any fork). */
void test_hook_supervisor_init(void);
/* The environment entry for vm's monitor, or NULL.  Only reads memory,
 * so it is safe between fork and exec. */
char *test_hook_monitor_env(const char *vm);

#else

static inline bool test_hook_escape_due(uint64_t slices)
{
	(void)slices;
	return false;
}

static inline void test_hook_escape(void)
{
}

static inline void test_hook_supervisor_init(void)
{
}

static inline char *test_hook_monitor_env(const char *vm)
{
	(void)vm;
	return (char *)0;
}

#endif
#endif
