/*
 * The translator against the interpreter on random instruction sequences
 * generated from the instruction table (insn.def): every row in its
 * register and memory forms, both operand sizes, 16- and 32-bit
 * addressing, segment overrides, LOCK and REP prefixes, forward
 * branches between blocks, random registers, flags and memory, with and
 * without paging (an absent and a read-only page in the data area, so
 * accesses fault in the middle of blocks), and budgets that stop a run
 * part-way; the x87 starts from a random state (fpu_random.h), with
 * CR0.TS, EM, MP and NE random.  Any difference in registers, EIP, EFLAGS, CR2, the
 * exception, the instruction count, RAM, the x87 state or FERR pulses
 * fails (ediff.c).
 *
 * make test runs DIFF_CASES sequences; CORDON_DIFF_CASES=N runs N (a long
 * campaign), CORDON_DIFF_SEED=S starts at seed S (to replay a failure:
 * the failure line names its seed).
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "ediff.h"
#include "engine/soft/fpu.h"
#include "fpu_random.h"
#include "insn_gen.h"
#include "t.h"

#define DIFF_CASES 1500
#define MAX_INSNS 40

static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint32_t interesting(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
					 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 31, 32, 33 };
	return rnd() % 3 ? rnd() : edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
}

static bool is_branch(enum iop r)
{
	return insn_defs[r].fmt == FM_J;
}

/* Rows a random sequence may hold: no system state, segment loads,
 * stack-frame changes, I/O that ends a block or far transfers; forward
 * branches are placed by the generator. */
static bool eligible(enum iop r)
{
	const struct insn_def *d = &insn_defs[r];
	if (r == IOP_UD || d->sens)
		return false;
	if (is_branch(r))
		return true;
	switch (r) {
	case IOP_DIV_Eb: case IOP_DIV_Ev: case IOP_IDIV_Eb: case IOP_IDIV_Ev: case IOP_AAM:
	case IOP_UD2: case IOP_IN_AL_Ib: case IOP_IN_eAX_Ib: case IOP_IN_AL_DX: case IOP_IN_eAX_DX:
	case IOP_CLI: case IOP_CPUID: case IOP_RDTSC: case IOP_FWAIT:
		return true;
	case IOP_ENTER: case IOP_LEAVE: case IOP_LSS: case IOP_POPA:
		return false;
	default:
		break;
	}
	return !(d->attr & (D_END | D_XC | D_SREG | D_MOD3)) || d->fmt == FM_X87 || d->fmt == FM_GM;
}

/* The eligible rows, and those of them the translator has an emitter
 * for: half the instructions come from the second list, so the forms
 * translated inline are tried far more often than their share. */
static enum iop rows[IOP_COUNT], inline_rows[IOP_COUNT];
static int nrows, ninline;

static void collect_rows(void)
{
	nrows = ninline = 0;
	for (int r = 1; r < IOP_COUNT; r++) {
		if (!eligible((enum iop)r))
			continue;
		rows[nrows++] = (enum iop)r;
		if (insn_defs[r].emit)
			inline_rows[ninline++] = (enum iop)r;
	}
}

/* A register other than ESP for a word/dword operand (ESP stays a stack). */
static int pick_reg(bool byte)
{
	int r = (int)(rnd() % 8);
	return byte || r != 4 ? r : 3;
}

/* A page end each sequence keeps coming back to, so the TLB knows the
 * page before an access runs across its end. */
static uint32_t hot_edge;

static uint32_t data_addr(void)
{
	switch (rnd() % 6) {
	case 0: return EDIFF_DATA + 0x1000 * (rnd() % 16) - 1 - rnd() % 4; /* across a page end */
	case 1: case 2: return hot_edge - 1 - rnd() % 8; /* up to and across the hot page end */
	case 3: return rnd();
	default: return EDIFF_DATA + rnd() % EDIFF_DATA_MAX;
	}
}

static void pick_memory(struct gen_operands *o)
{
	o->mod = (int)(rnd() % 3);
	o->disp = rnd() % 2 ? (uint32_t)(int32_t)(int8_t)rnd() : data_addr();
	if (o->a16) {
		o->rm = (int)(rnd() % 8);
		return;
	}
	switch (rnd() % 5) {
	case 0: case 4: o->mod = 0, o->rm = 5, o->disp = data_addr(); break;     /* [disp32] */
	case 1: o->rm = pick_reg(false) == 5 && o->mod == 0 ? 6 : pick_reg(false); break; /* [base+disp] */
	default:                                                                /* SIB */
		o->rm = 4;
		o->sib_base = (int)(rnd() % 8);
		o->sib_index = (int)(rnd() % 8);
		o->sib_scale = (int)(rnd() % 4);
		break;
	}
	if (o->mod == 0 && o->rm == 5)
		o->disp = data_addr();
}

