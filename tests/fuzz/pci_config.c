/*
 * Fuzz target: PCI configuration writes (src/dev/pci.c) through the conf1
 * ports and directly, against a bus with the host bridge, a virtio-rng
 * (capabilities, config-space window) and two test functions with I/O and
 * memory BARs and an interrupt pin.  Between writes the input accesses the
 * BARs (at their last bytes too), raises and lowers the functions' INTx,
 * and takes a function off the bus and puts it back.
 *
 * Checked beyond ASan: a BAR is decoded only at a base aligned to its
 * size, inside the I/O or 32-bit space and with its decode bit on; an
 * access reaches a function only inside its BAR; every PCI interrupt line
 * the bus drives is exactly the OR of the functions whose INTx is raised,
 * enabled and routed there; and once everything is removed no region is
 * left on either bus.
 *
 * fuzz-plant: src/dev/pci.c
 * fuzz-plant-from: if (!desc->read || off + (uint32_t)size > desc->size)
 * fuzz-plant-to: if (!desc->read || off > desc->size)
 */
#include "fuzz.h"

#include "dev/bus.h"
#include "dev/pci.h"
#include "dev/virtio_rng.h"

#define NTEST 2
#define RNG_SLOT 4
#define IO_BAR_SIZE 32u
#define MEM_BAR_SIZE 4096u
#define BIG_BAR_SIZE (1u << 20)
#define CONF1_ADDR 0xcf8
#define CONF1_DATA 0xcfc

struct testfn {
	int slot;
	struct pci_device *dev; /* NULL while off the bus */
	struct pci_device_info info;
	bool level;
};

static struct iobus io;
static struct mmiobus mmio;
static struct pci_bus *bus;
static int isa_level[16];
static struct testfn fns[NTEST];
static uint8_t *ram;

static void record_irq(void *opaque, int irq, int level)
{
	(void)opaque;
	FUZZ_CHECK(irq >= 0 && irq < 16, "IRQ %d", irq);
	isa_level[irq] = level;
}

/* --- the test functions' BARs -------------------------------------------------- */

static void check_access(uint32_t off, int size, uint32_t bar_size, const char *what)
{
	FUZZ_CHECK(size == 1 || size == 2 || size == 4, "%s of %d bytes", what, size);
	FUZZ_CHECK(off + (uint32_t)size <= bar_size, "%s at %u + %d, BAR of %u bytes", what, off,
		   size, bar_size);
}

static uint32_t io_read(void *opaque, uint32_t off, int size)
{
	(void)opaque;
	check_access(off, size, IO_BAR_SIZE, "I/O BAR read");
	return off;
}

static void io_write(void *opaque, uint32_t off, int size, uint32_t val)
{
	(void)opaque, (void)val;
	check_access(off, size, IO_BAR_SIZE, "I/O BAR write");
}

static uint32_t mem_read(void *opaque, uint32_t off, int size)
{
	(void)opaque;
	check_access(off, size, MEM_BAR_SIZE, "memory BAR read");
	return off;
}

static void mem_write(void *opaque, uint32_t off, int size, uint32_t val)
{
	(void)opaque, (void)val;
	check_access(off, size, MEM_BAR_SIZE, "memory BAR write");
}

static void init_fn(struct testfn *f, int n)
{
	f->slot = 2 + n;
	f->info = (struct pci_device_info){
		.name = n ? "test1" : "test0",
		.vendor_id = 0x1234, .device_id = (uint16_t)(0x10 + n),
		.class_code = 0xff, .interrupt_pin = (uint8_t)(1 + n),
		.bars[0] = { PCI_BAR_IO, IO_BAR_SIZE, io_read, io_write },
		.bars[1] = { PCI_BAR_MEM32, MEM_BAR_SIZE, mem_read, mem_write },
		.bars[3] = { PCI_BAR_MEM32, BIG_BAR_SIZE, NULL, NULL },
		.opaque = f,
	};
	f->dev = pci_register(bus, f->slot, &f->info);
	f->level = false;
	FUZZ_CHECK(f->dev, "cannot register test function %d", n);
}

/* --- the checks ----------------------------------------------------------------- */

static uint16_t command_of(int slot)
{
	return (uint16_t)pci_config_read(bus, slot, PCI_COMMAND, 2);
}

static void check_bars(const struct testfn *f)
{
	uint16_t cmd = command_of(f->slot);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_desc *d = &f->info.bars[i];
		uint32_t base;
		if (!pci_bar_mapped(f->dev, i, &base))
			continue;
		FUZZ_CHECK(d->kind != PCI_BAR_NONE, "%s: BAR %d has no size but is mapped", f->info.name, i);
		FUZZ_CHECK(base && base % d->size == 0, "%s: BAR %d at %#x, size %#x", f->info.name, i,
			   base, d->size);
		if (d->kind == PCI_BAR_IO)
			FUZZ_CHECK((cmd & PCI_COMMAND_IO) && base + d->size <= 0x10000,
				   "%s: I/O BAR %d at %#x (command %#x)", f->info.name, i, base, cmd);
		else
			FUZZ_CHECK((cmd & PCI_COMMAND_MEMORY) && (uint64_t)base + d->size <= 1ull << 32,
				   "%s: memory BAR %d at %#x (command %#x)", f->info.name, i, base, cmd);
	}
}

/* Each PCI line is the OR of the functions asserting it (pci.h: pin P of
 * slot D drives PIRQ (D + P - 1) mod 4); the INTx-disable bit masks one. */
