/*
 * The virtio-pci transport and virtio-rng, driven the way a guest driver
 * does: config space through the PCI bus, the BAR through the MMIO bus at
 * the address the test programmed (see virtio_rig.h).
 */
#include "t.h"

#include <stdlib.h>

#include "dev/virtio_rng.h"
#include "host/host.h"
#include "virtio_rig.h"

#define RAM_SIZE (64u * 1024)
#define SLOT 1
#define IRQ 11 /* slot 1, INTA# -> PIRQB -> ISA IRQ 11 */
#define DESC_AT VR_DESC_AT(0)
#define AVAIL_AT VR_AVAIL_AT(0)
#define USED_AT VR_USED_AT(0)
#define BUF_AT 0x8000u
#define QSIZE 8u

struct rig {
	struct vrig v;
	struct virtio_rng *rng;
	struct virtio_pci *vp;
	uint8_t next_random;  /* the fake source hands out 0x00, 0x01, ... */
	bool random_fails;
};

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

static struct rig *rig_open(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	vr_init(&r->v, SLOT, RAM_SIZE);
	struct virtio_rng_config cfg = {
		.ram = r->v.ram, .ram_size = RAM_SIZE,
		.random = fake_random, .random_opaque = r,
		.log = vr_log, .log_opaque = &r->v,
		.ram_written = vr_ram_written, .ram_opaque = &r->v,
	};
	r->rng = virtio_rng_create(r->v.pci, SLOT, &cfg);
	r->vp = r->rng ? virtio_rng_transport(r->rng) : NULL;
	vr_enable(&r->v);
	return r;
}

static void rig_close(struct rig *r)
{
	virtio_rng_destroy(r->rng);
	vr_fini(&r->v);
	free(r);
}

static void bring_up(struct vrig *v)
{
	vr_start(v, 1ull << VIRTIO_F_VERSION_1, 1, QSIZE, true);
}

/* Puts one single-descriptor chain (addr, len, flags) on the avail ring. */
static void offer(struct vrig *v, uint16_t d, uint64_t addr, uint32_t len, uint16_t flags)
{
	vr_put_desc(v, 0, d, addr, len, flags, 0);
	vr_make_avail(v, 0, d);
}

/* Finds the vendor capability of cfg_type type; returns its offset or 0. */
static unsigned find_cap(struct vrig *v, uint8_t type)
{
	unsigned ptr = vr_cfg_read(v, PCI_CAPABILITY_LIST, 1);
	for (int hops = 0; ptr && hops < 48; hops++) {
		if (vr_cfg_read(v, ptr, 1) == 0x09 && vr_cfg_read(v, ptr + 3, 1) == type)
			return ptr;
		ptr = vr_cfg_read(v, ptr + 1, 1);
	}
	return 0;
}

TEST(virtio_pci_identity_and_capabilities)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	CHECK(r->rng != NULL);
	CHECK_EQ(vr_cfg_read(v, 0x00, 2), 0x1af4);
	CHECK_EQ(vr_cfg_read(v, 0x02, 2), 0x1040 + VIRTIO_ID_RNG);
	CHECK_EQ(vr_cfg_read(v, 0x08, 1), 1); /* revision 1: modern only */
	CHECK_EQ(vr_cfg_read(v, 0x2c, 2), 0x1af4);
	CHECK_EQ(vr_cfg_read(v, 0x2e, 2), 0x1040 + VIRTIO_ID_RNG);
	CHECK(vr_cfg_read(v, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(vr_cfg_read(v, PCI_INTERRUPT_LINE, 1), IRQ);
	struct { uint8_t type; uint32_t off, minlen; } want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, 0x38 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, 2 },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1 },
	};
	for (unsigned i = 0; i < 3; i++) {
		unsigned at = find_cap(v, want[i].type);
		CHECK(at >= PCI_CAP_START);
		CHECK_EQ(vr_cfg_read(v, at + 4, 1), 0); /* BAR0 */
		CHECK_EQ(vr_cfg_read(v, at + 8, 4), want[i].off);
		CHECK(vr_cfg_read(v, at + 12, 4) >= want[i].minlen);
	}
	unsigned n = find_cap(v, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK_EQ(vr_cfg_read(v, n + 2, 1), 20);
	CHECK_EQ(vr_cfg_read(v, n + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
	CHECK_EQ(find_cap(v, VIRTIO_PCI_CAP_DEVICE_CFG), 0); /* virtio-rng has no config */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES, 2), 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_MSIX_CONFIG, 2), VIRTIO_NO_VECTOR);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2), VIRTIO_NO_VECTOR);
	rig_close(r);
}