static void pick_operands(enum iop r, struct gen_operands *o)
{
	const struct insn_def *d = &insn_defs[r];
	bool byte = d->attr & D_BYTE;
	memset(o, 0, sizeof(*o));
	o->op16 = !byte && !is_branch(r) && d->fmt != FM_X87 && rnd() % 4 == 0;
	o->a16 = rnd() % 16 == 0;
	o->reg = pick_reg(byte);
	if ((d->attr & D_REGOP) && r == IOP_XCHG_Zv_eAX && o->reg == 0)
		o->reg = 1;
	bool modrm = (d->attr & D_MODRM) || d->group != GRP_NONE;
	bool mem = modrm && ((d->attr & D_MEMONLY) || rnd() % 2);
	if (mem) {
		pick_memory(o);
	} else {
		o->mod = 3;
		o->rm = pick_reg(byte);
	}
	if (rnd() % 10 == 0)
		o->seg_prefix = (uint8_t[]){ 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 }[rnd() % 6];
	if (mem && rnd() % 16 == 0)
		o->lock = true;
	if ((d->attr & D_STRING) && rnd() % 2)
		o->rep = rnd() % 2 ? 0xf3 : 0xf2;
	o->imm = interesting();
	o->imm2 = (uint16_t)(rnd() % 4);
}

struct seq {
	uint8_t code[MAX_INSNS * 28];
	size_t n;
	size_t start[MAX_INSNS + 1];  /* offset of each instruction (and of the HLT) */
	int branch_to[MAX_INSNS];     /* target index of a branch, -1 */
	size_t disp_at[MAX_INSNS];    /* where its displacement is */
	int disp_size[MAX_INSNS];
	uint32_t undef;               /* undefined flags of the rows used */
	uint32_t poison;              /* flags undefined at this point of the code */
};

/*
 * Flags the SDM leaves undefined are the host CPU's in translated code,
 * not the interpreter's: a sequence must not read them (its results
 * would differ legitimately).  Before an instruction that reads an
 * undefined flag, branches with some undefined (its target would inherit
 * them) or pushes EFLAGS, a CMP EAX, ECX defines them all again; it is
 * part of the instruction, so branches to it run it too.
 */
static void define_flags(struct seq *s, enum iop r)
{
	const struct insn_def *d = &insn_defs[r];
	bool needs = (d->fl_in & s->poison) || (is_branch(r) && s->poison) || (r == IOP_PUSHF && s->poison);
	if (needs) {
		s->code[s->n++] = 0x39; /* cmp eax, ecx */
		s->code[s->n++] = 0xc8;
		s->poison = 0;
	}
	/* A shift by a count of 0 writes no flags; nor does a REPE/REPNE
	 * compare with ECX = 0, which keeps the previous undefined ones. */
	uint32_t defined = (d->attr & (D_CONDFL | D_STRING)) ? 0 : d->fl_out & ~d->fl_undef;
	s->poison = (s->poison & ~defined) | d->fl_undef;
}

static void emit_insn(struct seq *s, int k, int count)
{
	enum iop r = rnd() % 2 ? rows[rnd() % (uint32_t)nrows] : inline_rows[rnd() % (uint32_t)ninline];
	struct gen_operands o;
	pick_operands(r, &o);
	s->undef |= insn_defs[r].fl_undef;
	s->start[k] = s->n; /* a branch to it runs the count's MOV too */
	define_flags(s, r);
	if (o.rep) { /* a short count for the loop: mov ecx, n */
		s->code[s->n++] = 0xb9;
		uint32_t n = rnd() % 6;
		memcpy(s->code + s->n, &n, 4);
		s->n += 4;
	}
	s->branch_to[k] = -1;
	if (is_branch(r)) {
		o.imm = 0;
		o.op16 = false;
		size_t n = gen_encode(r, &o, s->code + s->n);
		s->disp_size[k] = insn_defs[r].imm == IM_BS ? 1 : 4;
		s->disp_at[k] = s->n + n - (size_t)s->disp_size[k];
		s->branch_to[k] = k + 1 + (int)(rnd() % 6);
		if (s->branch_to[k] > count)
			s->branch_to[k] = count;
		s->n += n;
		return;
	}
	s->n += gen_encode(r, &o, s->code + s->n);
}

