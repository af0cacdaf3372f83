/* The 8259A pair: init, priorities, EOI forms, masking, cascade, poll. */
#include "t.h"

#include <limits.h>
#include <stdlib.h>

#include "dev/devices.h"

struct pic_rig {
	struct iobus *io;
	struct pic *pic;
};

static void outb(struct pic_rig *r, uint16_t port, uint8_t v)
{
	iobus_write(r->io, port, 1, v);
}

static uint8_t inb(struct pic_rig *r, uint16_t port)
{
	return (uint8_t)iobus_read(r->io, port, 1);
}

/* The sequence Linux's init_8259A() uses: vectors 0x30 and 0x38. */
static void linux_init(struct pic_rig *r, uint8_t icw4)
{
	outb(r, 0x21, 0xff);
	outb(r, 0xa1, 0xff);
	outb(r, 0x20, 0x11);
	outb(r, 0x21, 0x30);
	outb(r, 0x21, 0x04);
	outb(r, 0x21, icw4);
	outb(r, 0xa0, 0x11);
	outb(r, 0xa1, 0x38);
	outb(r, 0xa1, 0x02);
	outb(r, 0xa1, icw4);
	outb(r, 0x21, 0x00);
	outb(r, 0xa1, 0x00);
}

static struct pic_rig rig_open(void)
{
	struct pic_rig r;
	r.io = calloc(1, sizeof(*r.io));
	iobus_init(r.io);
	r.pic = pic_create(r.io);
	linux_init(&r, 0x01);
	return r;
}

static void rig_close(struct pic_rig *r)
{
	pic_destroy(r->pic);
	free(r->io);
}

static uint8_t read_isr(struct pic_rig *r, uint16_t cmd_port)
{
	outb(r, cmd_port, 0x0b);
	uint8_t v = inb(r, cmd_port);
	outb(r, cmd_port, 0x0a);
	return v;
}

TEST(pic_imr_probe_reads_back)
{
	struct pic_rig r = rig_open();
	CHECK(r.pic != NULL);
	outb(&r, 0x21, 0xff);
	CHECK_EQ(inb(&r, 0x21), 0xff);
	outb(&r, 0x21, 0xfb);
	CHECK_EQ(inb(&r, 0x21), 0xfb);
	outb(&r, 0xa1, 0x5a);
	CHECK_EQ(inb(&r, 0xa1), 0x5a);
	rig_close(&r);
}

TEST(pic_second_create_on_same_bus_fails)
{
	struct pic_rig r = rig_open();
	CHECK(pic_create(r.io) == NULL);
	rig_close(&r);
}

TEST(pic_delivers_vector_and_blocks_lower_priority)
{
	struct pic_rig r = rig_open();
	CHECK(!pic_intr_pending(r.pic));
	pic_set_irq(r.pic, 0, 1);
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x30);
	CHECK(!pic_intr_pending(r.pic));
	pic_set_irq(r.pic, 1, 1);
	CHECK(!pic_intr_pending(r.pic)); /* IRQ0 in service blocks IRQ1 */
	CHECK_EQ(read_isr(&r, 0x20), 0x01);
	outb(&r, 0x20, 0x20); /* non-specific EOI */
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x31);
	rig_close(&r);
}

TEST(pic_lowest_irq_wins_and_nests)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, 3, 1);
	pic_set_irq(r.pic, 5, 1);
	CHECK_EQ(inb(&r, 0x20), 0x28); /* IRR */
	CHECK_EQ(pic_intr_ack(r.pic), 0x33);
	pic_set_irq(r.pic, 1, 1); /* higher priority nests */
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x31);
	CHECK_EQ(read_isr(&r, 0x20), 0x0a);
	outb(&r, 0x20, 0x20); /* clears the highest: IRQ1 */
	CHECK_EQ(read_isr(&r, 0x20), 0x08);
	CHECK(!pic_intr_pending(r.pic)); /* IRQ5 still below IRQ3 */
	outb(&r, 0x20, 0x63); /* specific EOI for IRQ3 */
	CHECK_EQ(read_isr(&r, 0x20), 0x00);
	CHECK_EQ(pic_intr_ack(r.pic), 0x35);
	rig_close(&r);
}

TEST(pic_edge_needs_new_rising_edge)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, 4, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x34);
	outb(&r, 0x20, 0x20);
	pic_set_irq(r.pic, 4, 1); /* still high: no new edge */
	CHECK(!pic_intr_pending(r.pic));
	pic_set_irq(r.pic, 4, 0);
	pic_set_irq(r.pic, 4, 1);
	CHECK(pic_intr_pending(r.pic));
	rig_close(&r);
}

TEST(pic_elcr_level_mode)
{
	struct pic_rig r = rig_open();
	outb(&r, 0x4d0, 0xff); /* IRQ0-2 cannot be level */
	CHECK_EQ(inb(&r, 0x4d0), 0xf8);
	outb(&r, 0x4d1, 0xff); /* neither IRQ8 nor IRQ13 */
	CHECK_EQ(inb(&r, 0x4d1), 0xde);
	CHECK_EQ(iobus_read(r.io, 0x4d0, 2), 0xdef8);
	pic_set_irq(r.pic, 5, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x35);
	outb(&r, 0x20, 0x20);
	CHECK(pic_intr_pending(r.pic)); /* level still high: requests again */
	pic_set_irq(r.pic, 5, 0);
	CHECK(!pic_intr_pending(r.pic));
	CHECK_EQ(inb(&r, 0x20) & 0x20, 0);
	rig_close(&r);
}

