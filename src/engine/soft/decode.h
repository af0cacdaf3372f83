/* Instruction decoder (see decode.c). */
#ifndef CORDON_ENGINE_SOFT_DECODE_H
#define CORDON_ENGINE_SOFT_DECODE_H

#include "engine/soft/cpu.h"

/*
 * Decodes one instruction from the avail bytes at p for 32-bit (code32) or
 * 16-bit code.  Returns its length, or -1 when it needs more than avail
 * bytes.  Never faults: an invalid encoding decodes to a handler that
 * raises #UD (or #GP for an instruction longer than 15 bytes).
 */
int decode_bytes(const uint8_t *p, uint32_t avail, bool code32, struct insn *i);

#endif
