/* The 440FX host bridge: PAM shadowing of the BIOS ROM, as SeaBIOS drives it. */
#include "t.h"

#include <stdlib.h>

#include "dev/i440fx.h"

#define RAM_SIZE (2u << 20)
#define ROM_SIZE (256u << 10)

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct pci_bus *pci;
	struct i440fx *hb;
	uint8_t *ram, *rom;
	unsigned written;
	uint32_t last_addr, last_len;
};

static void on_written(void *opaque, uint32_t addr, uint32_t len)
{
	struct rig *r = opaque;
	r->written++;
	r->last_addr = addr;
	r->last_len = len;
}

static struct rig *rig_new(bool with_rom)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->pci = pci_create(&r->io, &r->mmio, NULL);
	r->ram = calloc(1, RAM_SIZE);
	r->rom = malloc(ROM_SIZE);
	for (uint32_t i = 0; i < ROM_SIZE; i++)
		r->rom[i] = (uint8_t)(i * 7 + (i >> 16));
	struct i440fx_config c = {
		.ram = r->ram, .ram_size = RAM_SIZE,
		.rom = with_rom ? r->rom : NULL, .rom_size = with_rom ? ROM_SIZE : 0,
		.ram_written = on_written, .ram_opaque = r,
	};
	r->hb = i440fx_create(r->pci, &r->mmio, &c);
	return r;
}

static void rig_free(struct rig *r)
{
	i440fx_destroy(r->hb);
	pci_destroy(r->pci);
	free(r->ram);
	free(r->rom);
	free(r);
}

/* The ROM byte a read of low address a sees through the 128 KiB window. */
static uint8_t rom_at(struct rig *r, uint32_t a)
{
	return r->rom[ROM_SIZE - (0x100000u - a)];
}

TEST(i440fx_reset_shows_the_rom_high_and_low)
{
	struct rig *r = rig_new(true);
	CHECK(r->hb != NULL);
	CHECK_EQ(pci_config_read(r->pci, 0, 0x00, 4), 0x12378086u);
	for (int i = 0; i < 7; i++)
		CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0 + (unsigned)i, 1), 0);
	/* The reset vector: the ROM's last 16 bytes at 0xFFFFFFF0. */
	uint32_t v;
	CHECK(mmiobus_read(&r->mmio, 0xfffffff0u, 4, &v));
	CHECK_EQ(v, (uint32_t)r->rom[ROM_SIZE - 16] | (uint32_t)r->rom[ROM_SIZE - 15] << 8 |
			    (uint32_t)r->rom[ROM_SIZE - 14] << 16 | (uint32_t)r->rom[ROM_SIZE - 13] << 24);
	CHECK(mmiobus_read(&r->mmio, 0x100000000ull - ROM_SIZE, 1, &v));
	CHECK_EQ(v, r->rom[0]);
	/* A read straddling the top of memory: the missing byte is all ones. */
	CHECK(mmiobus_read(&r->mmio, 0xfffffffeu, 4, &v));
	CHECK_EQ(v >> 16, 0xffff);
	mmiobus_write(&r->mmio, 0xfffffff0u, 4, 0); /* flash is not writable */
	CHECK(mmiobus_read(&r->mmio, 0xfffffff0u, 1, &v));
	CHECK_EQ(v, r->rom[ROM_SIZE - 16]);
	/* Low alias: the last 128 KiB at 0xE0000, nothing below. */
	CHECK_EQ(r->ram[0xffff0], rom_at(r, 0xffff0));
	CHECK_EQ(r->ram[0xe0000], rom_at(r, 0xe0000));
	CHECK_EQ(r->ram[0xdffff], 0xff);
	CHECK_EQ(r->ram[0xc0000], 0xff);
	CHECK_EQ(r->ram[0xbffff], 0); /* below the PAM area: plain RAM */
	rig_free(r);
}

