/* The decoded-block cache (see cpu.h for the design). */
#ifndef CORDON_ENGINE_SOFT_BLOCK_H
#define CORDON_ENGINE_SOFT_BLOCK_H

#include <stddef.h>

#include "engine/soft/cpu.h"

/* Runs exactly one instruction at CS:EIP. */
void block_exec_one(struct cpu *c);
/* Runs blocks from CS:EIP until icount reaches `until`, or something needs
 * the run loop's attention (HLT, interrupt shadow, TF, a stop request). */
void block_run(struct cpu *c, uint64_t until);
/* Drops every cached block. */
void block_flush_all(struct cpu *c);
/* `bytes` of the block pool, which lasts until the next flush (for the
 * translator's cells, jit_exit.c); NULL, flushing nothing, when the
 * pool's budget is used up. */
void *block_pool_alloc(struct cpu *c, size_t bytes);

#endif
