/*
 * A guest disk image: either a raw file or a LUKS-encrypted one, both over
 * the host layer's struct host_disk, behind the same read/write/flush
 * calls the virtio-blk backend needs.  The machine opens every --disk
 * through here.
 *
 * Raw images are passed straight to host_disk_*.  A LUKS image (LUKS1 or
 * LUKS2, aes-xts-plain64 only; see disk/luks.h) is unlocked at open: the
 * guest sees the decrypted data area, guest byte off living encrypted at
 * file offset data_offset + off.  The XTS IV of an encryption sector is
 * always its offset in 512-byte units (off / 512), for LUKS1 and for LUKS2
 * with 512- or 4096-byte sectors alike: cryptsetup never uses dm-crypt's
 * "iv_large_sectors" for LUKS (see disk/xts.h).  Guest accesses are
 * 512-byte aligned; one that covers only part
 * of a 4096-byte encryption sector is a read-modify-write of that sector,
 * and every write is encrypted whole into a bounce buffer before it is
 * written, so the file never holds a half-encrypted sector.
 *
 * The raw volume key is held only while the cipher is set up, in a locked
 * (mlock, not dumped) page that is wiped at once; after that the expanded
 * key lives in the OpenSSL contexts of struct xts, freed and cleansed by
 * disk_image_close.  The passphrase is never copied.
 *
 * A monitor started by cordon up opens nothing itself: its supervisor
 * opened the file and unlocked it (luks_unlock), and hands over the
 * descriptor and a struct luks_key (from_fd, key).  The key's geometry
 * gets the same checks luks_unlock makes, plus one against the file
 * itself (data area inside it, the header's UUID matching), and the key
 * goes straight from the caller's memory into the cipher, never copied.
 */
#ifndef CORDON_DISK_IMAGE_H
#define CORDON_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_IMAGE_CHUNK 65536u /* bounce buffer: bytes per host transfer (LUKS) */

struct disk_image;
struct luks_key;

struct disk_image_opts {
	const char *path;
	bool read_only;
	bool luks;
	const uint8_t *passphrase; /* luks only; not kept after open */
	size_t passphrase_len;
	bool from_fd;               /* use fd (taken over: closed by disk_image_close or on failure); path names it in messages */
	int fd;
	const struct luks_key *key; /* luks && from_fd: the volume key and geometry; libcryptsetup is not called */
};

/* Opens (and for LUKS unlocks) the image.  A read-write open holds the
 * host layer's exclusive lock from before the header is read until close.
 * NULL with a one-line reason in err (HOST_ERRLEN) naming the path, e.g.
 * "PATH: wrong passphrase or damaged key slot (no key slot opened)". */
struct disk_image *disk_image_open(const struct disk_image_opts *o, char *err);
void disk_image_close(struct disk_image *d); /* frees and wipes the cipher keys */

/* Guest-visible bytes: raw = the file size; LUKS = file size - data_offset,
 * rounded down to the encryption sector size.  Always a multiple of 512. */
uint64_t disk_image_size(const struct disk_image *d);
bool disk_image_same_file(const struct disk_image *a, const struct disk_image *b);

/* Same contract as host_disk_read/write/flush: whole-length transfers at
 * byte offsets and lengths that are multiples of 512 inside
 * disk_image_size.  0, or -1 (out of range, I/O error, write to a
 * read-only image). */
int disk_image_read(struct disk_image *d, void *buf, size_t len, uint64_t off);
int disk_image_write(struct disk_image *d, const void *buf, size_t len, uint64_t off);
int disk_image_flush(struct disk_image *d);

#endif
