/*
 * virtio-console driven as a guest driver would (see virtio_rig.h), both
 * queues as descriptor rings in guest RAM.  Output is captured in a
 * buffer; the ram_written hook's ranges are recorded one by one.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/virtio_console.h"
#include "virtio_rig.h"

#define RAM_SIZE (256u * 1024)
#define SLOT 3
#define QSIZE 8u
#define RX 0u
#define TX 1u
#define BUF_AT 0x8000u     /* small buffers */
#define BIG_AT 0x20000u    /* 128 KiB for the transmit cap test */
#define OUT_MAX (128u * 1024)
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_SIZE | \
		  1ull << VIRTIO_CONSOLE_F_EMERG_WRITE)

struct rig {
	struct vrig v;
	struct virtio_console *con;
	uint8_t *out;          /* OUT_MAX bytes of captured output */
	size_t nout;
	unsigned out_calls;
};

static void capture(void *opaque, const uint8_t *buf, size_t len)
{
	struct rig *r = opaque;
	r->out_calls++;
	for (size_t i = 0; i < len && r->nout < OUT_MAX; i++)
		r->out[r->nout++] = buf[i];
}

/* The Linux order: features, FEATURES_OK, queues, then (maybe) DRIVER_OK. */
static void bring_up(struct vrig *v, bool driver_ok)
{
	vr_start(v, FEATURES, 2, QSIZE, driver_ok);
}

/* A device on the bus with BAR and bus mastering set; hooks: whether it
 * gets the log and ram_written callbacks. */
static struct rig *rig_new(bool hooks)
{
	struct rig *r = calloc(1, sizeof(*r));
	vr_init(&r->v, SLOT, RAM_SIZE);
	r->out = calloc(1, OUT_MAX);
	struct virtio_console_config cfg = {
		.ram = r->v.ram, .ram_size = RAM_SIZE, .output = capture, .output_opaque = r,
	};
	if (hooks) {
		cfg.log = vr_log, cfg.log_opaque = &r->v;
		cfg.ram_written = vr_ram_written, cfg.ram_opaque = &r->v;
	}
	r->con = virtio_console_create(r->v.pci, SLOT, &cfg);
	vr_enable(&r->v);
	return r;
}

static struct rig *rig_open(bool driver_ok)
{
	struct rig *r = rig_new(true);
	bring_up(&r->v, driver_ok);
	return r;
}

static void rig_close(struct rig *r)
{
	virtio_console_destroy(r->con);
	vr_fini(&r->v);
	free(r->out);
	free(r);
}

static uint16_t post_rx(struct vrig *v, uint32_t addr, uint32_t len)
{
	return vr_submit(v, RX, (struct vr_seg[]){ { addr, len, true } }, 1);
}

static const uint8_t *bytes(const char *s) { return (const uint8_t *)s; }

TEST(virtio_console_pci_identity)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	CHECK(r->con != NULL);
	CHECK_EQ(vr_cfg_read(v, 0x00, 2), 0x1af4);
	CHECK_EQ(vr_cfg_read(v, 0x02, 2), 0x1043);
	CHECK_EQ(vr_cfg_read(v, 0x0b, 1), 0x07);  /* class */
	CHECK_EQ(vr_cfg_read(v, 0x0a, 1), 0x80);  /* subclass */
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES, 2), 2);
	vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, 2);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), 0);            /* no third queue */
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	uint32_t f = vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4);
	CHECK(f & 1u << VIRTIO_CONSOLE_F_SIZE);
	CHECK(f & 1u << VIRTIO_CONSOLE_F_EMERG_WRITE);
	CHECK(!(f & 1u << VIRTIO_CONSOLE_F_MULTIPORT));
	rig_close(r);
}

TEST(virtio_console_queue_max_size)
{
	struct rig *r = rig_new(false);
	struct vrig *v = &r->v;
	for (unsigned q = 0; q < 2; q++) {
		vr_wr(v, VIRTIO_PCI_QUEUE_SELECT, 2, q);
		CHECK_EQ(vr_rd(v, VIRTIO_PCI_QUEUE_SIZE, 2), VIRTIO_CONSOLE_QUEUE_SIZE);
	}
	rig_close(r);
}

