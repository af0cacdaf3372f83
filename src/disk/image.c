/*
 * Guest disk images: raw passthrough, or LUKS decrypted on the fly.
 *
 * The LUKS data path works on "runs": the encryption sectors that cover
 * one guest access, cut into chunks of at most DISK_IMAGE_CHUNK bytes.
 * Each chunk goes through the bounce buffer allocated at open, so an
 * access costs no allocation and each chunk is one host read or write.
 */
#include "disk/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "disk/luks.h"
#include "disk/xts.h"
#include "host/host.h"

#define SECTOR 512u
#define SECRET_PAGE 4096u
/* Both LUKS1 and LUKS2 binary headers keep the UUID string here. */
#define LUKS_UUID_OFFSET 168
#define LUKS_UUID_LEN 40

struct disk_image {
	struct host_disk *host;
	uint64_t size;          /* guest-visible bytes */
	bool read_only;
	/* LUKS only; xts is NULL for a raw image. */
	struct xts *xts;
	uint64_t data_offset;   /* file offset of guest byte 0 */
	unsigned sector;        /* encryption sector, bytes */
	uint8_t *bounce;        /* DISK_IMAGE_CHUNK bytes */
};

/* --- a locked page for the raw volume key ---------------------------------
 *
 * These two call the OS (mlock, madvise) outside src/host: host.h has no
 * call for locked memory yet.  Locking is best effort; RLIMIT_MEMLOCK may
 * refuse it, and the key is wiped within the open call either way. */

static uint8_t *secret_alloc(void)
{
	uint8_t *p = aligned_alloc(SECRET_PAGE, SECRET_PAGE);
	if (!p)
		return NULL;
	memset(p, 0, SECRET_PAGE);
	(void)mlock(p, SECRET_PAGE);
	(void)madvise(p, SECRET_PAGE, MADV_DONTDUMP);
	return p;
}

static void secret_free(uint8_t *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, SECRET_PAGE);
	(void)madvise(p, SECRET_PAGE, MADV_DODUMP); /* the heap may reuse the page */
	(void)munlock(p, SECRET_PAGE);
	free(p);
}

/* --- opening ------------------------------------------------------------- */

/* libcryptsetup opened the file by name on its own; make sure the header
 * it read is the one in the file we hold (the path may have been renamed
 * over in between). */
static int check_same_header(struct disk_image *d, const char *path, const struct luks_info *info,
			     char *err)
{
	uint8_t first[SECTOR];
	if (host_disk_read(d->host, first, sizeof(first), 0) < 0 ||
	    strncmp((const char *)first + LUKS_UUID_OFFSET, info->uuid, LUKS_UUID_LEN) != 0) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS header changed while opening", path);
		return -1;
	}
	return 0;
}

static int set_luks_layout(struct disk_image *d, const char *path, const struct luks_info *info,
			   char *err)
{
	uint64_t file = host_disk_size(d->host);
	d->data_offset = info->data_offset;
	d->sector = info->sector_size;
	d->size = file > d->data_offset ? (file - d->data_offset) / d->sector * d->sector : 0;
	if (d->size == 0) {
		snprintf(err, HOST_ERRLEN,
			 "%s: no encrypted data after the LUKS header (file %llu bytes, data at %llu)",
			 path, (unsigned long long)file, (unsigned long long)d->data_offset);
		return -1;
	}
	return 0;
}

static int make_cipher(struct disk_image *d, const char *path, const uint8_t *key, size_t key_len,
		       unsigned sector, char *err)
{
	char why[XTS_ERRLEN];
	d->xts = xts_new(key, key_len, sector, why);
	if (!d->xts) {
		snprintf(err, HOST_ERRLEN, "%s: %.200s", path, why);
		return -1;
	}
	return 0;
}

/* The data path's state once the cipher exists: the layout, checked
 * against the file we hold, and the bounce buffer. */
