/*
 * The system file's statements (grammar in docs/sysdef.md).  One line is
 * one statement; a block ("disk NAME {", "media NAME {", "vm NAME {", and
 * "net NAME {" / "diode NAME {", whose statements are in sysdef_chan.c)
 * runs to a line holding only "}".  Lattice declarations come before the
 * first block, so every label can be checked the moment it is read.
 * References from a VM to an image, net or diode are resolved after the
 * whole file is read, so the order of blocks does not matter.
 */
#include "sec/sysdef_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const block_word[] = { "", "disk", "media", "vm", "net", "diode" };

/* The name of the open block. */
static const char *block_name(const struct parser *p)
{
	if (p->block == BLOCK_VM)
		return p->s->vms[p->s->nvms - 1].name;
	if (p->block == BLOCK_NET || p->block == BLOCK_DIODE)
		return chan_block_name(p);
	return p->s->images[p->s->nimages - 1].name;
}

int fail_at(struct parser *p, int line, const char *fmt, ...)
{
	char msg[SYSDEF_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sysdef_fail(p->lx->err, p->lx->name, line, "%s", msg);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Names ------------------------------------------------------------------- */

static int is_ident(const char *w)
{
	if (!*w)
		return 0;
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
		      (*w >= '0' && *w <= '9') || *w == '_' || *w == '-'))
			return 0;
	return 1;
}

/* A name token: a word made of [A-Za-z0-9_-], at most SYSDEF_NAME_MAX-1. */
int check_name(struct parser *p, const struct line *ln, unsigned i, const char *what)
{
	const struct token *t = &ln->tok[i];

	if (t->kind != TOK_WORD || !is_ident(t->text))
		return fail_at(p, ln->lineno, "bad %s name '%s' (letters, digits, '_' and '-' only)",
			       what, t->kind == TOK_STRING ? "\"...\"" : t->text);
	if (strlen(t->text) >= SYSDEF_NAME_MAX)
		return fail_at(p, ln->lineno, "%s name '%.40s...' is too long (at most %d characters)",
			       what, t->text, SYSDEF_NAME_MAX - 1);
	return 0;
}

/* One of the lattice's three name lists, for lookups and messages. */
struct names {
	const char (*name)[LATTICE_NAME_MAX + 1];
	unsigned n;
};

static struct names levels_of(const struct lattice *l)
{
	return (struct names){ l->levels, l->nlevels };
}

static struct names cats_of(const struct lattice *l)
{
	return (struct names){ l->cats, l->ncats };
}

static struct names integrity_of(const struct lattice *l)
{
	return (struct names){ l->integrity, l->nintegrity };
}

/* Whether name[0..len) is declared (the name need not end in a NUL). */
static bool is_declared(struct names t, const char *name, size_t len)
{
	for (unsigned i = 0; i < t.n; i++)
		if (strlen(t.name[i]) == len && memcmp(t.name[i], name, len) == 0)
			return true;
	return false;
}

