/*
 * bench/guest/gentext bytes N | lines N: deterministic English-like text
 * (words from a fixed list chosen by a xorshift generator), either N
 * bytes of it in lines of up to 72 characters or N lines of 1-8 words.
 * The same arguments always give the same bytes, so the workloads' output
 * checksums are fixed.
 */
#include "sys.h"

static const char *const words[] = {
	"the", "of", "and", "to", "in", "machine", "virtual", "monitor", "secure", "label",
	"guest", "kernel", "page", "table", "segment", "register", "interrupt", "device", "memory", "policy",
	"a", "is", "that", "for", "it", "with", "as", "was", "on", "be",
	"audit", "channel", "covert", "isolation", "reference", "integrity", "secrecy", "category", "level", "trusted",
	"instruction", "sensitive", "privilege", "descriptor", "gate", "task", "stack", "flag", "carry", "zero",
	"quick", "brown", "fox", "jumps", "over", "lazy", "dog", "pack", "my", "box",
	"five", "dozen", "liquor", "jugs", "sphinx", "of", "black", "quartz", "judge", "vow",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static u32 state = 2463534242u;
static u32 next(void)
{
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

static char out[65536];
static u32 used;

static void emit(const char *s, u32 n)
{
	for (u32 k = 0; k < n; k++) {
		if (used == sizeof(out)) {
			write_all(1, out, used);
			used = 0;
		}
		out[used++] = s[k];
	}
}

static void flush(void)
{
	write_all(1, out, used);
	used = 0;
}

/* One line of 1-8 words (lines mode) or up to 72 characters (bytes mode);
 * returns its length with the newline. */
static u32 line(u32 max_words, u32 max_chars)
{
	u32 len = 0, nw = 1 + next() % max_words;
	for (u32 w = 0; w < nw; w++) {
		const char *s = words[next() % NWORDS];
		u32 n = str_len(s);
		if (w && len + 1 + n > max_chars)
			break;
		if (w)
			emit(" ", 1), len++;
		emit(s, n);
		len += n;
	}
	emit("\n", 1);
	return len + 1;
}

int main(int argc, char **argv)
{
	u32 n = argc == 3 ? parse_u32(argv[2]) : ~0u;
	if (n == ~0u)
		fail("gentext", "usage: gentext bytes N | lines N");
	if (argv[1][0] == 'l') {
		for (u32 k = 0; k < n; k++)
			line(8, 1000);
	} else {
		u32 done = 0;
		while (done + 80 < n)
			done += line(14, 72);
		while (done < n)
			emit("x", 1), done++;
	}
	flush();
	return 0;
}