static int finish_luks(struct disk_image *d, const char *path, const struct luks_info *info,
		       char *err)
{
	if (check_same_header(d, path, info, err) < 0 || set_luks_layout(d, path, info, err) < 0)
		return -1;
	d->bounce = malloc(DISK_IMAGE_CHUNK);
	if (!d->bounce) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

static int open_luks_passphrase(struct disk_image *d, const struct disk_image_opts *o, char *err)
{
	struct luks_info info;
	size_t key_len = 0;
	uint8_t *key = secret_alloc();
	if (!key) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory", o->path);
		return -1;
	}
	int r = luks_unlock(o->path, o->passphrase, o->passphrase_len, &info, key, LUKS_MAX_KEY,
			    &key_len, err);
	if (r == 0)
		r = make_cipher(d, o->path, key, key_len, info.sector_size, err);
	secret_free(key);
	return r < 0 ? -1 : finish_luks(d, o->path, &info, err);
}

/* A key from elsewhere gets the checks luks_unlock makes before it hands
 * one out (disk/luks.c), so both ways in serve the same images. */
static int check_key(const char *path, const struct luks_key *k, char *err)
{
	const struct luks_info *info = &k->info;
	if (strcmp(info->cipher, "aes") != 0 || strcmp(info->mode, "xts-plain64") != 0) {
		snprintf(err, HOST_ERRLEN, "%s: cipher %.31s-%.31s is not supported (only aes-xts-plain64)",
			 path, info->cipher, info->mode);
		return -1;
	}
	if ((k->key_len != 32 && k->key_len != 64) || k->key_len != info->key_size) {
		snprintf(err, HOST_ERRLEN,
			 "%s: volume key of %zu bytes for a %u-byte aes-xts-plain64 key "
			 "(only 32 or 64, and they must agree)", path, k->key_len, info->key_size);
		return -1;
	}
	if (info->sector_size != 512 && info->sector_size != 4096) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS sector size %u is not supported (only 512 or 4096)",
			 path, info->sector_size);
		return -1;
	}
	if (info->data_offset == 0 || info->data_offset % info->sector_size) {
		snprintf(err, HOST_ERRLEN, "%s: LUKS data offset %llu is not a non-zero multiple of "
			 "the %u-byte sector", path, (unsigned long long)info->data_offset,
			 info->sector_size);
		return -1;
	}
	return 0;
}

/* The caller's key goes straight into the cipher contexts: no copy. */
static int open_luks_key(struct disk_image *d, const struct disk_image_opts *o, char *err)
{
	const struct luks_key *k = o->key;
	if (!k) {
		snprintf(err, HOST_ERRLEN, "%s: no volume key for a LUKS image given as a descriptor",
			 o->path);
		return -1;
	}
	if (check_key(o->path, k, err) < 0 ||
	    make_cipher(d, o->path, k->key, k->key_len, k->info.sector_size, err) < 0)
		return -1;
	return finish_luks(d, o->path, &k->info, err);
}

static struct host_disk *open_host_disk(const struct disk_image_opts *o, char *err)
{
	if (o->from_fd)
		return host_disk_from_fd(o->fd, o->path, o->read_only, err);
	return host_disk_open(o->path, o->read_only, err);
}

struct disk_image *disk_image_open(const struct disk_image_opts *o, char *err)
{
	/* The host layer's lock is taken before libcryptsetup reads the
	 * header, so no other writer can change it under us. */
	struct host_disk *host = open_host_disk(o, err);
	if (!host)
		return NULL;
	struct disk_image *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, HOST_ERRLEN, "%s: out of memory", o->path);
		host_disk_close(host);
		return NULL;
	}
	d->host = host;
	d->read_only = o->read_only;
	d->size = host_disk_size(d->host);
	if (o->luks) {
		int r = o->from_fd ? open_luks_key(d, o, err) : open_luks_passphrase(d, o, err);
		if (r < 0) {
			disk_image_close(d);
			return NULL;
		}
	}
	return d;
}

void disk_image_close(struct disk_image *d)
{
	if (!d)
		return;
	xts_free(d->xts);
	if (d->bounce) {
		OPENSSL_cleanse(d->bounce, DISK_IMAGE_CHUNK); /* last plaintext chunk */
		free(d->bounce);
	}
	host_disk_close(d->host);
	free(d);
}

