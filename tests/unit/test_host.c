/* Host layer: file loading errors, guest RAM, clocks. */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"

/* A fresh private directory for one test; removed by rm_tmpdir. */
static void make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/cordon-host-test.XXXXXX");
	if (!mkdtemp(dir))
		dir[0] = '\0';
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, data, len) != (ssize_t)len)
		t_fail(__FILE__, __LINE__, "short write to %s", path);
	close(fd);
}

TEST(host_read_file_reads_whole_file)
{
	char dir[64], path[128], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/img", dir);
	write_file(path, "hello, guest", 12);
	CHECK_EQ(host_read_file(path, 1024, &buf, &len, err), 0);
	CHECK_EQ(len, 12);
	CHECK(buf && memcmp(buf, "hello, guest", 12) == 0);
	free(buf);
	unlink(path);
	rmdir(dir);
}

TEST(host_read_file_empty_file)
{
	char dir[64], path[128], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 99;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	CHECK_EQ(host_read_file(path, 1024, &buf, &len, err), 0);
	CHECK_EQ(len, 0);
	CHECK(buf != NULL);
	free(buf);
	unlink(path);
	rmdir(dir);
}

TEST(host_read_file_missing)
{
	char err[HOST_ERRLEN] = "";
	uint8_t *buf = (uint8_t *)1;
	size_t len = 1;

	CHECK(host_read_file("/nonexistent/kernel.img", 1024, &buf, &len, err) < 0);
	CHECK_STR(err, "/nonexistent/kernel.img: no such file");
	CHECK(buf == NULL);
	CHECK_EQ(len, 0);
}

TEST(host_read_file_directory)
{
	char err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK(host_read_file("/tmp", 1024, &buf, &len, err) < 0);
	CHECK_STR(err, "/tmp: is a directory, not a file");
	CHECK(buf == NULL);
}

TEST(host_read_file_not_regular)
{
	char err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK(host_read_file("/dev/null", 1024, &buf, &len, err) < 0);
	CHECK_STR(err, "/dev/null: not a regular file");
}

TEST(host_read_file_size_limit_bytes)
{
	char dir[64], path[128], want[200], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, "0123456789abcdefX", 17);
	CHECK(host_read_file(path, 16, &buf, &len, err) < 0);
	snprintf(want, sizeof(want), "%s: file is larger than 16 bytes", path);
	CHECK_STR(err, want);
	CHECK(buf == NULL);
	free(buf);
	/* Exactly at the limit is fine. */
	CHECK_EQ(host_read_file(path, 17, &buf, &len, err), 0);
	CHECK_EQ(len, 17);
	free(buf);
	unlink(path);
	rmdir(dir);
}

/* A sparse file one byte over 512 MiB: costs no disk, checks the MiB wording. */
TEST(host_read_file_size_limit_mib)
{
	char dir[64], path[128], want[200], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/kernel.img", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (512 << 20) + 1), 0);
	close(fd);
	CHECK(host_read_file(path, 512u << 20, &buf, &len, err) < 0);
	snprintf(want, sizeof(want), "%s: file is larger than 512 MiB", path);
	CHECK_STR(err, want);
	free(buf); /* NULL unless the check above failed */
	unlink(path);
	rmdir(dir);
}

TEST(host_read_file_unreadable)
{
	char dir[64], path[128], want[200], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	if (geteuid() == 0)
		return; /* root reads mode-000 files; nothing to check */
	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, "x", 1);
	chmod(path, 0);
	CHECK(host_read_file(path, 16, &buf, &len, err) < 0);
	snprintf(want, sizeof(want), "%s: permission denied", path);
	CHECK_STR(err, want);
	unlink(path);
	rmdir(dir);
}

TEST(host_open_output_truncates)
{
	char dir[64], path[128], err[HOST_ERRLEN] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/serial.log", dir);
	write_file(path, "old contents", 12);
	fd = host_open_output(path, err);
	CHECK(fd > 2);
	CHECK_EQ(host_write_all(fd, "new", 3), 0);
	host_close(fd);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(host_read_file(path, 64, &buf, &len, err), 0);
	CHECK_EQ(len, 3);
	CHECK(buf && memcmp(buf, "new", 3) == 0);
	free(buf);
	unlink(path);
	rmdir(dir);
}

TEST(host_open_output_bad_dir)
{
	char err[HOST_ERRLEN] = "";

	CHECK(host_open_output("/nonexistent/dir/serial.log", err) < 0);
	CHECK_STR(err, "/nonexistent/dir/serial.log: no such file");
}

TEST(host_ram_is_zero_filled)
{
	const size_t size = 16u << 20;
	char err[HOST_ERRLEN] = "";
	uint8_t *ram = host_alloc_ram(size, err);
	size_t nonzero = 0;

	CHECK(ram != NULL);
	if (!ram)
		return;
	for (size_t i = 0; i < size; i += 4096)
		nonzero += ram[i] != 0 || ram[i + 4095] != 0;
	CHECK_EQ(nonzero, 0);
	/* Writable everywhere, including the last byte. */
	ram[0] = 0xaa;
	ram[size - 1] = 0x55;
	CHECK_EQ(ram[0], 0xaa);
	CHECK_EQ(ram[size - 1], 0x55);
	host_free_ram(ram, size);

	/* A second VM's RAM must not see the first one's bytes. */
	ram = host_alloc_ram(size, err);
	CHECK(ram != NULL);
	if (ram) {
		CHECK_EQ(ram[0], 0);
		CHECK_EQ(ram[size - 1], 0);
		host_free_ram(ram, size);
	}
}

TEST(host_ram_zero_size_fails)
{
	char err[HOST_ERRLEN] = "";
	CHECK(host_alloc_ram(0, err) == NULL);
	CHECK(err[0] != '\0');
}

TEST(host_clocks)
{
	uint64_t a = host_monotonic_ns(), b;

	host_wait_input(2000000, false, NULL, 0); /* 2 ms */
	b = host_monotonic_ns();
	CHECK(b >= a + 2000000);
	CHECK(b - a < 2000000000u);
	/* After 2020-01-01 and before 2200. */
	CHECK(host_wall_seconds() > 1577836800);
	CHECK(host_wall_seconds() < 7258118400LL);
}

TEST(host_wait_input_wakes_on_fd)
{
	int p[2], q[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	int fds[2] = { p[0], q[0] };
	uint64_t a = host_monotonic_ns();
	host_wait_input(20000000, false, fds, 2); /* nothing to read: the full 20 ms */
	uint64_t b = host_monotonic_ns();
	CHECK(b - a >= 20000000);
	CHECK_EQ(write(q[1], "x", 1), 1); /* the second of two: returns at once */
	host_wait_input(5000000000ull, false, fds, 2);
	CHECK(host_monotonic_ns() - b < 1000000000u);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}
