/* Console escape filter: Ctrl-A x / h / a, state kept across reads. */
#include "t.h"

#include "vm/console.h"

/* Runs the filter over a C string; returns the guest bytes in out. */
static size_t filter_str(struct console *c, const char *in, uint8_t *out,
			 enum console_action *action)
{
	return console_filter(c, (const uint8_t *)in, strlen(in), out, action);
}

TEST(console_plain_bytes_pass_through)
{
	struct console c = { 0 };
	enum console_action act = CONSOLE_QUIT;
	uint8_t out[16];
	size_t n = filter_str(&c, "ls\r\x03", out, &act);

	CHECK_EQ(n, 4);
	CHECK(memcmp(out, "ls\r\x03", 4) == 0);
	CHECK_EQ(act, CONSOLE_NONE);
	CHECK(!c.escape);
}

TEST(console_ctrl_a_x_quits)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];
	size_t n = filter_str(&c, "ab\x01xcd", out, &act);

	CHECK_EQ(act, CONSOLE_QUIT);
	CHECK_EQ(n, 2);
	CHECK(memcmp(out, "ab", 2) == 0);
}

TEST(console_ctrl_a_a_sends_ctrl_a)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];
	size_t n = filter_str(&c, "\x01" "a" "z\x01\x01", out, &act);

	CHECK_EQ(act, CONSOLE_NONE);
	CHECK_EQ(n, 3);
	CHECK_EQ(out[0], 0x01);
	CHECK_EQ(out[1], 'z');
	CHECK_EQ(out[2], 0x01);
}

TEST(console_ctrl_a_h_asks_help)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];
	size_t n = filter_str(&c, "q\x01hw", out, &act);

	CHECK_EQ(act, CONSOLE_HELP);
	CHECK_EQ(n, 2);
	CHECK(memcmp(out, "qw", 2) == 0);
	CHECK(strstr(console_help_text, "Ctrl-A x") != NULL);
}

TEST(console_other_escape_dropped)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];
	size_t n = filter_str(&c, "1\x01" "c2\x01q3", out, &act);

	CHECK_EQ(act, CONSOLE_NONE);
	CHECK_EQ(n, 3);
	CHECK(memcmp(out, "123", 3) == 0);
}

TEST(console_escape_split_across_reads)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];

	CHECK_EQ(filter_str(&c, "k\x01", out, &act), 1);
	CHECK_EQ(out[0], 'k');
	CHECK_EQ(act, CONSOLE_NONE);
	CHECK(c.escape);
	CHECK_EQ(filter_str(&c, "x", out, &act), 0);
	CHECK_EQ(act, CONSOLE_QUIT);
	CHECK(!c.escape);
}

TEST(console_quit_wins_over_help)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];

	filter_str(&c, "\x01h\x01x", out, &act);
	CHECK_EQ(act, CONSOLE_QUIT);
	filter_str(&c, "\x01x\x01h", out, &act);
	CHECK_EQ(act, CONSOLE_QUIT);
}

TEST(console_empty_input)
{
	struct console c = { .escape = true };
	enum console_action act = CONSOLE_HELP;
	uint8_t out[1];

	CHECK_EQ(console_filter(&c, NULL, 0, out, &act), 0);
	CHECK_EQ(act, CONSOLE_NONE);
	CHECK(c.escape); /* still waiting for the command byte */
}

TEST(console_detach_ends_the_input)
{
	struct console c = { 0 };
	enum console_action act;
	uint8_t out[16];

	/* What comes after Ctrl-A d is not the guest's: the operator left. */
	CHECK_EQ(filter_str(&c, "ls\r\x01" "dexit\r", out, &act), 3);
	CHECK_EQ(act, CONSOLE_DETACH);
	CHECK(memcmp(out, "ls\r", 3) == 0);
	/* Split across reads, and a help before it does not hide it. */
	CHECK_EQ(filter_str(&c, "\x01h\x01", out, &act), 0);
	CHECK_EQ(act, CONSOLE_HELP);
	CHECK_EQ(filter_str(&c, "d", out, &act), 0);
	CHECK_EQ(act, CONSOLE_DETACH);
}
