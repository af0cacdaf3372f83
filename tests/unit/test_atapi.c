/* The ATAPI CD-ROM: CDBs on their own, and PACKET through the IDE ports
 * in PIO and DMA, including short and bad packets. */
#include "t.h"

#include <stdlib.h>

#include "dev/atapi.h"
#include "dev/ide.h"

#define RAM (1u << 20)
#define CD_SECTORS 100u
#define BM 0xc000

/* --- CDBs ------------------------------------------------------------------ */

static struct atapi_reply run(struct atapi *cd, const uint8_t *cdb, uint8_t *buf)
{
	uint8_t c[ATAPI_CDB_LEN] = { 0 };
	memcpy(c, cdb, ATAPI_CDB_LEN);
	struct atapi_reply r;
	memset(buf, 0xee, ATAPI_REPLY_MAX);
	atapi_command(cd, c, buf, &r);
	return r;
}

TEST(atapi_cdbs_replies_and_lengths)
{
	struct atapi cd;
	uint8_t b[ATAPI_REPLY_MAX];
	atapi_init(&cd, CD_SECTORS * 2048ull + 100); /* a partial last sector is not a sector */
	CHECK_EQ(cd.sectors, CD_SECTORS);
	struct atapi_reply r = run(&cd, (uint8_t[12]){ 0x12, 0, 0, 0, 36 }, b);
	CHECK(r.ok);
	CHECK_EQ(r.len, 36);
	CHECK_EQ(b[0], 5);
	r = run(&cd, (uint8_t[12]){ 0x12, 0, 0, 0, 8 }, b); /* allocation length cuts */
	CHECK_EQ(r.len, 8);
	r = run(&cd, (uint8_t[12]){ 0x12, 1 }, b);          /* VPD: not supported */
	CHECK(!r.ok);
	CHECK_EQ(cd.key, SENSE_ILLEGAL_REQUEST);
	r = run(&cd, (uint8_t[12]){ 0x25 }, b);
	CHECK_EQ(r.len, 8);
	CHECK_EQ(b[3], CD_SECTORS - 1);
	CHECK_EQ(b[6], 0x08);
	r = run(&cd, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 98, 0, 0, 2 }, b);
	CHECK(r.ok && r.sectors);
	CHECK_EQ(r.lba, 98);
	CHECK_EQ(r.len, 4096);
	r = run(&cd, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 99, 0, 0, 2 }, b); /* past the end */
	CHECK(!r.ok);
	CHECK_EQ(cd.asc, 0x21);
	r = run(&cd, (uint8_t[12]){ 0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1 }, b);
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0xa8, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, b);
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0x28 }, b);             /* zero sectors: nothing */
	CHECK(r.ok && r.len == 0);
	r = run(&cd, (uint8_t[12]){ 0x03, 0, 0, 0, 18 }, b); /* REQUEST SENSE clears it */
	CHECK_EQ(r.len, 18);
	CHECK_EQ(b[0], 0x70);
	CHECK_EQ(b[2], SENSE_ILLEGAL_REQUEST);
	CHECK_EQ(cd.key, 0);
}

TEST(atapi_toc_config_mode_and_refusals)
{
	struct atapi cd;
	uint8_t b[ATAPI_REPLY_MAX];
	atapi_init(&cd, CD_SECTORS * 2048ull);
	struct atapi_reply r = run(&cd, (uint8_t[12]){ 0x43, 2, 0, 0, 0, 0, 0, 0, 100 }, b); /* MSF */
	CHECK(r.ok);
	CHECK_EQ(r.len, 20);
	CHECK_EQ(b[6], 1);                 /* track 1 */
	CHECK_EQ(b[10], 2);                /* 00:02:00 */
	CHECK_EQ(b[14], 0xaa);             /* lead-out */
	CHECK_EQ(b[18], 3);                /* 100 + 150 frames = 00:03:25 */
	CHECK_EQ(b[19], 25);
	r = run(&cd, (uint8_t[12]){ 0x43, 0, 0, 0, 0, 0, 5, 0, 100 }, b); /* no track 5 */
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0x43, 0, 7, 0, 0, 0, 0, 0, 100 }, b); /* format 7 */
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0x46, 0, 0, 0, 0, 0, 0, 0, 200 }, b);
	CHECK(r.ok);
	CHECK_EQ(b[7], 0x08);              /* current profile: CD-ROM */
	r = run(&cd, (uint8_t[12]){ 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 200 }, b);
	CHECK(r.ok);
	CHECK_EQ(b[8], 0x2a);
	CHECK_EQ(r.len, 28);
	r = run(&cd, (uint8_t[12]){ 0x1a, 0, 0x3f, 0, 255 }, b);
	CHECK_EQ(r.len, 4 + 12 + 20);
	r = run(&cd, (uint8_t[12]){ 0x5a, 0, 0x05, 0, 0, 0, 0, 0, 200 }, b); /* no page 5 */
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8 }, b);  /* not polled */
	CHECK(!r.ok);
	r = run(&cd, (uint8_t[12]){ 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 }, b);
	CHECK(r.ok);
	CHECK_EQ(b[5], 2);                 /* media present */
	r = run(&cd, (uint8_t[12]){ 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 }, b);     /* WRITE (10) */
	CHECK(!r.ok);
	CHECK_EQ(cd.key, SENSE_DATA_PROTECT);
	r = run(&cd, (uint8_t[12]){ 0xff }, b);
	CHECK(!r.ok);
	CHECK_EQ(cd.asc, 0x20);
}

