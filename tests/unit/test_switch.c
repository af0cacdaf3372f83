/*
 * The switch core (src/net/switch.c), under ASan: learning and ageing,
 * flooding, spoofed sources, every frame size 0..65535, a broadcast storm
 * with one port that never drains, and two switches side by side.
 */
#include "t.h"

#include <stdlib.h>

#include "net/switch.h"

#define SEC 1000000000ull

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The MAC of VM port i: 02:00:00:00:00:(i+1). */
static void port_mac(unsigned i, uint8_t mac[6])
{
	static const uint8_t base[6] = { 2, 0, 0, 0, 0, 0 };
	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(i + 1);
}

/* nports VM ports, and an uplink as the last port when uplink is set. */
static struct vswitch *make(unsigned nports, bool uplink, unsigned qcap)
{
	struct switch_config cfg = { .nports = nports, .queue_frames = qcap };
	for (unsigned i = 0; i < nports; i++)
		port_mac(i, cfg.port[i].mac);
	if (uplink)
		cfg.port[nports - 1].uplink = true;
	struct vswitch *sw = switch_create(&cfg);
	CHECK(sw != NULL);
	return sw;
}

/* A frame dst <- src of len bytes, the payload a pattern from tag. */
static size_t frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, size_t len, uint8_t tag)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	for (size_t i = 12; i < len; i++)
		buf[i] = (uint8_t)(tag + i);
	return len;
}

/* Sends a frame from VM port `from` to dst; returns switch_input's result. */
static int send_from(struct vswitch *sw, unsigned from, const uint8_t *dst, size_t len,
		     uint8_t tag, uint64_t now)
{
	uint8_t buf[SWITCH_MAX_FRAME], src[6];
	port_mac(from, src);
	frame(buf, dst, src, len, tag);
	return switch_input(sw, from, buf, len, now);
}

/* Empties port out's queue; returns how many frames were there. */
static unsigned drain(struct vswitch *sw, unsigned out)
{
	unsigned n = 0;
	size_t len;
	while (switch_peek(sw, out, &len)) {
		switch_pop(sw, out);
		n++;
	}
	return n;
}

TEST(switch_rejects_bad_configs)
{
	struct switch_config cfg = { .nports = 0 };
	CHECK(switch_create(&cfg) == NULL);
	cfg.nports = SWITCH_MAX_PORTS + 1;
	CHECK(switch_create(&cfg) == NULL);
	cfg.nports = 2;
	port_mac(0, cfg.port[0].mac);
	port_mac(0, cfg.port[1].mac); /* two VM ports, one MAC */
	CHECK(switch_create(&cfg) == NULL);
	cfg.port[1].mac[0] = 3; /* multicast */
	CHECK(switch_create(&cfg) == NULL);
	cfg.port[1].uplink = true; /* an uplink's MAC does not matter */
	struct vswitch *sw = switch_create(&cfg);
	CHECK(sw != NULL);
	switch_destroy(sw);
}

TEST(switch_floods_unknown_then_learns)
{
	struct vswitch *sw = make(3, false, 0);
	uint8_t mac0[6], mac1[6];
	port_mac(0, mac0);
	port_mac(1, mac1);
	if (!sw)
		return;
	/* 0 -> 1 before 1 has spoken: unknown, flooded to 1 and 2. */
	CHECK_EQ(send_from(sw, 0, mac1, 60, 1, 1), 2);
	CHECK_EQ(switch_queued(sw, 0), 0);
	CHECK_EQ(switch_queued(sw, 1), 1);
	CHECK_EQ(switch_queued(sw, 2), 1);
	CHECK_EQ(switch_lookup(sw, mac0, 1), 0); /* learned from the source */
	CHECK_EQ(switch_lookup(sw, mac1, 1), -1);
	/* 1 answers 0: 0 is known, so only 0 gets it; 1 is learned. */
	CHECK_EQ(send_from(sw, 1, mac0, 60, 2, 2), 1);
	CHECK_EQ(switch_queued(sw, 0), 1);
	CHECK_EQ(switch_queued(sw, 2), 1);
	CHECK_EQ(switch_lookup(sw, mac1, 2), 1);
	/* Now 0 -> 1 goes to 1 alone. */
	CHECK_EQ(send_from(sw, 0, mac1, 60, 3, 3), 1);
	CHECK_EQ(switch_queued(sw, 1), 2);
	CHECK_EQ(switch_queued(sw, 2), 1);
	/* The frames come out whole, in order. */
	size_t len;
	const uint8_t *f = switch_peek(sw, 1, &len);
	uint8_t want[SWITCH_MAX_FRAME];
	frame(want, mac1, mac0, 60, 1);
	CHECK(f && len == 60 && !memcmp(f, want, 60));
	switch_pop(sw, 1);
	f = switch_peek(sw, 1, &len);
	frame(want, mac1, mac0, 60, 3);
	CHECK(f && len == 60 && !memcmp(f, want, 60));
	CHECK_EQ(switch_stats(sw, 1).out_sent, 1);
	switch_destroy(sw);
}

