/*
 * Instruction handlers, grouped by the file that implements them.  The
 * instruction table (insn.def) points at these.  Each handler runs with
 * c->eip = start of the instruction and c->next_eip = the following one;
 * a branch writes c->next_eip.  Operands come from the decoded struct insn.
 */
#ifndef CORDON_ENGINE_SOFT_OPS_H
#define CORDON_ENGINE_SOFT_OPS_H

#include "engine/soft/cpu.h"

#define OP(name) void name(struct cpu *c, const struct insn *i)

/* decode.c */
OP(op_ud);          /* invalid opcode: #UD */

/* alu.c: integer arithmetic and logic (the row's arg is the ALU operation;
 * isize() the operand size) */
OP(op_alu_rm_r); OP(op_alu_r_rm); OP(op_alu_acc_imm); OP(op_alu_rm_imm);
OP(op_test_rm_r); OP(op_test_rm_imm);
OP(op_inc_r); OP(op_dec_r); OP(op_inc_rm); OP(op_dec_rm);
OP(op_not); OP(op_neg); OP(op_mul); OP(op_imul1); OP(op_div); OP(op_idiv);
OP(op_imul_r_rm); OP(op_imul_r_rm_imm);
OP(op_cmpxchg); OP(op_cmpxchg8b); OP(op_xadd);
OP(op_daa); OP(op_das); OP(op_aaa); OP(op_aas); OP(op_aam); OP(op_aad);
OP(op_cbw); OP(op_cwd);
OP(op_salc);

/* shift.c: shifts and rotates (arg: the kind; count in imm, or in CL when
 * i->imm2 = 1), double shifts, bit tests (arg: the kind) and scans */
OP(op_shift);
OP(op_shld); OP(op_shrd);
OP(op_bt_rm_r); OP(op_bt_imm);
OP(op_bsf); OP(op_bsr);
OP(op_bswap);

/* ctl.c: data movement, stack, near control flow, flags */
OP(op_mov_rm_r); OP(op_mov_r_rm); OP(op_mov_r_imm); OP(op_mov_rm_imm);
OP(op_mov_acc_moffs); OP(op_mov_moffs_acc);
OP(op_movzx); OP(op_movsx);       /* arg: the source size */
OP(op_lea);
OP(op_xchg_rm_r); OP(op_xchg_ax_r); OP(op_nop);
OP(op_push_r); OP(op_pop_r); OP(op_push_imm); OP(op_push_rm); OP(op_pop_rm);
OP(op_pusha); OP(op_popa); OP(op_enter); OP(op_leave);
/* Jcc, one handler per condition */
OP(op_jo); OP(op_jno); OP(op_jb); OP(op_jae); OP(op_je); OP(op_jne); OP(op_jbe); OP(op_ja);
OP(op_js); OP(op_jns); OP(op_jp); OP(op_jnp); OP(op_jl); OP(op_jge); OP(op_jle); OP(op_jg);
OP(op_jmp_rel); OP(op_call_rel); OP(op_ret_near); /* imm = bytes to release */
OP(op_jmp_rm); OP(op_call_rm);
OP(op_loop); OP(op_loope); OP(op_loopne); OP(op_jcxz);
OP(op_setcc); OP(op_cmovcc);      /* arg: the condition */
OP(op_cmc); OP(op_clc); OP(op_stc); OP(op_cld); OP(op_std);
OP(op_cli); OP(op_sti);
OP(op_sahf); OP(op_lahf);
OP(op_xlat);
OP(op_bound);
OP(op_hlt);
OP(op_in_imm); OP(op_in_dx); OP(op_out_imm); OP(op_out_dx);

/* string.c */
OP(op_movs); OP(op_cmps); OP(op_stos); OP(op_lods); OP(op_scas); OP(op_ins); OP(op_outs);

/* sys.c: control registers, MSRs, CPUID, TSC, caches */
OP(op_mov_r_cr); OP(op_mov_cr_r); OP(op_mov_r_dr); OP(op_mov_dr_r);
OP(op_clts); OP(op_invd); OP(op_wbinvd); OP(op_rdmsr); OP(op_wrmsr);
OP(op_rdtsc); OP(op_cpuid); OP(op_rdpmc); OP(op_ud2); OP(op_nop_modrm); /* 0F18-0F1F hints */

/* seg.c / intr.c / task.c / sysdesc.c: protected mode (the paper's
 * sensitive instructions among them) */
OP(op_mov_sreg_rm);               /* 8E: i->reg = destination segment register */
OP(op_mov_rm_sreg);               /* 8C */
OP(op_push_sreg); OP(op_pop_sreg);/* i->reg = the row's segment register */
OP(op_lxs);                       /* LES LDS LSS LFS LGS: arg = the segment register */
OP(op_jmp_far_ptr); OP(op_call_far_ptr);   /* EA, 9A: i->imm = offset, i->imm2 = selector */
OP(op_jmp_far_mem); OP(op_call_far_mem);   /* FF /5, FF /3 */
OP(op_retf);                      /* CB, CA: i->imm = bytes to release */
OP(op_iret);
OP(op_int_n); OP(op_int3); OP(op_into); OP(op_int1);
OP(op_pushf); OP(op_popf);
OP(op_sldt); OP(op_str); OP(op_lldt); OP(op_ltr); OP(op_verr); OP(op_verw);
OP(op_sgdt); OP(op_sidt); OP(op_lgdt); OP(op_lidt); OP(op_smsw); OP(op_lmsw); OP(op_invlpg);
OP(op_lar); OP(op_lsl); OP(op_arpl);
OP(op_sysenter); OP(op_sysexit);

/* fpu.c */
OP(op_fpu);                       /* D8-DF: arg = the escape; ModRM picks the x87 operation */
OP(op_fwait);                     /* 9B */

/* fast.c: the fast_r / fast_m columns (32-bit forms) */
OP(fast_mov_rm_r_reg); OP(fast_mov_r_rm_reg); OP(fast_mov_rm_r_mem); OP(fast_mov_r_rm_mem);
OP(fast_lea);
OP(fast_add_rm_r); OP(fast_add_r_rm); OP(fast_add_ri); OP(fast_add_r_m);
OP(fast_or_rm_r); OP(fast_or_r_rm); OP(fast_or_ri); OP(fast_or_r_m);
OP(fast_and_rm_r); OP(fast_and_r_rm); OP(fast_and_ri); OP(fast_and_r_m);
OP(fast_sub_rm_r); OP(fast_sub_r_rm); OP(fast_sub_ri); OP(fast_sub_r_m);
OP(fast_xor_rm_r); OP(fast_xor_r_rm); OP(fast_xor_ri); OP(fast_xor_r_m);
OP(fast_cmp_rm_r); OP(fast_cmp_r_rm); OP(fast_cmp_ri); OP(fast_cmp_r_m);
OP(fast_test_rr); OP(fast_adcsbb_rm_r); OP(fast_adcsbb_r_rm);
OP(fast_shl_ri); OP(fast_shr_ri); OP(fast_sar_ri);
OP(fast_mul32); OP(fast_imul_r_rm32);
OP(fast_movzx8_r); OP(fast_movzx8_m); OP(fast_movzx16_r); OP(fast_movzx16_m);

/* sys.c helpers shared with seg.c */
void cpu_set_cr0(struct cpu *c, uint32_t v);
void cpu_set_cr3(struct cpu *c, uint32_t v);
void cpu_set_cr4(struct cpu *c, uint32_t v);

/* fpu.c helpers */
void fpu_reset(struct fpu *f);    /* FNINIT state */

#endif
