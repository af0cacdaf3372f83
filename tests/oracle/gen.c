/*
 * oracle-gen [substring]: runs every snippet of the table (or those whose
 * name contains the argument) natively over a set of deterministic inputs
 * and prints one line per run (see print_vector for the format).  Must be
 * built with -m32: the snippets are IA-32 code.
 *
 * A run: fill LOW/DATA/STACK with ora_fill(), put interesting values in the
 * slots, let the snippet's prep adjust registers and memory, then jump to
 * the snippet through tramp.S with the registers and flags loaded; the
 * epilogue appended to the snippet stores the registers and EFLAGS.  A
 * divide error (SIGFPE) is caught on an alternate stack and recorded as
 * #DE with the registers at the fault; any other signal means the table is
 * wrong and stops the generator.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "gen.h"

void run_native(void);
void native_return(void);

struct snippet *snippets;
int nsnippets;
static int snippets_cap;

static uint8_t *mem_low, *mem_code, *mem_data, *mem_stack, *mem_ctrl;

static volatile sig_atomic_t fault_sig;
static volatile uint32_t fault_eip, fault_trap;
static struct ora_regs fault_regs;

/* --- random inputs --------------------------------------------------------- */

uint32_t rnd(struct rng *g)
{
	/* splitmix64: good enough spread, trivially reproducible */
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

uint32_t interesting(struct rng *g)
{
	static const uint32_t edge32[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0xfffffffe, 0x80000001, 0x100, 0x10000,
		0x0f, 0x10, 0x99, 0x09,
	};
	static const uint32_t edge16[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x8001 };
	static const uint32_t edge8[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x0f, 0x10, 0x99, 0x9a, 0x0a };
	switch (rnd(g) % 10) {
	case 0: case 1: case 2: case 3:
		return rnd(g);
	case 4: case 5:
		return edge32[rnd(g) % (sizeof(edge32) / sizeof(edge32[0]))];
	case 6:
		return (rnd(g) & ~0xffffu) | edge16[rnd(g) % (sizeof(edge16) / sizeof(edge16[0]))];
	case 7:
		return (rnd(g) & ~0xffu) | edge8[rnd(g) % (sizeof(edge8) / sizeof(edge8[0]))];
	case 8:
		return rnd(g) % 18;
	default:
		return 0u - rnd(g) % 18;
	}
}

/* --- memory ---------------------------------------------------------------- */

static const struct region {
	uint32_t base, size;
} regions[] = {
	{ ORA_LOW, ORA_LOW_SIZE },
	{ ORA_DATA, ORA_DATA_SIZE },
	{ ORA_STACK, ORA_STACK_SIZE },
};
#define NREGIONS 3

static uint8_t *region_host(int i)
{
	return i == 0 ? mem_low : i == 1 ? mem_data : mem_stack;
}

uint8_t *mem_at(uint32_t addr, uint32_t len)
{
	for (int i = 0; i < NREGIONS; i++)
		if (addr >= regions[i].base && addr + len <= regions[i].base + regions[i].size)
			return region_host(i) + (addr - regions[i].base);
	fprintf(stderr, "oracle-gen: prep touches %#x+%u outside the data regions\n", addr, len);
	exit(1);
}

uint32_t mem_get32(uint32_t addr)
{
	uint32_t v;
	memcpy(&v, mem_at(addr, 4), 4);
	return v;
}

void mem_put32(uint32_t addr, uint32_t v)
{
	memcpy(mem_at(addr, 4), &v, 4);
}

/* 0 when ORA_LOW could not be mapped (vm.mmap_min_addr above it). */
static int low_mapped = 1;

static void *try_map_fixed(uint32_t addr, uint32_t size, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != MAP_FAILED && p != (void *)(uintptr_t)addr) {
		munmap(p, size); /* a kernel that ignored the hint */
		return NULL;
	}
	return p == MAP_FAILED ? NULL : p;
}

static void *map_fixed(uint32_t addr, uint32_t size, int prot)
{
	void *p = try_map_fixed(addr, size, prot);
	if (!p) {
		fprintf(stderr, "oracle-gen: cannot map %#x (%u bytes) here: %m\n", addr, size);
		exit(1);
	}
	return p;
}

