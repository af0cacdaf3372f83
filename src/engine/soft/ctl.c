/*
 * Data movement, the stack, near control flow, flag instructions, HLT and
 * port I/O.
 */
#include "engine/soft/operand.h"
#include "engine/soft/ops.h"

void alu_inc_dec_rm(struct cpu *c, const struct insn *i, bool dec);

/* --- MOV and friends ------------------------------------------------------ */

OP(op_mov_rm8_r8) { rm_write8(c, i, reg8(c, i->reg)); }
OP(op_mov_rm_r) { rm_write_op(c, i, c->r[i->reg]); }
OP(op_mov_r8_rm8) { set_reg8(c, i->reg, rm_read8(c, i)); }
OP(op_mov_r_rm) { set_reg_op(c, i, i->reg, rm_read_op(c, i)); }
OP(op_mov_r8_imm) { set_reg8(c, i->reg, (uint8_t)i->imm); }
OP(op_mov_r_imm) { set_reg_op(c, i, i->reg, i->imm); }
OP(op_mov_rm8_imm) { rm_write8(c, i, (uint8_t)i->imm); }
OP(op_mov_rm_imm) { rm_write_op(c, i, i->imm); }
OP(op_mov_al_moffs) { set_reg8(c, R_EAX, vread8(c, i->seg, i->disp)); }
OP(op_mov_moffs_al) { vwrite8(c, i->seg, i->disp, reg8(c, R_EAX)); }

OP(op_mov_ax_moffs)
{
	set_reg_op(c, i, R_EAX, i->op32 ? vread32(c, i->seg, i->disp) : vread16(c, i->seg, i->disp));
}

OP(op_mov_moffs_ax)
{
	if (i->op32)
		vwrite32(c, i->seg, i->disp, c->r[R_EAX]);
	else
		vwrite16(c, i->seg, i->disp, (uint16_t)c->r[R_EAX]);
}

OP(op_movzx8) { set_reg_op(c, i, i->reg, rm_read8(c, i)); }
OP(op_movzx16) { set_reg_op(c, i, i->reg, rm_read16(c, i)); }
OP(op_movsx8) { set_reg_op(c, i, i->reg, (uint32_t)(int32_t)(int8_t)rm_read8(c, i)); }
OP(op_movsx16) { set_reg_op(c, i, i->reg, (uint32_t)(int32_t)(int16_t)rm_read16(c, i)); }
OP(op_lea) { set_reg_op(c, i, i->reg, insn_ea(c, i)); }
OP(op_nop) { (void)c, (void)i; }

OP(op_xchg_rm8_r8)
{
	struct rmw t;
	uint8_t v = (uint8_t)rmw_begin(c, i, 1, &t);
	uint8_t r = reg8(c, i->reg);
	rmw_end(c, i, 1, &t, r);
	set_reg8(c, i->reg, v);
}

OP(op_xchg_rm_r)
{
	int s = opsize(i);
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
	if (cond_true(c, i->op & 0xf))
		set_reg_op(c, i, i->reg, v);
}

OP(op_setcc)
{
	rm_write8(c, i, cond_true(c, i->op & 0xf) ? 1 : 0);
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

OP(op_jcc)
{
	if (cond_true(c, i->op & 0xf))
		near_jump(c, i, c->next_eip + i->imm);
}

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

OP(op_grp5)
{
	switch (i->reg) {
	case 0: alu_inc_dec_rm(c, i, false); break;
	case 1: alu_inc_dec_rm(c, i, true); break;
	case 2: op_call_rm(c, i); break;
	case 3: op_call_far_mem(c, i); break;
	case 4: op_jmp_rm(c, i); break;
	case 5: op_jmp_far_mem(c, i); break;
	case 6: op_push_rm(c, i); break;
	default: cpu_ud(c);
	}
}

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

static int io_size(const struct insn *i)
{
	return (i->op & 1) ? opsize(i) : 1;
}

static void do_in(struct cpu *c, const struct insn *i, uint16_t port)
{
	int s = io_size(i);
	io_check(c, port, s);
	reg_write_sz(c, R_EAX, s, cpu_io_in(c, port, s));
}

static void do_out(struct cpu *c, const struct insn *i, uint16_t port)
{
	int s = io_size(i);
	io_check(c, port, s);
	cpu_io_out(c, port, s, reg_read_sz(c, R_EAX, s));
}

OP(op_in_imm) { do_in(c, i, (uint16_t)(i->imm & 0xff)); }
OP(op_in_dx) { do_in(c, i, (uint16_t)c->r[R_EDX]); }
OP(op_out_imm) { do_out(c, i, (uint16_t)(i->imm & 0xff)); }
OP(op_out_dx) { do_out(c, i, (uint16_t)c->r[R_EDX]); }
