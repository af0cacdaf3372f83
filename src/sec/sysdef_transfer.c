/*
 * The system file's file-transfer statements (docs/sysdef.md,
 * docs/transfer.md):
 *
 *   transfer-limit SIZE FILES     top level, once: what one transfer may
 *                                 carry (default 64M 1000)
 *   transfer-expire DURATION      top level, once: how long an undelivered
 *                                 transfer is kept (default 7d)
 *   transfer on|off               in a vm block, once: the VM gets an
 *                                 outbox and an inbox (default off)
 *
 * "policy write-up on|off" is an ordinary policy switch (sysdef_parse.c).
 */
#include "sec/sysdef_internal.h"

#include <string.h>

#include "xfer/stream.h"

#define EXPIRE_MAX (366ull * 24 * 3600)

bool sysdef_is_transfer_stmt(const char *keyword)
{
	return strcmp(keyword, "transfer-limit") == 0 || strcmp(keyword, "transfer-expire") == 0;
}

static int set_once(struct lexer *lx, const struct line *ln, int *first)
{
	if (*first)
		return sysdef_fail(lx->err, lx->name, ln->lineno, "%s set twice (first at line %d)",
				   ln->tok[0].text, *first);
	*first = ln->lineno;
	return 0;
}

/* A count: 1..max decimal digits, no sign, no suffix. */
static int parse_count(const char *w, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	if (!*w)
		return -1;
	for (; *w; w++) {
		if (*w < '0' || *w > '9' || n > max)
			return -1;
		n = n * 10 + (uint64_t)(*w - '0');
	}
	if (n == 0 || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_limit(struct sysdef *s, struct lexer *lx, const struct line *ln)
{
	uint64_t bytes, files;
	if (ln->n != 3 || ln->tok[1].kind != TOK_WORD || ln->tok[2].kind != TOK_WORD)
		return sysdef_fail(lx->err, lx->name, ln->lineno,
				   "expected: transfer-limit SIZE FILES (e.g. transfer-limit 64M 1000)");
	if (set_once(lx, ln, &s->transfer_limit_line) < 0)
		return -1;
	if (sysdef_parse_size(ln->tok[1].text, &bytes) < 0 || bytes == 0 || bytes > XFER_CEIL_MAX_BYTES)
		return sysdef_fail(lx->err, lx->name, ln->lineno,
				   "bad transfer size '%s' (1 .. 4G, with an optional K, M or G suffix)",
				   ln->tok[1].text);
	if (parse_count(ln->tok[2].text, XFER_CEIL_MAX_FILES, &files) < 0)
		return sysdef_fail(lx->err, lx->name, ln->lineno, "bad file count '%s' (1 .. %u)",
				   ln->tok[2].text, XFER_CEIL_MAX_FILES);
	s->transfer.max_bytes = bytes;
	s->transfer.max_files = (uint32_t)files;
	return 0;
}

/* DIGITS followed by s, m, h or d. */
static int parse_duration(const char *w, uint64_t *out)
{
	size_t len = strlen(w);
	uint64_t n, unit;
	char digits[24];
	if (len < 2 || len > sizeof(digits))
		return -1;
	switch (w[len - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 24 * 3600; break;
	default: return -1;
	}
	memcpy(digits, w, len - 1);
	digits[len - 1] = 0;
	if (parse_count(digits, EXPIRE_MAX, &n) < 0 || n * unit > EXPIRE_MAX)
		return -1;
	*out = n * unit;
	return 0;
}

static int parse_expire(struct sysdef *s, struct lexer *lx, const struct line *ln)
{
	if (ln->n != 2 || ln->tok[1].kind != TOK_WORD)
		return sysdef_fail(lx->err, lx->name, ln->lineno,
				   "expected: transfer-expire DURATION (e.g. transfer-expire 7d)");
	if (set_once(lx, ln, &s->transfer_expire_line) < 0)
		return -1;
	if (parse_duration(ln->tok[1].text, &s->transfer.expire_seconds) < 0)
		return sysdef_fail(lx->err, lx->name, ln->lineno,
				   "bad duration '%s' (a number and s, m, h or d; 1s .. 366d)",
				   ln->tok[1].text);
	return 0;
}

int sysdef_transfer_top(struct sysdef *s, struct lexer *lx, const struct line *ln)
{
	if (strcmp(ln->tok[0].text, "transfer-limit") == 0)
		return parse_limit(s, lx, ln);
	return parse_expire(s, lx, ln);
}

int sysdef_transfer_vm(struct sysdef_vm *vm, struct lexer *lx, const struct line *ln, int *seen)
{
	const char *w = ln->n == 2 && ln->tok[1].kind == TOK_WORD ? ln->tok[1].text : "";
	if (strcmp(w, "on") != 0 && strcmp(w, "off") != 0)
		return sysdef_fail(lx->err, lx->name, ln->lineno, "expected: transfer on|off");
	if (*seen)
		return sysdef_fail(lx->err, lx->name, ln->lineno,
				   "duplicate 'transfer' in vm '%s' (first at line %d)", vm->name, *seen);
	*seen = ln->lineno;
	vm->transfer = strcmp(w, "on") == 0;
	return 0;
}
