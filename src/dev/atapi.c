/*
 * The ATAPI CD-ROM command set; see dev/atapi.h.
 */
#include "dev/atapi.h"

#include <string.h>

#include "dev/le.h"

#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_WRITE_PROTECTED 0x27
#define ASC_READ_ERROR 0x11

#define PROFILE_CDROM 0x0008
#define LEADOUT 0xaa


static void fail(struct atapi *cd, struct atapi_reply *r, uint8_t key, uint8_t asc)
{
	cd->key = key;
	cd->asc = asc;
	cd->ascq = 0;
	*r = (struct atapi_reply){ .ok = false };
}

/* Data of natural length len, cut to the CDB's allocation length. */
static void reply(struct atapi_reply *r, uint32_t len, uint32_t alloc)
{
	*r = (struct atapi_reply){ .ok = true, .len = len < alloc ? len : alloc };
}

void atapi_init(struct atapi *cd, uint64_t size_bytes)
{
	uint64_t n = size_bytes / ATAPI_SECTOR;
	memset(cd, 0, sizeof(*cd));
	cd->sectors = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void atapi_medium_error(struct atapi *cd)
{
	cd->key = SENSE_MEDIUM_ERROR;
	cd->asc = ASC_READ_ERROR;
	cd->ascq = 0;
}

/* --- the commands --------------------------------------------------------- */

static void request_sense(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	memset(b, 0, 18);
	b[0] = 0x70;
	b[2] = cd->key;
	b[7] = 10;
	b[12] = cd->asc;
	b[13] = cd->ascq;
	cd->key = cd->asc = cd->ascq = 0;
	reply(r, 18, cdb[4]);
}

static void inquiry(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	if (cdb[1] & 1) { /* vital product data pages: none */
		fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(b, 0, 36);
	b[0] = 0x05; /* CD/DVD device */
	b[1] = 0x80; /* removable */
	b[2] = 0x05;
	b[3] = 0x32;
	b[4] = 31;
	memcpy(b + 8, "CORDON  ", 8);
	memcpy(b + 16, "CD-ROM          ", 16);
	memcpy(b + 32, "1.0 ", 4);
	reply(r, 36, get_be16(cdb + 3));
}

/* Mode pages after a header of hdr bytes; 0 for a page we do not have. */
static uint32_t mode_pages(uint8_t page, uint8_t *b)
{
	uint32_t n = 0;
	if (page == 0x01 || page == 0x3f) { /* read error recovery */
		memset(b + n, 0, 12);
		b[n] = 0x01, b[n + 1] = 0x0a;
		n += 12;
	}
	if (page == 0x2a || page == 0x3f) { /* capabilities */
		memset(b + n, 0, 20);
		b[n] = 0x2a, b[n + 1] = 0x12;
		b[n + 4] = 0x71; /* audio play, multisession, mode 2 forms */
		b[n + 5] = 0x60;
		b[n + 6] = 0x29; /* lock, eject, tray loader */
		put_be16(b + n + 8, 706);  /* 4x */
		put_be16(b + n + 12, 512); /* buffer, KiB */
		put_be16(b + n + 14, 706);
		n += 20;
	}
	return n;
}

static void mode_sense(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	bool ten = cdb[0] == 0x5a;
	uint32_t hdr = ten ? 8 : 4;
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
	uint32_t n = pc == 3 ? 0 : mode_pages(page, b + hdr); /* saved values: none */
	if (!n) {
		fail(cd, r, SENSE_ILLEGAL_REQUEST, pc == 3 ? 0x39 : ASC_INVALID_FIELD);
		return;
	}
	memset(b, 0, hdr);
	if (ten)
		put_be16(b, (uint16_t)(hdr + n - 2));
	else
		b[0] = (uint8_t)(hdr + n - 1);
	reply(r, hdr + n, ten ? get_be16(cdb + 7) : cdb[4]);
}

static void read_capacity(struct atapi *cd, uint8_t *b, struct atapi_reply *r)
{
	put_be32(b, cd->sectors ? cd->sectors - 1 : 0);
	put_be32(b + 4, ATAPI_SECTOR);
	reply(r, 8, 8);
}

static void read_sectors(struct atapi *cd, uint32_t lba, uint32_t count, struct atapi_reply *r)
{
	if (lba > cd->sectors || count > cd->sectors - lba) {
		fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if ((uint64_t)count * ATAPI_SECTOR > UINT32_MAX) {
		fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	*r = (struct atapi_reply){ .ok = true, .sectors = count != 0, .lba = lba,
				   .len = count * ATAPI_SECTOR };
}

/* An address in the TOC: an LBA, or minutes/seconds/frames 2 s in. */
static void toc_addr(uint8_t *p, uint32_t lba, bool msf)
{
	if (!msf) {
		put_be32(p, lba);
		return;
	}
	uint64_t f = (uint64_t)lba + 150;
	p[0] = 0;
	p[1] = (uint8_t)(f / (60 * 75) > 255 ? 255 : f / (60 * 75));
	p[2] = (uint8_t)(f / 75 % 60);
	p[3] = (uint8_t)(f % 75);
}

static void read_toc(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	bool msf = cdb[1] & 2;
	uint8_t format = cdb[2] & 0x0f, track = cdb[6];
	if (!format)
		format = cdb[9] >> 6; /* the old place of the format */
	uint32_t n;
	memset(b, 0, 20);
	if (format == 0) {
		if (track > 1 && track != LEADOUT) {
			fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
			return;
		}
		b[2] = 1, b[3] = 1;
		n = 4;
		if (track <= 1) { /* the one data track */
			b[n + 1] = 0x14, b[n + 2] = 1;
			toc_addr(b + n + 4, 0, msf);
			n += 8;
		}
		b[n + 1] = 0x14, b[n + 2] = LEADOUT;
		toc_addr(b + n + 4, cd->sectors, msf);
		n += 8;
	} else if (format == 1) { /* session information */
		b[2] = 1, b[3] = 1;
		b[5] = 0x14, b[6] = 1;
		toc_addr(b + 8, 0, msf);
		n = 12;
	} else {
		fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	put_be16(b, (uint16_t)(n - 2));
	reply(r, n, get_be16(cdb + 7));
}

/* Profile list (CD-ROM), Core (ATAPI), Removable Medium (tray). */
static void get_configuration(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	static const uint8_t features[][12] = {
		{ 0x00, 0x00, 0x03, 0x04, 0x00, 0x08, 0x01, 0x00 },
		{ 0x00, 0x01, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00 },
		{ 0x00, 0x03, 0x03, 0x04, 0x29, 0x00, 0x00, 0x00 },
	};
	uint8_t rt = cdb[1] & 3;
	uint16_t start = get_be16(cdb + 2);
	(void)cd;
	memset(b, 0, 8);
	put_be16(b + 6, PROFILE_CDROM);
	uint32_t n = 8;
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		uint16_t code = get_be16(features[i]);
		if (code < start || (rt == 2 && code != start))
			continue;
		uint32_t flen = 4u + features[i][3];
		memcpy(b + n, features[i], flen);
		n += flen;
	}
	put_be32(b, n - 4);
	reply(r, n, get_be16(cdb + 7));
}

static void event_status(struct atapi *cd, const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	if (!(cdb[1] & 1)) { /* only polled operation */
		fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(b, 0, 8);
	b[3] = 0x10; /* supported: media */
	uint32_t n = 4;
	if (cdb[4] & 0x10) {
		b[2] = 0x04; /* media class */
		b[5] = 0x02; /* media present, no change */
		n = 8;
	} else {
		b[2] = 0x80; /* no event available */
	}
	put_be16(b, (uint16_t)(n - 2));
	reply(r, n, get_be16(cdb + 7));
}

static void disc_info(const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	memset(b, 0, 34);
	put_be16(b, 32);
	b[2] = 0x0e; /* last session complete, disc finalized */
	b[3] = 1, b[4] = 1, b[5] = 1, b[6] = 1;
	reply(r, 34, get_be16(cdb + 7));
}

static void mechanism_status(const uint8_t *cdb, uint8_t *b, struct atapi_reply *r)
{
	memset(b, 0, 8);
	reply(r, 8, get_be16(cdb + 8));
}

void atapi_command(struct atapi *cd, const uint8_t cdb[ATAPI_CDB_LEN], uint8_t *b, struct atapi_reply *r)
{
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
	case 0x1b: /* START STOP UNIT */
	case 0x1e: /* PREVENT ALLOW MEDIUM REMOVAL */
	case 0xbb: /* SET CD SPEED */
		reply(r, 0, 0);
		return;
	case 0x03: request_sense(cd, cdb, b, r); return;
	case 0x12: inquiry(cd, cdb, b, r); return;
	case 0x1a: case 0x5a: mode_sense(cd, cdb, b, r); return;
	case 0x25: read_capacity(cd, b, r); return;
	case 0x28: read_sectors(cd, get_be32(cdb + 2), get_be16(cdb + 7), r); return;
	case 0xa8: read_sectors(cd, get_be32(cdb + 2), get_be32(cdb + 6), r); return;
	case 0x2b: /* SEEK (10) */
		if (get_be32(cdb + 2) >= cd->sectors)
			fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		else
			reply(r, 0, 0);
		return;
	case 0x43: read_toc(cd, cdb, b, r); return;
	case 0x46: get_configuration(cd, cdb, b, r); return;
	case 0x4a: event_status(cd, cdb, b, r); return;
	case 0x51: disc_info(cdb, b, r); return;
	case 0xbd: mechanism_status(cdb, b, r); return;
	case 0x0a: case 0x2a: case 0xaa: case 0x2e: case 0x3b: case 0x04: /* writes, FORMAT */
		fail(cd, r, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	fail(cd, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}
