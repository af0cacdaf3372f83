/*
 * The instruction decoder: prefixes, opcode tables, ModRM/SIB and
 * immediates.  Everything that depends only on the instruction bytes and
 * the code size is resolved here once, so the decoded form can be cached
 * and handlers never re-examine prefixes.
 */
#include <string.h>

#include "engine/soft/decode.h"
#include "engine/soft/ops.h"

/* Immediate kinds. */
enum {
	I_NONE,
	I_B,     /* imm8, zero-extended */
	I_BS,    /* imm8, sign-extended */
	I_W,     /* imm16 */
	I_V,     /* imm16 or imm32 per operand size */
	I_VS,    /* rel16 / rel32, sign-extended */
	I_AP,    /* far pointer: offset (16/32) then selector */
	I_MOFFS, /* offset of the address size, stored in disp */
	I_ENTER, /* imm16 then imm8 */
	I_GRP3,  /* F6/F7: an immediate only for TEST (reg 0 and 1) */
};

#define F_MODRM 0x10
#define F_END 0x20   /* ends a decoded block */
#define F_REGOP 0x40 /* no ModRM; lowest 3 opcode bits name a register (i->reg) */
#define F_MEMONLY 0x80 /* register form is #UD */

struct opinfo {
	insn_fn fn;
	uint8_t imm;   /* I_* */
	uint8_t flags; /* F_* */
};

#define M F_MODRM
#define E F_END
#define R F_REGOP
#define X F_MEMONLY

static struct opinfo table[512];

static void set(int op, insn_fn fn, int imm, int flags)
{
	table[op] = (struct opinfo){ fn, (uint8_t)imm, (uint8_t)flags };
}

static void set_range(int op, int n, insn_fn fn, int imm, int flags)
{
	for (int k = 0; k < n; k++)
		set(op + k, fn, imm, flags);
}

