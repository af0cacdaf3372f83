/* Transfer test helpers; see xfer_util.h. */
#include "xfer_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

void xu_sha256(const void *data, size_t len, uint8_t out[XFER_DIGEST_LEN])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

void xu_put(struct xu_buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void xu_free(struct xu_buf *b)
{
	free(b->p);
	*b = (struct xu_buf){ 0 };
}

void xu_file(struct xu_buf *b, enum xfer_kind kind, const char *name, uint16_t mode,
	     const void *data, size_t len)
{
	uint8_t hdr[XFER_FILE_LEN + XFER_NAME_MAX], tr[XFER_TRAILER_LEN], d[XFER_DIGEST_LEN];
	xu_put(b, hdr, xfer_put_file(hdr, name, mode, len));
	xu_put(b, data, len);
	if (kind == XFER_INBOX) {
		xu_sha256(data, len, d);
		xu_put(b, tr, xfer_put_trailer(tr, d));
	}
}

void xu_transfer(struct xu_buf *b, enum xfer_kind kind, const char *vm, uint32_t n)
{
	uint8_t hdr[XFER_HEADER_LEN + XFER_VM_MAX], end[XFER_END_LEN];
	xu_put(b, hdr, xfer_put_header(hdr, kind, vm, n));
	for (uint32_t k = 0; k < n; k++) {
		char name[32], data[32];
		snprintf(name, sizeof(name), "f%u", k);
		snprintf(data, sizeof(data), "data %u", k);
		xu_file(b, kind, name, XFER_MODE_FILE, data, strlen(data));
	}
	xu_put(b, end, xfer_put_end(end, n));
}
