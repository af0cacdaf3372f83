/*
 * The PC chipset around the PCI bus, and what firmware learns from it:
 *
 *     00:00.0   i440FX host bridge: PAM shadowing, the BIOS ROM (dev/i440fx.h)
 *     00:01.0   PIIX3 ISA bridge: PIRQ routing, port 0x92, 0xCF9 (dev/piix3.h)
 *     00:01.3   ACPI power management: PM1, PM timer, SCI (dev/piix_pm.h)
 *     0x510     fw_cfg, for firmware boot only (dev/fw_cfg.h)
 *
 * For a kernel started directly, cordon does what firmware would: it
 * routes PIRQ A-D to IRQs 10, 11, 9, 5 (what each device's Interrupt Line
 * register already says), puts the PM registers at 0xb000, and writes the
 * ACPI tables (boot/acpi.h).  SeaBIOS does all three itself.
 *
 * For firmware boot, fw_cfg tells SeaBIOS the RAM size and map, the boot
 * order, and that its text console is the serial port (etc/sercon-port),
 * so the BIOS's and the boot loader's screen and keyboard are the user's
 * terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/mptable.h"
#include "dev/ioapic.h"
#include "dev/lapic.h"
#include "dev/fw_cfg.h"
#include "dev/i440fx.h"
#include "dev/piix3.h"
#include "dev/piix_pm.h"
#include "vm/vm_internal.h"

#define SERCON_PORT 0x3f8
/* What CPUID leaf 1 says of the soft CPU with its local APIC: family 6
 * model 3 stepping 3; FPU, PSE, TSC, MSR, CX8, APIC, PGE, CMOV. */
#define MP_CPU_SIGNATURE 0x633
#define MP_CPU_FEATURES 0xa339
#define E820_RAM 1

VM_DESTROY_HOOK(i440fx_destroy, struct i440fx)
VM_DESTROY_HOOK(piix3_destroy, struct piix3)
VM_DESTROY_HOOK(piix_pm_destroy, struct piix_pm)
VM_DESTROY_HOOK(fw_cfg_destroy, struct fw_cfg)

static void rom_ram_written(void *opaque, uint32_t addr, uint32_t len)
{
	vm_dma_written(opaque, addr, len);
}

static int add_host_bridge(struct vm *vm, char *err)
{
	struct vm_private *p = priv(vm);
	struct i440fx_config hc = {
		.ram = vm->ram, .ram_size = vm->ram_size,
		.rom = p->rom, .rom_size = (uint32_t)p->rom_len,
		.ram_written = rom_ram_written, .ram_opaque = vm,
	};
	p->i440fx = i440fx_create(p->pci, &vm->mmio, &hc);
	free(p->rom); /* the bridge keeps its own copy */
	p->rom = NULL;
	return vm_add_device(vm, "the host bridge (firmware at the top of 4 GiB)", p->i440fx,
			     i440fx_destroy_hook, err);
}

static void on_reset(void *opaque)
{
	vm_request_stop(opaque, STOP_RESET, 0);
}

static int add_piix3(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	p->piix3 = piix3_create(p->pci, &vm->io, on_reset, vm);
	if (vm_add_device(vm, "the PIIX3 (slot 1 or port 0x92 taken)", p->piix3, piix3_destroy_hook,
			  err) < 0)
		return -1;
	if (!firmware_boot(cfg)) {
		for (int pin = 1; pin <= 4; pin++)
			pci_config_write_fn(p->pci, PIIX3_SLOT, 0, PIIX3_PIRQRC + (unsigned)pin - 1, 1,
					    (uint32_t)pci_slot_irq(0, pin));
	}
	return 0;
}

static void on_poweroff(void *opaque)
{
	vm_request_stop(opaque, STOP_POWEROFF, 0);
}

static int add_pm(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct vm_private *p = priv(vm);
	struct piix_pm_config pc = {
		.bus = p->pci, .slot = PIIX3_SLOT, .io = &vm->io, .clock = &vm->clock,
		.poweroff = on_poweroff, .opaque = vm,
	};
	p->pm = piix_pm_create(&pc);
	if (vm_add_device(vm, "the ACPI power management function", p->pm, piix_pm_destroy_hook,
			  err) < 0)
		return -1;
	if (!firmware_boot(cfg))
		piix_pm_enable_io(p->pm);
	return 0;
}

/* The tables firmware would leave for the OS: ACPI, and the MP table for
 * kernels that do not read ACPI. */
