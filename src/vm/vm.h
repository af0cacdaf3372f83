/*
 * A virtual machine: guest RAM, the buses, the platform devices and one
 * vCPU behind the engine interface.  vm_run() is the main loop: it runs the
 * engine in slices, lets devices catch up with time and host input, and
 * sleeps while the guest is halted.
 */
#ifndef CORDON_VM_VM_H
#define CORDON_VM_VM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/irq.h"
#include "disk/luks.h"
#include "engine/engine.h"

enum stop_reason {
	STOP_NONE,
	STOP_RESET,        /* guest asked for a reset (i8042 0xFE, etc.) */
	STOP_POWEROFF,     /* guest powered off */
	STOP_DEBUG_EXIT,   /* guest wrote to port 0xf4; exit_code holds the value */
	STOP_TRIPLE_FAULT, /* the vCPU triple-faulted */
	STOP_USER_QUIT,    /* Ctrl-A x on the console */
	STOP_ERROR,        /* internal error; stop_msg says what */
};

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

#define VM_MAX_VIRTIO_DISKS 4 /* virtio-blk vda..vdd in PCI slots 3..6 */
#define VM_IDE_POSITIONS 4 /* primary master, primary slave, secondary master, slave */
/* Each kind up to its own limit, as in QEMU: the PCI slot plan and the
 * IDE positions are separate resources. */
#define VM_MAX_DISKS (VM_MAX_VIRTIO_DISKS + VM_IDE_POSITIONS)
#define VM_IDE_CDROM_POS 2 /* the CD-ROM: secondary master */

enum disk_if { DISK_VIRTIO, DISK_IDE };
enum boot_device { BOOT_AUTO, BOOT_CDROM, BOOT_DISK };
#define VM_MAC_LEN 6
#define VM_MAX_NICS 8 /* virtio-net eth0..eth7 in PCI slots 8..15 */

/* What a NIC's cable is (src/vm/nic.c). */
enum vm_nic_link {
	VM_NIC_SOCKET,   /* --net socket:PATH: a unix socket to another cordon */
	VM_NIC_PORT,     /* preopened: a port of a net's switch (a seqpacket socket) */
	VM_NIC_DIODE_TX, /* preopened: a diode's sending end (a pipe's write end) */
	VM_NIC_DIODE_RX, /* preopened: a diode's receiving end (a pipe's read end) */
};

struct vm_nic {
	enum vm_nic_link link;
	const char *path;  /* VM_NIC_SOCKET: the socket; else what to call the NIC in messages */
	int fd;            /* the preopened links: the descriptor */
	bool mac_set;      /* else a random locally administered MAC */
	uint8_t mac[VM_MAC_LEN];
};

/* An image for virtio-blk: raw, or LUKS (src/disk/image.h). */
struct vm_disk {
	const char *path;
	enum disk_if iface;       /* virtio-blk (the default) or an IDE drive */
	int ide_pos;              /* IDE: 0..3 (index=), or -1: the next free */
	bool read_only;
	bool luks;
	const char *key_file;     /* luks: where the CLI reads the passphrase, */
	int key_fd;               /* or this fd (-1: neither: prompt) */
	const uint8_t *passphrase; /* luks: filled in by the CLI, wiped after vm_new */
	size_t passphrase_len;
	int fd;                        /* preopened: the image, and for luks ... */
	const struct luks_key *key;    /* ... its volume key (disk/luks.h); not kept */
};

#define VM_DEFAULT_FIRMWARE "/usr/share/seabios/bios.bin" /* Debian's seabios */

