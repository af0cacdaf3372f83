/*
 * Snippets: data movement, conditions (CMOVcc SETcc Jcc LOOP JCXZ), flag
 * instructions, string instructions with REP, the stack, XLAT.
 */
#include <stdio.h>

#include "gen.h"

static struct snippet *at_slot(struct snippet *s)
{
	snip_fix(s, ESI, ORA_SLOT);
	return s;
}

static void moves(void)
{
	uint32_t fm = OF_ARITH; /* none of these touch the flags */
	snip("mov/mov.rm8.r8", fm, "88 c8");
	snip("mov/mov.rm8.r8.hi", fm, "88 e5");
	snip("mov/mov.rm32.r32", fm, "89 c8");
	snip("mov/mov.rm16.r16", fm, "66 89 c8");
	snip("mov/mov.r8.rm8", fm, "8a d9");
	snip("mov/mov.r32.rm32", fm, "8b d1");
	snip("mov/mov.ah.imm", fm, "b4 a5");
	snip("mov/mov.ebx.imm", fm, "bb 78 56 34 12");
	snip("mov/mov.bx.imm", fm, "66 bb 34 12");
	snip("mov/mov.c6.r8", fm, "c6 c3 99");
	snip("mov/mov.c7.r32", fm, "c7 c3 ff ff ff 7f");
	at_slot(snip("mov/mov.m32.r32", fm, "89 0e"));
	at_slot(snip("mov/mov.r32.m32", fm, "8b 0e"));
	at_slot(snip("mov/mov.m8.r8", fm, "88 2e")); /* [esi], ch */
	at_slot(snip("mov/mov.r16.m16", fm, "66 8b 0e"));
	at_slot(snip("mov/mov.m8.imm", fm, "c6 06 5a"));
	at_slot(snip("mov/mov.m32.imm", fm, "c7 06 78 56 34 12"));
	at_slot(snip("mov/mov.m16.imm", fm, "66 c7 06 cd ab"));
	snip("mov/mov.eax.moffs", fm, "a1 04 01 02 00");
	snip("mov/mov.al.moffs", fm, "a0 05 01 02 00");
	snip("mov/mov.moffs.eax", fm, "a3 08 01 02 00");
	snip("mov/mov.moffs.al", fm, "a2 09 01 02 00");
	snip("mov/mov.ax.moffs", fm, "66 a1 06 01 02 00");
	snip("mov/mov.eax.moffs16", fm, "67 a1 04 81");
	snip("mov/mov.moffs16.ax", fm, "66 67 a3 0a 81");
	snip("mov/movzx.r32.r8", fm, "0f b6 c1");
	snip("mov/movzx.r32.r8.hi", fm, "0f b6 c5");
	snip("mov/movzx.r32.r16", fm, "0f b7 c1");
	snip("mov/movzx.r16.r8", fm, "66 0f b6 c1");
	snip("mov/movsx.r32.r8", fm, "0f be c1");
	snip("mov/movsx.r32.r8.hi", fm, "0f be c5");
	snip("mov/movsx.r32.r16", fm, "0f bf c1");
	snip("mov/movsx.r16.r8", fm, "66 0f be c1");
	at_slot(snip("mov/movzx.r32.m8", fm, "0f b6 06"));
	at_slot(snip("mov/movsx.r32.m16", fm, "0f bf 06"));
	at_slot(snip("mov/movsx.r32.m8", fm, "0f be 06"));
	/* Segment overrides (flat segments: no effect) and redundant prefixes. */
	at_slot(snip("mov/seg.es.load", fm, "26 8b 0e"));
	at_slot(snip("mov/seg.cs.load", fm, "2e 8b 0e"));
	at_slot(snip("mov/seg.ss.store", fm, "36 89 0e"));
	at_slot(snip("mov/seg.ds.add", OF_ARITH, "3e 01 0e"));
	snip("mov/prefix.66.66", fm, "66 66 89 c8");
	snip("mov/prefix.67.reg", fm, "67 89 c8");
	snip("mov/prefix.pause", fm, "f3 90");
	snip("mov/cbw", fm, "66 98");
	snip("mov/cwde", fm, "98");
	snip("mov/cwd", fm, "66 99");
	snip("mov/cdq", fm, "99");
}

