/*
 * Guest RAM: one anonymous private mapping per VM.
 *
 * Anonymous mappings come from the kernel zero-filled, so no byte of
 * another VM (or of cordon's own heap) can leak into a new guest.
 * MAP_NORESERVE lets a 3 GiB guest start on a small host: pages are only
 * committed when the guest touches them.
 */
#include "host/host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

void *host_alloc_ram(size_t size, char *err)
{
	void *p;

	if (size == 0) {
		snprintf(err, HOST_ERRLEN, "guest RAM size is zero");
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, HOST_ERRLEN, "cannot map %zu MiB of guest RAM: %s",
			 size >> 20, strerror(errno));
		return NULL;
	}
	return p;
}

void host_free_ram(void *p, size_t size)
{
	if (p && size)
		munmap(p, size);
}
