/*
 * virtio-net driven as a guest driver would (see virtio_rig.h), both
 * queues as descriptor rings in guest RAM.  The backend records the
 * frames the guest sends; frames for the guest go in through
 * virtio_net_receive.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/le.h"
#include "dev/virtio_net.h"
#include "virtio_rig.h"

#define RAM_SIZE (256u * 1024)
#define SLOT 3
#define QSIZE 16u
#define HDR_AT 0x8000u
#define DATA_AT 0x10000u
#define RX_AT 0x20000u
#define RX2_AT 0x28000u
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS)

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct rig {
	struct vrig v;
	struct virtio_net *net;
	unsigned nsent;
	size_t sent_len;
	uint8_t sent[2048];
	bool send_fails;
};

static int record_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct rig *r = opaque;
	r->nsent++;
	r->sent_len = len;
	if (len <= sizeof(r->sent))
		memcpy(r->sent, frame, len);
	return r->send_fails ? -1 : 0;
}

/* Features, FEATURES_OK and both queues; DRIVER_OK is left to the test. */
static void negotiate(struct vrig *v)
{
	vr_start(v, FEATURES, 2, QSIZE, false);
}

/* A device on the bus with BAR and bus mastering set; the driver has not
 * started (see negotiate, vr_driver_ok). */
static struct rig *rig_new(bool link_up)
{
	struct rig *r = calloc(1, sizeof(*r));
	vr_init(&r->v, SLOT, RAM_SIZE);
	struct virtio_net_config cfg = {
		.ram = r->v.ram, .ram_size = RAM_SIZE,
		.link_up = link_up,
		.backend = { record_send, r },
		.log = vr_log, .log_opaque = &r->v,
		.ram_written = vr_ram_written, .ram_opaque = &r->v,
	};
	memcpy(cfg.mac, MAC, 6);
	r->net = virtio_net_create(r->v.pci, SLOT, &cfg);
	vr_enable(&r->v);
	return r;
}

static struct rig *rig_open(void)
{
	struct rig *r = rig_new(true);
	negotiate(&r->v);
	vr_driver_ok(&r->v);
	return r;
}

static void rig_close(struct rig *r)
{
	virtio_net_destroy(r->net);
	vr_fini(&r->v);
	free(r);
}

/* A test frame of len bytes: a pattern that differs per seed and offset. */
static void make_frame(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13 + i / 256);
}

/* header (zeroed, or with flags/gso_type) at HDR_AT, frame at DATA_AT. */
static void transmit(struct vrig *v, uint32_t frame_len, uint8_t flags, uint8_t gso)
{
	memset(v->ram + HDR_AT, 0, VIRTIO_NET_HDR_LEN);
	v->ram[HDR_AT] = flags;
	v->ram[HDR_AT + 1] = gso;
	make_frame(v->ram + DATA_AT, frame_len, 7);
	struct vr_seg s[2] = { { HDR_AT, VIRTIO_NET_HDR_LEN, false }, { DATA_AT, frame_len, false } };
	vr_submit(v, VIRTIO_NET_TXQ, s, 2);
}

static void post_rx(struct vrig *v, uint32_t len)
{
	memset(v->ram + RX_AT, 0xee, len + 16);
	vr_submit(v, VIRTIO_NET_RXQ, (struct vr_seg[]){ { RX_AT, len, true } }, 1);
}

TEST(virtio_net_identity_and_config)
{
	struct rig *r = rig_new(true);
	struct vrig *v = &r->v;
	CHECK(r->net != NULL);
	CHECK_EQ(vr_cfg_read(v, 0x02, 2), 0x1041);
	CHECK_EQ(vr_cfg_read(v, 0x0b, 1), 0x02); /* network */
	CHECK_EQ(vr_cfg_read(v, 0x0a, 1), 0x00); /* Ethernet */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES, 2), 2);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_NET_QUEUE_SIZE);
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4) & 0xffffff,
		 1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_STATUS);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_MAC + i, 1), MAC[i]);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_MAC, 4), 0x12005452u);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_MAX_PAIRS, 2), 1);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_MAX_PAIRS, 4), 0); /* runs past the 10 bytes */
	vr_wr(v, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_NET_CFG_MAC, 4, 0);
	vr_wr(v, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_NET_CFG_STATUS, 2, 0);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_MAC, 1), MAC[0]);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	rig_close(r);
	r = rig_new(false);
	v = &r->v;
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_STATUS, 2), 0);
	rig_close(r);
}