TEST(virtio_pci_feature_negotiation)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4) & 1, 1); /* VERSION_1 */
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	uint32_t low = vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4);
	CHECK(low & (1u << VIRTIO_F_RING_INDIRECT_DESC));
	CHECK(low & (1u << VIRTIO_F_RING_EVENT_IDX));
	CHECK_EQ(low & 0xffffff, 0); /* virtio-rng has no feature bits of its own */
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 7);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4), 0);

	vr_negotiate(v, 1ull << VIRTIO_F_RING_EVENT_IDX); /* no VERSION_1: legacy driver */
	CHECK(!(vr_status(v) & VIRTIO_STATUS_FEATURES_OK));
	vr_reset(v);
	vr_negotiate(v, (1ull << VIRTIO_F_VERSION_1) | (1ull << 5)); /* a bit not offered */
	CHECK(!(vr_status(v) & VIRTIO_STATUS_FEATURES_OK));
	vr_reset(v);
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 2); /* bits 64..95 do not exist */
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE, 4, 1);
	vr_negotiate(v, 1ull << VIRTIO_F_VERSION_1);
	CHECK(!(vr_status(v) & VIRTIO_STATUS_FEATURES_OK));
	vr_reset(v);

	uint64_t good = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX);
	vr_negotiate(v, good);
	CHECK(vr_status(v) & VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ(virtio_pci_features(r->vp), good);
	/* Negotiation is over: later feature writes change nothing. */
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 0);
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE, 4, 0);
	CHECK_EQ(virtio_pci_features(r->vp), good);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_pci_status_and_reset)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(vr_status(v), VIRTIO_STATUS_ACKNOWLEDGE); /* NEEDS_RESET is the device's bit */
	bring_up(v);
	CHECK_EQ(vr_status(v), 0x0f);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), QSIZE);
	vr_reset(v);
	CHECK_EQ(vr_status(v), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_DESC, 4), 0);
	CHECK_EQ(virtio_pci_features(r->vp), 0);
	bring_up(v); /* the same driver can come up again */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

/* Only a reset takes status bits away: a driver that writes fewer keeps
 * FEATURES_OK and DRIVER_OK, so negotiation cannot reopen under live
 * queues. */
TEST(virtio_pci_status_bits_stay_until_reset)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint64_t good = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX);
	vr_negotiate(v, good);
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, vr_status(v) | VIRTIO_STATUS_DRIVER_OK);
	uint8_t up = vr_status(v);
	CHECK(up & VIRTIO_STATUS_DRIVER_OK);
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK_EQ(vr_status(v), up);
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 0);
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE, 4, 0);
	CHECK_EQ(virtio_pci_features(r->vp), good);
	rig_close(r);
}

/* A queue layout the device must refuse: NEEDS_RESET, a log line and a
 * config-change interrupt. */
static void check_bad_layout(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	vr_negotiate(v, 1ull << VIRTIO_F_VERSION_1);
	vr_program_queue(v, 0, size, desc, avail, used);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	CHECK_EQ(v->nlogs, 1);
	CHECK(strstr(v->last_log, "virtio-rng: queue 0:") == v->last_log);
	CHECK_EQ(v->irq_level[IRQ], 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	CHECK_EQ(v->irq_level[IRQ], 0);
	/* Reset clears it, and a good layout then works. */
	vr_reset(v);
	CHECK_EQ(vr_status(v), 0);
	bring_up(v);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 1);
	CHECK_EQ(v->nlogs, 1);
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
	struct vrig *v = &r->v;
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vr_program_queue(v, 0, QSIZE, DESC_AT, AVAIL_AT, USED_AT);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(strstr(v->last_log, "FEATURES_OK") != NULL);
	rig_close(r);
}

/* The used ring is guest RAM the device stores into, like a buffer: the
 * engine must hear of it, or code it decoded there would run stale. */
TEST(virtio_pci_used_ring_stores_are_reported)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	offer(v, 2, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	CHECK(v->nring_stores > 0);
	struct vr_range s = v->last_ring_store;
	CHECK(s.addr <= USED_AT + 2 && s.addr + s.len >= USED_AT + 4 + 8); /* idx and element 0 */
	rig_close(r);

	/* With EVENT_IDX even a pop that finds nothing stores avail_event. */
	r = rig_open();
	v = &r->v;
	vr_start(v, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_RING_EVENT_IDX, 1, QSIZE, true);
	unsigned before = v->nring_stores;
	vr_kick(v, 0);
	CHECK(v->nring_stores > before);
	s = v->last_ring_store;
	CHECK(s.addr <= USED_AT + 4 + 8 * QSIZE && s.addr + s.len >= USED_AT + 6 + 8 * QSIZE);
	rig_close(r);
}

