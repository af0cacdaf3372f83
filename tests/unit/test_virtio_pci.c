/*
 * The virtio-pci transport and virtio-rng, driven the way a guest driver
 * does: config space through the PCI bus, the BAR through the MMIO bus at
 * the address the test programmed.  Guest RAM is an exact-size heap block
 * so ASan catches any stray access.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/bus.h"
#include "dev/pci.h"
#include "dev/virtio_pci.h"
#include "dev/virtio_rng.h"
#include "host/host.h"

#define RAM_SIZE (64u * 1024)
#define BAR_BASE 0xe0000000u
#define SLOT 1
#define IRQ 11 /* slot 1, INTA# -> PIRQB -> ISA IRQ 11 */
#define DESC_AT 0x1000u
#define AVAIL_AT 0x2000u
#define USED_AT 0x3000u
#define BUF_AT 0x8000u
#define QSIZE 8u

struct rig {
	struct iobus io;
	struct mmiobus mmio;
	struct irq_line irq;
	int irq_level[16];
	struct pci_bus *pci;
	struct virtio_rng *rng;
	struct virtio_pci *vp;
	uint8_t *ram;
	uint8_t next_random;  /* the fake source hands out 0x00, 0x01, ... */
	bool random_fails;
	int nlogs;
	char last_log[512];
	uint16_t avail_idx;
	uint32_t dma_addr, dma_len; /* the ranges reported through ram_written, merged */
	unsigned ndma;
};

static void record_irq(void *opaque, int irq, int level)
{
	struct rig *r = opaque;
	if (irq >= 0 && irq < 16)
		r->irq_level[irq] = level;
}

static int fake_random(void *opaque, void *buf, size_t len)
{
	struct rig *r = opaque;
	if (r->random_fails)
		return -1;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = r->next_random++;
	return 0;
}

static void record_log(void *opaque, const char *msg)
{
	struct rig *r = opaque;
	r->nlogs++;
	snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
}

static void record_dma(void *opaque, uint32_t addr, uint32_t len)
{
	struct rig *r = opaque;
	if (r->ndma++ == 0)
		r->dma_addr = addr, r->dma_len = 0;
	r->dma_len = addr + len - r->dma_addr;
}

static struct rig *rig_open(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	iobus_init(&r->io);
	mmiobus_init(&r->mmio);
	r->irq = (struct irq_line){ record_irq, r };
	r->pci = pci_create(&r->io, &r->mmio, &r->irq);
	r->ram = calloc(1, RAM_SIZE);
	struct virtio_rng_config cfg = {
		.ram = r->ram, .ram_size = RAM_SIZE,
		.random = fake_random, .random_opaque = r,
		.log = record_log, .log_opaque = r,
		.ram_written = record_dma, .ram_opaque = r,
	};
	r->rng = virtio_rng_create(r->pci, SLOT, &cfg);
	r->vp = r->rng ? virtio_rng_transport(r->rng) : NULL;
	pci_config_write(r->pci, SLOT, PCI_BAR0, 4, BAR_BASE);
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return r;
}

static void rig_close(struct rig *r)
{
	pci_destroy(r->pci);
	virtio_rng_destroy(r->rng);
	free(r->ram);
	free(r);
}

static uint32_t rd(struct rig *r, uint32_t off, int size)
{
	uint32_t v = 0;
	mmiobus_read(&r->mmio, BAR_BASE + off, size, &v);
	return v;
}

static void wr(struct rig *r, uint32_t off, int size, uint32_t v)
{
	mmiobus_write(&r->mmio, BAR_BASE + off, size, v);
}

