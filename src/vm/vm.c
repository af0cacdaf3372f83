/*
 * Machine assembly and the main loop.
 *
 * The loop runs the engine in slices of SLICE_INSNS instructions; between
 * slices the timers catch up with the clock, host input reaches the UART
 * and buffered console output is flushed.  When the guest halts, the loop
 * sleeps until the next timer deadline or host input instead of spinning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "dev/devices.h"
#include "dev/pci.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_pci.h"
#include "dev/virtio_rng.h"
#include "host/host.h"
#include "vm/console.h"
#include "vm/vm.h"

#define SLICE_INSNS 100000
#define MAX_KERNEL_BYTES (256u << 20)
#define MAX_INITRD_BYTES (1024u << 20)
#define MIN_MEM (16ull << 20)
#define MAX_MEM (3ull << 30)
#define OUTBUF_SIZE 4096
#define MAX_DEVICE_LOGS 20
/* Where cordon puts virtio-rng, as firmware would: slot 1, its BAR in the
 * hole below 4 GiB (above any RAM, which ends by 3 GiB). */
#define RNG_SLOT 1
#define RNG_BAR_BASE 0xfebf0000u
/* Disk n (vda = 0) in slot 2 + n, its BAR just above the rng's. */
#define DISK_SLOT0 2
#define DISK_BAR_BASE 0xfebf4000u

/* Everything the machine owns that the public struct does not show. */
struct vm_private {
	uint64_t clock_start;
	uint8_t out[OUTBUF_SIZE];
	size_t out_len;
	struct console console;
	bool stdin_open;
	uint8_t in[256];
	size_t in_len, in_pos;
	struct pci_bus *pci;
	struct virtio_rng *rng;
	struct host_disk *disk[VM_MAX_DISKS];
	struct virtio_blk *blk[VM_MAX_DISKS];
	unsigned device_logs;
};

static struct vm_private *priv(struct vm *vm)
{
	return vm->priv;
}

void vm_request_stop(struct vm *vm, enum stop_reason why, int code)
{
	if (vm->stop_reason)
		return; /* the first reason wins */
	vm->stop_reason = why;
	vm->exit_code = code;
}

bool vm_intr_pending(struct vm *vm)
{
	/* A bare vm (the CPU unit-test fixture) has no PIC. */
	return vm->pic && pic_intr_pending(vm->pic);
}

int vm_intr_ack(struct vm *vm)
{
	return pic_intr_ack(vm->pic);
}

static uint64_t clock_now(void *opaque)
{
	struct vm *vm = opaque;
	return host_monotonic_ns() - priv(vm)->clock_start;
}

/* --- console output ------------------------------------------------------- */

static void serial_flush(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	if (!p->out_len)
		return;
	if (vm->serial_fd == 1)
		host_stdout_write(p->out, p->out_len);
	else if (vm->serial_fd >= 0)
		host_write_all(vm->serial_fd, p->out, p->out_len);
	p->out_len = 0;
}

static void serial_tx(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;
	struct vm_private *p = priv(vm);
	if (vm->serial_fd < 0)
		return;
	p->out[p->out_len++] = byte;
	if (p->out_len == OUTBUF_SIZE)
		serial_flush(vm);
}

/* --- console input -------------------------------------------------------- */

static void console_poll(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	if (p->in_pos == p->in_len && p->stdin_open) {
		uint8_t raw[sizeof(p->in)];
		int n = host_stdin_read(raw, sizeof(raw));
		if (n < 0) {
			p->stdin_open = false;
		} else if (n > 0) {
			enum console_action act;
			p->in_len = console_filter(&p->console, raw, (size_t)n, p->in, &act);
			p->in_pos = 0;
			if (act == CONSOLE_QUIT)
				vm_request_stop(vm, STOP_USER_QUIT, 0);
			else if (act == CONSOLE_HELP)
				host_stdout_write(console_help_text, strlen(console_help_text));
		}
	}
	if (p->in_pos < p->in_len)
		p->in_pos += uart_receive(vm->uart, p->in + p->in_pos, p->in_len - p->in_pos);
}