uint64_t disk_image_size(const struct disk_image *d)
{
	return d->size;
}

bool disk_image_same_file(const struct disk_image *a, const struct disk_image *b)
{
	return host_disk_same_file(a->host, b->host);
}

/* --- the LUKS data path -------------------------------------------------- */

static bool luks_in_range(const struct disk_image *d, size_t len, uint64_t off)
{
	return off % SECTOR == 0 && len % SECTOR == 0 && off <= d->size && len <= d->size - off;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The encryption sectors [first, stop) covering guest bytes [off, end). */
struct run {
	uint64_t off, end;   /* the guest access */
	uint64_t first, stop;
};

static struct run cover(const struct disk_image *d, size_t len, uint64_t off)
{
	uint64_t s = d->sector;
	struct run r = { off, off + len, off / s * s, (off + len + s - 1) / s * s };
	return r;
}

static int read_plain(struct disk_image *d, uint8_t *out, size_t n, uint64_t pos)
{
	if (host_disk_read(d->host, out, n, d->data_offset + pos) < 0)
		return -1;
	return xts_decrypt(d->xts, pos / SECTOR, out, out, n);
}

static int luks_read(struct disk_image *d, uint8_t *buf, size_t len, uint64_t off)
{
	struct run r = cover(d, len, off);
	for (uint64_t pos = r.first; pos < r.stop;) {
		size_t n = (size_t)min_u64(r.stop - pos, DISK_IMAGE_CHUNK);
		if (read_plain(d, d->bounce, n, pos) < 0)
			return -1;
		uint64_t from = max_u64(pos, r.off), to = min_u64(pos + n, r.end);
		memcpy(buf + (from - r.off), d->bounce + (from - pos), (size_t)(to - from));
		pos += n;
	}
	return 0;
}

/* Fills the bounce buffer for the chunk [pos, pos + n) with plaintext
 * ready to encrypt: the sectors the guest only partly overwrites are read
 * and decrypted first (at most the chunk's first and last sector). */
static int prepare_chunk(struct disk_image *d, const struct run *r, const uint8_t *buf,
			 size_t n, uint64_t pos)
{
	uint64_t from = max_u64(pos, r->off), to = min_u64(pos + n, r->end);
	bool head = from > pos, tail = to < pos + n;
	if (head && read_plain(d, d->bounce, d->sector, pos) < 0)
		return -1;
	size_t last = n - d->sector;
	if (tail && !(head && last == 0) &&
	    read_plain(d, d->bounce + last, d->sector, pos + last) < 0)
		return -1;
	memcpy(d->bounce + (from - pos), buf + (from - r->off), (size_t)(to - from));
	return 0;
}

static int luks_write(struct disk_image *d, const uint8_t *buf, size_t len, uint64_t off)
{
	struct run r = cover(d, len, off);
	for (uint64_t pos = r.first; pos < r.stop;) {
		size_t n = (size_t)min_u64(r.stop - pos, DISK_IMAGE_CHUNK);
		/* The whole chunk is encrypted before anything is written. */
		if (prepare_chunk(d, &r, buf, n, pos) < 0 ||
		    xts_encrypt(d->xts, pos / SECTOR, d->bounce, d->bounce, n) < 0 ||
		    host_disk_write(d->host, d->bounce, n, d->data_offset + pos) < 0)
			return -1;
		pos += n;
	}
	return 0;
}

/* --- the backend calls --------------------------------------------------- */

int disk_image_read(struct disk_image *d, void *buf, size_t len, uint64_t off)
{
	if (!d->xts)
		return host_disk_read(d->host, buf, len, off);
	if (!luks_in_range(d, len, off))
		return -1;
	return len ? luks_read(d, buf, len, off) : 0;
}

int disk_image_write(struct disk_image *d, const void *buf, size_t len, uint64_t off)
{
	if (!d->xts)
		return host_disk_write(d->host, buf, len, off);
	if (d->read_only || !luks_in_range(d, len, off))
		return -1;
	return len ? luks_write(d, buf, len, off) : 0;
}

int disk_image_flush(struct disk_image *d)
{
	return host_disk_flush(d->host);
}
