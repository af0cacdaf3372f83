/*
 * The PC platform devices: two 8259A PICs, the 8254 PIT (plus port 0x61),
 * a 16550A UART, the MC146818 CMOS RTC, the i8042 keyboard controller, the
 * port 0x80 POST-code sink and isa-debug-exit.
 *
 * Every device registers itself on the port bus and talks to the rest of
 * the machine only through struct irq_line (interrupt requests) and
 * struct vclock (time), so none of them calls the operating system and
 * unit tests can drive them with a fake clock.
 *
 * Each create registers all of the device's ports or none (NULL when one
 * is taken), with the device's state as the regions' owner; each destroy
 * only frees the state: whoever owns the device removes its regions
 * first (iobus_unregister_owner; the machine's device list does).
 */
#ifndef CORDON_DEV_DEVICES_H
#define CORDON_DEV_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/irq.h"

struct pic;
struct pit;
struct uart;
struct rtc;
struct i8042;
struct port80;
struct debugexit;

/* 8259A master/slave pair at 0x20-0x21 / 0xA0-0xA1, cascade on IRQ2, plus ELCR at 0x4d0/0x4d1 (edge/level). */
struct pic *pic_create(struct iobus *io);          /* NULL on allocation failure */
void pic_destroy(struct pic *p);
void pic_set_irq(struct pic *p, int irq, int level);   /* irq 0..15; edge mode latches IRR on a rising edge */
bool pic_intr_pending(struct pic *p);               /* state of the INTR line to the CPU */
int  pic_intr_ack(struct pic *p);                   /* INTA cycle: returns vector (spurious IRQ7/15 as on real hw) */
void pic_irq_line_set(void *pic, int irq, int level); /* adapter usable as struct irq_line.set */

/* 8254 PIT at 0x40-0x43, 1.193182 MHz; channel 0 drives IRQ0; channel 2 gated by port 0x61 bit 0,
 * OUT2 readable at 0x61 bit 5, bit 4 toggles (refresh), as Linux's TSC calibration expects. Port 0x61 belongs to this file. */
struct pit *pit_create(struct iobus *io, const struct irq_line *irq, const struct vclock *clk);
void pit_destroy(struct pit *p);
void pit_update(struct pit *p);                 /* called often by the run loop: raise IRQ0 edges for elapsed time */
uint64_t pit_next_event_ns(struct pit *p);      /* absolute vclock time of the next IRQ0 edge, UINT64_MAX if none */

/* 16550A UART with 16-byte FIFOs. Output bytes go to tx(); host input enters through uart_receive. */
struct uart *uart_create(struct iobus *io, uint16_t base, int irq, const struct irq_line *line,
                         void (*tx)(void *opaque, uint8_t byte), void *tx_opaque);
void uart_destroy(struct uart *u);
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n); /* returns bytes accepted (RX FIFO space) */
size_t uart_rx_space(struct uart *u);

/* MC146818 CMOS RTC at 0x70/0x71 (bit 7 of 0x70 = NMI mask, ignored), IRQ8. Time = start_epoch_seconds + vclock elapsed.
 * BCD/binary and 12/24h per register B, update-in-progress bit in register A (set for the last ~244 us of each second),
 * periodic/update/alarm interrupts with register C read-to-clear. CMOS memory size bytes 0x15-0x18, 0x30-0x31, 0x34-0x35. */
struct rtc *rtc_create(struct iobus *io, const struct irq_line *irq, const struct vclock *clk, int64_t start_epoch_seconds);
void rtc_destroy(struct rtc *r);
void rtc_set_memory_size(struct rtc *r, uint64_t ram_bytes);
void rtc_update(struct rtc *r);                 /* called by the run loop */
uint64_t rtc_next_event_ns(struct rtc *r);

/* i8042 keyboard controller at 0x60/0x64 (no keyboard attached is fine, but the self-test 0xAA -> 0x55, interface
 * tests, command byte read/write 0x20/0x60, output port 0xD0/0xD1, A20, and pulse-reset 0xFE must work; IRQ1/IRQ12).
 * Command 0xFE (and output-port write with bit0 clear) calls reset(). */
struct i8042 *i8042_create(struct iobus *io, const struct irq_line *irq, void (*reset)(void *opaque), void *opaque);
void i8042_destroy(struct i8042 *k);

/* Port 0x80 POST code sink (reads return the last value written); NULL when the port is taken. */
struct port80 *port80_create(struct iobus *io);
void port80_destroy(struct port80 *s);
/* isa-debug-exit at 0xf4 (1 byte): a write of value v calls exit(opaque, v); cordon then exits with (v<<1)|1. */
struct debugexit *debugexit_create(struct iobus *io, void (*exit_fn)(void *opaque, int code), void *opaque);
void debugexit_destroy(struct debugexit *s);

#endif
