/*
 * A monitor's VM built from descriptors someone else opened (cordon up's
 * supervisor): host_disk_from_fd, host_read_fd, disk_image_open with
 * from_fd for a raw image, and vm_new with a preopened config --
 * above all that every descriptor handed over is closed, whatever
 * happens.  LUKS images from a descriptor are in test_disk_image.c.
 */
#include "t.h"
#include "scratch.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/image.h"
#include "host/host.h"
#include "vm/vm.h"

static bool is_closed(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) == -1;
}

static void expect_err(const char *err, const char *name, const char *why)
{
	char want[HOST_ERRLEN];
	snprintf(want, sizeof(want), "%s: %s", name, why);
	CHECK_STR(err, want);
}

/* --- host_disk_from_fd ------------------------------------------------------ */

TEST(host_disk_from_fd_checks_and_closes_on_failure)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	int fd = open(scratch_dir, O_RDONLY | O_DIRECTORY);
	CHECK(host_disk_from_fd(fd, "disk a", true, err) == NULL);
	expect_err(err, "disk a", "is a directory, not a disk image");
	CHECK(is_closed(fd));

	scratch_path(path, sizeof(path), "odd.img");
	CHECK(scratch_sized(path, 1000));
	fd = open(path, O_RDWR);
	CHECK(host_disk_from_fd(fd, "disk b", false, err) == NULL);
	expect_err(err, "disk b", "size 1000 bytes is not a multiple of 512");
	CHECK(is_closed(fd));

	scratch_path(path, sizeof(path), "good.img");
	CHECK(scratch_sized(path, 4096));
	fd = open(path, O_RDONLY);
	CHECK(host_disk_from_fd(fd, "disk c", false, err) == NULL);
	expect_err(err, "disk c", "descriptor is read-only");
	CHECK(is_closed(fd));

	fd = open(path, O_WRONLY);
	CHECK(host_disk_from_fd(fd, "disk d", true, err) == NULL);
	expect_err(err, "disk d", "descriptor is write-only");
	CHECK(is_closed(fd));

	CHECK(host_disk_from_fd(-1, "disk e", true, err) == NULL);
	expect_err(err, "disk e", "no descriptor");

	fd = open("/dev/null", O_RDWR);
	CHECK(host_disk_from_fd(fd, "disk f", false, err) == NULL);
	expect_err(err, "disk f", "not a regular file");
	CHECK(is_closed(fd));
	scratch_remove();
}

TEST(host_disk_from_fd_locks_like_host_disk_open)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	CHECK(scratch_sized(path, 4096));

	/* Another open file description holds the lock. */
	struct host_disk *holder = host_disk_open(path, false, err);
	CHECK(holder != NULL);
	int fd = open(path, O_RDWR);
	CHECK(host_disk_from_fd(fd, "the disk", false, err) == NULL);
	expect_err(err, "the disk", "already in use read-write");
	CHECK(is_closed(fd));
	/* Read-only takes no lock. */
	fd = open(path, O_RDONLY);
	struct host_disk *ro = host_disk_from_fd(fd, "the disk", true, err);
	CHECK(ro != NULL);
	if (holder && ro)
		CHECK(host_disk_same_file(holder, ro));
	host_disk_close(ro);
	CHECK(is_closed(fd));
	host_disk_close(holder);

	/* The opener locked this description itself (as the supervisor
	 * does); the same lock on the same description is granted again,
	 * and it keeps everyone else out. */
	int opener = open(path, O_RDWR);
	CHECK(opener >= 0 && flock(opener, LOCK_EX | LOCK_NB) == 0);
	fd = dup(opener);
	close(opener);
	struct host_disk *d = host_disk_from_fd(fd, "the disk", false, err);
	CHECK(d != NULL);
	CHECK(host_disk_open(path, false, err) == NULL);
	if (d) {
		uint8_t buf[512], back[512];
		for (int i = 0; i < 512; i++)
			buf[i] = (uint8_t)(i * 3);
		CHECK_EQ(host_disk_size(d), 4096);
		CHECK_EQ(host_disk_write(d, buf, 512, 1024), 0);
		CHECK_EQ(host_disk_read(d, back, 512, 1024), 0);
		CHECK(memcmp(buf, back, 512) == 0);
		host_disk_close(d);
	}
	CHECK(is_closed(fd));
	d = host_disk_open(path, false, err); /* the lock went with the close */
	CHECK(d != NULL);
	host_disk_close(d);
	scratch_remove();
}

