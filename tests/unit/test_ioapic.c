/* The I/O APIC: edge versus level, remote IRR and EOI, masks, registers. */
#include "t.h"

#include <stdlib.h>

#include "dev/ioapic.h"

struct rig {
	struct ioapic *io;
	int sent;
	struct ioapic_msg last;
};

static void deliver(void *opaque, const struct ioapic_msg *m)
{
	struct rig *r = opaque;
	r->sent++;
	r->last = *m;
}

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	r->io = ioapic_create(&(struct ioapic_config){ .id = 0, .deliver = deliver, .opaque = r });
	return r;
}

static void rig_free(struct rig *r)
{
	ioapic_destroy(r->io);
	free(r);
}

static void set_reg(struct rig *r, uint32_t sel, uint32_t v)
{
	ioapic_write(r->io, 0, 4, sel);
	ioapic_write(r->io, 0x10, 4, v);
}

static uint32_t get_reg(struct rig *r, uint32_t sel)
{
	ioapic_write(r->io, 0, 4, sel);
	return ioapic_read(r->io, 0x10, 4);
}

TEST(ioapic_registers)
{
	struct rig *r = rig_new();
	CHECK_EQ(get_reg(r, 1), 0x00170011u); /* 24 pins, version 0x11 */
	set_reg(r, 0, 0x0f000000u);
	CHECK_EQ(get_reg(r, 0), 0x0f000000u);
	set_reg(r, 0, 0xff000000u);
	CHECK_EQ(get_reg(r, 0), 0x0f000000u); /* 4-bit id */
	set_reg(r, 1, 0);
	CHECK_EQ(get_reg(r, 1), 0x00170011u);
	for (int pin = 0; pin < IOAPIC_PINS; pin++)
		CHECK_EQ(get_reg(r, 0x10 + 2 * (uint32_t)pin), 0x10000u); /* masked */
	CHECK_EQ(get_reg(r, 0x10 + 2 * 24), 0); /* past the last pin */
	set_reg(r, 0x40, 0xffffffffu);
	CHECK_EQ(get_reg(r, 0xff), 0);
	set_reg(r, 0x11, 0xffffffffu);          /* high half: destination only */
	CHECK_EQ(get_reg(r, 0x11), 0xff000000u);
	set_reg(r, 0x10, 0xffffffffu);          /* status and remote IRR read-only */
	CHECK_EQ(get_reg(r, 0x10), 0x1afffu);
	CHECK_EQ(ioapic_read(r->io, 0x10, 1), 0xff); /* a byte of IOWIN */
	ioapic_set_irq(r->io, 24, 1);           /* no such pin */
	ioapic_set_irq(r->io, -1, 1);
	CHECK_EQ(r->sent, 0);
	rig_free(r);
}

TEST(ioapic_edge_pins_send_on_rising_edges)
{
	struct rig *r = rig_new();
	set_reg(r, 0x10 + 2 * 2, 0x30);  /* pin 2: edge, vector 0x30, unmasked */
	ioapic_set_irq(r->io, 2, 1);
	CHECK_EQ(r->sent, 1);
	CHECK_EQ(r->last.vector, 0x30);
	CHECK(!r->last.level);
	ioapic_set_irq(r->io, 2, 1);     /* no new edge */
	CHECK_EQ(r->sent, 1);
	ioapic_set_irq(r->io, 2, 0);
	ioapic_set_irq(r->io, 2, 1);
	CHECK_EQ(r->sent, 2);
	CHECK_EQ(get_reg(r, 0x14) & 0x4000, 0); /* edge: no remote IRR */
	set_reg(r, 0x14, 0x10030);       /* masked: edges are lost */
	ioapic_set_irq(r->io, 2, 0);
	ioapic_set_irq(r->io, 2, 1);
	set_reg(r, 0x14, 0x30);
	CHECK_EQ(r->sent, 2);
	rig_free(r);
}

TEST(ioapic_level_pins_and_remote_irr)
{
	struct rig *r = rig_new();
	set_reg(r, 0x10 + 2 * 10, 0xa040); /* pin 10: level, active low, vector 0x40 */
	set_reg(r, 0x11 + 2 * 10, 0x01000000u);
	ioapic_set_irq(r->io, 10, 1);
	CHECK_EQ(r->sent, 1);
	CHECK(r->last.level);
	CHECK_EQ(r->last.dest, 1);
	CHECK_EQ(get_reg(r, 0x24) & 0x4000, 0x4000);
	ioapic_set_irq(r->io, 10, 0);
	ioapic_set_irq(r->io, 10, 1);
	CHECK_EQ(r->sent, 1);            /* waiting for the EOI */
	ioapic_eoi(r->io, 0x41);         /* another vector */
	CHECK_EQ(r->sent, 1);
	ioapic_eoi(r->io, 0x40);         /* still asserted: again */
	CHECK_EQ(r->sent, 2);
	ioapic_set_irq(r->io, 10, 0);
	ioapic_eoi(r->io, 0x40);         /* released: done */
	CHECK_EQ(r->sent, 2);
	CHECK_EQ(get_reg(r, 0x24) & 0x4000, 0);
	rig_free(r);
}

TEST(ioapic_unmasking_an_asserted_level_pin_sends)
{
	struct rig *r = rig_new();
	set_reg(r, 0x10 + 2 * 5, 0x18050); /* level, masked */
	ioapic_set_irq(r->io, 5, 1);
	CHECK_EQ(r->sent, 0);
	set_reg(r, 0x10 + 2 * 5, 0x8050);
	CHECK_EQ(r->sent, 1);
	CHECK_EQ(r->last.vector, 0x50);
	/* Switching to edge drops remote IRR. */
	set_reg(r, 0x10 + 2 * 5, 0x0050);
	CHECK_EQ(get_reg(r, 0x1a) & 0x4000, 0);
	rig_free(r);
}