static void map_all(void)
{
	int rw = PROT_READ | PROT_WRITE;
	mem_low = try_map_fixed(ORA_LOW, ORA_LOW_SIZE, rw);
	if (!mem_low) {
		/* Keep the vectors' layout; just skip what needs the page. */
		fprintf(stderr, "oracle-gen: warning: cannot map %#x (vm.mmap_min_addr?); "
			"skipping the snippets with 16-bit memory addresses\n", ORA_LOW);
		low_mapped = 0;
		mem_low = calloc(1, ORA_LOW_SIZE);
		if (!mem_low)
			abort();
	}
	mem_code = map_fixed(ORA_CODE, 0x1000, rw | PROT_EXEC);
	mem_data = map_fixed(ORA_DATA, ORA_DATA_SIZE, rw);
	mem_stack = map_fixed(ORA_STACK, ORA_STACK_SIZE, rw);
	mem_ctrl = map_fixed(ORA_CTRL, 0x1000, rw);
	uint32_t code = ORA_CODE, ret = (uint32_t)(uintptr_t)native_return;
	memcpy(mem_ctrl + CTRL_CODE, &code, 4);
	memcpy(mem_ctrl + CTRL_RET, &ret, 4);
}

static void fill_regions(void)
{
	for (int i = 0; i < NREGIONS; i++)
		for (uint32_t a = 0; a < regions[i].size; a++)
			region_host(i)[a] = ora_fill(regions[i].base + a);
}

/* The regions as they were just before the run. */
static uint8_t before[NREGIONS][ORA_DATA_SIZE];

static void snapshot_regions(void)
{
	for (int i = 0; i < NREGIONS; i++)
		memcpy(before[i], region_host(i), regions[i].size);
}

static int region_differs(int i, uint32_t a, int vs_before)
{
	uint8_t ref = vs_before ? before[i][a] : ora_fill(regions[i].base + a);
	return region_host(i)[a] != ref;
}

/* Prints the bytes that differ from the fill (or from the snapshot) as
 * addr:hex runs, or "-" when none does. */
static void print_diffs(FILE *out, int vs_before)
{
	int any = 0;
	for (int i = 0; i < NREGIONS; i++) {
		const uint8_t *h = region_host(i);
		for (uint32_t a = 0; a < regions[i].size;) {
			if (!region_differs(i, a, vs_before)) {
				a++;
				continue;
			}
			fprintf(out, "%s%x:", any ? "," : "", regions[i].base + a);
			any = 1;
			while (a < regions[i].size && region_differs(i, a, vs_before))
				fprintf(out, "%02x", h[a++]);
		}
	}
	if (!any)
		fputc('-', out);
}

/* --- the snippet table ----------------------------------------------------- */

