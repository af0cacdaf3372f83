/*
 * The machine's PCI functions and the host resources behind them (slot 0
 * is the host bridge and slot 1 the PIIX3, see chipset.c):
 *
 *     slot 2       virtio-rng       host getrandom
 *     slots 3..6   virtio-blk vda.. raw or LUKS image files
 *     slot 7       virtio-console   stdout or a file
 *     slots 8..15  virtio-net eth0.. see nic.c
 *
 * Each BAR goes to pcidevs_bar_address(slot): 64 KiB per slot from
 * 0xfe000000, in the hole below 4 GiB above any RAM (which ends by 3 GiB)
 * and clear of the I/O APIC (0xfec00000), HPET (0xfed00000) and local APIC
 * (0xfee00000).  cordon turns on memory decode and bus mastering itself;
 * Linux keeps these BARs, and firmware assigns its own.  Fixed slots keep
 * the guest's device names stable whatever else is configured.
 *
 * Host resources are opened before any device exists, so a bad image or
 * socket path is reported before the guest starts.  A preopened config
 * (vm.h) brings its images as descriptors, and LUKS volume keys instead
 * of passphrases.
 */
#include <stdio.h>
#include <string.h>

#include "dev/ide.h"
#include "dev/pci.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_console.h"
#include "dev/virtio_pci.h"
#include "dev/virtio_rng.h"
#include "disk/image.h"
#include "vm/xferport.h"
#include "vm/vm_internal.h"

#define RNG_SLOT 2
#define DISK_SLOT0 3
#define HVC_SLOT 7
#define IDE_BM_PORT 0xc000 /* where firmware puts the IDE bus master */
#define BAR_WINDOW 0xfe000000u
#define BAR_STRIDE 0x10000u

VM_DESTROY_HOOK(virtio_rng_destroy, struct virtio_rng)
VM_DESTROY_HOOK(virtio_blk_destroy, struct virtio_blk)
VM_DESTROY_HOOK(virtio_console_destroy, struct virtio_console)
VM_DESTROY_HOOK(ide_destroy, struct ide)
VM_DESTROY_HOOK(disk_image_close, struct disk_image)
VM_DESTROY_HOOK(xferport_free, struct xferport)

uint32_t pcidevs_bar_address(int slot)
{
	return BAR_WINDOW + (uint32_t)slot * BAR_STRIDE;
}

static void place_bar(struct vm *vm, int slot)
{
	pci_config_write(priv(vm)->pci, slot, PCI_BAR0, 4, pcidevs_bar_address(slot));
	pci_config_write(priv(vm)->pci, slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

void pcidevs_place_bar(struct vm *vm, int slot)
{
	place_bar(vm, slot);
}

/* --- virtio-rng ----------------------------------------------------------- */

static int rng_source(void *opaque, void *buf, size_t len)
{
	(void)opaque;
	return host_random(buf, len);
}

static int add_rng(struct vm *vm, char *err)
{
	struct virtio_rng_config cfg = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.random = rng_source,
		.log = vm_device_log, .log_opaque = vm,
		.ram_written = vm_dma_written, .ram_opaque = vm,
	};
	priv(vm)->rng = virtio_rng_create(priv(vm)->pci, RNG_SLOT, &cfg);
	if (vm_add_device(vm, "virtio-rng", priv(vm)->rng, virtio_rng_destroy_hook, err) < 0)
		return -1;
	place_bar(vm, RNG_SLOT);
	return 0;
}

/* --- virtio-blk ----------------------------------------------------------- */

/* The device has range-checked every access. */
static int disk_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	return disk_image_read(opaque, buf, len, off);
}

static int disk_write(void *opaque, const void *buf, size_t len, uint64_t off)
{
	return disk_image_write(opaque, buf, len, off);
}

static int disk_flush(void *opaque)
{
	return disk_image_flush(opaque);
}

/* The GET_ID serial: the image's file name (the device keeps 20 bytes). */
static const char *disk_serial(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The PCI slot of virtio disk n of cfg (counting only virtio ones). */
int pcidevs_disk_slot(const struct vm_config *cfg, unsigned n)
{
	int slot = DISK_SLOT0;
	for (unsigned i = 0; i < n; i++)
		slot += cfg->disks[i].iface == DISK_VIRTIO;
	return slot;
}

static int add_disk(struct vm *vm, const struct vm_config *vmcfg, unsigned n, char *err)
{
	const struct vm_disk *d = &vmcfg->disks[n];
	struct vm_private *p = priv(vm);
	struct virtio_blk_config cfg = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.capacity_bytes = disk_image_size(p->disk[n]),
		.read_only = d->read_only,
		.serial = disk_serial(d->path),
		.backend = { disk_read, disk_write, disk_flush, p->disk[n] },
		.log = vm_device_log, .log_opaque = vm,
		.ram_written = vm_dma_written, .ram_opaque = vm,
	};
	int slot = pcidevs_disk_slot(vmcfg, n);
	p->blk[n] = virtio_blk_create(p->pci, slot, &cfg);
	if (vm_add_device(vm, "virtio-blk", p->blk[n], virtio_blk_destroy_hook, err) < 0)
		return -1;
	place_bar(vm, slot);
	return 0;
}