TEST(virtio_rng_fills_a_buffer_on_notify)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	r->next_random = 0x40;
	memset(v->ram + BUF_AT, 0xee, 32);
	offer(v, 3, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	CHECK_EQ(vr_used_id(v, 0, 0), 3);
	CHECK_EQ(vr_used_len(v, 0, 0), 16);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(v->ram[BUF_AT + i], 0x40 + i);
	CHECK_EQ(v->ram[BUF_AT + 16], 0xee); /* nothing past the buffer */
	/* The engine heard of exactly the bytes stored (to drop decoded code). */
	CHECK(v->nranges > 0);
	CHECK_EQ(v->ranges[0].addr, BUF_AT);
	CHECK_EQ(vr_written_span(v), 16);
	CHECK_EQ(v->irq_level[IRQ], 1);
	CHECK(vr_cfg_read(v, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* ISR: read-to-clear, and only by a one-byte read. */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 4), 0);
	CHECK_EQ(v->irq_level[IRQ], 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
	CHECK_EQ(v->irq_level[IRQ], 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), 0);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_rng_caps_large_requests_and_skips_readable)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	offer(v, 0, BUF_AT, 0x6000, VIRTQ_DESC_F_WRITE);  /* more than one fill */
	offer(v, 1, BUF_AT, 8, 0);                         /* nothing writable */
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 2);
	CHECK_EQ(vr_used_len(v, 0, 0), VIRTIO_RNG_MAX_FILL);
	CHECK_EQ(vr_used_len(v, 0, 1), 0);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_rng_needs_bus_master)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	vr_cfg_write(v, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	offer(v, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 0);
	vr_cfg_write(v, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	rig_close(r);
}

TEST(virtio_rng_ring_error_needs_reset)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	offer(v, 0, RAM_SIZE - 8, 16, VIRTQ_DESC_F_WRITE); /* runs past RAM */
	vr_kick(v, 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK(strstr(v->last_log, "virtio-rng: queue 0:") == v->last_log);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	/* Broken: nothing more is processed or reported until reset. */
	offer(v, 1, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 0);
	CHECK_EQ(v->nlogs, 1);
	vr_reset(v);
	bring_up(v); /* fresh rings */
	offer(v, 1, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	rig_close(r);
}

TEST(virtio_rng_host_source_failure_needs_reset)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	bring_up(v);
	r->random_fails = true;
	offer(v, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_kick(v, 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(strstr(v->last_log, "random") != NULL);
	rig_close(r);
}

TEST(virtio_pci_hostile_offsets_and_widths)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	vr_negotiate(v, 1ull << VIRTIO_F_VERSION_1);
	uint8_t st = vr_status(v);
	/* Wrong widths on every kind of field are ignored / read as 0. */
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 4, 0);            /* would be a reset */
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS - 2, 4, 0);
	CHECK_EQ(vr_status(v), st);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVICE_STATUS, 2), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES, 4), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES + 1, 1), 0);
	vr_wr(v, VIRTIO_PCI_QUEUE_DESC, 2, 0x1234);
	vr_wr(v, VIRTIO_PCI_QUEUE_DESC + 1, 4, 0x1234);
	vr_wr(v, VIRTIO_PCI_QUEUE_DESC + 2, 1, 0x12);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_DESC, 4), 0);
	vr_wr(v, VIRTIO_PCI_QUEUE_SIZE, 4, 4);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	vr_wr(v, VIRTIO_PCI_QUEUE_ENABLE, 1, 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	/* Past the end of the common structure and in the gaps: nothing. */
	for (uint32_t off = VIRTIO_PCI_COMMON_LEN; off < VIRTIO_PCI_ISR_OFF; off += 0x1c4)
		CHECK_EQ(vr_rd(v, off, 4), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVCFG_OFF, 4), 0);      /* no device config */
	vr_wr(v, VIRTIO_PCI_DEVCFG_OFF, 4, 0xffffffffu);
	/* A queue that does not exist: size 0, writes go nowhere. */
	vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), 0);
	vr_wr(v, VIRTIO_PCI_QUEUE_SIZE, 2, 4);
	vr_wr(v, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_ENABLE, 2), 0);
	vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, 0xffff);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), 0);
	vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, 0);
	CHECK_EQ(vr_status(v), st);
	CHECK_EQ(v->nlogs, 0);

	/* Notifies: only 2/4 bytes at a real queue's own offset. */
	vr_program_queue(v, 0, QSIZE, DESC_AT, AVAIL_AT, USED_AT);
	vr_driver_ok(v);
	offer(v, 0, BUF_AT, 16, VIRTQ_DESC_F_WRITE);
	vr_wr(v, VIRTIO_PCI_NOTIFY_OFF, 1, 0);
	vr_wr(v, VIRTIO_PCI_NOTIFY_OFF + 2, 2, 0);
	vr_wr(v, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT, 2, 1); /* queue 1 */
	vr_wr(v, VIRTIO_PCI_BAR_SIZE - 4, 4, 0);
	CHECK_EQ(vr_used_idx(v, 0), 0);
	/* Queue registers are frozen while the queue runs. */
	vr_wr(v, VIRTIO_PCI_QUEUE_DESC, 4, 0x5000);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_DESC, 4), DESC_AT);
	vr_wr(v, VIRTIO_PCI_NOTIFY_OFF, 4, 0);
	CHECK_EQ(vr_used_idx(v, 0), 1);
	/* Odd sizes straight at the BAR callbacks (the bus never sends them). */
	CHECK_EQ(virtio_pci_bar_read(r->vp, 0, 3), 0);
	virtio_pci_bar_write(r->vp, VIRTIO_PCI_DEVICE_STATUS, 8, 0);
	virtio_pci_bar_write(r->vp, 0xffffffffu, 1, 0);
	CHECK_EQ(virtio_pci_bar_read(r->vp, 0xffffffffu, 4), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_pci_create_rejects_bad_configs)
{
	struct vrig *v = vr_new(2, 64);
	struct pci_bus *pci = v->pci;
	struct virtio_pci_config good = {
		.device_type = 4, .num_queues = 1, .queue_max_size = 8, .ram = v->ram, .ram_size = 64,
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
	virtio_pci_destroy(vp);
	vr_free(v);
}

/* Sets the PCI_CFG window (bar, offset, length) through config writes. */
static unsigned set_window(struct vrig *v, uint8_t bar, uint32_t off, uint32_t len)
{
	unsigned at = find_cap(v, VIRTIO_PCI_CAP_PCI_CFG);
	vr_cfg_write(v, at + 4, 1, bar);
	vr_cfg_write(v, at + 8, 4, off);
	vr_cfg_write(v, at + 12, 4, len);
	return at + 16;
}

TEST(virtio_pci_cfg_window_reaches_the_bar)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	unsigned at = find_cap(v, VIRTIO_PCI_CAP_PCI_CFG);
	CHECK(at >= PCI_CAP_START);
	CHECK_EQ(vr_cfg_read(v, at + 2, 1), 20);
	unsigned data = set_window(v, 0, VIRTIO_PCI_NUM_QUEUES, 2);
	CHECK_EQ(vr_cfg_read(v, data, 2), 1);
	CHECK_EQ(vr_cfg_read(v, at + 8, 4), VIRTIO_PCI_NUM_QUEUES); /* read back */
	data = set_window(v, 0, VIRTIO_PCI_DEVICE_STATUS, 1);
	vr_cfg_write(v, data, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK_EQ(vr_status(v), VIRTIO_STATUS_ACKNOWLEDGE);
	/* The window works with memory decode off, as the spec intends. */
	vr_cfg_write(v, PCI_COMMAND, 2, 0);
	CHECK_EQ(vr_cfg_read(v, data, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Refused: wrong width, bad length, unaligned, another BAR, past the BAR. */
	CHECK_EQ(vr_cfg_read(v, data, 2), 0);
	set_window(v, 0, VIRTIO_PCI_NUM_QUEUES, 3);
	CHECK_EQ(vr_cfg_read(v, data, 2), 0);
	set_window(v, 0, VIRTIO_PCI_NUM_QUEUES + 1, 2);
	CHECK_EQ(vr_cfg_read(v, data + 1, 2), 0);
	set_window(v, 1, VIRTIO_PCI_NUM_QUEUES, 2);
	CHECK_EQ(vr_cfg_read(v, data, 2), 0);
	set_window(v, 0, VIRTIO_PCI_BAR_SIZE, 4);
	CHECK_EQ(vr_cfg_read(v, data, 4), 0);
	set_window(v, 0, 0xfffffffcu, 4);
	vr_cfg_write(v, data, 4, 0);
	CHECK_EQ(vr_cfg_read(v, data, 4), 0);
	/* Everything else in the capabilities is read-only. */
	vr_cfg_write(v, at, 4, 0);
	CHECK_EQ(vr_cfg_read(v, at, 1), 0x09);
	CHECK_EQ(vr_cfg_read(v, at + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);
	unsigned common = find_cap(v, VIRTIO_PCI_CAP_COMMON_CFG);
	vr_cfg_write(v, common + 8, 4, 0x1000);
	CHECK_EQ(vr_cfg_read(v, common + 8, 4), VIRTIO_PCI_COMMON_OFF);
	CHECK_EQ(vr_cfg_read(v, 0xfc, 4), 0); /* past the capabilities */
	vr_cfg_write(v, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(vr_status(v), VIRTIO_STATUS_ACKNOWLEDGE);
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