/* "UNCLASSIFIED, CONFIDENTIAL, SECRET" (truncated if it does not fit). */
static void list_names(struct names t, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < t.n && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", t.name[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Lattice declarations ------------------------------------------------------ */

static int before_blocks(struct parser *p, const struct line *ln)
{
	if (p->first_block_line)
		return fail_at(p, ln->lineno,
			       "'%s' must come before the first block (line %d)",
			       ln->tok[0].text, p->first_block_line);
	return 0;
}

static int declared_once(struct parser *p, const struct line *ln, int *first)
{
	if (*first)
		return fail_at(p, ln->lineno, "%s declared twice (first at line %d)",
			       ln->tok[0].text, *first);
	*first = ln->lineno;
	return 0;
}

typedef int (*add_fn)(struct lattice *lat, const char *name, char *err);

static int add_name(struct parser *p, const struct line *ln, unsigned i, add_fn add,
		    const char *what)
{
	char lerr[LABEL_ERRLEN];

	if (check_name(p, ln, i, what) < 0)
		return -1;
	if (add(&p->s->lattice, ln->tok[i].text, lerr) < 0)
		return fail_at(p, ln->lineno, "%s", lerr);
	return 0;
}

/* levels A < B < C  and  integrity LOW < HIGH: lowest first. */
static int parse_ordered(struct parser *p, const struct line *ln, add_fn add, int *first,
			 const char *what, const char *example)
{
	if (before_blocks(p, ln) < 0 || declared_once(p, ln, first) < 0)
		return -1;
	if (ln->n % 2 != 0)
		return fail_at(p, ln->lineno,
			       "'%s' needs names separated by '<', lowest first (e.g. %s)",
			       ln->tok[0].text, example);
	for (unsigned i = 1; i < ln->n; i += 2) {
		if (i > 1 && ln->tok[i - 1].kind != TOK_LT)
			return fail_at(p, ln->lineno, "expected '<' between %s names", what);
		if (add_name(p, ln, i, add, what) < 0)
			return -1;
	}
	return 0;
}

static int parse_categories(struct parser *p, const struct line *ln)
{
	if (before_blocks(p, ln) < 0 || declared_once(p, ln, &p->cats_line) < 0)
		return -1;
	if (ln->n < 2)
		return fail_at(p, ln->lineno, "'categories' needs at least one name");
	for (unsigned i = 1; i < ln->n; i++)
		if (add_name(p, ln, i, lattice_add_category, "category") < 0)
			return -1;
	return 0;
}

static int parse_policy(struct parser *p, const struct line *ln)
{
	static const char *const names[] = { "blp", "biba", "read-down", "write-up" };
	bool *flags[] = { &p->s->policy.blp, &p->s->policy.biba, &p->s->policy.read_down,
			  &p->s->policy.write_up };
	const char *on;

	if (ln->n != 3 || ln->tok[1].kind != TOK_WORD || ln->tok[2].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: policy blp|biba|read-down|write-up on|off");
	on = ln->tok[2].text;
	if (strcmp(on, "on") != 0 && strcmp(on, "off") != 0)
		return fail_at(p, ln->lineno, "policy '%s' must be 'on' or 'off', not '%s'",
			       ln->tok[1].text, on);
	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(ln->tok[1].text, names[i]) != 0)
			continue;
		if (p->policy_line[i])
			return fail_at(p, ln->lineno, "policy '%s' set twice (first at line %d)",
				       names[i], p->policy_line[i]);
		p->policy_line[i] = ln->lineno;
		*flags[i] = strcmp(on, "on") == 0;
		return 0;
	}
	return fail_at(p, ln->lineno, "unknown policy '%s' (known: blp, biba, read-down, write-up)",
		       ln->tok[1].text);
}

/* Labels ------------------------------------------------------------------ */

static int check_level(struct parser *p, int line, struct names t, const char *w, size_t len,
		       const char *what)
{
	char names[SYSDEF_ERRLEN / 2];

	if (is_declared(t, w, len))
		return 0;
	list_names(t, names, sizeof(names));
	return fail_at(p, line, "unknown %s '%.*s' (declared: %s)", what, (int)len, w,
		       t.n ? names : "none");
}

/* Checks each name in LEVEL[:CAT[,CAT...]][/INTEGRITY] against the
 * declarations, so the message can list what is declared; the lattice
 * module then reports the syntax problems (empty or repeated names, stray
 * characters) and computes the value. */
static int check_label_names(struct parser *p, int line, const char *w)
{
	const struct lattice *lat = &p->s->lattice;
	size_t n = strcspn(w, ":,/");

	if (n && check_level(p, line, levels_of(lat), w, n, "level") < 0)
		return -1;
	w += n;
	while (*w == ':' || *w == ',') {
		w++;
		n = strcspn(w, ":,/");
		if (n && !is_declared(cats_of(lat), w, n))
			return fail_at(p, line, "category '%.*s' is not declared", (int)n, w);
		w += n;
	}
	if (*w == '/') {
		w++;
		n = strcspn(w, ":,/");
		if (n && check_level(p, line, integrity_of(lat), w, n, "integrity level") < 0)
			return -1;
	}
	return 0;
}

