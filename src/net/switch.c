/*
 * The learning switch (rules in switch.h).
 *
 * The MAC table is a small array kept dense (an entry that ages out is
 * replaced by the last one), so a lookup costs as many comparisons as
 * there are live addresses: a handful on a net of VMs, at most
 * SWITCH_TABLE_ENTRIES when an uplink floods random sources at us.
 *
 * Each port's queue is a ring of fixed-size slots allocated up front:
 * memory is bounded by the config, and queueing a frame is one copy.
 */
#include "net/switch.h"

#include <stdlib.h>
#include <string.h>

struct mac_entry {
	uint8_t mac[SWITCH_MAC_LEN];
	uint8_t port;
	uint64_t seen_ns;
};

struct port {
	struct switch_port_config cfg;
	bool up;
	uint8_t (*slot)[SWITCH_MAX_FRAME];
	uint16_t *len;
	unsigned head, count;
	struct switch_port_stats st;
};

struct vswitch {
	unsigned nports, qcap;
	uint64_t age_ns;
	struct port port[SWITCH_MAX_PORTS];
	unsigned nentries;
	struct mac_entry table[SWITCH_TABLE_ENTRIES];
};

static bool is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, SWITCH_MAC_LEN) == 0;
}

/* --- creation --------------------------------------------------------------- */

static bool config_ok(const struct switch_config *cfg)
{
	if (cfg->nports == 0 || cfg->nports > SWITCH_MAX_PORTS)
		return false;
	for (unsigned i = 0; i < cfg->nports; i++) {
		const struct switch_port_config *p = &cfg->port[i];
		if (p->uplink)
			continue;
		if (is_multicast(p->mac))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (!cfg->port[j].uplink && mac_eq(cfg->port[j].mac, p->mac))
				return false;
	}
	return true;
}

struct vswitch *switch_create(const struct switch_config *cfg)
{
	if (!config_ok(cfg))
		return NULL;
	struct vswitch *sw = calloc(1, sizeof(*sw));
	if (!sw)
		return NULL;
	sw->nports = cfg->nports;
	sw->qcap = cfg->queue_frames ? cfg->queue_frames : SWITCH_QUEUE_FRAMES;
	sw->age_ns = cfg->age_ns ? cfg->age_ns : SWITCH_AGE_NS;
	for (unsigned i = 0; i < sw->nports; i++) {
		struct port *p = &sw->port[i];
		p->cfg = cfg->port[i];
		p->up = true;
		p->slot = calloc(sw->qcap, sizeof(*p->slot));
		p->len = calloc(sw->qcap, sizeof(*p->len));
		if (!p->slot || !p->len) {
			switch_destroy(sw);
			return NULL;
		}
	}
	return sw;
}

void switch_destroy(struct vswitch *sw)
{
	if (!sw)
		return;
	for (unsigned i = 0; i < sw->nports; i++) {
		free(sw->port[i].slot);
		free(sw->port[i].len);
	}
	free(sw);
}

/* --- the MAC table ------------------------------------------------------------ */

static void table_remove(struct vswitch *sw, unsigned i)
{
	sw->table[i] = sw->table[--sw->nentries];
}

static bool aged(const struct vswitch *sw, const struct mac_entry *e, uint64_t now_ns)
{
	return now_ns - e->seen_ns >= sw->age_ns;
}

int switch_lookup(const struct vswitch *sw, const uint8_t mac[SWITCH_MAC_LEN], uint64_t now_ns)
{
	for (unsigned i = 0; i < sw->nentries; i++)
		if (mac_eq(sw->table[i].mac, mac))
			return aged(sw, &sw->table[i], now_ns) ? -1 : sw->table[i].port;
	return -1;
}

unsigned switch_table_size(const struct vswitch *sw)
{
	return sw->nentries;
}

/* The entry to reuse when the table is full: an aged one, else the oldest. */
static unsigned victim(const struct vswitch *sw, uint64_t now_ns)
{
	unsigned oldest = 0;
	for (unsigned i = 0; i < sw->nentries; i++) {
		if (aged(sw, &sw->table[i], now_ns))
			return i;
		if (sw->table[i].seen_ns < sw->table[oldest].seen_ns)
			oldest = i;
	}
	return oldest;
}

