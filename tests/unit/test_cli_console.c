/*
 * `cordon console`'s output filter (src/cli/console_out.c): a guest's
 * output passes unchanged but for the escape sequences that set the
 * terminal's title, whole or split across reads, ended or not.
 */
#include "t.h"

#include "cli/console_out.h"

static size_t filt(struct console_out *c, const char *in, char *out)
{
	return console_out_filter(c, (const uint8_t *)in, strlen(in), (uint8_t *)out);
}

TEST(console_out_plain_and_other_escapes_pass)
{
	struct console_out c = { 0 };
	char out[128];
	const char *text = "login: \x1b[1;31mred\x1b[0m \x1b[6n\r\n\x1b" "c\x1b\x1b[K";
	size_t n = filt(&c, text, out);
	CHECK_EQ(n, strlen(text));
	CHECK(!memcmp(out, text, n));
	CHECK_EQ(c.state, 0);
}

TEST(console_out_title_sequences_dropped)
{
	struct console_out c = { 0 };
	char out[128];
	/* BEL-terminated and ST-terminated, with text around them. */
	size_t n = filt(&c, "a\x1b]0;vm other (TOP_SECRET)\x07" "b\x1b]2;x\x1b\\c", out);
	CHECK_EQ(n, 3);
	CHECK(!memcmp(out, "abc", 3));
	/* Split anywhere across reads. */
	const char *parts[] = { "x\x1b", "]", "0;fake", "\x1b", "\\", "y" };
	size_t total = 0;
	for (unsigned i = 0; i < 6; i++)
		total += filt(&c, parts[i], out + total);
	CHECK_EQ(total, 2);
	CHECK(!memcmp(out, "xy", 2));
	/* An ESC held back at the end of a read comes out with the next. */
	CHECK_EQ(filt(&c, "z\x1b", out), 1);
	CHECK_EQ(filt(&c, "[m", out), 3);
	CHECK(!memcmp(out, "\x1b[m", 3));
}

TEST(console_out_endless_title_cut)
{
	struct console_out c = { 0 };
	static char in[CONSOLE_OSC_MAX + 64], out[sizeof(in) + 1];
	memset(in, 'q', sizeof(in) - 1);
	in[0] = '\x1b', in[1] = ']';
	size_t n = filt(&c, in, out);
	/* Output comes back after the cap, not never. */
	CHECK(n > 0 && n < 64);
	CHECK_EQ(c.state, 0);
}
