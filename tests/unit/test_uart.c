/* The 16550A: registers, interrupts, FIFOs and Linux's detection dance. */
#include "t.h"

#include <stdlib.h>

#include "dev/devices.h"

#define COM1 0x3f8

struct uart_rig {
	struct iobus *io;
	struct uart *uart;
	struct irq_line line;
	int irq_level, irq_num;
	uint8_t sent[64];
	int nsent;
};

static void rig_irq(void *opaque, int irq, int level)
{
	struct uart_rig *r = opaque;
	r->irq_num = irq;
	r->irq_level = level;
}

static void rig_tx(void *opaque, uint8_t byte)
{
	struct uart_rig *r = opaque;
	if (r->nsent < (int)sizeof(r->sent))
		r->sent[r->nsent++] = byte;
}

static struct uart_rig *rig_open(void)
{
	struct uart_rig *r = calloc(1, sizeof(*r));
	r->io = calloc(1, sizeof(*r->io));
	iobus_init(r->io);
	r->line = (struct irq_line){ rig_irq, r };
	r->uart = uart_create(r->io, COM1, 4, &r->line, rig_tx, r);
	return r;
}

static void rig_close(struct uart_rig *r)
{
	uart_destroy(r->uart);
	free(r->io);
	free(r);
}

static void outb(struct uart_rig *r, int reg, uint8_t v)
{
	iobus_write(r->io, (uint16_t)(COM1 + reg), 1, v);
}

static uint8_t inb(struct uart_rig *r, int reg)
{
	return (uint8_t)iobus_read(r->io, (uint16_t)(COM1 + reg), 1);
}