TEST(pic_imr_masks_requests)
{
	struct pic_rig r = rig_open();
	outb(&r, 0x21, 0x10);
	pic_set_irq(r.pic, 4, 1);
	CHECK(!pic_intr_pending(r.pic));
	CHECK_EQ(inb(&r, 0x20), 0x10); /* but IRR latched it */
	outb(&r, 0x21, 0x00);
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x34);
	rig_close(&r);
}

TEST(pic_cascade_through_irq2)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, 12, 1);
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x3c);
	CHECK_EQ(read_isr(&r, 0x20), 0x04);
	CHECK_EQ(read_isr(&r, 0xa0), 0x10);
	pic_set_irq(r.pic, 9, 1); /* higher on the slave, but master IR2 is in service */
	CHECK(!pic_intr_pending(r.pic));
	outb(&r, 0xa0, 0x64); /* specific EOI on the slave, then the master */
	outb(&r, 0x20, 0x62);
	CHECK(pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x39);
	/* Masking the cascade line hides every slave request. */
	outb(&r, 0xa0, 0x20);
	outb(&r, 0x20, 0x20);
	pic_set_irq(r.pic, 9, 0);
	pic_set_irq(r.pic, 9, 1);
	outb(&r, 0x21, 0x04);
	CHECK(!pic_intr_pending(r.pic));
	outb(&r, 0x21, 0x00);
	CHECK(pic_intr_pending(r.pic));
	rig_close(&r);
}

TEST(pic_slave_irq_beats_lower_master_irq)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, 3, 1);
	pic_set_irq(r.pic, 8, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x38); /* IR2 ranks above IR3 */
	rig_close(&r);
}

TEST(pic_spurious_irq7_sets_no_isr)
{
	struct pic_rig r = rig_open();
	CHECK_EQ(pic_intr_ack(r.pic), 0x37);
	CHECK_EQ(read_isr(&r, 0x20), 0x00);
	/* A level request that vanishes before INTA is spurious too. */
	outb(&r, 0x4d0, 0x08);
	pic_set_irq(r.pic, 3, 1);
	CHECK(pic_intr_pending(r.pic));
	pic_set_irq(r.pic, 3, 0);
	CHECK(!pic_intr_pending(r.pic));
	CHECK_EQ(pic_intr_ack(r.pic), 0x37);
	CHECK_EQ(read_isr(&r, 0x20), 0x00);
	rig_close(&r);
}

TEST(pic_poll_mode)
{
	struct pic_rig r = rig_open();
	outb(&r, 0x20, 0x0c);
	CHECK_EQ(inb(&r, 0x20), 0x00); /* nothing pending */
	pic_set_irq(r.pic, 6, 1);
	outb(&r, 0x20, 0x0c);
	CHECK_EQ(inb(&r, 0x20), 0x86);
	CHECK_EQ(read_isr(&r, 0x20), 0x40);
	CHECK_EQ(inb(&r, 0x20), 0x00); /* poll is one-shot: back to IRR */
	rig_close(&r);
}

TEST(pic_set_priority_and_rotation)
{
	struct pic_rig r = rig_open();
	outb(&r, 0x20, 0xc3); /* IR3 lowest, so IR4 highest */
	pic_set_irq(r.pic, 1, 1);
	pic_set_irq(r.pic, 3, 1);
	pic_set_irq(r.pic, 5, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x35);
	outb(&r, 0x20, 0xa0); /* rotate on non-specific EOI: IR5 becomes lowest */
	CHECK_EQ(pic_intr_ack(r.pic), 0x31);
	outb(&r, 0x20, 0xe1); /* rotate on specific EOI for IR1 */
	pic_set_irq(r.pic, 0, 1);
	pic_set_irq(r.pic, 2, 1); /* redirected to IRQ9 on the slave */
	pic_set_irq(r.pic, 7, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x39); /* IR2 now ranks first */
	rig_close(&r);
}

TEST(pic_auto_eoi)
{
	struct pic_rig r = rig_open();
	linux_init(&r, 0x03);
	pic_set_irq(r.pic, 4, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x34);
	CHECK_EQ(read_isr(&r, 0x20), 0x00);
	pic_set_irq(r.pic, 6, 1);
	CHECK(pic_intr_pending(r.pic));
	rig_close(&r);
}

TEST(pic_icw1_clears_mask_and_service)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, 3, 1);
	pic_intr_ack(r.pic);
	outb(&r, 0x21, 0x55);
	outb(&r, 0x20, 0x11);
	CHECK_EQ(inb(&r, 0x21), 0x00);
	CHECK_EQ(read_isr(&r, 0x20), 0x00);
	rig_close(&r);
}

TEST(pic_hostile_irq_numbers_and_adapter)
{
	struct pic_rig r = rig_open();
	pic_set_irq(r.pic, -1, 1);
	pic_set_irq(r.pic, 16, 1);
	pic_set_irq(r.pic, INT_MAX, 1);
	pic_set_irq(r.pic, INT_MIN, 1);
	pic_set_irq(NULL, 3, 1);
	CHECK(!pic_intr_pending(r.pic));
	struct irq_line line = { pic_irq_line_set, r.pic };
	irq_set(&line, 14, 1);
	CHECK_EQ(pic_intr_ack(r.pic), 0x3e);
	/* Wide accesses to the PIC ports are split into bytes. */
	iobus_write(r.io, 0x20, 4, 0xffffffff);
	iobus_write(r.io, 0xa0, 2, 0x1234);
	(void)iobus_read(r.io, 0x20, 4);
	rig_close(&r);
}