/* --- devices -------------------------------------------------------------- */

static void on_reset(void *opaque)
{
	vm_request_stop(opaque, STOP_RESET, 0);
}

static void on_debug_exit(void *opaque, int code)
{
	vm_request_stop(opaque, STOP_DEBUG_EXIT, code);
}

/* PCI INTx lines are level-triggered and shareable; with no BIOS to do it,
 * the machine marks their ISA IRQs level in the PIC's ELCR (0x4d0/0x4d1). */
static void set_pci_irqs_level(struct vm *vm)
{
	iobus_write(&vm->io, 0x4d0, 1, PCI_IRQ_MASK & 0xff);
	iobus_write(&vm->io, 0x4d1, 1, PCI_IRQ_MASK >> 8);
}

/* Device reports go to stderr; a guest that breaks its devices over and
 * over (each reset re-arms the report) must not flood it. */
static void device_log(void *opaque, const char *msg)
{
	struct vm_private *p = priv(opaque);
	if (p->device_logs < MAX_DEVICE_LOGS)
		fprintf(stderr, "cordon: %s\n", msg);
	else if (p->device_logs == MAX_DEVICE_LOGS)
		fprintf(stderr, "cordon: further device messages suppressed\n");
	p->device_logs++;
}

static int rng_source(void *opaque, void *buf, size_t len)
{
	(void)opaque;
	return host_random(buf, len);
}

/* A device stored into guest RAM: the engine may have decoded code there. */
static void dma_written(void *opaque, uint32_t addr, uint32_t len)
{
	struct vm *vm = opaque;
	if (vm->engine && vm->engine_priv && vm->engine->ram_written)
		vm->engine->ram_written(vm, addr, len);
}

/* With no firmware, place the BAR and turn on memory decode and bus
 * mastering ourselves; Linux keeps firmware-assigned BARs. */
static int add_virtio_rng(struct vm *vm)
{
	struct virtio_rng_config cfg = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.random = rng_source,
		.log = device_log, .log_opaque = vm,
		.ram_written = dma_written, .ram_opaque = vm,
	};
	struct vm_private *p = priv(vm);
	p->rng = virtio_rng_create(p->pci, RNG_SLOT, &cfg);
	if (!p->rng)
		return -1;
	pci_config_write(p->pci, RNG_SLOT, PCI_BAR0, 4, RNG_BAR_BASE);
	pci_config_write(p->pci, RNG_SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

/* virtio-blk backend: the device has range-checked every access. */
static int disk_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	return host_disk_read(opaque, buf, len, off);
}

static int disk_write(void *opaque, const void *buf, size_t len, uint64_t off)
{
	return host_disk_write(opaque, buf, len, off);
}

static int disk_flush(void *opaque)
{
	return host_disk_flush(opaque);
}

