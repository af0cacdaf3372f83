/* Runs every registered unit test, or those whose name contains argv[1]. */
#include "t.h"

#include <stdarg.h>
#include <stdlib.h>

#define T_MAX 4096

static struct {
	const char *name, *file;
	t_fn fn;
} tests[T_MAX];
static int ntests, cur_failures;

void t_register(const char *name, t_fn fn, const char *file)
{
	if (ntests == T_MAX) {
		fprintf(stderr, "too many unit tests (max %d)\n", T_MAX);
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].file = file;
	tests[ntests].fn = fn;
	ntests++;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (cur_failures++ < 20) {
		fprintf(stdout, "    %s:%d: ", file, line);
		va_start(ap, fmt);
		vfprintf(stdout, fmt, ap);
		va_end(ap);
		fputc('\n', stdout);
	}
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]) && !strstr(tests[i].file, argv[1]))
			continue;
		cur_failures = 0;
		tests[i].fn();
		if (cur_failures) {
			printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
			failed++;
		} else {
			printf("ok   %s\n", tests[i].name);
			passed++;
		}
	}
	printf("unit-summary %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
