/* `cordon run --disk FILE[,ro]`: parsing only (host/disk.c opens them). */
#include "t.h"

#include "cli/args.h"

static int parse(struct run_opts *o, char *err, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return cli_parse_run_args(argc, argv, o, err);
}
#define PARSE(o, err, ...) parse((o), (err), (char *[]){ "run", "--kernel", "k", __VA_ARGS__, NULL })

TEST(cli_disk_in_order_with_ro)
{
	static struct run_opts o; /* 16 KiB of path buffers */
	char err[CLI_ERRLEN] = "";
	CHECK_EQ(PARSE(&o, err, "--disk", "a.img", "--disk=b,c.img,ro", "--disk", "ro"), 0);
	CHECK_EQ(o.ndisks, 3);
	CHECK_STR(o.disks[0].path, "a.img");
	CHECK(!o.disks[0].read_only);
	CHECK_STR(o.disks[1].path, "b,c.img"); /* only a final ,ro is an option */
	CHECK(o.disks[1].read_only);
	CHECK_STR(o.disks[2].path, "ro");
	CHECK(!o.disks[2].read_only);
}

TEST(cli_disk_none_by_default)
{
	static struct run_opts o;
	char err[CLI_ERRLEN] = "";
	CHECK_EQ(parse(&o, err, (char *[]){ "run", "--kernel", "k", NULL }), 0);
	CHECK_EQ(o.ndisks, 0);
}

TEST(cli_disk_errors)
{
	static struct run_opts o;
	char err[CLI_ERRLEN] = "";
	CHECK_EQ(PARSE(&o, err, "--disk", ""), -1);
	CHECK_STR(err, "--disk: '' needs a file name (FILE or FILE,ro)");
	CHECK_EQ(PARSE(&o, err, "--disk", ",ro"), -1);
	CHECK_STR(err, "--disk: ',ro' needs a file name (FILE or FILE,ro)");
	CHECK_EQ(PARSE(&o, err, "--disk", "1", "--disk", "2", "--disk", "3", "--disk", "4",
		       "--disk", "5"), -1);
	CHECK_STR(err, "--disk: '5' is one too many (at most 4 disks)");
	CHECK_EQ(PARSE(&o, err, "--disk"), -1);
	CHECK_STR(err, "--disk needs a value");
}