/* The GET_ID serial: the image's file name (the device keeps 20 bytes). */
static const char *disk_serial(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int add_virtio_blk(struct vm *vm, unsigned n, const struct vm_disk *d)
{
	struct vm_private *p = priv(vm);
	struct virtio_blk_config cfg = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.capacity_bytes = host_disk_size(p->disk[n]),
		.read_only = d->read_only,
		.serial = disk_serial(d->path),
		.backend = { disk_read, disk_write, disk_flush, p->disk[n] },
		.log = device_log, .log_opaque = vm,
		.ram_written = dma_written, .ram_opaque = vm,
	};
	int slot = DISK_SLOT0 + (int)n;
	p->blk[n] = virtio_blk_create(p->pci, slot, &cfg);
	if (!p->blk[n])
		return -1;
	pci_config_write(p->pci, slot, PCI_BAR0, 4, DISK_BAR_BASE + VIRTIO_PCI_BAR_SIZE * n);
	pci_config_write(p->pci, slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

/* flock already refuses a second read-write open; this also catches the
 * same file once read-write and once read-only, which would let the guest
 * see a disk change under a read-only mount. */
static int check_distinct(struct vm *vm, const struct vm_config *cfg, unsigned n, char *err)
{
	for (unsigned i = 0; i < n; i++) {
		if (!host_disk_same_file(priv(vm)->disk[i], priv(vm)->disk[n]))
			continue;
		if (cfg->disks[i].read_only && cfg->disks[n].read_only)
			continue;
		snprintf(err, HOST_ERRLEN, "%s: same image as --disk %s, which is read-write",
			 cfg->disks[n].path, cfg->disks[i].path);
		return -1;
	}
	return 0;
}

static int open_disks(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (cfg->ndisks > VM_MAX_DISKS) {
		snprintf(err, HOST_ERRLEN, "too many disks (%u, at most %d)", cfg->ndisks, VM_MAX_DISKS);
		return -1;
	}
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		const struct vm_disk *d = &cfg->disks[n];
		priv(vm)->disk[n] = host_disk_open(d->path, d->read_only, err);
		if (!priv(vm)->disk[n] || check_distinct(vm, cfg, n, err) < 0)
			return -1;
	}
	return 0;
}

static int add_disks(struct vm *vm, const struct vm_config *cfg)
{
	for (unsigned n = 0; n < cfg->ndisks; n++) {
		if (add_virtio_blk(vm, n, &cfg->disks[n]) < 0)
			return -1;
	}
	return 0;
}

static int create_devices(struct vm *vm, const struct vm_config *cfg, char *err)
{
	iobus_init(&vm->io);
	mmiobus_init(&vm->mmio);
	vm->pic = pic_create(&vm->io);
	if (!vm->pic)
		goto fail;
	vm->irq.set = pic_irq_line_set;
	vm->irq.opaque = vm->pic;
	vm->pit = pit_create(&vm->io, &vm->irq, &vm->clock);
	vm->uart = uart_create(&vm->io, 0x3f8, 4, &vm->irq, serial_tx, vm);
	vm->rtc = rtc_create(&vm->io, &vm->irq, &vm->clock, host_wall_seconds());
	vm->kbd = i8042_create(&vm->io, &vm->irq, on_reset, vm);
	if (!vm->pit || !vm->uart || !vm->rtc || !vm->kbd)
		goto fail;
	rtc_set_memory_size(vm->rtc, vm->ram_size);
	if (port80_register(&vm->io) < 0 || debugexit_register(&vm->io, on_debug_exit, vm) < 0)
		goto fail;
	priv(vm)->pci = pci_create(&vm->io, &vm->mmio, &vm->irq);
	if (!priv(vm)->pci)
		goto fail;
	set_pci_irqs_level(vm);
	if (add_virtio_rng(vm) < 0 || add_disks(vm, cfg) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, HOST_ERRLEN, "cannot create the platform devices");
	return -1;
}

/* --- create / destroy ----------------------------------------------------- */

static int load_kernel(struct vm *vm, const struct vm_config *cfg, struct boot_state *bs, char *err)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int rc = -1;
	if (host_read_file(cfg->kernel, MAX_KERNEL_BYTES, &kernel, &klen, err) < 0)
		goto out;
	if (cfg->initrd && host_read_file(cfg->initrd, MAX_INITRD_BYTES, &initrd, &ilen, err) < 0)
		goto out;
	struct boot_input in = {
		.kernel = kernel, .kernel_len = klen, .kernel_name = cfg->kernel,
		.initrd = initrd, .initrd_len = ilen, .initrd_name = cfg->initrd,
		.cmdline = cfg->append,
	};
	rc = boot_load(vm->ram, vm->ram_size, &in, bs, err);
out:
	free(kernel);
	free(initrd);
	return rc;
}

