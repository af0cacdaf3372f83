/*
 * The modern virtio-pci transport: capabilities, the common configuration
 * registers, ISR, notifications and the bridge from queue_enable to
 * virtq_setup.  See virtio_pci.h for the BAR layout and the error rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"
#include "dev/virtio_pci.h"

#define CAP_LEN 16          /* struct virtio_pci_cap */
#define NOTIFY_CAP_LEN 20   /* plus notify_off_multiplier */
#define PCI_CFG_CAP_LEN 20  /* plus the pci_cfg_data window */
#define CAPS_MAX (CAP_LEN * 3 + NOTIFY_CAP_LEN + PCI_CFG_CAP_LEN)
/* Fields of struct virtio_pci_cap, relative to the capability. */
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_DATA 16         /* pci_cfg_data in the PCI_CFG capability */
#define PCI_CAP_ID_VNDR 0x09
#define RING_FEATURES ((1ull << VIRTIO_F_RING_INDIRECT_DESC) | (1ull << VIRTIO_F_RING_EVENT_IDX))
#define LOG_LEN (VIRTQ_ERRLEN + 64)

struct vqueue {
	uint16_t size;                      /* as the driver last wrote it */
	bool enabled;
	uint64_t desc, driver, device;
	struct virtq vq;
};

struct virtio_pci {
	struct virtio_pci_config cfg;
	struct pci_device *pci;
	uint8_t caps[CAPS_MAX];
	unsigned caps_len;
	unsigned pci_cfg_cap;               /* offset of the PCI_CFG capability in caps */
	uint64_t device_features;
	uint64_t driver_features;
	bool driver_features_bad;           /* a bit set above bit 63 */
	uint32_t device_feature_select, driver_feature_select;
	uint16_t msix_config;
	uint8_t status;
	uint8_t generation;
	uint8_t isr;
	uint16_t queue_select;
	struct vqueue queues[VIRTIO_PCI_MAX_QUEUES];
};

/* --- interrupts and failure ----------------------------------------------- */

static void raise_isr(struct virtio_pci *vp, uint8_t bits)
{
	vp->isr |= bits;
	pci_set_irq(vp->pci, 1);
}

static void vp_log(struct virtio_pci *vp, const char *what)
{
	if (!vp->cfg.log)
		return;
	char line[LOG_LEN];
	snprintf(line, sizeof(line), "%s: %s", vp->cfg.name, what);
	vp->cfg.log(vp->cfg.log_opaque, line);
}

static bool broken(const struct virtio_pci *vp)
{
	return vp->status & VIRTIO_STATUS_NEEDS_RESET;
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	if (broken(vp))
		return; /* reported already; quiet until the driver resets */
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp_log(vp, why);
	raise_isr(vp, VIRTIO_ISR_CONFIG);
}

static void fail_queue(struct virtio_pci *vp, unsigned q, const char *err)
{
	char line[LOG_LEN];
	snprintf(line, sizeof(line), "queue %u: %s; device needs reset", q, err);
	virtio_pci_fail(vp, line);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->generation++;
	raise_isr(vp, VIRTIO_ISR_CONFIG);
}

/* --- reset and features --------------------------------------------------- */

static void device_reset(struct virtio_pci *vp)
{
	vp->driver_features = 0;
	vp->driver_features_bad = false;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->msix_config = VIRTIO_NO_VECTOR;
	vp->status = 0;
	vp->isr = 0;
	vp->queue_select = 0;
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		struct vqueue *v = &vp->queues[q];
		v->size = vp->cfg.queue_max_size;
		v->enabled = false;
		v->desc = v->driver = v->device = 0;
		virtq_reset(&v->vq);
	}
	pci_set_irq(vp->pci, 0);
	if (vp->cfg.reset)
		vp->cfg.reset(vp->cfg.opaque);
}

static bool features_acceptable(const struct virtio_pci *vp)
{
	return !vp->driver_features_bad && !(vp->driver_features & ~vp->device_features) &&
	       (vp->driver_features & (1ull << VIRTIO_F_VERSION_1));
}

