/* The virtio-pci guest-driver rig; see virtio_rig.h. */
#include "virtio_rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/le.h"

static void record_irq(void *opaque, int irq, int level)
{
	struct vrig *v = opaque;
	if (irq >= 0 && irq < 16)
		v->irq_level[irq] = level;
}

void vr_init_on(struct vrig *v, int slot, uint8_t *ram, uint32_t ram_size)
{
	memset(v, 0, sizeof(*v));
	iobus_init(&v->io);
	mmiobus_init(&v->mmio);
	v->irq = (struct irq_line){ record_irq, v };
	v->pci = pci_create(&v->io, &v->mmio, &v->irq);
	v->slot = slot;
	v->ram = ram;
	v->ram_size = ram_size;
}

void vr_init(struct vrig *v, int slot, uint32_t ram_size)
{
	vr_init_on(v, slot, calloc(1, ram_size), ram_size);
}

void vr_fini(struct vrig *v)
{
	pci_destroy(v->pci);
	free(v->ram);
	v->pci = NULL;
	v->ram = NULL;
}

struct vrig *vr_new(int slot, uint32_t ram_size)
{
	struct vrig *v = malloc(sizeof(*v));
	vr_init(v, slot, ram_size);
	return v;
}

void vr_free(struct vrig *v)
{
	vr_fini(v);
	free(v);
}