TEST(switch_broadcast_and_multicast_flood)
{
	struct vswitch *sw = make(4, false, 0);
	static const uint8_t mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t mac3[6];
	port_mac(3, mac3);
	if (!sw)
		return;
	send_from(sw, 3, bcast, 60, 0, 1); /* port 3 is known now */
	for (unsigned p = 0; p < 3; p++)
		CHECK_EQ(drain(sw, p), 1);
	CHECK_EQ(switch_queued(sw, 3), 0); /* never back to the sender */
	CHECK_EQ(send_from(sw, 0, mcast, 60, 0, 2), 3);
	/* A learned MAC never captures a broadcast. */
	CHECK_EQ(send_from(sw, 0, bcast, 60, 0, 3), 3);
	CHECK_EQ(switch_queued(sw, 3), 2);
	switch_destroy(sw);
}

TEST(switch_ageing)
{
	struct switch_config cfg = { .nports = 3, .age_ns = 10 * SEC };
	uint8_t mac0[6];
	for (unsigned i = 0; i < 3; i++)
		port_mac(i, cfg.port[i].mac);
	memcpy(mac0, cfg.port[0].mac, 6);
	struct vswitch *sw = switch_create(&cfg);
	CHECK(sw != NULL);
	if (!sw)
		return;
	send_from(sw, 0, bcast, 60, 0, 100 * SEC);
	CHECK_EQ(switch_lookup(sw, mac0, 100 * SEC), 0);
	CHECK_EQ(switch_lookup(sw, mac0, 110 * SEC - 1), 0);
	CHECK_EQ(switch_lookup(sw, mac0, 110 * SEC), -1); /* aged out */
	drain(sw, 1), drain(sw, 2);
	/* A frame to an aged-out MAC is flooded again ... */
	CHECK_EQ(send_from(sw, 1, mac0, 60, 0, 111 * SEC), 2);
	/* ... and every frame from a MAC refreshes it. */
	send_from(sw, 0, bcast, 60, 0, 112 * SEC);
	CHECK_EQ(switch_lookup(sw, mac0, 121 * SEC), 0);
	send_from(sw, 0, bcast, 60, 0, 121 * SEC);
	CHECK_EQ(switch_lookup(sw, mac0, 130 * SEC), 0);
	CHECK_EQ(switch_lookup(sw, mac0, 131 * SEC), -1);
	switch_destroy(sw);
}