TEST(virtio_net_transmits_a_split_frame)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	/* The first segment holds the header and the frame's first 6 bytes. */
	uint8_t frame[60];
	make_frame(frame, sizeof(frame), 1);
	memset(v->ram + HDR_AT, 0, VIRTIO_NET_HDR_LEN);
	memcpy(v->ram + HDR_AT + VIRTIO_NET_HDR_LEN, frame, 6);
	memcpy(v->ram + DATA_AT, frame + 6, sizeof(frame) - 6);
	struct vr_seg s[2] = { { HDR_AT, VIRTIO_NET_HDR_LEN + 6, false }, { DATA_AT, sizeof(frame) - 6, false } };
	vr_submit(v, VIRTIO_NET_TXQ, s, 2);
	CHECK_EQ(r->nsent, 1);
	CHECK_EQ(r->sent_len, sizeof(frame));
	CHECK(memcmp(r->sent, frame, sizeof(frame)) == 0);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_TXQ), 1);
	CHECK_EQ(vr_last_used_len(v, VIRTIO_NET_TXQ), 0);
	/* The size limits themselves are fine. */
	transmit(v, VIRTIO_NET_MIN_FRAME, 0, 0);
	CHECK_EQ(r->sent_len, VIRTIO_NET_MIN_FRAME);
	transmit(v, VIRTIO_NET_MAX_FRAME, 0, 0);
	CHECK_EQ(r->sent_len, VIRTIO_NET_MAX_FRAME);
	CHECK(memcmp(r->sent, v->ram + DATA_AT, VIRTIO_NET_MAX_FRAME) == 0);
	struct virtio_net_stats st = virtio_net_stats(r->net);
	CHECK_EQ(st.tx_frames, 3);
	CHECK_EQ(st.tx_dropped, 0);
	CHECK_EQ(v->nranges, 0); /* transmit stores nothing into RAM */
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

/* The chain is dropped and counted; the device stays healthy. */
static void check_tx_drop(struct rig *r, uint64_t *dropped)
{
	struct vrig *v = &r->v;
	CHECK_EQ(r->nsent, 0);
	CHECK_EQ(vr_last_used_len(v, VIRTIO_NET_TXQ), 0);
	CHECK_EQ(virtio_net_stats(r->net).tx_dropped, ++*dropped);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	CHECK_EQ(v->nlogs, 0);
}