TEST(virtio_console_config_space)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	uint32_t cfg = VIRTIO_PCI_DEVCFG_OFF;
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_COLS, 2), 80);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_ROWS, 2), 25);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_COLS, 4), 80u | 25u << 16);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4), 1);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_EMERG_WR, 4), 0);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_LEN, 1), 0);     /* past the end */
	vr_wr(v, cfg + VIRTIO_CONSOLE_CFG_COLS, 2, 132);             /* read-only */
	vr_wr(v, cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4, 9);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_COLS, 2), 80);
	CHECK_EQ(vr_rd(v, cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4), 1);
	CHECK_EQ(r->nout, 0);
	/* The driver accepted both offered features. */
	vr_wr(v, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 0);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_DRIVER_FEATURE, 4),
		 1u << VIRTIO_CONSOLE_F_SIZE | 1u << VIRTIO_CONSOLE_F_EMERG_WRITE);
	CHECK(vr_status(v) & VIRTIO_STATUS_FEATURES_OK);
	rig_close(r);
}

TEST(virtio_console_transmit_in_order)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	memcpy(v->ram + BUF_AT, "Hello", 5);
	memcpy(v->ram + BUF_AT + 0x100, ", ", 2);
	memcpy(v->ram + BUF_AT + 0x200, "world\n", 6);
	memset(v->ram + BUF_AT + 0x300, 0xee, 16);
	struct vr_seg s[4] = {
		{ BUF_AT, 5, false }, { BUF_AT + 0x100, 2, false }, { BUF_AT + 0x200, 6, false },
		{ BUF_AT + 0x300, 16, true }, /* ignored */
	};
	uint16_t head = vr_submit(v, TX, s, 4);
	CHECK_EQ(r->nout, 13);
	CHECK(memcmp(r->out, "Hello, world\n", 13) == 0);
	CHECK_EQ(vr_used_idx(v, TX), 1);
	CHECK_EQ(vr_used_id(v, TX, 0), head);
	CHECK_EQ(vr_used_len(v, TX, 0), 0);
	CHECK_EQ(v->ram[BUF_AT + 0x300], 0xee);
	CHECK_EQ(v->nranges, 0);
	/* A second chain follows the first. */
	head = vr_submit(v, TX, s + 2, 1);
	CHECK_EQ(r->nout, 19);
	CHECK(memcmp(r->out + 13, "world\n", 6) == 0);
	CHECK_EQ(vr_used_idx(v, TX), 2);
	CHECK_EQ(vr_used_id(v, TX, 1), head);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_console_transmit_is_capped)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	for (uint32_t i = 0; i < 96 * 1024; i++)
		v->ram[BIG_AT + i] = (uint8_t)(i * 13 + i / 256);
	vr_submit(v, TX, (struct vr_seg[]){ { BIG_AT, 96 * 1024, false } }, 1);
	CHECK_EQ(r->nout, VIRTIO_CONSOLE_MAX_TX);
	CHECK(memcmp(r->out, v->ram + BIG_AT, VIRTIO_CONSOLE_MAX_TX) == 0);
	CHECK_EQ(vr_used_idx(v, TX), 1);
	CHECK_EQ(vr_used_len(v, TX, 0), 0);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_console_emerg_write)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	uint32_t emerg = VIRTIO_PCI_DEVCFG_OFF + VIRTIO_CONSOLE_CFG_EMERG_WR;
	vr_wr(v, emerg, 4, 0x4241);   /* only the low byte counts */
	CHECK_EQ(r->nout, 1);
	CHECK_EQ(r->out[0], 'A');
	vr_wr(v, emerg, 1, 'z');
	CHECK_EQ(r->nout, 2);
	CHECK_EQ(r->out[1], 'z');
	vr_wr(v, emerg + 1, 1, 'q');  /* not the field's start: ignored */
	CHECK_EQ(r->nout, 2);
	CHECK_EQ(vr_rd(v, emerg, 4), 0);
	rig_close(r);
}

