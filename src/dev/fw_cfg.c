/*
 * fw_cfg over ports 0x510/0x511; see dev/fw_cfg.h.
 *
 * The guest controls two things: the selector (any 16-bit value) and how
 * many bytes it reads.  Both are harmless by construction: a selector
 * that names no item selects an empty one, and the read offset stops at
 * the item's end, after which every byte reads as 0.
 */
#include "dev/fw_cfg.h"

#include <stdlib.h>
#include <string.h>

#include "dev/le.h"

#define MAX_ITEMS 64
#define WRITE_CHANNEL 0x4000u /* selector bit: "for writing"; ignored */
#define DIR_ENTRY_SIZE 64     /* u32 size, u16 select, u16 reserved, name[56] */

struct fw_cfg_item {
	uint16_t key;
	uint8_t *data;
	uint32_t len;
	char name[FW_CFG_FILE_NAME_MAX]; /* "" for numbered items */
};

struct fw_cfg {
	struct iobus *io;
	struct fw_cfg_item items[MAX_ITEMS];
	unsigned nitems;
	unsigned nfiles;
	const struct fw_cfg_item *cur; /* NULL: an empty item */
	uint32_t offset;
};

static struct fw_cfg_item *find(struct fw_cfg *f, uint16_t key)
{
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

/* --- the ports ------------------------------------------------------------ */

static void select_item(struct fw_cfg *f, uint16_t sel)
{
	f->cur = find(f, (uint16_t)(sel & ~WRITE_CHANNEL));
	f->offset = 0;
}

static uint8_t next_byte(struct fw_cfg *f)
{
	if (!f->cur || f->offset >= f->cur->len)
		return 0;
	return f->cur->data[f->offset++];
}

/* The selector takes a 16-bit write; the data port is one byte wide.
 * Other widths are not part of the interface and do nothing. */
static uint32_t fw_cfg_read(void *opaque, uint32_t port, int size)
{
	struct fw_cfg *f = opaque;
	if (port == FW_CFG_PORT_DATA && size == 1)
		return next_byte(f);
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void fw_cfg_write(void *opaque, uint32_t port, int size, uint32_t val)
{
	struct fw_cfg *f = opaque;
	if (port == FW_CFG_PORT_SEL && size == 2)
		select_item(f, (uint16_t)val);
}

/* --- items ---------------------------------------------------------------- */

static struct fw_cfg_item *new_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	if (f->nitems == MAX_ITEMS || len > FW_CFG_MAX_ITEM || find(f, key))
		return NULL;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	if (len)
		memcpy(copy, data, len);
	struct fw_cfg_item *it = &f->items[f->nitems++];
	*it = (struct fw_cfg_item){ .key = key, .data = copy, .len = (uint32_t)len };
	return it;
}

static int cmp_names(const void *a, const void *b)
{
	const struct fw_cfg_item *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* The directory: a big-endian count, then one entry per file by name. */
static int rebuild_dir(struct fw_cfg *f)
{
	const struct fw_cfg_item *files[FW_CFG_MAX_FILES];
	unsigned n = 0;
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].name[0])
			files[n++] = &f->items[i];
	qsort(files, n, sizeof(files[0]), cmp_names);
	size_t len = 4 + (size_t)n * DIR_ENTRY_SIZE;
	uint8_t *dir = calloc(1, len);
	if (!dir)
		return -1;
	put_be32(dir, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = dir + 4 + (size_t)i * DIR_ENTRY_SIZE;
		put_be32(e, files[i]->len);
		put_be16(e + 4, files[i]->key);
		memcpy(e + 8, files[i]->name, strlen(files[i]->name));
	}
	struct fw_cfg_item *d = find(f, FW_CFG_FILE_DIR);
	if (!d)
		d = new_item(f, FW_CFG_FILE_DIR, NULL, 0);
	if (!d) {
		free(dir);
		return -1;
	}
	free(d->data);
	d->data = dir;
	d->len = (uint32_t)len;
	f->cur = NULL; /* a guest mid-read of the old directory starts over */
	return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	if (key >= FW_CFG_FILE_FIRST && key < 0x8000)
		return -1; /* the file range and the directory are the files' */
	if (key == FW_CFG_FILE_DIR || (key & WRITE_CHANNEL))
		return -1;
	return new_item(f, key, data, len) ? 0 : -1;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
	size_t nlen = name ? strlen(name) : 0;
	if (nlen == 0 || nlen >= FW_CFG_FILE_NAME_MAX || f->nfiles == FW_CFG_MAX_FILES)
		return -1;
	for (unsigned i = 0; i < f->nitems; i++)
		if (strcmp(f->items[i].name, name) == 0)
			return -1;
	struct fw_cfg_item *it = new_item(f, (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles), data, len);
	if (!it)
		return -1;
	memcpy(it->name, name, nlen + 1);
	f->nfiles++;
	return rebuild_dir(f);
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return fw_cfg_add_bytes(f, key, b, sizeof(b));
}

static void le64(uint8_t b[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	le64(b, v);
	return fw_cfg_add_bytes(f, key, b, sizeof(b));
}

int fw_cfg_add_file_u16(struct fw_cfg *f, const char *name, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return fw_cfg_add_file(f, name, b, sizeof(b));
}

int fw_cfg_add_file_u64(struct fw_cfg *f, const char *name, uint64_t v)
{
	uint8_t b[8];
	le64(b, v);
	return fw_cfg_add_file(f, name, b, sizeof(b));
}

/* --- lifetime ------------------------------------------------------------- */

struct fw_cfg *fw_cfg_create(struct iobus *io)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->io = io;
	static const uint8_t id[4] = { 1, 0, 0, 0 }; /* the port interface only */
	if (fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    fw_cfg_add_bytes(f, FW_CFG_ID, id, sizeof(id)) < 0 || rebuild_dir(f) < 0 ||
	    iobus_register(io, "fw_cfg", FW_CFG_PORT_SEL, 2, fw_cfg_read, fw_cfg_write, f) < 0) {
		f->io = NULL;
		fw_cfg_destroy(f);
		return NULL;
	}
	return f;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
	if (!f)
		return;
	if (f->io)
		iobus_unregister(f->io, FW_CFG_PORT_SEL);
	for (unsigned i = 0; i < f->nitems; i++)
		free(f->items[i].data);
	free(f);
}
