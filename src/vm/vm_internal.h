/*
 * What the machine's own files share and nobody else sees: the private
 * state behind struct vm, and the hooks every device gets.  vm.c owns the
 * platform and the main loop; pcidevs.c the PCI functions (virtio-rng,
 * -blk, -console) and their host backends; nic.c the NICs (virtio-net)
 * and their links.
 */
#ifndef CORDON_VM_VM_INTERNAL_H
#define CORDON_VM_VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/host.h"
#include "vm/console.h"
#include "vm/vm.h"

#define OUTBUF_SIZE 4096
#define NET_RX_BURST 64 /* frames moved from the link to the guest per slice */

/* A console byte stream to stdout or a file, flushed once per slice. */
struct outsink {
	int fd; /* -1: discard, 1: stdout, else a file */
	uint8_t buf[OUTBUF_SIZE];
	size_t len;
	uint64_t quota;   /* a file's size limit (0: none) ... */
	uint64_t written; /* ... and its size so far */
	int tee_fd;       /* also to the operator's console (opcon.c), never waiting; -1: none */
};

struct pci_bus;
struct i440fx;
struct piix3;
struct piix_pm;
struct fw_cfg;
struct lapic;
struct ioapic;
struct ide;
struct virtio_rng;
struct virtio_blk;
struct virtio_console;
struct disk_image;
struct nic;
struct xferport;
struct vm_device;

/* The descriptors of a preopened config (vm.h) that vm_new owns and
 * has not handed to their users yet; -1 once handed over.  Whatever is
 * left when vm_new returns is closed. */
struct preopened_fds {
	int kernel, initrd, serial, transfer;
	int disk[VM_MAX_DISKS];
	int nic[VM_MAX_NICS];
	int opcon;
};

struct vm_private {
	struct vm_device *devices;    /* newest first (devlist.c) */
	uint64_t clock_start;
	struct preopened_fds fds;
	struct outsink serial_out;
	struct outsink hvc_out;       /* the same fd as serial_out may be stdout */
	struct console console;       /* Ctrl-A filter on the terminal's input */
	bool stdin_open;
	bool input_to_hvc;            /* --hvc stdio: keystrokes go to hvc0 */
	uint8_t in[256];
	size_t in_len, in_pos;
	struct pci_bus *pci;
	uint8_t *rom;                 /* firmware boot: the BIOS image until the chipset copies it */
	size_t rom_len;
	struct i440fx *i440fx;
	struct piix3 *piix3;
	struct piix_pm *pm;
	struct fw_cfg *fw_cfg;
	struct lapic *lapic;
	struct ioapic *ioapic;
	uint32_t lapic_mapped;        /* where the APIC page is on the MMIO bus; 0: not */
	bool ioapic_mapped;
	struct virtio_rng *rng;
	struct disk_image *disk[VM_MAX_DISKS];
	struct virtio_blk *blk[VM_MAX_DISKS];
	struct disk_image *cd_image;  /* --cdrom */
	struct ide *ide;
	struct virtio_console *hvc;
	struct nic *nic[VM_MAX_NICS]; /* eth0, eth1, ... (nic.c) */
	unsigned nnics;
	struct xferport *xfer;        /* a supervised VM's transfer ports, or NULL */
	unsigned device_logs;
	sig_atomic_t power_seen;      /* power_requests already answered */
};

static inline struct vm_private *priv(struct vm *vm)
{
	return vm->priv;
}

/* Whether the guest starts in firmware rather than in a loaded kernel. */
static inline bool firmware_boot(const struct vm_config *cfg)
{
	return !cfg->kernel && !cfg->preopened;
}

/*
 * The device list (devlist.c).  vm_add_device hands the machine a device
 * it has just created, or a host resource devices use; from then on the
 * machine owns it, and vm_remove_devices tears everything down, newest
 * first: the device's bus regions (owner == state) are unregistered, then
 * destroy(state) runs.  A NULL state (the create failed) or no memory for
 * the entry gives -1 and "cannot create NAME" in err (HOST_ERRLEN), with
 * the device already destroyed.
 */
