/*
 * The ATAPI side of the IDE controller: IDENTIFY PACKET DEVICE and the
 * PACKET command's phases (CDB out, data in by PIO in chunks of the
 * host's byte count limit or by DMA, status); the CDBs themselves are
 * dev/atapi.c's.  The interrupt reason (in the sector count register)
 * says which phase comes next.
 */
#include "dev/ide_internal.h"

#include <string.h>

#include "dev/le.h"

#define IR_COD 0x01 /* command (1) or data (0) */
#define IR_IO 0x02  /* to the host */

void atapi_signature(struct ide_channel *ch)
{
	ch->nsect = ch->lbal = 1;
	ch->lbam = 0x14;
	ch->lbah = 0xeb;
}

void atapi_identify(struct ide_drive *d)
{
	uint16_t w[256] = { 0 };
	w[0] = 0x85c0; /* ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets */
	ide_identify_string(w, 10, 10, d->serial);
	ide_identify_string(w, 23, 4, "1.0");
	ide_identify_string(w, 27, 20, "CORDON CD-ROM");
	w[49] = 0x0300; /* LBA, DMA */
	w[53] = 0x0007;
	w[63] = 0x0007;
	w[64] = 0x0003;
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x001e;
	w[88] = 0x003f;
	for (int i = 0; i < 256; i++)
		put_le16(d->buf + 2 * i, w[i]);
	ide_pio_in(d, IDE_SECTOR);
}

/* The status phase: good, or CHECK CONDITION with the sense key in the
 * error register. */
static void complete(struct ide_drive *d)
{
	d->packet = false;
	if (d->ar.ok)
		ide_done(d);
	else
		ide_abort(d, (uint8_t)(d->cd.key << 4 | ER_ABRT));
	d->ch->nsect = IR_IO | IR_COD;
}

void atapi_packet_start(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	d->packet_dma = ch->feature & 1;
	/* Whole words only; a limit that holds none (0, or an odd 1) sets no
	 * limit, so no data phase is ever 0 bytes long. */
	d->byte_limit = (uint16_t)((ch->lbah << 8 | ch->lbam) & ~1u);
	if (!d->byte_limit)
		d->byte_limit = 0xfffe;
	d->pos = 0;
	d->len = ATAPI_CDB_LEN;
	d->xfer = X_PACKET;
	ch->nsect = IR_COD;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
}

int atapi_fetch(struct ide_drive *d, uint8_t *buf, uint32_t len, uint32_t pos)
{
	if (!d->ar.sectors) {
		memcpy(buf, d->ar_buf + pos, len); /* pos + len <= ar.len <= ATAPI_REPLY_MAX */
		return 0;
	}
	uint64_t off = (uint64_t)d->ar.lba * ATAPI_SECTOR + pos;
	if (d->be.read(d->be.opaque, buf, len, off) < 0) {
		ide_log(d->ch->ide, "ide: a CD-ROM read failed on the host");
		atapi_medium_error(&d->cd);
		d->ar.ok = false;
		return -1;
	}
	return 0;
}

/* The next data chunk by PIO, or the status phase when all went. */
void atapi_pio_next(struct ide_drive *d)
{
	uint32_t left = d->ar.len - d->ar_done;
	if (!left || !d->ar.ok) {
		complete(d);
		return;
	}
	uint32_t n = left < d->byte_limit ? left : d->byte_limit;
	if (n > IDE_BUF_SIZE)
		n = IDE_BUF_SIZE;
	if (d->ar.sectors && n >= ATAPI_SECTOR)
		n -= n % ATAPI_SECTOR;
	if (atapi_fetch(d, d->buf, n, d->ar_done) < 0) {
		complete(d);
		return;
	}
	d->ar_done += n;
	d->ch->lbam = (uint8_t)n;
	d->ch->lbah = (uint8_t)(n >> 8);
	d->ch->nsect = IR_IO;
	ide_pio_in(d, n);
}

void atapi_packet_written(struct ide_drive *d)
{
	uint8_t cdb[ATAPI_CDB_LEN];
	memcpy(cdb, d->buf, sizeof(cdb));
	atapi_command(&d->cd, cdb, d->ar_buf, &d->ar);
	d->ar_done = 0;
	d->packet = true;
	if (!d->ar.ok || !d->ar.len) {
		complete(d);
		return;
	}
	if (d->packet_dma) {
		d->xfer = X_DMA;
		d->dma_to_device = false;
		d->status = ST_DRDY | ST_DSC | ST_BSY;
		ide_dma_try(d->ch);
		return;
	}
	atapi_pio_next(d);
}

/* After a DMA packet: the status phase. */
void atapi_dma_done(struct ide_drive *d)
{
	complete(d);
}
