/*
 * Data movement, the stack, near control flow, flag instructions, HLT and
 * port I/O.
 */
#include "engine/soft/insn.h"
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

/* --- MOV and friends ------------------------------------------------------ */

/* Byte rows and word/dword rows share these: isize() says which. */
OP(op_mov_rm_r) { rm_write_sz(c, i, isize(i), reg_read_sz(c, i->reg, isize(i))); }
OP(op_mov_r_rm) { reg_write_sz(c, i->reg, isize(i), rm_read_sz(c, i, isize(i))); }
OP(op_mov_r_imm) { reg_write_sz(c, i->reg, isize(i), i->imm); }
OP(op_mov_rm_imm) { rm_write_sz(c, i, isize(i), i->imm); }

OP(op_mov_acc_moffs)
{
	int s = isize(i);
	uint32_t v = s == 1 ? vread8(c, i->seg, i->disp) : s == 2 ? vread16(c, i->seg, i->disp) : vread32(c, i->seg, i->disp);
	reg_write_sz(c, R_EAX, s, v);
}

OP(op_mov_moffs_acc)
{
	int s = isize(i);
	uint32_t v = reg_read_sz(c, R_EAX, s);
	if (s == 1)
		vwrite8(c, i->seg, i->disp, (uint8_t)v);
	else if (s == 2)
		vwrite16(c, i->seg, i->disp, (uint16_t)v);
	else
		vwrite32(c, i->seg, i->disp, v);
}

/* MOVZX/MOVSX: the row's arg is the source size. */
OP(op_movzx) { set_reg_op(c, i, i->reg, rm_read_sz(c, i, idef(i)->arg)); }
OP(op_movsx) { set_reg_op(c, i, i->reg, (uint32_t)sext(rm_read_sz(c, i, idef(i)->arg), idef(i)->arg)); }
OP(op_lea) { set_reg_op(c, i, i->reg, insn_ea(c, i)); }
OP(op_nop) { (void)c, (void)i; }

OP(op_xchg_rm_r)
{
	int s = isize(i);
	struct rmw t;
	uint32_t v = rmw_begin(c, i, s, &t);
	uint32_t r = reg_read_sz(c, i->reg, s);
	rmw_end(c, i, s, &t, r);
	reg_write_sz(c, i->reg, s, v);
}

OP(op_xchg_ax_r)
{
	int s = opsize(i);
	uint32_t a = reg_read_sz(c, R_EAX, s);
	reg_write_sz(c, R_EAX, s, reg_read_sz(c, i->reg, s));
	reg_write_sz(c, i->reg, s, a);
}

OP(op_xlat)
{
	uint32_t off = c->r[R_EBX] + reg8(c, R_EAX);
	set_reg8(c, R_EAX, vread8(c, i->seg, i->a32 ? off : (off & 0xffff)));
}

OP(op_cmovcc)
{
	/* The source is read (and may fault) whatever the condition. */
	uint32_t v = rm_read_op(c, i);
	if (cond_true(c, idef(i)->arg))
		set_reg_op(c, i, i->reg, v);
}

OP(op_setcc)
{
	rm_write8(c, i, cond_true(c, idef(i)->arg) ? 1 : 0);
}

/* --- the stack ------------------------------------------------------------ */

/* The store happens before ESP changes, so a faulting push changes nothing. */
void push16(struct cpu *c, uint16_t v)
{
	uint32_t sp = sp_get(c) - 2;
	vwrite16(c, SR_SS, sp & sp_mask(c), v);
	sp_set(c, sp);
}

void push32(struct cpu *c, uint32_t v)
{
	uint32_t sp = sp_get(c) - 4;
	vwrite32(c, SR_SS, sp & sp_mask(c), v);
	sp_set(c, sp);
}

uint16_t pop16(struct cpu *c)
{
	uint16_t v = vread16(c, SR_SS, sp_get(c));
	sp_set(c, sp_get(c) + 2);
	return v;
}

