/*
 * The PIIX bus master: per channel a command register (start, direction),
 * a status register (active, error, interrupt, drive DMA capable) and the
 * address of a PRD table in guest RAM.  Each PRD is 8 bytes: a buffer
 * address, a byte count (0 = 64 KiB) and an end-of-table bit.
 *
 * A transfer runs when the drive has a DMA command pending and the guest
 * has set the start bit, in whichever order they come, and completes at
 * once.  Every PRD, and every buffer it names, must lie inside guest RAM;
 * the table may hold at most 8192 entries (64 KiB, as the hardware's
 * table cannot cross a 64 KiB boundary) and must cover the transfer
 * before its end-of-table bit.  Anything else is a bus master error
 * (status bit 1) and an aborted command, with nothing written past what
 * was checked.  So is a transfer while the function's bus master enable
 * (PCI command bit 2) is clear: without it the hardware may not touch
 * memory, and QEMU fails the transfer the same way.
 */
#include "dev/ide_internal.h"

#include <string.h>

#include "dev/le.h"
#include "dev/pci.h"

#define BM_START 0x01
#define BM_TO_MEMORY 0x08 /* direction: the drive writes memory */
#define BM_ACTIVE 0x01
#define BM_ERROR 0x02
#define BM_INTR 0x04
#define BM_CAPABLE 0x60
#define PRD_EOT 0x80000000u
#define MAX_PRDS 8192

struct prd_cursor {
	struct ide_channel *ch;
	uint32_t next;    /* index of the next entry */
	uint32_t addr;    /* what is left of the current buffer */
	uint32_t len;
	bool eot;         /* the current entry was the last */
};

static bool ram_range_ok(const struct ide *ide, uint64_t addr, uint64_t len)
{
	return addr <= ide->cfg.ram_size && len <= ide->cfg.ram_size - addr;
}

/* Loads the next PRD; false at the end of the table or on a bad entry. */
static bool prd_load(struct prd_cursor *c)
{
	struct ide *ide = c->ch->ide;
	if (c->eot || c->next >= MAX_PRDS)
		return false;
	uint64_t at = (uint64_t)c->ch->bm_prd + 8ull * c->next++;
	if (!ram_range_ok(ide, at, 8))
		return false;
	uint32_t addr = get_le32(ide->cfg.ram + at) & ~1u;
	uint32_t word = get_le32(ide->cfg.ram + at + 4);
	uint32_t len = word & 0xfffe;
	len = len ? len : 0x10000;
	c->eot = word & PRD_EOT;
	if (!ram_range_ok(ide, addr, len))
		return false;
	c->addr = addr;
	c->len = len;
	return true;
}

/* Moves n bytes between buf and the PRD buffers; false on a bad table. */
static bool prd_move(struct prd_cursor *c, uint8_t *buf, uint32_t n, bool to_ram)
{
	struct ide *ide = c->ch->ide;
	while (n) {
		if (!c->len && !prd_load(c))
			return false;
		uint32_t k = n < c->len ? n : c->len;
		if (to_ram) {
			memcpy(ide->cfg.ram + c->addr, buf, k);
			if (ide->cfg.ram_written)
				ide->cfg.ram_written(ide->cfg.ram_opaque, c->addr, k);
		} else {
			memcpy(buf, ide->cfg.ram + c->addr, k);
		}
		c->addr += k, c->len -= k, buf += k, n -= k;
	}
	return true;
}

/* An ATA DMA command: sectors between the disk and RAM, a bounce at a time. */
static int ata_dma(struct ide_drive *d, struct prd_cursor *c)
{
	uint64_t total = (uint64_t)d->left * IDE_SECTOR, done = 0;
	while (done < total) {
		uint32_t n = total - done < IDE_BUF_SIZE ? (uint32_t)(total - done) : IDE_BUF_SIZE;
		uint64_t off = d->lba * IDE_SECTOR + done;
		if (d->dma_to_device) {
			if (!prd_move(c, d->buf, n, false))
				return -1;
			if (d->be.write(d->be.opaque, d->buf, n, off) < 0)
				return -2;
		} else {
			if (d->be.read(d->be.opaque, d->buf, n, off) < 0)
				return -2;
			if (!prd_move(c, d->buf, n, true))
				return -1;
		}
		done += n;
	}
	return 0;
}