static void conditions(void)
{
	static const char *const cc[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
					    "s", "ns", "p", "np", "l", "ge", "le", "g" };
	uint32_t fm = OF_ARITH;
	for (int c = 0; c < 16; c++) {
		char n[40];
		snprintf(n, sizeof(n), "cond/cmov%s.r32", cc[c]);
		snip(n, fm, "0f %02x c1", 0x40 + c)->nvec = 32;
		snprintf(n, sizeof(n), "cond/cmov%s.r16", cc[c]);
		snip(n, fm, "66 0f %02x c1", 0x40 + c)->nvec = 24;
		snprintf(n, sizeof(n), "cond/cmov%s.m32", cc[c]);
		at_slot(snip(n, fm, "0f %02x 06", 0x40 + c))->nvec = 24;
		snprintf(n, sizeof(n), "cond/set%s.r8", cc[c]);
		snip(n, fm, "0f %02x c0", 0x90 + c)->nvec = 32;
		snprintf(n, sizeof(n), "cond/set%s.ah", cc[c]);
		snip(n, fm, "0f %02x c4", 0x90 + c)->nvec = 24;
		snprintf(n, sizeof(n), "cond/set%s.m8", cc[c]);
		at_slot(snip(n, fm, "0f %02x 06", 0x90 + c))->nvec = 24;
		/* Taken: EAX keeps its value; not taken: EAX = 1. */
		snprintf(n, sizeof(n), "cond/j%s.rel8", cc[c]);
		snip(n, fm, "%02x 05 b8 01 00 00 00", 0x70 + c)->nvec = 32;
		snprintf(n, sizeof(n), "cond/j%s.rel32", cc[c]);
		snip(n, fm, "0f %02x 05 00 00 00 b8 01 00 00 00", 0x80 + c)->nvec = 32;
	}
}

/* Loop counts 1-20 (0 would mean 2^32 iterations); EDX a one-bit mask. */
static void prep_loop(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	(void)s;
	(void)n;
	in->r[ECX] = 1 + rnd(g) % 20;
	in->r[EDX] = rnd(g) & 1 ? 1u << (rnd(g) % 6) : in->r[EBX] + rnd(g) % 24;
}

static void prep_jcxz(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	(void)s;
	(void)g;
	if (n % 3 == 0)
		in->r[ECX] = 0;
	else if (n % 3 == 1)
		in->r[ECX] &= 0xffff0000u; /* CX zero, ECX not */
}

static void branches(void)
{
	struct snippet *s;
	uint32_t fm = OF_ARITH;
	s = snip("misc/loop", fm, "40 e2 fd"); /* inc eax; loop */
	s->prep = prep_loop;
	s = snip("misc/loopne", fm, "43 39 d3 e0 fb"); /* inc ebx; cmp ebx, edx; loopne */
	s->prep = prep_loop;
	s = snip("misc/loope", fm, "43 85 d3 e1 fb"); /* inc ebx; test ebx, edx; loope */
	s->prep = prep_loop;
	s = snip("misc/jecxz", fm, "e3 05 b8 01 00 00 00");
	s->prep = prep_jcxz;
	s = snip("misc/jcxz", fm, "67 e3 05 b8 01 00 00 00");
	s->prep = prep_jcxz;
	/* call +2 ; jmp end ; inc ebx ; ret */
	snip("misc/call.ret", fm, "e8 02 00 00 00 eb 02 43 c3");
	/* push 0x11 ; call ; jmp end ; inc ebx ; ret 4 */
	snip("misc/call.ret.imm", fm, "6a 11 e8 02 00 00 00 eb 04 43 c2 04 00");
	/* call ; pop eax: the return address */
	snip("misc/call.pop", fm, "e8 00 00 00 00 58");
}