uint32_t pop32(struct cpu *c)
{
	uint32_t v = vread32(c, SR_SS, sp_get(c));
	sp_set(c, sp_get(c) + 4);
	return v;
}

void push_op(struct cpu *c, const struct insn *i, uint32_t v)
{
	if (i->op32)
		push32(c, v);
	else
		push16(c, (uint16_t)v);
}

uint32_t pop_op(struct cpu *c, const struct insn *i)
{
	return i->op32 ? pop32(c) : pop16(c);
}

uint32_t stack_peek(struct cpu *c, uint32_t off, int size)
{
	uint32_t a = (sp_get(c) + off) & sp_mask(c);
	return size == 4 ? vread32(c, SR_SS, a) : vread16(c, SR_SS, a);
}

OP(op_push_r) { push_op(c, i, c->r[i->reg]); } /* PUSH ESP pushes the old value */
OP(op_push_imm) { push_op(c, i, i->imm); }

OP(op_pop_r)
{
	uint32_t v = pop_op(c, i);
	set_reg_op(c, i, i->reg, v); /* POP ESP: the popped value wins */
}

OP(op_push_rm)
{
	push_op(c, i, rm_read_op(c, i));
}

OP(op_pop_rm)
{
	/* The destination address is computed with ESP already incremented;
	 * ESP is committed only after the store succeeds. */
	int s = opsize(i);
	uint32_t old = c->r[R_ESP];
	uint32_t v = stack_peek(c, 0, s);
	sp_set(c, sp_get(c) + (uint32_t)s);
	if (i->mod == 3) {
		set_reg_op(c, i, i->rm, v);
		return;
	}
	uint32_t ea = insn_ea(c, i);
	uint32_t now = c->r[R_ESP];
	c->r[R_ESP] = old;
	if (s == 4)
		vwrite32(c, i->seg, ea, v);
	else
		vwrite16(c, i->seg, ea, (uint16_t)v);
	c->r[R_ESP] = now;
}

OP(op_pusha)
{
	int s = opsize(i);
	uint32_t sp = sp_get(c);
	vcheck_write(c, SR_SS, (sp - 8u * (uint32_t)s) & sp_mask(c), 8u * (uint32_t)s);
	uint32_t orig_sp = c->r[R_ESP];
	for (int r = R_EAX; r <= R_EDI; r++)
		push_op(c, i, r == R_ESP ? orig_sp : c->r[r]);
}

OP(op_popa)
{
	int s = opsize(i);
	vcheck_read(c, SR_SS, sp_get(c), 8u * (uint32_t)s);
	for (int r = R_EDI; r >= R_EAX; r--) {
		uint32_t v = pop_op(c, i);
		if (r != R_ESP)
			set_reg_op(c, i, r, v);
	}
}

OP(op_enter)
{
	int s = opsize(i);
	uint32_t size = i->imm & 0xffff, level = i->imm2 & 31;
	uint32_t m = sp_mask(c);
	uint32_t sp = sp_get(c);
	/* Check the whole frame first so a fault leaves nothing half-done. */
	vcheck_write(c, SR_SS, (sp - (uint32_t)s * (level + 1)) & m, (uint32_t)s * (level + 1));
	uint32_t bp = c->r[R_EBP];
	push_op(c, i, bp);
	uint32_t frame = sp_get(c);
	for (uint32_t l = 1; l < level; l++) {
		bp -= (uint32_t)s;
		uint32_t v = s == 4 ? vread32(c, SR_SS, bp & m) : vread16(c, SR_SS, bp & m);
		push_op(c, i, v);
	}
	if (level)
		push_op(c, i, frame);
	sp_set(c, sp_get(c) - size);
	if (s == 4 || cpu_stack32(c))
		set_reg_op(c, i, R_EBP, frame);
	else
		set_reg16(c, R_EBP, (uint16_t)frame);
}

