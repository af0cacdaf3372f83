/*
 * Helpers shared by the system-file tests (sysdef_test.h).
 */
#include "sysdef_test.h"

#include <stdlib.h>

#include "t.h"

struct sysdef *parse(const char *text, char *err)
{
	return sysdef_parse(text, strlen(text), "sys.conf", NULL, err);
}

void expect_error(const char *text, const char *want)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(text, err);

	CHECK(s == NULL);
	CHECK_STR(err, want);
	sysdef_free(s);
}

/* Fuzz ---------------------------------------------------------------------- */

static uint64_t fuzz_state;

static uint32_t fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (uint32_t)(fuzz_state >> 16);
}

/* Either a sysdef (1), or "fuzz.sys:LINE: ..." with 1 <= LINE <= lines in
 * text (0); anything else is reported and gives -1. */
static int fuzz_one(const char *text, size_t len)
{
	char err[SYSDEF_ERRLEN];
	char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	struct sysdef *s;
	unsigned long line, lines = 1;
	char *end;
	int ok = 1, parsed;

	if (!copy)
		return -1;
	memcpy(copy, text, len);
	memset(err, 'X', sizeof(err));
	s = sysdef_parse(copy, len, "fuzz.sys", "base", err);
	if (!s) {
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		ok = strncmp(err, "fuzz.sys:", 9) == 0 && memchr(err, '\0', sizeof(err));
		if (ok) {
			line = strtoul(err + 9, &end, 10);
			ok = end != err + 9 && end[0] == ':' && end[1] == ' ' && line >= 1 && line <= lines;
		}
		if (!ok)
			t_fail(__FILE__, __LINE__, "bad error for input of %zu bytes: %.100s", len, err);
	}
	parsed = s != NULL;
	sysdef_free(s);
	free(copy);
	return !ok ? -1 : parsed;
}

static size_t mutate(char *buf, size_t len, size_t cap)
{
	static const char special[] = "\"\\{}<#\n:,/ \t\0";
	size_t pos = len ? fuzz_rand() % len : 0;

	switch (fuzz_rand() % 5) {
	case 0: /* flip a byte to anything */
		if (len)
			buf[pos] = (char)fuzz_rand();
		break;
	case 1: /* ... or to a byte the grammar cares about */
		if (len)
			buf[pos] = special[fuzz_rand() % (sizeof(special) - 1)];
		break;
	case 2: { /* delete a run */
		size_t n = 1 + fuzz_rand() % 16;
		if (n > len - pos)
			n = len - pos;
		memmove(buf + pos, buf + pos + n, len - pos - n);
		len -= n;
		break;
	}
	default: { /* duplicate the line holding pos */
		size_t start = pos, end = pos;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		while (end < len && buf[end] != '\n')
			end++;
		if (end < len)
			end++;
		if (len + (end - start) <= cap) {
			memmove(buf + end + (end - start), buf + end, len - end);
			memcpy(buf + end, buf + start, end - start);
			len += end - start;
		}
		break;
	}
	}
	return len;
}

int sysdef_fuzz_each_prefix(const char *example, int *parsed)
{
	size_t len = strlen(example);
	int bad = 0;

	for (size_t n = 0; n <= len && bad < 5; n++) {
		int rc = fuzz_one(example, n);
		bad += rc < 0;
		*parsed += rc > 0;
	}
	return bad;
}

int sysdef_fuzz_mutated(const char *example, int rounds, uint64_t seed, int *parsed)
{
	enum { CAP = 8192 };
	static char buf[CAP];
	size_t base = strlen(example);
	int bad = 0;

	if (base > CAP)
		return 1;
	fuzz_state = seed;
	for (int r = 0; r < rounds && bad < 5; r++) {
		size_t len = base;
		int edits = 1 + (int)(fuzz_rand() % 8), rc;

		memcpy(buf, example, base);
		for (int e = 0; e < edits; e++)
			len = mutate(buf, len, CAP);
		rc = fuzz_one(buf, len);
		bad += rc < 0;
		*parsed += rc > 0;
	}
	return bad;
}
