/*
 * The machine's interrupt wiring with APICs, as QEMU's pc has it:
 *
 *     ISA IRQ n ---+--> 8259 pair IR n ---- INTR --> local APIC LINT0 (ExtINT)
 *                  +--> I/O APIC pin n (IRQ 0: pin 2) --messages--> local APIC
 *
 * The local APIC (one, APIC id 0, the BSP) answers the engine's interrupt
 * questions: its own vectors first, then the 8259 through LINT0.  Its
 * registers are a 4 KiB MMIO page wherever IA32_APIC_BASE puts it; the
 * I/O APIC sits at 0xFEC00000.  A later SMP machine adds a local APIC per
 * vCPU and routes the I/O APIC's messages and the IPIs among them.
 */
#include <stdio.h>

#include "dev/devices.h"
#include "dev/ioapic.h"
#include "dev/lapic.h"
#include "vm/vm_internal.h"

static uint32_t lapic_mmio_read(void *opaque, uint32_t addr, int size)
{
	struct lapic *a = opaque;
	return lapic_read(a, addr - lapic_mmio_base(a), size);
}

static void lapic_mmio_write(void *opaque, uint32_t addr, int size, uint32_t v)
{
	struct lapic *a = opaque;
	lapic_write(a, addr - lapic_mmio_base(a), size, v);
}

static uint32_t ioapic_mmio_read(void *opaque, uint32_t addr, int size)
{
	return ioapic_read(opaque, addr - IOAPIC_BASE, size);
}

static void ioapic_mmio_write(void *opaque, uint32_t addr, int size, uint32_t v)
{
	ioapic_write(opaque, addr - IOAPIC_BASE, size, v);
}

/* Every ISA line goes to both controllers; the OS masks the one it does
 * not use. */
static void isa_irq_set(void *opaque, int irq, int level)
{
	struct vm *vm = opaque;
	pic_set_irq(vm->pic, irq, level);
	if (priv(vm)->ioapic)
		ioapic_set_irq(priv(vm)->ioapic, irq == 0 ? 2 : irq, level);
}

/* One CPU: a message for it, or for the lowest-priority CPU, is ours.
 * ExtINT, NMI, SMI and INIT messages are not modelled. */
static void ioapic_deliver(void *opaque, const struct ioapic_msg *m)
{
	struct lapic *a = priv(opaque)->lapic;
	bool fixed = m->mode == 0, lowest = m->mode == 1;
	if ((fixed && lapic_match_dest(a, m->dest, m->logical)) || lowest)
		lapic_deliver(a, m->vector, m->level);
}

static void lapic_eoi(void *opaque, int vector)
{
	ioapic_eoi(priv(opaque)->ioapic, vector);
}

void apic_wire_isa(struct vm *vm)
{
	vm->irq.set = isa_irq_set;
	vm->irq.opaque = vm;
}

VM_DESTROY_HOOK(lapic_destroy, struct lapic)
VM_DESTROY_HOOK(ioapic_destroy, struct ioapic)

/* Both go on the device list, whose teardown takes their MMIO pages off
 * the bus (the owner of each is the device). */
int apic_add(struct vm *vm, char *err)
{
	struct vm_private *p = priv(vm);
	struct lapic_config lc = { .id = 0, .bsp = true, .clock = &vm->clock, .eoi = lapic_eoi, .opaque = vm };
	struct ioapic_config ic = { .id = 0, .deliver = ioapic_deliver, .opaque = vm };
	p->lapic = lapic_create(&lc);
	if (vm_add_device(vm, "the local APIC", p->lapic, lapic_destroy_hook, err) < 0)
		return -1;
	p->ioapic = ioapic_create(&ic);
	if (vm_add_device(vm, "the I/O APIC", p->ioapic, ioapic_destroy_hook, err) < 0)
		return -1;
	if (mmiobus_register(&vm->mmio, "lapic", LAPIC_DEFAULT_BASE, LAPIC_SIZE,
			     lapic_mmio_read, lapic_mmio_write, p->lapic) == 0)
		p->lapic_mapped = LAPIC_DEFAULT_BASE;
	if (mmiobus_register(&vm->mmio, "ioapic", IOAPIC_BASE, 0x1000, ioapic_mmio_read,
			     ioapic_mmio_write, p->ioapic) == 0)
		p->ioapic_mapped = true;
	if (!p->lapic_mapped || !p->ioapic_mapped) {
		snprintf(err, HOST_ERRLEN, "cannot create the APICs");
		return -1;
	}
	return 0;
}

/* --- the engine's questions ----------------------------------------------- */

bool vm_intr_pending(struct vm *vm)
{
	/* A bare vm (the CPU unit-test fixture) has no PIC. */
	bool pic = vm->pic && pic_intr_pending(vm->pic);
	if (!vm->priv || !priv(vm)->lapic)
		return pic;
	return lapic_intr_pending(priv(vm)->lapic, pic);
}

int vm_intr_ack(struct vm *vm)
{
	if (!vm->priv || !priv(vm)->lapic)
		return pic_intr_ack(vm->pic);
	int v = lapic_intr_ack(priv(vm)->lapic, pic_intr_pending(vm->pic));
	return v >= 0 ? v : pic_intr_ack(vm->pic);
}

bool vm_lapic_present(struct vm *vm)
{
	return vm->priv && priv(vm)->lapic;
}

bool vm_apic_base_read(struct vm *vm, uint64_t *v)
{
	if (!vm_lapic_present(vm))
		return false;
	*v = lapic_get_base(priv(vm)->lapic);
	return true;
}

/* A moved APIC page moves its MMIO region; a page on top of another
 * device's region stays unmapped (the registers are then unreachable, as
 * the guest asked for an impossible layout). */
bool vm_apic_base_write(struct vm *vm, uint64_t v)
{
	struct vm_private *p = vm->priv ? priv(vm) : NULL;
	if (!p || !p->lapic || !lapic_set_base(p->lapic, v))
		return false;
	uint32_t base = lapic_hw_enabled(p->lapic) ? lapic_mmio_base(p->lapic) : 0;
	if (base == p->lapic_mapped)
		return true;
	if (p->lapic_mapped)
		mmiobus_unregister(&vm->mmio, p->lapic_mapped);
	p->lapic_mapped = 0;
	if (base && mmiobus_register(&vm->mmio, "lapic", base, LAPIC_SIZE, lapic_mmio_read,
				     lapic_mmio_write, p->lapic) == 0)
		p->lapic_mapped = base;
	return true;
}

/* --- time ----------------------------------------------------------------- */

void apic_update(struct vm *vm)
{
	if (priv(vm)->lapic)
		lapic_update(priv(vm)->lapic);
}

uint64_t apic_next_event_ns(struct vm *vm)
{
	return priv(vm)->lapic ? lapic_next_event_ns(priv(vm)->lapic) : UINT64_MAX;
}
