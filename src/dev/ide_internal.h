/*
 * What the IDE controller's files share: the drive, channel and
 * controller state.  ide.c has the registers, the ATA commands and PIO;
 * ide_atapi.c the PACKET command; ide_dma.c the bus master and its PRDs.
 */
#ifndef CORDON_DEV_IDE_INTERNAL_H
#define CORDON_DEV_IDE_INTERNAL_H

#include "dev/atapi.h"
#include "dev/ide.h"

#define IDE_BUF_SIZE 65536u /* PIO blocks and DMA bounces */

/* Status bits. */
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DSC 0x10
#define ST_DRDY 0x40
#define ST_BSY 0x80
/* Error bits. */
#define ER_ABRT 0x04
#define ER_IDNF 0x10
#define ER_UNC 0x40

enum ide_xfer {
	X_NONE,
	X_PIO_IN,    /* the host reads buf */
	X_PIO_OUT,   /* the host fills buf */
	X_PACKET,    /* the host writes a 12-byte CDB */
	X_DMA,       /* waiting for the bus master */
};

struct ide_channel;

struct ide_drive {
	struct ide_channel *ch;
	enum ide_kind kind;
	bool read_only;
	uint64_t sectors;        /* ATA: 512-byte sectors */
	struct ide_backend be;
	char serial[21];
	struct atapi cd;
	uint8_t status, error;
	uint8_t mult;            /* READ/WRITE MULTIPLE block; 0: not set */
	uint16_t heads, spt;     /* the CHS translation */
	uint8_t xfer_mode;       /* SET FEATURES transfer mode */
	/* The command in progress. */
	enum ide_xfer xfer;
	bool dma_to_device;
	uint64_t lba;
	uint32_t left;           /* ATA sectors still to move */
	uint32_t block;          /* sectors per PIO block */
	uint8_t *buf;
	uint32_t pos, len;
	/* ATAPI: the reply of the current packet and how far it has gone. */
	bool packet;             /* a PACKET command is in its data phase */
	struct atapi_reply ar;
	uint32_t ar_done;
	uint16_t byte_limit;
	bool packet_dma;
	uint8_t ar_buf[ATAPI_REPLY_MAX];
};

struct ide_channel {
	struct ide *ide;
	int index;
	uint16_t base, ctl;
	int irq;
	struct ide_drive d[2];
	int sel;
	uint8_t feature, nsect, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t devsel, devctl;
	bool intrq;
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
};

struct ide {
	struct ide_config cfg;
	struct pci_device *pci; /* our function: its bus master enable gates DMA */
	struct ide_channel ch[2];
	uint8_t conf[256], wmask[256];
	int claimed; /* legacy port ranges registered */
};

/* ide.c */
void ide_raise(struct ide_channel *ch);
void ide_done(struct ide_drive *d);
void ide_abort(struct ide_drive *d, uint8_t error);
void ide_pio_in(struct ide_drive *d, uint32_t len);
void ide_log(struct ide *ide, const char *msg);
void ide_identify_string(uint16_t *words, int first, int count, const char *s);

/* ide_atapi.c */
void atapi_identify(struct ide_drive *d);
void atapi_packet_start(struct ide_drive *d);
void atapi_packet_written(struct ide_drive *d);
void atapi_pio_next(struct ide_drive *d);
/* Reply bytes [pos, pos+len) into buf; 0, or -1 after a medium error. */
int atapi_fetch(struct ide_drive *d, uint8_t *buf, uint32_t len, uint32_t pos);
void atapi_signature(struct ide_channel *ch);
void atapi_dma_done(struct ide_drive *d);

/* ide_dma.c */
uint32_t ide_bm_read(void *opaque, uint32_t off, int size);
void ide_bm_write(void *opaque, uint32_t off, int size, uint32_t v);
void ide_dma_try(struct ide_channel *ch);

#endif