static void init_one_byte(void)
{
	for (int g = 0; g < 8; g++) {
		int b = g << 3;
		set(b + 0, op_alu_rm8_r8, I_NONE, M);
		set(b + 1, op_alu_rm_r, I_NONE, M);
		set(b + 2, op_alu_r8_rm8, I_NONE, M);
		set(b + 3, op_alu_r_rm, I_NONE, M);
		set(b + 4, op_alu_al_imm, I_B, 0);
		set(b + 5, op_alu_ax_imm, I_V, 0);
	}
	set(0x06, op_push_sreg, I_NONE, 0);
	set(0x0e, op_push_sreg, I_NONE, 0);
	set(0x16, op_push_sreg, I_NONE, 0);
	set(0x1e, op_push_sreg, I_NONE, 0);
	set(0x07, op_pop_sreg, I_NONE, 0);
	set(0x17, op_pop_sreg, I_NONE, E); /* POP SS: interrupt shadow */
	set(0x1f, op_pop_sreg, I_NONE, 0);
	set(0x27, op_daa, I_NONE, 0);
	set(0x2f, op_das, I_NONE, 0);
	set(0x37, op_aaa, I_NONE, 0);
	set(0x3f, op_aas, I_NONE, 0);
	set_range(0x40, 8, op_inc_r, I_NONE, R);
	set_range(0x48, 8, op_dec_r, I_NONE, R);
	set_range(0x50, 8, op_push_r, I_NONE, R);
	set_range(0x58, 8, op_pop_r, I_NONE, R);
	set(0x60, op_pusha, I_NONE, 0);
	set(0x61, op_popa, I_NONE, 0);
	set(0x62, op_bound, I_NONE, M | X);
	set(0x63, op_arpl, I_NONE, M);
	set(0x68, op_push_imm, I_V, 0);
	set(0x69, op_imul_r_rm_imm, I_V, M);
	set(0x6a, op_push_imm, I_BS, 0);
	set(0x6b, op_imul_r_rm_imm, I_BS, M);
	set(0x6c, op_ins, I_NONE, 0);
	set(0x6d, op_ins, I_NONE, 0);
	set(0x6e, op_outs, I_NONE, 0);
	set(0x6f, op_outs, I_NONE, 0);
	set_range(0x70, 16, op_jcc, I_BS, E);
	set(0x80, op_grp1_8, I_B, M);
	set(0x81, op_grp1, I_V, M);
	set(0x82, op_grp1_8, I_B, M);
	set(0x83, op_grp1, I_BS, M);
	set(0x84, op_test_rm8_r8, I_NONE, M);
	set(0x85, op_test_rm_r, I_NONE, M);
	set(0x86, op_xchg_rm8_r8, I_NONE, M);
	set(0x87, op_xchg_rm_r, I_NONE, M);
	set(0x88, op_mov_rm8_r8, I_NONE, M);
	set(0x89, op_mov_rm_r, I_NONE, M);
	set(0x8a, op_mov_r8_rm8, I_NONE, M);
	set(0x8b, op_mov_r_rm, I_NONE, M);
	set(0x8c, op_mov_rm_sreg, I_NONE, M);
	set(0x8d, op_lea, I_NONE, M | X);
	set(0x8e, op_mov_sreg_rm, I_NONE, M | E);
	set(0x8f, op_pop_rm, I_NONE, M);
	set(0x90, op_nop, I_NONE, 0);
	set_range(0x91, 7, op_xchg_ax_r, I_NONE, R);
	set(0x98, op_cbw, I_NONE, 0);
	set(0x99, op_cwd, I_NONE, 0);
	set(0x9a, op_call_far_ptr, I_AP, E);
	set(0x9b, op_fwait, I_NONE, 0);
	set(0x9c, op_pushf, I_NONE, 0);
	set(0x9d, op_popf, I_NONE, E);
	set(0x9e, op_sahf, I_NONE, 0);
	set(0x9f, op_lahf, I_NONE, 0);
	set(0xa0, op_mov_al_moffs, I_MOFFS, 0);
	set(0xa1, op_mov_ax_moffs, I_MOFFS, 0);
	set(0xa2, op_mov_moffs_al, I_MOFFS, 0);
	set(0xa3, op_mov_moffs_ax, I_MOFFS, 0);
	set(0xa4, op_movs, I_NONE, 0);
	set(0xa5, op_movs, I_NONE, 0);
	set(0xa6, op_cmps, I_NONE, 0);
	set(0xa7, op_cmps, I_NONE, 0);
	set(0xa8, op_test_al_imm, I_B, 0);
	set(0xa9, op_test_ax_imm, I_V, 0);
	set(0xaa, op_stos, I_NONE, 0);
	set(0xab, op_stos, I_NONE, 0);
	set(0xac, op_lods, I_NONE, 0);
	set(0xad, op_lods, I_NONE, 0);
	set(0xae, op_scas, I_NONE, 0);
	set(0xaf, op_scas, I_NONE, 0);
	set_range(0xb0, 8, op_mov_r8_imm, I_B, R);
	set_range(0xb8, 8, op_mov_r_imm, I_V, R);
	set(0xc0, op_grp2_8, I_B, M);
	set(0xc1, op_grp2, I_B, M);
	set(0xc2, op_ret_near, I_W, E);
	set(0xc3, op_ret_near, I_NONE, E);
	set(0xc4, op_lxs, I_NONE, M | X);
	set(0xc5, op_lxs, I_NONE, M | X);
	set(0xc6, op_mov_rm8_imm, I_B, M);
	set(0xc7, op_mov_rm_imm, I_V, M);
	set(0xc8, op_enter, I_ENTER, 0);
	set(0xc9, op_leave, I_NONE, 0);
	set(0xca, op_retf, I_W, E);
	set(0xcb, op_retf, I_NONE, E);
	set(0xcc, op_int3, I_NONE, E);
	set(0xcd, op_int_n, I_B, E);
	set(0xce, op_into, I_NONE, E);
	set(0xcf, op_iret, I_NONE, E);
	set(0xd0, op_grp2_8, I_NONE, M);
	set(0xd1, op_grp2, I_NONE, M);
	set(0xd2, op_grp2_8, I_NONE, M);
	set(0xd3, op_grp2, I_NONE, M);
	set(0xd4, op_aam, I_B, 0);
	set(0xd5, op_aad, I_B, 0);
	set(0xd6, op_salc, I_NONE, 0);
	set(0xd7, op_xlat, I_NONE, 0);
	set_range(0xd8, 8, op_fpu, I_NONE, M);
	set(0xe0, op_loopne, I_BS, E);
	set(0xe1, op_loope, I_BS, E);
	set(0xe2, op_loop, I_BS, E);
	set(0xe3, op_jcxz, I_BS, E);
	set(0xe4, op_in_imm, I_B, 0);
	set(0xe5, op_in_imm, I_B, 0);
	set(0xe6, op_out_imm, I_B, E);
	set(0xe7, op_out_imm, I_B, E);
	set(0xe8, op_call_rel, I_VS, E);
	set(0xe9, op_jmp_rel, I_VS, E);
	set(0xea, op_jmp_far_ptr, I_AP, E);
	set(0xeb, op_jmp_rel, I_BS, E);
	set(0xec, op_in_dx, I_NONE, 0);
	set(0xed, op_in_dx, I_NONE, 0);
	set(0xee, op_out_dx, I_NONE, E);
	set(0xef, op_out_dx, I_NONE, E);
	set(0xf1, op_int1, I_NONE, E);
	set(0xf4, op_hlt, I_NONE, E);
	set(0xf5, op_cmc, I_NONE, 0);
	set(0xf6, op_grp3_8, I_GRP3, M);
	set(0xf7, op_grp3, I_GRP3, M);
	set(0xf8, op_clc, I_NONE, 0);
	set(0xf9, op_stc, I_NONE, 0);
	set(0xfa, op_cli, I_NONE, 0);
	set(0xfb, op_sti, I_NONE, E);
	set(0xfc, op_cld, I_NONE, 0);
	set(0xfd, op_std, I_NONE, 0);
	set(0xfe, op_grp4, I_NONE, M);
	set(0xff, op_grp5, I_NONE, M);
}

