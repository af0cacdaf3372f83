/*
 * ADD OR ADC SBB AND SUB XOR CMP: their one definition, shared by the
 * generic handlers (alu.c) and the specialised ones (fast.c), which call
 * it with the operation a constant so the switch folds away.  (The
 * translator does the same operation with the host's instruction and
 * records the same lazy flags: jit_alu.c.)
 */
#ifndef CORDON_ENGINE_SOFT_ALU_H
#define CORDON_ENGINE_SOFT_ALU_H

#include "engine/soft/operand.h"
#include "engine/soft/x86.h"

/* Computes a <op> b at size bytes, records the flags lazily, returns the result. */
static inline uint32_t alu(struct cpu *c, int op, uint32_t a, uint32_t b, int size)
{
	uint32_t r, cin;
	switch (op) {
	case ALU_ADD:
		r = a + b;
		lazy_set(c, LF_ADD, size, a, b, r);
		break;
	case ALU_ADC:
		cin = flag_cf(c);
		r = a + b + cin;
		c->lf_cin = (uint8_t)cin;
		lazy_set(c, LF_ADC, size, a, b, r);
		break;
	case ALU_SBB:
		cin = flag_cf(c);
		r = a - b - cin;
		c->lf_cin = (uint8_t)cin;
		lazy_set(c, LF_SBB, size, a, b, r);
		break;
	case ALU_SUB:
	case ALU_CMP:
		r = a - b;
		lazy_set(c, LF_SUB, size, a, b, r);
		break;
	case ALU_OR:
		r = a | b;
		lazy_set(c, LF_LOGIC, size, a, b, r);
		break;
	case ALU_AND:
		r = a & b;
		lazy_set(c, LF_LOGIC, size, a, b, r);
		break;
	default:
		r = a ^ b;
		lazy_set(c, LF_LOGIC, size, a, b, r);
		break;
	}
	return r & mask_of(size);
}

#endif
