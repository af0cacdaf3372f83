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
#include "dev/virtio_console.h"
#include "sec/test_hooks.h"
#include "vm/vm_internal.h"

#define SLICE_INSNS 100000
#define MAX_KERNEL_BYTES (256u << 20)
#define MAX_INITRD_BYTES (1024u << 20)
#define MAX_FIRMWARE_BYTES (16u << 20)
#define MIN_MEM (16ull << 20)
#define MAX_MEM (3ull << 30)
#define MAX_DEVICE_LOGS 20

void vm_request_stop(struct vm *vm, enum stop_reason why, int code)
{
	if (vm->stop_reason)
		return; /* the first reason wins */
	vm->stop_reason = why;
	vm->exit_code = code;
}

static uint64_t clock_now(void *opaque)
{
	struct vm *vm = opaque;
	return host_monotonic_ns() - priv(vm)->clock_start;
}

/* --- console output ------------------------------------------------------- */

/* Past its quota a console log gets this line and nothing more this run
 * (the supervisor rotates a full log before the next one). */
static void outsink_stop_at_quota(struct outsink *o)
{
	char marker[160];
	int n = snprintf(marker, sizeof(marker),
			 "\n[cordon: console log reached its quota of %llu bytes; "
			 "further output of this run is dropped]\n",
			 (unsigned long long)o->quota);
	host_write_all(o->fd, marker, (size_t)n);
	host_close(o->fd);
	o->fd = -1;
}

void outsink_flush(struct outsink *o)
{
	if (!o->len)
		return;
	size_t len = o->len;
	o->len = 0;
	opcon_tee(o, o->buf, len);
	if (o->fd == 1) {
		host_stdout_write(o->buf, len);
		return;
	}
	if (o->fd < 0)
		return;
	bool full = o->quota && o->written + len >= o->quota;
	if (full)
		len = o->written < o->quota ? (size_t)(o->quota - o->written) : 0;
	host_write_all(o->fd, o->buf, len);
	o->written += len;
	if (full)
		outsink_stop_at_quota(o);
}

void outsink_put(struct outsink *o, const uint8_t *buf, size_t len)
{
	if (o->fd < 0 && o->tee_fd < 0)
		return;
	for (size_t i = 0; i < len; i++) {
		o->buf[o->len++] = buf[i];
		if (o->len == OUTBUF_SIZE)
			outsink_flush(o);
	}
}

static void consoles_flush(struct vm *vm)
{
	outsink_flush(&priv(vm)->serial_out);
	outsink_flush(&priv(vm)->hvc_out);
}

