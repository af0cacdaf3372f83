/*
 * The instruction decoder: prefixes, the opcode's row in the instruction
 * table (insn.def), ModRM/SIB and immediates.  Everything that depends
 * only on the instruction bytes and the code size is resolved here once,
 * so the decoded form can be cached and nothing downstream re-examines
 * prefixes or opcode bits.
 */
#include <string.h>

#include "engine/soft/decode.h"
#include "engine/soft/insn.h"
#include "engine/soft/ops.h"

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
	case IM_B:
		i->imm = take(s, 1);
		break;
	case IM_BS:
		i->imm = (uint32_t)(int32_t)(int8_t)take(s, 1);
		break;
	case IM_W:
		i->imm = take(s, 2);
		break;
	case IM_V:
		i->imm = take(s, i->op32 ? 4 : 2);
		break;
	case IM_VS:
		i->imm = i->op32 ? take(s, 4) : (uint32_t)(int32_t)(int16_t)take(s, 2);
		break;
	case IM_AP:
		i->imm = take(s, i->op32 ? 4 : 2);
		i->imm2 = (uint16_t)take(s, 2);
		break;
	case IM_MOFFS:
		i->disp = take(s, i->a32 ? 4 : 2);
		break;
	case IM_ENTER:
		i->imm = take(s, 2);
		i->imm2 = (uint16_t)take(s, 1);
		break;
	case IM_ONE:
		i->imm = 1;
		break;
	case IM_CL:
		i->imm2 = 1; /* the count is in CL */
		break;
	}
}

static void make_ud(struct insn *i)
{
	i->iop = IOP_UD;
	i->fn = op_ud;
}

/* The row's specialised handler for a 32-bit form, if it has one. */
static void specialize(struct insn *i, const struct insn_def *d)
{
	if (!i->op32 || (i->flags & INSN_LOCK) || (d->attr & D_BYTE))
		return;
	insn_fn fast = i->mod == 3 ? d->fast_r : d->fast_m;
	if (fast)
		i->fn = fast;
}

/* Everything the row says about operands once they are decoded: #UD
 * for forms the row forbids, implied operands, block ends. */
static void apply_row(struct insn *i, const struct insn_def *d)
{
	uint16_t a = d->attr;
	if (a & D_END)
		i->flags |= INSN_ENDS_BLOCK;
	if (a & D_IMPREG)
		i->reg = d->arg;
	/* String instructions with REP are restartable loops: they must end
	 * their block so that an interrupted iteration resumes correctly. */
	if ((a & D_STRING) && i->rep)
		i->flags |= INSN_ENDS_BLOCK;
	if (((a & D_MEMONLY) && i->mod == 3) || ((a & D_SREG) && (i->reg == SR_CS || i->reg > SR_GS)))
		make_ud(i);
	/* LOCK is allowed only on read-modify-write instructions with a
	 * memory destination; anywhere else it raises #UD. */
	else if ((i->flags & INSN_LOCK) && !((a & D_LOCK) && i->mod != 3))
		make_ud(i);
	else
		specialize(i, d);
}

int decode_bytes(const uint8_t *p, uint32_t avail, bool code32, struct insn *i)
{
	struct stream s = { p, 0, avail, false };
	memset(i, 0, sizeof(*i));
	i->op32 = i->a32 = code32;
	i->seg = SR_NONE;
	i->base = i->index = REG_NONE;
	unsigned op;

	for (;;) {
		if (s.pos >= 15) {
			make_ud(i);
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
		op = b;
		if (b == 0x0f)
			op = 0x100 | take(&s, 1);
		break;
	}
	enum igroup g = insn_group_of(op);
	const struct insn_def *d = &insn_defs[insn_lookup(op, -1)];
	if (g != GRP_NONE || (d->attr & D_MODRM)) {
		uint8_t m = (uint8_t)take(&s, 1);
		i->mod = m >> 6;
		i->reg = (m >> 3) & 7;
		i->rm = m & 7;
		if (g != GRP_NONE)
			d = &insn_defs[insn_lookup(op, i->reg)];
		if (d->attr & D_MOD3)
			i->mod = 3; /* MOV to/from CRn/DRn always names a register */
		else if (i->mod != 3 && i->a32)
			decode_modrm32(&s, i);
		else if (i->mod != 3)
			decode_modrm16(&s, i);
	}
	i->iop = (uint16_t)(d - insn_defs);
	i->fn = d->fn;
	if (d->attr & D_REGOP)
		i->reg = op & 7;
	decode_imm(&s, i, d->imm);
	if (i->seg == SR_NONE)
		i->seg = SR_DS;
	apply_row(i, d);
	if (s.short_)
		return s.pos > 15 ? (make_ud(i), i->fn = op_gp_too_long, i->len = 15, 15) : -1;
	if (s.pos > 15) {
		make_ud(i);
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
