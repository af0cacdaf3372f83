/*
 * Host randomness for the guest's virtio-rng, from the kernel's CSPRNG.
 * getrandom() without flags blocks only until the pool is first seeded.
 */
#include "host/host.h"

#include <errno.h>
#include <sys/random.h>

int host_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
