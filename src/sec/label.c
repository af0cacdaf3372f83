/*
 * The label lattice: declarations, the orders, lub/glb, text form.
 * See label.h for the definitions; this file only has to get them right.
 */
#include "sec/label.h"

#include <stdio.h>
#include <string.h>

/* --- declarations ---------------------------------------------------------- */

void lattice_init(struct lattice *lat)
{
	memset(lat, 0, sizeof(*lat));
}

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

typedef const char name_list[][LATTICE_NAME_MAX + 1];

/* Index of the name s[0..len) in a list of n names, or -1. */
static int find_name(name_list names, unsigned n, const char *s, size_t len)
{
	if (len == 0 || len > LATTICE_NAME_MAX)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (strncmp(names[i], s, len) == 0 && names[i][len] == '\0')
			return (int)i;
	return -1;
}

static int check_name(const char *kind, const char *name, char *err)
{
	size_t len = strlen(name);

	if (len == 0) {
		snprintf(err, LABEL_ERRLEN, "empty %s name", kind);
		return -1;
	}
	if (len > LATTICE_NAME_MAX) {
		snprintf(err, LABEL_ERRLEN, "%s name '%.40s...' is longer than %d characters",
			 kind, name, LATTICE_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!name_char(name[i])) {
			snprintf(err, LABEL_ERRLEN,
				 "%s name '%s': only letters, digits, '_' and '-' are allowed",
				 kind, name);
			return -1;
		}
	}
	return 0;
}

/* Appends name to a list of *n names holding at most max. */
static int add_name(char (*names)[LATTICE_NAME_MAX + 1], unsigned *n, unsigned max,
		    const char *kind, const char *kinds, const char *name, char *err)
{
	if (check_name(kind, name, err) < 0)
		return -1;
	if (find_name((const char (*)[LATTICE_NAME_MAX + 1])names, *n, name, strlen(name)) >=
	    0) {
		snprintf(err, LABEL_ERRLEN, "%s '%s' declared twice", kind, name);
		return -1;
	}
	if (*n == max) {
		snprintf(err, LABEL_ERRLEN, "too many %s: '%s' would be number %u, the limit is %u",
			 kinds, name, max + 1, max);
		return -1;
	}
	memcpy(names[*n], name, strlen(name) + 1);
	(*n)++;
	return 0;
}

int lattice_add_level(struct lattice *lat, const char *name, char *err)
{
	return add_name(lat->levels, &lat->nlevels, LATTICE_MAX_LEVELS, "level", "levels", name,
			err);
}

int lattice_add_category(struct lattice *lat, const char *name, char *err)
{
	return add_name(lat->cats, &lat->ncats, LATTICE_MAX_CATEGORIES, "category", "categories",
			name, err);
}

int lattice_add_integrity(struct lattice *lat, const char *name, char *err)
{
	return add_name(lat->integrity, &lat->nintegrity, LATTICE_MAX_INTEGRITY,
			"integrity level", "integrity levels", name, err);
}

int lattice_find_level(const struct lattice *lat, const char *name)
{
	return find_name(lat->levels, lat->nlevels, name, strlen(name));
}

int lattice_find_category(const struct lattice *lat, const char *name)
{
	return find_name(lat->cats, lat->ncats, name, strlen(name));
}

int lattice_find_integrity(const struct lattice *lat, const char *name)
{
	return find_name(lat->integrity, lat->nintegrity, name, strlen(name));
}

/* Bits of every declared category. */
static uint64_t all_cats(const struct lattice *lat)
{
	return lat->ncats >= 64 ? ~0ull : (1ull << lat->ncats) - 1;
}

bool label_valid(const struct lattice *lat, const struct label *l)
{
	unsigned max_integrity = lat->nintegrity ? lat->nintegrity : 1;

	return l->level < lat->nlevels && (l->cats & ~all_cats(lat)) == 0 &&
	       l->integrity < max_integrity;
}

/* --- orders ---------------------------------------------------------------- */

bool label_secrecy_dominates(const struct label *a, const struct label *b)
{
	return a->level >= b->level && (a->cats & b->cats) == b->cats;
}

bool label_integrity_dominates(const struct label *a, const struct label *b)
{
	return a->integrity >= b->integrity;
}

bool label_secrecy_equal(const struct label *a, const struct label *b)
{
	return a->level == b->level && a->cats == b->cats;
}

bool label_flows_to(const struct label *a, const struct label *b)
{
	return label_secrecy_dominates(b, a) && label_integrity_dominates(a, b);
}

bool label_equal(const struct label *a, const struct label *b)
{
	return label_secrecy_equal(a, b) && a->integrity == b->integrity;
}