TEST(virtio_console_receive_needs_driver_ok)
{
	struct rig *r = rig_open(false);
	struct vrig *v = &r->v;
	memset(v->ram + BUF_AT, 0xee, 8);
	post_rx(v, BUF_AT, 8);
	CHECK(!virtio_console_ready(r->con));
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 0);
	CHECK_EQ(vr_used_idx(v, RX), 0);
	CHECK_EQ(v->ram[BUF_AT], 0xee);
	vr_driver_ok(v);
	CHECK(virtio_console_ready(r->con));
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 3);
	CHECK(memcmp(v->ram + BUF_AT, "abc", 3) == 0);
	CHECK_EQ(vr_used_idx(v, RX), 1);
	rig_close(r);
}

TEST(virtio_console_receive_splits_and_resumes)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	memset(v->ram + BUF_AT, 0xee, 0x300);
	CHECK_EQ(virtio_console_receive(r->con, bytes("x"), 1), 0); /* nothing posted */
	uint16_t h1 = post_rx(v, BUF_AT, 4);
	uint16_t h2 = post_rx(v, BUF_AT + 0x100, 3);
	const char *msg = "hello world";
	CHECK_EQ(virtio_console_receive(r->con, bytes(msg), 11), 7);
	CHECK(memcmp(v->ram + BUF_AT, "hell", 4) == 0);
	CHECK_EQ(v->ram[BUF_AT + 4], 0xee);
	CHECK(memcmp(v->ram + BUF_AT + 0x100, "o w", 3) == 0);
	CHECK_EQ(v->ram[BUF_AT + 0x103], 0xee);
	CHECK_EQ(vr_used_idx(v, RX), 2);
	CHECK_EQ(vr_used_id(v, RX, 0), h1);
	CHECK_EQ(vr_used_len(v, RX, 0), 4);
	CHECK_EQ(vr_used_id(v, RX, 1), h2);
	CHECK_EQ(vr_used_len(v, RX, 1), 3);
	CHECK(vr_rd(v, VIRTIO_PCI_ISR_OFF, 1) & VIRTIO_ISR_QUEUE);
	/* The rest waits for the next buffer. */
	CHECK_EQ(virtio_console_receive(r->con, bytes(msg + 7), 4), 0);
	uint16_t h3 = post_rx(v, BUF_AT + 0x200, 16);
	CHECK_EQ(vr_used_idx(v, RX), 2); /* a receiveq notify alone fills nothing */
	CHECK_EQ(virtio_console_receive(r->con, bytes(msg + 7), 4), 4);
	CHECK(memcmp(v->ram + BUF_AT + 0x200, "orld", 4) == 0);
	CHECK_EQ(v->ram[BUF_AT + 0x204], 0xee);
	CHECK_EQ(vr_used_idx(v, RX), 3);
	CHECK_EQ(vr_used_id(v, RX, 2), h3);
	CHECK_EQ(vr_used_len(v, RX, 2), 4);
	/* A posted buffer is not spent while there is no input. */
	uint16_t h4 = post_rx(v, BUF_AT + 0x280, 8);
	CHECK_EQ(virtio_console_receive(r->con, bytes(msg), 0), 0);
	CHECK_EQ(vr_used_idx(v, RX), 3);
	CHECK_EQ(virtio_console_receive(r->con, bytes("!"), 1), 1);
	CHECK_EQ(vr_used_idx(v, RX), 4);
	CHECK_EQ(vr_used_id(v, RX, 3), h4);
	CHECK_EQ(vr_used_len(v, RX, 3), 1);
	CHECK_EQ(v->ram[BUF_AT + 0x280], '!');
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_console_readable_receive_buffer_breaks_device)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	memset(v->ram + BUF_AT, 0xee, 0x200);
	vr_submit(v, RX, (struct vr_seg[]){ { BUF_AT, 4, false }, { BUF_AT + 0x100, 8, true } }, 2);
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK_EQ(vr_used_idx(v, RX), 0);
	CHECK_EQ(v->ram[BUF_AT + 0x100], 0xee);
	CHECK(!virtio_console_ready(r->con));
	post_rx(v, BUF_AT + 0x180, 8);   /* a good buffer changes nothing now */
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 0);
	CHECK_EQ(v->nlogs, 1);
	CHECK_EQ(v->ram[BUF_AT + 0x180], 0xee);

	/* Reset and start over: everything works again. */
	vr_reset(v);
	CHECK_EQ(vr_status(v), 0);
	bring_up(v, true);
	CHECK(virtio_console_ready(r->con));
	post_rx(v, BUF_AT, 8);
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 3);
	CHECK(memcmp(v->ram + BUF_AT, "abc", 3) == 0);
	CHECK_EQ(vr_used_idx(v, RX), 1);
	CHECK_EQ(vr_used_len(v, RX, 0), 3);
	vr_submit(v, TX, (struct vr_seg[]){ { BUF_AT, 3, false } }, 1);
	CHECK_EQ(r->nout, 3);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_console_hostile_descriptors_break_device)
{
	/* Receive buffer running past the end of RAM. */
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	post_rx(v, RAM_SIZE - 4, 16);
	CHECK_EQ(virtio_console_receive(r->con, bytes("0123456789"), 10), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK_EQ(v->nranges, 0);
	CHECK_EQ(vr_used_idx(v, RX), 0);
	rig_close(r);

	/* A zero-length receive buffer (the ring layer refuses it first). */
	r = rig_open(true);
	v = &r->v;
	post_rx(v, BUF_AT, 0);
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(vr_used_idx(v, RX), 0);
	rig_close(r);

	/* Receive buffer above 4 GiB. */
	r = rig_open(true);
	v = &r->v;
	vr_submit(v, RX, (struct vr_seg[]){ { 1ull << 32 | BUF_AT, 8, true } }, 1);
	CHECK_EQ(virtio_console_receive(r->con, bytes("abc"), 3), 0);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	rig_close(r);

	/* Transmit buffer wholly past RAM: no output, nothing used. */
	r = rig_open(true);
	v = &r->v;
	vr_submit(v, TX, (struct vr_seg[]){ { BUF_AT, 4, false }, { 0xfffffff0u, 64, false } }, 2);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r->nout, 0);
	CHECK_EQ(vr_used_idx(v, TX), 0);
	CHECK_EQ(v->nlogs, 1);
	rig_close(r);
}