static void build(struct seq *s, int count)
{
	memset(s, 0, sizeof(*s));
	for (int k = 0; k < count; k++)
		emit_insn(s, k, count);
	s->start[count] = s->n; /* the HLT ediff appends */
	for (int k = 0; k < count; k++) {
		if (s->branch_to[k] < 0)
			continue;
		int32_t rel = (int32_t)(s->start[s->branch_to[k]] - (s->disp_at[k] + (size_t)s->disp_size[k]));
		if (s->disp_size[k] == 1)
			s->code[s->disp_at[k]] = (uint8_t)rel;
		else
			memcpy(s->code + s->disp_at[k], &rel, 4);
	}
}

static void hex(const uint8_t *b, size_t n, char *out, size_t outlen)
{
	size_t used = 0;
	for (size_t k = 0; k < n && used + 3 < outlen; k++)
		used += (size_t)snprintf(out + used, outlen - used, "%02x", b[k]);
}

static bool run_case(uint32_t seed)
{
	static struct fpu fpu;
	static struct seq s;
	static uint8_t data[EDIFF_DATA_MAX];
	static const uint32_t edges[] = { EDIFF_ABSENT_PAGE, EDIFF_RO_PAGE, EDIFF_RO_PAGE + 0x1000, EDIFF_DATA + 0x1000 };
	rng = seed * 2654435761u + 1;
	hot_edge = edges[rnd() % 4];
	build(&s, 1 + (int)(rnd() % MAX_INSNS));
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)rnd();
	/* Flags the SDM leaves undefined after a row of the sequence are the
	 * host CPU's in translated code: not compared. */
	struct ediff_case c = { .code = s.code, .code_len = s.n, .data = data, .data_len = sizeof(data),
				.mask_flags = s.undef };
	for (int r = 0; r < 8; r++)
		c.r[r] = rnd() % 4 ? EDIFF_DATA + rnd() % EDIFF_DATA_MAX : interesting();
	c.r[R_EAX] = interesting();
	c.r[R_ECX] = rnd() % 2 ? rnd() % 40 : interesting();
	c.r[R_EDX] = interesting();
	c.r[R_ESP] = FX_STACK - 4 * (rnd() % 16);
	c.eflags = rnd() & (FL_ARITH | FL_DF);
	c.paging = rnd() % 2 == 0;
	c.budget = rnd() % 4 ? 100000 : 1 + rnd() % 40;
	fpu_random_state(&fpu, rnd);
	c.fpu = &fpu;
	c.cr0_set = (rnd() % 12 == 0 ? CR0_TS : 0) | (rnd() % 24 == 0 ? CR0_EM : 0) | (rnd() % 4 == 0 ? CR0_MP : 0);
	c.cr0_clear = rnd() % 6 == 0 ? CR0_NE : 0;
	char why[600];
	if (ediff_run(&c, NULL, why, sizeof(why)) == 0)
		return true;
	char code[2 * sizeof(s.code) + 1] = "";
	hex(s.code, s.n, code, sizeof(code));
	/* The shortest prefix that still differs (the code after it is
	 * zeros; a branch past its end runs them as in both engines). */
	int count = 0;
	while (s.start[count] != s.n)
		count++;
	char last[40] = "", first_why[200];
	for (int k = 1; k <= count; k++) {
		c.code_len = s.start[k];
		if (ediff_run(&c, NULL, first_why, sizeof(first_why)) != 0) {
			hex(s.code + s.start[k - 1], s.start[k] - s.start[k - 1], last, sizeof(last));
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "; first with %d instructions, the last %s: %s", k,
				 last, first_why);
			break;
		}
	}
	t_fail(__FILE__, __LINE__, "seed %u (paging %d, budget %llu): %s; code %s", seed, c.paging,
	       (unsigned long long)c.budget, why, code);
	return false;
}

TEST(diff_random_sequences_from_the_table)
{
	collect_rows();
	CHECK(nrows > 300);
	const char *env = getenv("CORDON_DIFF_CASES");
	const char *start = getenv("CORDON_DIFF_SEED");
	uint32_t cases = env ? (uint32_t)strtoul(env, NULL, 10) : DIFF_CASES;
	uint32_t first = start ? (uint32_t)strtoul(start, NULL, 10) : 1;
	int failures = 0;
	for (uint32_t k = 0; k < cases && failures < 5; k++)
		if (!run_case(first + k))
			failures++;
}