static uint8_t status(struct rig *r)
{
	return (uint8_t)rd(r, VIRTIO_PCI_DEVICE_STATUS, 1);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* ACKNOWLEDGE, DRIVER, the given features, FEATURES_OK. */
static void negotiate(struct rig *r, uint64_t features)
{
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		wr(r, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
		wr(r, VIRTIO_PCI_DRIVER_FEATURE, 4, (uint32_t)(features >> (32 * sel)));
	}
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

static void program_queue(struct rig *r, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(r, VIRTIO_PCI_QUEUE_SELECT, 2, 0);
	wr(r, VIRTIO_PCI_QUEUE_SIZE, 2, size);
	wr(r, VIRTIO_PCI_QUEUE_DESC, 4, (uint32_t)desc);
	wr(r, VIRTIO_PCI_QUEUE_DESC + 4, 4, (uint32_t)(desc >> 32));
	wr(r, VIRTIO_PCI_QUEUE_DRIVER, 4, (uint32_t)avail);
	wr(r, VIRTIO_PCI_QUEUE_DRIVER + 4, 4, (uint32_t)(avail >> 32));
	wr(r, VIRTIO_PCI_QUEUE_DEVICE, 4, (uint32_t)used);
	wr(r, VIRTIO_PCI_QUEUE_DEVICE + 4, 4, (uint32_t)(used >> 32));
	wr(r, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
}

static void bring_up(struct rig *r)
{
	negotiate(r, 1ull << VIRTIO_F_VERSION_1);
	program_queue(r, QSIZE, DESC_AT, AVAIL_AT, USED_AT);
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, status(r) | VIRTIO_STATUS_DRIVER_OK);
}

/* Puts one single-descriptor chain (addr, len, flags) on the avail ring. */
static void offer(struct rig *r, uint16_t d, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *desc = r->ram + DESC_AT + 16u * d;
	put64(desc, addr);
	put32(desc + 8, len);
	put16(desc + 12, flags);
	put16(desc + 14, 0);
	put16(r->ram + AVAIL_AT + 4 + 2u * (r->avail_idx % QSIZE), d);
	put16(r->ram + AVAIL_AT + 2, ++r->avail_idx);
}

static void kick(struct rig *r)
{
	wr(r, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
}

/* Finds the vendor capability of cfg_type type; returns its offset or 0. */
static unsigned find_cap(struct rig *r, uint8_t type)
{
	unsigned ptr = pci_config_read(r->pci, SLOT, PCI_CAPABILITY_LIST, 1);
	for (int hops = 0; ptr && hops < 48; hops++) {
		if (pci_config_read(r->pci, SLOT, ptr, 1) == 0x09 &&
		    pci_config_read(r->pci, SLOT, ptr + 3, 1) == type)
			return ptr;
		ptr = pci_config_read(r->pci, SLOT, ptr + 1, 1);
	}
	return 0;
}

TEST(virtio_pci_identity_and_capabilities)
{
	struct rig *r = rig_open();
	CHECK(r->rng != NULL);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x00, 2), 0x1af4);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x02, 2), 0x1040 + VIRTIO_ID_RNG);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x08, 1), 1); /* revision 1: modern only */
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x2c, 2), 0x1af4);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0x2e, 2), 0x1040 + VIRTIO_ID_RNG);
	CHECK(pci_config_read(r->pci, SLOT, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(pci_config_read(r->pci, SLOT, PCI_INTERRUPT_LINE, 1), IRQ);
	struct { uint8_t type; uint32_t off, minlen; } want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, 0x38 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, 2 },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1 },
	};
	for (unsigned i = 0; i < 3; i++) {
		unsigned at = find_cap(r, want[i].type);
		CHECK(at >= PCI_CAP_START);
		CHECK_EQ(pci_config_read(r->pci, SLOT, at + 4, 1), 0); /* BAR0 */
		CHECK_EQ(pci_config_read(r->pci, SLOT, at + 8, 4), want[i].off);
		CHECK(pci_config_read(r->pci, SLOT, at + 12, 4) >= want[i].minlen);
	}
	unsigned n = find_cap(r, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK_EQ(pci_config_read(r->pci, SLOT, n + 2, 1), 20);
	CHECK_EQ(pci_config_read(r->pci, SLOT, n + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
	CHECK_EQ(find_cap(r, VIRTIO_PCI_CAP_DEVICE_CFG), 0); /* virtio-rng has no config */
	CHECK_EQ(rd(r, VIRTIO_PCI_NUM_QUEUES, 2), 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	CHECK_EQ(rd(r, VIRTIO_PCI_MSIX_CONFIG, 2), VIRTIO_NO_VECTOR);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2), VIRTIO_NO_VECTOR);
	rig_close(r);
}

TEST(virtio_pci_feature_negotiation)
{
	struct rig *r = rig_open();
	wr(r, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVICE_FEATURE, 4) & 1, 1); /* VERSION_1 */
	wr(r, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	uint32_t low = rd(r, VIRTIO_PCI_DEVICE_FEATURE, 4);
	CHECK(low & (1u << VIRTIO_F_RING_INDIRECT_DESC));
	CHECK(low & (1u << VIRTIO_F_RING_EVENT_IDX));
	CHECK_EQ(low & 0xffffff, 0); /* virtio-rng has no feature bits of its own */
	wr(r, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 7);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVICE_FEATURE, 4), 0);

	negotiate(r, 1ull << VIRTIO_F_RING_EVENT_IDX); /* no VERSION_1: legacy driver */
	CHECK(!(status(r) & VIRTIO_STATUS_FEATURES_OK));
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	negotiate(r, (1ull << VIRTIO_F_VERSION_1) | (1ull << 5)); /* a bit not offered */
	CHECK(!(status(r) & VIRTIO_STATUS_FEATURES_OK));
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	wr(r, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 2); /* bits 64..95 do not exist */
	wr(r, VIRTIO_PCI_DRIVER_FEATURE, 4, 1);
	negotiate(r, 1ull << VIRTIO_F_VERSION_1);
	CHECK(!(status(r) & VIRTIO_STATUS_FEATURES_OK));
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);

	uint64_t good = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX);
	negotiate(r, good);
	CHECK(status(r) & VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ(virtio_pci_features(r->vp), good);
	/* Negotiation is over: later feature writes change nothing. */
	wr(r, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 0);
	wr(r, VIRTIO_PCI_DRIVER_FEATURE, 4, 0);
	CHECK_EQ(virtio_pci_features(r->vp), good);
	CHECK_EQ(r->nlogs, 0);
	rig_close(r);
}