/* flock already refuses a second read-write open; this also catches the
 * same file once read-write and once read-only, which would let the guest
 * see a disk change under a read-only mount. */
static int check_distinct(struct vm *vm, const struct vm_config *cfg, unsigned n, char *err)
{
	for (unsigned i = 0; i < n; i++) {
		if (!disk_image_same_file(priv(vm)->disk[i], priv(vm)->disk[n]))
			continue;
		if (cfg->disks[i].read_only && cfg->disks[n].read_only)
			continue;
		snprintf(err, HOST_ERRLEN, "%s: same image as --disk %s, which is read-write",
			 cfg->disks[n].path, cfg->disks[i].path);
		return -1;
	}
	return 0;
}

/* Each kind within its own limit: virtio disks in their four slots, IDE
 * disks each on a position of its own that is not the CD-ROM's (the CLI
 * places them; a configuration from elsewhere is checked all the same). */
static int check_disk_plan(const struct vm_config *cfg, char *err)
{
	const char *ide[VM_IDE_POSITIONS] = { [VM_IDE_CDROM_POS] = cfg->cdrom };
	unsigned nvirtio = 0;
	if (cfg->ndisks > VM_MAX_DISKS) {
		snprintf(err, HOST_ERRLEN, "too many disks (%u, at most %d)", cfg->ndisks, VM_MAX_DISKS);
		return -1;
	}
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		const struct vm_disk *d = &cfg->disks[n];
		if (d->iface == DISK_VIRTIO && ++nvirtio > VM_MAX_VIRTIO_DISKS) {
			snprintf(err, HOST_ERRLEN, "%s: too many virtio disks (at most %d)", d->path,
				 VM_MAX_VIRTIO_DISKS);
			return -1;
		}
		if (d->iface != DISK_IDE)
			continue;
		if (d->ide_pos < 0 || d->ide_pos >= VM_IDE_POSITIONS || ide[d->ide_pos]) {
			snprintf(err, HOST_ERRLEN, "%s: IDE position %d is %s", d->path, d->ide_pos,
				 d->ide_pos < 0 || d->ide_pos >= VM_IDE_POSITIONS ? "not 0..3" : "taken");
			return -1;
		}
		ide[d->ide_pos] = d->path;
	}
	return 0;
}

static int open_disks(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (check_disk_plan(cfg, err) < 0)
		return -1;
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		const struct vm_disk *d = &cfg->disks[n];
		struct disk_image_opts opts = {
			.path = d->path, .read_only = d->read_only, .luks = d->luks,
			.passphrase = d->passphrase, .passphrase_len = d->passphrase_len,
		};
		if (cfg->preopened) {
			/* disk_image_open takes the descriptor over, even if it fails. */
			opts.from_fd = true;
			opts.fd = priv(vm)->fds.disk[n];
			opts.key = d->key;
			priv(vm)->fds.disk[n] = -1;
		}
		priv(vm)->disk[n] = disk_image_open(&opts, err);
		if (!priv(vm)->disk[n] ||
		    vm_add_device(vm, d->path, priv(vm)->disk[n], disk_image_close_hook, err) < 0 ||
		    check_distinct(vm, cfg, n, err) < 0)
			return -1;
	}
	return 0;
}

/* --- IDE -------------------------------------------------------------------- */

/* The CD-ROM reads any byte range (ATAPI's byte count limit need not be
 * a multiple of 512); the image layer wants whole 512-byte sectors. */
static int cd_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	if (off % 512 == 0 && len % 512 == 0)
		return disk_image_read(opaque, buf, len, off);
	uint8_t sector[512];
	uint8_t *out = buf;
	while (len) {
		uint64_t base = off - off % 512;
		size_t skip = (size_t)(off - base), n = 512 - skip < len ? 512 - skip : len;
		if (disk_image_read(opaque, sector, 512, base) < 0)
			return -1;
		memcpy(out, sector + skip, n);
		out += n, off += n, len -= n;
	}
	return 0;
}

