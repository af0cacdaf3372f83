/*
 * Fuzz target: a net's switch core (src/net/switch.c) -- the frame path.
 *
 * The input is a script for a switch of 1..SWITCH_MAX_PORTS ports (VM
 * ports with fixed MACs, perhaps an uplink): frames of any size and any
 * bytes entering on any port (the source MAC often a port's own, so
 * frames get past the spoof check), ports drained or left full, ports
 * hung up, time moving on.  Besides ASan's checks on exact-size frame
 * blocks, every step must keep switch.h's contract: only frames of
 * 14..1518 bytes are queued, and queued frames come out byte for byte as
 * they went in; a VM port's frames with another source are dropped; no
 * frame goes back to its own port or to a port that is down; queues
 * never pass their bound; the counters add up.
 *
 * fuzz-plant: src/net/switch.c
 * fuzz-plant-from: if (len < SWITCH_MIN_FRAME || len > SWITCH_MAX_FRAME) {
 * fuzz-plant-to: if (len > SWITCH_MAX_FRAME) {
 * fuzz-options: -max_len=16384
 */
#include "fuzz.h"

#include "net/switch.h"

#define MAX_OPS 512
#define QCAP 8

static struct switch_config cfg;
static uint8_t frame[SWITCH_MAX_FRAME + 64];

/* The ports' MACs: 02:00:00:00:0P:00 and an uplink flag from the input. */
static struct vswitch *make_switch(struct fuzz_in *in)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.nports = 1 + fin_u8(in) % SWITCH_MAX_PORTS;
	cfg.queue_frames = QCAP;
	cfg.age_ns = 1 + fin_u8(in) * 1000000000ull;
	uint8_t uplinks = fin_u8(in);
	for (unsigned i = 0; i < cfg.nports; i++) {
		cfg.port[i].mac[0] = 2;
		cfg.port[i].mac[4] = (uint8_t)i;
		cfg.port[i].uplink = i == cfg.nports - 1 && (uplinks & 1);
	}
	struct vswitch *sw = switch_create(&cfg);
	FUZZ_CHECK(sw, "a valid config of %u ports refused", cfg.nports);
	return sw;
}

static bool is_vm_mac(const uint8_t *mac)
{
	for (unsigned i = 0; i < cfg.nports; i++)
		if (!cfg.port[i].uplink && !memcmp(cfg.port[i].mac, mac, 6))
			return true;
	return false;
}

/* A frame from the input; its source MAC is often a port's own. */
static size_t make_frame(struct fuzz_in *in, unsigned port)
{
	uint8_t how = fin_u8(in);
	size_t len = fin_u16(in) % (SWITCH_MAX_FRAME + 40);
	fin_bytes(in, frame, len < sizeof(frame) ? len : sizeof(frame));
	if ((how & 3) && len >= 12) /* a legal source, or another port's */
		memcpy(frame + 6, cfg.port[(how & 1) ? port : (how >> 2) % cfg.nports].mac, 6);
	if ((how & 0x10) && len >= 6)
		memset(frame, 0xff, 6); /* broadcast */
	return len;
}

static void send_frame(struct vswitch *sw, struct fuzz_in *in, unsigned port, uint64_t now)
{
	size_t len = make_frame(in, port);
	uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	if (!copy)
		abort();
	memcpy(copy, frame, len);
	unsigned before[SWITCH_MAX_PORTS];
	for (unsigned i = 0; i < cfg.nports; i++)
		before[i] = switch_queued(sw, i);
	struct switch_port_stats st0 = switch_stats(sw, port);
	bool was_up = switch_port_is_up(sw, port);
	int rc = switch_input(sw, port, copy, len, now);
	struct switch_port_stats st1 = switch_stats(sw, port);
	bool sized = len >= SWITCH_MIN_FRAME && len <= SWITCH_MAX_FRAME;
	if (rc >= 0) {
		FUZZ_CHECK(was_up && sized, "a frame of %zu bytes accepted on port %u", len, port);
		const uint8_t *src = frame + 6;
		FUZZ_CHECK(!(src[0] & 1), "a multicast source accepted");
		FUZZ_CHECK(cfg.port[port].uplink ? !is_vm_mac(src) : !memcmp(src, cfg.port[port].mac, 6),
			   "port %u accepted a source it may not use", port);
		FUZZ_CHECK(st1.in_frames == st0.in_frames + 1, "in_frames did not count it");
	} else if (was_up) {
		FUZZ_CHECK(st1.in_bad_size + st1.in_spoofed == st0.in_bad_size + st0.in_spoofed + 1,
			   "a dropped frame was not counted");
	}
	int grew = 0;
	for (unsigned i = 0; i < cfg.nports; i++) {
		unsigned q = switch_queued(sw, i);
		FUZZ_CHECK(q <= QCAP, "port %u holds %u frames", i, q);
		if (q == before[i])
			continue;
		FUZZ_CHECK(q == before[i] + 1 && i != port && switch_port_is_up(sw, i),
			   "frame from port %u queued on port %u (%u -> %u)", port, i, before[i], q);
		size_t got = 0;
		const uint8_t *f = NULL;
		/* The newest frame of port i is the one just queued: check it
		 * by draining up to it when it is the only one. */
		if (q == 1)
			f = switch_peek(sw, i, &got);
		FUZZ_CHECK(!f || (got == len && !memcmp(f, frame, len)), "port %u got another frame", i);
		grew++;
	}
	FUZZ_CHECK(grew == (rc > 0 ? rc : 0), "switch_input said %d, %d queues grew", rc, grew);
	free(copy);
}

static void drain(struct vswitch *sw, unsigned port, unsigned max)
{
	size_t len;
	const uint8_t *f;
	for (unsigned k = 0; k < max && (f = switch_peek(sw, port, &len)); k++) {
		FUZZ_CHECK(len >= SWITCH_MIN_FRAME && len <= SWITCH_MAX_FRAME, "queued frame of %zu", len);
		FUZZ_CHECK(switch_port_is_up(sw, port), "a frame waits on a port that is down");
		switch_pop(sw, port);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct vswitch *sw = make_switch(&in);
	uint64_t now = 1;
	for (int op = 0; op < MAX_OPS && !fin_empty(&in); op++) {
		uint8_t code = fin_u8(&in);
		unsigned port = fin_u8(&in) % (cfg.nports + 1); /* one past: no such port */
		now += code & 0x80 ? fin_u16(&in) * 100000000ull : 1000;
		switch (code & 7) {
		case 0: case 1: case 2: case 3:
			if (port < cfg.nports)
				send_frame(sw, &in, port, now);
			else
				FUZZ_CHECK(switch_input(sw, port, frame, 60, now) == -1, "no such port");
			break;
		case 4: case 5:
			drain(sw, port, 1 + fin_u8(&in) % 16);
			break;
		case 6:
			switch_port_down(sw, port);
			FUZZ_CHECK(port >= cfg.nports || switch_queued(sw, port) == 0, "queue kept");
			break;
		default: {
			uint8_t mac[6];
			fin_bytes(&in, mac, 6);
			int p = switch_lookup(sw, mac, now);
			FUZZ_CHECK(p < (int)cfg.nports && (p < 0 || switch_port_is_up(sw, (unsigned)p)),
				   "lookup gave port %d", p);
			break;
		}
		}
	}
	FUZZ_CHECK(switch_table_size(sw) <= SWITCH_TABLE_ENTRIES, "table of %u", switch_table_size(sw));
	switch_destroy(sw);
	return 0;
}
