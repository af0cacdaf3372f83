/*
 * The PIT at its highest rate: channel 0 in mode 2 with a count of 1
 * (1.19 MHz), IRQ 0 unmasked at the PIC, interrupts on; then masked at
 * the PIC with interrupts on, then off altogether, then on again.  With
 * "forever" on the command line it stays in the last phase for good, for
 * the tests that stop it from outside.  Otherwise it exits 0x20 (status
 * 65) once it saw the interrupts arrive while unmasked and stop while
 * masked.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const uint32_t *mbi);

static volatile uint32_t ticks;

static void on_irq(uint32_t vector)
{
	if (vector == 32)
		ticks++;
	if (vector >= 40)
		outb(0xa0, 0x20);
	outb(0x20, 0x20); /* EOI */
}

static void pic_init(void)
{
	outb(0x20, 0x11), outb(0xa0, 0x11);   /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 32), outb(0xa1, 40);       /* ICW2: vectors 32.. and 40.. */
	outb(0x21, 0x04), outb(0xa1, 0x02);   /* ICW3 */
	outb(0x21, 0x01), outb(0xa1, 0x01);   /* ICW4: 8086 mode */
	outb(0x21, 0xfe), outb(0xa1, 0xff);   /* only IRQ 0 */
}

static void pit_fastest(void)
{
	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, 1);
	outb(0x40, 0);
}

static void spin(uint32_t n)
{
	for (volatile uint32_t i = 0; i < n; i++)
		;
}

void guest_main(uint32_t magic, const uint32_t *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	hrt_irq_hook = on_irq;
	pic_init();
	pit_fastest();
	serial_puts("pit_storm: start\n");
	__asm__ volatile("sti");
	spin(2000000);
	uint32_t unmasked = ticks;
	outb(0x21, 0xff); /* masked at the PIC, interrupts still on */
	spin(100000);
	uint32_t settled = ticks;
	spin(2000000);
	uint32_t masked = ticks - settled;
	__asm__ volatile("cli");
	outb(0x21, 0xfe); /* unmasked, interrupts off */
	spin(2000000);
	__asm__ volatile("sti");
	spin(2000000);
	serial_puts("pit_storm: ticks unmasked ");
	serial_putu(unmasked);
	serial_puts(", while masked ");
	serial_putu(masked);
	serial_puts("\n");
	if (hrt_forever(mbi)) {
		serial_puts("pit_storm: forever\n");
		for (;;)
			spin(1000000);
	}
	hrt_finish("pit_storm", unmasked > 0 && masked == 0, "IRQ 0 missing or leaking through the mask");
}
