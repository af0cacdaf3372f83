/* A hostile virtio driver for fuzz targets; see vdrv.h. */
#include "vdrv.h"

#include "dev/le.h"

#define MAX_SEGS 8

/* One rig, reused: allocating 200 KiB afresh per input made the kernel's
 * page faults the fuzzer's main cost.  Each input still starts from zeroed
 * RAM, empty buses and a new PCI bus. */
static struct vdrv drv;
static uint8_t *drv_ram; /* exact size (ASan sees every stray access), kept */

struct vdrv *vdrv_new(unsigned nqueues)
{
	struct vdrv *v = &drv;
	if (!drv_ram && !(drv_ram = malloc(VD_RAM_SIZE)))
		abort();
	memset(v, 0, sizeof(*v));
	memset(drv_ram, 0, VD_RAM_SIZE);
	vr_init_on(&v->rig, VD_SLOT, drv_ram, VD_RAM_SIZE);
	v->nqueues = nqueues < VD_MAX_QUEUES ? nqueues : VD_MAX_QUEUES;
	if (!v->rig.pci)
		abort();
	return v;
}

void vdrv_enable(struct vdrv *v)
{
	vr_enable(&v->rig);
}

void vdrv_free(struct vdrv *v)
{
	pci_destroy(v->rig.pci);
	FUZZ_CHECK(v->rig.io.nregions == 0 && v->rig.mmio.nregions == 0,
		   "regions left on the buses: %d ports, %d mmio", v->rig.io.nregions,
		   v->rig.mmio.nregions);
	v->rig.pci = NULL;
}

void vdrv_log(void *opaque, const char *msg)
{
	struct vdrv *v = opaque;
	FUZZ_CHECK(msg && msg[0], "empty device log line");
	FUZZ_SAY("device: %s\n", msg);
	v->logs++;
}

void vdrv_ram_written(void *opaque, uint32_t addr, uint32_t len)
{
	struct vdrv *v = opaque;
	FUZZ_CHECK(addr <= v->rig.ram_size && len <= v->rig.ram_size - addr,
		   "device reports a store at %#x + %u outside %u bytes of RAM", addr, len,
		   v->rig.ram_size);
}

/* --- the transport, as a driver sees it --------------------------------------- */

static uint64_t device_features(struct vdrv *v)
{
	uint64_t f = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vr_wr(&v->rig, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, sel);
		f |= (uint64_t)vr_rd(&v->rig, VIRTIO_PCI_DEVICE_FEATURE, 4) << (32 * sel);
	}
	return f;
}

/* A queue size: mostly a power of two that fits the standard layout,
 * sometimes anything (0, odd, 32768). */
static uint16_t pick_qsize(struct fuzz_in *in)
{
	uint8_t b = fin_u8(in);
	if (b & 0x80)
		return fin_u16(in);
	return (uint16_t)(1u << (b % 9)); /* 1 .. 256: 16 * 256 bytes fit a page */
}

/* Reset, ACKNOWLEDGE | DRIVER, features (all offered or from the input),
 * FEATURES_OK, every queue in the standard layout, maybe DRIVER_OK. */
static void op_start(struct vdrv *v, struct fuzz_in *in)
{
	uint8_t how = fin_u8(in);
	uint64_t features = how & 1 ? fin_u64(in) : device_features(v);
	uint16_t size = pick_qsize(in);
	vr_reset(&v->rig);
	vr_start(&v->rig, features, v->nqueues, size, !(how & 2));
}

/* A guest-physical address: a buffer in the data area, RAM's last bytes,
 * past RAM, or anything. */
static uint64_t pick_addr(struct vdrv *v, struct fuzz_in *in)
{
	uint8_t mode = fin_u8(in);
	uint32_t x = fin_u16(in);
	switch (mode % 8) {
	case 0:
		return (uint64_t)fin_u32(in) << 32 | fin_u32(in);
	case 1:
		return v->rig.ram_size - 1 - x % 64;
	case 2:
		return (uint64_t)v->rig.ram_size + x % 64;
	default:
		return VD_DATA + x % (v->rig.ram_size - VD_DATA);
	}
}

static uint32_t pick_len(struct fuzz_in *in)
{
	uint8_t mode = fin_u8(in);
	uint16_t x = fin_u16(in);
	switch (mode % 8) {
	case 0:
		return fin_u32(in);
	case 1:
		return 0;
	default:
		return x % 4096;
	}
}

/* A queue with a raw layout: any size, rings anywhere. */
static void op_program_queue(struct vdrv *v, struct fuzz_in *in)
{
	unsigned q = fin_u8(in) % (v->nqueues + 1); /* one past the last, too */
	uint16_t size = pick_qsize(in);
	uint64_t desc = pick_addr(v, in), avail = pick_addr(v, in), used = pick_addr(v, in);
	vr_program_queue(&v->rig, q, size, desc, avail, used);
	v->rig.q[q] = (struct vr_queue){ size, 0, 0 }; /* the driver starts its rings over */
}

static unsigned ring_slot(const struct vr_queue *vq, unsigned i)
{
	return vq->size ? i % vq->size : 0;
}