TEST(i440fx_pam_shadowing_as_seabios_does_it)
{
	struct rig *r = rig_new(true);
	/* Enable DRAM reads and writes for everything: the shadow is empty. */
	r->written = 0;
	pci_config_write(r->pci, 0, 0x58, 4, 0x33333000u); /* PAM0 = 0x30, PAM1-2 = 0x33 */
	pci_config_write(r->pci, 0, 0x5c, 4, 0x33333333u);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0, 1), 0x30);
	CHECK(r->written >= 13);
	CHECK_EQ(r->ram[0xffff0], 0);
	CHECK_EQ(r->ram[0xc0000], 0);
	/* The firmware copies itself down from the high ROM... */
	for (uint32_t a = 0xe0000; a < 0x100000; a++)
		r->ram[a] = rom_at(r, a);
	r->ram[0xf1234] = 0x5a; /* ...and keeps state in its shadow */
	/* Write-protect F: reads still from DRAM, contents unchanged. */
	pci_config_write(r->pci, 0, I440FX_PAM0, 1, 0x10);
	CHECK_EQ(r->ram[0xf1234], 0x5a);
	/* Back to ROM reads: DRAM is hidden, the ROM shows again... */
	pci_config_write(r->pci, 0, I440FX_PAM0, 1, 0x00);
	CHECK_EQ(r->ram[0xf1234], rom_at(r, 0xf1234));
	CHECK_EQ(r->last_addr, 0xf0000);
	CHECK_EQ(r->last_len, 0x10000);
	/* ...and comes back intact when DRAM reads are on again. */
	pci_config_write(r->pci, 0, I440FX_PAM0, 1, 0x30);
	CHECK_EQ(r->ram[0xf1234], 0x5a);
	rig_free(r);
}

TEST(i440fx_pam_register_bits_and_segments)
{
	struct rig *r = rig_new(true);
	pci_config_write(r->pci, 0, I440FX_PAM0, 1, 0xff); /* only bits 5:4 exist */
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0, 1), 0x30);
	pci_config_write(r->pci, 0, I440FX_PAM0 + 1, 1, 0xff);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0 + 1, 1), 0x33);
	/* PAM1's low nibble is 0xC0000-0xC3FFF only. */
	pci_config_write(r->pci, 0, I440FX_PAM0 + 1, 1, 0x01);
	CHECK_EQ(r->ram[0xc0000], 0);
	CHECK_EQ(r->ram[0xc3fff], 0);
	CHECK_EQ(r->ram[0xc4000], 0xff);
	/* SMRAM: C_BASE_SEG reads 010 whatever is written. */
	pci_config_write(r->pci, 0, I440FX_SMRAM, 1, 0x00);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_SMRAM, 1), 0x02);
	pci_config_write(r->pci, 0, I440FX_SMRAM, 1, 0xff);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_SMRAM, 1), 0x7a);
	rig_free(r);
}

TEST(i440fx_without_rom_is_plain_shadow_ram)
{
	struct rig *r = rig_new(false);
	CHECK(r->hb != NULL);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0, 1), 0x30);
	CHECK_EQ(pci_config_read(r->pci, 0, I440FX_PAM0 + 6, 1), 0x33);
	r->ram[0xf0000] = 0x11; /* a loader's table there stays */
	uint32_t v;
	CHECK(!mmiobus_read(&r->mmio, 0xfffffff0u, 4, &v));
	CHECK_EQ(r->ram[0xf0000], 0x11);
	rig_free(r);
}

TEST(i440fx_rejects_bad_roms)
{
	struct iobus io;
	struct mmiobus mmio;
	iobus_init(&io);
	mmiobus_init(&mmio);
	struct pci_bus *pci = pci_create(&io, &mmio, NULL);
	uint8_t *ram = calloc(1, RAM_SIZE), rom[0x10000] = { 0 };
	struct i440fx_config c = { .ram = ram, .ram_size = RAM_SIZE, .rom = rom, .rom_size = 0x8000 };
	CHECK(i440fx_create(pci, &mmio, &c) == NULL); /* below 64 KiB */
	c.rom_size = 0x18000;
	CHECK(i440fx_create(pci, &mmio, &c) == NULL); /* not a multiple of 64 KiB */
	c.rom_size = 0x10000;
	c.ram_size = 0x80000;
	CHECK(i440fx_create(pci, &mmio, &c) == NULL); /* RAM must cover the PAM area */
	c.ram_size = RAM_SIZE;
	CHECK(mmiobus_register(&mmio, "x", 0xffff8000u, 0x1000, NULL, NULL, NULL) == 0);
	CHECK(i440fx_create(pci, &mmio, &c) == NULL); /* addresses taken */
	CHECK_EQ(pci_config_read(pci, 0, 0x00, 4), 0x12378086u); /* old bridge kept */
	pci_destroy(pci);
	free(ram);
}