static void init_two_byte(void)
{
	const int T = 0x100;
	set(T + 0x00, op_grp6, I_NONE, M | E);
	set(T + 0x01, op_grp7, I_NONE, M | E);
	set(T + 0x02, op_lar, I_NONE, M);
	set(T + 0x03, op_lsl, I_NONE, M);
	set(T + 0x06, op_clts, I_NONE, 0);
	set(T + 0x08, op_invd, I_NONE, 0);
	set(T + 0x09, op_wbinvd, I_NONE, 0);
	set(T + 0x0b, op_ud2, I_NONE, 0);
	set_range(T + 0x18, 8, op_nop_modrm, I_NONE, M);
	set(T + 0x20, op_mov_r_cr, I_NONE, M);
	set(T + 0x21, op_mov_r_dr, I_NONE, M);
	set(T + 0x22, op_mov_cr_r, I_NONE, M | E);
	set(T + 0x23, op_mov_dr_r, I_NONE, M | E);
	set(T + 0x30, op_wrmsr, I_NONE, E);
	set(T + 0x31, op_rdtsc, I_NONE, 0);
	set(T + 0x32, op_rdmsr, I_NONE, 0);
	set(T + 0x33, op_rdpmc, I_NONE, 0);
	set(T + 0x34, op_sysenter, I_NONE, E);
	set(T + 0x35, op_sysexit, I_NONE, E);
	set_range(T + 0x40, 16, op_cmovcc, I_NONE, M);
	set_range(T + 0x80, 16, op_jcc, I_VS, E);
	set_range(T + 0x90, 16, op_setcc, I_NONE, M);
	set(T + 0xa0, op_push_sreg, I_NONE, 0);
	set(T + 0xa1, op_pop_sreg, I_NONE, 0);
	set(T + 0xa2, op_cpuid, I_NONE, 0);
	set(T + 0xa3, op_bt_rm_r, I_NONE, M);
	set(T + 0xa4, op_shld, I_B, M);
	set(T + 0xa5, op_shld, I_NONE, M);
	set(T + 0xa8, op_push_sreg, I_NONE, 0);
	set(T + 0xa9, op_pop_sreg, I_NONE, 0);
	set(T + 0xab, op_bt_rm_r, I_NONE, M);
	set(T + 0xac, op_shrd, I_B, M);
	set(T + 0xad, op_shrd, I_NONE, M);
	set(T + 0xaf, op_imul_r_rm, I_NONE, M);
	set(T + 0xb0, op_cmpxchg8, I_NONE, M);
	set(T + 0xb1, op_cmpxchg, I_NONE, M);
	set(T + 0xb2, op_lxs, I_NONE, M | X | E);
	set(T + 0xb3, op_bt_rm_r, I_NONE, M);
	set(T + 0xb4, op_lxs, I_NONE, M | X);
	set(T + 0xb5, op_lxs, I_NONE, M | X);
	set(T + 0xb6, op_movzx8, I_NONE, M);
	set(T + 0xb7, op_movzx16, I_NONE, M);
	set(T + 0xba, op_bt_grp8, I_B, M);
	set(T + 0xbb, op_bt_rm_r, I_NONE, M);
	set(T + 0xbc, op_bsf, I_NONE, M);
	set(T + 0xbd, op_bsr, I_NONE, M);
	set(T + 0xbe, op_movsx8, I_NONE, M);
	set(T + 0xbf, op_movsx16, I_NONE, M);
	set(T + 0xc0, op_xadd8, I_NONE, M);
	set(T + 0xc1, op_xadd, I_NONE, M);
	set(T + 0xc7, op_cmpxchg8b, I_NONE, M | X);
	set_range(T + 0xc8, 8, op_bswap, I_NONE, R);
}

