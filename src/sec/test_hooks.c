/*
 * The test-only hooks of test_hooks.h; this file is empty unless the
 * build defines CORDON_TEST_HOOKS.
 */
#include "sec/test_hooks.h"

#ifdef CORDON_TEST_HOOKS

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SANDBOX_ENV "CORDON_TEST_SANDBOX_ESCAPE"
#define MONITOR_ENV "CORDON_TEST_MONITOR_ESCAPE"

static bool escape_env_read;
static uint64_t escape_after; /* slices; 0 = never */

/* getenv only reads memory, so this is safe on either side of the
 * seccomp filter. */
static void read_escape_env(void)
{
	if (escape_env_read)
		return;
	escape_env_read = true;
	const char *s = getenv(SANDBOX_ENV);
	char *end;
	if (!s || !*s)
		return;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno == 0 && *end == '\0')
		escape_after = n;
}

bool test_hook_escape_due(uint64_t slices)
{
	read_escape_env();
	return escape_after != 0 && slices == escape_after;
}

void test_hook_escape(void)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cordon: sandbox test hook: open(/etc/passwd) failed: %s\n",
			strerror(errno));
		return;
	}
	fprintf(stderr, "cordon: sandbox test hook: open(/etc/passwd) succeeded\n");
	close(fd);
}

/* "VM:N" from the supervisor's environment, split once before any fork. */
static char monitor_vm[64];
static char monitor_env[64];

void test_hook_supervisor_init(void)
{
	const char *s = getenv(MONITOR_ENV);
	const char *colon = s ? strchr(s, ':') : NULL;
	monitor_vm[0] = monitor_env[0] = '\0';
	if (!colon || (size_t)(colon - s) >= sizeof(monitor_vm) || strlen(colon + 1) >= 20)
		return;
	snprintf(monitor_vm, sizeof(monitor_vm), "%.*s", (int)(colon - s), s);
	snprintf(monitor_env, sizeof(monitor_env), "%s=%s", SANDBOX_ENV, colon + 1);
}

char *test_hook_monitor_env(const char *vm)
{
	if (!monitor_env[0] || strcmp(vm, monitor_vm) != 0)
		return NULL;
	return monitor_env;
}

#endif