static int parse_hex(const char *s, uint8_t *out, int max)
{
	int n = 0;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		unsigned v;
		if (n == max || sscanf(s, "%2x", &v) != 1 || !s[1] || s[1] == ' ')
			return -1;
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

struct snippet *snip(const char *name, uint32_t fmask, const char *hexfmt, ...)
{
	char hex[512];
	va_list ap;
	va_start(ap, hexfmt);
	vsnprintf(hex, sizeof(hex), hexfmt, ap);
	va_end(ap);
	if (nsnippets == snippets_cap) {
		snippets_cap = snippets_cap ? snippets_cap * 2 : 512;
		snippets = realloc(snippets, sizeof(*snippets) * (size_t)snippets_cap);
		if (!snippets)
			abort();
	}
	struct snippet *s = &snippets[nsnippets++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->len = parse_hex(hex, s->code, (int)sizeof(s->code));
	if (s->len <= 0 || strchr(name, ' ') || !strchr(name, '/')) {
		fprintf(stderr, "oracle-gen: bad snippet %s: \"%s\"\n", name, hex);
		exit(1);
	}
	s->fmask = fmask;
	s->rule = RULE_FIXED;
	s->nvec = 48;
	return s;
}

void snip_fix(struct snippet *s, int reg, uint32_t v)
{
	s->fix_mask |= (uint8_t)(1u << reg);
	s->fix[reg] = v;
}

uint32_t opnd_get(const struct ora_regs *in, int size, int r)
{
	if (size == 8)
		return r < 4 ? in->r[r] & 0xff : (in->r[r - 4] >> 8) & 0xff;
	return size == 16 ? in->r[r] & 0xffff : in->r[r];
}

void opnd_set(struct ora_regs *in, int size, int r, uint32_t v)
{
	if (size == 8 && r >= 4)
		in->r[r - 4] = (in->r[r - 4] & ~0xff00u) | ((v & 0xff) << 8);
	else if (size == 8)
		in->r[r] = (in->r[r] & ~0xffu) | (v & 0xff);
	else if (size == 16)
		in->r[r] = (in->r[r] & ~0xffffu) | (v & 0xffff);
	else
		in->r[r] = v;
}

/* --- running natively ------------------------------------------------------ */

/* The trap number of a fault whose signal frame carries none.  Linux fills
 * in REG_TRAPNO; QEMU's user-mode emulator, which runs this generator on
 * hosts whose kernel runs no 32-bit programs (see run.sh), leaves it -1.
 * Then the signal tells, and for SIGSEGV the instruction: INTO (0xce) is a
 * trap, so EIP is past it; BOUND faults with EIP at it. */
static uint32_t infer_trap(int sig, uint32_t eip)
{
	switch (sig) {
	case SIGFPE: return 0;
	case SIGTRAP: return 3;
	case SIGILL: return 6;
	case SIGSEGV:
		if (eip > ORA_CODE && mem_code[eip - 1 - ORA_CODE] == 0xce)
			return 4;
		return 5;
	default: return 0xffffffffu;
	}
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	(void)si;
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int map[8] = { REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI };
	for (int r = 0; r < 8; r++)
		fault_regs.r[r] = (uint32_t)g[map[r]];
	fault_regs.fl = (uint32_t)g[REG_EFL];
	fault_eip = (uint32_t)g[REG_EIP];
	fault_trap = (uint32_t)g[REG_TRAPNO];
	if (fault_trap > 31 && fault_eip >= ORA_CODE && fault_eip < ORA_CODE + 0x1000u)
		fault_trap = infer_trap(sig, fault_eip);
	fault_sig = sig;
	/* Resume in native_return on the C stack, as the epilogue would. */
	uint32_t host_esp;
	memcpy(&host_esp, mem_ctrl + CTRL_HOST_ESP, 4);
	g[REG_EIP] = (greg_t)(uintptr_t)native_return;
	g[REG_ESP] = (greg_t)host_esp;
	g[REG_EFL] &= ~(greg_t)OF_DF;
}

static void install_handlers(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0) {
		perror("oracle-gen: sigaltstack");
		exit(1);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Stores EAX..EDI at CTRL_OUT, back to the C stack, EFLAGS, jump back. */
static int emit_epilogue(uint8_t *p)
{
	uint8_t *start = p;
	static const uint8_t store_modrm[8] = { 0, 0x0d, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d };
	for (int r = 0; r < 8; r++) {
		uint32_t a = ORA_CTRL + CTRL_OUT + 4u * (uint32_t)r;
		if (r == 0) {
			*p++ = 0xa3;
		} else {
			*p++ = 0x89;
			*p++ = store_modrm[r];
		}
		memcpy(p, &a, 4);
		p += 4;
	}
	uint32_t host = ORA_CTRL + CTRL_HOST_ESP, fl = ORA_CTRL + CTRL_OUT + 32, ret = ORA_CTRL + CTRL_RET;
	*p++ = 0x8b; *p++ = 0x25; memcpy(p, &host, 4); p += 4; /* mov esp, [host] */
	*p++ = 0x9c;                                            /* pushfd */
	*p++ = 0x8f; *p++ = 0x05; memcpy(p, &fl, 4); p += 4;   /* pop dword [fl] */
	*p++ = 0xff; *p++ = 0x25; memcpy(p, &ret, 4); p += 4;  /* jmp [ret] */
	return (int)(p - start);
}

/* Runs the snippet in mem_code with `in`; returns 0 or the signal number. */
static int run_one(const struct ora_regs *in, struct ora_regs *out)
{
	memcpy(mem_ctrl + CTRL_IN, in, sizeof(*in));
	fault_sig = 0;
	run_native();
	if (fault_sig) {
		*out = fault_regs;
		return fault_sig;
	}
	memcpy(out, mem_ctrl + CTRL_OUT, sizeof(*out));
	return 0;
}

/* --- vectors --------------------------------------------------------------- */

static void make_input(const struct snippet *s, struct ora_regs *in, struct rng *g, int n)
{
	fill_regions();
	for (int r = 0; r < 8; r++)
		in->r[r] = interesting(g);
	in->r[ESP] = ORA_ESP;
	uint32_t fl = n == 0 ? 0 : n == 1 ? OF_ARITH : rnd(g) & OF_ARITH;
	if (rnd(g) & 1)
		fl |= OF_DF;
	in->fl = 0x202 | fl;
	for (uint32_t k = 0; k < 2; k++) {
		mem_put32(ORA_SLOT + 4 * k, interesting(g));
		mem_put32(ORA_SLOT16 + 4 * k, interesting(g));
	}
	if (!strncmp(s->name, "stack/", 6))
		for (uint32_t k = 0; k < 8; k++)
			mem_put32(ORA_STACK_SLOT + 4 * k, interesting(g));
	for (int r = 0; r < 8; r++)
		if (s->fix_mask & (1u << r))
			in->r[r] = s->fix[r];
	if (s->prep)
		s->prep(s, in, g, n);
}

static uint32_t shift_mask(const struct snippet *s, const struct ora_regs *in)
{
	int count = (s->count == COUNT_CL ? (int)(in->r[ECX] & 0xff) : s->count) & 0x1f;
	if (count == 0)
		return OF_ARITH;
	uint32_t m = OF_ARITH;
	if (count != 1)
		m &= ~OF_OF;
	switch (s->kind) {
	case SK_ROL: case SK_ROR: case SK_RCL: case SK_RCR:
		return m; /* SF ZF AF PF untouched, CF defined */
	case SK_SHL: case SK_SAL: case SK_SHR:
		if (count >= s->size)
			m &= ~OF_CF;
		/* fall through */
	default:
		return m & ~OF_AF;
	}
}

/* Flag and compare masks of one run (see enum rule). */
static void vector_masks(const struct snippet *s, const struct ora_regs *in, const struct ora_regs *out,
			 uint32_t *fmask, uint32_t *cmp)
{
	*fmask = s->fmask | OF_DF;
	*cmp = CMP_REGS | CMP_MEM;
	if (s->rule == RULE_SHIFT) {
		*fmask = shift_mask(s, in) | OF_DF;
	} else if (s->rule == RULE_SHXD) {
		int count = (s->count == COUNT_CL ? (int)(in->r[ECX] & 0xff) : s->count) & 0x1f;
		if (count > s->size) {
			*fmask = OF_DF;
			*cmp &= s->dest == OPND_MEM ? ~CMP_MEM : ~(1u << s->dest);
		} else if (count > 1) {
			*fmask = (OF_ARITH & ~(OF_OF | OF_AF)) | OF_DF;
		} else if (count == 1) {
			*fmask = (OF_ARITH & ~OF_AF) | OF_DF;
		} else {
			*fmask = OF_ARITH | OF_DF;
		}
	} else if (s->rule == RULE_BSX && (out->fl & OF_ZF)) {
		*cmp &= ~(1u << s->dest);
	}
}

/*
 * One line per run, 25 space-separated fields:
 *   name code cmp fmask  in:eax ecx edx ebx esp ebp esi edi eflags  in-mem
 *   status  out:eax ecx edx ebx esp ebp esi edi eflags  out-mem
 * in-mem: the bytes that differ from ora_fill() before the run; status
 * "ok": out eflags already masked with fmask, out-mem the bytes the run
 * changed.  status "#DE" (or #BP #OF #BR #UD): the registers at the
 * exception, eflags replaced by the offset of the EIP it reports (the
 * instruction for faults, the next one for traps), out-mem "-".
 */
static void print_vector(FILE *o, const struct snippet *s, const struct ora_regs *in, const char *inmem,
			 const char *exc, const struct ora_regs *out, uint32_t fmask, uint32_t cmp)
{
	fprintf(o, "%s ", s->name);
	for (int i = 0; i < s->len; i++)
		fprintf(o, "%02x", s->code[i]);
	fprintf(o, " %x %x", cmp, fmask);
	for (int r = 0; r < 8; r++)
		fprintf(o, " %x", in->r[r]);
	fprintf(o, " %x %s %s", in->fl, inmem, exc ? exc : "ok");
	for (int r = 0; r < 8; r++)
		fprintf(o, " %x", out->r[r]);
	if (exc) {
		fprintf(o, " %x -\n", fault_eip - ORA_CODE);
		return;
	}
	fprintf(o, " %x ", out->fl & fmask);
	print_diffs(o, 1);
	fputc('\n', o);
}

/* The status of a run that ended in a signal: #DE is always expected;
 * the other exceptions only from the snippets marked may_fault. */
static const char *exception_name(const struct snippet *s, int sig)
{
	if (sig == SIGFPE && fault_trap == 0)
		return "#DE";
	if (!s->may_fault)
		return NULL;
	switch (fault_trap) {
	case 3: return "#BP";
	case 4: return "#OF";
	case 5: return "#BR";
	case 6: return "#UD";
	default: return NULL;
	}
}

static uint64_t name_seed(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 1099511628211ull;
	return h;
}

static void run_snippet(FILE *o, const struct snippet *s)
{
	static char inmem[65536];
	struct rng g = { name_seed(s->name) };
	for (int n = 0; n < s->nvec; n++) {
		struct ora_regs in, out;
		/* Every run: self-modifying snippets change their own code. */
		memset(mem_code, 0xcc, 0x1000);
		memcpy(mem_code, s->code, (size_t)s->len);
		emit_epilogue(mem_code + s->len);
		make_input(s, &in, &g, n);
		FILE *m = fmemopen(inmem, sizeof(inmem), "w");
		print_diffs(m, 0);
		fclose(m);
		snapshot_regions();
		int sig = run_one(&in, &out);
		const char *exc = sig ? exception_name(s, sig) : NULL;
		if (sig && !exc) {
			fprintf(stderr, "oracle-gen: snippet %s raised signal %d (trap %u) at code offset %#x "
				"(a bug in the snippet table)\n", s->name, sig, fault_trap, fault_eip - ORA_CODE);
			exit(1);
		}
		uint32_t fmask, cmp;
		vector_masks(s, &in, &out, &fmask, &cmp);
		print_vector(o, s, &in, inmem, exc, &out, fmask, cmp);
	}
}

static void check_unique_names(void)
{
	for (int i = 0; i < nsnippets; i++)
		for (int j = i + 1; j < nsnippets; j++)
			if (!strcmp(snippets[i].name, snippets[j].name)) {
				fprintf(stderr, "oracle-gen: duplicate snippet name %s\n", snippets[i].name);
				exit(1);
			}
}

int main(int argc, char **argv)
{
	/* --emulated: run.sh runs us under qemu-i386, not on the host CPU. */
	bool emulated = argc > 1 && strcmp(argv[1], "--emulated") == 0;
	if (emulated) {
		argc--;
		argv++;
	}
	const char *only = argc > 1 ? argv[1] : NULL;
	map_all();
	install_handlers();
	snippets_alu();
	snippets_bits();
	snippets_misc();
	snippets_addr();
	snippets_lazy();
	check_unique_names();
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	printf("# cordon oracle vectors from %s (tests/oracle/gen.c): name code cmp fmask "
	       "in[eax..edi eflags] in-mem status out[eax..edi eflags|fault-offset] out-mem\n",
	       emulated ? "QEMU's user-mode emulator" : "the host CPU");
	for (int i = 0; i < nsnippets; i++) {
		const char *name = snippets[i].name;
		bool needs_low = strstr(name, "a16") || strstr(name, "moffs16");
		if (emulated && snippets[i].emulator_differs) {
			fprintf(stderr, "oracle-gen: %s left out: QEMU's user-mode emulator "
				"does not run it as a CPU does\n", name);
			continue;
		}
		if ((!only || strstr(name, only)) && (low_mapped || !needs_low))
			run_snippet(stdout, &snippets[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("oracle-gen: write");
		return 1;
	}
	return 0;
}
