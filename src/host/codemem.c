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

void host_code_unmap_written(struct host_code *m, size_t off, size_t len)
{
	size_t page = 4096, start = (off + page - 1) & ~(page - 1), end = (off + len) & ~(page - 1);
	if (end > m->size)
		end = m->size;
	if (start < end)
		(void)madvise(m->rw + start, end - start, MADV_DONTNEED); /* an optimisation: failure is harmless */
}

#ifdef CORDON_PERF_MAP
void host_perf_map(const void *addr, size_t len, const char *name)
{
	static FILE *map;
	if (!map) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
		map = fopen(path, "w");
		if (!map)
			return;
	}
	fprintf(map, "%lx %zx %s\n", (unsigned long)(uintptr_t)addr, len, name);
}

void host_perf_dump(const char *name, const void *guest, size_t glen, const void *host, size_t hlen)
{
	static FILE *dump;
	if (!dump) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/cordon-blocks-%d", (int)getpid());
		dump = fopen(path, "w");
		if (!dump)
			return;
	}
	fprintf(dump, "%s %zu %zu\n", name, glen, hlen);
	fwrite(guest, 1, glen, dump);
	fwrite(host, 1, hlen, dump);
}
#else
void host_perf_map(const void *addr, size_t len, const char *name)
{
	(void)addr, (void)len, (void)name;
}

void host_perf_dump(const char *name, const void *guest, size_t glen, const void *host, size_t hlen)
{
	(void)name, (void)guest, (void)glen, (void)host, (void)hlen;
}
#endif
