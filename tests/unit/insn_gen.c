#include "insn_gen.h"

#include <string.h>

#include "engine/soft/decode.h"

unsigned gen_opcode(enum iop row, int reg)
{
	const struct insn_def *d = &insn_defs[row];
	if (d->attr & (D_REGOP | D_RANGE8))
		return (d->opcode & ~7u) | ((unsigned)reg & 7u);
	return d->opcode;
}

static void put(uint8_t *out, size_t *n, uint32_t v, int bytes)
{
	for (int k = 0; k < bytes; k++)
		out[(*n)++] = (uint8_t)(v >> (8 * k));
}

static void put_modrm(const struct insn_def *d, const struct gen_operands *o, uint8_t *out, size_t *n)
{
	int reg = d->ext >= 0 ? d->ext : o->reg;
	int mod = (d->attr & D_MOD3) ? 3 : o->mod;
	out[(*n)++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | (o->rm & 7));
	if (mod == 3)
		return;
	if (o->a16) {
		if (mod == 1)
			put(out, n, o->disp, 1);
		else if (mod == 2 || (mod == 0 && o->rm == 6))
			put(out, n, o->disp, 2);
		return;
	}
	bool sib = o->rm == 4;
	if (sib)
		out[(*n)++] = (uint8_t)(o->sib_scale << 6 | (o->sib_index & 7) << 3 | (o->sib_base & 7));
	if (mod == 1)
		put(out, n, o->disp, 1);
	else if (mod == 2 || (mod == 0 && o->rm == 5) || (mod == 0 && sib && o->sib_base == 5))
		put(out, n, o->disp, 4);
}

static void put_imm(const struct insn_def *d, const struct gen_operands *o, uint8_t *out, size_t *n)
{
	int v = o->op16 ? 2 : 4, a = o->a16 ? 2 : 4;
	switch (d->imm) {
	case IM_B: case IM_BS: put(out, n, o->imm, 1); break;
	case IM_W: put(out, n, o->imm, 2); break;
	case IM_V: case IM_VS: put(out, n, o->imm, v); break;
	case IM_AP: put(out, n, o->imm, v); put(out, n, o->imm2, 2); break;
	case IM_MOFFS: put(out, n, o->disp, a); break;
	case IM_ENTER: put(out, n, o->imm, 2); put(out, n, o->imm2, 1); break;
	default: break;
	}
}

size_t gen_encode(enum iop row, const struct gen_operands *o, uint8_t *out)
{
	const struct insn_def *d = &insn_defs[row];
	size_t n = 0;
	if (o->lock)
		out[n++] = 0xf0;
	if (o->rep)
		out[n++] = o->rep;
	if (o->seg_prefix)
		out[n++] = o->seg_prefix;
	if (o->op16)
		out[n++] = 0x66;
	if (o->a16)
		out[n++] = 0x67;
	unsigned op = gen_opcode(row, o->reg);
	if (op > 0xff)
		out[n++] = 0x0f;
	out[n++] = (uint8_t)op;
	if ((d->attr & D_MODRM) || d->group != GRP_NONE)
		put_modrm(d, o, out, &n);
	put_imm(d, o, out, &n);
	return n;
}

bool gen_decodes_as(const uint8_t *bytes, size_t len, enum iop row)
{
	struct insn i;
	int got = decode_bytes(bytes, (uint32_t)len, true, &i);
	return got == (int)len && i.iop == row;
}
