/* The i8042 controller with nothing plugged in. */
#include "t.h"

#include <stdlib.h>

#include "dev/devices.h"

struct kbd_rig {
	struct iobus *io;
	struct i8042 *kbd;
	struct irq_line line;
	int level[16], rises[16];
	int resets;
};

static void rig_irq(void *opaque, int irq, int level)
{
	struct kbd_rig *r = opaque;
	if (irq < 0 || irq > 15)
		return;
	if (level && !r->level[irq])
		r->rises[irq]++;
	r->level[irq] = level;
}

static void rig_reset(void *opaque)
{
	((struct kbd_rig *)opaque)->resets++;
}

static struct kbd_rig *rig_open(void)
{
	struct kbd_rig *r = calloc(1, sizeof(*r));
	r->io = calloc(1, sizeof(*r->io));
	iobus_init(r->io);
	r->line = (struct irq_line){ rig_irq, r };
	r->kbd = i8042_create(r->io, &r->line, rig_reset, r);
	return r;
}

static void rig_close(struct kbd_rig *r)
{
	i8042_destroy(r->kbd);
	free(r->io);
	free(r);
}

static void outb(struct kbd_rig *r, uint16_t port, uint8_t v)
{
	iobus_write(r->io, port, 1, v);
}

static uint8_t inb(struct kbd_rig *r, uint16_t port)
{
	return (uint8_t)iobus_read(r->io, port, 1);
}

/* A command with an optional parameter, then the reply byte. */
static uint8_t command(struct kbd_rig *r, uint8_t cmd, int param)
{
	outb(r, 0x64, cmd);
	if (param >= 0)
		outb(r, 0x60, (uint8_t)param);
	if (!(inb(r, 0x64) & 0x01))
		return 0xee; /* nothing came back */
	return inb(r, 0x60);
}

TEST(i8042_self_test_and_interface_tests)
{
	struct kbd_rig *r = rig_open();
	CHECK(r->kbd != NULL);
	CHECK_EQ(inb(r, 0x64) & 0x01, 0);
	CHECK_EQ(inb(r, 0x64) & 0x04, 0x04); /* system flag */
	CHECK_EQ(command(r, 0xaa, -1), 0x55);
	CHECK_EQ(inb(r, 0x64) & 0x01, 0);
	CHECK_EQ(command(r, 0xab, -1), 0x00);
	CHECK_EQ(command(r, 0xa9, -1), 0x00);
	rig_close(r);
}

TEST(i8042_command_byte_and_port_enables)
{
	struct kbd_rig *r = rig_open();
	CHECK_EQ(command(r, 0x20, -1), 0x45);
	outb(r, 0x64, 0x60);
	CHECK_EQ(inb(r, 0x64) & 0x08, 0x08); /* last write was a command */
	outb(r, 0x60, 0x47);
	CHECK_EQ(inb(r, 0x64) & 0x08, 0x00);
	CHECK_EQ(command(r, 0x20, -1), 0x47);
	outb(r, 0x64, 0xa7);
	CHECK_EQ(command(r, 0x20, -1) & 0x20, 0x20);
	outb(r, 0x64, 0xa8);
	CHECK_EQ(command(r, 0x20, -1) & 0x20, 0x00);
	outb(r, 0x64, 0xad);
	CHECK_EQ(command(r, 0x20, -1) & 0x10, 0x10);
	outb(r, 0x64, 0xae);
	CHECK_EQ(command(r, 0x20, -1) & 0x10, 0x00);
	rig_close(r);
}

TEST(i8042_irq1_follows_output_buffer)
{
	struct kbd_rig *r = rig_open();
	outb(r, 0x64, 0xaa);
	CHECK_EQ(r->level[1], 1); /* command byte bit 0 is set by default */
	outb(r, 0x64, 0xab); /* a second byte queued behind the first */
	CHECK_EQ(inb(r, 0x60), 0x55);
	CHECK_EQ(r->level[1], 1);
	CHECK_EQ(r->rises[1], 2); /* a fresh edge for the second byte */
	CHECK_EQ(inb(r, 0x60), 0x00);
	CHECK_EQ(r->level[1], 0);
	CHECK_EQ(r->level[12], 0);
	rig_close(r);
}

