/* The soft engine's glue between struct cpu and struct vm. */
#ifndef CORDON_ENGINE_SOFT_SOFT_H
#define CORDON_ENGINE_SOFT_SOFT_H

#include "engine/soft/cpu.h"

/* The time stamp counter runs at a nominal 1 GHz of virtual time. */
#define SOFT_TSC_PER_NS 1

uint64_t soft_clock_ns(struct cpu *c);
struct cpu *soft_cpu(struct vm *vm);

#endif