/* The driver may only add bits (only a reset, a write of 0, takes any
 * away: clearing FEATURES_OK would reopen negotiation under live
 * queues); FEATURES_OK sticks only for a subset of what the device
 * offers, and NEEDS_RESET is the device's to set. */
static void write_status(struct virtio_pci *vp, uint8_t val)
{
	if (val == 0) {
		device_reset(vp);
		return;
	}
	uint8_t old = vp->status;
	uint8_t next = (uint8_t)((val & ~VIRTIO_STATUS_NEEDS_RESET) | old);
	if ((next & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(vp))
		next &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	vp->status = next;
}

static uint32_t read_device_feature(const struct virtio_pci *vp)
{
	if (vp->device_feature_select > 1)
		return 0;
	return (uint32_t)(vp->device_features >> (32 * vp->device_feature_select));
}

static void write_driver_feature(struct virtio_pci *vp, uint32_t val)
{
	if (vp->status & VIRTIO_STATUS_FEATURES_OK)
		return; /* negotiation is over */
	if (vp->driver_feature_select > 1) {
		if (val)
			vp->driver_features_bad = true;
		return;
	}
	unsigned shift = 32 * vp->driver_feature_select;
	vp->driver_features &= ~(0xffffffffull << shift);
	vp->driver_features |= (uint64_t)val << shift;
}

static uint32_t read_driver_feature(const struct virtio_pci *vp)
{
	if (vp->driver_feature_select > 1)
		return 0;
	return (uint32_t)(vp->driver_features >> (32 * vp->driver_feature_select));
}

/* --- queues --------------------------------------------------------------- */

static struct vqueue *selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->cfg.num_queues ? &vp->queues[vp->queue_select] : NULL;
}

