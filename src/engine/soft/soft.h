/* The soft engine's glue between struct cpu and struct vm (soft.c). */
#ifndef CORDON_ENGINE_SOFT_SOFT_H
#define CORDON_ENGINE_SOFT_SOFT_H

#include "engine/machine.h"

struct vm;

/* The machine interface of vm: its buses, interrupt controller, clock
 * and stop request, as the soft CPU sees them. */
void soft_machine_of(struct vm *vm, struct machine *m);

#endif
