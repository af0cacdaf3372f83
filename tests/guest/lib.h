/* What the test guests share: port I/O (8, 16 and 32 bits), COM1 output,
 * the debug-exit port. */
#ifndef CORDON_GUEST_LIB_H
#define CORDON_GUEST_LIB_H

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2badb002u

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void serial_putc(char c);
void serial_puts(const char *s);
void serial_putu(uint32_t v);
/* Port 0xf4: cordon (like QEMU's isa-debug-exit) exits with (v << 1) | 1. */
void debug_exit(uint8_t v) __attribute__((noreturn));
void guest_halt(void) __attribute__((noreturn));

#endif