TEST(virtio_console_ram_written_ranges)
{
	struct rig *r = rig_open(true);
	struct vrig *v = &r->v;
	struct vr_seg s[3] = {
		{ BUF_AT, 4, true }, { BUF_AT + 0x100, 8, true }, { BUF_AT + 0x200, 8, true },
	};
	vr_submit(v, RX, s, 3);
	CHECK_EQ(virtio_console_receive(r->con, bytes("abcdef"), 6), 6);
	CHECK_EQ(vr_used_len(v, RX, 0), 6);
	CHECK(memcmp(v->ram + BUF_AT, "abcd", 4) == 0);
	CHECK(memcmp(v->ram + BUF_AT + 0x100, "ef", 2) == 0);
	CHECK_EQ(v->nranges, 2);
	CHECK_EQ(v->ranges[0].addr, BUF_AT);
	CHECK_EQ(v->ranges[0].len, 4);
	CHECK_EQ(v->ranges[1].addr, BUF_AT + 0x100);
	CHECK_EQ(v->ranges[1].len, 2);
	rig_close(r);
}

TEST(virtio_console_create_rejects_incomplete_config)
{
	struct vrig *v = vr_new(SLOT, 64);
	struct virtio_console_config cfg = { .ram = v->ram, .ram_size = 64 };
	CHECK(virtio_console_create(v->pci, SLOT, &cfg) == NULL); /* no output */
	cfg.output = capture;
	struct virtio_console *c = virtio_console_create(v->pci, SLOT, &cfg);
	CHECK(c != NULL);
	CHECK(virtio_console_create(v->pci, SLOT, &cfg) == NULL); /* slot taken */
	virtio_console_destroy(c);
	vr_free(v);
}