static int add_ide(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	struct ide_config ic = {
		.bus = p->pci, .slot = 1, .io = &vm->io, .irq = &vm->irq,
		.ram = vm->ram, .ram_size = vm->ram_size,
		.ram_written = vm_dma_written, .ram_opaque = vm,
		.log = vm_device_log, .log_opaque = vm,
	};
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		const struct vm_disk *d = &cfg->disks[n];
		if (d->iface != DISK_IDE || d->ide_pos < 0 || d->ide_pos >= IDE_DRIVES)
			continue;
		ic.drives[d->ide_pos] = (struct ide_drive_config){
			IDE_ATA, disk_image_size(p->disk[n]), d->read_only, disk_serial(d->path),
			{ disk_read, disk_write, disk_flush, p->disk[n] },
		};
	}
	if (p->cd_image)
		ic.drives[VM_IDE_CDROM_POS] = (struct ide_drive_config){
			IDE_ATAPI, disk_image_size(p->cd_image), true, disk_serial(cfg->cdrom),
			{ cd_read, NULL, NULL, p->cd_image },
		};
	p->ide = ide_create(&ic);
	if (vm_add_device(vm, "the IDE controller", p->ide, ide_destroy_hook, err) < 0)
		return -1;
	ide_enable(p->ide, IDE_BM_PORT);
	return 0;
}

/* A CD-ROM image: read-only, raw, whole 2048-byte sectors. */
static int open_cdrom(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct disk_image_opts opts = { .path = cfg->cdrom, .read_only = true };
	priv(vm)->cd_image = disk_image_open(&opts, err);
	if (!priv(vm)->cd_image ||
	    vm_add_device(vm, cfg->cdrom, priv(vm)->cd_image, disk_image_close_hook, err) < 0)
		return -1;
	uint64_t size = disk_image_size(priv(vm)->cd_image);
	if (size == 0 || size % IDE_CD_SECTOR) {
		snprintf(err, HOST_ERRLEN, "--cdrom %s: %s", cfg->cdrom,
			 size ? "not a whole number of 2048-byte sectors (not a CD image)"
			      : "empty file (not a CD image)");
		return -1;
	}
	return 0;
}

/* --- virtio-console ------------------------------------------------------- */

static void hvc_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;
	outsink_put(&priv(vm)->hvc_out, buf, len);
}

/* hvc0 (--hvc), the transfer ports of a supervised VM (xferport.h), or
 * both: one device, the console as port 0, the named ports beside it. */
static int add_hvc(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct virtio_console_config vc = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.log = vm_device_log, .log_opaque = vm,
		.ram_written = vm_dma_written, .ram_opaque = vm,
	};
	if (cfg->hvc)
		vc.output = hvc_output, vc.output_opaque = vm;
	if (priv(vm)->xfer)
		xferport_ports(priv(vm)->xfer, &vc);
	priv(vm)->hvc = virtio_console_create(priv(vm)->pci, HVC_SLOT, &vc);
	if (vm_add_device(vm, "virtio-console", priv(vm)->hvc, virtio_console_destroy_hook, err) < 0)
		return -1;
	if (priv(vm)->xfer)
		xferport_attach(priv(vm)->xfer, priv(vm)->hvc);
	place_bar(vm, HVC_SLOT);
	return 0;
}

/* --- the set -------------------------------------------------------------- */

int pcidevs_open(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (open_disks(vm, cfg, err) < 0)
		return -1;
	if (cfg->cdrom && open_cdrom(vm, cfg, err) < 0)
		return -1;
	if (priv(vm)->fds.transfer >= 0) {
		priv(vm)->xfer = xferport_new(priv(vm)->fds.transfer); /* takes it over */
		priv(vm)->fds.transfer = -1;
		if (vm_add_device(vm, "the transfer ports", priv(vm)->xfer, xferport_free_hook, err) < 0)
			return -1;
	}
	return nics_open(vm, cfg, err);
}

int pcidevs_add(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (add_rng(vm, err) < 0)
		return -1;
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		if (cfg->disks[n].iface == DISK_VIRTIO && add_disk(vm, cfg, n, err) < 0)
			return -1;
	}
	if (add_ide(vm, cfg, err) < 0)
		return -1;
	if ((cfg->hvc || priv(vm)->xfer) && add_hvc(vm, cfg, err) < 0)
		return -1;
	return nics_add(vm, err);
}

void pcidevs_poll(struct vm *vm)
{
	nics_poll(vm);
	if (priv(vm)->xfer)
		xferport_poll(priv(vm)->xfer);
}

unsigned pcidevs_wait_fds(struct vm *vm, struct host_waitfd *w, unsigned max)
{
	int fds[VM_MAX_NICS];
	unsigned n = 0, nics = nics_wait_fds(vm, fds, VM_MAX_NICS);
	for (unsigned i = 0; i < nics && n < max; i++)
		w[n++] = (struct host_waitfd){ .fd = fds[i], .in = true };
	if (priv(vm)->xfer && n < max) {
		w[n].fd = xferport_wait_fd(priv(vm)->xfer, &w[n].in, &w[n].out);
		n++;
	}
	return n;
}
