/*
 * The local APIC and I/O APIC from a guest's side: CPUID's APIC bit and
 * IA32_APIC_BASE, a self-IPI, the APIC timer in one-shot and periodic
 * modes, and the PIT's IRQ 0 through I/O APIC pin 2, each with its own
 * vector and an EOI.  Exits through port 0xf4 with 0x21 on success (cordon
 * then exits 0x43) or with the number of the step that failed.
 */
#include "lib.h"

#define LAPIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define V_TIMER 0x30
#define V_SELF 0x31
#define V_PIT 0x40
#define V_SPURIOUS 0xff

static volatile uint32_t hits[256];

static inline uint32_t rd(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC + reg);
}

static inline void wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC + reg) = v;
}

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static uint32_t ioapic_rd(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

/* --- interrupts ------------------------------------------------------------ */

void apic_interrupt(uint32_t vector)
{
	hits[vector & 0xff]++;
	if (vector != V_SPURIOUS)
		wr(0xb0, 0); /* EOI */
}

#define STUB(v)                                                      \
	__asm__(".text\n.globl stub_" #v "\nstub_" #v ":\n"          \
		"pushal\npushl $" #v "\ncall apic_interrupt\n"        \
		"addl $4, %esp\npopal\niret\n")
STUB(0x30);
STUB(0x31);
STUB(0x40);
STUB(0xff);
void stub_0x30(void), stub_0x31(void), stub_0x40(void), stub_0xff(void);

static uint64_t idt[256];

static void set_gate(int v, void (*fn)(void))
{
	uint32_t a = (uint32_t)fn;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[v] = (uint64_t)(a & 0xffff) | (uint64_t)cs << 16 | (uint64_t)0x8e00 << 32 |
		 (uint64_t)(a >> 16) << 48;
}

static void load_idt(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = {
		sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* Waits with interrupts on until vector has fired n times (or gives up). */
static int wait_for(int vector, uint32_t n)
{
	for (uint32_t spins = 0; spins < 200000 && hits[vector] < n; spins++)
		__asm__ volatile("sti; hlt; cli");
	return hits[vector] >= n;
}

static void fail(int step)
{
	serial_puts("apic: step ");
	serial_putu((uint32_t)step);
	serial_puts(" failed\n");
	debug_exit((uint8_t)step);
}

/* --- the steps ------------------------------------------------------------- */

static void check_cpuid_and_msr(void)
{
	uint32_t a = 1, b, c, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	if (!(d & (1u << 9)))
		fail(1);
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1b));
	if (lo != 0xfee00900u || hi)
		fail(2);
	if ((rd(0x30) & 0xff) != 0x14 || (rd(0x20) >> 24) != 0)
		fail(3);
}

static void self_ipi(void)
{
	wr(0x300, 0x00040000u | V_SELF); /* shorthand: self, fixed */
	if (!wait_for(V_SELF, 1))
		fail(4);
}

static void timer_one_shot(void)
{
	wr(0x3e0, 0xb);            /* divide by 1 */
	wr(0x320, V_TIMER);        /* one-shot */
	wr(0x380, 2000000);        /* 2 ms at a 1 GHz bus */
	if (rd(0x390) == 0 || rd(0x390) > 2000000)
		fail(5);
	if (!wait_for(V_TIMER, 1))
		fail(6);
	if (rd(0x390) != 0)
		fail(7);
}

static void timer_periodic(void)
{
	hits[V_TIMER] = 0;
	wr(0x3e0, 0x3);                       /* divide by 16 */
	wr(0x320, 0x20000u | V_TIMER);        /* periodic */
	wr(0x380, 62500);                     /* 1 ms */
	if (!wait_for(V_TIMER, 5))
		fail(8);
	wr(0x320, 0x10000u | 0x20000u | V_TIMER); /* masked: counts, no interrupts */
	uint32_t seen = hits[V_TIMER];
	for (int i = 0; i < 20; i++)
		__asm__ volatile("sti; nop; nop; cli");
	wr(0x380, 0);
	if (hits[V_TIMER] > seen + 1)
		fail(9);
}

static void pit_through_ioapic(void)
{
	if (((ioapic_rd(1) >> 16) & 0xff) != 23)
		fail(10);
	ioapic_wr(0x10 + 2 * 2 + 1, 0);          /* destination: APIC 0 */
	ioapic_wr(0x10 + 2 * 2, V_PIT);          /* pin 2: edge, fixed, unmasked */
	outb(0x43, 0x34);                        /* PIT channel 0, rate generator */
	outb(0x40, 1193 & 0xff);                 /* about 1 kHz */
	outb(0x40, 1193 >> 8);
	if (!wait_for(V_PIT, 3))
		fail(11);
	ioapic_wr(0x10 + 2 * 2, 0x10000u | V_PIT); /* masked again */
}

void guest_main(uint32_t magic, void *info)
{
	(void)info;
	if (magic != MB_BOOT_MAGIC)
		fail(99);
	outb(0x21, 0xff); /* the 8259s stay out of it */
	outb(0xa1, 0xff);
	set_gate(V_TIMER, stub_0x30);
	set_gate(V_SELF, stub_0x31);
	set_gate(V_PIT, stub_0x40);
	set_gate(V_SPURIOUS, stub_0xff);
	load_idt();
	check_cpuid_and_msr();
	wr(0xf0, 0x100 | V_SPURIOUS); /* software enable */
	self_ipi();
	timer_one_shot();
	timer_periodic();
	pit_through_ioapic();
	serial_puts("apic: self-IPI, timer one-shot and periodic, I/O APIC: ok\n");
	debug_exit(0x21);
}
