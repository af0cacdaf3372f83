/*
 * A 16550A UART, as found at 0x3f8 (COM1) on a PC.
 *
 * Transmission is instantaneous: a THR write hands the byte to tx() at
 * once, so THRE and TEMT are always set and a THRE interrupt follows every
 * write.  The receive side holds a 16-byte FIFO (one byte when FIFOs are
 * off) that the host fills through uart_receive() without ever overrunning
 * it; only loopback traffic can overrun.
 *
 * There is no clock here, so the "character timeout" interrupt of the real
 * part fires as soon as data sits below the trigger level: the guest sees
 * IIR 0xCC instead of 0xC4 and drains the FIFO the same way.
 *
 * The interrupt line follows the PC wiring: it is driven only while MCR
 * OUT2 is set, and then equals "some enabled source is pending".
 */
#include "dev/devices.h"

#include <stdlib.h>

#define FIFO_SIZE 16

/* Register offsets */
enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFOS 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_TERI 0x04

struct uart {
	struct irq_line line;
	int irq;
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;

	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;

	uint8_t ier, lcr, mcr, lsr_errors, msr_deltas, scr;
	uint8_t dll, dlm;
	bool fifo_enabled;
	uint8_t rx_trigger;  /* 1, 4, 8 or 14 */
	bool thre_pending;   /* THR-empty interrupt source armed */
	uint8_t msr_lines;   /* CTS/DSR/RI/DCD as last seen, for deltas */
	bool irq_level;
};

static unsigned rx_capacity(const struct uart *u)
{
	return u->fifo_enabled ? FIFO_SIZE : 1;
}

static bool loopback(const struct uart *u)
{
	return u->mcr & MCR_LOOP;
}

/* The modem status inputs: in loopback they are the MCR outputs; otherwise
 * the host side is a null modem that is always ready. */
static uint8_t modem_lines(const struct uart *u)
{
	if (!loopback(u))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	uint8_t m = u->mcr, v = 0;
	if (m & MCR_RTS)
		v |= MSR_CTS;
	if (m & MCR_DTR)
		v |= MSR_DSR;
	if (m & MCR_OUT1)
		v |= MSR_RI;
	if (m & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* Records delta bits for changed modem inputs (RI only on its falling
 * edge, as TERI). */
static void sample_modem_lines(struct uart *u)
{
	uint8_t now = modem_lines(u), changed = now ^ u->msr_lines;
	if (changed & MSR_CTS)
		u->msr_deltas |= 0x01;
	if (changed & MSR_DSR)
		u->msr_deltas |= 0x02;
	if ((changed & MSR_RI) && !(now & MSR_RI))
		u->msr_deltas |= MSR_TERI;
	if (changed & MSR_DCD)
		u->msr_deltas |= 0x08;
	u->msr_lines = now;
}

/* The highest-priority pending, enabled source, as IIR bits 0-3. */
static uint8_t pending_source(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && u->lsr_errors)
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		if (!u->fifo_enabled || u->rx_count >= u->rx_trigger)
			return IIR_RDI;
		return IIR_TIMEOUT;
	}
	if ((u->ier & IER_THRI) && u->thre_pending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_deltas)
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	bool level = pending_source(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->line, u->irq, level);
	}
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_errors |= LSR_OE; /* the byte in the shift register is lost */
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	if (!u->rx_count)
		return u->rx[u->rx_head]; /* an empty RBR reads its last byte */
	uint8_t byte = u->rx[u->rx_head];
	u->rx_count--;
	if (u->rx_count)
		u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
	return byte;
}

static void write_thr(struct uart *u, uint8_t byte)
{
	if (loopback(u))
		rx_push(u, byte);
	else if (u->tx)
		u->tx(u->tx_opaque, byte);
	/* The byte left at once: THR is empty again. */
	u->thre_pending = true;
}

static void write_ier(struct uart *u, uint8_t val)
{
	uint8_t old = u->ier;
	u->ier = val & 0x0f;
	/* Enabling the THRE interrupt while THR is empty raises it at once;
	 * Linux's 8250 driver tests for exactly this at startup. */
	if ((u->ier & IER_THRI) && !(old & IER_THRI))
		u->thre_pending = true;
}

static void write_fcr(struct uart *u, uint8_t val)
{
	static const uint8_t triggers[4] = { 1, 4, 8, 14 };
	bool enable = val & FCR_ENABLE;
	if (enable != u->fifo_enabled) {
		rx_clear(u); /* switching FIFO mode empties both FIFOs */
		u->fifo_enabled = enable;
	}
	if (!enable)
		return;
	if (val & FCR_CLEAR_RX)
		rx_clear(u);
	if (val & FCR_CLEAR_TX)
		u->thre_pending = true;
	u->rx_trigger = triggers[val >> 6];
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t src = pending_source(u);
	/* Reading IIR acknowledges a THRE interrupt it reports. */
	if (src == IIR_THRI)
		u->thre_pending = false;
	return (uint8_t)(src | (u->fifo_enabled ? IIR_FIFOS : 0));
}

static uint8_t read_lsr(struct uart *u)
{
	uint8_t v = (uint8_t)(LSR_THRE | LSR_TEMT | u->lsr_errors | (u->rx_count ? LSR_DR : 0));
	u->lsr_errors = 0;
	return v;
}

static uint8_t read_msr(struct uart *u)
{
	sample_modem_lines(u);
	uint8_t v = (uint8_t)(u->msr_lines | u->msr_deltas);
	u->msr_deltas = 0;
	return v;
}

static uint8_t uart_read_reg(struct uart *u, int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		return dlab ? u->dll : rx_pop(u);
	case IER:
		return dlab ? u->dlm : u->ier;
	case IIR_FCR:
		return read_iir(u);
	case LCR:
		return u->lcr;
	case MCR:
		return u->mcr;
	case LSR:
		return read_lsr(u);
	case MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		if (dlab)
			u->dll = val;
		else
			write_thr(u, val);
		break;
	case IER:
		if (dlab)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case IIR_FCR:
		write_fcr(u, val);
		break;
	case LCR:
		u->lcr = val;
		break;
	case MCR:
		u->mcr = val & 0x1f;
		sample_modem_lines(u);
		break;
	case SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint32_t uart_io_read(void *opaque, uint32_t port, int size)
{
	struct uart *u = opaque;
	(void)size;
	uint8_t v = uart_read_reg(u, (int)(port & 7));
	update_irq(u);
	return v;
}

static void uart_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct uart *u = opaque;
	(void)size;
	uart_write_reg(u, (int)(port & 7), (uint8_t)val);
	update_irq(u);
}

size_t uart_rx_space(struct uart *u)
{
	if (loopback(u))
		return 0; /* the serial input is disconnected in loopback */
	return rx_capacity(u) - u->rx_count;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t space = uart_rx_space(u), i;
	for (i = 0; i < n && i < space; i++)
		rx_push(u, buf[i]);
	update_irq(u);
	return i;
}

struct uart *uart_create(struct iobus *io, uint16_t base, int irq, const struct irq_line *line,
			 void (*tx)(void *opaque, uint8_t byte), void *tx_opaque)
{
	if (base > 0xfff8 || irq < 0 || irq > 15)
		return NULL;
	struct uart *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	if (line)
		u->line = *line;
	u->irq = irq;
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	u->rx_trigger = 1;
	u->dll = 12; /* 9600 baud */
	u->msr_lines = modem_lines(u);
	if (iobus_register(io, "uart", base, 8, uart_io_read, uart_io_write, u) < 0) {
		free(u);
		return NULL;
	}
	return u;
}

void uart_destroy(struct uart *u)
{
	free(u);
}
