/* A scratch directory for unit tests; see scratch.h. */
#include "scratch.h"

#include <fcntl.h>
#include <stdint.h>
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

bool scratch_sized(const char *path, off_t size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		return false;
	bool ok = ftruncate(fd, size) == 0;
	close(fd);
	return ok;
}

/* The fields are test_boot.c's. */
static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

bool scratch_bzimage(const char *path)
{
	const uint32_t setup = 5 * 512, pm = 4096;
	uint8_t *k = calloc(1, setup + pm);
	if (!k)
		return false;
	k[0x1f1] = 4;
	put32(k, 0x1f4, pm / 16);
	k[0x1fe] = 0x55, k[0x1ff] = 0xaa;
	k[0x200] = 0xeb, k[0x201] = 0x26c - 0x202;
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f, k[0x207] = 0x02; /* protocol 2.15 */
	k[0x211] = 0x01;                  /* loaded high */
	put32(k, 0x214, 0x100000);
	put32(k, 0x22c, 0x7fffffff);
	put32(k, 0x230, 0x200000);
	k[0x234] = 1;
	put32(k, 0x238, 2047);
	put32(k, 0x258, 0x1000000);
	put32(k, 0x260, 1u << 20);
	bool ok = scratch_write(path, k, setup + pm);
	free(k);
	return ok;
}
