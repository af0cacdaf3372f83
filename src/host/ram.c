/*
 * Guest RAM: one anonymous private mapping per VM.
 *
 * Anonymous mappings come from the kernel zero-filled, so no byte of
 * another VM (or of cordon's own heap) can leak into a new guest.
 * MAP_NORESERVE lets a 3 GiB guest start on a small host: pages are only
 * committed when the guest touches them.
 *
 * The mapping is aligned to 2 MiB and offered to transparent huge pages
 * (madvise, where the host allows it): the soft engine's accesses go all
 * over guest RAM (a guest's page cache fills it), and with 4 KiB host
 * pages a large share of them missed the host's TLB, and a guest's first
 * pass over its memory took a host page fault every 4 KiB.
 */
#include "host/host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_ALIGN ((size_t)2 << 20)

void *host_alloc_ram(size_t size, char *err)
{
	void *p;

	if (size == 0) {
		snprintf(err, HOST_ERRLEN, "guest RAM size is zero");
		return NULL;
	}
	if (size > SIZE_MAX - HUGE_ALIGN) {
		snprintf(err, HOST_ERRLEN, "guest RAM size %zu is too large", size);
		return NULL;
	}
	p = mmap(NULL, size + HUGE_ALIGN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, HOST_ERRLEN, "cannot map %zu MiB of guest RAM: %s",
			 size >> 20, strerror(errno));
		return NULL;
	}
	/* Keep the 2 MiB-aligned part; give back the ends. */
	uintptr_t start = ((uintptr_t)p + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
	size_t head = start - (uintptr_t)p;
	if (head)
		munmap(p, head);
	if (HUGE_ALIGN - head)
		munmap((char *)start + size, HUGE_ALIGN - head);
	(void)madvise((void *)start, size, MADV_HUGEPAGE); /* a hint: no THP is fine */
	return (void *)start;
}

void host_free_ram(void *p, size_t size)
{
	if (p && size)
		munmap(p, size);
}