bool label_comparable(const struct label *a, const struct label *b)
{
	return label_flows_to(a, b) || label_flows_to(b, a);
}

struct label label_lub(const struct label *a, const struct label *b)
{
	struct label r = {
		.level = a->level > b->level ? a->level : b->level,
		.cats = a->cats | b->cats,
		.integrity = a->integrity < b->integrity ? a->integrity : b->integrity,
	};
	return r;
}

struct label label_glb(const struct label *a, const struct label *b)
{
	struct label r = {
		.level = a->level < b->level ? a->level : b->level,
		.cats = a->cats & b->cats,
		.integrity = a->integrity > b->integrity ? a->integrity : b->integrity,
	};
	return r;
}

/* --- text form ------------------------------------------------------------- */

/* Length of the name starting at s (up to the next ':', ',', '/' or NUL). */
static size_t name_span(const char *s)
{
	return strcspn(s, ":,/");
}

/* Reads the category list at *p (after ':'), leaving *p on '/' or NUL. */
static int parse_cats(const struct lattice *lat, const char *label, const char **p,
		      uint64_t *cats, char *err)
{
	*cats = 0;
	for (;;) {
		size_t n = name_span(*p);
		int i = find_name(lat->cats, lat->ncats, *p, n);
		if (n == 0) {
			snprintf(err, LABEL_ERRLEN, "label '%.80s': empty category name", label);
			return -1;
		}
		if (i < 0) {
			snprintf(err, LABEL_ERRLEN, "label '%.80s': unknown category '%.*s'", label,
				 (int)(n > 40 ? 40 : n), *p);
			return -1;
		}
		if (*cats & (1ull << i)) {
			snprintf(err, LABEL_ERRLEN, "label '%.80s': category '%s' given twice", label,
				 lat->cats[i]);
			return -1;
		}
		*cats |= 1ull << i;
		*p += n;
		if (**p != ',')
			return 0;
		(*p)++;
	}
}

int label_parse(const struct lattice *lat, const char *s, struct label *out, char *err)
{
	const char *p = s;
	size_t n = name_span(p);
	int level, integrity = 0;
	uint64_t cats = 0;

	if (n == 0) {
		snprintf(err, LABEL_ERRLEN, "label '%.80s': missing the secrecy level", s);
		return -1;
	}
	level = find_name(lat->levels, lat->nlevels, p, n);
	if (level < 0) {
		snprintf(err, LABEL_ERRLEN, "label '%.80s': unknown level '%.*s'", s,
			 (int)(n > 40 ? 40 : n), p);
		return -1;
	}
	p += n;
	if (*p == ':') {
		p++;
		if (parse_cats(lat, s, &p, &cats, err) < 0)
			return -1;
	}
	if (*p == '/') {
		p++;
		n = name_span(p);
		integrity = find_name(lat->integrity, lat->nintegrity, p, n);
		if (integrity < 0) {
			snprintf(err, LABEL_ERRLEN, "label '%.80s': unknown integrity level '%.*s'",
				 s, (int)(n > 40 ? 40 : n), p);
			return -1;
		}
		p += n;
	}
	if (*p != '\0') {
		snprintf(err, LABEL_ERRLEN,
			 "label '%.80s': unexpected '%c' (the form is LEVEL[:CAT,...][/INTEGRITY])",
			 s, *p);
		return -1;
	}
	out->level = (uint8_t)level;
	out->cats = cats;
	out->integrity = (uint8_t)integrity;
	return 0;
}

/* Appends s to buf (holding *used bytes); false when it does not fit. */
static bool append(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s);
	if (*used + n + 1 > len)
		return false;
	memcpy(buf + *used, s, n + 1);
	*used += n;
	return true;
}

int label_format(const struct lattice *lat, const struct label *l, char *buf, size_t len)
{
	size_t used = 0;
	bool ok;

	if (len > 0)
		buf[0] = '\0';
	if (!label_valid(lat, l) || len == 0)
		return -1;
	ok = append(buf, len, &used, lat->levels[l->level]);
	for (unsigned i = 0, first = 1; ok && i < lat->ncats; i++) {
		if (!(l->cats & (1ull << i)))
			continue;
		ok = append(buf, len, &used, first ? ":" : ",") &&
		     append(buf, len, &used, lat->cats[i]);
		first = 0;
	}
	if (ok && lat->nintegrity)
		ok = append(buf, len, &used, "/") &&
		     append(buf, len, &used, lat->integrity[l->integrity]);
	if (!ok) {
		buf[0] = '\0';
		return -1;
	}
	return (int)used;
}