struct vm_config {
	const char *kernel, *initrd, *append; /* kernel NULL: boot through firmware */
	const char *firmware;   /* the BIOS image; NULL: VM_DEFAULT_FIRMWARE */
	uint64_t mem_bytes;
	enum serial_mode serial;
	const char *serial_path;
	bool audit_sensitive;
	bool no_jit;        /* soft engine: no translation to host code */
	const char *engine; /* "soft" */
	struct vm_disk disks[VM_MAX_DISKS]; /* virtio ones are vda, vdb, ... in this order */
	unsigned ndisks;
	const char *cdrom;      /* an ATAPI CD-ROM image (secondary master); NULL: none */
	enum boot_device boot;  /* firmware boot: what the BIOS tries first */
	bool hvc;               /* a virtio-console (hvc0) ... */
	enum serial_mode hvc_mode; /* ... and where its output goes */
	const char *hvc_path;
	struct vm_nic nics[VM_MAX_NICS]; /* eth0, eth1, ... in this order */
	unsigned nnics;
	/* Set by a monitor whose supervisor opened everything: the paths above
	 * and in disks[] only name things in messages, and these are used. */
	bool preopened;
	int kernel_fd, initrd_fd;  /* initrd_fd < 0: none */
	int serial_fd;             /* serial == SERIAL_FILE: output goes here */
	/* A supervised VM's operator console (`cordon console`, vm/opcon.c):
	 * a seqpacket socket to the supervisor; the serial port's output is
	 * copied to it and what comes from it is typed into the serial port. */
	bool opcon;
	int opcon_fd;
	/* A preopened serial file stops growing at this size (0: no limit):
	 * past it one marker line is written and the rest dropped. */
	uint64_t serial_quota;
	int transfer_fd;           /* the transfer port to the VM's guard (vm/xferport.h), or -1 */
};

struct pic;
struct pit;
struct uart;
struct rtc;
struct i8042;

struct vm {
	uint8_t *ram;
	uint32_t ram_size;

	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;    /* ISA IRQ lines -> PIC */
	struct vclock clock;

	struct pic *pic;
	struct pit *pit;
	struct uart *uart;
	struct rtc *rtc;
	struct i8042 *kbd;

	const struct engine_ops *engine;
	void *engine_priv;
	bool audit_sensitive;
	bool no_jit;

	/* Set by devices or the engine to end vm_run(). */
	volatile int stop_reason;
	int exit_code;
	char stop_msg[256];

	bool interactive;
	/* Shutdown requests (a monitor's SIGTERM): the first presses the ACPI
	 * power button, a second, or one the guest cannot hear, stops the VM. */
	volatile sig_atomic_t power_requests;
	void *priv;    /* vm.c's private state */
};

/*
 * Builds the machine; NULL with a one-line reason in err (HOST_ERRLEN).
 * vm_destroy tears it all down and frees it.
 *
 * With cfg->preopened, vm_new opens no file: it reads the kernel and
 * initrd from kernel_fd and initrd_fd, writes the serial console to
 * serial_fd, serves disks[i] from disks[i].fd (with disks[i].key for a
 * LUKS disk; no passphrase) and links nics[i] to nics[i].fd.  It takes
 * over every one of those descriptors that is >= 0, on success and on
 * failure alike: the kernel and initrd are closed once read, the others
 * by vm_destroy, and whatever a failed vm_new had not used yet is closed
 * before it returns.  They must be distinct descriptors.  The hvc and a
 * VM_NIC_SOCKET NIC need files of their own, so a preopened config has
 * neither, and only a preopened config has the descriptor links.
 */
struct vm *vm_new(const struct vm_config *cfg, char *err);
void vm_destroy(struct vm *vm); /* NULL is fine */
/* Runs until a stop reason is set; returns it. */
enum stop_reason vm_run(struct vm *vm);
void vm_request_stop(struct vm *vm, enum stop_reason why, int code);

/* Engine-facing: the interrupt controllers' INTR output and acknowledge
 * cycle (the local APIC's, with the 8259 behind its LINT0), and the local
 * APIC's presence and IA32_APIC_BASE MSR (false: #GP). */
bool vm_intr_pending(struct vm *vm);
int vm_intr_ack(struct vm *vm);
bool vm_lapic_present(struct vm *vm);
bool vm_apic_base_read(struct vm *vm, uint64_t *v);
bool vm_apic_base_write(struct vm *vm, uint64_t v);

#endif
