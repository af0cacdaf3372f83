/*
 * Memory for host code generated at run time (the soft engine's
 * translator, src/engine/soft/jit.c).
 *
 * The region is never writable and executable through the same address:
 * one memfd is mapped twice, once read-write (where the translator
 * writes) and once read-execute (where the CPU runs it), so a stray guest
 * -controlled write through a data pointer cannot land in code that is
 * about to run, and the process never holds a W+X page.  The memfd is
 * closed once mapped, so it adds no descriptor to the sandboxed monitor.
 */
#include "host/host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int host_code_map(size_t size, struct host_code *out, char *err)
{
	int fd = memfd_create("cordon-code", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, HOST_ERRLEN, "cannot create code memory: memfd_create: %s", strerror(errno));
		return -1;
	}
	void *rw = MAP_FAILED, *rx = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) != 0)
		goto fail;
	rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rw == MAP_FAILED)
		goto fail;
	rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (rx == MAP_FAILED)
		goto fail;
	close(fd);
	out->rw = rw;
	out->rx = rx;
	out->size = size;
	return 0;
fail:
	snprintf(err, HOST_ERRLEN, "cannot map %zu MiB of code memory: %s", size >> 20, strerror(errno));
	if (rw != MAP_FAILED)
		munmap(rw, size);
	close(fd);
	return -1;
}

void host_code_unmap(struct host_code *m)
{
	if (m->rw)
		munmap(m->rw, m->size);
	if (m->rx)
		munmap((void *)m->rx, m->size);
	m->rw = NULL;
	m->rx = NULL;
}
