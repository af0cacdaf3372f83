/*
 * Shared by sandbox.c and sandbox_guard.c only.
 */
#ifndef CORDON_SEC_SANDBOX_INTERNAL_H
#define CORDON_SEC_SANDBOX_INTERNAL_H

#include <seccomp.h>

/* The guard's allowlist into ctx; *count is set to the number of system
 * calls it allows.  0, or -1. */
int sandbox_guard_rules(scmp_filter_ctx ctx, unsigned *count);

#endif
