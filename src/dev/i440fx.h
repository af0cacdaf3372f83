/*
 * The Intel 440FX host bridge (82441FX PMC) at 00:00.0, with what firmware
 * needs of it: the programmable attribute map (PAM) that decides, for each
 * piece of 0xC0000-0xFFFFF, whether reads and writes reach DRAM or the
 * BIOS ROM, and the firmware ROM itself, mapped at the top of the 4 GiB
 * space with its last 128 KiB also at 0xE0000-0xFFFFF.
 *
 * The engine reads guest RAM directly, so the region's RAM holds what a
 * read sees: the ROM's bytes while a segment reads from ROM, DRAM's once
 * the firmware turns read-enable on.  The bridge keeps the DRAM contents
 * that are hidden behind the ROM and swaps them in and out as PAM changes,
 * telling the engine (ram_written) so it drops code it decoded there.
 *
 * Without a ROM (direct kernel boot) every segment is DRAM, readable and
 * writable, as firmware would have left it.
 */
#ifndef CORDON_DEV_I440FX_H
#define CORDON_DEV_I440FX_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/pci.h"

#define I440FX_PAM0 0x59     /* PAM0..PAM6: 0x59..0x5f */
#define I440FX_SMRAM 0x72
#define I440FX_ISA_BIOS_SIZE 0x20000u /* the ROM's tail seen at 0xE0000 */
#define I440FX_PAM_BASE 0xc0000u
#define I440FX_PAM_SIZE 0x40000u
#define I440FX_ROM_MIN 0x10000u
#define I440FX_ROM_MAX (16u << 20)

struct i440fx_config {
	uint8_t *ram;
	uint32_t ram_size;    /* at least 1 MiB */
	const uint8_t *rom;   /* NULL: no firmware; the bytes are copied */
	uint32_t rom_size;    /* a multiple of 64 KiB, 64 KiB..16 MiB */
	void (*ram_written)(void *opaque, uint32_t addr, uint32_t len);
	void *ram_opaque;
};

struct i440fx;

/* Puts the bridge at 00:00.0 and maps the ROM; NULL on a bad config, when
 * the ROM's addresses are taken, or without memory. */
struct i440fx *i440fx_create(struct pci_bus *bus, struct mmiobus *mmio, const struct i440fx_config *cfg);
void i440fx_destroy(struct i440fx *h);

#endif