/* --- through the IDE ports -------------------------------------------------- */

struct cd_rig {
	struct iobus io;
	struct mmiobus mmio;
	struct pci_bus *pci;
	struct ide *ide;
	uint8_t *ram, *disc;
};

static int disc_read(void *o, void *buf, size_t len, uint64_t off)
{
	if (off + len > CD_SECTORS * 2048ull)
		return -1;
	memcpy(buf, (uint8_t *)o + off, len);
	return 0;
}

static struct cd_rig *cd_new(void)
{
	struct cd_rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->pci = pci_create(&r->io, &r->mmio, NULL);
	r->ram = calloc(1, RAM);
	r->disc = malloc(CD_SECTORS * 2048);
	for (uint32_t i = 0; i < CD_SECTORS * 2048; i++)
		r->disc[i] = (uint8_t)(i / 2048 + i * 7);
	struct ide_config c = {
		.bus = r->pci, .slot = 1, .io = &r->io, .ram = r->ram, .ram_size = RAM,
		.drives = { [2] = { IDE_ATAPI, CD_SECTORS * 2048ull, true, "cd", { disc_read, NULL, NULL, r->disc } } },
	};
	r->ide = ide_create(&c);
	ide_enable(r->ide, BM);
	return r;
}

static void cd_free(struct cd_rig *r)
{
	ide_destroy(r->ide);
	pci_destroy(r->pci);
	free(r->ram);
	free(r->disc);
	free(r);
}

/* PACKET with byte count limit `limit`; writes the CDB's first n bytes. */
static void packet(struct cd_rig *r, const uint8_t *cdb, int n, uint16_t limit, bool dma)
{
	iobus_write(&r->io, 0x176, 1, 0xa0);
	iobus_write(&r->io, 0x171, 1, dma ? 1 : 0);
	iobus_write(&r->io, 0x174, 1, limit & 0xff);
	iobus_write(&r->io, 0x175, 1, limit >> 8);
	iobus_write(&r->io, 0x177, 1, 0xa0);
	for (int i = 0; i + 1 < n; i += 2)
		iobus_write(&r->io, 0x170, 2, (uint32_t)(cdb[i] | cdb[i + 1] << 8));
}

/* Reads one data phase; returns its byte count (0: no data phase). */
static uint32_t data_phase(struct cd_rig *r, uint8_t *buf)
{
	uint8_t st = (uint8_t)iobus_read(&r->io, 0x177, 1);
	if (!(st & 0x08))
		return 0;
	uint32_t n = iobus_read(&r->io, 0x174, 1) | iobus_read(&r->io, 0x175, 1) << 8;
	CHECK_EQ(iobus_read(&r->io, 0x172, 1), 2); /* interrupt reason: data in */
	for (uint32_t i = 0; i < n; i += 2) {
		uint16_t w = (uint16_t)iobus_read(&r->io, 0x170, 2);
		buf[i] = (uint8_t)w, buf[i + 1] = (uint8_t)(w >> 8);
	}
	return n;
}

