/*
 * The 440FX host bridge: PAM shadowing and the firmware ROM; see
 * dev/i440fx.h.
 *
 * PAM registers hold two bits per segment: RE (bit 0, reads go to DRAM)
 * and WE (bit 1, writes go to DRAM).  Reads are what the engine sees in
 * guest RAM, so RE is exact.  WE is not enforced: the engine writes guest
 * RAM directly, so a write to a segment whose reads come from ROM lands
 * in the ROM's image (the guest only changes what it reads back), and a
 * write to a read-only segment sticks.  SeaBIOS never depends on either.
 */
#include "dev/i440fx.h"

#include <stdlib.h>
#include <string.h>

#include "dev/le.h"

#define PAM_RE 1u
#define PAM_WE 2u
#define NSEGS 13
#define CFG_SIZE 256
#define ISA_TOP 0x100000u

struct pam_seg {
	uint32_t base, size;
	uint8_t reg, shift;
};

/* PAM0's high nibble is the 64 KiB F segment; PAM1..6 split 0xC0000-
 * 0xEFFFF into 16 KiB pieces, low nibble first. */
static const struct pam_seg segs[NSEGS] = {
	{ 0xf0000, 0x10000, 0x59, 4 },
	{ 0xc0000, 0x4000, 0x5a, 0 }, { 0xc4000, 0x4000, 0x5a, 4 },
	{ 0xc8000, 0x4000, 0x5b, 0 }, { 0xcc000, 0x4000, 0x5b, 4 },
	{ 0xd0000, 0x4000, 0x5c, 0 }, { 0xd4000, 0x4000, 0x5c, 4 },
	{ 0xd8000, 0x4000, 0x5d, 0 }, { 0xdc000, 0x4000, 0x5d, 4 },
	{ 0xe0000, 0x4000, 0x5e, 0 }, { 0xe4000, 0x4000, 0x5e, 4 },
	{ 0xe8000, 0x4000, 0x5f, 0 }, { 0xec000, 0x4000, 0x5f, 4 },
};

struct i440fx {
	struct i440fx_config cfg;
	struct mmiobus *mmio;
	uint8_t *rom;            /* our copy; NULL without firmware */
	uint32_t rom_base;       /* where it sits below 4 GiB */
	uint8_t conf[CFG_SIZE];  /* offsets 0x40 up; the bus owns the header */
	uint8_t wmask[CFG_SIZE];
	uint8_t attr[NSEGS];     /* PAM_RE | PAM_WE now in force */
	uint8_t hidden[I440FX_PAM_SIZE]; /* DRAM behind segments that read ROM */
};

/* --- the ROM -------------------------------------------------------------- */

/* What reads of [addr, addr + len) in the PAM area see when they go to
 * the ROM side: the ROM's last 128 KiB at 0xE0000-0xFFFFF, nothing (all
 * ones) below.  Copied a run at a time: a whole segment switches at once. */
static void rom_view(const struct i440fx *h, uint8_t *dst, uint32_t addr, uint32_t len)
{
	uint32_t window = h->cfg.rom_size < I440FX_ISA_BIOS_SIZE ? h->cfg.rom_size : I440FX_ISA_BIOS_SIZE;
	uint32_t start = h->rom ? ISA_TOP - window : ISA_TOP; /* where the ROM begins */
	uint32_t blank = addr >= start ? 0 : (start - addr < len ? start - addr : len);
	memset(dst, 0xff, blank);
	if (blank < len)
		memcpy(dst + blank, h->rom + h->cfg.rom_size - (ISA_TOP - (addr + blank)), len - blank);
}