typedef void (*vm_device_destroy_fn)(void *state);
int vm_add_device(struct vm *vm, const char *name, void *state, vm_device_destroy_fn destroy,
		  char *err);
void vm_remove_devices(struct vm *vm);

/* Defines NAME_hook, a vm_device_destroy_fn that calls NAME(TYPE *). */
#define VM_DESTROY_HOOK(NAME, TYPE) \
	static void NAME##_hook(void *state) { NAME((TYPE *)state); }

/* Device hooks (vm.c). */
void vm_device_log(void *vm, const char *msg);
void vm_dma_written(void *vm, uint32_t addr, uint32_t len);

/* Console output (vm.c). */
void outsink_put(struct outsink *o, const uint8_t *buf, size_t len);
void outsink_flush(struct outsink *o);

/* The chipset and firmware interface (chipset.c): the host bridge with
 * the BIOS ROM, the PIIX3 and its power management, fw_cfg; for a kernel
 * started directly, the ACPI tables firmware would have left.  add: after
 * pci_create; the device list tears them down. */
int chipset_add(struct vm *vm, const struct vm_config *cfg, char *err);
/* Presses the ACPI power button; whether an ACPI OS was listening. */
bool chipset_power_button(struct vm *vm);

/* The APICs and the interrupt wiring (apic.c).  wire_isa: the ISA lines
 * (vm->irq) go to the 8259s and the I/O APIC; add: the devices (the device
 * list tears them down); update and next_event: the local APIC timer, for
 * the run loop. */
void apic_wire_isa(struct vm *vm);
int apic_add(struct vm *vm, char *err);
void apic_update(struct vm *vm);
uint64_t apic_next_event_ns(struct vm *vm);

/* PCI functions (pcidevs.c).  open: host resources (images, the links),
 * before any device exists; add: the devices; poll: once per slice;
 * wait_fds: the descriptors the idle loop waits on (at most max);
 * everything goes on the device list, which tears it down. */
int pcidevs_open(struct vm *vm, const struct vm_config *cfg, char *err);
/* Where a BAR of the function in slot goes when cordon places it. */
uint32_t pcidevs_bar_address(int slot);
/* The PCI slot of cfg->disks[n], a virtio disk. */
int pcidevs_disk_slot(const struct vm_config *cfg, unsigned n);
int pcidevs_add(struct vm *vm, const struct vm_config *cfg, char *err);
void pcidevs_poll(struct vm *vm);
/* The backends the idle loop waits on, into w (max entries): their count. */
unsigned pcidevs_wait_fds(struct vm *vm, struct host_waitfd *w, unsigned max);
/* Places slot's BAR at its address and enables decode and bus mastering. */
void pcidevs_place_bar(struct vm *vm, int slot);

/* The operator's console (opcon.c): take its descriptor over (a preopened
 * config with opcon); poll: what the operator typed into the serial port;
 * wait_fd: the descriptor to wait on, or -1. */
int opcon_open(struct vm *vm, char *err);
void opcon_poll(struct vm *vm);
int opcon_wait_fd(struct vm *vm);
/* An outsink's copy of its output to the operator's console, if any. */
void opcon_tee(struct outsink *o, const uint8_t *buf, size_t len);

/* NICs (nic.c), in PCI slots NIC_SLOT0 .. NIC_SLOT0 + VM_MAX_NICS - 1, as
 * pcidevs_* above; report: a line on stderr for each NIC that dropped
 * frames its guest sent where none may go. */
#define NIC_SLOT0 8
int nics_open(struct vm *vm, const struct vm_config *cfg, char *err);
int nics_add(struct vm *vm, char *err);
void nics_poll(struct vm *vm);
unsigned nics_wait_fds(struct vm *vm, int *fds, unsigned max);
void nics_report(struct vm *vm);

#endif
