/*
 * Fuzz target: the PC's legacy devices as a guest and the host drive them
 * (src/dev/pic.c, pit.c, uart.c, rtc.c, i8042.c, port80.c, debugexit.c),
 * all on one port bus as the machine wires them: the PIT, UART, RTC and
 * i8042 interrupt the PIC pair.  The input is a script of operations:
 *
 *   k % 8 == 0  write a port of the list, any width (k >> 4) and value
 *            1  read one
 *            2  time passes (u32 ns), then the run loop's pit_update and
 *               rtc_update
 *            3  the host types u8 % 24 bytes into the UART
 *            4  some other device sets an IRQ (u8 % 16) to a level
 *            5  the CPU takes an interrupt, if the PIC asks for one
 *            6  a run of u8 reads of one port (a REP INSB)
 *            7  a run of u8 writes of one byte to one port (REP OUTSB)
 *
 * Checked: interrupt lines driven as ISA IRQ 0..15 at level 0 or 1 only;
 * the UART's receive space never above its FIFO (16) and uart_receive
 * taking no more than offered or than there was room for; the debug exit
 * reporting exactly the byte written; the PIT's and RTC's next events
 * never in the past after an update.  ASan watches every device's state.
 *
 * fuzz-plant: src/dev/uart.c
 * fuzz-plant-from: if (u->rx_count >= rx_capacity(u)) {
 * fuzz-plant-to: if (u->rx_count > rx_capacity(u)) {
 * fuzz-options: -max_len=4096
 */
#include "fuzz.h"

#include "dev/devices.h"

#define MAX_OPS 1024
#define UART_FIFO 16

static const uint16_t ports[] = {
	0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,                   /* PICs, ELCR */
	0x40, 0x41, 0x42, 0x43, 0x61,                           /* PIT, port B */
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, /* UART */
	0x70, 0x71,                                             /* RTC */
	0x60, 0x64,                                             /* i8042 */
	0x80, 0xf4,                                             /* POST, debug exit */
};
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

static uint64_t now;
static struct pic *pic;
static int exit_code;
static unsigned resets, tx_bytes;

static uint64_t clock_now(void *o)
{
	(void)o;
	return now;
}

static void irq_to_pic(void *o, int irq, int level)
{
	(void)o;
	FUZZ_CHECK(irq >= 0 && irq < 16 && (level == 0 || level == 1), "IRQ %d driven to %d", irq,
		   level);
	pic_set_irq(pic, irq, level);
}

static void on_tx(void *o, uint8_t byte)
{
	(void)o, (void)byte;
	tx_bytes++;
}

static void on_exit_write(void *o, int code)
{
	(void)o;
	exit_code = code;
}

static void on_reset(void *o)
{
	(void)o;
	resets++;
}

static uint16_t port_of(struct fuzz_in *in)
{
	return ports[fin_u8(in) % NPORTS];
}

static void host_types(struct fuzz_in *in, struct uart *u)
{
	uint8_t buf[24];
	size_t n = fin_u8(in) % sizeof(buf);
	fin_bytes(in, buf, n);
	size_t room = uart_rx_space(u);
	size_t took = uart_receive(u, buf, n);
	FUZZ_CHECK(took <= n && took <= room, "the UART took %zu of %zu bytes with room for %zu",
		   took, n, room);
}

static void op(struct fuzz_in *in, struct iobus *io, struct uart *u, struct pit *pit,
	       struct rtc *rtc)
{
	uint8_t k = fin_u8(in);
	int size = 1 << (k >> 4 & 3) % 3;
	switch (k & 7) {
	case 0: {
		uint16_t port = port_of(in);
		uint32_t v = fin_u32(in);
		exit_code = -1;
		iobus_write(io, port, size, v);
		if (port == 0xf4 && size == 1)
			FUZZ_CHECK(exit_code == (int)(v & 0xff), "debug exit %#x reported as %d", v,
				   exit_code);
		break;
	}
	case 1:
		(void)iobus_read(io, port_of(in), size);
		break;
	case 2:
		now += fin_u32(in);
		pit_update(pit);
		rtc_update(rtc);
		FUZZ_CHECK(pit_next_event_ns(pit) > now, "the PIT's next event %llu is not after %llu",
			   (unsigned long long)pit_next_event_ns(pit), (unsigned long long)now);
		FUZZ_CHECK(rtc_next_event_ns(rtc) > now, "the RTC's next event %llu is not after %llu",
			   (unsigned long long)rtc_next_event_ns(rtc), (unsigned long long)now);
		break;
	case 3:
		host_types(in, u);
		break;
	case 4: {
		uint8_t b = fin_u8(in);
		pic_set_irq(pic, b % 16, b >> 7);
		break;
	}
	case 5:
		if (pic_intr_pending(pic))
			(void)pic_intr_ack(pic);
		break;
	case 6: {
		uint16_t port = port_of(in);
		for (int n = fin_u8(in); n > 0; n--)
			(void)iobus_read(io, port, 1);
		break;
	}
	default: {
		uint16_t port = port_of(in);
		int n = fin_u8(in);
		uint8_t v = fin_u8(in);
		for (; n > 0; n--)
			iobus_write(io, port, 1, v);
		break;
	}
	}
	FUZZ_CHECK(uart_rx_space(u) <= UART_FIFO, "UART receive space %zu", uart_rx_space(u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	static struct iobus io;
	struct vclock clock = { clock_now, NULL };
	struct irq_line line = { irq_to_pic, NULL };
	now = 0;
	exit_code = -1;
	resets = tx_bytes = 0;
	iobus_init(&io);
	pic = pic_create(&io);
	struct pit *pit = pic ? pit_create(&io, &line, &clock) : NULL;
	struct uart *u = pit ? uart_create(&io, 0x3f8, 4, &line, on_tx, NULL) : NULL;
	struct rtc *rtc = u ? rtc_create(&io, &line, &clock, 1700000000) : NULL;
	struct i8042 *kbd = rtc ? i8042_create(&io, &line, on_reset, NULL) : NULL;
	struct port80 *post = kbd ? port80_create(&io) : NULL;
	struct debugexit *dx = post ? debugexit_create(&io, on_exit_write, NULL) : NULL;
	FUZZ_CHECK(dx, "a device could not be made");
	rtc_set_memory_size(rtc, 64u << 20);
	for (int i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		op(&in, &io, u, pit, rtc);
	FUZZ_SAY("%u bytes sent, %u resets\n", tx_bytes, resets);
	/* The machine's device list removes the regions, then each destroy frees. */
	const void *owners[] = { dx, post, kbd, rtc, u, pit, pic };
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		(void)iobus_unregister_owner(&io, owners[i]);
	debugexit_destroy(dx);
	port80_destroy(post);
	i8042_destroy(kbd);
	rtc_destroy(rtc);
	uart_destroy(u);
	pit_destroy(pit);
	pic_destroy(pic);
	return 0;
}
