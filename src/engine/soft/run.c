/*
 * The run loop: runs blocks in bursts, delivers the exception a handler
 * raised (cpu_exception unwinds here with longjmp) and samples the
 * machine's interrupt line between bursts.
 */
#include "engine/soft/block.h"
#include "engine/soft/cpu.h"

/* Delivers the exception recorded by cpu_exception (may fault again). */
static void deliver_pending_exception(struct cpu *c)
{
	int vec = c->exc_vec;
	c->halted = false;
	c->block_abort = false;
	c->delivering = vec;
	if (vec == EXC_DB)
		c->dr[7] &= ~0x2000u; /* GD is cleared on entry to the #DB handler */
	cpu_deliver(c, vec, INTR_EXCEPTION, c->exc_has_err, c->exc_err);
	c->delivering = -1;
}

static void deliver_external_interrupt(struct cpu *c)
{
	int vec = cpu_intr_ack(c);
	c->halted = false;
	c->delivering = 256 + vec;
	cpu_deliver(c, vec, INTR_EXTERNAL, false, 0);
	c->delivering = -1;
}

/* --- the run loop --------------------------------------------------------- */

#define IRQ_CHECK_INTERVAL 2048

/* Executes one instruction without the block cache's batching: used for
 * the instruction after STI / MOV SS and for single-stepping (TF). */
static void step_one(struct cpu *c)
{
	bool tf = c->eflags & FL_TF;
	c->shadow = false;
	block_exec_one(c);
	if (tf) {
		c->dr[6] |= 0x4000; /* BS: single-step trap */
		c->delivering = EXC_DB;
		cpu_deliver(c, EXC_DB, INTR_EXCEPTION, false, 0);
		c->delivering = -1;
	}
}

enum run_status cpu_run(struct cpu *c, uint64_t budget)
{
	const uint64_t end = c->icount + budget;
	/* A faulting instruction retires nothing, so a handler that faults
	 * again (a null DS in it) would loop here for ever with the budget
	 * untouched, and the machine would never poll its devices, console
	 * or power button again.  Each delivery counts against the budget
	 * too.  (volatile: it changes between setjmp and longjmp.) */
	volatile uint64_t delivered = 0;

	switch (setjmp(c->jb)) {
	case 0:
		break;
	case 1:
		deliver_pending_exception(c);
		if (++delivered >= budget)
			return RUN_BUDGET;
		break;
	default:
		c->delivering = -1;
		return RUN_STOP;
	}
	for (;;) {
		if (cpu_stop_requested(c))
			return RUN_STOP;
		if (!c->shadow && (c->eflags & FL_IF) && cpu_intr_pending(c))
			deliver_external_interrupt(c);
		if (c->halted)
			return (c->eflags & FL_IF) ? RUN_HALTED : RUN_HALTED_DEAD;
		if (c->icount >= end)
			return RUN_BUDGET;
		/* Interrupts are sampled between bursts, not between blocks:
		 * a couple of thousand instructions (microseconds) of latency
		 * cost the guest nothing and save a call into the PIC per
		 * block.  STI and MOV SS end their block, so their one-
		 * instruction shadow stays exact. */
		uint64_t burst_end = c->icount + IRQ_CHECK_INTERVAL;
		if (burst_end > end)
			burst_end = end;
		if (__builtin_expect(c->shadow || (c->eflags & FL_TF), 0))
			step_one(c);
		else
			block_run(c, burst_end);
	}
}
