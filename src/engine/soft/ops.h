/*
 * Instruction handlers, grouped by the file that implements them.  The
 * opcode tables in decode.c point at these.  Each handler runs with
 * c->eip = start of the instruction and c->next_eip = the following one;
 * a branch writes c->next_eip.  Operands come from the decoded struct insn.
 */
#ifndef CORDON_ENGINE_SOFT_OPS_H
#define CORDON_ENGINE_SOFT_OPS_H

#include "engine/soft/cpu.h"

#define OP(name) void name(struct cpu *c, const struct insn *i)

/* decode.c */
OP(op_ud);          /* invalid opcode: #UD */

/* alu.c: integer arithmetic and logic */
OP(op_alu_rm8_r8);  /* 00,08,10,18,20,28,30,38: i->op >> 3 selects ADD OR ADC SBB AND SUB XOR CMP */
OP(op_alu_rm_r);    /* 01,09,... */
OP(op_alu_r8_rm8);  /* 02,0A,... */
OP(op_alu_r_rm);    /* 03,0B,... */
OP(op_alu_al_imm);  /* 04,0C,... */
OP(op_alu_ax_imm);  /* 05,0D,... */
OP(op_grp1_8);      /* 80, 82: i->reg selects the operation */
OP(op_grp1);        /* 81, 83 (imm already sign-extended) */
OP(op_test_rm8_r8); OP(op_test_rm_r); OP(op_test_al_imm); OP(op_test_ax_imm);
OP(op_inc_r); OP(op_dec_r);       /* 40-47, 48-4F */
OP(op_grp2_8); OP(op_grp2);       /* C0/C1/D0-D3: shifts and rotates; count in imm, or in CL when i->imm2 = 1 */
OP(op_grp3_8); OP(op_grp3);       /* F6/F7: TEST NOT NEG MUL IMUL DIV IDIV */
OP(op_grp4);                      /* FE: INC/DEC r/m8 */
OP(op_imul_r_rm); OP(op_imul_r_rm_imm); /* 0FAF, 69, 6B */
OP(op_shld); OP(op_shrd);         /* 0FA4/0FA5, 0FAC/0FAD */
OP(op_bt_rm_r);                   /* 0FA3 BT, 0FAB BTS, 0FB3 BTR, 0FBB BTC */
OP(op_bt_grp8);                   /* 0FBA */
OP(op_bsf); OP(op_bsr);
OP(op_cmpxchg8); OP(op_cmpxchg); OP(op_cmpxchg8b);
OP(op_xadd8); OP(op_xadd);
OP(op_daa); OP(op_das); OP(op_aaa); OP(op_aas); OP(op_aam); OP(op_aad);
OP(op_cbw); OP(op_cwd);           /* 98, 99 */
OP(op_salc);                      /* D6 */
OP(op_bswap);                     /* 0FC8-0FCF */

/* ctl.c: data movement, stack, near control flow, flags */
OP(op_mov_rm8_r8); OP(op_mov_rm_r); OP(op_mov_r8_rm8); OP(op_mov_r_rm);
OP(op_mov_r8_imm); OP(op_mov_r_imm); OP(op_mov_rm8_imm); OP(op_mov_rm_imm);
OP(op_mov_al_moffs); OP(op_mov_ax_moffs); OP(op_mov_moffs_al); OP(op_mov_moffs_ax);
OP(op_movzx8); OP(op_movzx16); OP(op_movsx8); OP(op_movsx16);
OP(op_lea);
OP(op_xchg_rm8_r8); OP(op_xchg_rm_r); OP(op_xchg_ax_r); OP(op_nop);
OP(op_push_r); OP(op_pop_r); OP(op_push_imm); OP(op_push_rm); OP(op_pop_rm);
OP(op_pusha); OP(op_popa); OP(op_enter); OP(op_leave);
OP(op_jcc); OP(op_jmp_rel); OP(op_call_rel); OP(op_ret_near); /* imm = bytes to release */
OP(op_jmp_rm); OP(op_call_rm);    /* FF /4, FF /2 */
OP(op_grp5);                      /* FF: dispatches INC DEC CALL CALLF JMP JMPF PUSH */
OP(op_loop); OP(op_loope); OP(op_loopne); OP(op_jcxz);
OP(op_setcc); OP(op_cmovcc);
OP(op_cmc); OP(op_clc); OP(op_stc); OP(op_cld); OP(op_std);
OP(op_cli); OP(op_sti);
OP(op_sahf); OP(op_lahf);
OP(op_xlat);
OP(op_bound);
OP(op_hlt);
OP(op_in_imm); OP(op_in_dx); OP(op_out_imm); OP(op_out_dx);
OP(op_wait);

/* string.c */
OP(op_movs); OP(op_cmps); OP(op_stos); OP(op_lods); OP(op_scas); OP(op_ins); OP(op_outs);

/* sys.c: control registers, MSRs, CPUID, TSC, caches */
OP(op_mov_r_cr); OP(op_mov_cr_r); OP(op_mov_r_dr); OP(op_mov_dr_r);
OP(op_clts); OP(op_invd); OP(op_wbinvd); OP(op_rdmsr); OP(op_wrmsr);
OP(op_rdtsc); OP(op_cpuid); OP(op_rdpmc); OP(op_ud2); OP(op_nop_modrm); /* 0F1F, 0F18-0F1F hints */

/* seg.c / intr.c / task.c: protected mode (the paper's sensitive instructions) */
OP(op_mov_sreg_rm);               /* 8E: i->reg = destination segment register */
OP(op_mov_rm_sreg);               /* 8C */
OP(op_push_sreg); OP(op_pop_sreg);/* 06 0E 16 1E 0FA0 0FA8 / 07 17 1F 0FA1 0FA9: i->reg = sreg */
OP(op_lxs);                       /* C4 LES, C5 LDS, 0FB2 LSS, 0FB4 LFS, 0FB5 LGS: i->imm2 = sreg */
OP(op_jmp_far_ptr); OP(op_call_far_ptr);   /* EA, 9A: i->imm = offset, i->imm2 = selector */
OP(op_jmp_far_mem); OP(op_call_far_mem);   /* FF /5, FF /3 */
OP(op_retf);                      /* CB, CA: i->imm = bytes to release */
OP(op_iret);
OP(op_int_n); OP(op_int3); OP(op_into); OP(op_int1);
OP(op_pushf); OP(op_popf);
OP(op_grp6);                      /* 0F00: SLDT STR LLDT LTR VERR VERW */
OP(op_grp7);                      /* 0F01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG */
OP(op_lar); OP(op_lsl); OP(op_arpl);
OP(op_sysenter); OP(op_sysexit);

/* fpu.c */
OP(op_fpu);                       /* D8-DF: i->op & 7 and ModRM select the operation */
OP(op_fwait);                     /* 9B */

/* sys.c helpers shared with seg.c */
void cpu_set_cr0(struct cpu *c, uint32_t v);
void cpu_set_cr3(struct cpu *c, uint32_t v);
void cpu_set_cr4(struct cpu *c, uint32_t v);

/* fpu.c helpers */
void fpu_reset(struct fpu *f);    /* FNINIT state */

#endif