OP(op_leave)
{
	uint32_t m = sp_mask(c);
	uint32_t bp = c->r[R_EBP] & m;
	uint32_t v = i->op32 ? vread32(c, SR_SS, bp) : vread16(c, SR_SS, bp);
	sp_set(c, bp + (i->op32 ? 4 : 2));
	set_reg_op(c, i, R_EBP, v);
}

/* --- near control flow ---------------------------------------------------- */

/*
 * Jcc, one handler per condition (the rows JO_Jb .. JG_Jz): with the
 * condition a constant, the common cases (after a 32-bit CMP/SUB, after
 * TEST/AND/OR/XOR) reduce to one compare; anything else asks cond_true().
 */
static inline bool cond_fast(struct cpu *c, int cc)
{
	uint32_t r = c->lf_res;
	if (c->lf_op == LF_SUB && c->lf_size == 4) {
		bool known;
		bool taken = cond_after_sub32(c->lf_a, c->lf_b, cc, &known);
		if (known)
			return taken;
	} else if (c->lf_op == LF_LOGIC && c->lf_size == 4) {
		switch (cc) {
		case CC_E: return r == 0;
		case CC_NE: return r != 0;
		case CC_S: return (int32_t)r < 0;
		case CC_NS: return (int32_t)r >= 0;
		}
	}
	return cond_true(c, cc);
}

static inline void jcc(struct cpu *c, const struct insn *i, int cc)
{
	if (cond_fast(c, cc))
		near_jump(c, i, c->next_eip + i->imm);
}

OP(op_jo) { jcc(c, i, CC_O); }
OP(op_jno) { jcc(c, i, CC_NO); }
OP(op_jb) { jcc(c, i, CC_B); }
OP(op_jae) { jcc(c, i, CC_AE); }
OP(op_je) { jcc(c, i, CC_E); }
OP(op_jne) { jcc(c, i, CC_NE); }
OP(op_jbe) { jcc(c, i, CC_BE); }
OP(op_ja) { jcc(c, i, CC_A); }
OP(op_js) { jcc(c, i, CC_S); }
OP(op_jns) { jcc(c, i, CC_NS); }
OP(op_jp) { jcc(c, i, CC_P); }
OP(op_jnp) { jcc(c, i, CC_NP); }
OP(op_jl) { jcc(c, i, CC_L); }
OP(op_jge) { jcc(c, i, CC_GE); }
OP(op_jle) { jcc(c, i, CC_LE); }
OP(op_jg) { jcc(c, i, CC_G); }

OP(op_jmp_rel) { near_jump(c, i, c->next_eip + i->imm); }

/* The target is checked before the return address is pushed, as on the
 * CPU; a faulting push leaves EIP and ESP as they were. */
static void near_call(struct cpu *c, const struct insn *i, uint32_t target)
{
	uint32_t ret = c->next_eip;
	near_jump(c, i, target);
	push_op(c, i, ret);
}

OP(op_call_rel) { near_call(c, i, c->next_eip + i->imm); }

OP(op_ret_near)
{
	int s = opsize(i);
	uint32_t target = stack_peek(c, 0, s);
	if (target > c->seg[SR_CS].limit)
		cpu_gp(c, 0);
	sp_set(c, sp_get(c) + (uint32_t)s + (i->imm & 0xffff));
	c->next_eip = target;
}

OP(op_jmp_rm) { near_jump(c, i, rm_read_op(c, i)); }

OP(op_call_rm) { near_call(c, i, rm_read_op(c, i)); }

/* LOOP/JCXZ count in CX or ECX per the address size. */
static uint32_t count_reg(struct cpu *c, const struct insn *i)
{
	return i->a32 ? c->r[R_ECX] : (uint16_t)c->r[R_ECX];
}

static uint32_t dec_count(struct cpu *c, const struct insn *i)
{
	if (i->a32)
		return --c->r[R_ECX];
	set_reg16(c, R_ECX, (uint16_t)(c->r[R_ECX] - 1));
	return (uint16_t)c->r[R_ECX];
}

