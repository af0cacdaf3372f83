/*
 * The ATAPI CD-ROM's command set (SCSI MMC as a read-only drive with its
 * disc always in): what a PACKET command's 12-byte CDB asks for and what
 * comes back.  The IDE layer (dev/ide.c) moves the bytes; this file only
 * interprets CDBs, so it is tested and fuzzed on its own.
 *
 * Served: TEST UNIT READY, REQUEST SENSE, INQUIRY, MODE SENSE (6) and (10)
 * (pages 0x01, 0x2A, all), START STOP UNIT and PREVENT ALLOW MEDIUM
 * REMOVAL (accepted, nothing ejects), READ CAPACITY, READ (10) and (12),
 * SEEK (10), READ TOC (formats 0 and 1, LBA or MSF), GET CONFIGURATION,
 * GET EVENT STATUS NOTIFICATION (polled), READ DISC INFORMATION,
 * MECHANISM STATUS and SET CD SPEED.  Writes are refused as write
 * protected; anything else is an invalid operation code.  Every field is
 * range-checked: an LBA range past the disc is an ILLEGAL REQUEST, and a
 * reply never exceeds the CDB's allocation length.
 */
#ifndef CORDON_DEV_ATAPI_H
#define CORDON_DEV_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

#define ATAPI_CDB_LEN 12
#define ATAPI_SECTOR 2048u
#define ATAPI_REPLY_MAX 256 /* the longest reply that is not sector data */

/* Sense keys. */
#define SENSE_NONE 0x00
#define SENSE_MEDIUM_ERROR 0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_DATA_PROTECT 0x07

struct atapi {
	uint32_t sectors;          /* 2048-byte sectors on the disc */
	uint8_t key, asc, ascq;    /* sense of the last command that failed */
};

/* What a CDB produced.  ok false: CHECK CONDITION with the sense set.
 * Otherwise len bytes of data for the host: from the reply buffer, or,
 * with sectors, len / 2048 disc sectors from lba on (read them with the
 * drive's backend). */
struct atapi_reply {
	bool ok;
	bool sectors;
	uint32_t lba;
	uint32_t len;
};

void atapi_init(struct atapi *cd, uint64_t size_bytes);
/* Interprets cdb; reply bytes go to buf (ATAPI_REPLY_MAX bytes). */
void atapi_command(struct atapi *cd, const uint8_t cdb[ATAPI_CDB_LEN], uint8_t *buf,
		   struct atapi_reply *r);
/* A read from the backend failed: MEDIUM ERROR, unrecovered read error. */
void atapi_medium_error(struct atapi *cd);

#endif
