/*
 * The operator's console of a supervised VM (`cordon console`): a
 * SOCK_SEQPACKET socket whose other end the supervisor holds.  What the
 * guest writes to the serial port goes to the console log as always and
 * is also sent here, never waiting: when the supervisor (or the operator
 * behind it) does not keep up, the copy is dropped, the log is not.  What
 * arrives here is typed into the serial port like a terminal's keys; the
 * escape keys (Ctrl-A d ...) were handled by `cordon console` already.
 *
 * The supervisor reads the copy only while an operator is attached, so
 * between attaches the socket fills and the sends fail at once: nothing
 * is kept for later.
 */
#include <stdio.h>

#include "host/pktfd.h"
#include "vm/vm_internal.h"

int opcon_open(struct vm *vm, char *err)
{
	struct vm_private *p = priv(vm);
	enum host_pkt_kind kind;
	int fd = p->fds.opcon;
	if (fd < 0)
		return 0;
	p->fds.opcon = -1;
	if (host_pkt_prepare(fd, &kind, err) < 0) {
		host_close(fd);
		return -1;
	}
	if (kind != HOST_PKT_SOCKET) {
		snprintf(err, HOST_ERRLEN, "the operator console's descriptor is not a socket");
		host_close(fd);
		return -1;
	}
	p->serial_out.tee_fd = fd;
	return 0;
}

void opcon_tee(struct outsink *o, const uint8_t *buf, size_t len)
{
	if (o->tee_fd < 0)
		return;
	/* 0: the supervisor has no room (nobody attached): dropped. */
	if (host_pkt_write(o->tee_fd, HOST_PKT_SOCKET, buf, len) < 0) {
		host_close(o->tee_fd);
		o->tee_fd = -1;
	}
}

void opcon_poll(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	int fd = p->serial_out.tee_fd;
	if (fd < 0 || p->in_pos != p->in_len)
		return; /* the last keys are not all in the UART yet */
	ssize_t n = host_pkt_read(fd, HOST_PKT_SOCKET, p->in, sizeof(p->in));
	if (n < 0) {
		host_close(fd);
		p->serial_out.tee_fd = -1;
		return;
	}
	/* A message longer than the buffer loses its rest; the supervisor
	 * sends at most sizeof(p->in) bytes at a time. */
	p->in_len = (size_t)n < sizeof(p->in) ? (size_t)n : sizeof(p->in);
	p->in_pos = 0;
}

int opcon_wait_fd(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	return p->in_pos == p->in_len ? p->serial_out.tee_fd : -1;
}
