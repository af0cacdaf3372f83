/*
 * Host time.  The machine's virtual clock is built on the monotonic clock
 * so guest timers never run backwards when the host's wall clock is set;
 * wall time is only used to seed the RTC.
 */
#include "host/host.h"

#include <time.h>

uint64_t host_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t host_wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}