static void check_irqs(void)
{
	bool want[16] = { false };
	for (int n = 0; n < NTEST; n++) {
		const struct testfn *f = &fns[n];
		if (!f->dev || !f->level || (command_of(f->slot) & PCI_COMMAND_INTX_DISABLE))
			continue;
		want[pci_slot_irq(f->slot, f->info.interrupt_pin)] = true;
	}
	for (int irq = 0; irq < 16; irq++)
		if (PCI_IRQ_MASK >> irq & 1)
			FUZZ_CHECK(isa_level[irq] == want[irq], "IRQ %d at level %d, expected %d", irq,
				   isa_level[irq], want[irq]);
}

static void check_all(void)
{
	for (int n = 0; n < NTEST; n++)
		if (fns[n].dev)
			check_bars(&fns[n]);
	check_irqs();
}

/* --- what the input does --------------------------------------------------------- */

static int pick_size(struct fuzz_in *in)
{
	static const int sizes[] = { 1, 2, 4, 3 };
	return sizes[fin_u8(in) % 4];
}

/* A slot: one of ours (empty ones included), or any of the 32. */
static int pick_slot(struct fuzz_in *in)
{
	uint8_t b = fin_u8(in);
	return b & 0x80 ? b % PCI_SLOTS : 2 + b % 4; /* 2, 3 test; 4 rng; 5 empty */
}

static void op_conf1(struct fuzz_in *in)
{
	uint8_t b = fin_u8(in);
	if (b % 3 == 0) { /* the address register: enable, slot, function, register */
		uint32_t reg = fin_u8(in), slot = (uint32_t)pick_slot(in);
		uint32_t addr = b & 0x80 ? fin_u32(in) : 0x80000000u | slot << 11 | (reg & 0xfc);
		iobus_write(&io, CONF1_ADDR, 4, addr);
		return;
	}
	uint16_t port = (uint16_t)(CONF1_ADDR + fin_u8(in) % 8);
	int size = pick_size(in);
	if (size == 3)
		size = 1;
	if (b % 3 == 1)
		(void)iobus_read(&io, port, size);
	else
		iobus_write(&io, port, size, fin_u32(in));
}

static void op_direct(struct fuzz_in *in)
{
	int slot = pick_slot(in);
	unsigned off = fin_u8(in);
	int size = pick_size(in);
	uint32_t val = fin_u32(in);
	if (fin_u8(in) & 1)
		(void)pci_config_read(bus, slot, off, size);
	else
		pci_config_write(bus, slot, off, size, val);
}

/* An access to a mapped BAR, often at its last bytes. */
static void op_bar_access(struct fuzz_in *in)
{
	struct testfn *f = &fns[fin_u8(in) % NTEST];
	int bar = fin_u8(in) % 4;
	uint32_t base, back = fin_u8(in) % 8;
	int size = pick_size(in);
	if (size == 3)
		size = 4;
	if (!f->dev || !pci_bar_mapped(f->dev, bar, &base))
		return;
	uint32_t addr = base + f->info.bars[bar].size - 1 - back;
	uint32_t v;
	if (f->info.bars[bar].kind == PCI_BAR_IO)
		iobus_read(&io, (uint16_t)addr, size);
	else
		mmiobus_read(&mmio, addr, size, &v);
}

static void op_raw_access(struct fuzz_in *in)
{
	uint32_t addr = fin_u32(in), v;
	int size = pick_size(in);
	if (size == 3)
		size = 2;
	if (fin_u8(in) & 1)
		iobus_write(&io, (uint16_t)addr, size, fin_u32(in));
	else
		mmiobus_read(&mmio, addr, size, &v);
}

static void op_intx(struct fuzz_in *in)
{
	struct testfn *f = &fns[fin_u8(in) % NTEST];
	if (!f->dev)
		return;
	f->level = fin_u8(in) & 1;
	pci_set_irq(f->dev, f->level);
}

static void op_replug(struct fuzz_in *in)
{
	int n = fin_u8(in) % NTEST;
	struct testfn *f = &fns[n];
	if (f->dev) {
		pci_unregister(f->dev); /* must also drop its INTx */
		f->dev = NULL;
		f->level = false;
	} else {
		init_fn(f, n);
	}
}

static void step(struct fuzz_in *in)
{
	switch (fin_u8(in) % 8) {
	case 0:
	case 1:
		op_conf1(in);
		break;
	case 2:
	case 3:
		op_direct(in);
		break;
	case 4:
		op_bar_access(in);
		break;
	case 5:
		op_raw_access(in);
		break;
	case 6:
		op_intx(in);
		break;
	default:
		op_replug(in);
		break;
	}
	check_all();
}

static int rng_source(void *opaque, void *buf, size_t len)
{
	(void)opaque;
	memset(buf, 0x5a, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	if (!ram)
		ram = malloc(4096);
	memset(isa_level, 0, sizeof(isa_level));
	iobus_init(&io);
	mmiobus_init(&mmio);
	bus = pci_create(&io, &mmio, &(struct irq_line){ record_irq, NULL });
	FUZZ_CHECK(bus && ram, "cannot create the bus");
	for (int n = 0; n < NTEST; n++)
		init_fn(&fns[n], n);
	struct virtio_rng_config rc = { .ram = ram, .ram_size = 4096, .random = rng_source };
	struct virtio_rng *rng = virtio_rng_create(bus, RNG_SLOT, &rc);
	FUZZ_CHECK(rng, "cannot create virtio-rng");
	for (int i = 0; i < 128 && !fin_empty(&in); i++)
		step(&in);
	virtio_rng_destroy(rng);
	for (int n = 0; n < NTEST; n++) {
		pci_unregister(fns[n].dev);
		fns[n].dev = NULL;
		fns[n].level = false;
	}
	check_irqs();
	pci_destroy(bus);
	FUZZ_CHECK(io.nregions == 0 && mmio.nregions == 0, "%d port and %d MMIO regions left",
		   io.nregions, mmio.nregions);
	return 0;
}