void vr_enable(struct vrig *v)
{
	vr_cfg_write(v, PCI_BAR0, 4, VR_BAR_BASE);
	vr_cfg_write(v, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

void vr_log(void *opaque, const char *msg)
{
	struct vrig *v = opaque;
	v->nlogs++;
	snprintf(v->last_log, sizeof(v->last_log), "%s", msg);
}

/* Whether [addr, addr + len) lies in the used ring of a programmed queue. */
static bool in_used_ring(const struct vrig *v, uint32_t addr, uint32_t len)
{
	for (unsigned q = 0; q < VR_MAX_QUEUES; q++) {
		uint64_t used = v->used_at[q], bytes = 6 + 8ull * v->q[q].size;
		if (v->q[q].size && addr >= used && addr + (uint64_t)len <= used + bytes)
			return true;
	}
	return false;
}

void vr_ram_written(void *opaque, uint32_t addr, uint32_t len)
{
	struct vrig *v = opaque;
	if (in_used_ring(v, addr, len)) {
		v->nring_stores++;
		v->last_ring_store = (struct vr_range){ addr, len };
		return;
	}
	if (v->nranges < VR_MAX_RANGES)
		v->ranges[v->nranges] = (struct vr_range){ addr, len };
	v->nranges++;
	v->written_end = addr + len;
}

uint32_t vr_written_span(const struct vrig *v)
{
	return v->nranges ? v->written_end - v->ranges[0].addr : 0;
}

uint32_t vr_cfg_read(struct vrig *v, unsigned reg, int size)
{
	return pci_config_read(v->pci, v->slot, reg, size);
}

void vr_cfg_write(struct vrig *v, unsigned reg, int size, uint32_t val)
{
	pci_config_write(v->pci, v->slot, reg, size, val);
}

uint32_t vr_rd(struct vrig *v, uint32_t off, int size)
{
	uint32_t val = 0;
	mmiobus_read(&v->mmio, VR_BAR_BASE + off, size, &val);
	return val;
}

void vr_wr(struct vrig *v, uint32_t off, int size, uint32_t val)
{
	mmiobus_write(&v->mmio, VR_BAR_BASE + off, size, val);
}

uint32_t vr_devcfg_read(struct vrig *v, uint32_t off, int size)
{
	return vr_rd(v, VIRTIO_PCI_DEVCFG_OFF + off, size);
}

uint8_t vr_status(struct vrig *v)
{
	return (uint8_t)vr_rd(v, VIRTIO_PCI_DEVICE_STATUS, 1);
}

void vr_reset(struct vrig *v)
{
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
}

void vr_negotiate(struct vrig *v, uint64_t features)
{
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
		vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE, 4, (uint32_t)(features >> (32 * sel)));
	}
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

static void write64(struct vrig *v, uint32_t off, uint64_t val)
{
	vr_wr(v, off, 4, (uint32_t)val);
	vr_wr(v, off + 4, 4, (uint32_t)(val >> 32));
}

void vr_program_queue(struct vrig *v, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
		      uint64_t used)
{
	if (q < VR_MAX_QUEUES) {
		v->q[q].size = size;
		v->used_at[q] = used;
	}
	vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, q);
	vr_wr(v, VIRTIO_PCI_QUEUE_SIZE, 2, size);
	write64(v, VIRTIO_PCI_QUEUE_DESC, desc);
	write64(v, VIRTIO_PCI_QUEUE_DRIVER, avail);
	write64(v, VIRTIO_PCI_QUEUE_DEVICE, used);
	vr_wr(v, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
}

void vr_setup_queue(struct vrig *v, unsigned q, uint16_t size)
{
	memset(v->ram + VR_DESC_AT(q), 0, VR_RING_BYTES);
	v->q[q] = (struct vr_queue){ 0 };
	vr_program_queue(v, q, size, VR_DESC_AT(q), VR_AVAIL_AT(q), VR_USED_AT(q));
}

void vr_driver_ok(struct vrig *v)
{
	vr_wr(v, VIRTIO_PCI_DEVICE_STATUS, 1, vr_status(v) | VIRTIO_STATUS_DRIVER_OK);
}

void vr_start(struct vrig *v, uint64_t features, unsigned nqueues, uint16_t qsize, bool driver_ok)
{
	vr_negotiate(v, features);
	for (unsigned q = 0; q < nqueues; q++)
		vr_setup_queue(v, q, qsize);
	if (driver_ok)
		vr_driver_ok(v);
}

/* Ring slot of the i-th entry; a queue programmed with size 0 has one. */
static unsigned ring_slot(const struct vrig *v, unsigned q, unsigned i)
{
	return v->q[q].size ? i % v->q[q].size : 0;
}

void vr_put_desc(struct vrig *v, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	uint8_t *d = v->ram + VR_DESC_AT(q) + 16u * i;
	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

void vr_make_avail(struct vrig *v, unsigned q, uint16_t head)
{
	struct vr_queue *vq = &v->q[q];
	put_le16(v->ram + VR_AVAIL_AT(q) + 4 + 2u * ring_slot(v, q, vq->avail_idx), head);
	put_le16(v->ram + VR_AVAIL_AT(q) + 2, ++vq->avail_idx);
}

uint16_t vr_post(struct vrig *v, unsigned q, const struct vr_seg *segs, unsigned n)
{
	uint16_t first = v->q[q].next_desc;
	for (unsigned i = 0; i < n; i++) {
		uint16_t flags = (uint16_t)((segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		vr_put_desc(v, q, (uint16_t)ring_slot(v, q, first + i), segs[i].addr, segs[i].len,
			    flags, (uint16_t)ring_slot(v, q, first + i + 1));
	}
	v->q[q].next_desc = (uint16_t)ring_slot(v, q, first + n);
	vr_make_avail(v, q, first);
	return first;
}

void vr_kick(struct vrig *v, unsigned q)
{
	vr_wr(v, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

uint16_t vr_submit(struct vrig *v, unsigned q, const struct vr_seg *segs, unsigned n)
{
	uint16_t head = vr_post(v, q, segs, n);
	vr_kick(v, q);
	return head;
}

uint16_t vr_used_idx(struct vrig *v, unsigned q)
{
	return get_le16(v->ram + VR_USED_AT(q) + 2);
}

static const uint8_t *used_elem(struct vrig *v, unsigned q, unsigned i)
{
	return v->ram + VR_USED_AT(q) + 4 + 8u * ring_slot(v, q, i);
}

uint32_t vr_used_id(struct vrig *v, unsigned q, unsigned i)
{
	return get_le32(used_elem(v, q, i));
}

uint32_t vr_used_len(struct vrig *v, unsigned q, unsigned i)
{
	return get_le32(used_elem(v, q, i) + 4);
}

uint32_t vr_last_used_len(struct vrig *v, unsigned q)
{
	return vr_used_len(v, q, vr_used_idx(v, q) - 1u);
}
