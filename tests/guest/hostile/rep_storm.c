/*
 * Long REP string instructions where they are slowest: REP STOSD, MOVSD,
 * LODSD and INSB with ECX near 2^32 over memory that is not RAM (above
 * it, and a device's MMIO page), each cut short by nothing but the VMM's
 * own slicing.  A VMM that counts such an instruction as one no matter
 * how many elements it moves holds its run loop for minutes, deaf to
 * Ctrl-A x, timers and the console.  With "forever" on the command line
 * the storm never ends (the tests stop it from outside); otherwise each
 * instruction is given 2^20 elements and the guest exits 0x20 (status
 * 65) when all of them finished with ECX at 0.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const uint32_t *mbi);

#define FAR_AWAY 0xd0000000u /* neither RAM nor any device */

static uint32_t rep_stosd(uint32_t dst, uint32_t count)
{
	__asm__ volatile("cld\n\trep stosl" : "+D"(dst), "+c"(count) : "a"(0x5a5a5a5au) : "memory");
	return count;
}

static uint32_t rep_movsd(uint32_t dst, uint32_t src, uint32_t count)
{
	__asm__ volatile("cld\n\trep movsl" : "+D"(dst), "+S"(src), "+c"(count) : : "memory");
	return count;
}

static uint32_t rep_lodsd(uint32_t src, uint32_t count)
{
	uint32_t v;
	__asm__ volatile("cld\n\trep lodsl" : "+S"(src), "+c"(count), "=a"(v) : : "memory");
	return count;
}

static uint32_t rep_insb(uint32_t dst, uint32_t count)
{
	__asm__ volatile("cld\n\trep insb" : "+D"(dst), "+c"(count) : "d"(0x2f8) : "memory");
	return count;
}

void guest_main(uint32_t magic, const uint32_t *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	uint32_t n = 1u << 20;
	if (hrt_forever(mbi)) {
		serial_puts("rep_storm: forever\n");
		for (;;)
			rep_stosd(FAR_AWAY, 0xfffffff0u);
	}
	serial_puts("rep_storm: start\n");
	uint32_t left = rep_stosd(FAR_AWAY, n);
	left += rep_movsd(FAR_AWAY, FAR_AWAY + 0x1000000u, n);
	left += rep_lodsd(0xfe020000u, n); /* virtio-rng's BAR: MMIO */
	left += rep_insb(FAR_AWAY, n);     /* COM2: nobody there */
	hrt_finish("rep_storm", left == 0, "a REP instruction ended with ECX not 0");
}