/* An O_APPEND descriptor would make pwrite append; the flag is cleared. */
TEST(host_disk_from_fd_writes_at_the_offset_even_if_opened_for_append)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "disk.img");
	CHECK(scratch_sized(path, 2048));
	int fd = open(path, O_RDWR | O_APPEND);
	struct host_disk *d = host_disk_from_fd(fd, "disk", false, err);
	CHECK(d != NULL);
	if (d) {
		uint8_t buf[512];
		memset(buf, 0x5a, sizeof(buf));
		CHECK_EQ(host_disk_write(d, buf, 512, 0), 0);
		host_disk_close(d);
	}
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 2048);
	scratch_remove();
}

/* --- host_read_fd ------------------------------------------------------------ */

TEST(host_read_fd_reads_from_the_start_and_leaves_the_fd_open)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "kernel");
	uint8_t data[3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 11 + 1);
	CHECK(scratch_write(path, data, sizeof(data)));
	int fd = open(path, O_RDONLY);
	CHECK(lseek(fd, 1000, SEEK_SET) == 1000); /* someone read part of it */
	uint8_t *buf = NULL;
	size_t len = 0;
	CHECK_EQ(host_read_fd(fd, "the kernel", 1u << 20, &buf, &len, err), 0);
	CHECK_EQ(len, sizeof(data));
	CHECK(buf && memcmp(buf, data, sizeof(data)) == 0);
	free(buf);
	CHECK(fcntl(fd, F_GETFD) != -1);

	CHECK_EQ(host_read_fd(fd, "the kernel", 2048, &buf, &len, err), -1);
	expect_err(err, "the kernel", "file is larger than 2 KiB");
	CHECK(buf == NULL && len == 0);
	close(fd);

	fd = open(scratch_dir, O_RDONLY | O_DIRECTORY);
	CHECK_EQ(host_read_fd(fd, "the initrd", 1u << 20, &buf, &len, err), -1);
	expect_err(err, "the initrd", "is a directory, not a file");
	close(fd);
	CHECK_EQ(host_read_fd(-1, "the initrd", 1u << 20, &buf, &len, err), -1);
	expect_err(err, "the initrd", "no descriptor");

	/* The path version still works the same way. */
	CHECK_EQ(host_read_file(path, 2048, &buf, &len, err), -1);
	expect_err(err, path, "file is larger than 2 KiB");
	scratch_remove();
}

/* --- disk_image_open from a descriptor -------------------------------------- */

TEST(disk_image_from_fd_raw_round_trip)
{
	char path[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	scratch_path(path, sizeof(path), "raw.img");
	CHECK(scratch_sized(path, 64 * 1024));
	int fd = open(path, O_RDWR);
	struct disk_image_opts o = { .path = "vda", .from_fd = true, .fd = fd };
	struct disk_image *d = disk_image_open(&o, err);
	CHECK(d != NULL);
	if (d) {
		uint8_t buf[1024], back[1024];
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i ^ 0x3c);
		CHECK_EQ(disk_image_size(d), 64 * 1024);
		CHECK_EQ(disk_image_write(d, buf, sizeof(buf), 8192), 0);
		CHECK_EQ(disk_image_flush(d), 0);
		CHECK_EQ(disk_image_read(d, back, sizeof(back), 8192), 0);
		CHECK(memcmp(buf, back, sizeof(buf)) == 0);
		disk_image_close(d);
		int check = open(path, O_RDONLY);
		CHECK(pread(check, back, sizeof(back), 8192) == (ssize_t)sizeof(back));
		CHECK(memcmp(buf, back, sizeof(buf)) == 0);
		close(check);
	}
	CHECK(is_closed(fd));

	/* Failures close the descriptor and name the disk as given. */
	fd = open(path, O_RDONLY);
	o.fd = fd;
	CHECK(disk_image_open(&o, err) == NULL);
	expect_err(err, "vda", "descriptor is read-only");
	CHECK(is_closed(fd));
	fd = open(path, O_RDWR);
	o.fd = fd;
	o.luks = true; /* and no key */
	CHECK(disk_image_open(&o, err) == NULL);
	expect_err(err, "vda", "no volume key for a LUKS image given as a descriptor");
	CHECK(is_closed(fd));
	scratch_remove();
}

/* --- vm_new with a preopened config --------------------------------------- */

struct rig {
	struct vm_config cfg;
	int fds[12];
	unsigned nfds;
};

static int rig_open(struct rig *r, const char *name, int flags)
{
	char path[96];
	scratch_path(path, sizeof(path), name);
	int fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		t_fail(__FILE__, __LINE__, "cannot open %s", path);
	r->fds[r->nfds++] = fd;
	return fd;
}

