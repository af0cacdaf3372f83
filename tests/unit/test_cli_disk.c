/* `cordon run --disk FILE[,ro][,luks][,key-...]`: parsing only (src/disk opens them). */
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
	CHECK_STR(err, "--disk: '' needs a file name (FILE[,ro][,luks][,key-file=PATH|,key-fd=N][,if=virtio|ide][,index=N])");
	CHECK_EQ(PARSE(&o, err, "--disk", ",ro"), -1);
	CHECK_STR(err, "--disk: ',ro' needs a file name (FILE[,ro][,luks][,key-file=PATH|,key-fd=N][,if=virtio|ide][,index=N])");
	CHECK_EQ(PARSE(&o, err, "--disk", "1", "--disk", "2", "--disk", "3", "--disk", "4",
		       "--disk", "5"), -1);
	CHECK_STR(err, "--disk: '5' is one too many (at most 4 disks)");
	CHECK_EQ(PARSE(&o, err, "--disk"), -1);
	CHECK_STR(err, "--disk needs a value");
}

TEST(cli_disk_luks_options)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--disk", "a,b.img,luks,key-file=/k/pass,ro", "--disk", "c.img,luks",
		       "--disk", "d.img,key-fd=7,luks"), 0);
	CHECK_EQ(o.ndisks, 3);
	CHECK_STR(o.disks[0].path, "a,b.img");
	CHECK(o.disks[0].luks && o.disks[0].read_only);
	CHECK_STR(o.disks[0].key_file, "/k/pass");
	CHECK_EQ(o.disks[0].key_fd, -1);
	CHECK_STR(o.disks[1].path, "c.img");
	CHECK(o.disks[1].luks && !o.disks[1].read_only && !o.disks[1].key_file);
	CHECK_EQ(o.disks[1].key_fd, -1);
	CHECK_STR(o.disks[2].path, "d.img");
	CHECK_EQ(o.disks[2].key_fd, 7);
	/* A plain disk has no key and is not luks. */
	CHECK_EQ(PARSE(&o, err, "--disk", "plain.img"), 0);
	CHECK(!o.disks[0].luks);
	CHECK_EQ(o.disks[0].key_fd, -1);
}

TEST(cli_disk_luks_errors)
{
	struct run_opts o;
	char err[CLI_ERRLEN] = "";

	CHECK_EQ(PARSE(&o, err, "--disk", "a.img,key-file=k"), -1);
	CHECK_STR(err, "--disk: 'a.img,key-file=k': a key is only for a luks image (add ,luks)");
	CHECK_EQ(PARSE(&o, err, "--disk", "a.img,luks,key-file=k,key-fd=3"), -1);
	CHECK_STR(err, "--disk: 'a.img,luks,key-file=k,key-fd=3': give key-file= or key-fd=, not both");
	CHECK_EQ(PARSE(&o, err, "--disk", "a.img,luks,key-file="), -1);
	CHECK_STR(err, "--disk: 'a.img,luks,key-file=': key-file= needs a path");
	char bad_fd[][24] = { "a,luks,key-fd=", "a,luks,key-fd=x", "a,luks,key-fd=-1", "a,luks,key-fd=3x",
			      "a,luks,key-fd=70000" };
	for (size_t i = 0; i < sizeof(bad_fd) / sizeof(bad_fd[0]); i++) {
		if (PARSE(&o, err, "--disk", bad_fd[i]) != -1 || !strstr(err, "key-fd= needs a file descriptor"))
			t_fail(__FILE__, __LINE__, "'%s' accepted or wrong error: %s", bad_fd[i], err);
	}
	CHECK_EQ(PARSE(&o, err, "--disk", ",luks"), -1);
	CHECK(strstr(err, "needs a file name") != NULL);
}
