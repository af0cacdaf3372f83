/*
 * Fuzz target: the chipset a guest reaches through ports and PCI
 * configuration space (src/dev/i440fx.c, piix3.c, piix_pm.c, fw_cfg.c,
 * pci.c): PAM and SMRAM, the PIRQ routes, port 0x92 and 0xCF9, the PM
 * registers and timer, the APM and GPE0 ports, fw_cfg selectors and reads,
 * with any width and value and the clock moving.  ASan watches guest RAM
 * (the shadowed BIOS area lives in it) and the ROM.
 *
 * fuzz-plant: src/dev/fw_cfg.c
 * fuzz-plant-from: 	if (!f->cur || f->offset >= f->cur->len)
 * fuzz-plant-to: 	if (!f->cur || f->offset > f->cur->len)
 */
#include "fuzz.h"

#include "dev/fw_cfg.h"
#include "dev/i440fx.h"
#include "dev/piix3.h"
#include "dev/piix_pm.h"

#define RAM (1u << 20) /* the least the bridge takes: the PAM area's top */
#define ROM (64u << 10)
#define MAX_OPS 512

static uint64_t now;

static uint64_t clock_now(void *o)
{
	(void)o;
	return now;
}

static const uint16_t ports[] = {
	0xcf8, 0xcf9, 0xcfc, 0xcfd, 0xcfe, 0x92, 0x510, 0x511, 0xb2, 0xb3,
	0xafe0, 0xafe2, 0xafe3, 0xb000, 0xb002, 0xb004, 0xb005, 0xb008, 0xb00a, 0xb03f,
};

static void op(struct fuzz_in *in, struct iobus *io, struct pci_bus *pci)
{
	uint8_t k = fin_u8(in);
	int size = 1 << (k >> 4 & 3) % 3;
	switch (k & 3) {
	case 0: {
		uint16_t port = ports[fin_u8(in) % (sizeof(ports) / sizeof(ports[0]))];
		iobus_write(io, port, size, fin_u32(in));
		break;
	}
	case 1: {
		uint16_t port = ports[fin_u8(in) % (sizeof(ports) / sizeof(ports[0]))];
		(void)iobus_read(io, port, size);
		break;
	}
	case 2: { /* configuration space of slot 0 or 1, any function */
		uint8_t where = fin_u8(in);
		pci_config_write_fn(pci, where & 1, (where >> 1) & 7, fin_u8(in), size, fin_u32(in));
		break;
	}
	default:
		now += fin_u32(in);
		break;
	}
}

/* Guest RAM and the ROM image are allocated once (a fresh 1 MiB mapping
 * per input cost more than all the rest) and rewritten for each input, so
 * every input still starts from zeroed RAM and the same ROM. */
static uint8_t *ram, *rom;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	static struct iobus io;
	struct mmiobus mmio;
	struct vclock clock = { clock_now, NULL };
	now = 0;
	if (!ram) {
		ram = malloc(RAM);
		rom = malloc(ROM);
		FUZZ_CHECK(ram && rom, "malloc");
	}
	memset(ram, 0, RAM);
	memset(rom, 0xc3, ROM);
	iobus_init(&io);
	mmiobus_init(&mmio);
	struct pci_bus *pci = pci_create(&io, &mmio, NULL);
	struct i440fx *hb = i440fx_create(pci, &mmio, &(struct i440fx_config){
		.ram = ram, .ram_size = RAM, .rom = rom, .rom_size = ROM });
	struct piix3 *isa = piix3_create(pci, &io, NULL, NULL);
	struct piix_pm *pm = piix_pm_create(&(struct piix_pm_config){
		.bus = pci, .slot = 1, .io = &io, .clock = &clock });
	struct fw_cfg *fw = fw_cfg_create(&io);
	if (!hb || !isa || !pm || !fw || fw_cfg_add_file(fw, "etc/e820", ram, 20) < 0)
		abort();
	piix_pm_enable_io(pm);
	for (int i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		op(&in, &io, pci);
	fw_cfg_destroy(fw);
	piix_pm_destroy(pm);
	piix3_destroy(isa);
	i440fx_destroy(hb);
	pci_destroy(pci);
	return 0;
}
