/*
 * Snippets: shifts and rotates, SHLD/SHRD, the bit tests, BSF/BSR, BSWAP,
 * and the exchange family (XCHG XADD CMPXCHG CMPXCHG8B).
 */
#include <stdio.h>

#include "gen.h"

static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

/* CL: every count that matters for 8/16/32-bit operands, then random. */
static void prep_count(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	static const uint8_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 24, 31, 32, 33, 63, 0xff, 0xe1 };
	(void)s;
	uint32_t ncounts = sizeof(counts);
	uint32_t cl = (uint32_t)n < ncounts ? counts[n] : (rnd(g) & 1 ? rnd(g) % 40 : rnd(g) & 0xff);
	in->r[ECX] = (in->r[ECX] & ~0xffu) | cl;
}

static struct snippet *shift_snip(const char *name, const char *hex, int kind, int size, int count, int mem)
{
	struct snippet *s = snip(name, 0, "%s", hex);
	s->rule = RULE_SHIFT;
	s->kind = (uint8_t)kind;
	s->size = (uint8_t)size;
	s->count = (int8_t)count;
	if (count == COUNT_CL) {
		s->prep = prep_count;
		s->nvec = 96;
	} else {
		s->nvec = 24;
	}
	if (mem)
		snip_fix(s, ESI, ORA_SLOT);
	return s;
}

static void shifts(void)
{
	static const int imm_counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33 };
	static const int sizes[3] = { 8, 16, 32 };
	for (int k = 0; k < 8; k++) {
		if (k == SK_SAL)
			continue; /* /6 is an undocumented alias */
		const char *op = shift_names[k];
		for (int si = 0; si < 3; si++) {
			int size = sizes[si], w = size != 8;
			const char *p66 = size == 16 ? "66 " : "";
			uint8_t rm_eax = (uint8_t)(0xc0 | k << 3), rm_mem = (uint8_t)(0x06 | k << 3);
			char n[64], h[64];
			snprintf(n, sizeof(n), "shift/%s.r%d.1", op, size);
			snprintf(h, sizeof(h), "%s%02x %02x", p66, 0xd0 + w, rm_eax);
			shift_snip(n, h, k, size, 1, 0);
			snprintf(n, sizeof(n), "shift/%s.r%d.cl", op, size);
			snprintf(h, sizeof(h), "%s%02x %02x", p66, 0xd2 + w, rm_eax);
			shift_snip(n, h, k, size, COUNT_CL, 0);
			for (unsigned c = 0; c < sizeof(imm_counts) / sizeof(imm_counts[0]); c++) {
				snprintf(n, sizeof(n), "shift/%s.r%d.i%d", op, size, imm_counts[c]);
				snprintf(h, sizeof(h), "%s%02x %02x %02x", p66, 0xc0 + w, rm_eax, imm_counts[c]);
				shift_snip(n, h, k, size, imm_counts[c], 0);
			}
			snprintf(n, sizeof(n), "shift/%s.m%d.cl", op, size);
			snprintf(h, sizeof(h), "%s%02x %02x", p66, 0xd2 + w, rm_mem);
			shift_snip(n, h, k, size, COUNT_CL, 1);
			snprintf(n, sizeof(n), "shift/%s.m%d.i3", op, size);
			snprintf(h, sizeof(h), "%s%02x %02x 03", p66, 0xc0 + w, rm_mem);
			shift_snip(n, h, k, size, 3, 1);
		}
		/* AH as the operand (ModRM rm 4 in byte size). */
		char n[64], h[64];
		snprintf(n, sizeof(n), "shift/%s.ah.cl", op);
		snprintf(h, sizeof(h), "d2 %02x", 0xc4 | k << 3);
		shift_snip(n, h, k, 8, COUNT_CL, 0);
	}
}

static struct snippet *shxd_snip(const char *name, const char *hex, int size, int count, int dest)
{
	struct snippet *s = snip(name, 0, "%s", hex);
	s->rule = RULE_SHXD;
	s->size = (uint8_t)size;
	s->count = (int8_t)count;
	s->dest = (uint8_t)dest;
	s->nvec = 32;
	if (count == COUNT_CL) {
		s->prep = prep_count;
		s->nvec = 96;
	}
	if (dest == OPND_MEM)
		snip_fix(s, ESI, ORA_SLOT);
	return s;
}

