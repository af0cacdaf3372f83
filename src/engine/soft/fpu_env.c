/*
 * The x87 environment and full state in memory: FNSTENV, FLDENV, FNSAVE,
 * FRSTOR.
 *
 * The environment has four layouts (SDM vol. 1, 8.1.10), chosen by the
 * operand size (14 or 28 bytes) and by the mode: protected mode stores
 * offsets and selectors; real and virtual-8086 mode store 20/32-bit
 * linear instruction and data pointers, split around the opcode.
 * FNSAVE/FRSTOR append ST(0)..ST(7), 10 bytes each (94 or 108 bytes).
 *
 * Tags in memory are full tags computed from the register contents; on
 * load only "empty or not" is taken, the rest is recomputed, as the
 * hardware does.
 */
#include <string.h>

#include "engine/soft/cpu.h"
#include "engine/soft/fpu.h"
#include "engine/soft/ops.h"

#define ENV16 14
#define ENV32 28
#define REGS_BYTES (8 * EXT80)
#define SAVE_MAX (ENV32 + REGS_BYTES)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static bool real_layout(const struct cpu *c)
{
	return !cpu_pmode(c) || cpu_v86(c);
}

static uint32_t env_size(const struct insn *i)
{
	return i->op32 ? ENV32 : ENV16;
}

/* --- encoding ------------------------------------------------------------- */

static void env_encode(const struct cpu *c, const struct insn *i, uint8_t *out)
{
	const struct fpu *f = &c->fpu;
	uint16_t tw = fpu_full_tags(f);
	uint32_t fop = f->fop & 0x7ffu;

	if (!real_layout(c) && i->op32) {
		put32(out + 0, 0xffff0000u | f->cw);
		put32(out + 4, 0xffff0000u | f->sw);
		put32(out + 8, 0xffff0000u | tw);
		put32(out + 12, f->fip);
		put32(out + 16, f->fcs | fop << 16);
		put32(out + 20, f->fdp);
		put32(out + 24, 0xffff0000u | f->fds);
	} else if (!real_layout(c)) {
		put16(out + 0, f->cw);
		put16(out + 2, f->sw);
		put16(out + 4, tw);
		put16(out + 6, f->fip);
		put16(out + 8, f->fcs);
		put16(out + 10, f->fdp);
		put16(out + 12, f->fds);
	} else {
		uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip;
		uint32_t dp = ((uint32_t)f->fds << 4) + f->fdp;
		if (i->op32) {
			put32(out + 0, 0xffff0000u | f->cw);
			put32(out + 4, 0xffff0000u | f->sw);
			put32(out + 8, 0xffff0000u | tw);
			put32(out + 12, 0xffff0000u | (ip & 0xffff));
			put32(out + 16, (ip >> 16) << 12 | fop);
			put32(out + 20, 0xffff0000u | (dp & 0xffff));
			put32(out + 24, (dp >> 16) << 12);
		} else {
			put16(out + 0, f->cw);
			put16(out + 2, f->sw);
			put16(out + 4, tw);
			put16(out + 6, ip);
			put16(out + 8, ((ip >> 16) & 0xf) << 12 | fop);
			put16(out + 10, dp);
			put16(out + 12, ((dp >> 16) & 0xf) << 12);
		}
	}
}

/* --- decoding ------------------------------------------------------------- */

