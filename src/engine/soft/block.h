/* The decoded-block cache (see cpu.h for the design). */
#ifndef CORDON_ENGINE_SOFT_BLOCK_H
#define CORDON_ENGINE_SOFT_BLOCK_H

#include "engine/soft/cpu.h"

/* Runs up to max instructions starting at CS:EIP from the block cache. */
void block_exec(struct cpu *c, int max);
/* Drops every cached block (e.g. after a reset). */
void block_flush_all(struct cpu *c);

#endif
