/*
 * The i8042 keyboard controller at 0x60 (data) and 0x64 (status/command).
 *
 * No keyboard or mouse is attached.  The controller itself is complete
 * enough for Linux's i8042 driver: self test, interface tests, the command
 * byte and internal RAM, enabling/disabling either port, the output port
 * (reset line and A20 gate), the AUX loopback used to find the mouse port,
 * and the reset pulse.  Bytes written for a missing device are answered
 * with 0xFE (resend/NAK), which makes Linux's atkbd and psmouse probes fail
 * at once instead of after long timeouts.
 *
 * Output to the guest goes through a small queue; the byte at its head is
 * the one in the output buffer.  IRQ1 (keyboard channel) or IRQ12 (AUX
 * channel) is raised while that byte waits and the command byte enables
 * the interrupt, and is dropped for a moment on every read so that an
 * edge-triggered PIC sees each byte.
 */
#include "dev/devices.h"

#include <stdlib.h>

#define QUEUE_SIZE 16

#define STS_OBF 0x01
#define STS_SYS 0x04
#define STS_CMD 0x08      /* last write went to 0x64 */
#define STS_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */
#define STS_AUX_OBF 0x20

#define CTR_KBD_INT 0x01
#define CTR_AUX_INT 0x02
#define CTR_SYS 0x04
#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20

#define OUT_RESET 0x01 /* 0 holds the CPU in reset */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20

#define REPLY_NAK 0xfe

struct i8042 {
	struct irq_line irq;
	void (*reset)(void *opaque);
	void *reset_opaque;

	uint8_t ram[32];     /* internal RAM; ram[0] is the command byte */
	uint8_t outport;     /* bits 0-3 of the output port */
	uint8_t pending;     /* command waiting for its data byte, 0 if none */
	bool last_was_cmd;

	uint8_t queue[QUEUE_SIZE];
	bool queue_aux[QUEUE_SIZE];
	unsigned head, count;
	uint8_t last_read;
	bool irq1, irq12;
};

static bool head_is_aux(const struct i8042 *k)
{
	return k->count && k->queue_aux[k->head];
}

static void set_lines(struct i8042 *k, bool irq1, bool irq12)
{
	if (irq1 != k->irq1) {
		k->irq1 = irq1;
		irq_set(&k->irq, 1, irq1);
	}
	if (irq12 != k->irq12) {
		k->irq12 = irq12;
		irq_set(&k->irq, 12, irq12);
	}
}

static void update_irq(struct i8042 *k)
{
	uint8_t ctr = k->ram[0];
	bool aux = head_is_aux(k);
	set_lines(k, k->count && !aux && (ctr & CTR_KBD_INT), k->count && aux && (ctr & CTR_AUX_INT));
}

static void enqueue(struct i8042 *k, uint8_t byte, bool aux)
{
	if (k->count == QUEUE_SIZE)
		return; /* the guest is not reading; drop like a full buffer */
	unsigned tail = (k->head + k->count) % QUEUE_SIZE;
	k->queue[tail] = byte;
	k->queue_aux[tail] = aux;
	k->count++;
	update_irq(k);
}

static uint8_t read_data(struct i8042 *k)
{
	if (k->count) {
		k->last_read = k->queue[k->head];
		k->head = (k->head + 1) % QUEUE_SIZE;
		k->count--;
	}
	set_lines(k, false, false); /* a fresh edge for the next byte */
	update_irq(k);
	return k->last_read;
}

static uint8_t read_status(const struct i8042 *k)
{
	uint8_t s = STS_UNLOCKED;
	if (k->count)
		s |= STS_OBF | (head_is_aux(k) ? STS_AUX_OBF : 0);
	if (k->ram[0] & CTR_SYS)
		s |= STS_SYS;
	if (k->last_was_cmd)
		s |= STS_CMD;
	return s;
}

