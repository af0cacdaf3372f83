/*
 * The transfer stream (docs/transfer.md): what a guest writes to its
 * outbox and reads from its inbox.  All integers are little-endian, every
 * variable part is length-prefixed:
 *
 *   transfer header  "CORDONXF" u16 version=1 u16 flags u32 nfiles
 *                    u8 vmlen, vm[vmlen]           (17 + vmlen bytes)
 *   nfiles times:
 *     file header    "FILE" u16 mode u16 namelen u64 size, name[namelen]
 *     file data      size bytes
 *     file trailer   "SHA2" digest[32]             (inbox only: SHA-256 of the data)
 *   end marker       "END." u32 nfiles
 *
 * Two kinds, told apart by the flags and known to the checker in advance:
 *   outbox  what a guest writes for its guard: flags 0, vm names the
 *           target VM, no trailers (the guard hashes the data itself, so
 *           the sender does not have to: in a guest that is the costly
 *           part of a transfer);
 *   inbox   what the guard writes (its spool, and what a guest reads):
 *           flags XFER_FLAG_DIGESTS, vm names the source VM, and each
 *           file's trailer, which cordon-receive checks before the file
 *           is placed.
 * Several transfers may follow one another.
 *
 * The checker is incremental and pure: it never calls the OS and sees the
 * bytes only as the caller hands them over, in pieces of any size.  Every
 * field is checked where it is read, against the limits the caller gives;
 * the first problem puts the checker in a failed state that swallows
 * everything until xfer_check_reset (a stream that went wrong is dropped
 * whole: there is no way to find the next transfer inside it).  It is
 * built into the guard (host) and into cordon-receive (guest, gcc -m32),
 * so it includes nothing but the C library's headers.
 */
#ifndef CORDON_XFER_STREAM_H
#define CORDON_XFER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XFER_MAGIC "CORDONXF"
#define XFER_VERSION 1
#define XFER_FLAG_DIGESTS 0x0001 /* inbox streams: a trailer after each file */
#define XFER_HEADER_LEN 17       /* fixed part of the transfer header */
#define XFER_FILE_LEN 16         /* fixed part of a file header */
#define XFER_TRAILER_LEN 36
#define XFER_END_LEN 8
#define XFER_DIGEST_LEN 32
#define XFER_VM_MAX 31           /* a VM name: 1..31 of [A-Za-z0-9_-] */
#define XFER_NAME_MAX 255        /* a file name: 1..255 bytes of UTF-8 */
#define XFER_MODE_FILE 0644
#define XFER_MODE_EXEC 0755
#define XFER_REASON_LEN 160

/* Defaults of the system file's transfer-limit, and its ceilings. */
#define XFER_DEFAULT_MAX_BYTES (64ull << 20)
#define XFER_DEFAULT_MAX_FILES 1000u
#define XFER_CEIL_MAX_BYTES (4ull << 30)
#define XFER_CEIL_MAX_FILES 100000u

enum xfer_kind {
	XFER_OUTBOX,             /* flags 0, no trailers: written by a guest */
	XFER_INBOX,              /* XFER_FLAG_DIGESTS, trailers: written by the guard */
};

struct xfer_limits {
	uint64_t max_bytes;      /* the sum of a transfer's file sizes */
	uint32_t max_files;
};

/* SHA-256 supplied by the caller: OpenSSL in the guard, a small portable
 * one in the guest tools. */
struct xfer_hash {
	void (*init)(void *ctx);
	void (*update)(void *ctx, const void *data, size_t len);
	void (*final)(void *ctx, uint8_t digest[XFER_DIGEST_LEN]);
	void *ctx;
};

enum xfer_event {
	XFER_EV_NONE,       /* consumed bytes, nothing to report yet */
	XFER_EV_BEGIN,      /* a transfer header: vm, nfiles */
	XFER_EV_FILE,       /* a file header: name, mode, size */
	XFER_EV_DATA,       /* data, len bytes of the current file (points into the input) */
	XFER_EV_FILE_END,   /* a file's data is complete (inbox: its trailer matched): digest */
	XFER_EV_END,        /* the end marker: the transfer is complete */
	XFER_EV_ERROR,      /* reason; the checker swallows the rest until reset */
};

