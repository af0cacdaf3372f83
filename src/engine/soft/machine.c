/*
 * The CPU's paths out to the machine (engine/machine.h).  Optional
 * parts of the machine may be missing: no interrupt controller, no FERR#
 * wiring, no local APIC (a bare test machine has none of them).
 */
#include "engine/soft/cpu.h"

bool cpu_intr_pending(struct cpu *c)
{
	return c->mach.intr_pending && c->mach.intr_pending(c->mach.ctx);
}

int cpu_intr_ack(struct cpu *c)
{
	return c->mach.intr_ack(c->mach.ctx);
}

uint32_t cpu_io_in(struct cpu *c, uint16_t port, int size)
{
	if (!c->mach.io_in)
		return 0xffffffffu; /* nothing decodes the port: the bus floats */
	return c->mach.io_in(c->mach.ctx, port, size);
}

void cpu_io_out(struct cpu *c, uint16_t port, int size, uint32_t v)
{
	if (c->mach.io_out)
		c->mach.io_out(c->mach.ctx, port, size, v);
	if (cpu_stop_requested(c))
		c->block_abort = true;
}

uint32_t cpu_mmio_read(struct cpu *c, uint32_t pa, int size)
{
	if (!c->mach.mmio_read)
		return 0xffffffffu;
	return c->mach.mmio_read(c->mach.ctx, pa, size);
}

void cpu_mmio_write(struct cpu *c, uint32_t pa, int size, uint32_t v)
{
	if (c->mach.mmio_write)
		c->mach.mmio_write(c->mach.ctx, pa, size, v);
}

void cpu_ferr(struct cpu *c)
{
	if (c->mach.ferr)
		c->mach.ferr(c->mach.ctx);
}

uint64_t cpu_clock_ns(struct cpu *c)
{
	return c->mach.clock_ns ? c->mach.clock_ns(c->mach.ctx) : 0;
}

_Noreturn void cpu_shutdown(struct cpu *c, const char *msg)
{
	if (c->mach.shutdown)
		c->mach.shutdown(c->mach.ctx, msg);
	longjmp(c->jb, 2);
}

bool cpu_has_lapic(struct cpu *c)
{
	return c->mach.lapic_present && c->mach.apic_base_read && c->mach.apic_base_write &&
	       c->mach.lapic_present(c->mach.ctx);
}

bool cpu_apic_base_read(struct cpu *c, uint64_t *v)
{
	return cpu_has_lapic(c) && c->mach.apic_base_read(c->mach.ctx, v);
}

bool cpu_apic_base_write(struct cpu *c, uint64_t v)
{
	return cpu_has_lapic(c) && c->mach.apic_base_write(c->mach.ctx, v);
}
