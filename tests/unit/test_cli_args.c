/* `cordon run` argument parsing, exit statuses and the audit table. */
#include "t.h"

#include <stdlib.h>

#include "cli/args.h"
#include "cli/cli.h"

TEST(cli_size_plain_and_suffixes)
{
	uint64_t v = 0;

	CHECK_EQ(cli_parse_size("4096", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(cli_parse_size("64K", &v), 0);
	CHECK_EQ(v, 64ull << 10);
	CHECK_EQ(cli_parse_size("256m", &v), 0);
	CHECK_EQ(v, 256ull << 20);
	CHECK_EQ(cli_parse_size("3G", &v), 0);
	CHECK_EQ(v, 3ull << 30);
	CHECK_EQ(cli_parse_size("0", &v), 0);
	CHECK_EQ(v, 0);
}

TEST(cli_size_rejects_garbage)
{
	uint64_t v = 77;
	const char *bad[] = { "", "M", "-1", "+5", " 5", "5 ", "12X", "1.5G", "0x100",
			      "256MB", "1GG", "18446744073709551616", "17179869184G" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cli_parse_size(bad[i], &v) == 0)
			t_fail(__FILE__, __LINE__, "'%s' parsed as a size", bad[i]);
	}
	CHECK_EQ(v, 77); /* untouched on error */
	CHECK_EQ(cli_parse_size("18446744073709551615", &v), 0);
	CHECK_EQ(v, UINT64_MAX);
}

TEST(cli_memory_range)
{
	char err[CLI_ERRLEN] = "";
	uint64_t v = 0;

	CHECK_EQ(cli_parse_memory("16M", &v, err), 0);
	CHECK_EQ(v, 16ull << 20);
	CHECK_EQ(cli_parse_memory("3G", &v, err), 0);
	CHECK_EQ(v, 3ull << 30);
	CHECK(cli_parse_memory("16383K", &v, err) < 0);
	CHECK_STR(err, "--memory: '16383K' is out of range (must be 16M .. 3G)");
	CHECK(cli_parse_memory("3145729K", &v, err) < 0);
	CHECK(strstr(err, "'3145729K'") && strstr(err, "16M .. 3G"));
	CHECK(cli_parse_memory("lots", &v, err) < 0);
	CHECK(strncmp(err, "--memory: 'lots' is not a size", 30) == 0);
	CHECK(cli_parse_memory("100000001", &v, err) < 0);
	CHECK(strstr(err, "'100000001'") && strstr(err, "4K"));
}

TEST(cli_serial_modes)
{
	char err[CLI_ERRLEN] = "";
	enum serial_mode m = SERIAL_NONE;
	const char *path = "x";

	CHECK_EQ(cli_parse_serial("stdio", &m, &path, err), 0);
	CHECK_EQ(m, SERIAL_STDIO);
	CHECK(path == NULL);
	CHECK_EQ(cli_parse_serial("none", &m, &path, err), 0);
	CHECK_EQ(m, SERIAL_NONE);
	CHECK_EQ(cli_parse_serial("file:/tmp/s.log", &m, &path, err), 0);
	CHECK_EQ(m, SERIAL_FILE);
	CHECK_STR(path, "/tmp/s.log");
	CHECK(cli_parse_serial("file:", &m, &path, err) < 0);
	CHECK(strstr(err, "--serial") && strstr(err, "'file:'"));
	CHECK(cli_parse_serial("tcp:1234", &m, &path, err) < 0);
	CHECK_STR(err, "--serial: 'tcp:1234' is not one of stdio, file:PATH, none");
}

/* Parses the NULL-terminated argv of `cordon run ...`. */
static int parse_words(struct run_opts *o, char *err, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return cli_parse_run_args(argc, argv, o, err);
}
#define PARSE(o, err, ...) parse_words((o), (err), (char *[]){ "run", __VA_ARGS__, NULL })

TEST(cli_run_defaults)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--kernel", "bzImage"), 0);
	CHECK_STR(o.kernel, "bzImage");
	CHECK(o.initrd == NULL);
	CHECK(o.append == NULL);
	CHECK_EQ(o.mem_bytes, 256ull << 20);
	CHECK_EQ(o.serial, SERIAL_STDIO);
	CHECK_STR(o.engine, "soft");
	CHECK(!o.audit_sensitive);
	CHECK(!o.help);
}

