/*
 * Translation of decoded blocks to x86-64 host code.
 *
 * The interpreter (block.c) stays the reference: a translated block does
 * exactly what run_insns() would do with the same block, instruction for
 * instruction.  The frequent forms become inline host code that keeps the
 * guest's registers in host registers and its flags in the host's flags
 * where it can, with the interpreter's fast path for memory (segment and
 * TLB checks); everything else, and every fast-path miss, calls the
 * instruction's handler as the interpreter does.  See docs/engine.md,
 * "Translation", and jit.c.
 */
#ifndef CORDON_ENGINE_SOFT_JIT_H
#define CORDON_ENGINE_SOFT_JIT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/soft/cpu.h"

struct jit;

/* NULL with a message in err (HOST_ERRLEN bytes) if the host cannot. */
struct jit *jit_new(char *err);
void jit_free(struct jit *j);
/* True when the code memory may not hold another block: the caller drops
 * every block (block_flush_all), which calls jit_reset. */
bool jit_nearly_full(const struct jit *j);
/* Doubles the code budget (up to the memory reserved); false if it
 * cannot grow. */
bool jit_grow(struct jit *j);
size_t jit_code_limit(const struct jit *j);
/* Sets the code budget (clamped to what a block needs and to the memory
 * reserved): for tests that fill it. */
void jit_set_code_limit(struct jit *j, size_t bytes);
void jit_reset(struct jit *j);
/* Translates b, setting b->code; leaves it NULL if the block is not worth
 * translating or the code does not fit. */
void jit_translate(struct cpu *c, struct block *b);
/* Runs translated block b (and the blocks it chains to) with c->block_abort
 * clear: 1 if the last block ran to its end, 0 if one left early, as
 * run_insns() in block.c. */
int jit_run(struct cpu *c, const struct block *b);

/* Blocks the translator refused (an emitter ran out of room or broke a
 * layout assumption: a translator bug, never the guest's doing); they run
 * interpreted.  The tests require none. */
uint64_t jit_refused(const struct jit *j);

/* b just ended at an EIP where next starts: if that exit can, make it
 * jump straight to next's code for as long as the TLB maps next's page
 * the same way and nothing wrote to it (see xl_end_const). */
void jit_chain(struct cpu *c, struct block *b, const struct block *next);

#endif