static void learn(struct vswitch *sw, const uint8_t *mac, unsigned port, uint64_t now_ns)
{
	unsigned i;
	for (i = 0; i < sw->nentries; i++)
		if (mac_eq(sw->table[i].mac, mac))
			break;
	if (i == sw->nentries) {
		if (sw->nentries < SWITCH_TABLE_ENTRIES)
			sw->nentries++;
		else
			i = victim(sw, now_ns);
		memcpy(sw->table[i].mac, mac, SWITCH_MAC_LEN);
	}
	sw->table[i].port = (uint8_t)port;
	sw->table[i].seen_ns = now_ns;
}

/* --- queues ----------------------------------------------------------------- */

static int enqueue(struct vswitch *sw, unsigned out, const uint8_t *frame, size_t len)
{
	struct port *p = &sw->port[out];
	if (p->count == sw->qcap) {
		p->st.out_dropped++;
		return 0;
	}
	unsigned tail = (p->head + p->count) % sw->qcap;
	memcpy(p->slot[tail], frame, len);
	p->len[tail] = (uint16_t)len;
	p->count++;
	p->st.out_queued++;
	return 1;
}

const uint8_t *switch_peek(const struct vswitch *sw, unsigned out, size_t *len)
{
	if (out >= sw->nports || !sw->port[out].count)
		return NULL;
	const struct port *p = &sw->port[out];
	*len = p->len[p->head];
	return p->slot[p->head];
}

void switch_pop(struct vswitch *sw, unsigned out)
{
	if (out >= sw->nports || !sw->port[out].count)
		return;
	struct port *p = &sw->port[out];
	p->head = (p->head + 1) % sw->qcap;
	p->count--;
	p->st.out_sent++;
}

unsigned switch_queued(const struct vswitch *sw, unsigned out)
{
	return out < sw->nports ? sw->port[out].count : 0;
}

/* --- ports ------------------------------------------------------------------ */

void switch_port_down(struct vswitch *sw, unsigned port)
{
	if (port >= sw->nports)
		return;
	sw->port[port].up = false;
	sw->port[port].count = 0;
	for (unsigned i = 0; i < sw->nentries;) {
		if (sw->table[i].port == port)
			table_remove(sw, i);
		else
			i++;
	}
}

bool switch_port_is_up(const struct vswitch *sw, unsigned port)
{
	return port < sw->nports && sw->port[port].up;
}

struct switch_port_stats switch_stats(const struct vswitch *sw, unsigned port)
{
	struct switch_port_stats none = { 0 };
	return port < sw->nports ? sw->port[port].st : none;
}

/* --- forwarding ---------------------------------------------------------------- */

/* May a frame with this source MAC come in on port p? */
static bool source_ok(const struct vswitch *sw, const struct port *p, const uint8_t *src)
{
	if (is_multicast(src))
		return false;
	if (!p->cfg.uplink)
		return mac_eq(src, p->cfg.mac);
	for (unsigned i = 0; i < sw->nports; i++)
		if (!sw->port[i].cfg.uplink && mac_eq(sw->port[i].cfg.mac, src))
			return false;
	return true;
}

static int flood(struct vswitch *sw, unsigned in, const uint8_t *frame, size_t len)
{
	int queued = 0;
	for (unsigned out = 0; out < sw->nports; out++)
		if (out != in && sw->port[out].up)
			queued += enqueue(sw, out, frame, len);
	return queued;
}

int switch_input(struct vswitch *sw, unsigned in, const uint8_t *frame, size_t len,
		 uint64_t now_ns)
{
	if (in >= sw->nports || !sw->port[in].up)
		return -1;
	struct port *p = &sw->port[in];
	if (len < SWITCH_MIN_FRAME || len > SWITCH_MAX_FRAME) {
		p->st.in_bad_size++;
		return -1;
	}
	const uint8_t *dst = frame, *src = frame + SWITCH_MAC_LEN;
	if (!source_ok(sw, p, src)) {
		p->st.in_spoofed++;
		return -1;
	}
	p->st.in_frames++;
	learn(sw, src, in, now_ns);
	if (is_multicast(dst))
		return flood(sw, in, frame, len);
	int out = switch_lookup(sw, dst, now_ns);
	if (out < 0)
		return flood(sw, in, frame, len);
	if ((unsigned)out == in) {
		p->st.in_filtered++;
		return 0;
	}
	return enqueue(sw, (unsigned)out, frame, len);
}