static void init_tables(void)
{
	for (int k = 0; k < 512; k++)
		table[k] = (struct opinfo){ op_ud, I_NONE, 0 };
	init_one_byte();
	init_two_byte();
}

static void op_gp_too_long(struct cpu *c, const struct insn *i)
{
	(void)i;
	cpu_gp(c, 0);
}

/* Little-endian reads from the byte stream with bounds checking. */
struct stream {
	const uint8_t *p;
	uint32_t pos, avail;
	bool short_;
};

static uint32_t take(struct stream *s, int n)
{
	uint32_t v = 0;
	if (s->pos + (uint32_t)n > s->avail) {
		s->short_ = true;
		s->pos += (uint32_t)n;
		return 0;
	}
	for (int k = 0; k < n; k++)
		v |= (uint32_t)s->p[s->pos + (uint32_t)k] << (8 * k);
	s->pos += (uint32_t)n;
	return v;
}

static const uint8_t modrm16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, REG_NONE, REG_NONE, R_EBP, R_EBX };
static const uint8_t modrm16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_ESI, R_EDI, REG_NONE, REG_NONE };

static void decode_modrm16(struct stream *s, struct insn *i)
{
	i->base = modrm16_base[i->rm];
	i->index = modrm16_index[i->rm];
	i->scale = 0;
	if (i->mod == 0 && i->rm == 6) {
		i->base = REG_NONE;
		i->disp = take(s, 2);
	} else if (i->mod == 1) {
		i->disp = (uint32_t)(int32_t)(int8_t)take(s, 1);
	} else if (i->mod == 2) {
		i->disp = take(s, 2);
	}
	if (i->seg == SR_NONE)
		i->seg = (i->base == R_EBP) ? SR_SS : SR_DS;
}

static void decode_modrm32(struct stream *s, struct insn *i)
{
	i->base = i->rm;
	i->index = REG_NONE;
	i->scale = 0;
	if (i->rm == 4) {
		uint8_t sib = (uint8_t)take(s, 1);
		i->scale = sib >> 6;
		i->index = (sib >> 3) & 7;
		if (i->index == R_ESP)
			i->index = REG_NONE;
		i->base = sib & 7;
		if (i->base == R_EBP && i->mod == 0) {
			i->base = REG_NONE;
			i->disp = take(s, 4);
		}
	} else if (i->rm == 5 && i->mod == 0) {
		i->base = REG_NONE;
		i->disp = take(s, 4);
	}
	if (i->mod == 1)
		i->disp = (uint32_t)(int32_t)(int8_t)take(s, 1);
	else if (i->mod == 2)
		i->disp = take(s, 4);
	if (i->seg == SR_NONE)
		i->seg = (i->base == R_EBP || i->base == R_ESP) ? SR_SS : SR_DS;
}