static void enable_queue(struct virtio_pci *vp, struct vqueue *v)
{
	unsigned q = (unsigned)(v - vp->queues);
	char err[VIRTQ_ERRLEN];
	if (!(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		fail_queue(vp, q, "enabled before FEATURES_OK");
		return;
	}
	if (v->size > vp->cfg.queue_max_size) {
		snprintf(err, sizeof(err), "queue_size %u is above the maximum %u",
			 v->size, vp->cfg.queue_max_size);
		fail_queue(vp, q, err);
		return;
	}
	struct virtq_layout l = {
		.size = v->size, .desc_addr = v->desc, .avail_addr = v->driver,
		.used_addr = v->device, .features = vp->driver_features,
	};
	if (virtq_setup(&v->vq, vp->cfg.ram, vp->cfg.ram_size, &l, err) < 0) {
		fail_queue(vp, q, err);
		return;
	}
	v->enabled = true;
}

/* Queue registers are frozen while the queue is enabled (spec 4.1.4.3.2). */
static void write_queue_reg(struct virtio_pci *vp, unsigned off, uint32_t val)
{
	struct vqueue *v = selected(vp);
	if (!v || v->enabled || broken(vp))
		return;
	switch (off) {
	case VIRTIO_PCI_QUEUE_SIZE: v->size = (uint16_t)val; break;
	case VIRTIO_PCI_QUEUE_ENABLE: if (val == 1) enable_queue(vp, v); break;
	case VIRTIO_PCI_QUEUE_DESC: v->desc = (v->desc & ~0xffffffffull) | val; break;
	case VIRTIO_PCI_QUEUE_DESC + 4: v->desc = (v->desc & 0xffffffffull) | (uint64_t)val << 32; break;
	case VIRTIO_PCI_QUEUE_DRIVER: v->driver = (v->driver & ~0xffffffffull) | val; break;
	case VIRTIO_PCI_QUEUE_DRIVER + 4: v->driver = (v->driver & 0xffffffffull) | (uint64_t)val << 32; break;
	case VIRTIO_PCI_QUEUE_DEVICE: v->device = (v->device & ~0xffffffffull) | val; break;
	case VIRTIO_PCI_QUEUE_DEVICE + 4: v->device = (v->device & 0xffffffffull) | (uint64_t)val << 32; break;
	}
}

static uint32_t read_queue_reg(struct virtio_pci *vp, unsigned off)
{
	struct vqueue *v = selected(vp);
	if (!v)
		return 0; /* queue_size 0 tells the driver the queue does not exist */
	switch (off) {
	case VIRTIO_PCI_QUEUE_SIZE: return v->size;
	case VIRTIO_PCI_QUEUE_MSIX_VECTOR: return VIRTIO_NO_VECTOR;
	case VIRTIO_PCI_QUEUE_ENABLE: return v->enabled;
	case VIRTIO_PCI_QUEUE_NOTIFY_OFF: return vp->queue_select;
	case VIRTIO_PCI_QUEUE_DESC: return (uint32_t)v->desc;
	case VIRTIO_PCI_QUEUE_DESC + 4: return (uint32_t)(v->desc >> 32);
	case VIRTIO_PCI_QUEUE_DRIVER: return (uint32_t)v->driver;
	case VIRTIO_PCI_QUEUE_DRIVER + 4: return (uint32_t)(v->driver >> 32);
	case VIRTIO_PCI_QUEUE_DEVICE: return (uint32_t)v->device;
	case VIRTIO_PCI_QUEUE_DEVICE + 4: return (uint32_t)(v->device >> 32);
	}
	return 0;
}

static bool queue_usable(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->cfg.num_queues && vp->queues[q].enabled && !broken(vp) &&
	       pci_bus_master_enabled(vp->pci);
}

int virtio_pci_chain_write(struct virtio_pci *vp, const struct virtq_chain *c, uint32_t offset,
			   const void *buf, uint32_t len)
{
	if (virtq_chain_write(vp->cfg.ram, vp->cfg.ram_size, c, offset, buf, len) < 0)
		return -1;
	if (!vp->cfg.ram_written || len == 0)
		return 0;
	/* Report the parts of the writable segments that [offset, offset+len)
	 * covered; offsets count across the writable segments in order. */
	uint32_t pos = 0;
	for (uint32_t k = 0; k < c->nseg && pos < offset + len; k++) {
		const struct virtq_seg *s = &c->seg[k];
		if (!s->writable)
			continue;
		uint32_t lo = offset > pos ? offset - pos : 0;
		uint32_t hi = offset + len - pos < s->len ? offset + len - pos : s->len;
		if (lo < hi)
			vp->cfg.ram_written(vp->cfg.ram_opaque, s->addr + lo, hi - lo);
		pos += s->len;
	}
	return 0;
}

/* virtq stores into the used ring (a push's element and index, a pop's
 * avail_event): RAM like any buffer, which the engine must hear of too.
 * The whole ring is named; it is a few pages at most. */
static void used_ring_written(struct virtio_pci *vp, const struct virtq *vq)
{
	if (vp->cfg.ram_written)
		vp->cfg.ram_written(vp->cfg.ram_opaque, vq->used_addr, 6 + 8 * vq->size);
}

int virtio_pci_pop(struct virtio_pci *vp, unsigned q, struct virtq_chain *out)
{
	char err[VIRTQ_ERRLEN];
	if (!queue_usable(vp, q))
		return 0;
	struct virtq *vq = &vp->queues[q].vq;
	int rc = virtq_pop(vq, out, err);
	if (rc < 0)
		fail_queue(vp, q, err);
	else if (vq->event_idx)
		used_ring_written(vp, vq);
	return rc;
}

int virtio_pci_push(struct virtio_pci *vp, unsigned q, uint16_t head, uint32_t written)
{
	char err[VIRTQ_ERRLEN];
	if (!queue_usable(vp, q))
		return -1;
	struct virtq *vq = &vp->queues[q].vq;
	if (virtq_push(vq, head, written, err) < 0) {
		fail_queue(vp, q, err);
		return -1;
	}
	used_ring_written(vp, vq);
	if (virtq_needs_notify(vq))
		raise_isr(vp, VIRTIO_ISR_QUEUE);
	return 0;
}

/* --- the common configuration structure ----------------------------------- */

/* Each register's width; 64-bit addresses are reached as two dwords. */
static int field_width(unsigned off)
{
	switch (off) {
	case VIRTIO_PCI_DEVICE_FEATURE_SELECT: case VIRTIO_PCI_DEVICE_FEATURE:
	case VIRTIO_PCI_DRIVER_FEATURE_SELECT: case VIRTIO_PCI_DRIVER_FEATURE:
	case VIRTIO_PCI_QUEUE_DESC: case VIRTIO_PCI_QUEUE_DESC + 4:
	case VIRTIO_PCI_QUEUE_DRIVER: case VIRTIO_PCI_QUEUE_DRIVER + 4:
	case VIRTIO_PCI_QUEUE_DEVICE: case VIRTIO_PCI_QUEUE_DEVICE + 4:
		return 4;
	case VIRTIO_PCI_MSIX_CONFIG: case VIRTIO_PCI_NUM_QUEUES: case VIRTIO_PCI_QUEUE_SELECT:
	case VIRTIO_PCI_QUEUE_SIZE: case VIRTIO_PCI_QUEUE_MSIX_VECTOR:
	case VIRTIO_PCI_QUEUE_ENABLE: case VIRTIO_PCI_QUEUE_NOTIFY_OFF:
		return 2;
	case VIRTIO_PCI_DEVICE_STATUS: case VIRTIO_PCI_CONFIG_GENERATION:
		return 1;
	}
	return 0;
}

static uint32_t common_read(struct virtio_pci *vp, unsigned off, int size)
{
	if (field_width(off) != size)
		return 0;
	switch (off) {
	case VIRTIO_PCI_DEVICE_FEATURE_SELECT: return vp->device_feature_select;
	case VIRTIO_PCI_DEVICE_FEATURE: return read_device_feature(vp);
	case VIRTIO_PCI_DRIVER_FEATURE_SELECT: return vp->driver_feature_select;
	case VIRTIO_PCI_DRIVER_FEATURE: return read_driver_feature(vp);
	case VIRTIO_PCI_MSIX_CONFIG: return vp->msix_config;
	case VIRTIO_PCI_NUM_QUEUES: return vp->cfg.num_queues;
	case VIRTIO_PCI_DEVICE_STATUS: return vp->status;
	case VIRTIO_PCI_CONFIG_GENERATION: return vp->generation;
	case VIRTIO_PCI_QUEUE_SELECT: return vp->queue_select;
	}
	return read_queue_reg(vp, off);
}

static void common_write(struct virtio_pci *vp, unsigned off, int size, uint32_t val)
{
	if (field_width(off) != size)
		return;
	switch (off) {
	case VIRTIO_PCI_DEVICE_FEATURE_SELECT: vp->device_feature_select = val; break;
	case VIRTIO_PCI_DRIVER_FEATURE_SELECT: vp->driver_feature_select = val; break;
	case VIRTIO_PCI_DRIVER_FEATURE: write_driver_feature(vp, val); break;
	/* No MSI-X: the only vector the device accepts is "none". */
	case VIRTIO_PCI_MSIX_CONFIG: case VIRTIO_PCI_QUEUE_MSIX_VECTOR: break;
	case VIRTIO_PCI_DEVICE_STATUS: write_status(vp, (uint8_t)val); break;
	case VIRTIO_PCI_QUEUE_SELECT: vp->queue_select = (uint16_t)val; break;
	case VIRTIO_PCI_DEVICE_FEATURE: case VIRTIO_PCI_NUM_QUEUES:
	case VIRTIO_PCI_CONFIG_GENERATION: case VIRTIO_PCI_QUEUE_NOTIFY_OFF: break;
	default: write_queue_reg(vp, off, val); break;
	}
}

/* --- the BAR -------------------------------------------------------------- */

static uint8_t isr_read_clear(struct virtio_pci *vp)
{
	uint8_t v = vp->isr;
	vp->isr = 0;
	pci_set_irq(vp->pci, 0);
	return v;
}

static void notify(struct virtio_pci *vp, uint32_t off, int size)
{
	uint32_t q = off / VIRTIO_PCI_NOTIFY_MULT;
	if ((size != 2 && size != 4) || off % VIRTIO_PCI_NOTIFY_MULT || q >= vp->cfg.num_queues)
		return;
	if (queue_usable(vp, q) && vp->cfg.queue_notify)
		vp->cfg.queue_notify(vp->cfg.opaque, q);
}

static bool devcfg_range(const struct virtio_pci *vp, uint32_t off, int size)
{
	return off >= VIRTIO_PCI_DEVCFG_OFF &&
	       off - VIRTIO_PCI_DEVCFG_OFF + (uint32_t)size <= vp->cfg.config_len;
}

uint32_t virtio_pci_bar_read(void *opaque, uint32_t off, int size)
{
	struct virtio_pci *vp = opaque;
	if (size != 1 && size != 2 && size != 4)
		return 0;
	if (off < VIRTIO_PCI_COMMON_LEN)
		return common_read(vp, off, size);
	if (off == VIRTIO_PCI_ISR_OFF && size == 1)
		return isr_read_clear(vp);
	if (devcfg_range(vp, off, size) && vp->cfg.config_read)
		return vp->cfg.config_read(vp->cfg.opaque, off - VIRTIO_PCI_DEVCFG_OFF, size);
	return 0;
}

void virtio_pci_bar_write(void *opaque, uint32_t off, int size, uint32_t val)
{
	struct virtio_pci *vp = opaque;
	if (size != 1 && size != 2 && size != 4)
		return;
	if (off < VIRTIO_PCI_COMMON_LEN)
		common_write(vp, off, size, val);
	else if (off >= VIRTIO_PCI_NOTIFY_OFF && off < VIRTIO_PCI_BAR_SIZE)
		notify(vp, off - VIRTIO_PCI_NOTIFY_OFF, size);
	else if (devcfg_range(vp, off, size) && vp->cfg.config_write)
		vp->cfg.config_write(vp->cfg.opaque, off - VIRTIO_PCI_DEVCFG_OFF, size, val);
}

/* --- the PCI_CFG capability ------------------------------------------------ */

/*
 * A window onto the BAR through config space (spec 4.1.4.9): the driver
 * writes bar, offset and length into the capability, then reads or writes
 * pci_cfg_data.  The access goes through only for BAR0, a length of 1, 2
 * or 4, an offset aligned to it inside the BAR, and a data access of
 * exactly that width at the window's start.
 */
static bool window_ok(const struct virtio_pci *vp, unsigned rel, int size, uint32_t *bar_off)
{
	const uint8_t *cap = vp->caps + vp->pci_cfg_cap;
	uint32_t off = get_le32(cap + CAP_OFFSET), len = get_le32(cap + CAP_LENGTH);
	*bar_off = off;
	return rel == vp->pci_cfg_cap + CAP_DATA && cap[CAP_BAR] == 0 && (uint32_t)size == len &&
	       (len == 1 || len == 2 || len == 4) && off % len == 0 && off <= VIRTIO_PCI_BAR_SIZE - len;
}

static bool in_window(const struct virtio_pci *vp, unsigned rel)
{
	unsigned data = vp->pci_cfg_cap + CAP_DATA;
	return rel >= data && rel < data + 4;
}

static uint32_t cfg_read(void *opaque, unsigned offset, int size)
{
	struct virtio_pci *vp = opaque;
	unsigned rel = offset - PCI_CAP_START;
	uint32_t bar_off, v = 0;
	if (in_window(vp, rel))
		return window_ok(vp, rel, size, &bar_off) ? virtio_pci_bar_read(vp, bar_off, size) : 0;
	for (int i = 0; i < size; i++)
		if (rel + (unsigned)i < vp->caps_len)
			v |= (uint32_t)vp->caps[rel + (unsigned)i] << (8 * i);
	return v;
}

/* Only bar, offset and length of the PCI_CFG capability are writable. */
static bool byte_writable(const struct virtio_pci *vp, unsigned rel)
{
	unsigned c = vp->pci_cfg_cap;
	return rel == c + CAP_BAR || (rel >= c + CAP_OFFSET && rel < c + CAP_DATA);
}

static void cfg_write(void *opaque, unsigned offset, int size, uint32_t val)
{
	struct virtio_pci *vp = opaque;
	unsigned rel = offset - PCI_CAP_START;
	uint32_t bar_off;
	if (in_window(vp, rel)) {
		if (window_ok(vp, rel, size, &bar_off))
			virtio_pci_bar_write(vp, bar_off, size, val);
		return;
	}
	for (int i = 0; i < size; i++)
		if (byte_writable(vp, rel + (unsigned)i))
			vp->caps[rel + (unsigned)i] = (uint8_t)(val >> (8 * i));
}

/* --- capabilities and creation -------------------------------------------- */

/* One struct virtio_pci_cap at caps[at]; returns the offset after it. */
static unsigned add_cap(uint8_t *caps, unsigned at, unsigned len, uint8_t type,
			uint32_t offset, uint32_t length)
{
	uint8_t *c = caps + at;
	c[0] = PCI_CAP_ID_VNDR;
	c[1] = 0; /* next: patched by the caller */
	c[2] = (uint8_t)len;
	c[3] = type;
	c[4] = 0; /* BAR0 */
	put_le32(c + 8, offset);
	put_le32(c + 12, length);
	return at + len;
}

static unsigned build_caps(struct virtio_pci *vp)
{
	uint8_t *c = vp->caps;
	unsigned starts[5], n = 0, at = 0;
	starts[n++] = at;
	at = add_cap(c, at, CAP_LEN, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN);
	starts[n++] = at;
	at = add_cap(c, at, NOTIFY_CAP_LEN, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		     VIRTIO_PCI_NOTIFY_MULT * vp->cfg.num_queues);
	put_le32(c + starts[1] + 16, VIRTIO_PCI_NOTIFY_MULT);
	starts[n++] = at;
	at = add_cap(c, at, CAP_LEN, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1);
	if (vp->cfg.config_len) {
		starts[n++] = at;
		at = add_cap(c, at, CAP_LEN, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF,
			     vp->cfg.config_len);
	}
	starts[n++] = vp->pci_cfg_cap = at;
	at = add_cap(c, at, PCI_CFG_CAP_LEN, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
	for (unsigned i = 0; i + 1 < n; i++)
		c[starts[i] + 1] = (uint8_t)(PCI_CAP_START + starts[i + 1]);
	return at;
}

static bool config_valid(const struct virtio_pci_config *c)
{
	uint32_t m = c->queue_max_size;
	return c->num_queues >= 1 && c->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       m >= 1 && m <= VIRTQ_MAX_SIZE && !(m & (m - 1)) &&
	       c->config_len <= VIRTIO_PCI_MAX_CONFIG && c->ram && c->ram_size &&
	       c->device_type < 0x40; /* device ids 0x1040..0x107f */
}

struct virtio_pci *virtio_pci_create(struct pci_bus *bus, int slot, const struct virtio_pci_config *cfg)
{
	if (!config_valid(cfg))
		return NULL;
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	if (!vp)
		return NULL;
	vp->cfg = *cfg;
	if (!vp->cfg.name)
		vp->cfg.name = "virtio";
	vp->device_features = cfg->features | RING_FEATURES | (1ull << VIRTIO_F_VERSION_1);
	struct pci_device_info info = {
		.name = vp->cfg.name,
		.vendor_id = VIRTIO_PCI_VENDOR,
		.device_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + cfg->device_type),
		.subsystem_vendor_id = VIRTIO_PCI_VENDOR,
		.subsystem_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + cfg->device_type),
		.revision = 1,
		.class_code = cfg->class_code, .subclass = cfg->subclass,
		.interrupt_pin = 1,
		.bars[0] = { PCI_BAR_MEM32, VIRTIO_PCI_BAR_SIZE, virtio_pci_bar_read, virtio_pci_bar_write },
		.caps = vp->caps,
		.caps_len = vp->caps_len = build_caps(vp),
		.cfg_read = cfg_read,
		.cfg_write = cfg_write,
		.opaque = vp,
	};
	vp->pci = pci_register(bus, slot, &info);
	if (!vp->pci) {
		free(vp);
		return NULL;
	}
	device_reset(vp);
	return vp;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	free(vp); /* its function stays on the bus, unused, until pci_destroy */
}

struct pci_device *virtio_pci_device(struct virtio_pci *vp)
{
	return vp->pci;
}

uint8_t virtio_pci_status(const struct virtio_pci *vp)
{
	return vp->status;
}

uint64_t virtio_pci_features(const struct virtio_pci *vp)
{
	return vp->driver_features;
}