enum { THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

TEST(uart_create_rejects_bad_arguments)
{
	struct uart_rig *r = rig_open();
	CHECK(r->uart != NULL);
	CHECK(uart_create(r->io, COM1, 4, &r->line, rig_tx, r) == NULL); /* ports taken */
	CHECK(uart_create(r->io, 0x2f8, 16, &r->line, rig_tx, r) == NULL);
	CHECK(uart_create(r->io, 0xfffc, 3, &r->line, rig_tx, r) == NULL);
	rig_close(r);
}

TEST(uart_transmit_is_immediate)
{
	struct uart_rig *r = rig_open();
	CHECK_EQ(inb(r, LSR), 0x60);
	outb(r, THR, 'h');
	outb(r, THR, 'i');
	CHECK_EQ(r->nsent, 2);
	CHECK_EQ(r->sent[0], 'h');
	CHECK_EQ(r->sent[1], 'i');
	CHECK_EQ(inb(r, LSR), 0x60);
	CHECK_EQ(inb(r, IIR), 0x01);
	rig_close(r);
}

TEST(uart_thre_interrupt_and_out2_gate)
{
	struct uart_rig *r = rig_open();
	outb(r, IER, 0x02);
	CHECK_EQ(r->irq_level, 0); /* OUT2 clear: line not driven */
	outb(r, MCR, 0x08);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(r->irq_num, 4);
	CHECK_EQ(inb(r, IIR), 0x02);
	CHECK_EQ(r->irq_level, 0); /* reading IIR acknowledged it */
	CHECK_EQ(inb(r, IIR), 0x01);
	outb(r, THR, 'x');
	CHECK_EQ(r->irq_level, 1);
	outb(r, IER, 0x00);
	CHECK_EQ(r->irq_level, 0);
	rig_close(r);
}

/* serial8250_do_startup's UART_BUG_THRE/TXEN probes: the THRE interrupt
 * must appear every time ETBEI is enabled with THR empty. */
TEST(uart_thre_reappears_on_each_enable)
{
	struct uart_rig *r = rig_open();
	outb(r, IER, 0x02);
	CHECK_EQ(inb(r, LSR) & 0x40, 0x40);
	CHECK_EQ(inb(r, IIR) & 0x01, 0);
	outb(r, IER, 0x00);
	outb(r, IER, 0x02);
	CHECK_EQ(inb(r, IIR), 0x02);
	outb(r, IER, 0x00);
	rig_close(r);
}

TEST(uart_receive_and_lsr)
{
	struct uart_rig *r = rig_open();
	CHECK_EQ(uart_rx_space(r->uart), 1); /* no FIFO: one holding register */
	const uint8_t msg[] = "abc";
	CHECK_EQ(uart_receive(r->uart, msg, 3), 1);
	CHECK_EQ(inb(r, LSR), 0x61);
	outb(r, IER, 0x01);
	outb(r, MCR, 0x08);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(inb(r, IIR), 0x04);
	CHECK_EQ(inb(r, THR), 'a');
	CHECK_EQ(r->irq_level, 0);
	CHECK_EQ(inb(r, LSR), 0x60);
	CHECK_EQ(uart_rx_space(r->uart), 1);
	rig_close(r);
}

TEST(uart_fifo_trigger_levels)
{
	struct uart_rig *r = rig_open();
	uint8_t buf[20];
	for (int i = 0; i < 20; i++)
		buf[i] = (uint8_t)i;
	outb(r, FCR, 0xc7); /* enable, clear both, trigger 14 */
	CHECK_EQ(inb(r, IIR), 0xc1);
	CHECK_EQ(uart_rx_space(r->uart), 16);
	outb(r, IER, 0x01);
	CHECK_EQ(uart_receive(r->uart, buf, 4), 4);
	CHECK_EQ(inb(r, IIR), 0xcc); /* below trigger: character timeout */
	CHECK_EQ(uart_receive(r->uart, buf + 4, 16), 12);
	CHECK_EQ(uart_rx_space(r->uart), 0);
	CHECK_EQ(inb(r, IIR), 0xc4);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(inb(r, THR), i);
	CHECK_EQ(inb(r, LSR) & 0x03, 0); /* drained, no overrun */
	outb(r, FCR, 0x81); /* trigger 8 */
	uart_receive(r->uart, buf, 7);
	CHECK_EQ(inb(r, IIR), 0xcc);
	uart_receive(r->uart, buf, 1);
	CHECK_EQ(inb(r, IIR), 0xc4);
	outb(r, FCR, 0x43); /* clear RX, trigger 4 */
	CHECK_EQ(inb(r, LSR) & 0x01, 0);
	uart_receive(r->uart, buf, 4);
	CHECK_EQ(inb(r, IIR), 0xc4);
	outb(r, FCR, 0x00); /* leaving FIFO mode empties the FIFO */
	CHECK_EQ(inb(r, LSR) & 0x01, 0);
	CHECK_EQ(inb(r, IIR), 0x01);
	rig_close(r);
}

TEST(uart_divisor_latch)
{
	struct uart_rig *r = rig_open();
	outb(r, IER, 0x05);
	outb(r, LCR, 0x83);
	outb(r, THR, 0x01); /* 115200 baud */
	outb(r, IER, 0x00);
	CHECK_EQ(r->nsent, 0); /* not transmitted */
	CHECK_EQ(inb(r, THR), 0x01);
	CHECK_EQ(inb(r, IER), 0x00);
	CHECK_EQ(inb(r, LCR), 0x83);
	outb(r, LCR, 0x03);
	CHECK_EQ(inb(r, IER), 0x05);
	outb(r, SCR, 0xa5);
	CHECK_EQ(inb(r, SCR), 0xa5);
	rig_close(r);
}

/* The probe sequence of Linux's 8250 autoconfig(). */
TEST(uart_linux_autoconfig_finds_16550a)
{
	struct uart_rig *r = rig_open();
	outb(r, IER, 0x00);
	CHECK_EQ(inb(r, IER) & 0x0f, 0x00);
	outb(r, IER, 0x0f);
	CHECK_EQ(inb(r, IER) & 0x0f, 0x0f);
	outb(r, IER, 0x00);
	outb(r, MCR, 0x10 | 0x0a); /* loopback, OUT2, RTS */
	CHECK_EQ(inb(r, MSR) & 0xf0, 0x90);
	outb(r, MCR, 0x00);
	outb(r, LCR, 0xbf);
	outb(r, 2, 0x00); /* EFR on some chips, FCR here */
	outb(r, LCR, 0x00);
	outb(r, FCR, 0x01);
	CHECK_EQ(inb(r, IIR) >> 6, 3); /* FIFOs: at least a 16550A */
	outb(r, LCR, 0x80);
	CHECK(inb(r, 2) != 0); /* no EFR at DLAB: not an ST16C650 */
	outb(r, LCR, 0xbf);
	CHECK(inb(r, 2) != 0);
	outb(r, LCR, 0x00);
	outb(r, FCR, 0x21); /* 64-byte FIFO bit of the 16750 */
	CHECK_EQ(inb(r, IIR) >> 5, 6);
	outb(r, FCR, 0x01);
	outb(r, LCR, 0x80);
	CHECK_EQ(inb(r, IIR) >> 5, 6);
	outb(r, LCR, 0x00);
	outb(r, IER, 0x40); /* XScale UUE bit must not stick */
	CHECK_EQ(inb(r, IER), 0x00);
	rig_close(r);
}

TEST(uart_loopback_data_overrun_and_line_status)
{
	struct uart_rig *r = rig_open();
	outb(r, MCR, 0x18);
	CHECK_EQ(uart_rx_space(r->uart), 0); /* host input disconnected */
	const uint8_t b = 'z';
	CHECK_EQ(uart_receive(r->uart, &b, 1), 0);
	outb(r, IER, 0x05);
	outb(r, THR, 'A');
	CHECK_EQ(r->nsent, 0);
	CHECK_EQ(inb(r, IIR), 0x04);
	outb(r, THR, 'B'); /* holding register full: overrun */
	CHECK_EQ(inb(r, IIR), 0x06); /* line status outranks data */
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(inb(r, LSR), 0x63);
	CHECK_EQ(inb(r, LSR), 0x61); /* error bits clear on read */
	CHECK_EQ(inb(r, IIR), 0x04);
	CHECK_EQ(inb(r, THR), 'A');
	rig_close(r);
}

TEST(uart_modem_status_deltas)
{
	struct uart_rig *r = rig_open();
	CHECK_EQ(inb(r, MSR), 0xb0); /* CTS, DSR, DCD from the host side */
	outb(r, MCR, 0x10); /* loopback: all inputs drop */
	CHECK_EQ(inb(r, MSR), 0x0b);
	CHECK_EQ(inb(r, MSR), 0x00);
	outb(r, IER, 0x08);
	outb(r, MCR, 0x1c); /* OUT1 -> RI, OUT2 -> DCD */
	CHECK_EQ(inb(r, IIR), 0x00);
	CHECK_EQ(r->irq_level, 1);
	CHECK_EQ(inb(r, MSR), 0xc8);
	CHECK_EQ(inb(r, IIR), 0x01);
	outb(r, MCR, 0x18); /* RI falls: trailing edge */
	CHECK_EQ(inb(r, MSR), 0x84);
	rig_close(r);
}

TEST(uart_hostile_accesses)
{
	struct uart_rig *r = rig_open();
	for (int v = 0; v < 256; v++)
		for (int reg = 0; reg < 8; reg++) {
			outb(r, reg, (uint8_t)v);
			(void)inb(r, reg);
		}
	uint8_t big[100] = { 0 };
	CHECK(uart_receive(r->uart, big, sizeof(big)) <= 16);
	iobus_write(r->io, COM1, 4, 0x41424344);
	CHECK(uart_rx_space(r->uart) <= 16);
	rig_close(r);
}
