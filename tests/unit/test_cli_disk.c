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
	static struct run_opts o; /* 32 KiB of path buffers */
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
	CHECK_STR(err, "--disk: '5' is one too many (at most 4 virtio disks, vda..vdd; IDE takes 4 more with ,if=ide)");
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

/* Virtio disks and IDE disks are separate resources (PCI slots 3..6 and
 * the four IDE positions): four of each at once, as QEMU allows. */
TEST(cli_disk_four_virtio_and_four_ide)
{
	static struct run_opts o;
	char err[CLI_ERRLEN] = "";
	CHECK_EQ(PARSE(&o, err, "--disk", "h0,if=ide", "--disk", "v0", "--disk", "v1", "--disk", "h3,if=ide,index=3",
		       "--disk", "h1,if=ide", "--disk", "v2", "--disk", "h2,if=ide", "--disk", "v3"), 0);
	CHECK_STR(err, "");
	CHECK_EQ(o.ndisks, 8);
	static const char *const want[] = { "h0", "v0", "v1", "h3", "h1", "v2", "h2", "v3" };
	static const int pos[] = { 0, -1, -1, 3, 1, -1, 2, -1 };
	for (unsigned i = 0; i < 8; i++) {
		CHECK_STR(o.disks[i].path, want[i]);
		CHECK_EQ(o.disks[i].iface, pos[i] < 0 ? DISK_VIRTIO : DISK_IDE);
		if (pos[i] >= 0)
			CHECK_EQ(o.disks[i].ide_pos, pos[i]);
	}

	/* A ninth of either kind: the whole limit named. */
	CHECK_EQ(PARSE(&o, err, "--disk", "v0", "--disk", "v1", "--disk", "v2", "--disk", "v3",
		       "--disk", "h0,if=ide", "--disk", "h1,if=ide", "--disk", "h2,if=ide", "--disk", "h3,if=ide",
		       "--disk", "x,if=ide"), -1);
	CHECK_STR(err, "--disk: 'x,if=ide' is one too many (at most 4 virtio and 4 IDE disks)");
	/* A fifth IDE disk beside one virtio disk: no position left. */
	CHECK_EQ(PARSE(&o, err, "--disk", "v0", "--disk", "h0,if=ide", "--disk", "h1,if=ide",
		       "--disk", "h2,if=ide", "--disk", "h3,if=ide", "--disk", "h4,if=ide"), -1);
	CHECK_STR(err, "--disk: 'h4': no IDE position left (there are 4, the CD-ROM has one)");
	/* With the CD-ROM, three IDE disks are the most. */
	CHECK_EQ(PARSE(&o, err, "--cdrom", "cd.iso", "--disk", "h0,if=ide", "--disk", "h1,if=ide",
		       "--disk", "h2,if=ide", "--disk", "h3,if=ide"), -1);
	CHECK_STR(err, "--disk: 'h3': no IDE position left (there are 4, the CD-ROM has one)");
	/* A fifth virtio disk beside IDE ones. */
	CHECK_EQ(PARSE(&o, err, "--disk", "h0,if=ide", "--disk", "v0", "--disk", "v1", "--disk", "v2",
		       "--disk", "v3", "--disk", "v4,if=virtio"), -1);
	CHECK_STR(err, "--disk: 'v4,if=virtio' is one too many (at most 4 virtio disks, vda..vdd; IDE takes 4 more with ,if=ide)");
}
