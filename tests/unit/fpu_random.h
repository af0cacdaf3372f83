/*
 * Random x87 states for the tests that compare two ways of running x87
 * code (test_fpu_lite.c, test_diff.c).
 */
#ifndef CORDON_TESTS_FPU_RANDOM_H
#define CORDON_TESTS_FPU_RANDOM_H

#include <stdint.h>

#include "engine/soft/cpu.h"

/* An 80-bit value of a random class: zero, denormal, infinity, QNaN,
 * SNaN, unnormal, a small integer (exact results), or a normal number in
 * or near the range of a double; rnd gives 32 random bits. */
void fpu_random_ext(uint8_t ext[10], uint32_t (*rnd)(void));

/*
 * A state: a stack of random depth (now and then with a hole) at a
 * random TOP, with true tags; random C0-C3, precision and rounding
 * control; mostly every exception masked, sometimes one unmasked, and
 * sometimes exception flags already raised (pending when unmasked).
 */
void fpu_random_state(struct fpu *f, uint32_t (*rnd)(void));

#endif