static void flag_ops(void)
{
	uint32_t fm = OF_ARITH;
	snip("flags/lahf", fm, "9f")->nvec = 32;
	snip("flags/sahf", fm, "9e")->nvec = 64;
	snip("flags/cmc", fm, "f5")->nvec = 16;
	snip("flags/clc", fm, "f8")->nvec = 16;
	snip("flags/stc", fm, "f9")->nvec = 16;
	snip("flags/cld", fm, "fc")->nvec = 16;
	snip("flags/std", fm, "fd")->nvec = 16;
	/* PUSHF; POP; clear IF (1 on the host at CPL 3, whatever the engine
	 * runs with); push and pop again so the stack holds the masked value. */
	fm = OF_ARITH & ~OF_AF; /* of the AND */
	snip("flags/pushfd.pop", fm, "9c 58 25 ff fd ff ff 50 58")->nvec = 32;
	snip("flags/pushfw.pop", fm, "66 9c 66 58 66 25 ff fd 66 50 66 58")->nvec = 32;
}

/*
 * Strings: ESI -> base+0x280, EDI -> base+0x480; [base+0x400, +0x500) is a
 * copy of [base+0x200, +0x300) except one byte either side of the start,
 * so REPE/REPNE stop at a known distance in both directions.  kind 1 runs
 * with 16-bit addresses in the LOW page, with garbage above SI/DI/CX.
 */
static void prep_strings(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	static const uint32_t counts[] = { 0, 1, 2, 3, 4, 7, 8, 16, 31 };
	uint32_t base = s->kind ? ORA_LOW : ORA_DATA;
	uint8_t *src = mem_at(base + 0x200, 0x100), *dst = mem_at(base + 0x400, 0x100);
	for (int i = 0; i < 0x100; i++)
		dst[i] = src[i];
	uint32_t k = rnd(g) % 12;
	dst[0x80 + k] ^= 0x5a;
	dst[0x7f - k] ^= 0xa5;
	uint32_t count = counts[n % 9];
	in->r[ECX] = s->kind ? (rnd(g) & 0xffff0000u) | count : count;
	if (n % 2) {
		uint32_t at = base + 0x480 + rnd(g) % 16 - 8;
		in->r[EAX] = mem_get32(at);
	}
}

static void string_snip(const char *name, const char *hex, int a16)
{
	struct snippet *s = snip(name, OF_ARITH, "%s", hex);
	s->prep = prep_strings;
	s->kind = (uint8_t)a16;
	s->nvec = 54;
	if (a16) {
		snip_fix(s, ESI, 0xabcd0000u | (ORA_LOW + 0x280));
		snip_fix(s, EDI, 0x12340000u | (ORA_LOW + 0x480));
	} else {
		snip_fix(s, ESI, ORA_DATA + 0x280);
		snip_fix(s, EDI, ORA_DATA + 0x480);
	}
}

static void strings(void)
{
	static const struct {
		const char *name;
		int opc, cond; /* cond: takes REPE/REPNE */
	} ops[] = { { "movs", 0xa4, 0 }, { "cmps", 0xa6, 1 }, { "stos", 0xaa, 0 },
		    { "lods", 0xac, 0 }, { "scas", 0xae, 1 } };
	static const char sz[3] = { 'b', 'w', 'd' };
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (int z = 0; z < 3; z++) {
			const char *p66 = z == 1 ? "66 " : "";
			int opc = ops[o].opc + (z != 0);
			char n[48], h[32];
			snprintf(n, sizeof(n), "string/%s%c", ops[o].name, sz[z]);
			snprintf(h, sizeof(h), "%s%02x", p66, opc);
			string_snip(n, h, 0);
			snprintf(n, sizeof(n), "string/rep.%s%c", ops[o].name, sz[z]);
			snprintf(h, sizeof(h), "%sf3 %02x", p66, opc);
			string_snip(n, h, 0);
			if (ops[o].cond) {
				snprintf(n, sizeof(n), "string/repne.%s%c", ops[o].name, sz[z]);
				snprintf(h, sizeof(h), "%sf2 %02x", p66, opc);
				string_snip(n, h, 0);
			}
		}
	string_snip("string/a16.rep.movsb", "67 f3 a4", 1);
	string_snip("string/a16.rep.movsd", "67 f3 a5", 1);
	string_snip("string/a16.repe.cmpsw", "66 67 f3 a7", 1);
	string_snip("string/a16.repne.scasb", "67 f2 ae", 1);
	string_snip("string/a16.rep.stosd", "67 f3 ab", 1);
	string_snip("string/a16.lodsb", "67 ac", 1);
	string_snip("string/a16.cmpsb", "67 a6", 1);
	string_snip("string/seg.es.movsb", "26 a4", 0);
	string_snip("string/seg.cs.rep.lodsd", "2e f3 ad", 0);
	string_snip("string/rep.movsw.f3.66", "f3 66 a5", 0);
	string_snip("string/repne.movsb", "f2 a4", 0); /* F2 acts as REP on MOVS */
	/* Operands that straddle the two DATA pages, in either direction. */
	static const char *const cross[][2] = {
		{ "string/pagecross.rep.movsd", "f3 a5" }, { "string/pagecross.rep.stosw", "66 f3 ab" },
		{ "string/pagecross.repe.cmpsd", "f3 a7" }, { "string/pagecross.rep.lodsd", "f3 ad" },
	};
	for (unsigned i = 0; i < sizeof(cross) / sizeof(cross[0]); i++) {
		struct snippet *s = snip(cross[i][0], OF_ARITH, "%s", cross[i][1]);
		s->prep = prep_strings;
		s->nvec = 54;
		snip_fix(s, ESI, ORA_DATA + 0xffe);
		snip_fix(s, EDI, ORA_DATA + 0xff1);
	}
}

