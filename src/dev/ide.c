/*
 * The PIIX3 IDE controller: registers, ATA commands and PIO; see
 * dev/ide.h.  ATAPI packets are in ide_atapi.c, the bus master in
 * ide_dma.c.
 *
 * The task file (features, count, LBA, device) is the channel's: both
 * drives latch every write, as on the cable, and each LBA48 register keeps
 * its previous value for the HOB read.  Status and error are each drive's.
 * A channel with no drive floats (reads all ones); an absent drive on a
 * channel with one reads as zeros, as QEMU's does.
 */
#include "dev/ide_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"

#define REG_DATA 0
#define REG_ERROR 1
#define REG_NSECT 2
#define REG_LBAL 3
#define REG_LBAM 4
#define REG_LBAH 5
#define REG_DEVICE 6
#define REG_STATUS 7
#define DEVCTL_NIEN 0x02
#define DEVCTL_SRST 0x04
#define DEVCTL_HOB 0x80
#define DEV_LBA 0x40
#define MAX_MULT 16
#define IDETIM_DECODE 0x8000

static const uint16_t chan_base[2] = { 0x1f0, 0x170 };
static const uint16_t chan_ctl[2] = { 0x3f6, 0x376 };
static const int chan_irq[2] = { IDE_IRQ_PRIMARY, IDE_IRQ_SECONDARY };

void ide_log(struct ide *ide, const char *msg)
{
	if (ide->cfg.log)
		ide->cfg.log(ide->cfg.log_opaque, msg);
}

/* --- interrupts and completion -------------------------------------------- */

static void update_irq(struct ide_channel *ch)
{
	irq_set(ch->ide->cfg.irq, ch->irq, ch->intrq && !(ch->devctl & DEVCTL_NIEN));
}

void ide_raise(struct ide_channel *ch)
{
	ch->intrq = true;
	ch->bm_status |= 0x04; /* the bus master's interrupt bit follows INTRQ */
	update_irq(ch);
}

static void lower(struct ide_channel *ch)
{
	ch->intrq = false;
	update_irq(ch);
}

void ide_done(struct ide_drive *d)
{
	d->status = ST_DRDY | ST_DSC;
	d->error = 0;
	d->xfer = X_NONE;
	ide_raise(d->ch);
}

void ide_abort(struct ide_drive *d, uint8_t error)
{
	d->status = ST_DRDY | ST_ERR;
	d->error = error;
	d->xfer = X_NONE;
	ide_raise(d->ch);
}

/* Data for the host: len bytes of buf, DRQ, an interrupt. */
void ide_pio_in(struct ide_drive *d, uint32_t len)
{
	d->pos = 0;
	d->len = len;
	d->xfer = X_PIO_IN;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	ide_raise(d->ch);
}

/* --- IDENTIFY ------------------------------------------------------------- */

/* ATA strings: two characters a word, the first in the high byte, padded
 * with spaces. */
void ide_identify_string(uint16_t *w, int first, int count, const char *s)
{
	size_t n = strlen(s);
	for (int i = 0; i < 2 * count; i++) {
		uint8_t c = (size_t)i < n ? (uint8_t)s[i] : ' ';
		if (i & 1)
			w[first + i / 2] |= c;
		else
			w[first + i / 2] = (uint16_t)(c << 8);
	}
}

static void put_words(uint8_t *buf, const uint16_t *w)
{
	for (int i = 0; i < 256; i++)
		put_le16(buf + 2 * i, w[i]);
}

