/*
 * QEMU's firmware configuration interface (docs/specs/fw_cfg.txt in QEMU),
 * the channel through which SeaBIOS learns about the machine: a 16-bit
 * selector written to port 0x510 picks an item, and byte reads at port
 * 0x511 return its contents in order.  Items past their end read as 0, and
 * unknown selectors are empty items.  Named items ("files") get selectors
 * from 0x20 up and are listed in the directory item 0x19, sorted by name
 * as QEMU does.  The guest cannot write anything: writes to the data port
 * are ignored, as in QEMU since 2.4.  No DMA interface (SeaBIOS then uses
 * the port interface, which is fast enough for the few kilobytes cordon
 * hands it).
 */
#ifndef CORDON_DEV_FW_CFG_H
#define CORDON_DEV_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "dev/bus.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511

/* Selectors cordon fills in (QEMU's numbering). */
#define FW_CFG_SIGNATURE 0x00 /* "QEMU" */
#define FW_CFG_ID 0x01        /* interface features: bit 0 = port interface */
#define FW_CFG_RAM_SIZE 0x03  /* u64 */
#define FW_CFG_NB_CPUS 0x05   /* u16 */
#define FW_CFG_MAX_CPUS 0x0f  /* u16 */
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_FILE_NAME_MAX 56 /* with the terminating NUL */
#define FW_CFG_MAX_FILES 32
#define FW_CFG_MAX_ITEM (1u << 20)

struct fw_cfg;

/* Claims ports 0x510-0x511 and adds the signature and id items; NULL on
 * failure (ports taken, no memory). */
struct fw_cfg *fw_cfg_create(struct iobus *io);
void fw_cfg_destroy(struct fw_cfg *f);

/* Adds a numbered item (below FW_CFG_FILE_FIRST, not the directory) or a
 * named one; the bytes are copied.  0, or -1 for a bad key, name, size,
 * duplicate, or no memory. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);
/* Little-endian integers of 2 and 8 bytes, as QEMU stores them. */
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
int fw_cfg_add_file_u16(struct fw_cfg *f, const char *name, uint16_t v);
int fw_cfg_add_file_u64(struct fw_cfg *f, const char *name, uint64_t v);

#endif