OP(op_loop)
{
	if (dec_count(c, i))
		near_jump(c, i, c->next_eip + i->imm);
}

OP(op_loope)
{
	if (dec_count(c, i) && flag_zf(c))
		near_jump(c, i, c->next_eip + i->imm);
}

OP(op_loopne)
{
	if (dec_count(c, i) && !flag_zf(c))
		near_jump(c, i, c->next_eip + i->imm);
}

OP(op_jcxz)
{
	if (count_reg(c, i) == 0)
		near_jump(c, i, c->next_eip + i->imm);
}

OP(op_bound)
{
	int s = opsize(i);
	uint32_t ea = insn_ea(c, i);
	int32_t idx = sext(reg_read_sz(c, i->reg, s), s);
	int32_t lo = sext(s == 4 ? vread32(c, i->seg, ea) : vread16(c, i->seg, ea), s);
	uint32_t ea2 = ea + (uint32_t)s;
	if (!i->a32)
		ea2 &= 0xffff;
	int32_t hi = sext(s == 4 ? vread32(c, i->seg, ea2) : vread16(c, i->seg, ea2), s);
	if (idx < lo || idx > hi)
		cpu_exception(c, EXC_BR, 0);
}

/* --- flags ---------------------------------------------------------------- */

static void set_flag(struct cpu *c, uint32_t bit, bool on)
{
	flags_materialize(c);
	c->eflags = on ? (c->eflags | bit) : (c->eflags & ~bit);
}

OP(op_cmc) { (void)i; set_flag(c, FL_CF, !flag_cf(c)); }
OP(op_clc) { (void)i; set_flag(c, FL_CF, false); }
OP(op_stc) { (void)i; set_flag(c, FL_CF, true); }
OP(op_cld) { (void)i; c->eflags &= ~FL_DF; }
OP(op_std) { (void)i; c->eflags |= FL_DF; }

/* CLI/STI need CPL <= IOPL in protected mode (no VME/PVI support). */
static void check_iopl(struct cpu *c)
{
	if (cpu_pmode(c) && c->cpl > cpu_iopl(c))
		cpu_gp(c, 0);
}

OP(op_cli)
{
	(void)i;
	check_iopl(c);
	c->eflags &= ~FL_IF;
}

OP(op_sti)
{
	(void)i;
	check_iopl(c);
	if (!(c->eflags & FL_IF))
		c->shadow = true; /* interrupts wait one more instruction */
	c->eflags |= FL_IF;
}

OP(op_sahf)
{
	(void)i;
	uint32_t ah = reg8(c, 4);
	flags_materialize(c);
	uint32_t m = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF;
	c->eflags = (c->eflags & ~m) | (ah & m);
}

OP(op_lahf)
{
	(void)i;
	set_reg8(c, 4, (uint8_t)(cpu_get_eflags(c) & 0xd5) | 0x02);
}

/* --- HLT and port I/O ----------------------------------------------------- */

OP(op_hlt)
{
	(void)i;
	if (cpu_pmode(c) && c->cpl != 0)
		cpu_gp(c, 0);
	c->halted = true;
}

static void do_in(struct cpu *c, const struct insn *i, uint16_t port)
{
	int s = isize(i);
	io_check(c, port, s);
	reg_write_sz(c, R_EAX, s, cpu_io_in(c, port, s));
}

static void do_out(struct cpu *c, const struct insn *i, uint16_t port)
{
	int s = isize(i);
	io_check(c, port, s);
	cpu_io_out(c, port, s, reg_read_sz(c, R_EAX, s));
}

OP(op_in_imm) { do_in(c, i, (uint16_t)(i->imm & 0xff)); }
OP(op_in_dx) { do_in(c, i, (uint16_t)c->r[R_EDX]); }
OP(op_out_imm) { do_out(c, i, (uint16_t)(i->imm & 0xff)); }
OP(op_out_dx) { do_out(c, i, (uint16_t)c->r[R_EDX]); }
