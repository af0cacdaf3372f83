/*
 * Snippets: an instruction whose flags the next ones consume.  The engine
 * computes flags lazily, so each consumer (SETcc for all sixteen
 * conditions, ADC/SBB, DAA/AAA, LAHF, RCL, CMOVcc, INC keeping CF...) is
 * run after each producer and operand size.
 */
#include <stdio.h>
#include <string.h>

#include "gen.h"

/* setcc [esi+k] for every condition k, as hex. */
static void all_setcc(char *buf, size_t n)
{
	size_t k = strlen(buf);
	for (int c = 0; c < 16; c++)
		k += (size_t)snprintf(buf + k, n - k, " 0f %02x 46 %02x", 0x90 + c, c);
}

static struct snippet *producer(const char *name, const char *hex, uint32_t fm)
{
	char n[64], h[400];
	snprintf(n, sizeof(n), "lazy/%s.setcc", name);
	snprintf(h, sizeof(h), "%s", hex);
	all_setcc(h, sizeof(h));
	struct snippet *s = snip(n, fm, "%s", h);
	snip_fix(s, ESI, ORA_DATA + 0x200);
	s->nvec = 64;
	return s;
}

static void producers(void)
{
	static const char *const alu[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
	static const char *const sz[3] = { "8", "16", "32" };
	uint32_t logic = OF_ARITH & ~OF_AF;
	char n[32], h[32];
	for (int k = 0; k < 8; k++) {
		uint32_t fm = (k == 1 || k == 4 || k == 6) ? logic : OF_ARITH;
		for (int z = 0; z < 3; z++) {
			snprintf(n, sizeof(n), "%s%s", alu[k], sz[z]);
			/* op al,cl / op cx,dx (to see the 16-bit sign) / op eax,ecx */
			snprintf(h, sizeof(h), z == 0 ? "%02x c8" : z == 1 ? "66 %02x d1" : "%02x c8",
				 k * 8 + (z != 0));
			producer(n, h, fm);
		}
	}
	producer("test8", "84 c8", logic);
	producer("test16", "66 85 c8", logic);
	producer("test32", "85 c8", logic);
	producer("inc8", "fe c1", OF_ARITH);
	producer("inc16", "66 41", OF_ARITH);
	producer("inc32", "41", OF_ARITH);
	producer("dec8", "fe c9", OF_ARITH);
	producer("dec16", "66 49", OF_ARITH);
	producer("dec32", "49", OF_ARITH);
	producer("neg8", "f6 d9", OF_ARITH);
	producer("neg16", "66 f7 d9", OF_ARITH);
	producer("neg32", "f7 d9", OF_ARITH);
	/* Shifts by one: OF CF SF ZF PF defined (AF, which SETcc ignores, is not). */
	producer("shl1.8", "d0 e1", OF_ARITH & ~OF_AF);
	producer("shr1.16", "66 d1 e9", OF_ARITH & ~OF_AF);
	producer("sar1.32", "d1 f9", OF_ARITH & ~OF_AF);
	producer("rol1.32", "d1 c1", OF_ARITH);
	producer("rcr1.8", "d0 d9", OF_ARITH);
	producer("sahf", "9e", OF_ARITH);
	producer("stc", "f9", OF_ARITH);
	producer("xadd32", "0f c1 c8", OF_ARITH);
	producer("cmpxchg16", "66 0f b1 d1", OF_ARITH);
	snip_fix(producer("scasb", "ae", OF_ARITH), EDI, ORA_DATA + 0x400);
}

static void chain(const char *name, const char *hex, uint32_t fm, int nvec)
{
	char n[64];
	snprintf(n, sizeof(n), "lazy/%s", name);
	snip(n, fm, "%s", hex)->nvec = nvec;
}

static void consumers(void)
{
	uint32_t all = OF_ARITH;
	chain("add.inc.keeps_cf", "01 c8 42 0f 92 c3 0f 90 c7", all, 64); /* add; inc edx; setc bl; seto bh */
	chain("sub.dec.keeps_cf", "28 c8 4a 0f 92 c3", all, 64);
	chain("cmp.adc", "39 c8 11 da", all, 64);
	chain("sub.sbb", "29 c8 19 da", all, 64);
	chain("add8.adc8", "00 c8 10 fa", all, 64);   /* add al,cl; adc dl,bh */
	chain("add16.sbb16", "66 01 c8 66 19 da", all, 64);
	chain("add.daa", "00 c8 27", OF_ARITH & ~OF_OF, 128);
	chain("adc.daa", "10 c8 27", OF_ARITH & ~OF_OF, 64);
	chain("sub.das", "28 c8 2f", OF_ARITH & ~OF_OF, 128);
	chain("add.aaa", "00 c8 37", OF_CF | OF_AF, 128);
	chain("sub.aas", "28 c8 3f", OF_CF | OF_AF, 128);
	chain("inc.aaa", "fe c0 37", OF_CF | OF_AF, 64);
	chain("add.lahf", "00 c8 9f", all, 64);
	chain("sub16.lahf", "66 29 c8 9f", all, 64);
	chain("inc.lahf", "40 9f", all, 64);
	chain("neg.lahf", "f6 d8 9f", all, 64);
	chain("and.lahf", "21 c8 9f 80 e4 ef", OF_ARITH & ~OF_AF, 64); /* AH & ~AF afterwards */
	chain("add.cmc", "01 c8 f5", all, 48);
	chain("add.rcl", "01 c8 d1 d2", all, 48);
	chain("sub8.rcr", "28 c8 d0 da", all, 48);
	chain("add16.cmovb", "66 01 c8 0f 42 d3", all, 48);
	chain("sub.cmovle", "29 c8 0f 4e d3", all, 48);
	chain("add.salc", "00 c8 d6", all, 48);
	chain("add.jb", "01 c8 72 05 b8 01 00 00 00", all, 48);
	chain("cmp8.jl", "38 c8 7c 05 b8 01 00 00 00", all, 48);
	chain("dec16.jo", "66 49 70 05 b8 01 00 00 00", all, 48);
	chain("sub.setbe.setg", "29 d1 0f 96 c0 0f 9f c4", all, 64);
	chain("imul.adc", "0f af c1 11 da", OF_CF | OF_OF, 48); /* CF from IMUL */
	chain("mul8.jo", "f6 e1 70 05 bb 01 00 00 00", OF_CF | OF_OF, 48);
	chain("shl.cl.adc", "d3 e0 83 d2 00", all, 48); /* CF of SHL by CL (kept when CL & 31 is 0) */
}

void snippets_lazy(void)
{
	producers();
	consumers();
}
