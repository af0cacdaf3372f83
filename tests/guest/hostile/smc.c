/*
 * Self-modifying code across a page boundary, in a loop: a MOV EAX,imm32
 * whose immediate straddles two pages is rewritten before each call, and
 * an instruction at the end of one page rewrites the one at the start of
 * the next, which must then run as rewritten.  Exit 0x20 (status 65) when
 * every value came back right.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const void *mbi);

static uint8_t area[3 * 4096] __attribute__((aligned(4096)));

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	serial_puts("smc: start\n");
	/* 1: mov eax, imm32 ; ret -- starting 2 bytes before the page boundary. */
	uint8_t *f = area + 4096 - 2;
	uint32_t bad = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t want = i * 2654435761u;
		f[0] = 0xb8;
		__builtin_memcpy(f + 1, &want, 4);
		f[5] = 0xc3;
		uint32_t got = ((uint32_t(*)(void))(uintptr_t)f)();
		bad += got != want;
	}
	/* 2: at the end of page 2, "mov byte [next+1], cl" rewrites the imm8 of
	 * "mov al, imm8" at the start of page 3, which runs right after. */
	uint8_t *next = area + 2 * 4096;
	uint8_t *g = next - 6;
	g[0] = 0x88, g[1] = 0x0d; /* mov [disp32], cl */
	uint32_t target = (uint32_t)(uintptr_t)(next + 1);
	__builtin_memcpy(g + 2, &target, 4);
	next[0] = 0xb0, next[1] = 0x00; /* mov al, imm8 */
	next[2] = 0xc3;                 /* ret */
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t al;
		__asm__ volatile("call *%2" : "=a"(al) : "c"(i), "r"(g), "a"(0) : "memory", "edx");
		bad += (al & 0xff) != (i & 0xff);
	}
	serial_puts("smc: wrong results: ");
	serial_putu(bad);
	serial_puts("\n");
	hrt_finish("smc", bad == 0, "a rewritten instruction ran as it was before");
}