TEST(cli_run_all_options)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--kernel=k", "--initrd", "i", "--append", "console=ttyS0 quiet",
		       "--memory=64M", "--serial", "file:out.txt", "--engine", "soft",
		       "--audit-sensitive"), 0);
	CHECK_STR(o.kernel, "k");
	CHECK_STR(o.initrd, "i");
	CHECK_STR(o.append, "console=ttyS0 quiet");
	CHECK_EQ(o.mem_bytes, 64ull << 20);
	CHECK_EQ(o.serial, SERIAL_FILE);
	CHECK_STR(o.serial_path, "out.txt");
	CHECK(o.audit_sensitive);
	/* "--append=" with an '=' inside the value keeps the rest intact. */
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--append=root=/dev/ram0 a=b"), 0);
	CHECK_STR(o.append, "root=/dev/ram0 a=b");
}

TEST(cli_run_help_flag)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--help"), 0);
	CHECK(o.help);
	CHECK_EQ(PARSE(&o, err, "--memory", "64M", "-h"), 0);
	CHECK(o.help);
}

TEST(cli_run_errors_name_the_culprit)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK(PARSE(&o, err, "--initrd", "i") < 0);
	CHECK(strstr(err, "missing --kernel") != NULL);
	CHECK(PARSE(&o, err, "--kernel", "k", "--frobnicate") < 0);
	CHECK_STR(err, "unknown option '--frobnicate'");
	CHECK(PARSE(&o, err, "--kernel", "k", "--frob=1") < 0);
	CHECK_STR(err, "unknown option '--frob'");
	CHECK(PARSE(&o, err, "--kernel") < 0);
	CHECK_STR(err, "--kernel needs a value");
	CHECK(PARSE(&o, err, "--kernel", "k", "--memory", "1T") < 0);
	CHECK(strstr(err, "--memory") && strstr(err, "'1T'"));
	CHECK(PARSE(&o, err, "--kernel", "k", "--serial=pty") < 0);
	CHECK(strstr(err, "--serial") && strstr(err, "'pty'"));
	CHECK(PARSE(&o, err, "--kernel", "k", "stray") < 0);
	CHECK(strstr(err, "'stray'") != NULL);
	CHECK(PARSE(&o, err, "--kernel", "") < 0);
	CHECK_STR(err, "--kernel: empty file name");
	CHECK(PARSE(&o, err, "--kernel", "k", "--audit-sensitive=yes") < 0);
	CHECK(strstr(err, "--audit-sensitive takes no value") != NULL);
}

TEST(cli_exit_statuses)
{
	CHECK_EQ(cli_exit_status(STOP_RESET, 0), 0);
	CHECK_EQ(cli_exit_status(STOP_POWEROFF, 0), 0);
	CHECK_EQ(cli_exit_status(STOP_USER_QUIT, 0), 0);
	CHECK_EQ(cli_exit_status(STOP_DEBUG_EXIT, 0), 1);
	CHECK_EQ(cli_exit_status(STOP_DEBUG_EXIT, 0x10), 0x21);
	CHECK_EQ(cli_exit_status(STOP_DEBUG_EXIT, 0xff), 0xff);
	CHECK_EQ(cli_exit_status(STOP_TRIPLE_FAULT, 0), 3);
	CHECK_EQ(cli_exit_status(STOP_ERROR, 0), 1);
	CHECK_EQ(cli_exit_status(STOP_NONE, 0), 1);
}

TEST(cli_audit_table)
{
	struct sens_count counts[SENS_COUNT];
	char *text = NULL, *line;
	size_t len = 0;
	int lines = 0;
	FILE *f;

	memset(counts, 0, sizeof(counts));
	counts[SENS_SGDT].cpl3 = 12345;
	counts[SENS_POPF].cpl0 = 7;
	counts[SENS_POPF].faulted = 2;
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	cli_print_audit(f, counts);
	fclose(f);
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		lines++;
	CHECK_EQ(lines, SENS_COUNT + 1);
	CHECK(strncmp(text, "instruction", 11) == 0);
	CHECK(strstr(text, "CPL1-2") && strstr(text, "faulted"));
	CHECK(strstr(text, "12345") != NULL);
	CHECK(strstr(text, sens_insn_names[SENS_POPF]) != NULL);
	free(text);
}

