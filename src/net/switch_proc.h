/*
 * A net's switch process around the switch core (net/switch.h): it owns
 * one descriptor per port -- a SOCK_SEQPACKET socket whose other end a
 * VM's monitor holds, or the uplink's tap device -- and moves frames
 * between them and the core.
 *
 * The loop waits on every live port for input, and for room on the ports
 * whose queue holds frames.  Each turn takes at most SWITCH_PROC_BURST
 * frames from each port, so no port can starve the others, and writes
 * each queue until the port's socket is full; the core's bounded queues
 * then drop what a slow port cannot take.  A port whose other end hangs
 * up is taken down; when the last VM port is down the process ends.
 */
#ifndef CORDON_NET_SWITCH_PROC_H
#define CORDON_NET_SWITCH_PROC_H

#include "host/host.h"
#include "net/switch.h"

#define SWITCH_PROC_BURST 32

struct switch_proc;

/* Takes the descriptors over (made non-blocking here: call before the
 * sandbox).  port_names[i] names port i in messages ("" or NULL for the
 * uplink).  NULL with err (HOST_ERRLEN bytes); the descriptors are
 * closed then too. */
struct switch_proc *switch_proc_new(const char *net, const struct switch_config *cfg,
				    const int *fds, const char *const *port_names, char *err);
/* Runs until every VM port has hung up; then prints one line of
 * statistics per port on stderr.  Returns 0. */
int switch_proc_run(struct switch_proc *sp);
void switch_proc_free(struct switch_proc *sp);

#endif
