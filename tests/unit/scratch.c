/* A scratch directory for unit tests; see scratch.h. */
#include "scratch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

char scratch_dir[64];

bool scratch_make(const char *prefix)
{
	if ((size_t)snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/%s-XXXXXX", prefix) >=
	    sizeof(scratch_dir))
		return false;
	return mkdtemp(scratch_dir) != NULL;
}

void scratch_remove(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	if (system(cmd) != 0)
		t_fail(__FILE__, __LINE__, "cannot remove %s", scratch_dir);
}

void scratch_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", scratch_dir, name);
}

bool scratch_write(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		return false;
	bool ok = len == 0 || write(fd, buf, len) == (ssize_t)len;
	close(fd);
	return ok;
}