TEST(switch_spoofed_sources_dropped)
{
	struct vswitch *sw = make(3, true, 0); /* ports 0, 1 VMs; 2 the uplink */
	uint8_t buf[64], mac0[6], mac1[6];
	static const uint8_t other[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	static const uint8_t mcast_src[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	port_mac(0, mac0);
	port_mac(1, mac1);
	if (!sw)
		return;
	/* A VM port may use only its own MAC. */
	CHECK_EQ(switch_input(sw, 0, buf, frame(buf, bcast, mac1, 60, 0), 1), -1);
	CHECK_EQ(switch_input(sw, 0, buf, frame(buf, bcast, other, 60, 0), 1), -1);
	CHECK_EQ(switch_input(sw, 0, buf, frame(buf, bcast, mcast_src, 60, 0), 1), -1);
	CHECK_EQ(switch_stats(sw, 0).in_spoofed, 3);
	CHECK_EQ(switch_stats(sw, 0).in_frames, 0);
	CHECK_EQ(switch_lookup(sw, mac1, 1), -1); /* nothing learned from them */
	CHECK_EQ(switch_lookup(sw, other, 1), -1);
	CHECK_EQ(switch_queued(sw, 1) + switch_queued(sw, 2), 0);
	/* The uplink may use any unicast MAC but a VM port's ... */
	CHECK_EQ(switch_input(sw, 2, buf, frame(buf, bcast, other, 60, 0), 1), 2);
	CHECK_EQ(switch_lookup(sw, other, 1), 2);
	CHECK_EQ(switch_input(sw, 2, buf, frame(buf, bcast, mac0, 60, 0), 1), -1);
	CHECK_EQ(switch_input(sw, 2, buf, frame(buf, bcast, mcast_src, 60, 0), 1), -1);
	CHECK_EQ(switch_stats(sw, 2).in_spoofed, 2);
	/* ... so traffic for a VM cannot be stolen by posing as it. */
	CHECK_EQ(send_from(sw, 0, bcast, 60, 0, 2), 2);
	CHECK_EQ(switch_lookup(sw, mac0, 3), 0);
	switch_destroy(sw);
}

TEST(switch_frame_sizes_0_to_65535)
{
	struct vswitch *sw = make(2, false, 4);
	static uint8_t buf[65536];
	uint8_t mac0[6];
	port_mac(0, mac0);
	if (!sw)
		return;
	frame(buf, bcast, mac0, sizeof(buf), 7);
	unsigned passed = 0;
	for (size_t len = 0; len <= 65535; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
		memcpy(copy, buf, len);
		int rc = switch_input(sw, 0, copy, len, 1);
		free(copy);
		bool ok = len >= 14 && len <= 1518;
		if ((rc == 1) != ok)
			t_fail(__FILE__, __LINE__, "len %zu: switch_input gave %d", len, rc);
		size_t got;
		const uint8_t *f = switch_peek(sw, 1, &got);
		if (ok && (!f || got != len || memcmp(f, buf, len)))
			t_fail(__FILE__, __LINE__, "len %zu: frame not queued whole", len);
		passed += rc == 1;
		drain(sw, 1);
	}
	CHECK_EQ(passed, 1518 - 14 + 1);
	CHECK_EQ(switch_stats(sw, 0).in_bad_size, 65536 - passed);
	CHECK_EQ(switch_stats(sw, 0).in_frames, passed);
	CHECK_EQ(switch_stats(sw, 1).out_sent, passed);
	switch_destroy(sw);
}

/* Port 0 floods broadcasts; ports 1 and 2 are drained after every frame,
 * port 3 never: the storm fills port 3's queue and then drops for port 3
 * alone, while 1 and 2 get every frame and no call ever waits. */
TEST(switch_broadcast_storm_with_one_slow_port)
{
	enum { QCAP = 32, STORM = 10000 };
	struct vswitch *sw = make(4, false, QCAP);
	unsigned got1 = 0, got2 = 0;
	if (!sw)
		return;
	for (unsigned i = 0; i < STORM; i++) {
		int rc = send_from(sw, 0, bcast, 64 + i % 1400, (uint8_t)i, i);
		if (rc < 2)
			t_fail(__FILE__, __LINE__, "frame %u queued to %d ports", i, rc);
		got1 += drain(sw, 1);
		got2 += drain(sw, 2);
	}
	CHECK_EQ(got1, STORM);
	CHECK_EQ(got2, STORM);
	CHECK_EQ(switch_queued(sw, 3), QCAP);
	CHECK_EQ(switch_stats(sw, 3).out_queued, QCAP);
	CHECK_EQ(switch_stats(sw, 3).out_dropped, STORM - QCAP);
	CHECK_EQ(switch_stats(sw, 1).out_dropped, 0);
	/* The slow port's queue holds the oldest frames, whole. */
	size_t len;
	const uint8_t *f = switch_peek(sw, 3, &len);
	CHECK(f && len == 64 && f[12] == (uint8_t)(0 + 12));
	/* A port that hangs up is forgotten: its queue and its MACs. */
	uint8_t mac3[6];
	port_mac(3, mac3);
	send_from(sw, 3, bcast, 60, 0, STORM);
	CHECK_EQ(switch_lookup(sw, mac3, STORM), 3);
	switch_port_down(sw, 3);
	CHECK(!switch_port_is_up(sw, 3));
	CHECK_EQ(switch_queued(sw, 3), 0);
	CHECK_EQ(switch_lookup(sw, mac3, STORM), -1);
	CHECK_EQ(send_from(sw, 0, bcast, 60, 0, STORM), 2);
	CHECK_EQ(send_from(sw, 3, bcast, 60, 0, STORM), -1);
	switch_destroy(sw);
}

TEST(switch_table_full_replaces_oldest)
{
	struct vswitch *sw = make(2, true, 4); /* port 1 is the uplink */
	uint8_t buf[64], src[6] = { 0x02, 0x10, 0, 0, 0, 0 }, mac0[6];
	port_mac(0, mac0);
	if (!sw)
		return;
	for (unsigned i = 0; i < SWITCH_TABLE_ENTRIES + 50; i++) {
		src[4] = (uint8_t)(i >> 8), src[5] = (uint8_t)i;
		switch_input(sw, 1, buf, frame(buf, bcast, src, 60, 0), 1000 + i);
		drain(sw, 0);
	}
	CHECK_EQ(switch_table_size(sw), SWITCH_TABLE_ENTRIES);
	src[4] = 0, src[5] = 0; /* the first, oldest: replaced */
	CHECK_EQ(switch_lookup(sw, src, 2000), -1);
	src[4] = 1, src[5] = 0x2c; /* the last: there */
	CHECK_EQ(switch_lookup(sw, src, 2000), 1);
	switch_destroy(sw);
}

/* Two nets, two switches: nothing that enters one ever leaves the other. */
TEST(switch_two_nets_side_by_side)
{
	struct vswitch *a = make(3, false, 0), *b = make(3, false, 0);
	uint8_t mac1[6];
	port_mac(1, mac1);
	if (!a || !b)
		return;
	for (unsigned i = 0; i < 100; i++) {
		send_from(a, i % 3, bcast, 60, (uint8_t)i, i);
		send_from(a, 0, mac1, 60, (uint8_t)i, i);
	}
	for (unsigned p = 0; p < 3; p++)
		CHECK_EQ(switch_queued(b, p), 0);
	CHECK_EQ(switch_table_size(b), 0);
	CHECK(switch_queued(a, 1) > 0);
	/* b learns and floods on its own. */
	CHECK_EQ(send_from(b, 2, mac1, 60, 0, 1), 2);
	CHECK_EQ(switch_stats(a, 2).in_frames, 33);
	CHECK_EQ(switch_stats(b, 2).in_frames, 1);
	switch_destroy(a);
	switch_destroy(b);
}

TEST(switch_frame_to_its_own_port_filtered)
{
	struct vswitch *sw = make(2, false, 0);
	uint8_t mac0[6];
	port_mac(0, mac0);
	if (!sw)
		return;
	send_from(sw, 0, bcast, 60, 0, 1);
	drain(sw, 1);
	CHECK_EQ(send_from(sw, 0, mac0, 60, 0, 2), 0);
	CHECK_EQ(switch_stats(sw, 0).in_filtered, 1);
	CHECK_EQ(switch_queued(sw, 0) + switch_queued(sw, 1), 0);
	CHECK_EQ(switch_input(sw, 7, mac0, 60, 3), -1); /* no such port */
	switch_destroy(sw);
}