TEST(virtio_net_drops_bad_transmits)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint64_t dropped = 0;
	transmit(v, VIRTIO_NET_MIN_FRAME - 1, 0, 0);
	check_tx_drop(r, &dropped);
	transmit(v, VIRTIO_NET_MAX_FRAME + 1, 0, 0);
	check_tx_drop(r, &dropped);
	transmit(v, 64, 0, 1);                   /* gso_type TCPv4, not negotiated */
	check_tx_drop(r, &dropped);
	transmit(v, 64, 1, 0);                   /* NEEDS_CSUM, not negotiated */
	check_tx_drop(r, &dropped);
	vr_submit(v, VIRTIO_NET_TXQ, (struct vr_seg[]){ { HDR_AT, VIRTIO_NET_HDR_LEN - 1, false } }, 1);
	check_tx_drop(r, &dropped);
	struct vr_seg w[3] = { { HDR_AT, VIRTIO_NET_HDR_LEN, false }, { DATA_AT, 64, false },
			    { RX_AT, 16, true } };
	memset(v->ram + HDR_AT, 0, VIRTIO_NET_HDR_LEN);
	vr_submit(v, VIRTIO_NET_TXQ, w, 3);
	check_tx_drop(r, &dropped);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_TXQ), 6);
	/* A failing backend counts the frame as dropped too. */
	r->send_fails = true;
	transmit(v, 64, 0, 0);
	CHECK_EQ(r->nsent, 1);
	CHECK_EQ(virtio_net_stats(r->net).tx_dropped, dropped + 1);
	r->send_fails = false;
	transmit(v, 64, 0, 0);
	CHECK_EQ(r->nsent, 2);
	CHECK_EQ(virtio_net_stats(r->net).tx_frames, 1);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_net_receives_a_frame)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[100];
	make_frame(frame, sizeof(frame), 3);
	CHECK(virtio_net_can_receive(r->net));
	post_rx(v, VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME);
	memset(v->ram + RX_AT, 0xee, VIRTIO_NET_HDR_LEN); /* the header must be stored as zeros */
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 1);
	CHECK_EQ(vr_last_used_len(v, VIRTIO_NET_RXQ), VIRTIO_NET_HDR_LEN + sizeof(frame));
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ(v->ram[RX_AT + i], 0);
	CHECK_EQ(get_le16(v->ram + RX_AT + 10), 1); /* num_buffers */
	CHECK(memcmp(v->ram + RX_AT + VIRTIO_NET_HDR_LEN, frame, sizeof(frame)) == 0);
	CHECK_EQ(v->ram[RX_AT + VIRTIO_NET_HDR_LEN + sizeof(frame)], 0xee);
	CHECK_EQ(virtio_net_stats(r->net).rx_frames, 1);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1) & VIRTIO_ISR_QUEUE, VIRTIO_ISR_QUEUE);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_net_receive_waits_for_a_buffer)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 9);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	struct virtio_net_stats st = virtio_net_stats(r->net);
	CHECK_EQ(st.rx_frames + st.rx_dropped, 0);
	post_rx(v, 2048);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	CHECK(memcmp(v->ram + RX_AT + VIRTIO_NET_HDR_LEN, frame, sizeof(frame)) == 0);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0); /* that one is used up */
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 1);
	rig_close(r);
}

TEST(virtio_net_receive_drops)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[VIRTIO_NET_MAX_FRAME + 1];
	make_frame(frame, sizeof(frame), 5);
	post_rx(v, 100);
	/* Bad sizes never touch the posted buffer. */
	CHECK_EQ(virtio_net_receive(r->net, frame, VIRTIO_NET_MIN_FRAME - 1), -1);
	CHECK_EQ(virtio_net_receive(r->net, frame, VIRTIO_NET_MAX_FRAME + 1), -1);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 0);
	/* 12 + 89 > 100: the buffer goes back empty. */
	CHECK_EQ(virtio_net_receive(r->net, frame, 89), -1);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 1);
	CHECK_EQ(vr_last_used_len(v, VIRTIO_NET_RXQ), 0);
	CHECK_EQ(v->ram[RX_AT], 0xee);
	CHECK_EQ(virtio_net_stats(r->net).rx_dropped, 3);
	/* 12 + 88 fits exactly. */
	post_rx(v, 100);
	CHECK_EQ(virtio_net_receive(r->net, frame, 88), 1);
	CHECK_EQ(vr_last_used_len(v, VIRTIO_NET_RXQ), 100);
	CHECK_EQ(v->ram[RX_AT + 100], 0xee);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_net_receive_needs_driver_ok)
{
	struct rig *r = rig_new(true);
	struct vrig *v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 2);
	CHECK(!virtio_net_can_receive(r->net));
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	negotiate(v);
	post_rx(v, 2048);
	CHECK(!virtio_net_can_receive(r->net));
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 0);
	vr_driver_ok(v);
	CHECK(virtio_net_can_receive(r->net));
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	rig_close(r);
}

