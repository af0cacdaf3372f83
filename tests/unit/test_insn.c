/*
 * The instruction table (insn.def) against itself and against the
 * engine: every row decodes as itself in every form it allows; every
 * opcode decodes to a row that claims it or to #UD; the sensitive column
 * says exactly which rows count in the --audit-sensitive table; and the
 * flag columns are true of the handlers: a row changes no arithmetic flag
 * it does not list as written, and its results do not depend on a flag
 * it does not list as read.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "engine/soft/decode.h"
#include "insn_gen.h"
#include "t.h"

static const char *row_name(enum iop r)
{
	static char b[64];
	snprintf(b, sizeof(b), "%s %s (row %d, opcode %#x/%d)", insn_defs[r].mnemonic, insn_defs[r].form, (int)r,
		 insn_defs[r].opcode, insn_defs[r].ext);
	return b;
}

static bool has_modrm(const struct insn_def *d)
{
	return (d->attr & D_MODRM) || d->group != GRP_NONE;
}

TEST(insn_table_rows_are_well_formed)
{
	bool sens_seen[SENS_COUNT] = { false };
	for (int r = 1; r < IOP_COUNT; r++) {
		const struct insn_def *d = &insn_defs[r];
		if (!d->mnemonic || !d->mnemonic[0] || !d->fn)
			t_fail(__FILE__, __LINE__, "row %d has no mnemonic or handler", r);
		if (d->group != GRP_NONE && (!(d->attr & D_MODRM) || d->ext < 0 || d->ext > 7 ||
					    insn_group_of(d->opcode) != d->group))
			t_fail(__FILE__, __LINE__, "%s: group row badly formed", row_name((enum iop)r));
		if ((d->attr & (D_LOCK | D_MEMONLY | D_MOD3 | D_SREG)) && !has_modrm(d))
			t_fail(__FILE__, __LINE__, "%s: an r/m attribute without ModRM", row_name((enum iop)r));
		if ((d->fl_undef & ~d->fl_out) || ((d->fl_in | d->fl_out) & ~(F_ALL | F_D | F_I)))
			t_fail(__FILE__, __LINE__, "%s: bad flag columns", row_name((enum iop)r));
		if (d->sens > SENS_COUNT)
			t_fail(__FILE__, __LINE__, "%s: bad sensitive index", row_name((enum iop)r));
		else if (d->sens)
			sens_seen[d->sens - 1] = true;
	}
	for (int k = 0; k < SENS_COUNT; k++)
		if (!sens_seen[k])
			t_fail(__FILE__, __LINE__, "no row counts as %s", sens_insn_names[k]);
}

/* Operands for a register (mem = false) or a [disp32] memory form. */
static struct gen_operands form(bool mem, int reg)
{
	struct gen_operands o = { 0 };
	o.reg = reg;
	o.mod = mem ? 0 : 3;
	o.rm = mem ? 5 : 1;
	o.disp = FX_DATA;
	o.imm = 0x11;
	o.imm2 = 0x08;
	return o;
}

TEST(insn_table_rows_decode_as_themselves)
{
	int checked = 0;
	for (int r = 1; r < IOP_COUNT; r++) {
		const struct insn_def *d = &insn_defs[r];
		int nreg = (d->attr & (D_REGOP | D_RANGE8)) ? 8 : 1;
		for (int reg = 0; reg < nreg; reg++) {
			if (gen_opcode((enum iop)r, reg) < d->opcode)
				continue; /* 90 is NOP, not XCHG eAX, eAX */
			for (int mem = 0; mem <= 1; mem++) {
				if (!has_modrm(d) && mem)
					continue;
				if (has_modrm(d) && ((mem && (d->attr & D_MOD3)) || (!mem && (d->attr & D_MEMONLY))))
					continue;
				struct gen_operands o = form(mem, (d->attr & D_SREG) ? SR_DS : reg);
				uint8_t b[16];
				size_t n = gen_encode((enum iop)r, &o, b);
				if (!gen_decodes_as(b, n, (enum iop)r))
					t_fail(__FILE__, __LINE__, "%s, %s form, does not decode as itself",
					       row_name((enum iop)r), mem ? "memory" : "register");
				checked++;
			}
		}
	}
	CHECK(checked > 500);
}