static void double_shifts(void)
{
	static const int counts[] = { 0, 1, 2, 7, 8, 15, 16, 17, 24, 31 };
	for (int right = 0; right < 2; right++) {
		const char *op = right ? "shrd" : "shld";
		int opc = right ? 0xac : 0xa4;
		for (int size = 16; size <= 32; size += 16) {
			const char *p66 = size == 16 ? "66 " : "";
			char n[64], h[64];
			for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
				snprintf(n, sizeof(n), "shxd/%s.r%d.i%d", op, size, counts[c]);
				snprintf(h, sizeof(h), "%s0f %02x d0 %02x", p66, opc, counts[c]); /* eax, edx */
				shxd_snip(n, h, size, counts[c], EAX);
			}
			snprintf(n, sizeof(n), "shxd/%s.r%d.cl", op, size);
			snprintf(h, sizeof(h), "%s0f %02x d0", p66, opc + 1);
			shxd_snip(n, h, size, COUNT_CL, EAX);
			snprintf(n, sizeof(n), "shxd/%s.m%d.cl", op, size);
			snprintf(h, sizeof(h), "%s0f %02x 16", p66, opc + 1); /* [esi], edx, cl */
			shxd_snip(n, h, size, COUNT_CL, OPND_MEM);
			snprintf(n, sizeof(n), "shxd/%s.m%d.i5", op, size);
			snprintf(h, sizeof(h), "%s0f %02x 16 05", p66, opc);
			shxd_snip(n, h, size, 5, OPND_MEM);
		}
	}
}

/* EDX = a signed bit offset reaching about 1.75 KiB either side of ESI. */
static void prep_bit_offset(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	int32_t off = n % 4 == 0 ? (int32_t)(rnd(g) % 64) - 32 : (int32_t)(rnd(g) % 0x7000) - 0x3800;
	opnd_set(in, s->size, EDX, (uint32_t)off);
}

static void bit_tests(void)
{
	static const char *const names[4] = { "bt", "bts", "btr", "btc" };
	static const int imms[] = { 0, 5, 15, 16, 31, 33 };
	/* Intel: ZF unaffected, OF SF AF PF undefined; AMD hosts change ZF, so
	 * only CF is compared. */
	uint32_t fm = OF_CF;
	for (int k = 0; k < 4; k++) {
		int opc = 0xa3 + 8 * k; /* A3 AB B3 BB */
		uint8_t grp = (uint8_t)((4 + k) << 3);
		char n[64], h[64];
		for (int size = 16; size <= 32; size += 16) {
			const char *p66 = size == 16 ? "66 " : "";
			snprintf(n, sizeof(n), "bit/%s.r%d.r", names[k], size);
			snprintf(h, sizeof(h), "%s0f %02x d0", p66, opc); /* eax, edx */
			snip(n, fm, "%s", h)->nvec = 64;
			for (unsigned i = 0; i < sizeof(imms) / sizeof(imms[0]); i++) {
				snprintf(n, sizeof(n), "bit/%s.r%d.i%d", names[k], size, imms[i]);
				snprintf(h, sizeof(h), "%s0f ba %02x %02x", p66, 0xc0 | grp, imms[i]);
				snip(n, fm, "%s", h)->nvec = 16;
			}
			snprintf(n, sizeof(n), "bit/%s.m%d.r", names[k], size);
			snprintf(h, sizeof(h), "%s0f %02x 16", p66, opc); /* [esi], edx */
			struct snippet *s = snip(n, fm, "%s", h);
			s->size = (uint8_t)size;
			s->prep = prep_bit_offset;
			s->nvec = 64;
			snip_fix(s, ESI, ORA_DATA + 0x1000);
			snprintf(n, sizeof(n), "bit/%s.m%d.i35", names[k], size);
			snprintf(h, sizeof(h), "%s0f ba %02x 23", p66, 0x06 | grp);
			snip_fix(snip(n, fm, "%s", h), ESI, ORA_SLOT);
		}
		if (k) {
			snprintf(n, sizeof(n), "bit/%s.m32.r.lock", names[k]);
			snprintf(h, sizeof(h), "f0 0f %02x 16", opc);
			struct snippet *s = snip(n, fm, "%s", h);
			s->size = 32;
			s->prep = prep_bit_offset;
			snip_fix(s, ESI, ORA_DATA + 0x1000);
		}
	}
}

/* Every sixth vector gets a zero source (ECX or the memory slot). */
static void prep_bsx(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	(void)g;
	if (n % 6)
		return;
	if (s->src == OPND_MEM)
		mem_put32(ORA_SLOT, s->size == 16 ? mem_get32(ORA_SLOT) & 0xffff0000u : 0);
	else
		opnd_set(in, s->size, ECX, 0);
}

static void bsx_snip(const char *name, const char *hex, int size, int src)
{
	struct snippet *s = snip(name, OF_ZF, "%s", hex);
	s->rule = RULE_BSX;
	s->dest = EAX;
	s->size = (uint8_t)size;
	s->src = (uint8_t)src;
	s->prep = prep_bsx;
	s->nvec = 64;
	if (src == OPND_MEM)
		snip_fix(s, ESI, ORA_SLOT);
}