/* A supervised VM as cordon monitor builds it: a kernel, an initrd, a
 * console log and two raw disks, every one a descriptor. */
static void rig_setup(struct rig *r, bool good_kernel)
{
	char path[96];
	memset(r, 0, sizeof(*r));
	scratch_path(path, sizeof(path), "vmlinuz");
	if (good_kernel)
		CHECK(scratch_bzimage(path));
	else
		CHECK(scratch_write(path, "this is not a kernel, just text", 31));
	scratch_path(path, sizeof(path), "initrd");
	CHECK(scratch_write(path, "initrd bytes", 12));
	scratch_path(path, sizeof(path), "a.img");
	CHECK(scratch_sized(path, 64 * 1024));
	scratch_path(path, sizeof(path), "b.img");
	CHECK(scratch_sized(path, 64 * 1024));

	struct vm_config *c = &r->cfg;
	c->kernel = "vmlinuz-test";
	c->initrd = "initrd-test";
	c->append = "console=ttyS0";
	c->mem_bytes = 32u << 20;
	c->engine = "soft";
	c->serial = SERIAL_FILE;
	c->serial_path = "the console log";
	c->preopened = true;
	c->kernel_fd = rig_open(r, "vmlinuz", O_RDONLY);
	c->initrd_fd = rig_open(r, "initrd", O_RDONLY);
	c->serial_fd = rig_open(r, "console.log", O_WRONLY | O_CREAT | O_APPEND);
	c->transfer_fd = -1;
	c->ndisks = 2;
	c->disks[0] = (struct vm_disk){ .path = "vda", .fd = rig_open(r, "a.img", O_RDWR) };
	c->disks[1] = (struct vm_disk){ .path = "vdb", .read_only = true,
					.fd = rig_open(r, "b.img", O_RDONLY) };
}

static void check_all_closed(const struct rig *r, int line)
{
	for (unsigned i = 0; i < r->nfds; i++)
		if (!is_closed(r->fds[i]))
			t_fail(__FILE__, line, "descriptor %u (%d) is still open", i, r->fds[i]);
}

TEST(vm_new_preopened_garbage_kernel_names_it_and_closes_everything)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	rig_setup(&r, false);
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK(strstr(err, "vmlinuz-test") != NULL);
	check_all_closed(&r, __LINE__);
	scratch_remove();
}

TEST(vm_new_preopened_builds_the_vm_and_destroy_closes_the_rest)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	rig_setup(&r, true);
	struct vm *vm = vm_new(&r.cfg, err);
	if (!vm) {
		t_fail(__FILE__, __LINE__, "vm_new: %s", err);
		scratch_remove();
		return;
	}
	/* The kernel and initrd are read and closed; the log and disks stay. */
	CHECK(is_closed(r.cfg.kernel_fd));
	CHECK(is_closed(r.cfg.initrd_fd));
	CHECK(!is_closed(r.cfg.serial_fd));
	CHECK(!is_closed(r.cfg.disks[0].fd));
	CHECK(!is_closed(r.cfg.disks[1].fd));
	vm_destroy(vm);
	check_all_closed(&r, __LINE__);
	scratch_remove();
}

TEST(vm_new_preopened_bad_disk_closes_everything)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	/* vda is read-write on an O_RDONLY descriptor; vdb is never reached. */
	rig_setup(&r, true);
	char path[96];
	scratch_path(path, sizeof(path), "a.img");
	int ro = open(path, O_RDONLY);
	CHECK(ro >= 0 && dup2(ro, r.cfg.disks[0].fd) == r.cfg.disks[0].fd);
	close(ro);
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK_STR(err, "vda: descriptor is read-only");
	check_all_closed(&r, __LINE__);

	/* A LUKS disk without a volume key. */
	rig_setup(&r, true);
	r.cfg.disks[1].luks = true;
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK_STR(err, "vdb: no volume key for a LUKS image given as a descriptor");
	check_all_closed(&r, __LINE__);
	scratch_remove();
}

TEST(vm_new_preopened_refuses_hvc_and_net)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	rig_setup(&r, true);
	r.cfg.hvc = true;
	r.cfg.hvc_mode = SERIAL_STDIO;
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK(strstr(err, "not available to a supervised VM") != NULL);
	check_all_closed(&r, __LINE__);

	rig_setup(&r, true);
	r.cfg.nnics = 1;
	r.cfg.nics[0] = (struct vm_nic){ .link = VM_NIC_SOCKET, .path = "/run/cordon/lan.sock", .fd = -1 };
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK_STR(err, "--net /run/cordon/lan.sock: networking over a socket path is not available to a supervised VM");
	check_all_closed(&r, __LINE__);

	/* Early refusals close them too. */
	rig_setup(&r, true);
	r.cfg.mem_bytes = 1;
	CHECK(vm_new(&r.cfg, err) == NULL);
	check_all_closed(&r, __LINE__);
	scratch_remove();
}

