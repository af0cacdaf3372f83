/*
 * PIIX3 function 0: PIRQ routing, port 0x92 and the reset control
 * register; see dev/piix3.h.
 */
#include "dev/piix3.h"

#include <stdlib.h>

#include "dev/le.h"

#define PORT92 0x92
#define PORT92_RESET 0x01
#define PORT92_A20 0x02
#define RCR_RESET_CPU 0x04 /* RCR bit 2: a 0->1 transition resets */
#define RCR_WRITABLE 0x0e
#define CFG_SIZE 256
#define ROUTABLE_IRQS 0xdef8u /* 3-7, 9-12, 14, 15 */

struct piix3 {
	struct pci_bus *bus;
	struct iobus *io;
	void (*reset)(void *opaque);
	void *opaque;
	uint8_t conf[CFG_SIZE];
	uint8_t wmask[CFG_SIZE];
	uint8_t port92;
	uint8_t rcr;
};

static int route_of(uint8_t reg)
{
	int irq = reg & 0x0f;
	if ((reg & PIIX3_PIRQ_DISABLE) || !(ROUTABLE_IRQS & (1u << irq)))
		return -1;
	return irq;
}

static uint32_t cfg_read(void *opaque, unsigned offset, int size)
{
	struct piix3 *p = opaque;
	return get_le(&p->conf[offset], size);
}

static void cfg_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct piix3 *p = opaque;
	pci_masked_write(p->conf, p->wmask, offset, size, val);
	for (int i = 0; i < 4; i++)
		if (offset <= PIIX3_PIRQRC + (unsigned)i && PIIX3_PIRQRC + (unsigned)i < offset + (unsigned)size)
			pci_set_pirq_route(p->bus, i, route_of(p->conf[PIIX3_PIRQRC + i]));
}

/* --- port 0x92 and 0xCF9 -------------------------------------------------- */

static uint32_t port92_read(void *opaque, uint32_t port, int size)
{
	struct piix3 *p = opaque;
	(void)port;
	return size == 1 ? p->port92 : (size == 2 ? 0xff00u : 0xffffff00u) | p->port92;
}

static void port92_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct piix3 *p = opaque;
	(void)port, (void)size;
	p->port92 = (uint8_t)(val & PORT92_A20);
	if ((val & PORT92_RESET) && p->reset)
		p->reset(p->opaque);
}

static uint32_t rcr_read(void *opaque, uint32_t port, int size)
{
	struct piix3 *p = opaque;
	(void)port, (void)size;
	return p->rcr;
}

static void rcr_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct piix3 *p = opaque;
	(void)port, (void)size;
	bool fire = (val & RCR_RESET_CPU) && !(p->rcr & RCR_RESET_CPU);
	p->rcr = (uint8_t)(val & RCR_WRITABLE & ~RCR_RESET_CPU);
	if (fire && p->reset)
		p->reset(p->opaque);
}

/* --- lifetime ------------------------------------------------------------- */

static void init_conf(struct piix3 *p)
{
	for (int i = 0; i < 4; i++) {
		p->conf[PIIX3_PIRQRC + i] = PIIX3_PIRQ_DISABLE;
		p->wmask[PIIX3_PIRQRC + i] = 0x8f;
	}
	p->conf[0x4c] = 0x4d; /* ISA I/O recovery timer */
	p->conf[0x4e] = 0x03; /* X-bus chip select */
	p->conf[0x69] = 0x02; /* top of memory */
	p->conf[0x70] = 0x80; /* MBIRQ0: disabled */
	p->conf[0x76] = 0x0c; /* MBDMA */
	p->conf[0x77] = 0x0c;
	p->conf[0x78] = 0x02; /* PCSC */
	p->conf[0xa0] = 0x08; /* SMICNTL */
	p->conf[0xa8] = 0x0f;
	p->wmask[0x4c] = p->wmask[0x4e] = p->wmask[0x4f] = 0xff;
	p->wmask[0x69] = p->wmask[0x6a] = 0xff;
	p->wmask[0x70] = p->wmask[0x76] = p->wmask[0x77] = 0xff;
	p->wmask[0x78] = p->wmask[0x79] = 0xff;
	for (int o = 0x80; o < 0xb0; o++)
		p->wmask[o] = 0xff; /* APIC base, DLC, SMI, system event registers */
}

static const struct pci_device_info isa_bridge_info = {
	.name = "piix3-isa",
	.vendor_id = 0x8086, .device_id = 0x7000, /* 82371SB PIIX3 ISA */
	.class_code = 0x06, .subclass = 0x01, .prog_if = 0x00,
	.cfg_read = cfg_read, .cfg_write = cfg_write,
};

struct piix3 *piix3_create(struct pci_bus *bus, struct iobus *io, void (*reset)(void *opaque),
			   void *opaque)
{
	struct piix3 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	*p = (struct piix3){ .bus = bus, .io = io, .reset = reset, .opaque = opaque };
	init_conf(p);
	struct pci_device_info info = isa_bridge_info;
	info.opaque = p;
	if (iobus_register(io, "port92", PORT92, 1, port92_read, port92_write, p) < 0) {
		free(p);
		return NULL;
	}
	if (!pci_register_fn(bus, PIIX3_SLOT, 0, &info)) {
		iobus_unregister(io, PORT92);
		free(p);
		return NULL;
	}
	for (int i = 0; i < 4; i++)
		pci_set_pirq_route(bus, i, -1); /* the chip's reset state */
	pci_set_cf9_handler(bus, rcr_read, rcr_write, p);
	return p;
}

/* Before pci_destroy: the bus still points at us for 0xCF9. */
void piix3_destroy(struct piix3 *p)
{
	if (!p)
		return;
	iobus_unregister(p->io, PORT92);
	pci_set_cf9_handler(p->bus, NULL, NULL, NULL);
	free(p);
}