static bool is_prefix(unsigned b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3: case 0x0f:
		return true;
	}
	return false;
}

/* Every opcode, with every ModRM.reg: #UD, or a row that claims it. */
TEST(insn_table_every_opcode_is_a_row_or_ud)
{
	int rows = 0;
	for (unsigned op = 0; op < 0x200; op++) {
		if (op < 0x100 && is_prefix(op))
			continue;
		for (int reg = 0; reg < 8; reg++) {
			uint8_t b[16] = { 0 };
			size_t n = 0;
			if (op > 0xff)
				b[n++] = 0x0f;
			b[n++] = (uint8_t)op;
			b[n++] = (uint8_t)(0xc0 | reg << 3); /* a ModRM, if it takes one */
			struct insn i;
			if (decode_bytes(b, sizeof(b), true, &i) < 0) {
				t_fail(__FILE__, __LINE__, "opcode %#x does not decode", op);
				continue;
			}
			if (i.iop == IOP_UD)
				continue;
			const struct insn_def *d = &insn_defs[i.iop];
			unsigned last = (d->attr & (D_REGOP | D_RANGE8)) ? (d->opcode | 7) : d->opcode;
			bool claimed = (op >= d->opcode && op <= last) ||
				       (d->group != GRP_NONE && insn_group_of(op) == d->group);
			if (!claimed || (d->group != GRP_NONE && d->ext != reg && insn_lookup(op, reg) != i.iop))
				t_fail(__FILE__, __LINE__, "opcode %#x /%d decodes as %s", op, reg, row_name((enum iop)i.iop));
			rows++;
		}
	}
	CHECK(rows > 1500);
}

/* Runs one instance of row at CPL 0 with --audit-sensitive on; returns
 * how many executions each counter recorded. */
static void run_audited(enum iop r, uint64_t counts[SENS_COUNT])
{
	const struct insn_def *d = &insn_defs[r];
	struct fx *f = fx_new(1u << 20);
	f->c->audit = true;
	bool mem = !(d->attr & D_MOD3);
	struct gen_operands o = form(mem, (d->attr & D_SREG) ? SR_DS : 0);
	o.imm = d->fmt == FM_FAR ? FX_CODE + 0x100 : 0x80; /* far target: a HLT; INT 0x80 */
	uint8_t code[32];
	size_t n = gen_encode(r, &o, code);
	code[n++] = 0xf4;
	fx_code(f, code, n);
	f->ram[FX_CODE + 0x100] = 0xf4;
	fx_write32(f, FX_DATA, 0x10); /* a selector, where one is read */
	fx_run(f, 1);
	for (int k = 0; k < SENS_COUNT; k++)
		counts[k] = f->c->sens[k].cpl0 + f->c->sens[k].cpl12 + f->c->sens[k].cpl3;
	fx_free(f);
}

TEST(insn_table_sensitive_column_matches_the_audit)
{
	for (int r = 1; r < IOP_COUNT; r++) {
		const struct insn_def *d = &insn_defs[r];
		if (d->attr & (D_REGOP | D_RANGE8))
			continue; /* their register is in the opcode: run once below */
		uint64_t counts[SENS_COUNT];
		run_audited((enum iop)r, counts);
		for (int k = 0; k < SENS_COUNT; k++) {
			uint64_t want = d->sens == k + 1 ? 1 : 0;
			if (counts[k] != want)
				t_fail(__FILE__, __LINE__, "%s counted %llu times as %s, expected %llu", row_name((enum iop)r),
				       (unsigned long long)counts[k], sens_insn_names[k], (unsigned long long)want);
		}
	}
}

/* --- the flag columns against the handlers -------------------------------- */

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Rows whose effect one instruction in the fixture shows: no control
 * transfer, no system state, no I/O, no x87. */
static bool flag_testable(enum iop r)
{
	const struct insn_def *d = &insn_defs[r];
	bool arith_fault = r == IOP_DIV_Eb || r == IOP_DIV_Ev || r == IOP_IDIV_Eb || r == IOP_IDIV_Ev || r == IOP_AAM;
	return !(d->attr & (D_END | D_STRING)) && d->fmt != FM_X87 && !d->sens && (!(d->attr & D_XC) || arith_fault);
}

