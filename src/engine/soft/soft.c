/*
 * The soft engine behind the vCPU interface (engine/engine.h), and the
 * CPU's paths out to the machine: port and MMIO buses, the PIC, the clock.
 */
#include <string.h>

#include "engine/soft/soft.h"
#include "vm/vm.h"

const char *const sens_insn_names[SENS_COUNT] = {
	"SGDT", "SIDT", "SLDT", "SMSW", "STR", "PUSHF", "POPF", "LAR", "LSL",
	"VERR", "VERW", "PUSH Sreg", "POP Sreg", "MOV r/m,Sreg", "MOV Sreg,r/m",
	"CALL far", "JMP far", "RET far", "IRET", "INT n",
};

struct cpu *soft_cpu(struct vm *vm)
{
	return vm->engine_priv;
}

uint64_t soft_clock_ns(struct cpu *c)
{
	return vclock_now(&c->vm->clock);
}

bool cpu_intr_pending(struct cpu *c)
{
	return vm_intr_pending(c->vm);
}

int cpu_intr_ack(struct cpu *c)
{
	return vm_intr_ack(c->vm);
}

uint32_t cpu_io_in(struct cpu *c, uint16_t port, int size)
{
	return iobus_read(&c->vm->io, port, size);
}

void cpu_io_out(struct cpu *c, uint16_t port, int size, uint32_t v)
{
	iobus_write(&c->vm->io, port, size, v);
	if (c->vm->stop_reason)
		c->block_abort = true;
}

uint32_t cpu_mmio_read(struct cpu *c, uint32_t pa, int size)
{
	uint32_t v;
	mmiobus_read(&c->vm->mmio, pa, size, &v);
	return v;
}

void cpu_mmio_write(struct cpu *c, uint32_t pa, int size, uint32_t v)
{
	mmiobus_write(&c->vm->mmio, pa, size, v);
}

static int soft_create(struct vm *vm, char *err)
{
	struct cpu *c = cpu_new(vm, vm->ram, vm->ram_size);
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