static int add_firmware_tables(struct vm *vm)
{
	bool apic = priv(vm)->lapic != NULL;
	struct acpi_platform ap = {
		.ram_size = vm->ram_size,
		.pm_base = PIIX_PM_BASE, .gpe0_base = PIIX_PM_GPE0, .sci_irq = PIIX_PM_SCI_IRQ,
		.smi_cmd = PIIX_PM_SMI_CMD, .acpi_enable = PIIX_PM_ACPI_ENABLE,
		.acpi_disable = PIIX_PM_ACPI_DISABLE,
		.apic = apic, .lapic_addr = LAPIC_DEFAULT_BASE, .ioapic_addr = IOAPIC_BASE,
	};
	struct mptable_platform mp = {
		.lapic_addr = LAPIC_DEFAULT_BASE, .ioapic_addr = IOAPIC_BASE,
		.cpu_signature = MP_CPU_SIGNATURE, .cpu_features = MP_CPU_FEATURES,
	};
	for (int i = 0; i < 4; i++)
		ap.pirq_irq[i] = mp.pirq_irq[i] = (uint8_t)pci_slot_irq(0, i + 1);
	if (boot_acpi_tables(vm->ram, vm->ram_size, &ap) < 0)
		return -1;
	return apic ? boot_mptable(vm->ram, vm->ram_size, &mp) : 0;
}

bool chipset_power_button(struct vm *vm)
{
	return priv(vm)->pm && piix_pm_power_button(priv(vm)->pm);
}

/* One e820 entry: all of guest RAM; SeaBIOS reserves its own areas. */
static int add_e820(struct fw_cfg *f, uint32_t ram_size)
{
	uint8_t e[20] = { 0 };
	for (int i = 0; i < 8; i++)
		e[8 + i] = (uint8_t)((uint64_t)ram_size >> (8 * i));
	e[16] = E820_RAM;
	return fw_cfg_add_file(f, "etc/e820", e, sizeof(e));
}

/* "bootorder": the device the BIOS tries first, in SeaBIOS's names: the
 * CD-ROM (--boot cdrom, or by default when there is one), else the first
 * --disk; the BIOS falls back to the others. */
static int add_bootorder(struct fw_cfg *f, const struct vm_config *cfg)
{
	char line[64];
	enum boot_device b = cfg->boot;
	if (b == BOOT_AUTO)
		b = cfg->cdrom ? BOOT_CDROM : BOOT_DISK;
	if (b == BOOT_CDROM && cfg->cdrom)
		snprintf(line, sizeof(line), "/pci@i0cf8/*@%x,1/drive@1/disk@0\n", PIIX3_SLOT);
	else if (cfg->ndisks && cfg->disks[0].iface == DISK_IDE)
		snprintf(line, sizeof(line), "/pci@i0cf8/*@%x,1/drive@%x/disk@%x\n", PIIX3_SLOT,
			 cfg->disks[0].ide_pos / 2, cfg->disks[0].ide_pos % 2);
	else if (cfg->ndisks)
		snprintf(line, sizeof(line), "/pci@i0cf8/*@%x\n", pcidevs_disk_slot(cfg, 0));
	else
		return 0;
	return fw_cfg_add_file(f, "bootorder", line, strlen(line));
}

static int add_fw_cfg(struct vm *vm, const struct vm_config *cfg, char *err)
{
	struct fw_cfg *f = fw_cfg_create(&vm->io);
	priv(vm)->fw_cfg = f;
	if (vm_add_device(vm, "the firmware configuration device", f, fw_cfg_destroy_hook, err) < 0)
		return -1;
	int rc = fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, vm->ram_size);
	rc |= fw_cfg_add_u16(f, FW_CFG_NB_CPUS, 1);
	rc |= fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, 1);
	rc |= add_e820(f, vm->ram_size);
	rc |= add_bootorder(f, cfg);
	/* The PIT's IRQ 0 is the I/O APIC's pin 2 (vm/apic.c): SeaBIOS says so
	 * in its MADT and MP table. */
	rc |= fw_cfg_add_file_u64(f, "etc/irq0-override", 1);
	/* No "Press ESC for boot menu" pause: the boot loader has a menu. */
	rc |= fw_cfg_add_file_u16(f, "etc/show-boot-menu", 0);
	if (cfg->serial != SERIAL_NONE)
		rc |= fw_cfg_add_file_u16(f, "etc/sercon-port", SERCON_PORT);
	if (rc)
		snprintf(err, HOST_ERRLEN, "cannot fill the firmware configuration device");
	return rc ? -1 : 0;
}

/* Everything goes on the device list, which tears it down. */
int chipset_add(struct vm *vm, const struct vm_config *cfg, char *err)
{
	if (add_host_bridge(vm, err) < 0 || add_piix3(vm, cfg, err) < 0 || add_pm(vm, cfg, err) < 0)
		return -1;
	if (!firmware_boot(cfg) && add_firmware_tables(vm) < 0) {
		snprintf(err, HOST_ERRLEN, "cannot lay out the ACPI and MP tables");
		return -1;
	}
	if (firmware_boot(cfg) && add_fw_cfg(vm, cfg, err) < 0)
		return -1;
	return 0;
}
