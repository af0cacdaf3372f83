/*
 * The native-CPU oracle: replays build/tests/oracle-vectors.txt, written by
 * tests/oracle (snippets of IA-32 code run natively on the host CPU), on the
 * soft engine and compares registers, the defined flags and memory.
 *
 * One TEST per snippet group ("alu", "shift", ...).  A failing snippet is
 * reported once, with how many of its vectors differ and the first one in
 * full: input, what the host CPU did, what the engine did.
 */
#include "cpu_fixture.h"
#include "t.h"

#include "../oracle/oracle.h"

#include <stdbool.h>
#include <stdlib.h>

#define VECTORS_PATH "build/tests/oracle-vectors.txt"
#define ORACLE_RAM (1u << 20)
#define MAX_STEPS 100000
#define NFIELDS 25

_Static_assert(ORA_CODE == FX_CODE, "the oracle's code address is the fixture's");

struct ovec {
	const char *name;
	uint8_t code[128];
	int len;
	uint32_t cmp, fmask;
	uint32_t in[9]; /* EAX..EDI, EFLAGS */
	const char *inmem;
	int exc;        /* the exception the host raised, or -1 */
	uint32_t out[9];/* EFLAGS masked; after an exception the reported EIP's offset */
	const char *outmem;
};

static const struct {
	uint32_t base, size;
} regions[] = {
	{ ORA_LOW, ORA_LOW_SIZE },
	{ ORA_DATA, ORA_DATA_SIZE },
	{ ORA_STACK, ORA_STACK_SIZE },
};
#define NREGIONS 3

static const char *const reg_names[9] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "efl" };

/* The whole vector file, read once; NULL when missing. */
static char *vectors_text(void)
{
	static char *text;
	static bool tried;
	if (tried)
		return text;
	tried = true;
	FILE *fp = fopen(VECTORS_PATH, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (text && fread(text, 1, (size_t)n, fp) == (size_t)n) {
		text[n] = 0;
	} else {
		free(text);
		text = NULL;
	}
	fclose(fp);
	return text;
}

static bool parse_code(const char *hex, struct ovec *v)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > sizeof(v->code))
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end;
		v->code[i] = (uint8_t)strtoul(b, &end, 16);
		if (*end)
			return false;
	}
	v->len = (int)(n / 2);
	return true;
}

static bool parse_word(const char *s, uint32_t *out)
{
	char *end;
	unsigned long x = strtoul(s, &end, 16);
	*out = (uint32_t)x;
	return *s && !*end && x <= 0xffffffffu;
}

static const struct {
	const char *name;
	int vec;
} statuses[] = { { "ok", -1 }, { "#DE", EXC_DE }, { "#BP", EXC_BP }, { "#OF", EXC_OF },
		 { "#BR", EXC_BR }, { "#UD", EXC_UD } };

static bool parse_status(const char *s, int *exc)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(s, statuses[i].name)) {
			*exc = statuses[i].vec;
			return true;
		}
	return false;
}

/* Splits one line (modified in place) into a vector. */
static bool parse_vector(char *line, struct ovec *v)
{
	char *f[NFIELDS + 1];
	int n = 0;
	for (char *tok = strtok(line, " "); tok && n <= NFIELDS; tok = strtok(NULL, " "))
		f[n++] = tok;
	if (n != NFIELDS || !parse_code(f[1], v) || !parse_word(f[2], &v->cmp) || !parse_word(f[3], &v->fmask))
		return false;
	v->name = f[0];
	for (int i = 0; i < 9; i++)
		if (!parse_word(f[4 + i], &v->in[i]) || !parse_word(f[15 + i], &v->out[i]))
			return false;
	v->inmem = f[13];
	v->outmem = f[24];
	return parse_status(f[14], &v->exc);
}

static bool in_regions(uint32_t a, uint32_t n)
{
	for (int i = 0; i < NREGIONS; i++)
		if (a >= regions[i].base && a + n <= regions[i].base + regions[i].size)
			return true;
	return false;
}

/* Applies "addr:hex,addr:hex" (or "-") to ram. */
static bool apply_mem(uint8_t *ram, const char *s)
{
	if (!strcmp(s, "-"))
		return true;
	while (*s) {
		char *end;
		uint32_t a = (uint32_t)strtoul(s, &end, 16);
		if (*end != ':')
			return false;
		s = end + 1;
		for (; *s && *s != ','; s += 2, a++) {
			char b[3] = { s[0], s[1], 0 };
			if (!s[1] || !in_regions(a, 1))
				return false;
			ram[a] = (uint8_t)strtoul(b, &end, 16);
			if (*end)
				return false;
		}
		if (*s == ',')
			s++;
	}
	return true;
}

static void fill_regions(uint8_t *ram)
{
	for (int i = 0; i < NREGIONS; i++)
		for (uint32_t a = regions[i].base; a < regions[i].base + regions[i].size; a++)
			ram[a] = ora_fill(a);
}

/* Appends " eax=..." for the registers in cmp (and EFLAGS when nr is 9);
 * returns the length written, never more than fits. */