static int open_serial(struct vm *vm, const struct vm_config *cfg, char *err)
{
	switch (cfg->serial) {
	case SERIAL_STDIO:
		vm->serial_fd = 1;
		return 0;
	case SERIAL_FILE:
		vm->serial_fd = host_open_output(cfg->serial_path, err);
		return vm->serial_fd < 0 ? -1 : 0;
	default:
		vm->serial_fd = -1;
		return 0;
	}
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->serial_fd = -1;
	if (cfg->mem_bytes < MIN_MEM || cfg->mem_bytes > MAX_MEM) {
		snprintf(err, HOST_ERRLEN, "memory size %llu bytes is out of range (16 MiB to 3 GiB)",
			 (unsigned long long)cfg->mem_bytes);
		return -1;
	}
	vm->engine = engine_by_name(cfg->engine);
	if (!vm->engine) {
		snprintf(err, HOST_ERRLEN, "unknown engine '%s' (available: soft)", cfg->engine);
		return -1;
	}
	vm->priv = calloc(1, sizeof(struct vm_private));
	if (!vm->priv) {
		snprintf(err, HOST_ERRLEN, "out of memory");
		return -1;
	}
	priv(vm)->clock_start = host_monotonic_ns();
	priv(vm)->stdin_open = cfg->serial == SERIAL_STDIO;
	vm->clock.now_ns = clock_now;
	vm->clock.opaque = vm;
	vm->audit_sensitive = cfg->audit_sensitive;
	vm->ram_size = (uint32_t)cfg->mem_bytes;
	vm->ram = host_alloc_ram(vm->ram_size, err);
	if (!vm->ram)
		goto fail;

	struct boot_state bs;
	if (load_kernel(vm, cfg, &bs, err) < 0 || open_disks(vm, cfg, err) < 0 ||
	    create_devices(vm, cfg, err) < 0 ||
	    open_serial(vm, cfg, err) < 0 || vm->engine->create(vm, err) < 0)
		goto fail;
	vm->engine->set_boot_state(vm, &bs);
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

void vm_destroy(struct vm *vm)
{
	if (vm->priv)
		serial_flush(vm);
	if (vm->engine && vm->engine_priv)
		vm->engine->destroy(vm);
	if (vm->serial_fd > 1)
		host_close(vm->serial_fd);
	vm->serial_fd = -1;
	if (vm->priv) {
		pci_destroy(priv(vm)->pci); /* first: it points into the rng */
		virtio_rng_destroy(priv(vm)->rng);
		for (unsigned n = 0; n < VM_MAX_DISKS; n++) {
			virtio_blk_destroy(priv(vm)->blk[n]);
			host_disk_close(priv(vm)->disk[n]);
		}
	}
	i8042_destroy(vm->kbd);
	rtc_destroy(vm->rtc);
	uart_destroy(vm->uart);
	pit_destroy(vm->pit);
	pic_destroy(vm->pic);
	vm->kbd = NULL, vm->rtc = NULL, vm->uart = NULL, vm->pit = NULL, vm->pic = NULL;
	if (vm->ram)
		host_free_ram(vm->ram, vm->ram_size);
	vm->ram = NULL;
	free(vm->priv);
	vm->priv = NULL;
}

/* --- the main loop -------------------------------------------------------- */

static uint64_t next_deadline(struct vm *vm)
{
	uint64_t a = pit_next_event_ns(vm->pit), b = rtc_next_event_ns(vm->rtc);
	return a < b ? a : b;
}

static void idle(struct vm *vm)
{
	serial_flush(vm);
	uint64_t now = vclock_now(&vm->clock), when = next_deadline(vm);
	uint64_t wait = when > now ? when - now : 0;
	if (wait > 100000000ull)
		wait = 100000000ull; /* re-check at least every 100 ms */
	if (wait)
		host_wait_input(wait, priv(vm)->stdin_open);
}

enum stop_reason vm_run(struct vm *vm)
{
	while (!vm->stop_reason) {
		enum run_status st = vm->engine->run(vm, SLICE_INSNS);
		pit_update(vm->pit);
		rtc_update(vm->rtc);
		console_poll(vm);
		serial_flush(vm); /* at most one write per slice, so output is prompt */
		if (vm->stop_reason)
			break;
		if (st == RUN_HALTED_DEAD) {
			vm_request_stop(vm, STOP_ERROR, 0);
			snprintf(vm->stop_msg, sizeof(vm->stop_msg),
				 "guest halted with interrupts disabled; it can never resume");
			break;
		}
		if (st == RUN_HALTED && !vm_intr_pending(vm))
			idle(vm);
	}
	serial_flush(vm);
	return vm->stop_reason;
}