static void decode_imm(struct stream *s, struct insn *i, int kind)
{
	switch (kind) {
	case I_B:
		i->imm = take(s, 1);
		break;
	case I_BS:
		i->imm = (uint32_t)(int32_t)(int8_t)take(s, 1);
		break;
	case I_W:
		i->imm = take(s, 2);
		break;
	case I_V:
		i->imm = take(s, i->op32 ? 4 : 2);
		break;
	case I_VS:
		i->imm = i->op32 ? take(s, 4) : (uint32_t)(int32_t)(int16_t)take(s, 2);
		break;
	case I_AP:
		i->imm = take(s, i->op32 ? 4 : 2);
		i->imm2 = (uint16_t)take(s, 2);
		break;
	case I_MOFFS:
		i->disp = take(s, i->a32 ? 4 : 2);
		break;
	case I_ENTER:
		i->imm = take(s, 2);
		i->imm2 = (uint16_t)take(s, 1);
		break;
	case I_GRP3:
		if (i->reg < 2)
			i->imm = i->op == 0xf6 ? take(s, 1) : take(s, i->op32 ? 4 : 2);
		break;
	}
}

/* LOCK is allowed only on read-modify-write instructions with a memory
 * destination; anywhere else it raises #UD. */
static bool lockable(const struct insn *i)
{
	if (i->mod == 3)
		return false;
	uint16_t op = i->op;
	if (op < 0x40)
		return (op & 7) < 2 && (op >> 3) != 7; /* ALU r/m, r except CMP */
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83:
		return i->reg != 7;
	case 0x86: case 0x87:
	case 0x1ab: case 0x1b3: case 0x1bb:
	case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1: case 0x1c7:
		return true;
	case 0xf6: case 0xf7:
		return i->reg == 2 || i->reg == 3;
	case 0xfe: case 0xff:
		return i->reg < 2;
	case 0x1ba:
		return i->reg >= 5;
	default:
		return false;
	}
}

/* Per-opcode details that the table cannot express. */
static void decode_fixups(struct insn *i)
{
	switch (i->op) {
	case 0x06: case 0x0e: case 0x16: case 0x1e:
	case 0x07: case 0x17: case 0x1f:
		i->reg = (uint8_t)((i->op >> 3) & 3);
		break;
	case 0x1a0: case 0x1a1:
		i->reg = SR_FS;
		break;
	case 0x1a8: case 0x1a9:
		i->reg = SR_GS;
		break;
	case 0xc4: i->imm2 = SR_ES; break;
	case 0xc5: i->imm2 = SR_DS; break;
	case 0x1b2: i->imm2 = SR_SS; break;
	case 0x1b4: i->imm2 = SR_FS; break;
	case 0x1b5: i->imm2 = SR_GS; break;
	case 0xd0: case 0xd1:
		i->imm = 1;
		break;
	case 0xd2: case 0xd3: case 0x1a5: case 0x1ad:
		i->imm2 = 1; /* count in CL */
		break;
	case 0xff:
		if (i->reg >= 2 && i->reg <= 5)
			i->flags |= INSN_ENDS_BLOCK;
		if (i->reg == 7)
			i->fn = op_ud;
		break;
	case 0x8e:
		if (i->reg == SR_CS || i->reg > SR_GS)
			i->fn = op_ud;
		break;
	case 0x1c7:
		if (i->reg != 1)
			i->fn = op_ud;
		break;
	case 0xc6: case 0xc7:
		if (i->reg != 0)
			i->fn = op_ud;
		break;
	case 0x120: case 0x121: case 0x122: case 0x123:
		i->mod = 3; /* MOV to/from CRn/DRn always names a register */
		break;
	}
	/* String instructions with REP are restartable loops: they must end
	 * their block so that an interrupted iteration resumes correctly. */
	if (i->rep && ((i->op >= 0xa4 && i->op <= 0xaf && i->op != 0xa8 && i->op != 0xa9) ||
		       (i->op >= 0x6c && i->op <= 0x6f)))
		i->flags |= INSN_ENDS_BLOCK;
}