static int fmt_regs(char *buf, size_t n, const uint32_t *r, uint32_t cmp, int nr)
{
	int k = 0;
	for (int i = 0; i < nr && k + 1 < (int)n; i++)
		if (i == 8 || (cmp & (1u << i)))
			k += snprintf(buf + k, n - (size_t)k, " %s=%x", reg_names[i], r[i]);
	return k < (int)n ? k : (int)n - 1;
}

/* The input and both outcomes, for a failure message. */
static void describe(char *why, size_t n, const struct ovec *v, const char *host, const char *engine)
{
	char in[200];
	fmt_regs(in, sizeof(in), v->in, CMP_REGS, 9);
	snprintf(why, n, "in:%s mem:%.120s | host: %s | engine: %s", in, v->inmem, host, engine);
}

/* An exception vector: the same vector, the EIP the host reported pushed
 * (no error code: none of these vectors has one), registers unchanged. */
static bool check_exc(struct fx *f, const struct ovec *v, char *why, size_t n)
{
	struct cpu *c = f->c;
	char host[200], eng[300];
	snprintf(host, sizeof(host), "exception %d, eip +%x,", v->exc, v->out[8]);
	fmt_regs(host + strlen(host), sizeof(host) - strlen(host), v->out, CMP_REGS & ~(1u << R_ESP), 8);
	int exc = fx_exception(f);
	uint32_t esp = c->r[R_ESP];
	uint32_t pushed = esp <= ORACLE_RAM - 4 ? fx_read32(f, esp) : 0;
	bool ok = exc == v->exc && pushed == ORA_CODE + v->out[8] && esp == v->in[R_ESP] - 12;
	for (int r = 0; r < 8; r++)
		ok = ok && (r == R_ESP || c->r[r] == v->out[r]);
	if (ok)
		return true;
	int k = snprintf(eng, sizeof(eng), "exception %d, pushed eip %x, esp %x,", exc, pushed, esp);
	fmt_regs(eng + k, sizeof(eng) - (size_t)k, c->r, CMP_REGS & ~(1u << R_ESP), 8);
	describe(why, n, v, host, eng);
	return false;
}

/* First byte where ram differs from the expected image, or 0. */
static uint32_t mem_mismatch(const uint8_t *ram, const uint8_t *expect)
{
	for (int i = 0; i < NREGIONS; i++)
		for (uint32_t a = regions[i].base; a < regions[i].base + regions[i].size; a++)
			if (ram[a] != expect[a])
				return a;
	return 0;
}

static bool check_ok(struct fx *f, const struct ovec *v, const uint8_t *expect, char *why, size_t n)
{
	struct cpu *c = f->c;
	uint32_t got[9];
	memcpy(got, c->r, sizeof(c->r));
	got[8] = cpu_get_eflags(c) & v->fmask;
	bool ok = fx_exception(f) == -1 && c->halted && c->eip == ORA_CODE + (uint32_t)v->len + 1;
	for (int r = 0; r < 9; r++)
		ok = ok && (!(r == 8 || (v->cmp & (1u << r))) || got[r] == v->out[r]);
	uint32_t bad = (v->cmp & CMP_MEM) ? mem_mismatch(f->ram, expect) : 0;
	if (ok && !bad)
		return true;
	char host[400], eng[400];
	int k = snprintf(host, sizeof(host), "flags mask %x,", v->fmask);
	k += fmt_regs(host + k, sizeof(host) - (size_t)k, v->out, v->cmp, 9);
	snprintf(host + k, sizeof(host) - (size_t)k, " mem:%.120s", v->outmem);
	k = snprintf(eng, sizeof(eng), "exception %d, %s at eip %x,", fx_exception(f),
		     c->halted ? "halted" : "running", c->eip);
	k += fmt_regs(eng + k, sizeof(eng) - (size_t)k, got, v->cmp, 9);
	if (bad)
		snprintf(eng + k, sizeof(eng) - (size_t)k, " mem[%x]=%02x (host %02x)", bad, f->ram[bad], expect[bad]);
	describe(why, n, v, host, eng);
	return false;
}

/* Runs one vector on f. */
static bool run_vector(struct fx *f, const struct ovec *v, uint8_t *expect, char *why, size_t n)
{
	struct cpu *c = f->c;
	/* The code again, through the CPU so cached blocks are dropped:
	 * self-modifying snippets change it. */
	uint8_t code[sizeof(v->code) + 1];
	memcpy(code, v->code, (size_t)v->len);
	code[v->len] = 0xf4; /* HLT */
	phys_write(c, ORA_CODE, code, (uint32_t)v->len + 1);
	fill_regions(f->ram);
	if (!apply_mem(f->ram, v->inmem)) {
		snprintf(why, n, "bad in-mem field \"%.80s\"", v->inmem);
		return false;
	}
	for (int i = 0; i < NREGIONS; i++)
		memcpy(expect + regions[i].base, f->ram + regions[i].base, regions[i].size);
	if (v->exc < 0 && !apply_mem(expect, v->outmem)) {
		snprintf(why, n, "bad out-mem field \"%.80s\"", v->outmem);
		return false;
	}
	for (int r = 0; r < 8; r++)
		c->r[r] = v->in[r];
	cpu_set_eflags(c, v->in[8], OF_ARITH | OF_DF);
	c->eip = ORA_CODE;
	fx_write32(f, FX_EXC, 0xffffffffu);
	fx_run(f, MAX_STEPS);
	return v->exc >= 0 ? check_exc(f, v, why, n) : check_ok(f, v, expect, why, n);
}

