/* fw_cfg as SeaBIOS drives it: select, read bytes, walk the directory. */
#include "t.h"

#include <stdlib.h>

#include "dev/fw_cfg.h"

static struct iobus *new_bus(void)
{
	struct iobus *io = calloc(1, sizeof(*io));
	iobus_init(io);
	return io;
}

static void sel(struct iobus *io, uint16_t key)
{
	iobus_write(io, FW_CFG_PORT_SEL, 2, key);
}

static void read_bytes(struct iobus *io, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)iobus_read(io, FW_CFG_PORT_DATA, 1);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

TEST(fw_cfg_signature_and_id)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	CHECK(f != NULL);
	CHECK(fw_cfg_create(io) == NULL); /* ports taken */
	uint8_t b[4];
	sel(io, FW_CFG_SIGNATURE);
	read_bytes(io, b, 4);
	CHECK(memcmp(b, "QEMU", 4) == 0);
	sel(io, FW_CFG_ID);
	read_bytes(io, b, 4);
	CHECK_EQ(b[0], 1); /* port interface, no DMA */
	CHECK_EQ(b[1] | b[2] | b[3], 0);
	fw_cfg_destroy(f);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0xff); /* ports released */
	free(io);
}

TEST(fw_cfg_unknown_selector_reads_zero)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	uint8_t b[8];
	for (unsigned key = 0; key <= 0xffff; key += 0x1111) {
		if (key == FW_CFG_SIGNATURE)
			continue;
		sel(io, (uint16_t)key);
		read_bytes(io, b, sizeof(b));
		for (int i = 0; i < 8; i++)
			CHECK_EQ(b[i], 0);
	}
	fw_cfg_destroy(f);
	free(io);
}

TEST(fw_cfg_read_past_end_is_zero_and_reselect_rewinds)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	CHECK_EQ(fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, 0x123456789aull), 0);
	sel(io, FW_CFG_RAM_SIZE);
	uint8_t b[20];
	read_bytes(io, b, sizeof(b));
	CHECK_EQ(b[0], 0x9a);
	CHECK_EQ(b[4], 0x12);
	for (int i = 8; i < 20; i++)
		CHECK_EQ(b[i], 0);
	for (int i = 0; i < 100000; i++) /* the offset saturates, never wraps */
		(void)iobus_read(io, FW_CFG_PORT_DATA, 1);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0);
	sel(io, FW_CFG_RAM_SIZE);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0x9a);
	/* The write-channel bit selects the same item. */
	sel(io, FW_CFG_RAM_SIZE | 0x4000);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0x9a);
	fw_cfg_destroy(f);
	free(io);
}

TEST(fw_cfg_guest_writes_change_nothing)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	sel(io, FW_CFG_SIGNATURE);
	iobus_write(io, FW_CFG_PORT_DATA, 1, 'X');
	iobus_write(io, FW_CFG_PORT_SEL, 1, FW_CFG_ID);     /* wrong width: ignored */
	iobus_write(io, FW_CFG_PORT_SEL, 4, 0xffffffffu);   /* wrong width: ignored */
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 'Q');
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 2), 0xffff); /* data is byte-wide */
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 'E');
	fw_cfg_destroy(f);
	free(io);
}

TEST(fw_cfg_directory_lists_files_sorted)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	CHECK_EQ(fw_cfg_add_file_u16(f, "etc/sercon-port", 0x3f8), 0);
	CHECK_EQ(fw_cfg_add_file(f, "bootorder", "/pci@i0cf8/*@3\n", 15), 0);
	CHECK_EQ(fw_cfg_add_file(f, "bootorder", "x", 1), -1); /* duplicate */
	sel(io, FW_CFG_FILE_DIR);
	uint8_t dir[4 + 2 * 64];
	read_bytes(io, dir, sizeof(dir));
	CHECK_EQ(be32(dir), 2);
	CHECK_STR((char *)dir + 4 + 8, "bootorder");
	CHECK_EQ(be32(dir + 4), 15);
	CHECK_STR((char *)dir + 68 + 8, "etc/sercon-port");
	CHECK_EQ(be32(dir + 68), 2);
	uint16_t key = (uint16_t)(dir[68 + 4] << 8 | dir[68 + 5]);
	CHECK(key >= FW_CFG_FILE_FIRST);
	sel(io, key);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0xf8);
	CHECK_EQ(iobus_read(io, FW_CFG_PORT_DATA, 1), 0x03);
	fw_cfg_destroy(f);
	free(io);
}

TEST(fw_cfg_rejects_bad_items)
{
	struct iobus *io = new_bus();
	struct fw_cfg *f = fw_cfg_create(io);
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_EQ(fw_cfg_add_file(f, longname, "x", 1), -1);
	CHECK_EQ(fw_cfg_add_file(f, "", "x", 1), -1);
	CHECK_EQ(fw_cfg_add_bytes(f, FW_CFG_FILE_DIR, "x", 1), -1);
	CHECK_EQ(fw_cfg_add_bytes(f, FW_CFG_FILE_FIRST, "x", 1), -1);
	CHECK_EQ(fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "x", 1), -1); /* exists */
	CHECK_EQ(fw_cfg_add_bytes(f, 0x8003, "x", 1), 0);            /* arch item */
	char name[16];
	int added = 0;
	for (int i = 0; i < FW_CFG_MAX_FILES + 4; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		added += fw_cfg_add_file(f, name, "", 0) == 0;
	}
	CHECK_EQ(added, FW_CFG_MAX_FILES);
	fw_cfg_destroy(f);
	free(io);
}