static void stack_ops(void)
{
	uint32_t fm = OF_ARITH;
	char n[32];
	for (int r = 0; r < 8; r++) {
		snprintf(n, sizeof(n), "stack/push.r%d", r);
		snip(n, fm, "%02x", 0x50 + r)->nvec = 16;
		snprintf(n, sizeof(n), "stack/pop.r%d", r);
		snip(n, fm, "%02x", 0x58 + r)->nvec = 16;
	}
	snip("stack/push.r16", fm, "66 50");
	snip("stack/push.sp16", fm, "66 54");
	snip("stack/pop.r16", fm, "66 5b");
	snip("stack/push.imm32", fm, "68 78 56 34 12")->nvec = 8;
	snip("stack/push.imm8", fm, "6a 80")->nvec = 8;
	snip("stack/push.imm16", fm, "66 68 34 12")->nvec = 8;
	snip("stack/push.imm8.16", fm, "66 6a ff")->nvec = 8;
	at_slot(snip("stack/push.m32", fm, "ff 36"));
	at_slot(snip("stack/pop.m32", fm, "8f 06"));
	snip("stack/pop.m.esp", fm, "8f 44 24 04");   /* pop [esp+4]: address after the pop */
	snip("stack/push.m.esp", fm, "ff 74 24 04");  /* push [esp+4] */
	snip("stack/pusha", fm, "60");
	snip("stack/popa", fm, "61");
	snip("stack/pushaw", fm, "66 60");
	snip("stack/popaw", fm, "66 61");
	snip_fix(snip("stack/push.pop.unaligned", fm, "50 5b 66 51"), ESP, ORA_ESP - 2);
	snip_fix(snip("stack/enter.16.0", fm, "c8 10 00 00"), EBP, ORA_STACK + 0x900);
	snip_fix(snip("stack/enter.8.1", fm, "c8 08 00 01"), EBP, ORA_STACK + 0x900);
	snip_fix(snip("stack/enter.8.3", fm, "c8 08 00 03"), EBP, ORA_STACK + 0x900);
	snip_fix(snip("stack/enter16.4.2", fm, "66 c8 04 00 02"), EBP, ORA_STACK + 0x900);
	snip_fix(snip("stack/leave", fm, "c9"), EBP, ORA_STACK + 0x840);
	snip_fix(snip("stack/leave16", fm, "66 c9"), EBP, ORA_STACK + 0x840);
	snip_fix(snip("stack/enter.leave", fm, "c8 0c 00 02 c9"), EBP, ORA_STACK + 0x900);
	snip_fix(snip("stack/enter.level33", fm, "c8 04 00 21"), EBP, ORA_STACK + 0x900); /* level mod 32 */
}

