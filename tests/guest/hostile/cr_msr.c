/*
 * Writes reserved and contradictory bits to CR0, CR3 and CR4, and random
 * values to random MSRs (and reads them), each as a probe: a #GP is taken
 * and survived.  The architecture's own refusals must be there: CR0 with
 * PG but not PE, CR0 with NW but not CD, CR4 bits above the defined ones,
 * an unknown MSR.  Paging stays off (PG is never set with PE), so the
 * guest cannot lock itself out.  Exit 0x20 (status 65) when it survives.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const void *mbi);

static uint32_t cr0_now(void)
{
	uint32_t v;
	__asm__ volatile("movl %%cr0, %0" : "=r"(v));
	return v;
}

/* 1 when writing v to CR0 took a #GP. */
static int write_cr0(uint32_t v)
{
	uint32_t before = trap_count[13];
	PROBE("movl %0, %%cr0", : : "r"(v) : "memory");
	return trap_count[13] != before;
}

static int write_cr4(uint32_t v)
{
	uint32_t before = trap_count[13];
	PROBE("movl %0, %%cr4", : : "r"(v) : "memory");
	return trap_count[13] != before;
}

static int wrmsr_probe(uint32_t msr, uint32_t lo, uint32_t hi)
{
	uint32_t before = trap_count[13];
	PROBE("wrmsr", : : "c"(msr), "a"(lo), "d"(hi) : "memory");
	return trap_count[13] != before;
}

static void rdmsr_probe(uint32_t msr)
{
	uint32_t lo = 0, hi = 0;
	PROBE("rdmsr", : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	(void)lo, (void)hi;
}

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	serial_puts("cr_msr: start\n");
	const uint32_t cr0 = cr0_now();
	bool ok = write_cr0((cr0 | 0x80000000u) & ~1u);      /* PG without PE */
	ok &= write_cr0((cr0 & ~0x40000000u) | 0x20000000u);   /* NW without CD */
	ok &= write_cr4(0x80000000u);                          /* reserved */
	ok &= wrmsr_probe(0xdeadbeef, 1, 2);                   /* no such MSR */
	write_cr0(cr0);
	hrt_srand(0xc0ffee);
	for (int i = 0; i < 20000; i++) {
		uint32_t r = hrt_rand();
		/* Anything in CR0 but PG; PE stays on so the code still runs. */
		write_cr0((r & ~0x80000000u) | 1u);
		write_cr0(cr0);
		write_cr4(hrt_rand() & ~0x80u); /* PGE aside, all bits, reserved ones too */
		write_cr4(0);
		uint32_t cr3 = hrt_rand();
		PROBE("movl %0, %%cr3", : : "r"(cr3) : "memory");
		uint32_t msr = i & 1 ? hrt_rand() : hrt_rand() % 0x1000;
		if (msr != 0x10) /* the TSC: writing it is legal and harmless, but skews nothing we need */
			wrmsr_probe(msr, hrt_rand(), hrt_rand());
		rdmsr_probe(hrt_rand() % 0x2000);
	}
	write_cr0(cr0);
	serial_puts("cr_msr: #GP taken ");
	serial_putu(trap_count[13]);
	serial_puts(" times\n");
	hrt_finish("cr_msr", ok && cr0_now() == cr0, "an architectural #GP was missing");
}
