/*
 * The transfer guard's seccomp allowlist (docs/sandbox.md, "The guard's
 * allowlist").  A guard holds sockets and spool files it was handed and
 * needs nothing else: it reads and writes them, passes descriptors only
 * on its link to the supervisor, and allocates memory.  Everything else
 * kills it, as for a monitor: open and every call that takes a path,
 * socket, connect, exec, fork, kill, ioctl, prctl, and more.
 */
#include "sec/sandbox_internal.h"

#include <errno.h>
#include <sys/mman.h>

#include "super/guard_proto.h"

static const int plain[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};
#define ARGUMENT_RULES 6 /* mmap mprotect recvfrom sendto recvmsg sendmsg */

int sandbox_guard_rules(scmp_filter_ctx ctx, unsigned *count)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
	/* malloc, never executable memory. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* recv() and send() on the transfer port: no addresses. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvfrom), 1, SCMP_A4(SCMP_CMP_EQ, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0));
	/* Descriptors pass only on the supervisor's link, which alone can
	 * send them: a monitor cannot slip one in through the port. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
			       SCMP_A0(SCMP_CMP_EQ, GUARD_SOCK_FD));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
			       SCMP_A0(SCMP_CMP_EQ, GUARD_SOCK_FD));
	/* stdio may fstat stderr: refused, not fatal. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 0);
	*count = (unsigned)(sizeof(plain) / sizeof(plain[0])) + ARGUMENT_RULES;
	return rc < 0 ? -1 : 0;
}
