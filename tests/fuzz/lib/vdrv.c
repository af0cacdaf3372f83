/* A hostile virtio driver for fuzz targets; see vdrv.h. */
#include "vdrv.h"

#include "dev/le.h"

#define MAX_SEGS 8

static void no_irq(void *opaque, int irq, int level)
{
	(void)opaque, (void)irq, (void)level;
}

/* One rig, reused: allocating 200 KiB afresh per input made the kernel's
 * page faults the fuzzer's main cost.  Each input still starts from zeroed
 * RAM, empty buses and a new PCI bus. */
static struct vdrv rig;

struct vdrv *vdrv_new(unsigned nqueues)
{
	struct vdrv *v = &rig;
	uint8_t *ram = v->ram ? v->ram : malloc(VD_RAM_SIZE); /* exact size, kept */
	if (!ram)
		abort();
	memset(v, 0, sizeof(*v));
	memset(ram, 0, VD_RAM_SIZE);
	v->ram = ram;
	v->ram_size = VD_RAM_SIZE;
	iobus_init(&v->io);
	mmiobus_init(&v->mmio);
	v->irq = (struct irq_line){ no_irq, v };
	v->pci = pci_create(&v->io, &v->mmio, &v->irq);
	v->nqueues = nqueues < VD_MAX_QUEUES ? nqueues : VD_MAX_QUEUES;
	if (!v->pci)
		abort();
	return v;
}

void vdrv_enable(struct vdrv *v)
{
	pci_config_write(v->pci, VD_SLOT, PCI_BAR0, 4, VD_BAR);
	pci_config_write(v->pci, VD_SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

void vdrv_free(struct vdrv *v)
{
	pci_destroy(v->pci);
	FUZZ_CHECK(v->io.nregions == 0 && v->mmio.nregions == 0,
		   "regions left on the buses: %d ports, %d mmio", v->io.nregions, v->mmio.nregions);
	v->pci = NULL;
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
	FUZZ_CHECK(addr <= v->ram_size && len <= v->ram_size - addr,
		   "device reports a store at %#x + %u outside %u bytes of RAM", addr, len, v->ram_size);
}

/* --- the transport, as a driver sees it --------------------------------------- */

static uint32_t bar_read(struct vdrv *v, uint32_t off, int size)
{
	uint32_t val = 0;
	mmiobus_read(&v->mmio, VD_BAR + off, size, &val);
	return val;
}

static void bar_write(struct vdrv *v, uint32_t off, int size, uint32_t val)
{
	mmiobus_write(&v->mmio, VD_BAR + off, size, val);
}

static void set_status(struct vdrv *v, uint8_t status)
{
	bar_write(v, VIRTIO_PCI_DEVICE_STATUS, 1, status);
}

static uint64_t device_features(struct vdrv *v)
{
	uint64_t f = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		bar_write(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, sel);
		f |= (uint64_t)bar_read(v, VIRTIO_PCI_DEVICE_FEATURE, 4) << (32 * sel);
	}
	return f;
}

static void program_queue(struct vdrv *v, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
			  uint64_t used)
{
	if (q < VD_MAX_QUEUES)
		v->q[q] = (struct vdrv_queue){ size, 0, 0 };
	bar_write(v, VIRTIO_PCI_QUEUE_SELECT, 2, q);
	bar_write(v, VIRTIO_PCI_QUEUE_SIZE, 2, size);
	uint64_t at[3] = { desc, avail, used };
	uint32_t reg[3] = { VIRTIO_PCI_QUEUE_DESC, VIRTIO_PCI_QUEUE_DRIVER, VIRTIO_PCI_QUEUE_DEVICE };
	for (int i = 0; i < 3; i++) {
		bar_write(v, reg[i], 4, (uint32_t)at[i]);
		bar_write(v, reg[i] + 4, 4, (uint32_t)(at[i] >> 32));
	}
	bar_write(v, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
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
	set_status(v, 0);
	set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		bar_write(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
		bar_write(v, VIRTIO_PCI_DRIVER_FEATURE, 4, (uint32_t)(features >> (32 * sel)));
	}
	set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < v->nqueues; q++) {
		memset(v->ram + VD_DESC_AT(q), 0, 0x3000);
		program_queue(v, q, size, VD_DESC_AT(q), VD_DESC_AT(q) + 0x1000, VD_DESC_AT(q) + 0x2000);
	}
	if (!(how & 2))
		set_status(v, (uint8_t)(bar_read(v, VIRTIO_PCI_DEVICE_STATUS, 1) |
					VIRTIO_STATUS_DRIVER_OK));
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
		return v->ram_size - 1 - x % 64;
	case 2:
		return (uint64_t)v->ram_size + x % 64;
	default:
		return VD_DATA + x % (v->ram_size - VD_DATA);
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
	program_queue(v, q, size, desc, avail, used);
}

static unsigned ring_slot(const struct vdrv_queue *vq, unsigned i)
{
	return vq->size ? i % vq->size : 0;
}

/* Writes a descriptor only if the standard table holds it. */
static void put_desc(struct vdrv *v, unsigned q, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	if (i >= 256)
		return;
	uint8_t *d = v->ram + VD_DESC_AT(q) + 16u * i;
	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

/* Fills a readable buffer from the input (the request the device reads). */
static void fill(struct vdrv *v, struct fuzz_in *in, uint64_t addr, uint32_t len)
{
	if (addr >= v->ram_size)
		return;
	uint32_t room = v->ram_size - (uint32_t)addr;
	uint32_t n = fin_u8(in);
	if (n > len)
		n = len;
	if (n > room)
		n = room;
	fin_bytes(in, v->ram + addr, n);
}

/* One chain of 1..8 segments on queue q's standard table, published. */
static void op_post(struct vdrv *v, struct fuzz_in *in)
{
	unsigned q = fin_u8(in) % v->nqueues;
	struct vdrv_queue *vq = &v->q[q];
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
	uint8_t *avail = v->ram + VD_DESC_AT(q) + 0x1000;
	unsigned slot = ring_slot(vq, vq->avail_idx);
	if (slot < (0x1000 - 4) / 2) /* a huge queue's far entries stay unwritten */
		put_le16(avail + 4 + 2u * slot, first);
	put_le16(avail + 2, ++vq->avail_idx);
}

static void op_kick(struct vdrv *v, struct fuzz_in *in)
{
	uint8_t b = fin_u8(in);
	unsigned q = b % (v->nqueues + 1);
	uint32_t value = b & 0x80 ? fin_u16(in) : q;
	bar_write(v, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, b & 0x40 ? 4 : 2, value);
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
		(void)bar_read(v, off, size);
	else
		bar_write(v, off, size, val);
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
		(void)pci_config_read(v->pci, VD_SLOT, off, size);
	else
		pci_config_write(v->pci, VD_SLOT, off, size, val);
}

static void op_poke_ram(struct vdrv *v, struct fuzz_in *in)
{
	uint32_t at = fin_u32(in) % v->ram_size;
	uint32_t n = fin_u8(in) % 64;
	if (n > v->ram_size - at)
		n = v->ram_size - at;
	fin_bytes(in, v->ram + at, n);
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
		set_status(v, fin_u8(in));
		break;
	default:
		if (v->device_op)
			v->device_op(v->device_opaque, in);
		break;
	}
}

void vdrv_run(struct vdrv *v, struct fuzz_in *in, unsigned max_ops)
{
	for (unsigned i = 0; i < max_ops && !fin_empty(in); i++)
		step(v, in);
}