static void ata_identify(struct ide_drive *d)
{
	uint16_t w[256] = { 0 };
	uint64_t lba28 = d->sectors > 0x0fffffff ? 0x0fffffff : d->sectors;
	uint32_t cyls = (uint32_t)(d->sectors / (16 * 63));
	if (cyls > 16383)
		cyls = 16383;
	w[0] = 0x0040; /* fixed disk */
	w[1] = (uint16_t)cyls, w[3] = 16, w[6] = 63;
	ide_identify_string(w, 10, 10, d->serial);
	ide_identify_string(w, 23, 4, "1.0");
	ide_identify_string(w, 27, 20, "CORDON HARDDISK");
	w[47] = 0x8000 | MAX_MULT;
	w[49] = 0x0300;              /* LBA, DMA */
	w[50] = 0x4000;
	w[53] = 0x0007;              /* words 54-58, 64-70 and 88 valid */
	w[54] = (uint16_t)cyls, w[55] = d->heads, w[56] = d->spt;
	uint32_t chs = cyls * d->heads * d->spt;
	w[57] = (uint16_t)chs, w[58] = (uint16_t)(chs >> 16);
	w[59] = d->mult ? (uint16_t)(0x100 | d->mult) : 0;
	w[60] = (uint16_t)lba28, w[61] = (uint16_t)(lba28 >> 16);
	w[63] = 0x0007 | ((d->xfer_mode >> 3) == 4 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
	w[64] = 0x0003;              /* PIO 3, 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x00f0;              /* ATA/ATAPI-4 to -7 */
	w[82] = 0x4020;              /* NOP, write cache */
	w[83] = 0x7400;              /* LBA48, FLUSH CACHE (EXT) */
	w[84] = 0x4000;
	w[85] = 0x4020, w[86] = 0x3400, w[87] = 0x4000;
	w[88] = 0x003f | ((d->xfer_mode >> 3) == 8 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
	w[93] = 0x6001;
	for (int i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(d->sectors >> (16 * i));
	put_words(d->buf, w);
	ide_pio_in(d, IDE_SECTOR);
}

/* --- addressing ----------------------------------------------------------- */

/* The command's first sector and count from the task file; false (and
 * the command aborted) when the range leaves the disk. */
static bool ata_range(struct ide_drive *d, bool lba48)
{
	struct ide_channel *ch = d->ch;
	uint64_t lba;
	uint32_t count;
	if (lba48) {
		lba = (uint64_t)ch->hob_lbah << 40 | (uint64_t)ch->hob_lbam << 32 |
		      (uint64_t)ch->hob_lbal << 24 | (uint32_t)ch->lbah << 16 | ch->lbam << 8 | ch->lbal;
		count = (uint32_t)(ch->hob_nsect << 8 | ch->nsect);
		count = count ? count : 65536;
	} else {
		count = ch->nsect ? ch->nsect : 256;
		if (ch->devsel & DEV_LBA) {
			lba = (uint32_t)(ch->devsel & 0x0f) << 24 | (uint32_t)ch->lbah << 16 |
			      ch->lbam << 8 | ch->lbal;
		} else {
			uint32_t cyl = (uint32_t)ch->lbah << 8 | ch->lbam, head = ch->devsel & 0x0f;
			if (!ch->lbal || ch->lbal > d->spt || head >= d->heads) {
				ide_abort(d, ER_IDNF);
				return false;
			}
			lba = ((uint64_t)cyl * d->heads + head) * d->spt + ch->lbal - 1;
		}
	}
	if (lba > d->sectors || count > d->sectors - lba) {
		ide_abort(d, ER_IDNF | ER_ABRT);
		return false;
	}
	d->lba = lba;
	d->left = count;
	return true;
}

/* --- PIO ------------------------------------------------------------------ */

static void pio_read_block(struct ide_drive *d)
{
	uint32_t n = d->left < d->block ? d->left : d->block;
	if (d->be.read(d->be.opaque, d->buf, (size_t)n * IDE_SECTOR, d->lba * IDE_SECTOR) < 0) {
		ide_log(d->ch->ide, "ide: a disk read failed on the host");
		ide_abort(d, ER_UNC | ER_ABRT);
		return;
	}
	d->lba += n;
	d->left -= n;
	ide_pio_in(d, n * IDE_SECTOR);
}

static void pio_write_ready(struct ide_drive *d, bool irq)
{
	uint32_t n = d->left < d->block ? d->left : d->block;
	d->pos = 0;
	d->len = n * IDE_SECTOR;
	d->xfer = X_PIO_OUT;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	if (irq)
		ide_raise(d->ch);
}

static void pio_write_block(struct ide_drive *d)
{
	uint32_t n = d->len / IDE_SECTOR;
	if (d->be.write(d->be.opaque, d->buf, d->len, d->lba * IDE_SECTOR) < 0) {
		ide_log(d->ch->ide, "ide: a disk write failed on the host");
		ide_abort(d, ER_ABRT);
		return;
	}
	d->lba += n;
	d->left -= n;
	if (d->left)
		pio_write_ready(d, true);
	else
		ide_done(d);
}

/* The host drained buf (X_PIO_IN) or filled it (X_PIO_OUT). */
static void pio_block_end(struct ide_drive *d)
{
	if (d->xfer == X_PIO_OUT) {
		pio_write_block(d);
	} else if (d->packet) {
		atapi_pio_next(d);
	} else if (d->left) {
		pio_read_block(d);
	} else {
		d->xfer = X_NONE;
		d->status = ST_DRDY | ST_DSC;
	}
}

static uint32_t data_read(struct ide_drive *d, int size)
{
	if (d->xfer != X_PIO_IN)
		return 0;
	uint32_t v = 0;
	for (int i = 0; i < size && d->pos < d->len; i++)
		v |= (uint32_t)d->buf[d->pos++] << (8 * i);
	if (d->pos >= d->len)
		pio_block_end(d);
	return v;
}

static void data_write(struct ide_drive *d, int size, uint32_t v)
{
	if (d->xfer != X_PIO_OUT && d->xfer != X_PACKET)
		return;
	for (int i = 0; i < size && d->pos < d->len; i++)
		d->buf[d->pos++] = (uint8_t)(v >> (8 * i));
	if (d->pos < d->len)
		return;
	if (d->xfer == X_PACKET)
		atapi_packet_written(d);
	else
		pio_block_end(d);
}

/* --- ATA commands --------------------------------------------------------- */

static void ata_rw(struct ide_drive *d, bool lba48, bool write, uint32_t block)
{
	if (write && d->read_only) {
		ide_abort(d, ER_ABRT);
		return;
	}
	if (!ata_range(d, lba48))
		return;
	d->block = block;
	if (write)
		pio_write_ready(d, false);
	else
		pio_read_block(d);
}

static void ata_multiple(struct ide_drive *d, bool lba48, bool write)
{
	if (!d->mult) {
		ide_abort(d, ER_ABRT); /* SET MULTIPLE MODE first */
		return;
	}
	ata_rw(d, lba48, write, d->mult);
}

static void ata_dma(struct ide_drive *d, bool lba48, bool write)
{
	if (write && d->read_only) {
		ide_abort(d, ER_ABRT);
		return;
	}
	if (!ata_range(d, lba48))
		return;
	d->xfer = X_DMA;
	d->dma_to_device = write;
	d->status = ST_DRDY | ST_DSC | ST_BSY;
	ide_dma_try(d->ch);
}

static void ata_flush(struct ide_drive *d)
{
	if (d->be.flush && d->be.flush(d->be.opaque) < 0) {
		ide_log(d->ch->ide, "ide: a disk flush failed on the host");
		ide_abort(d, ER_ABRT);
		return;
	}
	ide_done(d);
}

static void set_features(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	switch (ch->feature) {
	case 0x03: { /* transfer mode: PIO 0-4, multiword DMA 0-2, UDMA 0-5 */
		uint8_t m = ch->nsect;
		bool ok = m <= 0x0c || (m >= 0x20 && m <= 0x22) || (m >= 0x40 && m <= 0x45);
		if (!ok) {
			ide_abort(d, ER_ABRT);
			return;
		}
		d->xfer_mode = m;
		break;
	}
	case 0x02: case 0x82: /* write cache on/off: writes are synchronous either way */
	case 0x55: case 0xaa: /* read look-ahead */
	case 0x66: case 0xcc: /* reverting to defaults */
		break;
	default:
		ide_abort(d, ER_ABRT);
		return;
	}
	ide_done(d);
}

static void set_multiple(struct ide_drive *d)
{
	uint8_t n = d->ch->nsect;
	if (n > MAX_MULT || (n & (n - 1))) {
		ide_abort(d, ER_ABRT);
		return;
	}
	d->mult = n;
	ide_done(d);
}

static void init_params(struct ide_drive *d)
{
	uint16_t spt = d->ch->nsect, heads = (uint16_t)((d->ch->devsel & 0x0f) + 1);
	if (!spt) {
		ide_abort(d, ER_ABRT);
		return;
	}
	d->spt = spt;
	d->heads = heads;
	ide_done(d);
}

static void ata_command(struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case 0xec: ata_identify(d); return;
	case 0x20: case 0x21: ata_rw(d, false, false, 1); return;
	case 0x24: ata_rw(d, true, false, 1); return;
	case 0x30: case 0x31: ata_rw(d, false, true, 1); return;
	case 0x34: ata_rw(d, true, true, 1); return;
	case 0xc4: ata_multiple(d, false, false); return;
	case 0x29: ata_multiple(d, true, false); return;
	case 0xc5: ata_multiple(d, false, true); return;
	case 0x39: ata_multiple(d, true, true); return;
	case 0xc8: ata_dma(d, false, false); return;
	case 0x25: ata_dma(d, true, false); return;
	case 0xca: ata_dma(d, false, true); return;
	case 0x35: ata_dma(d, true, true); return;
	case 0xe7: case 0xea: ata_flush(d); return;
	case 0xef: set_features(d); return;
	case 0xc6: set_multiple(d); return;
	case 0x91: init_params(d); return;
	case 0x40: case 0x41: case 0x42: /* READ VERIFY: the range is all we check */
		if (ata_range(d, cmd == 0x42))
			ide_done(d);
		return;
	case 0x10: case 0x70: /* RECALIBRATE, SEEK */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: /* standby, idle */
		ide_done(d);
		return;
	case 0xe5: /* CHECK POWER MODE: active */
		d->ch->nsect = 0xff;
		ide_done(d);
		return;
	}
	ide_abort(d, ER_ABRT);
}

/* --- reset ---------------------------------------------------------------- */

/* The signature a drive leaves in the task file after a reset. */
static void signature(struct ide_channel *ch)
{
	ch->nsect = ch->lbal = 1;
	ch->lbam = ch->lbah = 0;
	ch->devsel = 0;
	ch->sel = 0;
	if (ch->d[0].kind == IDE_ATAPI)
		atapi_signature(ch);
}

static void reset_drive(struct ide_drive *d)
{
	d->xfer = X_NONE;
	d->error = 0x01; /* diagnostic passed */
	d->status = d->kind == IDE_ATA ? ST_DRDY | ST_DSC : 0;
	d->mult = 0;
}

static void soft_reset(struct ide_channel *ch)
{
	for (int i = 0; i < 2; i++)
		reset_drive(&ch->d[i]);
	signature(ch);
	lower(ch);
}

static void command(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_drive *d = &ch->d[ch->sel];
	if (d->kind == IDE_NONE)
		return; /* nobody answers */
	lower(ch);
	d->packet = false; /* a new command abandons whatever was going on */
	d->xfer = X_NONE;
	if (cmd == 0x90) { /* EXECUTE DEVICE DIAGNOSTIC */
		soft_reset(ch);
		ide_raise(ch);
		return;
	}
	if (d->kind == IDE_ATAPI) {
		switch (cmd) {
		case 0xa1: atapi_identify(d); return;
		case 0xa0: atapi_packet_start(d); return;
		case 0x08: reset_drive(d); atapi_signature(ch); return; /* DEVICE RESET */
		case 0xec: atapi_signature(ch); ide_abort(d, ER_ABRT); return;
		case 0xef: set_features(d); return;
		case 0xe7: case 0xea: case 0xe0: case 0xe1: ide_done(d); return;
		}
		ide_abort(d, ER_ABRT);
		return;
	}
	ata_command(d, cmd);
}

/* --- the ports ------------------------------------------------------------ */

static bool channel_empty(const struct ide_channel *ch)
{
	return ch->d[0].kind == IDE_NONE && ch->d[1].kind == IDE_NONE;
}

static uint8_t tf_read(struct ide_channel *ch, int reg)
{
	bool hob = ch->devctl & DEVCTL_HOB;
	struct ide_drive *d = &ch->d[ch->sel];
	switch (reg) {
	case REG_ERROR: return d->error;
	case REG_NSECT: return hob ? ch->hob_nsect : ch->nsect;
	case REG_LBAL: return hob ? ch->hob_lbal : ch->lbal;
	case REG_LBAM: return hob ? ch->hob_lbam : ch->lbam;
	case REG_LBAH: return hob ? ch->hob_lbah : ch->lbah;
	case REG_DEVICE: return ch->devsel;
	}
	lower(ch); /* REG_STATUS: reading it acknowledges the interrupt */
	return d->status;
}

static uint32_t cmd_read(void *opaque, uint32_t port, int size)
{
	struct ide_channel *ch = opaque;
	int reg = (int)(port - ch->base);
	uint32_t ones = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (channel_empty(ch))
		return ones;
	struct ide_drive *d = &ch->d[ch->sel];
	if (reg == REG_DATA)
		return d->kind == IDE_NONE ? 0 : data_read(d, size);
	if (d->kind == IDE_NONE)
		return 0;
	return tf_read(ch, reg);
}

static void tf_write(struct ide_channel *ch, int reg, uint8_t v)
{
	ch->devctl &= (uint8_t)~DEVCTL_HOB; /* a write clears HOB */
	switch (reg) {
	case REG_ERROR: ch->hob_feature = ch->feature; ch->feature = v; break;
	case REG_NSECT: ch->hob_nsect = ch->nsect; ch->nsect = v; break;
	case REG_LBAL: ch->hob_lbal = ch->lbal; ch->lbal = v; break;
	case REG_LBAM: ch->hob_lbam = ch->lbam; ch->lbam = v; break;
	case REG_LBAH: ch->hob_lbah = ch->lbah; ch->lbah = v; break;
	case REG_DEVICE: ch->devsel = v; ch->sel = (v >> 4) & 1; break;
	case REG_STATUS: command(ch, v); break;
	}
}

static void cmd_write(void *opaque, uint32_t port, int size, uint32_t v)
{
	struct ide_channel *ch = opaque;
	int reg = (int)(port - ch->base);
	if (reg == REG_DATA) {
		data_write(&ch->d[ch->sel], size, v);
		return;
	}
	tf_write(ch, reg, (uint8_t)v); /* registers are bytes */
}

static uint32_t ctl_read(void *opaque, uint32_t port, int size)
{
	struct ide_channel *ch = opaque;
	(void)port, (void)size;
	if (channel_empty(ch))
		return 0xff;
	struct ide_drive *d = &ch->d[ch->sel];
	return d->kind == IDE_NONE ? 0 : d->status; /* alternate status: no acknowledge */
}

static void ctl_write(void *opaque, uint32_t port, int size, uint32_t v)
{
	struct ide_channel *ch = opaque;
	(void)port, (void)size;
	bool was_reset = ch->devctl & DEVCTL_SRST;
	ch->devctl = (uint8_t)v;
	if ((v & DEVCTL_SRST) && !was_reset) {
		for (int i = 0; i < 2; i++)
			ch->d[i].status = ch->d[i].kind == IDE_NONE ? 0 : ST_BSY;
	} else if (!(v & DEVCTL_SRST) && was_reset) {
		soft_reset(ch);
	}
	update_irq(ch);
}

/* --- PCI configuration ---------------------------------------------------- */

static uint32_t cfg_read(void *opaque, unsigned offset, int size)
{
	struct ide *ide = opaque;
	return get_le(&ide->conf[offset], size);
}

static void cfg_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct ide *ide = opaque;
	pci_masked_write(ide->conf, ide->wmask, offset, size, val);
}

static const struct pci_device_info ide_info = {
	.name = "piix3-ide",
	.vendor_id = 0x8086, .device_id = 0x7010, /* 82371SB PIIX3 IDE */
	.class_code = 0x01, .subclass = 0x01, .prog_if = 0x80, /* legacy, bus master */
	.bars = { [4] = { PCI_BAR_IO, 16, ide_bm_read, ide_bm_write } },
	.cfg_read = cfg_read, .cfg_write = cfg_write,
};

/* --- lifetime ------------------------------------------------------------- */

static bool drive_config_ok(const struct ide_drive_config *c)
{
	if (c->kind == IDE_NONE)
		return true;
	if (!c->backend.read || (c->kind == IDE_ATA && !c->backend.write))
		return false;
	uint32_t unit = c->kind == IDE_ATA ? IDE_SECTOR : IDE_CD_SECTOR;
	return c->size_bytes >= unit && c->size_bytes % unit == 0;
}

static int init_drive(struct ide_drive *d, struct ide_channel *ch, const struct ide_drive_config *c)
{
	d->ch = ch;
	d->kind = c->kind;
	if (c->kind == IDE_NONE)
		return 0;
	d->buf = malloc(IDE_BUF_SIZE);
	if (!d->buf)
		return -1;
	d->be = c->backend;
	d->read_only = c->read_only || c->kind == IDE_ATAPI;
	d->sectors = c->size_bytes / IDE_SECTOR;
	d->heads = 16, d->spt = 63;
	snprintf(d->serial, sizeof(d->serial), "%s", c->serial ? c->serial : "CORDON");
	if (c->kind == IDE_ATAPI)
		atapi_init(&d->cd, c->size_bytes);
	reset_drive(d);
	return 0;
}

static void release_ports(struct ide *ide)
{
	for (int c = 0; c < ide->claimed; c++) {
		iobus_unregister(ide->cfg.io, chan_base[c]);
		iobus_unregister(ide->cfg.io, chan_ctl[c]);
	}
	ide->claimed = 0;
}

static void free_ide(struct ide *ide)
{
	release_ports(ide);
	for (int c = 0; c < 2; c++)
		for (int i = 0; i < 2; i++)
			free(ide->ch[c].d[i].buf);
	free(ide);
}

static int claim_ports(struct ide *ide)
{
	for (int c = 0; c < 2; c++) {
		struct ide_channel *ch = &ide->ch[c];
		if (iobus_register(ide->cfg.io, "ide", ch->base, 8, cmd_read, cmd_write, ch) < 0)
			return -1;
		if (iobus_register(ide->cfg.io, "ide-ctl", ch->ctl, 1, ctl_read, ctl_write, ch) < 0) {
			iobus_unregister(ide->cfg.io, ch->base);
			return -1;
		}
		ide->claimed = c + 1;
	}
	return 0;
}

struct ide *ide_create(const struct ide_config *cfg)
{
	for (int i = 0; i < IDE_DRIVES; i++)
		if (!drive_config_ok(&cfg->drives[i]))
			return NULL;
	struct ide *ide = calloc(1, sizeof(*ide));
	if (!ide)
		return NULL;
	ide->cfg = *cfg;
	for (int c = 0; c < 2; c++) {
		struct ide_channel *ch = &ide->ch[c];
		*ch = (struct ide_channel){ .ide = ide, .index = c, .base = chan_base[c],
					    .ctl = chan_ctl[c], .irq = chan_irq[c] };
		for (int i = 0; i < 2; i++)
			if (init_drive(&ch->d[i], ch, &cfg->drives[2 * c + i]) < 0)
				goto fail;
		signature(ch);
	}
	ide->wmask[0x40] = ide->wmask[0x41] = ide->wmask[0x42] = ide->wmask[0x43] = 0xff; /* IDETIM */
	ide->wmask[0x44] = 0xff; /* SIDETIM */
	struct pci_device_info info = ide_info;
	info.opaque = ide;
	if (claim_ports(ide) < 0 ||
	    !(ide->pci = pci_register_fn(cfg->bus, cfg->slot, IDE_FN, &info)))
		goto fail;
	return ide;
fail:
	free_ide(ide);
	return NULL;
}

void ide_destroy(struct ide *ide)
{
	if (ide)
		free_ide(ide);
}

void ide_enable(struct ide *ide, uint16_t bm_base)
{
	struct pci_bus *bus = ide->cfg.bus;
	pci_config_write_fn(bus, ide->cfg.slot, IDE_FN, 0x40, 2, IDETIM_DECODE);
	pci_config_write_fn(bus, ide->cfg.slot, IDE_FN, 0x42, 2, IDETIM_DECODE);
	pci_config_write_fn(bus, ide->cfg.slot, IDE_FN, PCI_BAR0 + 16, 4, bm_base);
	pci_config_write_fn(bus, ide->cfg.slot, IDE_FN, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}