/* i8042_check_aux(): the AUX loopback must come back as mouse data. */
TEST(i8042_aux_loopback_raises_irq12)
{
	struct kbd_rig *r = rig_open();
	outb(r, 0x64, 0x60);
	outb(r, 0x60, 0x47); /* AUX interrupt on */
	outb(r, 0x64, 0xd3);
	outb(r, 0x60, 0x5a);
	CHECK_EQ(inb(r, 0x64) & 0x21, 0x21);
	CHECK_EQ(r->level[12], 1);
	CHECK_EQ(r->level[1], 0);
	CHECK_EQ(inb(r, 0x60), 0x5a);
	CHECK_EQ(r->level[12], 0);
	CHECK_EQ(inb(r, 0x60), 0x5a); /* an empty buffer rereads the last byte */
	rig_close(r);
}

TEST(i8042_missing_devices_answer_resend)
{
	struct kbd_rig *r = rig_open();
	outb(r, 0x60, 0xf2); /* keyboard GET ID */
	CHECK_EQ(inb(r, 0x64) & 0x21, 0x01);
	CHECK_EQ(inb(r, 0x60), 0xfe);
	CHECK_EQ(command(r, 0xd4, 0xff), 0xfe); /* mouse reset */
	rig_close(r);
}

TEST(i8042_output_port_and_a20)
{
	struct kbd_rig *r = rig_open();
	CHECK_EQ(command(r, 0xd0, -1) & 0x03, 0x03); /* out of reset, A20 on */
	outb(r, 0x64, 0xd1);
	outb(r, 0x60, 0x01); /* A20 off */
	CHECK_EQ(command(r, 0xd0, -1) & 0x03, 0x01);
	outb(r, 0x64, 0xdf);
	CHECK_EQ(command(r, 0xd0, -1) & 0x03, 0x03);
	outb(r, 0x64, 0xdd);
	CHECK_EQ(command(r, 0xd0, -1) & 0x03, 0x01);
	CHECK_EQ(r->resets, 0);
	outb(r, 0x64, 0xd1);
	outb(r, 0x60, 0x02); /* bit 0 clear: CPU reset */
	CHECK_EQ(r->resets, 1);
	rig_close(r);
}

TEST(i8042_pulse_reset)
{
	struct kbd_rig *r = rig_open();
	outb(r, 0x64, 0xff); /* pulse nothing */
	CHECK_EQ(r->resets, 0);
	outb(r, 0x64, 0xfe);
	CHECK_EQ(r->resets, 1);
	outb(r, 0x64, 0xf0);
	CHECK_EQ(r->resets, 2);
	rig_close(r);
}

TEST(i8042_hostile_accesses)
{
	struct kbd_rig *r = rig_open();
	for (int v = 0; v < 256; v++) {
		if (v >= 0xf0 || v == 0xd1)
			continue;
		outb(r, 0x64, (uint8_t)v);
		outb(r, 0x60, (uint8_t)v);
	}
	for (int i = 0; i < 40; i++)
		outb(r, 0x64, 0xaa); /* far more replies than the queue holds */
	int drained = 0;
	while ((inb(r, 0x64) & 0x01) && drained < 1000)
		(void)inb(r, 0x60), drained++;
	CHECK(drained < 1000);
	CHECK_EQ(r->resets, 0);
	CHECK(i8042_create(r->io, &r->line, rig_reset, r) == NULL);
	struct iobus *io = calloc(1, sizeof(*io));
	iobus_init(io);
	struct i8042 *k = i8042_create(io, NULL, NULL, NULL); /* no line, no reset hook */
	iobus_write(io, 0x64, 1, 0xfe);
	iobus_write(io, 0x64, 1, 0xaa);
	CHECK_EQ(iobus_read(io, 0x60, 1), 0x55);
	i8042_destroy(k);
	free(io);
	rig_close(r);
}
