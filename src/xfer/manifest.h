/*
 * A transfer's manifest digest: SHA-256 over a canonical encoding of
 * what the reference monitor decided on -- source VM, target VM, and each
 * file's name, mode, size and SHA-256, in order:
 *
 *   "CORDONMF" u16 version=1, u8 len + source, u8 len + target, u32 nfiles,
 *   per file: u16 len + name, u16 mode, u64 size, digest[32]
 *
 * The supervisor computes it from the guard's request when it decides;
 * the target VM's guard computes it again from the spool it is handed and
 * delivers nothing unless the two agree.  So what reaches the target is
 * exactly what was decided (and, for a downgrade, what a person approved),
 * whatever happened to the spool in between.
 */
#ifndef CORDON_XFER_MANIFEST_H
#define CORDON_XFER_MANIFEST_H

#include "xfer/stream.h"

void xfer_manifest_begin(const struct xfer_hash *h, const char *source, const char *target,
			 uint32_t nfiles);
void xfer_manifest_file(const struct xfer_hash *h, const char *name, uint16_t mode, uint64_t size,
			const uint8_t digest[XFER_DIGEST_LEN]);
void xfer_manifest_end(const struct xfer_hash *h, uint8_t out[XFER_DIGEST_LEN]);

#endif
