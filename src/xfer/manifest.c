/* The manifest digest; see manifest.h. */
#include "xfer/manifest.h"

#include <string.h>

static void put(const struct xfer_hash *h, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	h->update(h->ctx, b, bytes);
}

static void put_text(const struct xfer_hash *h, const char *s, unsigned len_bytes)
{
	size_t n = strlen(s);
	put(h, n, len_bytes);
	h->update(h->ctx, s, n);
}

void xfer_manifest_begin(const struct xfer_hash *h, const char *source, const char *target,
			 uint32_t nfiles)
{
	h->init(h->ctx);
	h->update(h->ctx, "CORDONMF", 8);
	put(h, 1, 2);
	put_text(h, source, 1);
	put_text(h, target, 1);
	put(h, nfiles, 4);
}

void xfer_manifest_file(const struct xfer_hash *h, const char *name, uint16_t mode, uint64_t size,
			const uint8_t digest[XFER_DIGEST_LEN])
{
	put_text(h, name, 2);
	put(h, mode, 2);
	put(h, size, 8);
	h->update(h->ctx, digest, XFER_DIGEST_LEN);
}

void xfer_manifest_end(const struct xfer_hash *h, uint8_t out[XFER_DIGEST_LEN])
{
	h->final(h->ctx, out);
}
