/*
 * host/disk.c on real temporary files: open checks, range checks, the
 * read-write lock and same-file detection.
 */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"

static void make_file(char *path, size_t size)
{
	strcpy(path, "/tmp/cordon-disk-XXXXXX");
	int fd = mkstemp(path);
	if (fd >= 0) {
		if (ftruncate(fd, (off_t)size) < 0)
			t_fail(__FILE__, __LINE__, "ftruncate");
		close(fd);
	}
}

TEST(host_disk_open_errors_name_the_file)
{
	char err[HOST_ERRLEN] = "", path[64];
	CHECK(host_disk_open("/nonexistent/cordon.img", false, err) == NULL);
	CHECK_STR(err, "/nonexistent/cordon.img: no such file");
	CHECK(host_disk_open("/tmp", true, err) == NULL);
	CHECK_STR(err, "/tmp: is a directory, not a disk image");
	CHECK(host_disk_open("/dev/null", true, err) == NULL);
	CHECK_STR(err, "/dev/null: not a regular file");
	make_file(path, 1000);
	CHECK(host_disk_open(path, false, err) == NULL);
	char want[HOST_ERRLEN];
	snprintf(want, sizeof(want), "%s: size 1000 bytes is not a multiple of 512", path);
	CHECK_STR(err, want);
	unlink(path);
}

TEST(host_disk_read_write_and_ranges)
{
	char err[HOST_ERRLEN] = "", path[64];
	make_file(path, 4096);
	struct host_disk *d = host_disk_open(path, false, err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ(host_disk_size(d), 4096);
	uint8_t buf[512], back[512];
	for (int i = 0; i < 512; i++)
		buf[i] = (uint8_t)i;
	CHECK_EQ(host_disk_write(d, buf, 512, 3584), 0);
	CHECK_EQ(host_disk_flush(d), 0);
	CHECK_EQ(host_disk_read(d, back, 512, 3584), 0);
	CHECK(memcmp(buf, back, 512) == 0);
	CHECK_EQ(host_disk_write(d, buf, 512, 3585), -1);
	CHECK_EQ(host_disk_read(d, back, 512, UINT64_MAX - 10), -1);
	host_disk_close(d);

	struct host_disk *ro = host_disk_open(path, true, err);
	CHECK(ro != NULL);
	if (ro) {
		CHECK_EQ(host_disk_write(ro, buf, 512, 0), -1);
		CHECK_EQ(host_disk_read(ro, back, 512, 3584), 0);
		CHECK(memcmp(buf, back, 512) == 0);
		host_disk_close(ro);
	}
	unlink(path);
}

TEST(host_disk_read_write_open_is_exclusive)
{
	char err[HOST_ERRLEN] = "", path[64], want[HOST_ERRLEN];
	make_file(path, 1024);
	struct host_disk *a = host_disk_open(path, false, err);
	CHECK(a != NULL);
	CHECK(host_disk_open(path, false, err) == NULL);
	snprintf(want, sizeof(want), "%s: already in use read-write", path);
	CHECK_STR(err, want);
	struct host_disk *ro = host_disk_open(path, true, err);
	CHECK(ro != NULL);
	if (a && ro)
		CHECK(host_disk_same_file(a, ro));
	host_disk_close(ro);
	host_disk_close(a);
	a = host_disk_open(path, false, err); /* the lock went with the close */
	CHECK(a != NULL);
	host_disk_close(a);
	unlink(path);
}