TEST(cli_hvc_modes)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--kernel", "k"), 0);
	CHECK(!o.hvc);
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--hvc", "stdio"), 0);
	CHECK(o.hvc);
	CHECK_EQ(o.hvc_mode, SERIAL_STDIO);
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--hvc=file:/tmp/h.log", "--serial", "none"), 0);
	CHECK(o.hvc);
	CHECK_EQ(o.hvc_mode, SERIAL_FILE);
	CHECK_STR(o.hvc_path, "/tmp/h.log");
	CHECK_EQ(o.serial, SERIAL_NONE);
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--hvc", "none"), 0);
	CHECK(o.hvc);
	CHECK_EQ(o.hvc_mode, SERIAL_NONE);
	CHECK(PARSE(&o, err, "--kernel", "k", "--hvc", "tty") < 0);
	CHECK_STR(err, "--hvc: 'tty' is not one of stdio, file:PATH, none");
	CHECK(PARSE(&o, err, "--kernel", "k", "--hvc", "file:") < 0);
	CHECK_STR(err, "--hvc: 'file:' needs a path after 'file:'");
}

TEST(cli_net_socket_and_mac)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";
	static const uint8_t mac[6] = { 0x02, 0xab, 0xCD, 0x00, 0x10, 0xff };

	CHECK_EQ(PARSE(&o, err, "--kernel", "k"), 0);
	CHECK_EQ(o.nnets, 0);
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--net", "socket:/tmp/a,b.sock"), 0);
	CHECK_EQ(o.nnets, 1);
	CHECK_STR(o.nets[0].path, "/tmp/a,b.sock");
	CHECK(!o.nets[0].mac_set);
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--net=socket:link,mac=02:ab:CD:00:10:ff"), 0);
	CHECK_STR(o.nets[0].path, "link");
	CHECK(o.nets[0].mac_set);
	CHECK(memcmp(o.nets[0].mac, mac, 6) == 0);
	/* Repeatable: one NIC each, in order, up to 8. */
	CHECK_EQ(PARSE(&o, err, "--kernel", "k", "--net", "socket:a", "--net", "socket:b,mac=02:ab:CD:00:10:ff"), 0);
	CHECK_EQ(o.nnets, 2);
	CHECK_STR(o.nets[0].path, "a");
	CHECK(!o.nets[0].mac_set);
	CHECK_STR(o.nets[1].path, "b");
	CHECK(o.nets[1].mac_set);
	CHECK(PARSE(&o, err, "--kernel", "k", "--net", "socket:0", "--net", "socket:1", "--net", "socket:2",
		    "--net", "socket:3", "--net", "socket:4", "--net", "socket:5", "--net", "socket:6",
		    "--net", "socket:7", "--net", "socket:8") < 0);
	CHECK_STR(err, "--net: at most 8 NICs");

	const char *bad_mac[] = { "02:ab:cd:00:10", "02:ab:cd:00:10:ff:01", "02-ab-cd-00-10-ff",
				  "0g:ab:cd:00:10:ff", "2:ab:cd:00:10:ff", "01:00:5e:00:00:01", "" };
	for (size_t i = 0; i < sizeof(bad_mac) / sizeof(bad_mac[0]); i++) {
		char arg[64];
		snprintf(arg, sizeof(arg), "socket:l,mac=%s", bad_mac[i]);
		if (PARSE(&o, err, "--kernel", "k", "--net", arg) == 0 || !strstr(err, "unicast MAC"))
			t_fail(__FILE__, __LINE__, "mac '%s' accepted or wrong error: %s", bad_mac[i], err);
	}
	CHECK(PARSE(&o, err, "--kernel", "k", "--net", "tap:tap0") < 0);
	CHECK_STR(err, "--net: 'tap:tap0' is not socket:PATH[,mac=XX:XX:XX:XX:XX:XX]");
	CHECK(PARSE(&o, err, "--kernel", "k", "--net", "socket:") < 0);
	CHECK_STR(err, "--net: 'socket:' needs a socket path after 'socket:'");
	char longpath[200];
	memset(longpath, 'p', sizeof(longpath));
	memcpy(longpath, "socket:", 7);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(PARSE(&o, err, "--kernel", "k", "--net", longpath) < 0);
	CHECK(strstr(err, "socket path is too long") != NULL);
}