struct snippet_run {
	char name[64];
	char code_hex[260];
	int total, bad;
	char first[1600];
};

static void report(const struct snippet_run *s, int line)
{
	if (s->bad)
		t_fail(__FILE__, line, "%s [%s]: %d of %d vectors differ; first: %s", s->name, s->code_hex,
		       s->bad, s->total, s->first);
}

/* Replays every vector of one group ("alu" for the "alu/..." snippets). */
static void run_group(const char *group)
{
	const char *text = vectors_text();
	if (!text) {
		t_fail(__FILE__, __LINE__, "%s is missing or unreadable: build it with "
		       "make -C tests/oracle BUILD=$PWD/build/tests (make test does)", VECTORS_PATH);
		return;
	}
	size_t glen = strlen(group);
	static struct snippet_run cur;
	uint8_t *expect = malloc(ORACLE_RAM);
	struct fx *f = NULL;
	bool need_fresh = true;
	int lineno = 0, vectors = 0;
	memset(&cur, 0, sizeof(cur));
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		lineno++;
		if (len > glen && !strncmp(p, group, glen) && p[glen] == '/') {
			char *line = strndup(p, len);
			struct ovec v;
			memset(&v, 0, sizeof(v));
			if (!parse_vector(line, &v)) {
				t_fail(__FILE__, __LINE__, "%s:%d: malformed vector line", VECTORS_PATH, lineno);
			} else {
				if (strcmp(v.name, cur.name)) {
					report(&cur, __LINE__);
					memset(&cur, 0, sizeof(cur));
					snprintf(cur.name, sizeof(cur.name), "%s", v.name);
					for (int i = 0; i < v.len; i++)
						snprintf(cur.code_hex + 2 * i, 3, "%02x", v.code[i]);
					need_fresh = true;
				}
				if (need_fresh) {
					if (f)
						fx_free(f);
					f = fx_new(ORACLE_RAM);
				}
				/* After an exception the CPU state is not worth reusing. */
				need_fresh = v.exc >= 0;
				char why[sizeof(cur.first)];
				cur.total++;
				vectors++;
				if (!run_vector(f, &v, expect, why, sizeof(why))) {
					if (!cur.bad++)
						snprintf(cur.first, sizeof(cur.first), "%s", why);
					need_fresh = true;
				}
			}
			free(line);
		}
		p += len + (eol ? 1 : 0);
	}
	report(&cur, __LINE__);
	if (f)
		fx_free(f);
	free(expect);
	if (!vectors)
		t_fail(__FILE__, __LINE__, "no vectors for group \"%s\" in %s", group, VECTORS_PATH);
}

static const char *const groups[] = {
	"alu", "incdec", "muldiv", "bcd", "shift", "shxd", "bit", "xchg",
	"mov", "cond", "misc", "flags", "string", "stack", "addr", "lazy",
};

/* The file exists and every line belongs to a group replayed below. */
TEST(oracle_vectors_present)
{
	const char *text = vectors_text();
	if (!text) {
		t_fail(__FILE__, __LINE__, "%s is missing: build it with make -C tests/oracle "
		       "BUILD=$PWD/build/tests (make test does)", VECTORS_PATH);
		return;
	}
	int lines = 0, unknown = 0;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len && *p != '#') {
			bool known = false;
			for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
				size_t gl = strlen(groups[g]);
				known = known || (len > gl && !strncmp(p, groups[g], gl) && p[gl] == '/');
			}
			lines++;
			if (!known && unknown++ < 3)
				t_fail(__FILE__, __LINE__, "vector line of unknown group: %.60s", p);
		}
		p += len + (eol ? 1 : 0);
	}
	CHECK(lines > 1000);
}

TEST(oracle_alu) { run_group("alu"); }
TEST(oracle_incdec) { run_group("incdec"); }
TEST(oracle_muldiv) { run_group("muldiv"); }
TEST(oracle_bcd) { run_group("bcd"); }
TEST(oracle_shift) { run_group("shift"); }
TEST(oracle_shxd) { run_group("shxd"); }
TEST(oracle_bit) { run_group("bit"); }
TEST(oracle_xchg) { run_group("xchg"); }
TEST(oracle_mov) { run_group("mov"); }
TEST(oracle_cond) { run_group("cond"); }
TEST(oracle_misc) { run_group("misc"); }
TEST(oracle_flags) { run_group("flags"); }
TEST(oracle_string) { run_group("string"); }
TEST(oracle_stack) { run_group("stack"); }
TEST(oracle_addr) { run_group("addr"); }
TEST(oracle_lazy) { run_group("lazy"); }