static void xlat_ops(void)
{
	snip_fix(snip("misc/xlat", OF_ARITH, "d7"), EBX, ORA_DATA + 0x300);
	snip_fix(snip("misc/xlat.a16", OF_ARITH, "67 d7"), EBX, 0xffff0000u | (ORA_LOW + 0x300));
}

/* Exceptions other than #DE: the engine must raise the same vector with
 * the same registers and reported EIP. */
static struct snippet *faulting(const char *name, const char *hex)
{
	struct snippet *s = snip(name, OF_ARITH, "%s", hex);
	s->may_fault = 1;
	s->nvec = 16;
	snip_fix(s, ESI, ORA_SLOT);
	return s;
}

/* BOUND: half the vectors have EAX (AX) inside [slot0, slot1]. */
static void prep_bound(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	if (n % 2)
		return;
	uint32_t lo = in->r[EAX] - rnd(g) % 16, hi = in->r[EAX] + rnd(g) % 16;
	if (s->size == 16)
		mem_put32(ORA_SLOT, (lo & 0xffff) | hi << 16);
	else {
		mem_put32(ORA_SLOT, lo);
		mem_put32(ORA_SLOT + 4, hi);
	}
}

static void exceptions(void)
{
	faulting("misc/ud.ud2", "0f 0b");
	faulting("misc/ud.ud2.66", "66 0f 0b");
	faulting("misc/ud.ud1", "0f b9 c0");
	faulting("misc/ud.lock.reg", "f0 01 c8");
	/* QEMU 7.2's user-mode emulator runs these three without #UD; the
	 * engine's own test exc_invalid_opcodes_are_ud covers them too. */
	faulting("misc/ud.lock.mov", "f0 89 0e")->emulator_differs = 1;
	faulting("misc/ud.lock.cmp", "f0 39 0e");
	faulting("misc/ud.lock.bt", "f0 0f a3 16")->emulator_differs = 1;
	faulting("misc/ud.lock.nop", "f0 90");
	faulting("misc/ud.lock.xchg.reg", "f0 87 cb")->emulator_differs = 1;
	faulting("misc/ud.lea.reg", "8d c0");
	faulting("misc/ud.cmpxchg8b.reg", "0f c7 c9");
	faulting("misc/into", "ce")->nvec = 32;
	faulting("misc/into.after.add", "01 c8 ce")->nvec = 32;
	faulting("misc/int3", "cc");
	struct snippet *s = faulting("misc/bound32", "62 06");
	s->nvec = 64;
	s->size = 32;
	s->prep = prep_bound;
	s = faulting("misc/bound16", "66 62 06");
	s->nvec = 64;
	s->size = 16;
	s->prep = prep_bound;
}

/* Self-modifying code (ORA_CODE is 0x10000): the write must reach the
 * instructions fetched after it, even ones already decoded. */
static void smc(void)
{
	uint32_t fm = OF_ARITH;
	/* mov byte [0x10008], 0x5a ; mov eax, 0x44332211 */
	snip("misc/smc.imm", fm, "c6 05 08 00 01 00 5a b8 11 22 33 44")->nvec = 8;
	/* mov dword [0x1000a], 0x90909090 ; 4x inc eax */
	snip("misc/smc.nops", fm, "c7 05 0a 00 01 00 90 90 90 90 40 40 40 40")->nvec = 8;
	/* again: add eax, 1 ; mov byte [0x10002], 5 ; loop again */
	struct snippet *s = snip("misc/smc.loop", fm, "83 c0 01 c6 05 02 00 01 00 05 e2 f4");
	s->prep = prep_loop;
	s->nvec = 16;
	/* the same through a register: mov [esi], cl with ESI -> the imm8 */
	s = snip("misc/smc.reg", fm, "83 c0 01 88 0e e2 f9");
	snip_fix(s, ESI, ORA_CODE + 2);
	s->prep = prep_loop;
	s->nvec = 16;
}

void snippets_misc(void)
{
	exceptions();
	smc();
	moves();
	conditions();
	branches();
	flag_ops();
	strings();
	stack_ops();
	xlat_ops();
}