static uint32_t rom_read(void *opaque, uint32_t addr, int size)
{
	struct i440fx *h = opaque;
	uint32_t off = addr - h->rom_base, v = 0;
	for (int i = 0; i < size; i++) {
		uint8_t b = off + (uint32_t)i < h->cfg.rom_size ? h->rom[off + (uint32_t)i] : 0xff;
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

/* --- PAM ------------------------------------------------------------------ */

static void set_segment(struct i440fx *h, int i, uint8_t attr)
{
	const struct pam_seg *s = &segs[i];
	uint8_t *ram = h->cfg.ram + s->base;
	uint8_t *dram = h->hidden + (s->base - I440FX_PAM_BASE);
	bool was = h->attr[i] & PAM_RE, now = attr & PAM_RE;
	h->attr[i] = attr;
	if (was == now)
		return;
	if (now) {
		memcpy(ram, dram, s->size);
	} else {
		memcpy(dram, ram, s->size);
		rom_view(h, ram, s->base, s->size);
	}
	if (h->cfg.ram_written)
		h->cfg.ram_written(h->cfg.ram_opaque, s->base, s->size);
}

static void apply_pam(struct i440fx *h)
{
	for (int i = 0; i < NSEGS; i++)
		set_segment(h, i, (uint8_t)((h->conf[segs[i].reg] >> segs[i].shift) & 3));
}

/* --- configuration space above the header --------------------------------- */

static uint32_t cfg_read(void *opaque, unsigned offset, int size)
{
	struct i440fx *h = opaque;
	return get_le(&h->conf[offset], size);
}

static void cfg_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct i440fx *h = opaque;
	pci_masked_write(h->conf, h->wmask, offset, size, val);
	if (offset < I440FX_PAM0 + 7 && offset + (unsigned)size > I440FX_PAM0)
		apply_pam(h);
}

static void init_conf(struct i440fx *h)
{
	h->conf[0x50] = 0x80; /* PMCCFG */
	h->conf[0x51] = 0x01;
	h->conf[I440FX_SMRAM] = 0x02; /* C_BASE_SEG: SMRAM at 0xA0000 */
	memset(&h->wmask[0x50], 0xff, 9);  /* PMCCFG .. DRAMT */
	memset(&h->wmask[0x60], 0xff, 8);  /* DRB0..7 */
	h->wmask[I440FX_PAM0] = 0x30;
	memset(&h->wmask[I440FX_PAM0 + 1], 0x33, 6);
	h->wmask[I440FX_SMRAM] = 0x78; /* D_OPEN, D_CLS, D_LCK, G_SMRAME */
	/* No firmware: shadow RAM everywhere, readable and writable. */
	uint8_t pam0 = h->rom ? 0 : 0x30, pam = h->rom ? 0 : 0x33;
	h->conf[I440FX_PAM0] = pam0;
	memset(&h->conf[I440FX_PAM0 + 1], pam, 6);
}

/* --- lifetime ------------------------------------------------------------- */

static bool config_valid(const struct i440fx_config *c)
{
	if (!c->ram || c->ram_size < ISA_TOP)
		return false;
	if (!c->rom)
		return true;
	return c->rom_size >= I440FX_ROM_MIN && c->rom_size <= I440FX_ROM_MAX &&
	       c->rom_size % I440FX_ROM_MIN == 0;
}

static const struct pci_device_info bridge_info = {
	.name = "i440fx",
	.vendor_id = 0x8086, .device_id = 0x1237, /* 82441FX PMC */
	.revision = 0x02,
	.class_code = 0x06, .subclass = 0x00, .prog_if = 0x00,
	.cfg_read = cfg_read, .cfg_write = cfg_write,
};

struct i440fx *i440fx_create(struct pci_bus *bus, struct mmiobus *mmio, const struct i440fx_config *cfg)
{
	if (!config_valid(cfg))
		return NULL;
	struct i440fx *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->cfg = *cfg;
	h->mmio = mmio;
	if (cfg->rom) {
		h->rom = malloc(cfg->rom_size);
		h->rom_base = (uint32_t)(0x100000000ull - cfg->rom_size);
		if (!h->rom || mmiobus_register(mmio, "bios", h->rom_base, cfg->rom_size, rom_read, NULL, h) < 0) {
			free(h->rom);
			free(h);
			return NULL;
		}
		memcpy(h->rom, cfg->rom, cfg->rom_size);
	}
	for (int i = 0; i < NSEGS; i++)
		h->attr[i] = PAM_RE | PAM_WE; /* guest RAM starts as plain DRAM */
	init_conf(h);
	struct pci_device_info info = bridge_info;
	info.opaque = h;
	if (!pci_replace_host_bridge(bus, &info)) {
		i440fx_destroy(h);
		return NULL;
	}
	apply_pam(h); /* with a ROM: the reset state, ROM readable at 0xE0000 */
	return h;
}

void i440fx_destroy(struct i440fx *h)
{
	if (!h)
		return;
	if (h->rom) {
		mmiobus_unregister(h->mmio, h->rom_base);
		free(h->rom);
	}
	free(h);
}