static void bit_scans(void)
{
	bsx_snip("bit/bsf.r32", "0f bc c1", 32, ECX);
	bsx_snip("bit/bsr.r32", "0f bd c1", 32, ECX);
	bsx_snip("bit/bsf.r16", "66 0f bc c1", 16, ECX);
	bsx_snip("bit/bsr.r16", "66 0f bd c1", 16, ECX);
	bsx_snip("bit/bsf.m32", "0f bc 06", 32, OPND_MEM);
	bsx_snip("bit/bsr.m32", "0f bd 06", 32, OPND_MEM);
	bsx_snip("bit/bsr.m16", "66 0f bd 06", 16, OPND_MEM);
	for (int r = 0; r < 8; r++) {
		if (r == ESP)
			continue;
		char n[32];
		snprintf(n, sizeof(n), "bit/bswap.r%d", r);
		snip(n, OF_ARITH, "0f %02x", 0xc8 + r)->nvec = 16;
	}
}

/* Half the vectors make the accumulator equal to the destination. */
static void prep_cmpxchg(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	(void)g;
	if (n % 2)
		return;
	uint32_t d = s->dest == OPND_MEM ? mem_get32(ORA_SLOT) : opnd_get(in, s->size, s->dest);
	opnd_set(in, s->size, EAX, d);
}

static void prep_cmpxchg8b(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	(void)s;
	(void)g;
	if (n % 2 == 0) {
		in->r[EAX] = mem_get32(ORA_SLOT);
		in->r[EDX] = mem_get32(ORA_SLOT + 4);
	} else if (n % 4 == 1) {
		in->r[EAX] = mem_get32(ORA_SLOT); /* low half equal only */
	}
}

static void cmpxchg_snip(const char *name, const char *hex, int size, int dest)
{
	struct snippet *s = snip(name, OF_ARITH, "%s", hex);
	s->size = (uint8_t)size;
	s->dest = (uint8_t)dest;
	s->prep = prep_cmpxchg;
	if (dest == OPND_MEM)
		snip_fix(s, ESI, ORA_SLOT);
}

static void exchanges(void)
{
	uint32_t fm = OF_ARITH;
	snip("xchg/xchg.r8", fm, "86 cb");
	snip("xchg/xchg.r8.hi", fm, "86 e5");
	snip("xchg/xchg.r32", fm, "87 cb");
	snip("xchg/xchg.r16", fm, "66 87 cb");
	snip("xchg/xchg.eax.ecx", fm, "91");
	snip("xchg/xchg.ax.cx", fm, "66 91");
	snip_fix(snip("xchg/xchg.m32", fm, "87 0e"), ESI, ORA_SLOT);
	snip_fix(snip("xchg/xchg.m8", fm, "86 0e"), ESI, ORA_SLOT);
	snip("xchg/xadd.r8", fm, "0f c0 cb")->nvec = 96;
	snip("xchg/xadd.r32", fm, "0f c1 cb")->nvec = 96;
	snip("xchg/xadd.r16", fm, "66 0f c1 cb");
	snip("xchg/xadd.same", fm, "0f c1 c9");
	snip_fix(snip("xchg/xadd.m32", fm, "0f c1 0e"), ESI, ORA_SLOT);
	snip_fix(snip("xchg/xadd.m32.lock", fm, "f0 0f c1 0e"), ESI, ORA_SLOT);
	cmpxchg_snip("xchg/cmpxchg.r8", "0f b0 cb", 8, EBX);
	cmpxchg_snip("xchg/cmpxchg.r32", "0f b1 cb", 32, EBX);
	cmpxchg_snip("xchg/cmpxchg.r16", "66 0f b1 cb", 16, EBX);
	cmpxchg_snip("xchg/cmpxchg.eax", "0f b1 c8", 32, EAX);
	cmpxchg_snip("xchg/cmpxchg.m32", "0f b1 0e", 32, OPND_MEM);
	cmpxchg_snip("xchg/cmpxchg.m8", "0f b0 0e", 8, OPND_MEM);
	cmpxchg_snip("xchg/cmpxchg.m32.lock", "f0 0f b1 0e", 32, OPND_MEM);
	struct snippet *s = snip("xchg/cmpxchg8b", fm, "0f c7 0e");
	s->prep = prep_cmpxchg8b;
	snip_fix(s, ESI, ORA_SLOT);
	s = snip("xchg/cmpxchg8b.lock", fm, "f0 0f c7 0e");
	s->prep = prep_cmpxchg8b;
	snip_fix(s, ESI, ORA_SLOT);
}

void snippets_bits(void)
{
	shifts();
	double_shifts();
	bit_tests();
	bit_scans();
	exchanges();
}