int parse_label(struct parser *p, const struct line *ln, struct label *out, const char **text)
{
	char lerr[SYSDEF_ERRLEN];
	const char *w;

	if (ln->n != 2 || ln->tok[1].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: label LEVEL[:CAT,...][/INTEGRITY]");
	w = ln->tok[1].text;
	if (!p->s->lattice.nlevels)
		return fail_at(p, ln->lineno, "label '%s' used but no 'levels' are declared", w);
	if (check_label_names(p, ln->lineno, w) < 0)
		return -1;
	lerr[0] = '\0';
	if (label_parse(&p->s->lattice, w, out, lerr) < 0)
		return fail_at(p, ln->lineno, "%s", lerr);
	*text = dup_str(w);
	if (!*text)
		return fail_at(p, ln->lineno, "out of memory");
	return 0;
}

/* Values ------------------------------------------------------------------ */

int sysdef_parse_size(const char *s, uint64_t *out)
{
	uint64_t n = 0;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	switch (*s) {
	case 'K': case 'k': shift = 10; s++; break;
	case 'M': case 'm': shift = 20; s++; break;
	case 'G': case 'g': shift = 30; s++; break;
	}
	if (*s || n > (UINT64_MAX >> shift))
		return -1;
	*out = n << shift;
	return 0;
}

static int parse_memory(struct parser *p, const struct line *ln, uint64_t *out)
{
	const char *w;
	uint64_t n;

	if (ln->n != 2 || ln->tok[1].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: memory SIZE (e.g. memory 256M)");
	w = ln->tok[1].text;
	if (sysdef_parse_size(w, &n) < 0)
		return fail_at(p, ln->lineno,
			       "bad memory size '%s' (a number with an optional K, M or G suffix, e.g. 256M)", w);
	if (n < SYSDEF_MEM_MIN || n > SYSDEF_MEM_MAX)
		return fail_at(p, ln->lineno, "memory size '%s' is out of range (16M .. 3G)", w);
	if (n % 4096)
		return fail_at(p, ln->lineno, "memory size '%s' is not a multiple of 4K", w);
	*out = n;
	return 0;
}

/* A relative path is relative to the system file's directory. */
static char *resolve_path(const char *base_dir, const char *path)
{
	size_t nb, np = strlen(path);
	char *out;

	if (path[0] == '/' || !base_dir || !base_dir[0])
		return dup_str(path);
	nb = strlen(base_dir);
	out = malloc(nb + 1 + np + 1);
	if (!out)
		return NULL;
	memcpy(out, base_dir, nb);
	out[nb] = '/';
	memcpy(out + nb + 1, path, np + 1);
	return out;
}

/* Statements that may appear once per block; *first tracks the line. */
int once(struct parser *p, const struct line *ln, int *first)
{
	if (*first)
		return fail_at(p, ln->lineno, "duplicate '%s' in %s '%s' (first at line %d)",
			       ln->tok[0].text, block_word[p->block], block_name(p), *first);
	*first = ln->lineno;
	return 0;
}

/* KEYWORD "STRING" (or luks key-file "STRING"), once per block. */
static int parse_string_stmt(struct parser *p, const struct line *ln, unsigned argi,
			     int *first, const char **out, bool is_path)
{
	const char *kw = ln->tok[0].text;

	if (ln->n != argi + 1 || ln->tok[argi].kind != TOK_STRING)
		return fail_at(p, ln->lineno, "expected: %s%s \"%s\"", kw,
			       argi == 2 ? " key-file" : "", is_path ? "PATH" : "TEXT");
	if (once(p, ln, first) < 0)
		return -1;
	if (is_path && !ln->tok[argi].text[0])
		return fail_at(p, ln->lineno, "empty path for '%s'", kw);
	*out = is_path ? resolve_path(p->base_dir, ln->tok[argi].text) : dup_str(ln->tok[argi].text);
	if (!*out)
		return fail_at(p, ln->lineno, "out of memory");
	return 0;
}

/* Blocks ------------------------------------------------------------------ */

static struct sysdef_image *cur_image(struct parser *p)
{
	return &p->s->images[p->s->nimages - 1];
}

static struct sysdef_vm *cur_vm(struct parser *p)
{
	return &p->s->vms[p->s->nvms - 1];
}

static int parse_image_stmt(struct parser *p, const struct line *ln)
{
	struct sysdef_image *img = cur_image(p);
	const char *kw = ln->tok[0].text;

	if (!strcmp(kw, "file"))
		return parse_string_stmt(p, ln, 1, &p->seen.file, &img->file, true);
	if (!strcmp(kw, "label")) {
		if (once(p, ln, &p->seen.label) < 0)
			return -1;
		return parse_label(p, ln, &img->label, &img->label_text);
	}
	if (!strcmp(kw, "luks") && img->kind == SYSDEF_DISK) {
		if (ln->n < 2 || ln->tok[1].kind != TOK_WORD || strcmp(ln->tok[1].text, "key-file"))
			return fail_at(p, ln->lineno, "expected: luks key-file \"PATH\"");
		return parse_string_stmt(p, ln, 2, &p->seen.luks, &img->luks_key_file, true);
	}
	return fail_at(p, ln->lineno, "unknown keyword '%s' in %s '%s' (expected file, label%s)",
		       kw, block_word[p->block], img->name,
		       img->kind == SYSDEF_DISK ? " or luks" : "");
}

/* disk NAME [readonly]  /  media NAME [readonly] inside a vm. */
static int parse_attach(struct parser *p, const struct line *ln)
{
	struct sysdef_vm *vm = cur_vm(p);
	unsigned vi = p->s->nvms - 1;
	const char *kw = ln->tok[0].text;
	struct sysdef_attach *a;

	if (ln->n < 2 || ln->n > 3 ||
	    (ln->n == 3 && (ln->tok[2].kind != TOK_WORD || strcmp(ln->tok[2].text, "readonly"))))
		return fail_at(p, ln->lineno, "expected: %s NAME [readonly]", kw);
	if (check_name(p, ln, 1, kw) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nattach; i++)
		if (!strcmp(p->s->attach_ref[vi][i].name, ln->tok[1].text))
			return fail_at(p, ln->lineno, "vm '%s' attaches '%s' twice (first at line %d)",
				       vm->name, ln->tok[1].text, vm->attach[i].line);
	if (vm->nattach == SYSDEF_MAX_ATTACH)
		return fail_at(p, ln->lineno, "vm '%s' attaches too many images (at most %d)",
			       vm->name, SYSDEF_MAX_ATTACH);
	a = &vm->attach[vm->nattach];
	a->readonly = ln->n == 3;
	a->line = ln->lineno;
	a->image = NULL; /* set by resolve_attachments */
	snprintf(p->s->attach_ref[vi][vm->nattach].name, SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
	p->s->attach_ref[vi][vm->nattach].kind = strcmp(kw, "disk") == 0 ? SYSDEF_DISK : SYSDEF_MEDIA;
	vm->nattach++;
	return 0;
}

/* serial log [SIZE] | serial none.  SIZE is the console log's quota. */
static int parse_serial(struct parser *p, const struct line *ln, struct sysdef_vm *vm)
{
	const char *w;
	uint64_t n;

	if (once(p, ln, &p->seen.serial) < 0)
		return -1;
	if (ln->n < 2 || ln->n > 3 || ln->tok[1].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: serial log [SIZE] | serial none");
	w = ln->tok[1].text;
	if (strcmp(w, "log") && strcmp(w, "none"))
		return fail_at(p, ln->lineno, "expected: serial log [SIZE] | serial none");
	vm->serial = strcmp(w, "log") == 0 ? SYSDEF_SERIAL_LOG : SYSDEF_SERIAL_NONE;
	if (ln->n == 2)
		return 0;
	w = ln->tok[2].text;
	if (vm->serial != SYSDEF_SERIAL_LOG || ln->tok[2].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: serial log [SIZE] | serial none");
	if (sysdef_parse_size(w, &n) < 0 || n < SYSDEF_SERIAL_QUOTA_MIN || n > SYSDEF_SERIAL_QUOTA_MAX)
		return fail_at(p, ln->lineno,
			       "bad console log size '%s' (64K .. 1G, e.g. serial log 16M)", w);
	vm->serial_quota = n;
	return 0;
}

static int parse_vm_stmt(struct parser *p, const struct line *ln)
{
	struct sysdef_vm *vm = cur_vm(p);
	const char *kw = ln->tok[0].text;

	if (!strcmp(kw, "label")) {
		if (once(p, ln, &p->seen.label) < 0)
			return -1;
		return parse_label(p, ln, &vm->label, &vm->label_text);
	}
	if (!strcmp(kw, "memory")) {
		if (once(p, ln, &p->seen.memory) < 0)
			return -1;
		return parse_memory(p, ln, &vm->memory);
	}
	if (!strcmp(kw, "kernel"))
		return parse_string_stmt(p, ln, 1, &p->seen.kernel, &vm->kernel, true);
	if (!strcmp(kw, "initrd"))
		return parse_string_stmt(p, ln, 1, &p->seen.initrd, &vm->initrd, true);
	if (!strcmp(kw, "append"))
		return parse_string_stmt(p, ln, 1, &p->seen.append, &vm->append, false);
	if (!strcmp(kw, "disk") || !strcmp(kw, "media"))
		return parse_attach(p, ln);
	if (!strcmp(kw, "serial"))
		return parse_serial(p, ln, vm);
	if (!strcmp(kw, "net") || !strcmp(kw, "diode") || !strcmp(kw, "mac"))
		return chan_vm_stmt(p, ln);
	if (!strcmp(kw, "transfer"))
		return sysdef_transfer_vm(vm, p->lx, ln, &p->seen.transfer);
	return fail_at(p, ln->lineno,
		       "unknown keyword '%s' in vm '%s' (expected label, memory, kernel, initrd, append, disk, media, net, diode, mac, serial or transfer)",
		       kw, vm->name);
}

/* The name is unused by every VM and image so far. */
static int check_unique(struct parser *p, const struct line *ln, enum block_kind kind)
{
	const char *name = ln->tok[1].text;
	const struct sysdef_vm *vm = sysdef_vm_by_name(p->s, name);
	const struct sysdef_image *img = sysdef_image_by_name(p->s, name);

	if (kind == BLOCK_VM && vm)
		return fail_at(p, ln->lineno, "duplicate vm '%s' (first at line %d)", name, vm->line);
	if (kind != BLOCK_VM && img) {
		const char *was = img->kind == SYSDEF_DISK ? "disk" : "media";
		if (strcmp(was, block_word[kind]) != 0)
			return fail_at(p, ln->lineno, "%s '%s' is already declared as %s (line %d)",
				       block_word[kind], name, was, img->line);
		return fail_at(p, ln->lineno, "%s '%s' is declared twice (first at line %d, label %s)",
			       was, name, img->line, img->label_text);
	}
	return 0;
}

static int open_block(struct parser *p, const struct line *ln, enum block_kind kind)
{
	const char *kw = ln->tok[0].text;

	if (ln->n != 3 || ln->tok[2].kind != TOK_LBRACE)
		return fail_at(p, ln->lineno, "expected: %s NAME {  ('{' ends the line; the block's statements follow, one per line)", kw);
	if (check_name(p, ln, 1, kw) < 0)
		return -1;
	if (!p->first_block_line)
		p->first_block_line = ln->lineno;
	if (kind == BLOCK_NET || kind == BLOCK_DIODE)
		return chan_open_block(p, ln, kind);
	if (check_unique(p, ln, kind) < 0)
		return -1;
	if (kind == BLOCK_VM) {
		struct sysdef_vm *vm;
		if (p->s->nvms == SYSDEF_MAX_VMS)
			return fail_at(p, ln->lineno, "too many vms (at most %d)", SYSDEF_MAX_VMS);
		vm = &p->s->vms[p->s->nvms++];
		snprintf(vm->name, SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
		vm->line = ln->lineno;
		vm->memory = SYSDEF_MEM_DEFAULT;
		vm->serial = SYSDEF_SERIAL_LOG;
		vm->serial_quota = SYSDEF_SERIAL_QUOTA_DEFAULT;
	} else {
		struct sysdef_image *img;
		if (p->s->nimages == SYSDEF_MAX_IMAGES)
			return fail_at(p, ln->lineno, "too many disks and media (at most %d)",
				       SYSDEF_MAX_IMAGES);
		img = &p->s->images[p->s->nimages++];
		img->kind = kind == BLOCK_DISK ? SYSDEF_DISK : SYSDEF_MEDIA;
		snprintf(img->name, SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
		img->line = ln->lineno;
	}
	p->block = kind;
	p->block_line = ln->lineno;
	memset(&p->seen, 0, sizeof(p->seen));
	return 0;
}

static int require(struct parser *p, int have, const char *what, const char *name)
{
	if (have)
		return 0;
	return fail_at(p, p->block_line, "missing '%s' in %s '%s'", what, block_word[p->block], name);
}

/* "}": everything the block must have is there. */
static int close_block(struct parser *p, const struct line *ln)
{
	int rc;

	if (ln->n != 1)
		return fail_at(p, ln->lineno, "'}' must be alone on its line");
	if (p->block == BLOCK_NET || p->block == BLOCK_DIODE)
		rc = chan_close_block(p);
	else if (p->block == BLOCK_VM)
		rc = require(p, p->seen.label, "label", cur_vm(p)->name) < 0 ||
		     require(p, p->seen.kernel, "kernel", cur_vm(p)->name) < 0;
	else
		rc = require(p, p->seen.file, "file", cur_image(p)->name) < 0 ||
		     require(p, p->seen.label, "label", cur_image(p)->name) < 0;
	if (rc)
		return -1;
	if (p->block == BLOCK_VM && !cur_vm(p)->append)
		cur_vm(p)->append = dup_str("");
	if (p->block == BLOCK_VM && !cur_vm(p)->append)
		return fail_at(p, ln->lineno, "out of memory");
	p->block = BLOCK_NONE;
	return 0;
}

static int parse_top_stmt(struct parser *p, const struct line *ln)
{
	const char *kw = ln->tok[0].text;

	if (!strcmp(kw, "levels"))
		return parse_ordered(p, ln, lattice_add_level, &p->levels_line, "level",
				     "levels UNCLASSIFIED < SECRET");
	if (!strcmp(kw, "integrity"))
		return parse_ordered(p, ln, lattice_add_integrity, &p->integrity_line,
				     "integrity level", "integrity LOW < HIGH");
	if (!strcmp(kw, "categories"))
		return parse_categories(p, ln);
	if (!strcmp(kw, "policy"))
		return parse_policy(p, ln);
	if (!strcmp(kw, "disk"))
		return open_block(p, ln, BLOCK_DISK);
	if (!strcmp(kw, "media"))
		return open_block(p, ln, BLOCK_MEDIA);
	if (!strcmp(kw, "vm"))
		return open_block(p, ln, BLOCK_VM);
	if (!strcmp(kw, "net"))
		return open_block(p, ln, BLOCK_NET);
	if (!strcmp(kw, "diode"))
		return open_block(p, ln, BLOCK_DIODE);
	if (sysdef_is_transfer_stmt(kw))
		return sysdef_transfer_top(p->s, p->lx, ln);
	return fail_at(p, ln->lineno,
		       "unknown keyword '%s' (expected levels, categories, integrity, policy, disk, media, net, diode, vm, transfer-limit or transfer-expire)",
		       kw);
}

static int parse_stmt(struct parser *p, const struct line *ln)
{
	const struct token *t0 = &ln->tok[0];

	if (t0->kind == TOK_RBRACE) {
		if (p->block == BLOCK_NONE)
			return fail_at(p, ln->lineno, "'}' without an open block");
		return close_block(p, ln);
	}
	if (t0->kind != TOK_WORD)
		return fail_at(p, ln->lineno, "a statement must start with a keyword, not %s",
			       t0->kind == TOK_STRING ? "a string" : t0->kind == TOK_LBRACE ? "'{'" : "'<'");
	if (p->block == BLOCK_NONE)
		return parse_top_stmt(p, ln);
	if (!strcmp(t0->text, "disk") || !strcmp(t0->text, "media") || !strcmp(t0->text, "vm") ||
	    !strcmp(t0->text, "net") || !strcmp(t0->text, "diode")) {
		if (ln->n == 3 && ln->tok[2].kind == TOK_LBRACE)
			return fail_at(p, ln->lineno, "blocks do not nest ('}' missing for %s '%s' opened at line %d)",
				       block_word[p->block], block_name(p), p->block_line);
	}
	if (p->block == BLOCK_VM)
		return parse_vm_stmt(p, ln);
	if (p->block == BLOCK_NET || p->block == BLOCK_DIODE)
		return chan_block_stmt(p, ln);
	return parse_image_stmt(p, ln);
}

static const char *image_word(enum sysdef_image_kind kind)
{
	return kind == SYSDEF_DISK ? "disk" : "media";
}

/* After the last line: attachments name declared images of the right kind. */
static int resolve_attachments(struct parser *p)
{
	for (unsigned v = 0; v < p->s->nvms; v++) {
		struct sysdef_vm *vm = &p->s->vms[v];
		for (unsigned i = 0; i < vm->nattach; i++) {
			const char *name = p->s->attach_ref[v][i].name;
			enum sysdef_image_kind kind = p->s->attach_ref[v][i].kind;
			const struct sysdef_image *img = sysdef_image_by_name(p->s, name);
			int line = vm->attach[i].line;
			if (!img)
				return fail_at(p, line, "vm '%s' attaches undeclared %s '%s'", vm->name,
					       image_word(kind), name);
			if (img->kind != kind)
				return fail_at(p, line, "vm '%s' attaches '%s' as %s, but it is declared as %s (line %d)",
					       vm->name, name, image_word(kind), image_word(img->kind), img->line);
			vm->attach[i].image = img;
		}
	}
	return 0;
}

int sysdef_parse_into(struct sysdef *s, struct lexer *lx, const char *base_dir)
{
	struct parser p;
	struct line ln;
	int rc, last;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.lx = lx;
	p.base_dir = base_dir;
	while ((rc = lex_line(lx, &ln)) > 0)
		if (parse_stmt(&p, &ln) < 0)
			return -1;
	if (rc < 0)
		return -1;
	last = lx->lineno ? lx->lineno : 1; /* an empty file has one empty line */
	if (p.block != BLOCK_NONE)
		return fail_at(&p, last, "'}' missing at end of file (%s '%s' opened at line %d)",
			       block_word[p.block], block_name(&p), p.block_line);
	if (!s->nvms)
		return fail_at(&p, last, "no vm declared");
	if (resolve_attachments(&p) < 0)
		return -1;
	return chan_resolve(&p);
}
