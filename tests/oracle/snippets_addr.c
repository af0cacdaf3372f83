/*
 * Snippets: every ModRM/SIB addressing form, 32-bit and (with 0x67) 16-bit.
 * Each form appears four ways: LEA with random registers (pure address
 * arithmetic, wrap-around included), and LEA, MOV load and ADD store with
 * the registers fixed so the address lands in the data page (or, for
 * 16-bit addresses, the LOW page; some only after wrapping at 64 KiB).
 */
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define NONE 8

struct form {
	char name[40];
	uint8_t bytes[8]; /* ModRM [SIB] [disp], reg field 0 */
	int len;
	uint8_t fix_mask;
	uint32_t fix[8];
};

static void form_fix(struct form *f, int reg, uint32_t v)
{
	f->fix_mask |= (uint8_t)(1u << reg);
	f->fix[reg] = v;
}

static void put_disp(struct form *f, uint32_t disp, int size)
{
	memcpy(f->bytes + f->len, &disp, (size_t)size); /* little-endian host */
	f->len += size;
}

/*
 * Fixes base and index so base + (index << scale) + disp == about target.
 * Returns the displacement to encode (chosen here when there is no base).
 */
static uint32_t solve32(struct form *f, int base, int index, int scale, uint32_t disp, int v)
{
	static const uint32_t small[4] = { 0x10, 0xfffffff0u, 0x3, 0x40 };
	uint32_t target = ORA_DATA + 0x400 + 8u * (uint32_t)(v % 64);
	if (index != NONE && index == base) {
		int64_t k = 1 + (1 << scale), d = (int32_t)disp;
		int64_t val = ((int64_t)target - d) / k;
		form_fix(f, base, (uint32_t)val);
		return disp;
	}
	uint32_t x = index == NONE ? 0 : small[v % 4];
	if (index != NONE)
		form_fix(f, index, x);
	if (base == NONE)
		return target - (x << scale);
	form_fix(f, base, target - disp - (x << scale));
	return disp;
}

static void form32(struct form *f, int mod, int rm, int sbase, int sindex, int scale, int v)
{
	static const uint32_t d8[4] = { 0x7f, 0x80, 0x04, 0xfc };
	static const uint32_t d32[4] = { 0x12345678, 0xfff00000u, 0x100, 0x80000000u };
	memset(f, 0, sizeof(*f));
	f->bytes[f->len++] = (uint8_t)(mod << 6 | rm);
	int base = rm, index = NONE;
	if (rm == 4) {
		f->bytes[f->len++] = (uint8_t)(scale << 6 | sindex << 3 | sbase);
		base = sbase;
		index = sindex == 4 ? NONE : sindex;
		snprintf(f->name, sizeof(f->name), "m%d.sib.b%d.i%d.s%d", mod, sbase, sindex, scale);
	} else {
		snprintf(f->name, sizeof(f->name), "m%d.rm%d", mod, rm);
	}
	if (mod == 0 && base == 5) {
		put_disp(f, solve32(f, NONE, index, scale, 0, v), 4);
	} else if (mod == 1) {
		uint32_t d = d8[v % 4];
		solve32(f, base, index, scale, (uint32_t)(int32_t)(int8_t)d, v);
		put_disp(f, d, 1);
	} else if (mod == 2) {
		put_disp(f, solve32(f, base, index, scale, d32[v % 4], v), 4);
	} else {
		solve32(f, base, index, scale, 0, v);
	}
}

/* 16-bit forms: the rm field names one or two of BX BP SI DI. */
static void form16(struct form *f, int mod, int rm, int v)
{
	static const int first[8] = { EBX, EBX, EBP, EBP, ESI, EDI, EBP, EBX };
	static const int second[8] = { ESI, EDI, ESI, EDI, NONE, NONE, NONE, NONE };
	static const uint32_t d8[3] = { 0x7f, 0x80, 0x02 };
	static const uint32_t d16[3] = { 0x1234, 0xff00, 0x8000 };
	static const uint32_t x16[2] = { 0x20, 0xc000 }; /* 0xc000 wraps the sum past 64 KiB */
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "a16.m%d.rm%d", mod, rm);
	f->bytes[f->len++] = (uint8_t)(mod << 6 | rm);
	uint32_t target = ORA_LOW + 0x400 + 4u * (uint32_t)(v % 64), disp = 0;
	if (mod == 0 && rm == 6) {
		put_disp(f, target, 2);
		return;
	}
	if (mod == 1) {
		disp = (uint32_t)(int32_t)(int8_t)d8[v % 3];
		put_disp(f, d8[v % 3], 1);
	} else if (mod == 2) {
		disp = d16[v % 3];
		put_disp(f, disp, 2);
	}
	uint32_t x = 0;
	if (second[rm] != NONE) {
		x = x16[v % 2];
		form_fix(f, second[rm], 0x5a5a0000u | x); /* upper halves must be ignored */
	}
	form_fix(f, first[rm], 0xa5a50000u | ((target - x - disp) & 0xffff));
}

static struct snippet *form_snip(const char *what, const char *prefix, int opc, int reg,
				 const struct form *f, int fixed)
{
	char name[64], hex[64];
	int n = snprintf(hex, sizeof(hex), "%s%02x", prefix, opc);
	for (int i = 0; i < f->len; i++) {
		uint8_t b = f->bytes[i];
		if (i == 0)
			b |= (uint8_t)(reg << 3);
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, " %02x", b);
	}
	snprintf(name, sizeof(name), "addr/%s.%s", what, f->name);
	struct snippet *s = snip(name, OF_ARITH, "%s", hex);
	s->nvec = 4;
	if (fixed)
		for (int r = 0; r < 8; r++)
			if (f->fix_mask & (1u << r))
				snip_fix(s, r, f->fix[r]);
	return s;
}

static void all_four(const struct form *f, const char *a16, int v)
{
	char p[8];
	int reg = (v % 7) + 1; /* ECX..EDI, skipping ESP */
	if (reg == ESP)
		reg = EAX;
	snprintf(p, sizeof(p), "%s", a16);
	form_snip("lear", p, 0x8d, reg, f, 0);
	form_snip("lea", p, 0x8d, reg, f, 1);
	form_snip("load", p, 0x8b, reg, f, 1);
	form_snip("add", p, 0x01, reg, f, 1);
}

void snippets_addr(void)
{
	struct form f;
	int v = 0;
	for (int mod = 0; mod < 3; mod++)
		for (int rm = 0; rm < 8; rm++) {
			if (rm == 4)
				continue;
			form32(&f, mod, rm, 0, 0, 0, v);
			all_four(&f, "", v++);
		}
	for (int mod = 0; mod < 3; mod++)
		for (int b = 0; b < 8; b++)
			for (int x = 0; x < 8; x++)
				for (int s = 0; s < 4; s++) {
					if (mod && s != (b + x) % 4)
						continue;
					form32(&f, mod, 4, b, x, s, v);
					all_four(&f, "", v++);
				}
	for (int mod = 0; mod < 3; mod++)
		for (int rm = 0; rm < 8; rm++) {
			form16(&f, mod, rm, v);
			all_four(&f, "67 ", v++);
		}
	/* Operand size 16 with either address size: LEA truncates. */
	form32(&f, 2, 4, 3, 6, 2, 1);
	form_snip("lear16", "66 ", 0x8d, EDX, &f, 0);
	form16(&f, 1, 0, 1);
	form_snip("lear16", "66 67 ", 0x8d, EDX, &f, 0);
	form_snip("load16", "66 67 ", 0x8b, EDX, &f, 1);
}