struct xfer_info {
	enum xfer_event ev;
	const char *vm;                 /* BEGIN */
	uint32_t nfiles;                /* BEGIN, END */
	const char *name;               /* FILE, FILE_END: NUL-terminated, validated */
	size_t name_len;
	uint16_t mode;                  /* FILE */
	uint64_t size;                  /* FILE */
	uint32_t index;                 /* FILE, DATA, FILE_END: 0-based file number */
	const uint8_t *data;            /* DATA */
	size_t len;                     /* DATA */
	const uint8_t *digest;          /* FILE_END */
	const char *reason;             /* ERROR */
};

enum xfer_state {
	XS_HEADER, XS_VM, XS_RECORD, XS_FILE, XS_NAME, XS_DATA, XS_TRAILER, XS_END, XS_FAILED,
};

/* A file name seen in this transfer, for the duplicate check. */
struct xfer_seen;

struct xfer_check {
	struct xfer_limits lim;
	enum xfer_kind kind;
	struct xfer_hash hash;
	enum xfer_state state;
	uint8_t buf[XFER_TRAILER_LEN + XFER_NAME_MAX + 1]; /* the field being gathered */
	size_t have, need;
	char vm[XFER_VM_MAX + 1];
	uint32_t nfiles, files_done;
	uint64_t bytes_total;           /* sizes declared so far in this transfer */
	char name[XFER_NAME_MAX + 1];
	size_t name_len;
	uint16_t mode;
	uint64_t size, left;            /* of the current file */
	uint8_t digest[XFER_DIGEST_LEN];
	bool mid_transfer;              /* a header was read, the end marker not yet */
	struct xfer_seen *seen;         /* hash set of names (owned) */
	char reason[XFER_REASON_LEN];
};

/* A checker for streams of one kind: 0, or -1 if the limits are out of
 * range or no memory. */
int xfer_check_init(struct xfer_check *c, enum xfer_kind kind, const struct xfer_limits *lim,
		    const struct xfer_hash *h);
void xfer_check_free(struct xfer_check *c);
/* Back to the start of a fresh stream (e.g. the guest closed the port). */
void xfer_check_reset(struct xfer_check *c);
/*
 * Consumes up to len bytes of buf and reports at most one event in *info;
 * returns how many bytes were consumed.  Call again with the rest.  A
 * call with len 0 only reports an event that needs no input (e.g. the
 * end of an empty file's data).  After XFER_EV_ERROR every byte is
 * consumed silently until xfer_check_reset.
 */
size_t xfer_check_feed(struct xfer_check *c, const uint8_t *buf, size_t len, struct xfer_info *info);
/* True between a transfer header and its end marker: the stream was cut
 * short if it ends now. */
bool xfer_check_mid_transfer(const struct xfer_check *c);
bool xfer_check_failed(const struct xfer_check *c);

/* Decodes one UTF-8 sequence at s (n >= 1 bytes left): its length, or 0
 * if it is not well-formed (overlong, surrogate, past U+10FFFF, cut
 * short).  The one decoder for every text cordon must check is UTF-8,
 * here and in the supervisor. */
size_t xfer_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* Makes each byte of s[0..len) that is not part of valid UTF-8 a '?', in
 * place: for text that must be recorded whatever was cut or mangled
 * before it (an audit reason, a ps outcome). */
void xfer_utf8_repair(char *s, size_t len);
/* A file name the guard accepts: 0, or -1 with a reason (XFER_REASON_LEN). */
int xfer_name_check(const uint8_t *name, size_t len, char *why);
/* A VM name: 1..XFER_VM_MAX of [A-Za-z0-9_-]. */
bool xfer_vm_name_ok(const uint8_t *name, size_t len);

/* Encoders for writers: each returns the bytes written to out, which must
 * hold XFER_HEADER_LEN + XFER_VM_MAX, XFER_FILE_LEN + XFER_NAME_MAX,
 * XFER_TRAILER_LEN or XFER_END_LEN bytes.  Inputs are assumed valid. */
size_t xfer_put_header(uint8_t *out, enum xfer_kind kind, const char *vm, uint32_t nfiles);
size_t xfer_put_file(uint8_t *out, const char *name, uint16_t mode, uint64_t size);
size_t xfer_put_trailer(uint8_t *out, const uint8_t digest[XFER_DIGEST_LEN]);
size_t xfer_put_end(uint8_t *out, uint32_t nfiles);

#endif