TEST(virtio_pci_status_and_reset)
{
	struct rig *r = rig_open();
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(status(r), VIRTIO_STATUS_ACKNOWLEDGE); /* NEEDS_RESET is the device's bit */
	bring_up(r);
	CHECK_EQ(status(r), 0x0f);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), QSIZE);
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	CHECK_EQ(status(r), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_DESC, 4), 0);
	CHECK_EQ(virtio_pci_features(r->vp), 0);
	bring_up(r); /* the same driver can come up again */
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(r->nlogs, 0);
	rig_close(r);
}

/* A queue layout the device must refuse: NEEDS_RESET, a log line and a
 * config-change interrupt. */
static void check_bad_layout(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct rig *r = rig_open();
	negotiate(r, 1ull << VIRTIO_F_VERSION_1);
	program_queue(r, size, desc, avail, used);
	CHECK(status(r) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	CHECK_EQ(r->nlogs, 1);
	CHECK(strstr(r->last_log, "virtio-rng: queue 0:") == r->last_log);
	CHECK_EQ(r->irq_level[IRQ], 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	CHECK_EQ(r->irq_level[IRQ], 0);
	/* Reset clears it, and a good layout then works. */
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	CHECK_EQ(status(r), 0);
	bring_up(r);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(r->nlogs, 1);
	rig_close(r);
}

TEST(virtio_pci_queue_setup_bad_layouts)
{
	check_bad_layout(QSIZE, RAM_SIZE, AVAIL_AT, USED_AT);           /* desc past RAM */
	check_bad_layout(QSIZE, DESC_AT, AVAIL_AT, 1ull << 32);         /* above 4 GiB */
	check_bad_layout(QSIZE, DESC_AT + 8, AVAIL_AT, USED_AT);        /* misaligned */
	check_bad_layout(QSIZE, DESC_AT, AVAIL_AT, RAM_SIZE - 8);       /* used ring runs out */
	check_bad_layout(6, DESC_AT, AVAIL_AT, USED_AT);                /* not a power of two */
	check_bad_layout(0, DESC_AT, AVAIL_AT, USED_AT);
	check_bad_layout(2 * VIRTIO_RNG_QUEUE_SIZE, DESC_AT, AVAIL_AT, USED_AT); /* above max */
}

TEST(virtio_pci_enable_before_features_ok_breaks)
{
	struct rig *r = rig_open();
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	program_queue(r, QSIZE, DESC_AT, AVAIL_AT, USED_AT);
	CHECK(status(r) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(strstr(r->last_log, "FEATURES_OK") != NULL);
	rig_close(r);
}

TEST(virtio_rng_fills_a_buffer_on_notify)
{
	struct rig *r = rig_open();
	bring_up(r);
	r->next_random = 0x40;
	memset(r->ram + BUF_AT, 0xee, 32);
	offer(r, 3, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 1);        /* used->idx */
	CHECK_EQ(get32(r->ram + USED_AT + 4), 3);        /* id */
	CHECK_EQ(get32(r->ram + USED_AT + 8), 16);       /* len */
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(r->ram[BUF_AT + i], 0x40 + i);
	CHECK_EQ(r->ram[BUF_AT + 16], 0xee);             /* nothing past the buffer */
	/* The engine heard of exactly the bytes stored (to drop decoded code). */
	CHECK(r->ndma > 0);
	CHECK_EQ(r->dma_addr, BUF_AT);
	CHECK_EQ(r->dma_len, 16);
	CHECK_EQ(r->irq_level[IRQ], 1);
	CHECK(pci_config_read(r->pci, SLOT, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* ISR: read-to-clear, and only by a one-byte read. */
	CHECK_EQ(rd(r, VIRTIO_PCI_ISR_OFF, 4), 0);
	CHECK_EQ(r->irq_level[IRQ], 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
	CHECK_EQ(r->irq_level[IRQ], 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_ISR_OFF, 1), 0);
	CHECK_EQ(r->nlogs, 0);
	rig_close(r);
}

TEST(virtio_rng_caps_large_requests_and_skips_readable)
{
	struct rig *r = rig_open();
	bring_up(r);
	offer(r, 0, BUF_AT, 0x6000, VIRTQ_DESC_F_WRITE);  /* more than one fill */
	offer(r, 1, BUF_AT, 8, 0);                         /* nothing writable */
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 2);
	CHECK_EQ(get32(r->ram + USED_AT + 8), VIRTIO_RNG_MAX_FILL);
	CHECK_EQ(get32(r->ram + USED_AT + 16), 0);
	CHECK_EQ(r->nlogs, 0);
	rig_close(r);
}

TEST(virtio_rng_needs_bus_master)
{
	struct rig *r = rig_open();
	bring_up(r);
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	offer(r, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 0);
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 1);
	rig_close(r);
}

TEST(virtio_rng_ring_error_needs_reset)
{
	struct rig *r = rig_open();
	bring_up(r);
	offer(r, 0, RAM_SIZE - 8, 16, VIRTQ_DESC_F_WRITE); /* runs past RAM */
	kick(r);
	CHECK(status(r) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r->nlogs, 1);
	CHECK(strstr(r->last_log, "virtio-rng: queue 0:") == r->last_log);
	CHECK_EQ(rd(r, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	/* Broken: nothing more is processed or reported until reset. */
	offer(r, 1, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	kick(r);
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 0);
	CHECK_EQ(r->nlogs, 1);
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	memset(r->ram + AVAIL_AT, 0, 0x100);
	r->avail_idx = 0;
	bring_up(r);
	offer(r, 1, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	kick(r);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 1);
	rig_close(r);
}

TEST(virtio_rng_host_source_failure_needs_reset)
{
	struct rig *r = rig_open();
	bring_up(r);
	r->random_fails = true;
	offer(r, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	kick(r);
	CHECK(status(r) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(strstr(r->last_log, "random") != NULL);
	rig_close(r);
}

TEST(virtio_pci_hostile_offsets_and_widths)
{
	struct rig *r = rig_open();
	negotiate(r, 1ull << VIRTIO_F_VERSION_1);
	uint8_t st = status(r);
	/* Wrong widths on every kind of field are ignored / read as 0. */
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 4, 0);            /* would be a reset */
	wr(r, VIRTIO_PCI_DEVICE_STATUS - 2, 4, 0);
	CHECK_EQ(status(r), st);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVICE_STATUS, 2), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_NUM_QUEUES, 4), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_NUM_QUEUES + 1, 1), 0);
	wr(r, VIRTIO_PCI_QUEUE_DESC, 2, 0x1234);
	wr(r, VIRTIO_PCI_QUEUE_DESC + 1, 4, 0x1234);
	wr(r, VIRTIO_PCI_QUEUE_DESC + 2, 1, 0x12);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_DESC, 4), 0);
	wr(r, VIRTIO_PCI_QUEUE_SIZE, 4, 4);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	wr(r, VIRTIO_PCI_QUEUE_ENABLE, 1, 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	/* Past the end of the common structure and in the gaps: nothing. */
	for (uint32_t off = VIRTIO_PCI_COMMON_LEN; off < VIRTIO_PCI_ISR_OFF; off += 0x1c4)
		CHECK_EQ(rd(r, off, 4), 0);
	CHECK_EQ(rd(r, VIRTIO_PCI_DEVCFG_OFF, 4), 0);      /* no device config */
	wr(r, VIRTIO_PCI_DEVCFG_OFF, 4, 0xffffffffu);
	/* A queue that does not exist: size 0, writes go nowhere. */
	wr(r, VIRTIO_PCI_QUEUE_SELECT, 2, 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), 0);
	wr(r, VIRTIO_PCI_QUEUE_SIZE, 2, 4);
	wr(r, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	wr(r, VIRTIO_PCI_QUEUE_SELECT, 2, 0xffff);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_SIZE, 2), 0);
	wr(r, VIRTIO_PCI_QUEUE_SELECT, 2, 0);
	CHECK_EQ(status(r), st);
	CHECK_EQ(r->nlogs, 0);

	/* Notifies: only 2/4 bytes at a real queue's own offset. */
	program_queue(r, QSIZE, DESC_AT, AVAIL_AT, USED_AT);
	wr(r, VIRTIO_PCI_DEVICE_STATUS, 1, status(r) | VIRTIO_STATUS_DRIVER_OK);
	offer(r, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	wr(r, VIRTIO_PCI_NOTIFY_OFF, 1, 0);
	wr(r, VIRTIO_PCI_NOTIFY_OFF + 2, 2, 0);
	wr(r, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT, 2, 1); /* queue 1 */
	wr(r, VIRTIO_PCI_BAR_SIZE - 4, 4, 0);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 0);
	/* Queue registers are frozen while the queue runs. */
	wr(r, VIRTIO_PCI_QUEUE_DESC, 4, 0x5000);
	CHECK_EQ(rd(r, VIRTIO_PCI_QUEUE_DESC, 4), DESC_AT);
	wr(r, VIRTIO_PCI_NOTIFY_OFF, 4, 0);
	CHECK_EQ(get16(r->ram + USED_AT + 2), 1);
	/* Odd sizes straight at the BAR callbacks (the bus never sends them). */
	CHECK_EQ(virtio_pci_bar_read(r->vp, 0, 3), 0);
	virtio_pci_bar_write(r->vp, VIRTIO_PCI_DEVICE_STATUS, 8, 0);
	virtio_pci_bar_write(r->vp, 0xffffffffu, 1, 0);
	CHECK_EQ(virtio_pci_bar_read(r->vp, 0xffffffffu, 4), 0);
	CHECK(status(r) & VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(r->nlogs, 0);
	rig_close(r);
}

