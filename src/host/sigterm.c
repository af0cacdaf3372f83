/*
 * The power signal: `cordon stop` sends a supervised VM's monitor SIGPWR,
 * which the monitor counts instead of dying of; the machine answers the
 * first by pressing the ACPI power button (vm.c), so the guest shuts down
 * cleanly.  SIGTERM keeps its default action: it is `cordon down`'s, and
 * what a monitor raises on itself when its guest cannot hear the button,
 * so the supervisor sees a stop by the operator.  The handler only
 * increments the counter, which is async-signal-safe; it interrupts a
 * sleeping ppoll (no SA_RESTART), so an idle machine notices at once.
 */
#include <signal.h>
#include <string.h>

#include "host/host.h"

static volatile sig_atomic_t *power_count;

static void on_power(int sig)
{
	(void)sig;
	if (power_count)
		(*power_count)++;
}

int host_count_power_signal(volatile sig_atomic_t *count)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_power;
	sigemptyset(&sa.sa_mask);
	power_count = count;
	return sigaction(SIGPWR, &sa, NULL);
}

void host_end_by_sigterm(void)
{
	raise(SIGTERM);
}
