/*
 * Shared between sysdef_lex.c, sysdef_parse.c and sysdef.c; not for use
 * outside src/sec/sysdef*.c.
 */
#ifndef CORDON_SEC_SYSDEF_INTERNAL_H
#define CORDON_SEC_SYSDEF_INTERNAL_H

#include "sec/sysdef.h"

struct sysdef {
	struct lattice lattice;
	struct sysdef_policy policy;
	unsigned nvms, nimages;
	struct sysdef_vm vms[SYSDEF_MAX_VMS];
	struct sysdef_image images[SYSDEF_MAX_IMAGES];
	/* Attachments name their image until the whole file is read, so a VM
	 * may attach an image declared further down. */
	struct {
		char name[SYSDEF_NAME_MAX];
		enum sysdef_image_kind kind;
	} attach_ref[SYSDEF_MAX_VMS][SYSDEF_MAX_ATTACH];
};

/* Lexer ------------------------------------------------------------------- */

enum tok_kind { TOK_WORD, TOK_STRING, TOK_LBRACE, TOK_RBRACE, TOK_LT };

struct token {
	enum tok_kind kind;
	const char *text; /* NUL-terminated; strings already unescaped */
};

#define LINE_MAX_TOKENS 80
#define STRING_MAX 4095 /* bytes in one string after unescaping */

struct line {
	int lineno;
	unsigned n;
	struct token tok[LINE_MAX_TOKENS];
};

struct lexer {
	const char *p, *end;
	const char *name; /* for messages */
	int lineno;       /* line being (or last) read, 1-based */
	char *scratch;    /* token texts of the current line */
	size_t scratch_used;
	char *err;
};

/* scratch must hold at least len + LINE_MAX_TOKENS bytes. */
void lex_init(struct lexer *lx, const char *text, size_t len, const char *name,
	      char *scratch, char *err);
/* Reads the next line that has tokens: 1, 0 at end of input, -1 (err set). */
int lex_line(struct lexer *lx, struct line *ln);
/* Formats "NAME:LINE: " + message into err; returns -1. */
int sysdef_fail(char *err, const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parser ------------------------------------------------------------------ */

int sysdef_parse_into(struct sysdef *s, struct lexer *lx, const char *base_dir);

#endif
