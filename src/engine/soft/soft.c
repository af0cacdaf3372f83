/*
 * The soft engine behind the vCPU interface (engine/engine.h), and the
 * machine as the CPU sees it (engine/machine.h): port and MMIO buses, the
 * interrupt controller, FERR#, the clock, the stop request.  The only
 * engine file that knows struct vm.
 */
#include <stdio.h>
#include <string.h>

#include "engine/soft/cpu.h"
#include "engine/soft/soft.h"
#include "vm/vm.h"

const char *const sens_insn_names[SENS_COUNT] = {
	"SGDT", "SIDT", "SLDT", "SMSW", "STR", "PUSHF", "POPF", "LAR", "LSL",
	"VERR", "VERW", "PUSH Sreg", "POP Sreg", "MOV r/m,Sreg", "MOV Sreg,r/m",
	"CALL far", "JMP far", "RET far", "IRET", "INT n",
};

static struct cpu *soft_cpu(struct vm *vm)
{
	return vm->engine_priv;
}

static uint32_t m_io_in(void *ctx, uint16_t port, int size)
{
	struct vm *vm = ctx;
	return iobus_read(&vm->io, port, size);
}

static void m_io_out(void *ctx, uint16_t port, int size, uint32_t v)
{
	struct vm *vm = ctx;
	iobus_write(&vm->io, port, size, v);
}

static uint32_t m_mmio_read(void *ctx, uint32_t pa, int size)
{
	struct vm *vm = ctx;
	uint32_t v;
	mmiobus_read(&vm->mmio, pa, size, &v);
	return v;
}

static void m_mmio_write(void *ctx, uint32_t pa, int size, uint32_t v)
{
	struct vm *vm = ctx;
	mmiobus_write(&vm->mmio, pa, size, v);
}

static bool m_intr_pending(void *ctx)
{
	return vm_intr_pending(ctx);
}

static int m_intr_ack(void *ctx)
{
	return vm_intr_ack(ctx);
}

/* FERR# drives ISA IRQ 13: one edge per report. */
static void m_ferr(void *ctx)
{
	struct vm *vm = ctx;
	irq_set(&vm->irq, 13, 1);
	irq_set(&vm->irq, 13, 0);
}

static uint64_t m_clock_ns(void *ctx)
{
	struct vm *vm = ctx;
	return vclock_now(&vm->clock);
}

static void m_shutdown(void *ctx, const char *msg)
{
	struct vm *vm = ctx;
	if (vm->stop_reason)
		return; /* the first reason wins, and its message */
	vm_request_stop(vm, STOP_TRIPLE_FAULT, 0);
	snprintf(vm->stop_msg, sizeof(vm->stop_msg), "%s", msg);
}

static bool m_lapic_present(void *ctx)
{
	return vm_lapic_present(ctx);
}

static bool m_apic_base_read(void *ctx, uint64_t *v)
{
	return vm_apic_base_read(ctx, v);
}

static bool m_apic_base_write(void *ctx, uint64_t v)
{
	return vm_apic_base_write(ctx, v);
}

void soft_machine_of(struct vm *vm, struct machine *m)
{
	*m = (struct machine){
		.ctx = vm,
		.stop = &vm->stop_reason,
		.io_in = m_io_in,
		.io_out = m_io_out,
		.mmio_read = m_mmio_read,
		.mmio_write = m_mmio_write,
		.intr_pending = m_intr_pending,
		.intr_ack = m_intr_ack,
		.ferr = m_ferr,
		.clock_ns = m_clock_ns,
		.shutdown = m_shutdown,
		.lapic_present = m_lapic_present,
		.apic_base_read = m_apic_base_read,
		.apic_base_write = m_apic_base_write,
	};
}

static int soft_create(struct vm *vm, char *err)
{
	struct machine m;
	soft_machine_of(vm, &m);
	struct cpu *c = cpu_new(&m, vm->ram, vm->ram_size);
	if (!c) {
		strcpy(err, "out of memory for the soft CPU");
		return -1;
	}
	c->audit = vm->audit_sensitive;
	if (vm->no_jit)
		(void)cpu_set_jit(c, false);
	vm->engine_priv = c;
	return 0;
}

static void soft_destroy(struct vm *vm)
{
	cpu_free(vm->engine_priv);
	vm->engine_priv = NULL;
}

static void soft_set_boot_state(struct vm *vm, const struct boot_state *bs)
{
	cpu_load_boot_state(soft_cpu(vm), bs);
}

static enum run_status soft_run(struct vm *vm, uint64_t budget)
{
	return cpu_run(soft_cpu(vm), budget);
}

static const struct sens_count *soft_audit(struct vm *vm)
{
	return soft_cpu(vm)->sens;
}

static uint64_t soft_instructions(struct vm *vm)
{
	return soft_cpu(vm)->icount;
}

/* Translation can be off by request (--no-jit) or because the host gave
 * no code memory; either way --stats says so. */
static const char *soft_mode(struct vm *vm)
{
	return soft_cpu(vm)->jit ? "soft engine, translating" : "soft engine, interpreting";
}

static void soft_ram_written(struct vm *vm, uint32_t pa, uint32_t len)
{
	phys_written(soft_cpu(vm), pa, len);
}

const struct engine_ops soft_engine = {
	.name = "soft",
	.create = soft_create,
	.destroy = soft_destroy,
	.set_boot_state = soft_set_boot_state,
	.run = soft_run,
	.audit = soft_audit,
	.instructions = soft_instructions,
	.mode = soft_mode,
	.ram_written = soft_ram_written,
};

const struct engine_ops *engine_by_name(const char *name)
{
	if (!name || strcmp(name, "soft") == 0)
		return &soft_engine;
	return NULL;
}