/* --- NICs on descriptors ---------------------------------------------------- */

/* A switch port (one end of a seqpacket pair), a diode's sending end (a
 * pipe's write end) and its receiving end (another pipe's read end); the
 * far ends go to far[]. */
static void rig_add_nics(struct rig *r, int far[3])
{
	int sv[2] = { -1, -1 }, tx[2] = { -1, -1 }, rx[2] = { -1, -1 };
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(pipe2(tx, O_CLOEXEC | O_DIRECT) == 0);
	CHECK(pipe2(rx, O_CLOEXEC | O_DIRECT) == 0);
	far[0] = sv[1], far[1] = tx[0], far[2] = rx[1];
	r->cfg.nnics = 3;
	r->cfg.nics[0] = (struct vm_nic){ .link = VM_NIC_PORT, .path = "net lan", .fd = sv[0],
					  .mac_set = true, .mac = { 2, 0, 0, 0, 0, 1 } };
	r->cfg.nics[1] = (struct vm_nic){ .link = VM_NIC_DIODE_TX, .path = "diode up", .fd = tx[1] };
	r->cfg.nics[2] = (struct vm_nic){ .link = VM_NIC_DIODE_RX, .path = "diode down", .fd = rx[0] };
	r->fds[r->nfds++] = sv[0];
	r->fds[r->nfds++] = tx[1];
	r->fds[r->nfds++] = rx[0];
}

/* PCI vendor:device of bus 0 slot s, through configuration mechanism #1. */
static uint32_t pci_id(struct vm *vm, int slot)
{
	iobus_write(&vm->io, 0xcf8, 4, 0x80000000u | (uint32_t)slot << 11);
	return iobus_read(&vm->io, 0xcfc, 4);
}

TEST(vm_new_preopened_nics_in_slots_8_up)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	int far[3];
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	rig_setup(&r, true);
	rig_add_nics(&r, far);
	struct vm *vm = vm_new(&r.cfg, err);
	CHECK(vm != NULL);
	if (vm) {
		/* eth0..eth2: virtio-net (1af4:1041) in slots 8, 9, 10; 11 empty. */
		CHECK_EQ(pci_id(vm, 8), 0x10411af4);
		CHECK_EQ(pci_id(vm, 9), 0x10411af4);
		CHECK_EQ(pci_id(vm, 10), 0x10411af4);
		CHECK_EQ(pci_id(vm, 11), 0xffffffff);
		CHECK(!is_closed(r.cfg.nics[0].fd) && !is_closed(r.cfg.nics[2].fd));
		vm_destroy(vm);
	} else {
		t_fail(__FILE__, __LINE__, "vm_new: %s", err);
	}
	check_all_closed(&r, __LINE__);
	for (int i = 0; i < 3; i++)
		close(far[i]);
	scratch_remove();
}

TEST(vm_new_nic_descriptors_checked_and_closed)
{
	struct rig r;
	char err[HOST_ERRLEN] = "";
	int far[3];
	if (!scratch_make("cordon-preopen")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	/* A diode's sending end must be a pipe, not a socket. */
	rig_setup(&r, true);
	rig_add_nics(&r, far);
	int tmp = r.cfg.nics[1].fd;
	r.cfg.nics[1].fd = r.cfg.nics[0].fd;
	r.cfg.nics[0].fd = tmp;
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK_STR(err, "eth0 (net lan): descriptor is not a socket");
	check_all_closed(&r, __LINE__);
	for (int i = 0; i < 3; i++)
		close(far[i]);

	/* Without a supervisor there are no descriptor links. */
	rig_setup(&r, true);
	rig_add_nics(&r, far);
	char kernel[96];
	scratch_path(kernel, sizeof(kernel), "vmlinuz");
	r.cfg.preopened = false;
	r.cfg.kernel = kernel;
	r.cfg.initrd = NULL;
	r.cfg.serial = SERIAL_NONE;
	r.cfg.ndisks = 0;
	CHECK(vm_new(&r.cfg, err) == NULL);
	CHECK_STR(err, "eth0 (net lan): a NIC on a descriptor needs a supervisor");
	for (unsigned i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	for (int i = 0; i < 3; i++)
		close(far[i]);
	scratch_remove();
}