TEST(virtio_net_link_state)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 4);
	post_rx(v, 2048);
	(void)vr_rd(v, VIRTIO_PCI_ISR_OFF, 1);
	uint32_t gen = vr_rd(v, VIRTIO_PCI_CONFIG_GENERATION, 1);
	virtio_net_set_link(r->net, false);
	CHECK(!virtio_net_can_receive(r->net));
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_STATUS, 2), 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_CONFIG_GENERATION, 1), (gen + 1) & 0xff);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 0);
	virtio_net_set_link(r->net, false); /* no change: no interrupt */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_CONFIG_GENERATION, 1), (gen + 1) & 0xff);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1), 0);
	virtio_net_set_link(r->net, true);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_CONFIG_GENERATION, 1), (gen + 2) & 0xff);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	/* Transmit does not depend on the link: the backend decides. */
	transmit(v, 64, 0, 0);
	CHECK_EQ(r->nsent, 1);
	rig_close(r);
}

TEST(virtio_net_readable_receive_buffer_breaks)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 6);
	struct vr_seg s[2] = { { RX_AT, 16, false }, { RX2_AT, 2048, true } };
	vr_submit(v, VIRTIO_NET_RXQ, s, 2);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK(strstr(v->last_log, "virtio-net: ") == v->last_log);
	CHECK(!virtio_net_can_receive(r->net));
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK_EQ(v->nlogs, 1);
	CHECK_EQ(vr_used_idx(v, VIRTIO_NET_RXQ), 0);
	CHECK_EQ(v->nranges, 0);
	/* A reset and a fresh start bring it back. */
	vr_reset(v);
	negotiate(v); /* fresh rings */
	vr_driver_ok(v);
	post_rx(v, 2048);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	rig_close(r);
}

TEST(virtio_net_hostile_addresses_break_the_device)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	memset(v->ram + HDR_AT, 0, VIRTIO_NET_HDR_LEN);
	struct vr_seg s[2] = { { HDR_AT, VIRTIO_NET_HDR_LEN, false }, { RAM_SIZE - 4, 100, false } };
	vr_submit(v, VIRTIO_NET_TXQ, s, 2);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r->nsent, 0);
	CHECK_EQ(v->nlogs, 1);
	rig_close(r);

	r = rig_open();
	v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 8);
	vr_submit(v, VIRTIO_NET_RXQ, (struct vr_seg[]){ { 0xfffffff0u, 2048, true } }, 1);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK_EQ(v->nranges, 0);
	rig_close(r);
}

TEST(virtio_net_reports_ram_stores)
{
	struct rig *r = rig_open();
	struct vrig *v = &r->v;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 11);
	/* Header and data in separate writable buffers, as some drivers post. */
	struct vr_seg s[2] = { { RX_AT, VIRTIO_NET_HDR_LEN, true }, { RX2_AT, 2048, true } };
	vr_submit(v, VIRTIO_NET_RXQ, s, 2);
	CHECK_EQ(virtio_net_receive(r->net, frame, sizeof(frame)), 1);
	CHECK(memcmp(v->ram + RX2_AT, frame, sizeof(frame)) == 0);
	CHECK_EQ(get_le16(v->ram + RX_AT + 10), 1);
	CHECK_EQ(v->nranges, 2);
	CHECK_EQ(v->ranges[0].addr, RX_AT);
	CHECK_EQ(v->ranges[0].len, VIRTIO_NET_HDR_LEN);
	CHECK_EQ(v->ranges[1].addr, RX2_AT);
	CHECK_EQ(v->ranges[1].len, sizeof(frame));
	rig_close(r);
}

TEST(virtio_net_create_rejects_bad_configs)
{
	struct vrig *v = vr_new(SLOT, 64);
	struct virtio_net_config cfg = { .ram = v->ram, .ram_size = 64 };
	CHECK(virtio_net_create(v->pci, SLOT, &cfg) == NULL); /* no backend */
	cfg.backend.send = record_send;
	cfg.ram = NULL;
	CHECK(virtio_net_create(v->pci, SLOT, &cfg) == NULL);
	cfg.ram = v->ram;
	struct virtio_net *n = virtio_net_create(v->pci, SLOT, &cfg);
	CHECK(n != NULL);
	CHECK(virtio_net_create(v->pci, SLOT, &cfg) == NULL); /* slot taken */
	virtio_net_destroy(n);
	vr_free(v);
}
