/*
 * Numberings the x86 encoding defines, shared by the decoder's table
 * (insn.def), the interpreter and the host-code assembler (jit_emit.h),
 * which encodes the same operations for the host.
 */
#ifndef CORDON_ENGINE_SOFT_X86_H
#define CORDON_ENGINE_SOFT_X86_H

/* ALU operations: the /digit of 80-83 and bits 3-5 of 00-3D.  TEST is
 * AND without the store (not an encoding number). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* Shifts and rotates: the /digit of C0, C1, D0-D3. */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Bit tests: BT BTS BTR BTC (0F A3/AB/B3/BB, 0F BA /4-/7). */
enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/* Conditions, as in Jcc, SETcc and CMOVcc. */
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

#endif
