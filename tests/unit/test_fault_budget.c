/*
 * A handler that faults again retires nothing; the run must still come
 * back within its budget.  Found by the CPU fuzz target (its input is
 * tests/fuzz/corpus/cpu/regress-fault-storm): code that loads a null
 * selector into DS and raises INT 0x80 with ESP near 0, whose stub then takes #GP on its
 * first store through DS, and so on for ever.  cpu_run never returned,
 * so a monitor running such a guest would never have polled its console,
 * its devices or its power button again.
 */
#include "cpu_fixture.h"
#include "t.h"

static const uint8_t null_ds_then_int[] = {
	0xbc, 0x10, 0x00, 0x00, 0x00, /* mov esp, 0x10: the pushes wrap past RAM */
	0x31, 0xc0,       /* xor eax, eax */
	0x8e, 0xd8,       /* mov ds, ax: a null selector */
	0xcd, 0x80,       /* int 0x80: its stub stores through DS */
	0xf4,             /* hlt, never reached */
};

static void run_storm(bool translate)
{
	struct fx *f = fx_new(1u << 20);
	(void)cpu_set_jit(f->c, translate);
	fx_code(f, null_ds_then_int, sizeof(null_ds_then_int));
	f->c->halted = false;
	enum run_status st = cpu_run(f->c, 1000);
	CHECK_EQ(st, RUN_BUDGET);
	CHECK(!f->c->halted);
	CHECK_EQ(f->c->icount, 4); /* the four instructions before the storm */
	CHECK_EQ(f->c->seg[SR_DS].sel, 0);
	/* A next run comes back too, and so does the fixture's loop. */
	CHECK_EQ(cpu_run(f->c, 50), RUN_BUDGET);
	CHECK_EQ(f->c->icount, 4);
	fx_run(f, 100000);
	CHECK(!f->c->halted);
	fx_free(f);
}

TEST(fault_storm_returns_within_budget_interpreted)
{
	run_storm(false);
}

TEST(fault_storm_returns_within_budget_translated)
{
	run_storm(true);
}