TEST(virtio_pci_create_rejects_bad_configs)
{
	struct iobus *io = malloc(sizeof(*io));
	struct mmiobus mmio;
	iobus_init(io);
	mmiobus_init(&mmio);
	struct pci_bus *pci = pci_create(io, &mmio, NULL);
	uint8_t ram[64];
	struct virtio_pci_config good = {
		.device_type = 4, .num_queues = 1, .queue_max_size = 8, .ram = ram, .ram_size = sizeof(ram),
	};
	struct virtio_pci_config c = good;
	c.num_queues = 0;
	CHECK(virtio_pci_create(pci, 2, &c) == NULL);
	c = good, c.num_queues = VIRTIO_PCI_MAX_QUEUES + 1;
	CHECK(virtio_pci_create(pci, 2, &c) == NULL);
	c = good, c.queue_max_size = 12;
	CHECK(virtio_pci_create(pci, 2, &c) == NULL);
	c = good, c.config_len = VIRTIO_PCI_MAX_CONFIG + 1;
	CHECK(virtio_pci_create(pci, 2, &c) == NULL);
	c = good, c.device_type = 0x40;
	CHECK(virtio_pci_create(pci, 2, &c) == NULL);
	CHECK(virtio_pci_create(pci, 0, &good) == NULL); /* the host bridge's slot */
	struct virtio_pci *vp = virtio_pci_create(pci, 2, &good);
	CHECK(vp != NULL);
	CHECK(virtio_pci_create(pci, 2, &good) == NULL); /* taken */
	pci_destroy(pci);
	virtio_pci_destroy(vp);
	free(io);
}