/* Decodes an environment into f; returns the tag word as stored. */
static uint16_t env_decode(const struct cpu *c, const struct insn *i, const uint8_t *in, struct fpu *f)
{
	uint16_t cw, tw;
	if (!real_layout(c) && i->op32) {
		cw = get16(in + 0);
		f->sw = get16(in + 4);
		tw = get16(in + 8);
		f->fip = get32(in + 12);
		f->fcs = get16(in + 16);
		f->fop = get16(in + 18) & 0x7ff;
		f->fdp = get32(in + 20);
		f->fds = get16(in + 24);
	} else if (!real_layout(c)) {
		cw = get16(in + 0);
		f->sw = get16(in + 2);
		tw = get16(in + 4);
		f->fip = get16(in + 6);
		f->fcs = get16(in + 8);
		f->fop = 0; /* the 16-bit protected-mode layout has no opcode */
		f->fdp = get16(in + 10);
		f->fds = get16(in + 12);
	} else if (i->op32) {
		cw = get16(in + 0);
		f->sw = get16(in + 4);
		tw = get16(in + 8);
		f->fip = get16(in + 12) | ((get32(in + 16) >> 12) & 0xffff) << 16;
		f->fop = get16(in + 16) & 0x7ff;
		f->fdp = get16(in + 20) | ((get32(in + 24) >> 12) & 0xffff) << 16;
		f->fcs = f->fds = 0; /* linear pointers */
	} else {
		cw = get16(in + 0);
		f->sw = get16(in + 2);
		tw = get16(in + 4);
		f->fip = get16(in + 6) | (uint32_t)(get16(in + 8) >> 12) << 16;
		f->fop = get16(in + 8) & 0x7ff;
		f->fdp = get16(in + 10) | (uint32_t)(get16(in + 12) >> 12) << 16;
		f->fcs = f->fds = 0;
	}
	fpu_load_cw(f, cw); /* also re-derives ES/B from the loaded flags */
	return tw;
}

/* Empty stays empty; every other tag is recomputed from the contents. */
static void apply_tags(struct fpu *f, uint16_t stored)
{
	uint16_t tw = 0;
	for (int p = 0; p < 8; p++) {
		int tag = TAG_EMPTY;
		if (((stored >> (2 * p)) & 3) != TAG_EMPTY) {
			uint8_t ext[EXT80];
			fpu_reg_get(f, p, ext);
			tag = fpu_tag_of(ext);
		}
		tw |= (uint16_t)(tag << (2 * p));
	}
	f->tw = tw;
}

/* --- guest memory --------------------------------------------------------- */

static void read_bytes(struct cpu *c, const struct insn *i, uint32_t ea, uint8_t *b, uint32_t n)
{
	vcheck_read(c, i->seg, ea, n);
	for (uint32_t k = 0; k < n; k++)
		b[k] = vread8(c, i->seg, fpu_ea_add(i, ea, k));
}

/* Checks the whole range first so a fault cannot leave it half written. */
static void write_bytes(struct cpu *c, const struct insn *i, uint32_t ea, const uint8_t *b, uint32_t n)
{
	vcheck_write(c, i->seg, ea, n);
	for (uint32_t k = 0; k < n; k++)
		vwrite8(c, i->seg, fpu_ea_add(i, ea, k), b[k]);
}

/* --- the instructions ----------------------------------------------------- */

/* FNSTENV stores the environment, then masks every exception (so a
 * handler can use the FPU); ES follows the masks. */
void fpu_fnstenv(struct cpu *c, const struct insn *i)
{
	uint8_t buf[ENV32];
	env_encode(c, i, buf);
	write_bytes(c, i, insn_ea(c, i), buf, env_size(i));
	fpu_load_cw(&c->fpu, c->fpu.cw | FCW_MASKS);
}

void fpu_fldenv(struct cpu *c, const struct insn *i)
{
	uint8_t buf[ENV32];
	struct fpu f = c->fpu;
	read_bytes(c, i, insn_ea(c, i), buf, env_size(i));
	uint16_t tw = env_decode(c, i, buf, &f);
	apply_tags(&f, tw);
	c->fpu = f;
}

/* FNSAVE stores everything, then reinitialises the FPU as FNINIT. */
void fpu_fnsave(struct cpu *c, const struct insn *i)
{
	uint8_t buf[SAVE_MAX];
	uint32_t env = env_size(i);
	env_encode(c, i, buf);
	for (int k = 0; k < 8; k++)
		fpu_reg_get(&c->fpu, fpu_phys(&c->fpu, k), buf + env + EXT80 * k);
	write_bytes(c, i, insn_ea(c, i), buf, env + REGS_BYTES);
	fpu_reset(&c->fpu);
}

void fpu_frstor(struct cpu *c, const struct insn *i)
{
	uint8_t buf[SAVE_MAX];
	uint32_t env = env_size(i);
	struct fpu f = c->fpu;
	read_bytes(c, i, insn_ea(c, i), buf, env + REGS_BYTES);
	uint16_t tw = env_decode(c, i, buf, &f);
	for (int k = 0; k < 8; k++)
		fpu_reg_set(&f, fpu_phys(&f, k), buf + env + EXT80 * k);
	apply_tags(&f, tw);
	c->fpu = f;
}
