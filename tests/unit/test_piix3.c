/* PIIX3 function 0 and the bus features it relies on: multi-function
 * slots, PIRQ routing through the route registers, 0x92 and 0xCF9. */
#include "t.h"

#include <stdlib.h>

#include "dev/piix3.h"

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line line;
	int level[16];
	int resets;
	struct pci_bus *pci;
	struct piix3 *p;
};

static void set_line(void *opaque, int irq, int level)
{
	struct rig *r = opaque;
	r->level[irq] = level;
}

static void on_reset(void *opaque)
{
	struct rig *r = opaque;
	r->resets++;
}

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->line = (struct irq_line){ set_line, r };
	r->pci = pci_create(&r->io, &r->mmio, &r->line);
	r->p = piix3_create(r->pci, &r->io, on_reset, r);
	return r;
}

static void rig_free(struct rig *r)
{
	piix3_destroy(r->p);
	pci_destroy(r->pci);
	free(r);
}

static uint32_t conf1(struct rig *r, int slot, int fn, unsigned reg, int size)
{
	iobus_write(&r->io, 0xcf8, 4, 0x80000000u | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc));
	return iobus_read(&r->io, (uint16_t)(0xcfc + (reg & 3)), size);
}

static const struct pci_device_info dummy = {
	.name = "dummy", .vendor_id = 0x1234, .device_id = 0x5678, .interrupt_pin = 1,
};

TEST(piix3_identity_and_multifunction_bit)
{
	struct rig *r = rig_new();
	CHECK(r->p != NULL);
	CHECK_EQ(conf1(r, 1, 0, 0x00, 4), 0x70008086u);
	CHECK_EQ(conf1(r, 1, 0, 0x0a, 2), 0x0601);
	CHECK_EQ(conf1(r, 1, 0, PCI_HEADER_TYPE, 1), 0x00); /* alone so far */
	CHECK_EQ(conf1(r, 1, 3, 0x00, 4), 0xffffffffu);
	struct pci_device_info pm = dummy;
	pm.interrupt_pin = 0;
	CHECK(pci_register_fn(r->pci, 1, 3, &pm) != NULL);
	CHECK(pci_register_fn(r->pci, 1, 3, &pm) == NULL); /* taken */
	CHECK(pci_register_fn(r->pci, 1, 8, &pm) == NULL); /* no function 8 */
	CHECK(pci_register_fn(r->pci, 0, 1, &pm) == NULL); /* the host bridge's slot */
	CHECK_EQ(conf1(r, 1, 0, PCI_HEADER_TYPE, 1), 0x80);
	CHECK_EQ(conf1(r, 1, 3, 0x00, 4), 0x56781234u);
	CHECK_EQ(conf1(r, 1, 2, 0x00, 4), 0xffffffffu);
	CHECK(piix3_create(r->pci, &r->io, NULL, NULL) == NULL); /* slot taken */
	rig_free(r);
}

TEST(piix3_routes_pirqs_as_programmed)
{
	struct rig *r = rig_new();
	struct pci_device *d = pci_register(r->pci, 4, &dummy); /* INTA# of slot 4: PIRQA */
	pci_config_write(r->pci, 4, PCI_COMMAND, 2, 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pci_config_read_fn(r->pci, 1, 0, PIIX3_PIRQRC + (unsigned)i, 1), 0x80);
	pci_set_irq(d, 1);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(r->level[i], 0); /* not routed at reset */
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1, 11);
	CHECK_EQ(r->level[11], 1);     /* an asserted line appears at once */
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1, 5);
	CHECK_EQ(r->level[11], 0);     /* and moves */
	CHECK_EQ(r->level[5], 1);
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1, 0x85);
	CHECK_EQ(r->level[5], 0);      /* disabled */
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1, 0x02);
	CHECK_EQ(r->level[2], 0);      /* IRQ 2 is not routable */
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1, 0x7a); /* bits 6:4 reserved */
	CHECK_EQ(pci_config_read_fn(r->pci, 1, 0, PIIX3_PIRQRC, 1), 0x0a);
	CHECK_EQ(r->level[10], 1);
	pci_set_irq(d, 0);
	CHECK_EQ(r->level[10], 0);
	rig_free(r);
}

TEST(piix3_shared_irq_stays_up_while_any_pirq_asserts)
{
	struct rig *r = rig_new();
	struct pci_device *a = pci_register(r->pci, 4, &dummy); /* PIRQA */
	struct pci_device *b = pci_register(r->pci, 5, &dummy); /* PIRQB */
	pci_config_write(r->pci, 4, PCI_COMMAND, 2, 0);
	pci_config_write(r->pci, 5, PCI_COMMAND, 2, 0);
	pci_config_write_fn(r->pci, 1, 0, PIIX3_PIRQRC, 2, 0x0b0b); /* A and B on IRQ 11 */
	pci_set_irq(a, 1);
	pci_set_irq(b, 1);
	pci_set_irq(a, 0);
	CHECK_EQ(r->level[11], 1);
	pci_set_irq(b, 0);
	CHECK_EQ(r->level[11], 0);
	rig_free(r);
}

TEST(piix3_reset_through_port92_and_cf9)
{
	struct rig *r = rig_new();
	iobus_write(&r->io, 0x92, 1, 0x02); /* A20 only */
	CHECK_EQ(iobus_read(&r->io, 0x92, 1), 0x02);
	CHECK_EQ(r->resets, 0);
	iobus_write(&r->io, 0x92, 1, 0x03);
	CHECK_EQ(r->resets, 1);
	iobus_write(&r->io, 0xcf9, 1, 0x02); /* hard-reset select: no reset yet */
	CHECK_EQ(r->resets, 1);
	CHECK_EQ(iobus_read(&r->io, 0xcf9, 1), 0x02);
	iobus_write(&r->io, 0xcf9, 1, 0x06);
	CHECK_EQ(r->resets, 2);
	iobus_write(&r->io, 0xcf9, 2, 0x0606); /* not a byte: conf2, ignored */
	CHECK_EQ(r->resets, 2);
	/* The conf1 address register is untouched by all this. */
	iobus_write(&r->io, 0xcf8, 4, 0x80000800u);
	iobus_write(&r->io, 0xcf9, 1, 0x00);
	CHECK_EQ(iobus_read(&r->io, 0xcf8, 4), 0x80000800u);
	rig_free(r);
}