/* Sets the PCI_CFG window (bar, offset, length) through config writes. */
static unsigned set_window(struct rig *r, uint8_t bar, uint32_t off, uint32_t len)
{
	unsigned at = find_cap(r, VIRTIO_PCI_CAP_PCI_CFG);
	pci_config_write(r->pci, SLOT, at + 4, 1, bar);
	pci_config_write(r->pci, SLOT, at + 8, 4, off);
	pci_config_write(r->pci, SLOT, at + 12, 4, len);
	return at + 16;
}

TEST(virtio_pci_cfg_window_reaches_the_bar)
{
	struct rig *r = rig_open();
	unsigned at = find_cap(r, VIRTIO_PCI_CAP_PCI_CFG);
	CHECK(at >= PCI_CAP_START);
	CHECK_EQ(pci_config_read(r->pci, SLOT, at + 2, 1), 20);
	unsigned data = set_window(r, 0, VIRTIO_PCI_NUM_QUEUES, 2);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 2), 1);
	CHECK_EQ(pci_config_read(r->pci, SLOT, at + 8, 4), VIRTIO_PCI_NUM_QUEUES); /* read back */
	data = set_window(r, 0, VIRTIO_PCI_DEVICE_STATUS, 1);
	pci_config_write(r->pci, SLOT, data, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK_EQ(status(r), VIRTIO_STATUS_ACKNOWLEDGE);
	/* The window works with memory decode off, as the spec intends. */
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, 0);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Refused: wrong width, bad length, unaligned, another BAR, past the BAR. */
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 2), 0);
	set_window(r, 0, VIRTIO_PCI_NUM_QUEUES, 3);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 2), 0);
	set_window(r, 0, VIRTIO_PCI_NUM_QUEUES + 1, 2);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data + 1, 2), 0);
	set_window(r, 1, VIRTIO_PCI_NUM_QUEUES, 2);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 2), 0);
	set_window(r, 0, VIRTIO_PCI_BAR_SIZE, 4);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 4), 0);
	set_window(r, 0, 0xfffffffcu, 4);
	pci_config_write(r->pci, SLOT, data, 4, 0);
	CHECK_EQ(pci_config_read(r->pci, SLOT, data, 4), 0);
	/* Everything else in the capabilities is read-only. */
	pci_config_write(r->pci, SLOT, at, 4, 0);
	CHECK_EQ(pci_config_read(r->pci, SLOT, at, 1), 0x09);
	CHECK_EQ(pci_config_read(r->pci, SLOT, at + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);
	unsigned common = find_cap(r, VIRTIO_PCI_CAP_COMMON_CFG);
	pci_config_write(r->pci, SLOT, common + 8, 4, 0x1000);
	CHECK_EQ(pci_config_read(r->pci, SLOT, common + 8, 4), VIRTIO_PCI_COMMON_OFF);
	CHECK_EQ(pci_config_read(r->pci, SLOT, 0xfc, 4), 0); /* past the capabilities */
	pci_config_write(r->pci, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(status(r), VIRTIO_STATUS_ACKNOWLEDGE);
	rig_close(r);
}

TEST(host_random_fills_the_buffer)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 }, zero[64] = { 0 };
	CHECK_EQ(host_random(a, sizeof(a)), 0);
	CHECK_EQ(host_random(b, sizeof(b)), 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_EQ(host_random(a, 0), 0);
}
