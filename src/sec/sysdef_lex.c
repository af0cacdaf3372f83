/*
 * The system file's lexer: turns one line at a time into words, strings
 * and the punctuation '{', '}' and '<'.  Line-at-a-time because every
 * statement is exactly one line; the parser never has to look across a
 * newline, and every error knows its line.
 *
 * The input is hostile in the sense that it may be anything (it is fuzzed
 * under ASan): every byte is classified, nothing is read past end, and
 * token texts live in a caller-sized scratch buffer that cannot overflow
 * because a line's tokens never need more bytes than the line itself plus
 * one NUL per token.
 */
#include "sec/sysdef_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xfer/stream.h"

int sysdef_fail(char *err, const char *name, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, SYSDEF_ERRLEN, "%s:%d: ", name, line);

	if (n < 0 || n >= SYSDEF_ERRLEN)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, SYSDEF_ERRLEN - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void lex_init(struct lexer *lx, const char *text, size_t len, const char *name,
	      char *scratch, char *err)
{
	lx->p = text;
	lx->end = text + len;
	lx->name = name;
	lx->lineno = 0;
	lx->scratch = scratch;
	lx->scratch_used = 0;
	lx->err = err;
}

/* Word characters: identifiers [A-Za-z0-9_-] plus the label punctuation
 * ':' ',' '/' so "SECRET:NATO,CRYPTO/HIGH" is one word. */
static int is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == ':' || c == ',' || c == '/';
}

static int fail(struct lexer *lx, const char *fmt, const char *arg)
{
	return sysdef_fail(lx->err, lx->name, lx->lineno, fmt, arg);
}

/* A byte as it should appear in a message: itself if printable. */
static const char *show_byte(unsigned char c, char buf[8])
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

static int push(struct lexer *lx, struct line *ln, enum tok_kind kind, const char *text)
{
	if (ln->n == LINE_MAX_TOKENS)
		return fail(lx, "too many words on one line (at most %s)", "80");
	ln->tok[ln->n].kind = kind;
	ln->tok[ln->n].text = text;
	ln->n++;
	return 0;
}

/* Token texts go to the scratch buffer, which cannot overflow: see the top. */
static char *scratch_start(struct lexer *lx)
{
	return lx->scratch + lx->scratch_used;
}

static void scratch_finish(struct lexer *lx, size_t n)
{
	lx->scratch[lx->scratch_used + n] = '\0';
	lx->scratch_used += n + 1;
}

static int lex_word(struct lexer *lx, struct line *ln)
{
	char *out = scratch_start(lx);
	size_t n = 0;

	while (lx->p < lx->end && is_word_char((unsigned char)*lx->p))
		out[n++] = *lx->p++;
	scratch_finish(lx, n);
	return push(lx, ln, TOK_WORD, out);
}

/* Strings end up in JSON (the audit log's records, the monitor's start-up
 * message), which holds only UTF-8: anything else is refused here, with
 * its line, rather than as a record that cannot be written. */
static int check_utf8(struct lexer *lx, const char *s, size_t n)
{
	char b[8];
	uint32_t cp;
	for (size_t i = 0, k; i < n; i += k) {
		k = xfer_utf8_decode((const uint8_t *)s + i, n - i, &cp);
		if (k == 0)
			return sysdef_fail(lx->err, lx->name, lx->lineno,
					   "string is not valid UTF-8 (byte %s at offset %zu)",
					   show_byte((unsigned char)s[i], b), i);
	}
	return 0;
}

/* "..." with \" and \\ the only escapes; must end on the line it starts. */
static int lex_string(struct lexer *lx, struct line *ln)
{
	char *out = scratch_start(lx);
	size_t n = 0;
	char b[8];

	lx->p++; /* opening quote */
	for (;;) {
		unsigned char c;
		if (lx->p == lx->end || *lx->p == '\n')
			return fail(lx, "unterminated string%s (a string must end on the line it starts)", "");
		c = (unsigned char)*lx->p++;
		if (c == '"')
			break;
		if (c == '\\') {
			if (lx->p == lx->end || *lx->p == '\n')
				return fail(lx, "unterminated string%s (a string must end on the line it starts)", "");
			c = (unsigned char)*lx->p++;
			if (c != '"' && c != '\\')
				return fail(lx, "unknown escape '\\%s' in string (only \\\" and \\\\ are allowed)",
					    show_byte(c, b));
		} else if (c < 0x20 || c == 0x7f) {
			return fail(lx, "control character %s in string", show_byte(c, b));
		}
		if (n == STRING_MAX)
			return fail(lx, "string longer than %s bytes", "4095");
		out[n++] = (char)c;
	}
	if (check_utf8(lx, out, n) < 0)
		return -1;
	scratch_finish(lx, n);
	return push(lx, ln, TOK_STRING, out);
}

static void skip_comment(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
}

/* Lexes one physical line (up to and including its newline). */
static int lex_one_line(struct lexer *lx, struct line *ln)
{
	char b[8];

	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		int rc = 0;

		if (c == '\n') {
			lx->p++;
			break;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#') {
			skip_comment(lx);
		} else if (c == '"') {
			rc = lex_string(lx, ln);
		} else if (c == '{' || c == '}' || c == '<') {
			lx->p++;
			rc = push(lx, ln, c == '{' ? TOK_LBRACE : c == '}' ? TOK_RBRACE : TOK_LT,
				  c == '{' ? "{" : c == '}' ? "}" : "<");
		} else if (is_word_char(c)) {
			rc = lex_word(lx, ln);
		} else {
			return fail(lx, "unexpected character '%s'", show_byte(c, b));
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int lex_line(struct lexer *lx, struct line *ln)
{
	while (lx->p < lx->end) {
		lx->lineno++;
		lx->scratch_used = 0;
		ln->n = 0;
		ln->lineno = lx->lineno;
		if (lex_one_line(lx, ln) < 0)
			return -1;
		if (ln->n)
			return 1;
	}
	return 0;
}