static void serial_tx(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;
	outsink_put(&priv(vm)->serial_out, &byte, 1);
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
	opcon_poll(vm);
	if (p->in_pos == p->in_len)
		return;
	if (p->input_to_hvc)
		p->in_pos += virtio_console_receive(p->hvc, p->in + p->in_pos, p->in_len - p->in_pos);
	else
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
void vm_device_log(void *opaque, const char *msg)
{
	struct vm_private *p = priv(opaque);
	if (p->device_logs < MAX_DEVICE_LOGS)
		fprintf(stderr, "cordon: %s\n", msg);
	else if (p->device_logs == MAX_DEVICE_LOGS)
		fprintf(stderr, "cordon: further device messages suppressed\n");
	p->device_logs++;
}

/* A device stored into guest RAM: the engine may have decoded code there. */
void vm_dma_written(void *opaque, uint32_t addr, uint32_t len)
{
	struct vm *vm = opaque;
	if (vm->engine && vm->engine_priv && vm->engine->ram_written)
		vm->engine->ram_written(vm, addr, len);
}

VM_DESTROY_HOOK(pic_destroy, struct pic)
VM_DESTROY_HOOK(pit_destroy, struct pit)
VM_DESTROY_HOOK(uart_destroy, struct uart)
VM_DESTROY_HOOK(rtc_destroy, struct rtc)
VM_DESTROY_HOOK(i8042_destroy, struct i8042)
VM_DESTROY_HOOK(port80_destroy, struct port80)
VM_DESTROY_HOOK(debugexit_destroy, struct debugexit)
VM_DESTROY_HOOK(pci_destroy, struct pci_bus)

/* The PC platform; each device goes on the device list as it is made, so
 * a failure part-way leaves nothing that vm_destroy does not tear down. */
static int create_platform(struct vm *vm, char *err)
{
	vm->pic = pic_create(&vm->io);
	if (vm_add_device(vm, "the 8259A PICs", vm->pic, pic_destroy_hook, err) < 0)
		return -1;
	apic_wire_isa(vm);
	vm->pit = pit_create(&vm->io, &vm->irq, &vm->clock);
	if (vm_add_device(vm, "the 8254 PIT", vm->pit, pit_destroy_hook, err) < 0)
		return -1;
	vm->uart = uart_create(&vm->io, 0x3f8, 4, &vm->irq, serial_tx, vm);
	if (vm_add_device(vm, "the serial port", vm->uart, uart_destroy_hook, err) < 0)
		return -1;
	vm->rtc = rtc_create(&vm->io, &vm->irq, &vm->clock, host_wall_seconds());
	if (vm_add_device(vm, "the CMOS clock", vm->rtc, rtc_destroy_hook, err) < 0)
		return -1;
	rtc_set_memory_size(vm->rtc, vm->ram_size);
	vm->kbd = i8042_create(&vm->io, &vm->irq, on_reset, vm);
	if (vm_add_device(vm, "the i8042", vm->kbd, i8042_destroy_hook, err) < 0)
		return -1;
	if (vm_add_device(vm, "port 0x80", port80_create(&vm->io), port80_destroy_hook, err) < 0)
		return -1;
	return vm_add_device(vm, "the debug-exit port", debugexit_create(&vm->io, on_debug_exit, vm),
			     debugexit_destroy_hook, err);
}

static int create_devices(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (create_platform(vm, err) < 0)
		return -1;
	priv(vm)->pci = pci_create(&vm->io, &vm->mmio, &vm->irq);
	if (vm_add_device(vm, "the PCI bus", priv(vm)->pci, pci_destroy_hook, err) < 0)
		return -1;
	set_pci_irqs_level(vm);
	if (apic_add(vm, err) < 0 || chipset_add(vm, cfg, err) < 0)
		return -1;
	return pcidevs_add(vm, cfg, err);
}

/* --- create / destroy ----------------------------------------------------- */

/* Reads the kernel or the initrd: by path, or from the descriptor the
 * config handed over, which is closed once read. */
static int read_input(const struct vm_config *cfg, int *fd, const char *name, size_t max,
		      uint8_t **buf, size_t *len, char *err)
{
	if (!cfg->preopened)
		return host_read_file(name, max, buf, len, err);
	int rc = host_read_fd(*fd, name, max, buf, len, err);
	host_close(*fd);
	*fd = -1;
	return rc;
}

static int load_kernel(struct vm *vm, const struct vm_config *cfg, struct boot_state *bs, char *err)
{
	struct preopened_fds *fds = &priv(vm)->fds;
	const char *kname = cfg->kernel ? cfg->kernel : "the kernel";
	const char *iname = cfg->initrd ? cfg->initrd : "the initrd";
	bool has_initrd = cfg->preopened ? fds->initrd >= 0 : cfg->initrd != NULL;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int rc = -1;
	if (read_input(cfg, &fds->kernel, kname, MAX_KERNEL_BYTES, &kernel, &klen, err) < 0)
		goto out;
	if (has_initrd &&
	    read_input(cfg, &fds->initrd, iname, MAX_INITRD_BYTES, &initrd, &ilen, err) < 0)
		goto out;
	struct boot_input in = {
		.kernel = kernel, .kernel_len = klen, .kernel_name = kname,
		.initrd = initrd, .initrd_len = ilen, .initrd_name = has_initrd ? iname : NULL,
		.cmdline = cfg->append,
	};
	rc = boot_load(vm->ram, vm->ram_size, &in, bs, err);
out:
	free(kernel);
	free(initrd);
	return rc;
}

/* Firmware boot: the BIOS image, kept until the chipset maps it. */
static int load_firmware(struct vm *vm, const struct vm_config *cfg, struct boot_state *bs, char *err)
{
	const char *name = cfg->firmware ? cfg->firmware : VM_DEFAULT_FIRMWARE;
	struct vm_private *p = priv(vm);
	if (host_read_file(name, MAX_FIRMWARE_BYTES, &p->rom, &p->rom_len, err) < 0)
		return -1;
	if (boot_firmware_check(p->rom_len, name, err) < 0)
		return -1;
	boot_firmware_state(bs);
	return 0;
}

static int load_guest(struct vm *vm, const struct vm_config *cfg, struct boot_state *bs, char *err)
{
	if (firmware_boot(cfg))
		return load_firmware(vm, cfg, bs, err);
	return load_kernel(vm, cfg, bs, err);
}

/* Where a console stream goes.  The hvc may share the serial port's file:
 * two descriptors on one file would overwrite each other. */
static int open_sink(struct outsink *o, enum serial_mode mode, const char *path,
		     const struct outsink *other, const char *other_path, char *err)
{
	switch (mode) {
	case SERIAL_STDIO:
		o->fd = 1;
		return 0;
	case SERIAL_FILE:
		if (other && other_path && strcmp(path, other_path) == 0) {
			o->fd = other->fd;
			return 0;
		}
		o->fd = host_open_output(path, err);
		return o->fd < 0 ? -1 : 0;
	default:
		o->fd = -1;
		return 0;
	}
}

/* A preopened config's serial file is the descriptor it handed over. */
static int open_serial(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	if (!cfg->preopened || cfg->serial != SERIAL_FILE)
		return open_sink(&p->serial_out, cfg->serial, cfg->serial_path, NULL, NULL, err);
	if (p->fds.serial < 0) {
		snprintf(err, HOST_ERRLEN, "%s: no descriptor for the serial console output",
			 cfg->serial_path ? cfg->serial_path : "serial");
		return -1;
	}
	p->serial_out.fd = p->fds.serial;
	p->fds.serial = -1; /* close_consoles closes it now */
	p->serial_out.quota = cfg->serial_quota;
	p->serial_out.written = host_fd_size(p->serial_out.fd);
	return 0;
}

static int open_consoles(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	const char *serial_path = cfg->serial == SERIAL_FILE ? cfg->serial_path : NULL;
	if (open_serial(vm, cfg, err) < 0 || opcon_open(vm, err) < 0)
		return -1;
	if (cfg->hvc &&
	    open_sink(&p->hvc_out, cfg->hvc_mode, cfg->hvc_path, &p->serial_out, serial_path, err) < 0)
		return -1;
	/* The terminal's keystrokes go to one device: hvc0 when it is on stdio. */
	p->input_to_hvc = cfg->hvc && cfg->hvc_mode == SERIAL_STDIO;
	p->stdin_open = cfg->serial == SERIAL_STDIO || p->input_to_hvc;
	return 0;
}

static void close_consoles(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	consoles_flush(vm);
	if (p->hvc_out.fd > 1 && p->hvc_out.fd != p->serial_out.fd)
		host_close(p->hvc_out.fd);
	if (p->serial_out.fd > 1)
		host_close(p->serial_out.fd);
	if (p->serial_out.tee_fd >= 0)
		host_close(p->serial_out.tee_fd);
	p->serial_out.fd = p->hvc_out.fd = p->serial_out.tee_fd = p->hvc_out.tee_fd = -1;
}

/* --- descriptors from a supervisor ----------------------------------------- */

static void take_preopened(struct preopened_fds *f, const struct vm_config *cfg)
{
	f->kernel = f->initrd = f->serial = f->transfer = -1;
	for (unsigned n = 0; n < VM_MAX_DISKS; n++)
		f->disk[n] = cfg->preopened && n < cfg->ndisks ? cfg->disks[n].fd : -1;
	for (unsigned n = 0; n < VM_MAX_NICS; n++)
		f->nic[n] = cfg->preopened && n < cfg->nnics && cfg->nics[n].link != VM_NIC_SOCKET
				    ? cfg->nics[n].fd : -1;
	f->opcon = -1;
	if (cfg->preopened) {
		f->kernel = cfg->kernel_fd;
		f->initrd = cfg->initrd_fd;
		f->serial = cfg->serial_fd;
		f->transfer = cfg->transfer_fd;
		f->opcon = cfg->opcon ? cfg->opcon_fd : -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		host_close(*fd);
	*fd = -1;
}

static void close_unused(struct preopened_fds *f)
{
	close_fd(&f->kernel);
	close_fd(&f->initrd);
	close_fd(&f->serial);
	close_fd(&f->transfer);
	for (unsigned n = 0; n < VM_MAX_DISKS; n++)
		close_fd(&f->disk[n]);
	for (unsigned n = 0; n < VM_MAX_NICS; n++)
		close_fd(&f->nic[n]);
	close_fd(&f->opcon);
}

/* A supervised VM gets descriptors for everything it uses; the hvc's file
 * is not among them (yet).  (nic.c checks each NIC's kind of link.) */
static int check_preopened(const struct vm_config *cfg, char *err)
{
	if (cfg->preopened && cfg->hvc) {
		snprintf(err, HOST_ERRLEN, "the virtio console (--hvc) is not available to a supervised VM");
		return -1;
	}
	return 0;
}

static int check_config(const struct vm_config *cfg, char *err)
{
	if (cfg->mem_bytes < MIN_MEM || cfg->mem_bytes > MAX_MEM) {
		snprintf(err, HOST_ERRLEN, "memory size %llu bytes is out of range (16 MiB to 3 GiB)",
			 (unsigned long long)cfg->mem_bytes);
		return -1;
	}
	if (!engine_by_name(cfg->engine)) {
		snprintf(err, HOST_ERRLEN, "unknown engine '%s' (available: soft)", cfg->engine);
		return -1;
	}
	return check_preopened(cfg, err);
}

/* An empty machine that owns fds; NULL (fds closed) when memory is short. */
static struct vm *vm_alloc(struct preopened_fds *fds, char *err)
{
	struct vm *vm = calloc(1, sizeof(*vm)); /* the port map alone is 64 KiB */
	if (vm)
		vm->priv = calloc(1, sizeof(struct vm_private));
	if (!vm || !vm->priv) {
		snprintf(err, HOST_ERRLEN, "out of memory");
		close_unused(fds);
		free(vm);
		return NULL;
	}
	iobus_init(&vm->io);
	mmiobus_init(&vm->mmio);
	priv(vm)->fds = *fds;
	priv(vm)->serial_out.fd = priv(vm)->hvc_out.fd = -1;
	priv(vm)->serial_out.tee_fd = priv(vm)->hvc_out.tee_fd = -1;
	return vm;
}

struct vm *vm_new(const struct vm_config *cfg, char *err)
{
	struct preopened_fds fds;
	take_preopened(&fds, cfg); /* from here on, every exit closes what is left */
	struct vm *vm = vm_alloc(&fds, err);
	if (!vm)
		return NULL;
	if (check_config(cfg, err) < 0)
		goto fail;
	vm->engine = engine_by_name(cfg->engine);
	priv(vm)->clock_start = host_monotonic_ns();
	vm->clock.now_ns = clock_now;
	vm->clock.opaque = vm;
	vm->audit_sensitive = cfg->audit_sensitive;
	vm->no_jit = cfg->no_jit;
	vm->ram_size = (uint32_t)cfg->mem_bytes;
	vm->ram = host_alloc_ram(vm->ram_size, err);
	if (!vm->ram)
		goto fail;

	struct boot_state bs;
	if (load_guest(vm, cfg, &bs, err) < 0 || pcidevs_open(vm, cfg, err) < 0 ||
	    create_devices(vm, cfg, err) < 0 ||
	    open_consoles(vm, cfg, err) < 0 || vm->engine->create(vm, err) < 0)
		goto fail;
	vm->engine->set_boot_state(vm, &bs);
	close_unused(&priv(vm)->fds); /* e.g. a serial_fd with serial off */
	return vm;
fail:
	close_unused(&priv(vm)->fds);
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->engine && vm->engine_priv)
		vm->engine->destroy(vm);
	close_consoles(vm);
	vm_remove_devices(vm);
	free(priv(vm)->rom); /* firmware boot: read, but no host bridge took it */
	if (vm->ram)
		host_free_ram(vm->ram, vm->ram_size);
	free(vm->priv);
	free(vm);
}

/* --- the main loop -------------------------------------------------------- */

static uint64_t next_deadline(struct vm *vm)
{
	uint64_t a = pit_next_event_ns(vm->pit), b = rtc_next_event_ns(vm->rtc);
	uint64_t c = apic_next_event_ns(vm);
	a = a < b ? a : b;
	return a < c ? a : c;
}

static void idle(struct vm *vm)
{
	consoles_flush(vm);
	uint64_t now = vclock_now(&vm->clock), when = next_deadline(vm);
	uint64_t wait = when > now ? when - now : 0;
	if (wait > 100000000ull)
		wait = 100000000ull; /* re-check at least every 100 ms */
	if (wait) {
		struct host_waitfd w[HOST_WAIT_MAX];
		unsigned n = pcidevs_wait_fds(vm, w, HOST_WAIT_MAX - 1);
		if (opcon_wait_fd(vm) >= 0)
			w[n++] = (struct host_waitfd){ .fd = opcon_wait_fd(vm), .in = true };
		host_wait_fds(wait, priv(vm)->stdin_open, w, n);
	}
}

/* A shutdown request: the ACPI power button if the guest listens for it,
 * else (or the second time) the VM stops, as an operator's stop. */
static void power_request(struct vm *vm)
{
	struct vm_private *p = priv(vm);
	bool first = p->power_seen == 0;
	p->power_seen = vm->power_requests;
	if (first && chipset_power_button(vm)) {
		fprintf(stderr, "cordon: power button pressed; waiting for the guest to shut down\n");
		return;
	}
	fprintf(stderr, "cordon: stopped on request%s\n",
		first ? " (the guest does not listen to the ACPI power button)" : "");
	vm_request_stop(vm, STOP_USER_QUIT, 0);
}

enum stop_reason vm_run(struct vm *vm)
{
	for (uint64_t slices = 1; !vm->stop_reason; slices++) {
		if (test_hook_escape_due(slices))
			test_hook_escape(); /* test builds only: sec/test_hooks.h */
		enum run_status st = vm->engine->run(vm, SLICE_INSNS);
		pit_update(vm->pit);
		rtc_update(vm->rtc);
		apic_update(vm);
		if (vm->power_requests != priv(vm)->power_seen)
			power_request(vm);
		console_poll(vm);
		pcidevs_poll(vm);
		consoles_flush(vm); /* at most one write each per slice, so output is prompt */
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
	consoles_flush(vm);
	nics_report(vm);
	return vm->stop_reason;
}

