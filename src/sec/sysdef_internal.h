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
	struct sysdef_transfer transfer;
	int transfer_limit_line, transfer_expire_line; /* where each was set, 0 = not */
	unsigned nvms, nimages;
	struct sysdef_vm vms[SYSDEF_MAX_VMS];
	struct sysdef_image images[SYSDEF_MAX_IMAGES];
	/* Attachments name their image until the whole file is read, so a VM
	 * may attach an image declared further down. */
	struct {
		char name[SYSDEF_NAME_MAX];
		enum sysdef_image_kind kind;
	} attach_ref[SYSDEF_MAX_VMS][SYSDEF_MAX_ATTACH];
	unsigned nnets, ndiodes;
	struct sysdef_net nets[SYSDEF_MAX_NETS];
	struct sysdef_diode diodes[SYSDEF_MAX_DIODES];
	/* Names that nets, diodes and VMs refer to, resolved after the whole
	 * file is read (sysdef_chan.c), like attach_ref. */
	char nic_ref[SYSDEF_MAX_VMS][SYSDEF_MAX_NICS][SYSDEF_NAME_MAX];
	struct {
		char name[SYSDEF_NAME_MAX];  /* "mac NAME ADDRESS": the net or diode */
		uint8_t mac[SYSDEF_MAC_LEN];
		int line;
	} mac_ref[SYSDEF_MAX_VMS][SYSDEF_MAX_NICS];
	unsigned nmacs[SYSDEF_MAX_VMS];
	char diode_end_ref[SYSDEF_MAX_DIODES][2][SYSDEF_NAME_MAX]; /* from, to */
	int diode_end_line[SYSDEF_MAX_DIODES][2];
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
/* Decimal digits with an optional K, M or G suffix; -1 if malformed. */
int sysdef_parse_size(const char *s, uint64_t *out);

enum block_kind { BLOCK_NONE, BLOCK_DISK, BLOCK_MEDIA, BLOCK_VM, BLOCK_NET, BLOCK_DIODE };

/* Where each once-only statement was first seen (0 = not yet). */
struct seen {
	int label, memory, kernel, initrd, append, serial, file, luks, transfer;
	int uplink, from, to;
};

struct parser {
	struct sysdef *s;
	struct lexer *lx;
	const char *base_dir;
	enum block_kind block;
	int block_line;
	struct seen seen;
	int levels_line, cats_line, integrity_line;
	int policy_line[4];
	int first_block_line;
};

/* Shared by sysdef_parse.c and the block kinds parsed in files of their
 * own; each reports through fail_at and returns -1 on an error. */
int fail_at(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Token i of ln is a name: [A-Za-z0-9_-], at most SYSDEF_NAME_MAX-1. */
int check_name(struct parser *p, const struct line *ln, unsigned i, const char *what);
/* "label LABEL": checked against the lattice; *text is malloc'ed. */
int parse_label(struct parser *p, const struct line *ln, struct label *out, const char **text);
/* A statement allowed once per block; *first tracks its line. */
int once(struct parser *p, const struct line *ln, int *first);

/* Nets and diodes (sysdef_chan.c). */
int chan_open_block(struct parser *p, const struct line *ln, enum block_kind kind);
int chan_block_stmt(struct parser *p, const struct line *ln);
int chan_close_block(struct parser *p);
const char *chan_block_name(const struct parser *p);
/* "net NAME", "diode NAME" and "mac NAME ADDRESS" inside a vm block. */
int chan_vm_stmt(struct parser *p, const struct line *ln);
/* After the last line: every name resolves, ends and MACs are consistent. */
int chan_resolve(struct parser *p);

/* File transfer (sysdef_transfer.c): "transfer-limit" and
 * "transfer-expire" at the top level, "transfer on|off" in a vm block
 * (*seen: the line it was first set in this block).  0, or -1 with
 * lx->err set. */
bool sysdef_is_transfer_stmt(const char *keyword);
int sysdef_transfer_top(struct sysdef *s, struct lexer *lx, const struct line *ln);
int sysdef_transfer_vm(struct sysdef_vm *vm, struct lexer *lx, const struct line *ln, int *seen);

#endif
