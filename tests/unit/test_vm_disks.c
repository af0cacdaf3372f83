/*
 * A machine's disks (src/vm/pcidevs.c): four virtio-blk disks, vda..vdd
 * in PCI slots 3..6, and four IDE disks at once, each kind within its own
 * limit, as a guest enumerates them: the virtio functions by PCI
 * configuration space and their capacity, the IDE drives by IDENTIFY
 * DEVICE on each position.  Configurations past the limits (which the
 * CLI never builds) are refused by vm_new with a message.
 */
#include "t.h"

#include <stdio.h>

#include "dev/bus.h"
#include "dev/virtio_pci.h"
#include "host/host.h"
#include "scratch.h"
#include "vm/vm.h"

#define VIRTIO_BLK_ID 0x10421af4u /* device 0x1042 (modern virtio-blk), vendor 0x1af4 */

static char paths[9][96];

/* A config with a kernel and disks v0.img.. (virtio, 64 KiB * (n + 1))
 * and h0.img.. (IDE, 1 MiB * (n + 1)) in the scratch directory. */
static void base_config(struct vm_config *c, char *kernel)
{
	memset(c, 0, sizeof(*c));
	scratch_path(kernel, 96, "vmlinuz");
	CHECK(scratch_bzimage(kernel));
	c->kernel = kernel;
	c->append = "";
	c->mem_bytes = 32u << 20;
	c->engine = "soft";
	c->serial = SERIAL_NONE;
	c->transfer_fd = -1;
}

static void add_disk(struct vm_config *c, bool ide, int n, int pos)
{
	char name[16];
	snprintf(name, sizeof(name), "%c%d.img", ide ? 'h' : 'v', n);
	char *path = paths[c->ndisks];
	scratch_path(path, sizeof(paths[0]), name);
	CHECK(scratch_sized(path, ide ? (n + 1) << 20 : (n + 1) << 16));
	c->disks[c->ndisks++] = (struct vm_disk){
		.path = path, .iface = ide ? DISK_IDE : DISK_VIRTIO, .ide_pos = pos, .key_fd = -1, .fd = -1,
	};
}

static uint32_t pci_read(struct vm *vm, int slot, unsigned reg)
{
	iobus_write(&vm->io, 0xcf8, 4, 0x80000000u | (uint32_t)slot << 11 | (reg & 0xfc));
	return iobus_read(&vm->io, 0xcfc, 4);
}

/* The capacity in 512-byte sectors the virtio-blk function in slot tells. */
static uint64_t virtio_capacity(struct vm *vm, int slot)
{
	uint32_t bar = pci_read(vm, slot, 0x10) & ~0xfu, lo = 0, hi = 0;
	mmiobus_read(&vm->mmio, bar + VIRTIO_PCI_DEVCFG_OFF, 4, &lo);
	mmiobus_read(&vm->mmio, bar + VIRTIO_PCI_DEVCFG_OFF + 4, 4, &hi);
	return (uint64_t)hi << 32 | lo;
}

/* IDENTIFY DEVICE on IDE position pos: its LBA28 sector count, or 0 when
 * no ATA drive answers. */
static uint32_t ide_sectors(struct vm *vm, int pos)
{
	uint16_t base = pos < 2 ? 0x1f0 : 0x170, w[256];
	iobus_write(&vm->io, base + 6, 1, 0xa0u | (pos & 1u) << 4);
	iobus_write(&vm->io, base + 7, 1, 0xec);
	if (!(iobus_read(&vm->io, base + 7, 1) & 0x08)) /* no DRQ: no data */
		return 0;
	for (int i = 0; i < 256; i++)
		w[i] = (uint16_t)iobus_read(&vm->io, base, 2);
	return (uint32_t)w[60] | (uint32_t)w[61] << 16;
}

TEST(vm_disks_four_virtio_and_four_ide)
{
	struct vm_config c;
	char kernel[96], err[HOST_ERRLEN] = "";
	if (!scratch_make("cordon-disks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	base_config(&c, kernel);
	/* Interleaved, as on a command line; IDE positions not in order. */
	add_disk(&c, true, 0, 2);
	add_disk(&c, false, 0, -1);
	add_disk(&c, true, 1, 0);
	add_disk(&c, false, 1, -1);
	add_disk(&c, false, 2, -1);
	add_disk(&c, true, 2, 3);
	add_disk(&c, true, 3, 1);
	add_disk(&c, false, 3, -1);
	struct vm *vm = vm_new(&c, err);
	if (!vm) {
		t_fail(__FILE__, __LINE__, "vm_new: %s", err);
		scratch_remove();
		return;
	}
	for (int n = 0; n < 4; n++) { /* vda..vdd: slots 3..6, in order */
		CHECK_EQ(pci_read(vm, 3 + n, 0), VIRTIO_BLK_ID);
		CHECK_EQ(virtio_capacity(vm, 3 + n), (uint64_t)(n + 1) << 7);
	}
	CHECK(pci_read(vm, 7, 0) != VIRTIO_BLK_ID); /* no fifth */
	/* h0 at 2, h1 at 0, h2 at 3, h3 at 1: each position its own image. */
	static const int image_at[4] = { 1, 3, 0, 2 };
	for (int pos = 0; pos < 4; pos++)
		CHECK_EQ(ide_sectors(vm, pos), (uint32_t)(image_at[pos] + 1) << 11);
	vm_destroy(vm);
	scratch_remove();
}

static void expect_refused(struct vm_config *c, const char *want)
{
	char err[HOST_ERRLEN] = "";
	struct vm *vm = vm_new(c, err);
	CHECK(vm == NULL);
	vm_destroy(vm);
	char full[HOST_ERRLEN + 96];
	snprintf(full, sizeof(full), want, scratch_dir);
	CHECK_STR(err, full);
}

TEST(vm_disks_past_the_limits_refused)
{
	struct vm_config c;
	char kernel[96];
	if (!scratch_make("cordon-disks")) {
		t_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	base_config(&c, kernel);
	for (int n = 0; n < 5; n++)
		add_disk(&c, false, n, -1);
	expect_refused(&c, "%s/v4.img: too many virtio disks (at most 4)");

	base_config(&c, kernel);
	add_disk(&c, true, 0, 1);
	add_disk(&c, true, 1, 1);
	expect_refused(&c, "%s/h1.img: IDE position 1 is taken");

	base_config(&c, kernel);
	add_disk(&c, true, 0, -1); /* never placed */
	expect_refused(&c, "%s/h0.img: IDE position -1 is not 0..3");

	base_config(&c, kernel);
	char cd[96];
	scratch_path(cd, sizeof(cd), "cd.iso");
	CHECK(scratch_sized(cd, 2048));
	c.cdrom = cd;
	add_disk(&c, true, 0, VM_IDE_CDROM_POS);
	expect_refused(&c, "%s/h0.img: IDE position 2 is taken");
	scratch_remove();
}