TEST(atapi_identify_signature_and_pio_reads)
{
	struct cd_rig *r = cd_new();
	CHECK(r->ide != NULL);
	CHECK_EQ(iobus_read(&r->io, 0x174, 1), 0x14);
	CHECK_EQ(iobus_read(&r->io, 0x175, 1), 0xeb);
	iobus_write(&r->io, 0x177, 1, 0xec);               /* ATA IDENTIFY: aborted */
	CHECK_EQ(iobus_read(&r->io, 0x177, 1) & 0x01, 1);
	iobus_write(&r->io, 0x177, 1, 0xa1);
	uint16_t w0 = (uint16_t)iobus_read(&r->io, 0x170, 2);
	CHECK_EQ(w0, 0x85c0);
	for (int i = 1; i < 256; i++)
		(void)iobus_read(&r->io, 0x170, 2);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50); /* done, no error */
	static uint8_t buf[8192];
	/* READ (10) of 3 sectors with a 4 KiB limit: 4096 then 2048 bytes. */
	packet(r, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 10, 0, 0, 3 }, 12, 4096, false);
	uint32_t n1 = data_phase(r, buf), n2 = data_phase(r, buf + 4096);
	CHECK_EQ(n1, 4096);
	CHECK_EQ(n2, 2048);
	CHECK(memcmp(buf, r->disc + 10 * 2048, 6144) == 0);
	CHECK_EQ(data_phase(r, buf), 0);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50);
	CHECK_EQ(iobus_read(&r->io, 0x172, 1), 3);         /* status phase */
	/* An odd limit is rounded down to even. */
	packet(r, (uint8_t[12]){ 0x12, 0, 0, 0, 36 }, 12, 7, false);
	CHECK_EQ(data_phase(r, buf), 6);
	cd_free(r);
}

/* A limit of 1 holds no whole word: like 0, it sets no limit.  Rounded
 * down to 0 it made data phases of 0 bytes, one per data-port read, that
 * never ended. */
TEST(atapi_byte_count_limit_of_one)
{
	struct cd_rig *r = cd_new();
	static uint8_t buf[8192];
	packet(r, (uint8_t[12]){ 0x12, 0, 0, 0, 36 }, 12, 1, false);
	CHECK_EQ(data_phase(r, buf), 36);
	CHECK_EQ(buf[0], 5);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50);
	packet(r, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 10, 0, 0, 2 }, 12, 1, false);
	CHECK_EQ(data_phase(r, buf), 4096);
	CHECK(memcmp(buf, r->disc + 10 * 2048, 4096) == 0);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50);
	cd_free(r);
}

TEST(atapi_short_and_bad_packets)
{
	struct cd_rig *r = cd_new();
	uint8_t buf[64];
	/* Six bytes of a twelve-byte CDB: still waiting for the rest. */
	packet(r, (uint8_t[12]){ 0x12, 0, 0, 0, 36, 0 }, 6, 64, false);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1) & 0x08, 0x08);
	CHECK_EQ(iobus_read(&r->io, 0x172, 1), 1);         /* still the command phase */
	/* A new command abandons it. */
	iobus_write(&r->io, 0x177, 1, 0xe7);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50);
	CHECK_EQ(iobus_read(&r->io, 0x170, 2), 0);         /* no data to read */
	/* An unknown opcode: CHECK CONDITION, sense ILLEGAL REQUEST. */
	packet(r, (uint8_t[12]){ 0xfe }, 12, 64, false);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1) & 0x01, 1);
	CHECK_EQ(iobus_read(&r->io, 0x171, 1) >> 4, SENSE_ILLEGAL_REQUEST);
	packet(r, (uint8_t[12]){ 0x03, 0, 0, 0, 18 }, 12, 64, false);
	CHECK_EQ(data_phase(r, buf), 18);
	CHECK_EQ(buf[12], 0x20);
	/* A write: data protect. */
	packet(r, (uint8_t[12]){ 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 }, 12, 64, false);
	CHECK_EQ(iobus_read(&r->io, 0x171, 1) >> 4, SENSE_DATA_PROTECT);
	/* ATA commands a CD-ROM does not have. */
	iobus_write(&r->io, 0x177, 1, 0x30);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1) & 0x01, 1);
	cd_free(r);
}

TEST(atapi_dma_reads_and_bad_prds)
{
	struct cd_rig *r = cd_new();
	uint32_t e[2] = { 0x40000, 0x80000000u | 4096 };
	memcpy(r->ram + 0x1000, e, 8);
	packet(r, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 5, 0, 0, 2 }, 12, 0, true);
	iobus_write(&r->io, BM + 8 + 4, 4, 0x1000);
	iobus_write(&r->io, BM + 8, 1, 0x09);
	CHECK_EQ(iobus_read(&r->io, BM + 8 + 2, 1) & 0x07, 0x04);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1), 0x50);
	CHECK(memcmp(r->ram + 0x40000, r->disc + 5 * 2048, 4096) == 0);
	iobus_write(&r->io, BM + 8, 1, 0);
	/* A buffer outside RAM: bus master error, CHECK CONDITION. */
	e[0] = RAM - 1024;
	memcpy(r->ram + 0x1000, e, 8);
	packet(r, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 5, 0, 0, 2 }, 12, 0, true);
	iobus_write(&r->io, BM + 8, 1, 0x09);
	CHECK_EQ(iobus_read(&r->io, BM + 8 + 2, 1) & 0x02, 0x02);
	CHECK_EQ(iobus_read(&r->io, 0x177, 1) & 0x01, 1);
	cd_free(r);
}