/* An ATAPI packet's reply into RAM. */
static int atapi_dma(struct ide_drive *d, struct prd_cursor *c)
{
	while (d->ar_done < d->ar.len) {
		uint32_t left = d->ar.len - d->ar_done;
		uint32_t n = left < IDE_BUF_SIZE ? left : IDE_BUF_SIZE;
		if (atapi_fetch(d, d->buf, n, d->ar_done) < 0)
			return -2;
		if (!prd_move(c, d->buf, n, true))
			return -1;
		d->ar_done += n;
	}
	return 0;
}

static void dma_run(struct ide_channel *ch, struct ide_drive *d)
{
	struct prd_cursor c = { .ch = ch };
	bool to_ram = d->kind == IDE_ATAPI || !d->dma_to_device;
	int rc;
	if (!pci_bus_master_enabled(ch->ide->pci))
		rc = -3; /* the guest turned bus mastering off */
	else if (to_ram != ((ch->bm_cmd & BM_TO_MEMORY) != 0))
		rc = -1; /* the bus master points the other way */
	else
		rc = d->kind == IDE_ATAPI ? atapi_dma(d, &c) : ata_dma(d, &c);
	ch->bm_status &= (uint8_t)~BM_ACTIVE;
	if (rc == -1 || rc == -3) {
		ch->bm_status |= BM_ERROR;
		ide_log(ch->ide, rc == -3 ? "ide: DMA with bus mastering off in the PCI command register"
				       : "ide: bus master PRD table outside RAM, too long or too short");
		rc = -1;
	}
	if (d->kind == IDE_ATAPI) {
		if (rc == -1) {
			d->ar.ok = false;
			d->cd.key = SENSE_ILLEGAL_REQUEST;
		}
		atapi_dma_done(d);
	} else if (rc < 0) {
		if (rc == -2)
			ide_log(ch->ide, "ide: a disk transfer failed on the host");
		ide_abort(d, rc == -2 ? ER_UNC | ER_ABRT : ER_ABRT);
	} else {
		ide_done(d);
	}
}

void ide_dma_try(struct ide_channel *ch)
{
	struct ide_drive *d = &ch->d[ch->sel];
	if (d->xfer == X_DMA && (ch->bm_cmd & BM_START))
		dma_run(ch, d);
}

/* --- the registers (BAR 4: channel c at 8c) -------------------------------- */

uint32_t ide_bm_read(void *opaque, uint32_t off, int size)
{
	struct ide *ide = opaque;
	struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
	uint8_t regs[8] = { ch->bm_cmd, 0, ch->bm_status, 0 };
	put_le32(regs + 4, ch->bm_prd);
	uint32_t v = 0;
	for (int i = 0; i < size; i++) {
		uint32_t o = (off & 7) + (uint32_t)i;
		v |= (uint32_t)(o < 8 ? regs[o] : 0xff) << (8 * i);
	}
	return v;
}

static void write_cmd(struct ide_channel *ch, uint8_t v)
{
	bool start = (v & BM_START) && !(ch->bm_cmd & BM_START);
	ch->bm_cmd = v & (BM_START | BM_TO_MEMORY);
	if (!(v & BM_START)) {
		ch->bm_status &= (uint8_t)~BM_ACTIVE; /* stop: abandons a transfer */
		return;
	}
	if (start) {
		ch->bm_status |= BM_ACTIVE;
		ide_dma_try(ch);
	}
}

static void write_byte(struct ide_channel *ch, uint32_t o, uint8_t v)
{
	switch (o) {
	case 0: write_cmd(ch, v); break;
	case 2: /* error and interrupt: write 1 to clear; capable bits kept */
		ch->bm_status = (uint8_t)((ch->bm_status & ~(BM_CAPABLE | (v & (BM_ERROR | BM_INTR)))) |
					  (v & BM_CAPABLE));
		break;
	case 4: case 5: case 6: case 7: {
		unsigned shift = 8 * (o - 4);
		ch->bm_prd = ((ch->bm_prd & ~(0xffu << shift)) | (uint32_t)v << shift) & ~3u;
		break;
	}
	}
}

void ide_bm_write(void *opaque, uint32_t off, int size, uint32_t v)
{
	struct ide *ide = opaque;
	struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
	for (int i = 0; i < size; i++) {
		uint32_t o = (off & 7) + (uint32_t)i;
		if (o < 8)
			write_byte(ch, o, (uint8_t)(v >> (8 * i)));
	}
}