static uint8_t read_outport(const struct i8042 *k)
{
	uint8_t v = (uint8_t)(k->outport | 0xc0); /* keyboard clock and data lines idle high */
	if (k->count)
		v |= head_is_aux(k) ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

static void write_outport(struct i8042 *k, uint8_t val)
{
	k->outport = val & 0x0f;
	if (!(val & OUT_RESET) && k->reset)
		k->reset(k->reset_opaque);
}

static void set_a20(struct i8042 *k, bool on)
{
	k->outport = (uint8_t)((k->outport & ~OUT_A20) | (on ? OUT_A20 : 0));
}

static void write_ram(struct i8042 *k, int index, uint8_t val)
{
	k->ram[index] = val;
	update_irq(k);
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= 0x20 && cmd <= 0x3f) {
		enqueue(k, k->ram[cmd & 0x1f], false);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending = cmd; /* the data byte follows at 0x60 */
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse output port lines whose bit is 0; line 0 is reset. */
		if (!(cmd & 1) && k->reset)
			k->reset(k->reset_opaque);
		return;
	}
	switch (cmd) {
	case 0xa7: write_ram(k, 0, k->ram[0] | CTR_AUX_DISABLE); break;
	case 0xa8: write_ram(k, 0, k->ram[0] & ~CTR_AUX_DISABLE); break;
	case 0xa9: enqueue(k, 0x00, false); break; /* AUX interface test: ok */
	case 0xaa: /* controller self test */
		k->ram[0] |= CTR_SYS;
		enqueue(k, 0x55, false);
		break;
	case 0xab: enqueue(k, 0x00, false); break; /* keyboard interface test: ok */
	case 0xad: write_ram(k, 0, k->ram[0] | CTR_KBD_DISABLE); break;
	case 0xae: write_ram(k, 0, k->ram[0] & ~CTR_KBD_DISABLE); break;
	case 0xc0: enqueue(k, 0x80, false); break; /* input port: not key-locked */
	case 0xd0: enqueue(k, read_outport(k), false); break;
	case 0xdd: set_a20(k, false); break;
	case 0xdf: set_a20(k, true); break;
	case 0xe0: enqueue(k, 0x00, false); break; /* test inputs */
	default: break; /* unknown commands are ignored, as most chips do */
	}
}

static void data_write(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7f)
		write_ram(k, cmd & 0x1f, val);
	else if (cmd == 0xd1)
		write_outport(k, val);
	else if (cmd == 0xd2)
		enqueue(k, val, false); /* as if the keyboard sent it */
	else if (cmd == 0xd3)
		enqueue(k, val, true);  /* as if the mouse sent it */
	else if (cmd == 0xd4)
		enqueue(k, REPLY_NAK, true); /* no mouse */
	else
		enqueue(k, REPLY_NAK, false); /* no keyboard */
}

static uint32_t i8042_io_read(void *opaque, uint32_t port, int size)
{
	struct i8042 *k = opaque;
	(void)size;
	return port == 0x64 ? read_status(k) : read_data(k);
}

static void i8042_io_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct i8042 *k = opaque;
	(void)size;
	k->last_was_cmd = port == 0x64;
	if (port == 0x64)
		controller_command(k, (uint8_t)val);
	else
		data_write(k, (uint8_t)val);
}

struct i8042 *i8042_create(struct iobus *io, const struct irq_line *irq,
			   void (*reset)(void *opaque), void *opaque)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	if (irq)
		k->irq = *irq;
	k->reset = reset;
	k->reset_opaque = opaque;
	/* What firmware leaves: keyboard interrupt on, system flag, scan code
	 * translation; A20 enabled. */
	k->ram[0] = CTR_KBD_INT | CTR_SYS | 0x40;
	k->outport = OUT_RESET | OUT_A20;
	const struct bus_region ports[] = {
		{ "i8042-data", 0x60, 1, i8042_io_read, i8042_io_write, k, NULL },
		{ "i8042-cmd", 0x64, 1, i8042_io_read, i8042_io_write, k, NULL },
	};
	if (iobus_register_all(io, k, ports, 2) < 0) {
		free(k);
		return NULL;
	}
	return k;
}

void i8042_destroy(struct i8042 *k)
{
	free(k);
}