struct outcome {
	uint32_t r[8], eflags;
	int exc;
	uint8_t data[16];
};

static void run_flags(struct fx *f, const uint8_t *code, size_t n, const uint32_t *regs, uint32_t flags,
		      const uint8_t *data, struct outcome *out)
{
	memcpy(f->c->r, regs, sizeof(f->c->r));
	f->c->r[R_ESP] = FX_STACK;
	cpu_set_eflags(f->c, flags, FL_ARITH | FL_DF);
	memcpy(f->ram + FX_DATA, data, 16);
	fx_write32(f, FX_EXC, 0xffffffffu);
	fx_code(f, code, n);
	fx_run(f, 3);
	memcpy(out->r, f->c->r, sizeof(out->r));
	out->eflags = cpu_get_eflags(f->c);
	out->exc = fx_exception(f);
	memcpy(out->data, f->ram + FX_DATA, 16);
}

static void check_row_flags(struct fx *f, enum iop r)
{
	const struct insn_def *d = &insn_defs[r];
	for (int k = 0; k < 24; k++) {
		uint32_t defined = d->fl_out & ~d->fl_undef & F_ALL;
		bool mem = has_modrm(d) && ((d->attr & D_MEMONLY) || (k & 1)) && !(d->attr & D_MOD3);
		struct gen_operands o = form(mem, 1 + (int)(rnd() % 3));
		o.rm = 3 + (int)(rnd() % 5 == 0); /* EBX, or ESP now and then: a register never written */
		if (mem)
			o.rm = 5;
		o.op16 = !(d->attr & D_BYTE) && (k & 2);
		o.imm = rnd() % 3 == 0 ? 0 : rnd();
		uint8_t code[24];
		size_t n = gen_encode(r, &o, code);
		code[n++] = 0xf4;
		uint32_t regs[8], flags = rnd() & (F_ALL | F_D);
		for (int j = 0; j < 8; j++)
			regs[j] = rnd() % 4 == 0 ? rnd() % 40 : rnd();
		/* A register bit offset addresses memory beyond the operand:
		 * keep it inside the data the test resets. */
		if (r == IOP_BT_Ev_Gv || r == IOP_BTS_Ev_Gv || r == IOP_BTR_Ev_Gv || r == IOP_BTC_Ev_Gv)
			regs[o.reg] %= 128;
		uint8_t data[16];
		for (int j = 0; j < 16; j++)
			data[j] = (uint8_t)rnd();
		struct outcome a, b;
		run_flags(f, code, n, regs, flags, data, &a);
		/* No arithmetic flag or DF outside fl_out changes (an exception
		 * pushes EFLAGS and leaves them as they were). */
		uint32_t changed = (a.eflags ^ flags) & (F_ALL | F_D);
		if (a.exc < 0 && (changed & ~d->fl_out)) {
			t_fail(__FILE__, __LINE__, "%s changed flags %#x it does not list", row_name(r), changed & ~d->fl_out);
			return;
		}
		/* Flipping the flags it does not read changes nothing it defines
		 * (the flags only if it wrote them: a shift by 0 and an
		 * exception leave the old ones). */
		uint32_t flipped = flags ^ ((rnd() & (F_ALL | F_D)) & ~d->fl_in);
		run_flags(f, code, n, regs, flipped, data, &b);
		if (a.exc >= 0 || (d->attr & D_CONDFL))
			defined = 0;
		if (memcmp(a.r, b.r, sizeof(a.r)) || memcmp(a.data, b.data, 16) || a.exc != b.exc ||
		    ((a.eflags ^ b.eflags) & defined)) {
			t_fail(__FILE__, __LINE__, "%s reads flags it does not list (%#x -> %#x)", row_name(r), flags, flipped);
			return;
		}
	}
}

TEST(insn_table_flag_columns_match_the_handlers)
{
	int rows = 0;
	struct fx *f = fx_new(1u << 20);
	for (int r = 1; r < IOP_COUNT; r++) {
		if (!flag_testable((enum iop)r))
			continue;
		check_row_flags(f, (enum iop)r);
		rows++;
	}
	fx_free(f);
	CHECK(rows > 200);
}
