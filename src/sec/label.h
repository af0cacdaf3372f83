/*
 * Security labels: the lattice the reference monitor decides over.
 *
 * A site declares three lists of names:
 *   - secrecy levels, lowest first   (UNCLASSIFIED < CONFIDENTIAL < SECRET)
 *   - categories, an unordered set    (NATO, CRYPTO; at most 64)
 *   - integrity levels, lowest first  (LOW < HIGH)
 * A label is one secrecy level, a set of categories and one integrity
 * level, all as indexes into those lists.
 *
 * Two orders matter:
 *   secrecy dominance (Bell-LaPadula)  a.level >= b.level, a.cats ⊇ b.cats
 *   integrity dominance (Biba)         a.integrity >= b.integrity
 * and they combine into the information-flow order: data may flow from a
 * to b when b's secrecy dominates a's and a's integrity dominates b's
 * (label_flows_to).  label_lub and label_glb are the join and meet of that
 * flow order: the lub of two labels is the lowest label both may flow to
 * (higher secrecy, union of categories, LOWER integrity: data mixed from
 * two sources is only as trustworthy as the less trusted one), the glb the
 * highest label that may flow to both.
 *
 * Text form: LEVEL[:CAT,CAT...][/INTEGRITY], e.g. "SECRET:NATO,CRYPTO/HIGH".
 * Without /INTEGRITY the lowest declared integrity level is meant.  Names
 * are case-sensitive.  label_format writes categories in declaration order
 * and always writes /INTEGRITY when the site declares integrity levels, so
 * every label has exactly one canonical text.
 *
 * Pure code: no I/O, no allocation, no globals.
 */
#ifndef CORDON_SEC_LABEL_H
#define CORDON_SEC_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LABEL_ERRLEN 256
#define LATTICE_NAME_MAX 31       /* characters in one name, [A-Za-z0-9_-] */
#define LATTICE_MAX_LEVELS 32
#define LATTICE_MAX_CATEGORIES 64 /* one bit each in label.cats */
#define LATTICE_MAX_INTEGRITY 16
/* The longest canonical text, with its NUL: level, every category, integrity. */
#define LABEL_TEXT_MAX                                                          \
	(LATTICE_NAME_MAX + LATTICE_MAX_CATEGORIES * (1 + LATTICE_NAME_MAX) +     \
	 1 + LATTICE_NAME_MAX + 1)

struct lattice {
	unsigned nlevels, ncats, nintegrity;
	char levels[LATTICE_MAX_LEVELS][LATTICE_NAME_MAX + 1];
	char cats[LATTICE_MAX_CATEGORIES][LATTICE_NAME_MAX + 1];
	char integrity[LATTICE_MAX_INTEGRITY][LATTICE_NAME_MAX + 1];
};

struct label {
	uint8_t level;     /* index into lattice.levels */
	uint64_t cats;     /* bit i: lattice.cats[i] */
	uint8_t integrity; /* index into lattice.integrity (0 if none declared) */
};

/* An empty lattice.  Declare names in order, lowest level first. */
void lattice_init(struct lattice *lat);
/*
 * Each appends one name.  -1 with a one-line reason in err (LABEL_ERRLEN
 * bytes) when the name is empty, too long, has a character outside
 * [A-Za-z0-9_-], is already declared in the same list, or the list is full.
 * The same name may appear in two different lists (their positions in the
 * text form tell them apart).
 */
int lattice_add_level(struct lattice *lat, const char *name, char *err);
int lattice_add_category(struct lattice *lat, const char *name, char *err);
int lattice_add_integrity(struct lattice *lat, const char *name, char *err);

/* Index of a declared name, or -1. */
int lattice_find_level(const struct lattice *lat, const char *name);
int lattice_find_category(const struct lattice *lat, const char *name);
int lattice_find_integrity(const struct lattice *lat, const char *name);

/* True when every index in l names something the lattice declares. */
bool label_valid(const struct lattice *lat, const struct label *l);

bool label_secrecy_dominates(const struct label *a, const struct label *b);
bool label_integrity_dominates(const struct label *a, const struct label *b);
bool label_secrecy_equal(const struct label *a, const struct label *b);
/* Data may flow from a to b: b's secrecy dominates a's, a's integrity b's. */
bool label_flows_to(const struct label *a, const struct label *b);
bool label_equal(const struct label *a, const struct label *b);
/* Ordered either way by label_flows_to. */
bool label_comparable(const struct label *a, const struct label *b);
/* Join and meet of the flow order (see the top of this file). */
struct label label_lub(const struct label *a, const struct label *b);
struct label label_glb(const struct label *a, const struct label *b);

/*
 * Parses the text form.  0 on success; -1 with err naming the unknown
 * level, category or integrity level (or the syntax problem).
 */
int label_parse(const struct lattice *lat, const char *s, struct label *out, char *err);
/*
 * Writes the canonical text.  Returns its length, or -1 if l is not valid
 * in lat or len is too small (buf then holds "" when len > 0).
 */
int label_format(const struct lattice *lat, const struct label *l, char *buf, size_t len);

#endif