/* Writes a descriptor only if the standard table holds it. */
static void put_desc(struct vdrv *v, unsigned q, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	if (i < 256) /* 16 * 256 bytes: the table's page */
		vr_put_desc(&v->rig, q, (uint16_t)i, addr, len, flags, next);
}

/* Fills a readable buffer from the input (the request the device reads). */
static void fill(struct vdrv *v, struct fuzz_in *in, uint64_t addr, uint32_t len)
{
	if (addr >= v->rig.ram_size)
		return;
	uint32_t room = v->rig.ram_size - (uint32_t)addr;
	uint32_t n = fin_u8(in);
	if (n > len)
		n = len;
	if (n > room)
		n = room;
	fin_bytes(in, v->rig.ram + addr, n);
}

/* One chain of 1..8 segments on queue q's standard table, published. */
static void op_post(struct vdrv *v, struct fuzz_in *in)
{
	unsigned q = fin_u8(in) % v->nqueues;
	struct vr_queue *vq = &v->rig.q[q];
	unsigned n = 1 + fin_u8(in) % MAX_SEGS;
	uint16_t first = vq->next_desc;
	for (unsigned i = 0; i < n; i++) {
		uint8_t flags_in = fin_u8(in);
		uint64_t addr = pick_addr(v, in);
		uint32_t len = pick_len(in);
		bool writable = flags_in & 1;
		uint16_t flags = (uint16_t)((writable ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (flags_in & 0x80)
			flags = (uint16_t)(flags ^ (flags_in >> 4 & 7)); /* NEXT, WRITE, INDIRECT */
		if (!writable)
			fill(v, in, addr, len);
		put_desc(v, q, ring_slot(vq, first + i), addr, len, flags,
			 (uint16_t)ring_slot(vq, first + i + 1));
	}
	vq->next_desc = (uint16_t)ring_slot(vq, first + n);
	if (ring_slot(vq, vq->avail_idx) < (0x1000 - 4) / 2) {
		vr_make_avail(&v->rig, q, first);
	} else { /* a huge queue's far entries stay unwritten; the index moves on */
		put_le16(v->rig.ram + VR_AVAIL_AT(q) + 2, ++vq->avail_idx);
	}
}

static void op_kick(struct vdrv *v, struct fuzz_in *in)
{
	uint8_t b = fin_u8(in);
	unsigned q = b % (v->nqueues + 1);
	uint32_t value = b & 0x80 ? fin_u16(in) : q;
	vr_wr(&v->rig, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, b & 0x40 ? 4 : 2, value);
}

static int pick_size(struct fuzz_in *in)
{
	static const int sizes[] = { 1, 2, 4, 3 };
	return sizes[fin_u8(in) % 4];
}

/* Anywhere in the BAR, any width (3 included), read or write. */
static void op_bar(struct vdrv *v, struct fuzz_in *in)
{
	static const uint32_t area[] = { VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_ISR_OFF,
					 VIRTIO_PCI_DEVCFG_OFF, VIRTIO_PCI_NOTIFY_OFF };
	uint8_t b = fin_u8(in);
	uint32_t off = b & 0x80 ? fin_u16(in) % VIRTIO_PCI_BAR_SIZE : area[b % 4] + fin_u8(in) % 0x40;
	int size = pick_size(in);
	uint32_t val = fin_u32(in);
	if (b & 0x40)
		(void)vr_rd(&v->rig, off, size);
	else
		vr_wr(&v->rig, off, size, val);
}

/* PCI configuration space: BAR moves, command bits, capabilities, the
 * PCI_CFG window. */
static void op_config(struct vdrv *v, struct fuzz_in *in)
{
	unsigned off = fin_u8(in);
	int size = pick_size(in);
	uint32_t val = fin_u32(in);
	if (off & 1 && size > 1)
		size = 1;
	if (fin_u8(in) & 1)
		(void)vr_cfg_read(&v->rig, off, size);
	else
		vr_cfg_write(&v->rig, off, size, val);
}

static void op_poke_ram(struct vdrv *v, struct fuzz_in *in)
{
	uint32_t at = fin_u32(in) % v->rig.ram_size;
	uint32_t n = fin_u8(in) % 64;
	if (n > v->rig.ram_size - at)
		n = v->rig.ram_size - at;
	fin_bytes(in, v->rig.ram + at, n);
}

static void step(struct vdrv *v, struct fuzz_in *in)
{
	switch (fin_u8(in) % 10) {
	case 0:
		op_start(v, in);
		break;
	case 1:
		op_program_queue(v, in);
		break;
	case 2:
	case 3:
		op_post(v, in);
		break;
	case 4:
		op_kick(v, in);
		break;
	case 5:
		op_bar(v, in);
		break;
	case 6:
		op_config(v, in);
		break;
	case 7:
		op_poke_ram(v, in);
		break;
	case 8:
		vr_wr(&v->rig, VIRTIO_PCI_DEVICE_STATUS, 1, fin_u8(in));
		break;
	default:
		if (v->device_op)
			v->device_op(v->device_opaque, in);
		break;
	}
}

void vdrv_run(struct vdrv *v, struct fuzz_in *in, unsigned max_ops)
{
	for (unsigned i = 0; i < max_ops && !fin_empty(in); i++) {
		step(v, in);
		if (v->after_op)
			v->after_op(v->device_opaque);
	}
}