int decode_bytes(const uint8_t *p, uint32_t avail, bool code32, struct insn *i)
{
	static bool ready;
	if (!ready) {
		init_tables();
		ready = true;
	}
	struct stream s = { p, 0, avail, false };
	memset(i, 0, sizeof(*i));
	i->op32 = i->a32 = code32;
	i->seg = SR_NONE;
	i->base = i->index = REG_NONE;

	for (;;) {
		if (s.pos >= 15) {
			i->fn = op_gp_too_long;
			i->len = 15;
			return 15;
		}
		uint8_t b = (uint8_t)take(&s, 1);
		if (s.short_)
			return -1;
		switch (b) {
		case 0x66: i->op32 = !code32; continue;
		case 0x67: i->a32 = !code32; continue;
		case 0x26: i->seg = SR_ES; continue;
		case 0x2e: i->seg = SR_CS; continue;
		case 0x36: i->seg = SR_SS; continue;
		case 0x3e: i->seg = SR_DS; continue;
		case 0x64: i->seg = SR_FS; continue;
		case 0x65: i->seg = SR_GS; continue;
		case 0xf0: i->flags |= INSN_LOCK; continue;
		case 0xf2: case 0xf3: i->rep = b; continue;
		}
		i->op = b;
		if (b == 0x0f)
			i->op = (uint16_t)(0x100 | take(&s, 1));
		break;
	}
	const struct opinfo *info = &table[i->op];
	i->fn = info->fn;
	if (info->flags & F_END)
		i->flags |= INSN_ENDS_BLOCK;
	if (info->flags & F_REGOP)
		i->reg = i->op & 7;
	if (info->flags & F_MODRM) {
		uint8_t m = (uint8_t)take(&s, 1);
		i->mod = m >> 6;
		i->reg = (m >> 3) & 7;
		i->rm = m & 7;
		if (i->mod != 3) {
			if (i->a32)
				decode_modrm32(&s, i);
			else
				decode_modrm16(&s, i);
		} else if (info->flags & F_MEMONLY) {
			i->fn = op_ud;
		}
	}
	decode_imm(&s, i, info->imm);
	if (i->seg == SR_NONE)
		i->seg = SR_DS;
	decode_fixups(i);
	if ((i->flags & INSN_LOCK) && !lockable(i))
		i->fn = op_ud;
	else if (i->fn == info->fn)
		decode_specialize(i);
	if (s.short_)
		return s.pos > 15 ? (i->fn = op_gp_too_long, i->len = 15, 15) : -1;
	if (s.pos > 15) {
		i->fn = op_gp_too_long;
		s.pos = 15;
	}
	i->len = (uint8_t)s.pos;
	return (int)s.pos;
}

void op_ud(struct cpu *c, const struct insn *i)
{
	(void)i;
	cpu_ud(c);
}

/*
 * Slow path: the instruction crosses a page (or lies outside RAM), so
 * fetch its bytes one at a time through the MMU.  Bytes of the next page
 * are fetched only if the instruction really extends into it, so a fault
 * on that page is raised exactly when the CPU would raise it.
 */
void decode_insn(struct cpu *c, uint32_t eip, struct insn *out)
{
	uint8_t buf[16];
	uint32_t have = 0;
	const struct seg *cs = &c->seg[SR_CS];
	for (;;) {
		int len = decode_bytes(buf, have, cpu_code32(c), out);
		if (len >= 0) {
			if (eip + (uint32_t)len - 1 > cs->limit)
				cpu_gp(c, 0);
			return;
		}
		if (have == 15 || eip + have > cs->limit)
			cpu_gp(c, 0);
		buf[have] = lread8(c, cs->base + eip + have);
		have++;
	}
}
