/*
 * The PIIX3 IDE controller, function 1 of the PIIX3 slot (8086:7010): two
 * legacy channels (primary 0x1f0-0x1f7/0x3f6 on IRQ 14, secondary
 * 0x170-0x177/0x376 on IRQ 15), each with a master and a slave, and the
 * bus-master DMA registers in BAR 4 (16 I/O ports).
 *
 * An ATA drive serves IDENTIFY, READ/WRITE SECTORS and MULTIPLE in PIO,
 * READ/WRITE DMA through the bus master, each in LBA28/CHS and LBA48
 * forms, FLUSH CACHE (EXT), SET FEATURES, SET MULTIPLE MODE and the
 * housekeeping commands an OS sends; an ATAPI drive is a CD-ROM (see
 * dev/atapi.h) reached through PACKET, in PIO or DMA.  Every sector range
 * is checked against the drive's size, every PRD against guest RAM, and a
 * failure completes the command with an ATA error (ERR with ABRT, or the
 * ATAPI sense), never anything worse.  Writes to a read-only drive fail
 * the same way.
 *
 * Like virtio-blk, a drive's bytes sit behind backend callbacks, so the
 * device never calls the OS; the machine wires them to disk images.
 */
#ifndef CORDON_DEV_IDE_H
#define CORDON_DEV_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/irq.h"
#include "dev/pci.h"

#define IDE_FN 1
#define IDE_DRIVES 4          /* primary master, primary slave, secondary master, slave */
#define IDE_SECTOR 512u
#define IDE_CD_SECTOR 2048u
#define IDE_IRQ_PRIMARY 14
#define IDE_IRQ_SECONDARY 15

enum ide_kind { IDE_NONE, IDE_ATA, IDE_ATAPI };

struct ide_backend {
	int (*read)(void *opaque, void *buf, size_t len, uint64_t off);
	int (*write)(void *opaque, const void *buf, size_t len, uint64_t off);
	int (*flush)(void *opaque);
	void *opaque;
};

struct ide_drive_config {
	enum ide_kind kind;
	uint64_t size_bytes;   /* ATA: whole 512-byte sectors; ATAPI: 2048-byte ones */
	bool read_only;        /* an ATAPI drive always is */
	const char *serial;    /* IDENTIFY's serial number (20 characters used) */
	struct ide_backend backend;
};

struct ide_config {
	struct pci_bus *bus;
	int slot;
	struct iobus *io;
	const struct irq_line *irq;
	uint8_t *ram;
	uint32_t ram_size;
	struct ide_drive_config drives[IDE_DRIVES];
	void (*ram_written)(void *opaque, uint32_t addr, uint32_t len); /* optional */
	void *ram_opaque;
	void (*log)(void *opaque, const char *msg); /* optional */
	void *log_opaque;
};

struct ide;

/* NULL when ports or the function are taken, a drive's config is bad, or
 * no memory. */
struct ide *ide_create(const struct ide_config *cfg);
/* Releases the legacy ports; the bus keeps the function until pci_destroy. */
void ide_destroy(struct ide *ide);
/* What firmware does: decode both channels and the bus-master BAR at
 * bm_base (16 ports). */
void ide_enable(struct ide *ide, uint16_t bm_base);

#endif
