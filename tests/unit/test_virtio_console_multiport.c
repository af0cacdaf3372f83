/*
 * virtio-console with MULTIPORT: named ports, the control queues, the
 * ordering of a port's opens and closes with its data, back-pressure, and
 * hostile control messages from the driver.  The driver side is the
 * virtio rig (virtio_rig.h) with all eight queues programmed.
 */
#include "t.h"

#include <stdlib.h>

#include "dev/le.h"
#include "dev/virtio_console.h"
#include "virtio_rig.h"

#define RAM_SIZE (512u * 1024)
#define SLOT 3
#define QSIZE 8u
#define NQ 8u
#define CTRL_RX VIRTIO_CONSOLE_CTRL_RXQ
#define CTRL_TX VIRTIO_CONSOLE_CTRL_TXQ
#define OUTBOX 1u
#define INBOX 2u
#define RXQ(p) ((p) == 0 ? 0u : 2u * (p) + 2u)
#define TXQ(p) (RXQ(p) + 1u)
#define CBUF_AT 0x20000u   /* control receive buffers: 0x100 apart, by head */
#define CMSG_AT 0x21000u   /* control messages the driver sends, 0x10 apart */
#define DATA_AT 0x30000u
#define RXBUF_AT 0x40000u
#define LOG_MAX 8192
#define OUTBOX_NAME "org.cordon.outbox"
#define INBOX_NAME "org.cordon.inbox"
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT)

/* What the ports' callbacks saw, in order: "[open]", "[close]" and data. */
struct rig {
	struct vrig v;
	struct virtio_console *con;
	char log[LOG_MAX];
	size_t nlog;
	size_t take;       /* bytes the outbox output still takes (back-pressure) */
	unsigned cmsg;     /* next control message slot */
	unsigned cposted;  /* control receive buffers posted so far */
	unsigned cseen;    /* control replies read so far */
};

static void log_put(struct rig *r, const void *buf, size_t len)
{
	for (size_t i = 0; i < len && r->nlog < LOG_MAX - 1; i++)
		r->log[r->nlog++] = ((const char *)buf)[i];
	r->log[r->nlog] = 0;
}

static size_t outbox_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct rig *r = opaque;
	size_t n = len < r->take ? len : r->take;
	r->take -= n;
	log_put(r, buf, n);
	return n;
}

static size_t inbox_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct rig *r = opaque;
	log_put(r, "<in>", 4);
	log_put(r, buf, len);
	return len;
}

static void outbox_open(void *opaque, bool open)
{
	log_put(opaque, open ? "[open]" : "[close]", open ? 6 : 7);
}

static void console_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct rig *r = opaque;
	log_put(r, "<hvc>", 5);
	log_put(r, buf, len);
}

static struct rig *rig_new(bool console)
{
	struct rig *r = calloc(1, sizeof(*r));
	vr_init(&r->v, SLOT, RAM_SIZE);
	r->take = SIZE_MAX;
	struct virtio_console_config cfg = {
		.ram = r->v.ram, .ram_size = RAM_SIZE,
		.log = vr_log, .log_opaque = &r->v,
		.ram_written = vr_ram_written, .ram_opaque = &r->v,
	};
	if (console)
		cfg.output = console_output, cfg.output_opaque = r;
	cfg.ports[OUTBOX] = (struct virtio_console_port_config){
		.name = OUTBOX_NAME, .output = outbox_output, .guest_open = outbox_open,
		.opaque = r, .host_open = true,
	};
	cfg.ports[INBOX] = (struct virtio_console_port_config){
		.name = INBOX_NAME, .output = inbox_output, .opaque = r, .host_open = true,
	};
	r->con = virtio_console_create(r->v.pci, SLOT, &cfg);
	vr_enable(&r->v);
	return r;
}

static void rig_close(struct rig *r)
{
	virtio_console_destroy(r->con);
	vr_fini(&r->v);
	free(r);
}

/* Posts control receive buffers until QSIZE are outstanding. */
static void post_ctrl_buffers(struct rig *r, uint32_t len)
{
	while (r->cposted - r->cseen < QSIZE) {
		uint32_t addr = CBUF_AT + 0x100u * (r->cposted % QSIZE);
		vr_post(&r->v, CTRL_RX, (struct vr_seg[]){ { addr, len, true } }, 1);
		r->cposted++;
	}
	vr_kick(&r->v, CTRL_RX);
}

static void send_ctrl(struct rig *r, uint32_t id, uint16_t event, uint16_t value)
{
	uint32_t at = CMSG_AT + 0x10u * (r->cmsg++ % 64);
	put_le32(r->v.ram + at, id);
	put_le16(r->v.ram + at + 4, event);
	put_le16(r->v.ram + at + 6, value);
	vr_submit(&r->v, CTRL_TX, (struct vr_seg[]){ { at, 8, false } }, 1);
}

/* The next reply the device wrote, as "id:event:value[:name]"; "" if none. */
static const char *next_reply(struct rig *r, char *out, size_t n)
{
	out[0] = 0;
	if ((uint16_t)(vr_used_idx(&r->v, CTRL_RX) - r->cseen) == 0)
		return out;
	uint32_t head = vr_used_id(&r->v, CTRL_RX, r->cseen);
	uint32_t len = vr_used_len(&r->v, CTRL_RX, r->cseen);
	r->cseen++;
	const uint8_t *m = r->v.ram + CBUF_AT + 0x100u * head;
	int k = snprintf(out, n, "%u:%u:%u", get_le32(m), get_le16(m + 4), get_le16(m + 6));
	if (len > 8 && k > 0 && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, ":%.*s", (int)(len - 8), (const char *)m + 8);
	return out;
}

/* All replies not yet read, space-separated. */
static const char *replies(struct rig *r)
{
	static char all[1024];
	char one[128];
	all[0] = 0;
	while (next_reply(r, one, sizeof(one))[0]) {
		if (all[0])
			strncat(all, " ", sizeof(all) - strlen(all) - 1);
		strncat(all, one, sizeof(all) - strlen(all) - 1);
	}
	return all;
}

/* The Linux driver's start: features, every queue, DRIVER_OK, control
 * buffers, DEVICE_READY. */
static void driver_start(struct rig *r, uint64_t features)
{
	vr_start(&r->v, features, NQ, QSIZE, true);
	r->cposted = r->cseen = 0;
	post_ctrl_buffers(r, 0x100);
	send_ctrl(r, 0xffffffffu, VIRTIO_CONSOLE_DEVICE_READY, 1); /* Linux's BAD_ID */
}

/* Handshake up to both named ports ready, replies consumed. */
static struct rig *rig_ready(bool console)
{
	struct rig *r = rig_new(console);
	driver_start(r, FEATURES);
	replies(r);
	if (console)
		send_ctrl(r, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(r, INBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	replies(r);
	post_ctrl_buffers(r, 0x100);
	return r;
}

static void write_port(struct rig *r, unsigned p, uint32_t at, const char *s)
{
	memcpy(r->v.ram + at, s, strlen(s));
	vr_submit(&r->v, TXQ(p), (struct vr_seg[]){ { at, (uint32_t)strlen(s), false } }, 1);
}

TEST(virtio_console_mp_identity)
{
	struct rig *r = rig_new(false);
	struct vrig *v = &r->v;
	CHECK(r->con != NULL);
	CHECK_EQ(vr_rd(v, VIRTIO_PCI_NUM_QUEUES, 2), 8);
	CHECK_EQ(vr_devcfg_read(v, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4), 3);
	vr_wr(v, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 0);
	CHECK(vr_rd(v, VIRTIO_PCI_DEVICE_FEATURE, 4) & 1u << VIRTIO_CONSOLE_F_MULTIPORT);
	rig_close(r);
}

TEST(virtio_console_mp_handshake_names_ports)
{
	struct rig *r = rig_new(true);
	driver_start(r, FEATURES);
	CHECK_STR(replies(r), "0:1:1 1:1:1 2:1:1");
	send_ctrl(r, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_STR(replies(r), "0:4:1 0:6:1");      /* the console; host side open */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_STR(replies(r), "1:7:1:" OUTBOX_NAME " 1:6:1");
	post_ctrl_buffers(r, 0x100);
	send_ctrl(r, INBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_STR(replies(r), "2:7:1:" INBOX_NAME " 2:6:1");
	CHECK_EQ(virtio_console_bad_control(r->con), 0);
	CHECK_EQ(vr_status(&r->v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	/* Every control message the driver sent went back. */
	CHECK_EQ(vr_used_idx(&r->v, CTRL_TX), 4);
	rig_close(r);
}

TEST(virtio_console_mp_replies_wait_for_buffers)
{
	struct rig *r = rig_new(false);
	vr_start(&r->v, FEATURES, NQ, QSIZE, true);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1); /* no control buffer yet */
	CHECK_EQ(vr_used_idx(&r->v, CTRL_RX), 0);
	post_ctrl_buffers(r, 0x100);
	CHECK_STR(replies(r), "1:1:1 2:1:1");
	rig_close(r);
}

TEST(virtio_console_mp_open_data_close_in_order)
{
	struct rig *r = rig_ready(false);
	write_port(r, OUTBOX, DATA_AT, "dropped"); /* not open: belongs to no stream */
	CHECK_EQ(r->nlog, 0);
	CHECK_EQ(vr_used_idx(&r->v, TXQ(OUTBOX)), 1);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	CHECK(virtio_console_port_guest_open(r->con, OUTBOX));
	write_port(r, OUTBOX, DATA_AT, "hello ");
	write_port(r, OUTBOX, DATA_AT + 0x100, "world");
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);
	CHECK(!virtio_console_port_guest_open(r->con, OUTBOX));
	CHECK_STR(r->log, "[open]hello world[close]");
	CHECK_EQ(vr_used_idx(&r->v, TXQ(OUTBOX)), 3);
	CHECK_EQ(virtio_console_bad_control(r->con), 0);
	rig_close(r);
}

TEST(virtio_console_mp_back_pressure_holds_chain_and_close)
{
	struct rig *r = rig_ready(false);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	r->take = 4;
	write_port(r, OUTBOX, DATA_AT, "0123456789");
	CHECK_STR(r->log, "[open]0123");
	CHECK_EQ(vr_used_idx(&r->v, TXQ(OUTBOX)), 0);           /* the chain waits */
	CHECK(virtio_console_port_tx_waiting(r->con, OUTBOX));
	uint16_t ctl_used = vr_used_idx(&r->v, CTRL_TX);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);        /* close behind the data */
	CHECK_EQ(vr_used_idx(&r->v, CTRL_TX), ctl_used);         /* held */
	CHECK(virtio_console_port_guest_open(r->con, OUTBOX));
	virtio_console_poll(r->con);                              /* still no room */
	CHECK_STR(r->log, "[open]0123");
	r->take = 3;
	virtio_console_poll(r->con);
	CHECK_STR(r->log, "[open]0123456");
	r->take = SIZE_MAX;
	virtio_console_poll(r->con);
	CHECK_STR(r->log, "[open]0123456789[close]");
	CHECK_EQ(vr_used_idx(&r->v, TXQ(OUTBOX)), 1);
	CHECK_EQ(vr_used_idx(&r->v, CTRL_TX), ctl_used + 1);
	CHECK(!virtio_console_port_tx_waiting(r->con, OUTBOX));
	rig_close(r);
}

TEST(virtio_console_mp_port_receive_needs_guest_open)
{
	struct rig *r = rig_ready(false);
	struct vrig *v = &r->v;
	memset(v->ram + RXBUF_AT, 0xee, 64);
	vr_submit(v, RXQ(INBOX), (struct vr_seg[]){ { RXBUF_AT, 16, true } }, 1);
	CHECK_EQ(virtio_console_port_receive(r->con, INBOX, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ(v->ram[RXBUF_AT], 0xee);
	send_ctrl(r, INBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	CHECK_EQ(virtio_console_port_receive(r->con, INBOX, (const uint8_t *)"abc", 3), 3);
	CHECK(memcmp(v->ram + RXBUF_AT, "abc", 3) == 0);
	CHECK_EQ(vr_used_idx(v, RXQ(INBOX)), 1);
	CHECK_EQ(vr_used_len(v, RXQ(INBOX), 0), 3);
	/* Out of range or the console: nothing. */
	CHECK_EQ(virtio_console_port_receive(r->con, 0, (const uint8_t *)"x", 1), 0);
	CHECK_EQ(virtio_console_port_receive(r->con, 3, (const uint8_t *)"x", 1), 0);
	CHECK_EQ(virtio_console_port_receive(r->con, 0xffffffffu, (const uint8_t *)"x", 1), 0);
	/* Guest output on the inbox reaches its own callback only. */
	write_port(r, INBOX, DATA_AT, "up");
	CHECK_STR(r->log, "<in>up");
	rig_close(r);
}

TEST(virtio_console_mp_console_port_beside_named)
{
	struct rig *r = rig_ready(true);
	struct vrig *v = &r->v;
	write_port(r, 0, DATA_AT, "boot");
	CHECK_STR(r->log, "<hvc>boot");
	vr_submit(v, RXQ(0), (struct vr_seg[]){ { RXBUF_AT, 8, true } }, 1);
	CHECK_EQ(virtio_console_receive(r->con, (const uint8_t *)"ls\n", 3), 3);
	CHECK(memcmp(v->ram + RXBUF_AT, "ls\n", 3) == 0);
	CHECK_EQ(virtio_console_bad_control(r->con), 0);
	rig_close(r);
}

TEST(virtio_console_mp_hostile_control_ignored)
{
	struct rig *r = rig_new(false);
	struct vrig *v = &r->v;
	vr_start(v, FEATURES, NQ, QSIZE, true);
	post_ctrl_buffers(r, 0x100);
	unsigned long bad = 0;
	/* Before DEVICE_READY no port is added. */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_EQ(virtio_console_bad_control(r->con), ++bad);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 0);          /* driver failed */
	CHECK_EQ(virtio_console_bad_control(r->con), ++bad);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	CHECK_STR(replies(r), "1:1:1 2:1:1");
	post_ctrl_buffers(r, 0x100);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);          /* again */
	CHECK_EQ(virtio_console_bad_control(r->con), ++bad);
	send_ctrl(r, 7, VIRTIO_CONSOLE_PORT_READY, 1);             /* no such port */
	send_ctrl(r, 0xffffffffu, VIRTIO_CONSOLE_PORT_OPEN, 1);
	send_ctrl(r, 0, VIRTIO_CONSOLE_PORT_READY, 1);             /* no console port */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);         /* before PORT_READY */
	send_ctrl(r, OUTBOX, 99, 1);                               /* unknown event */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_DEVICE_ADD, 1);        /* device -> driver only */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_NAME, 1);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_RESIZE, 1);
	bad += 8;
	CHECK_EQ(virtio_console_bad_control(r->con), bad);
	CHECK_STR(replies(r), "");
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_STR(replies(r), "1:7:1:" OUTBOX_NAME " 1:6:1");
	post_ctrl_buffers(r, 0x100);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);        /* again */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);         /* close while closed */
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 2);         /* not a boolean */
	bad += 3;
	CHECK_EQ(virtio_console_bad_control(r->con), bad);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);         /* open while open */
	CHECK_EQ(virtio_console_bad_control(r->con), ++bad);
	CHECK_STR(r->log, "[open]");
	/* A short message, an empty readable part, a huge one. */
	put_le32(v->ram + CMSG_AT, OUTBOX);
	vr_submit(v, CTRL_TX, (struct vr_seg[]){ { CMSG_AT, 7, false } }, 1);
	vr_submit(v, CTRL_TX, (struct vr_seg[]){ { CMSG_AT, 64, true } }, 1);
	bad += 2;
	CHECK_EQ(virtio_console_bad_control(r->con), bad);
	put_le16(v->ram + DATA_AT + 4, VIRTIO_CONSOLE_PORT_OPEN);
	put_le32(v->ram + DATA_AT, OUTBOX);
	put_le16(v->ram + DATA_AT + 6, 0);
	vr_submit(v, CTRL_TX, (struct vr_seg[]){ { DATA_AT, 0x8000, false } }, 1); /* a valid close */
	CHECK_STR(r->log, "[open][close]");
	CHECK_STR(replies(r), "");
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	CHECK_EQ(v->nlogs, 0);
	rig_close(r);
}

TEST(virtio_console_mp_control_flood_is_bounded)
{
	struct rig *r = rig_new(true);
	struct vrig *v = &r->v;
	vr_start(v, FEATURES, NQ, QSIZE, true);
	/* No control buffers: the device must hold at most one reply per
	 * event per port, however often the driver asks. */
	for (int i = 0; i < 1000; i++) {
		send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
		for (uint32_t p = 0; p < 3; p++)
			send_ctrl(r, p, VIRTIO_CONSOLE_PORT_READY, 1);
	}
	for (int i = 0; i < 100; i++)
		virtio_console_port_set_host_open(r->con, OUTBOX, i & 1);
	CHECK_EQ(virtio_console_bad_control(r->con), 999 * 4);
	unsigned got = 0;
	char one[128];
	for (int round = 0; round < 4; round++) {
		post_ctrl_buffers(r, 0x100);
		while (next_reply(r, one, sizeof(one))[0])
			got++;
	}
	/* 3 DEVICE_ADD, CONSOLE_PORT + PORT_OPEN for 0, NAME + OPEN for 1 and 2. */
	CHECK_EQ(got, 3 + 2 + 2 + 2);
	CHECK_EQ(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET, 0);
	rig_close(r);
}

TEST(virtio_console_mp_host_open_coalesces)
{
	struct rig *r = rig_ready(false);
	/* Use up the posted buffers so the host's messages have to wait. */
	while ((uint16_t)(r->cposted - r->cseen) && vr_used_idx(&r->v, CTRL_RX) != r->cposted) {
		virtio_console_port_set_host_open(r->con, OUTBOX, false);
		virtio_console_port_set_host_open(r->con, OUTBOX, true);
	}
	replies(r);
	virtio_console_port_set_host_open(r->con, OUTBOX, false);
	virtio_console_port_set_host_open(r->con, OUTBOX, true);
	virtio_console_port_set_host_open(r->con, OUTBOX, false);
	post_ctrl_buffers(r, 0x100);
	CHECK_STR(replies(r), "1:6:0");
	virtio_console_port_set_host_open(r->con, OUTBOX, false);  /* no change: no message */
	virtio_console_port_set_host_open(r->con, 0, false);       /* not a named port */
	virtio_console_port_set_host_open(r->con, 9, true);
	CHECK_STR(replies(r), "");
	rig_close(r);
}

TEST(virtio_console_mp_small_control_buffer_breaks_device)
{
	struct rig *r = rig_new(false);
	struct vrig *v = &r->v;
	vr_start(v, FEATURES, NQ, QSIZE, true);
	post_ctrl_buffers(r, 12);           /* room for a header, not for a name */
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	CHECK_STR(replies(r), "1:1:1 2:1:1");
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(v->nlogs, 1);
	CHECK(strstr(v->last_log, "too small") != NULL);
	rig_close(r);

	r = rig_new(false);
	v = &r->v;
	vr_start(v, FEATURES, NQ, QSIZE, true);
	vr_submit(v, CTRL_RX, (struct vr_seg[]){ { CBUF_AT, 8, false }, { CBUF_AT + 8, 64, true } }, 2);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	CHECK(vr_status(v) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(strstr(v->last_log, "device-readable") != NULL);
	rig_close(r);
}

TEST(virtio_console_mp_reset_closes_open_port)
{
	struct rig *r = rig_ready(false);
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	r->take = 2;
	write_port(r, OUTBOX, DATA_AT, "abcdef");
	CHECK_STR(r->log, "[open]ab");
	vr_reset(&r->v);
	CHECK_STR(r->log, "[open]ab[close]");
	CHECK(!virtio_console_port_tx_waiting(r->con, OUTBOX));
	r->take = SIZE_MAX;
	virtio_console_poll(r->con);
	CHECK_STR(r->log, "[open]ab[close]");  /* the old chain is gone */
	/* The driver starts over: the whole handshake works again. */
	driver_start(r, FEATURES);
	CHECK_STR(replies(r), "1:1:1 2:1:1");
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK_STR(replies(r), "1:7:1:" OUTBOX_NAME " 1:6:1");
	send_ctrl(r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	write_port(r, OUTBOX, DATA_AT, "again");
	CHECK_STR(r->log, "[open]ab[close][open]again");
	rig_close(r);
}

TEST(virtio_console_mp_without_multiport_named_ports_are_inert)
{
	struct rig *r = rig_new(true);
	struct vrig *v = &r->v;
	vr_start(v, 1ull << VIRTIO_F_VERSION_1, NQ, QSIZE, true);
	send_ctrl(r, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	CHECK_EQ(vr_used_idx(v, CTRL_TX), 0);                 /* control queues unused */
	write_port(r, OUTBOX, DATA_AT, "nope");
	CHECK_EQ(vr_used_idx(v, TXQ(OUTBOX)), 0);
	CHECK_EQ(virtio_console_port_receive(r->con, INBOX, (const uint8_t *)"x", 1), 0);
	write_port(r, 0, DATA_AT + 0x100, "hvc");              /* the console still works */
	CHECK_STR(r->log, "<hvc>hvc");
	rig_close(r);
}

TEST(virtio_console_mp_create_rejects_bad_ports)
{
	struct vrig *v = vr_new(SLOT, 4096);
	struct virtio_console_config cfg = { .ram = v->ram, .ram_size = 4096 };
	CHECK(virtio_console_create(v->pci, SLOT, &cfg) == NULL);       /* no port at all */
	cfg.ports[1] = (struct virtio_console_port_config){ .name = "x", .output = NULL };
	CHECK(virtio_console_create(v->pci, SLOT, &cfg) == NULL);       /* no output */
	cfg.ports[1].output = outbox_output;
	const char *bad[] = { "", "has space", "new\nline", "\x7f",
			      "0123456789012345678901234567890123456789012345678901234567890123" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.ports[1].name = bad[i];
		CHECK(virtio_console_create(v->pci, SLOT, &cfg) == NULL);
	}
	cfg.ports[1].name = "012345678901234567890123456789012345678901234567890123456789012";
	struct virtio_console *c = virtio_console_create(v->pci, SLOT, &cfg);
	CHECK(c != NULL);                                               /* 63 bytes fit */
	virtio_console_destroy(c);
	vr_free(v);
}

/* --- the monitor's side of a transfer port (src/vm/xferport.c) -----------------------
 * The device as a supervised VM has it: the two named ports joined by
 * xferport to a socket whose other end the test holds as the guard. */

#include <sys/socket.h>
#include <unistd.h>

#include "vm/xferport.h"
#include "xfer/port_proto.h"

struct xrig {
	struct rig r;          /* only its driver-side fields are used */
	struct xferport *xp;
	int guard;             /* the test's end of the transfer port */
};

static struct xrig *xrig_new(void)
{
	struct xrig *x = calloc(1, sizeof(*x));
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	x->guard = sv[1];
	x->xp = xferport_new(sv[0]);
	vr_init(&x->r.v, SLOT, RAM_SIZE);
	struct virtio_console_config cfg = {
		.ram = x->r.v.ram, .ram_size = RAM_SIZE,
		.log = vr_log, .log_opaque = &x->r.v,
	};
	xferport_ports(x->xp, &cfg);
	x->r.con = virtio_console_create(x->r.v.pci, SLOT, &cfg);
	xferport_attach(x->xp, x->r.con);
	vr_enable(&x->r.v);
	driver_start(&x->r, FEATURES);
	replies(&x->r);
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(&x->r, INBOX, VIRTIO_CONSOLE_PORT_READY, 1);
	replies(&x->r);
	post_ctrl_buffers(&x->r, 0x100);
	return x;
}

static void xrig_free(struct xrig *x)
{
	vr_fini(&x->r.v);
	virtio_console_destroy(x->r.con);
	xferport_free(x->xp);
	if (x->guard >= 0)
		close(x->guard);
	free(x);
}

/* The next message the guard end has, as "type:gen:bytes"; "" if none. */
static const char *guard_reads(struct xrig *x)
{
	static char out[512];
	uint8_t buf[PORT_MSG_MAX];
	struct port_msg m;
	char err[PORT_ERRLEN];
	ssize_t n = recv(x->guard, buf, sizeof(buf), MSG_DONTWAIT);
	out[0] = 0;
	if (n <= 0)
		return out;
	CHECK_EQ(port_msg_decode(buf, (size_t)n, &m, err), 0);
	snprintf(out, sizeof(out), "%d:%u:%.*s", m.type, m.gen, (int)(m.len < 200 ? m.len : 200),
		 m.data ? (const char *)m.data : "");
	return out;
}

static void guard_sends(struct xrig *x, enum port_msg_type type, uint32_t gen, bool end,
			const char *data)
{
	uint8_t buf[PORT_MSG_MAX];
	struct port_msg m = { .type = type, .gen = gen, .end = end, .data = (const uint8_t *)data,
			      .len = data ? strlen(data) : 0 };
	size_t n = port_msg_encode(buf, &m);
	CHECK_EQ(send(x->guard, buf, n, 0), (ssize_t)n);
}

TEST(xferport_outbox_in_order)
{
	struct xrig *x = xrig_new();
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	write_port(&x->r, OUTBOX, DATA_AT, "CORDONXF-stream");
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);
	CHECK_STR(guard_reads(x), "1:0:");
	CHECK_STR(guard_reads(x), "2:0:CORDONXF-stream");
	CHECK_STR(guard_reads(x), "3:0:");
	CHECK_STR(guard_reads(x), "");
	xrig_free(x);
}

TEST(xferport_outbox_back_pressure_keeps_order)
{
	struct xrig *x = xrig_new();
	struct vrig *v = &x->r.v;
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	/* Fill the socket: the guard reads nothing for a while. */
	static char big[16384];
	memset(big, 'x', sizeof(big) - 1);
	unsigned sent = 0;
	uint16_t used = vr_used_idx(v, TXQ(OUTBOX));
	for (int i = 0; i < 200 && vr_used_idx(v, TXQ(OUTBOX)) == (uint16_t)(used + i); i++) {
		memcpy(v->ram + DATA_AT, big, sizeof(big) - 1);
		vr_submit(v, TXQ(OUTBOX), (struct vr_seg[]){ { DATA_AT, sizeof(big) - 1, false } }, 1);
		sent++;
	}
	CHECK(virtio_console_port_tx_waiting(x->r.con, OUTBOX)); /* the guest's buffer waits */
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);  /* the close waits behind it */
	unsigned data = 0, closes = 0;
	for (int round = 0; round < 1000 && !closes; round++) {
		const char *m;
		while ((m = guard_reads(x))[0]) {
			data += m[0] == '2';
			closes += m[0] == '3';
			CHECK(!closes || m[0] == '3'); /* nothing after the close */
		}
		xferport_poll(x->xp);
	}
	CHECK_EQ(closes, 1);
	CHECK_EQ(data, sent);
	xrig_free(x);
}

TEST(xferport_inbox_generations_and_taken)
{
	struct xrig *x = xrig_new();
	struct vrig *v = &x->r.v;
	memset(v->ram + RXBUF_AT, 0xee, 64);
	vr_submit(v, RXQ(INBOX), (struct vr_seg[]){ { RXBUF_AT, 32, true } }, 1);
	guard_sends(x, PORT_IN_DATA, 1, true, "early"); /* before any open: dropped */
	xferport_poll(x->xp);
	CHECK_EQ(vr_used_idx(v, RXQ(INBOX)), 0);
	send_ctrl(&x->r, INBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	CHECK_STR(guard_reads(x), "4:1:");
	guard_sends(x, PORT_IN_DATA, 7, true, "stale");  /* another open's: dropped */
	guard_sends(x, PORT_IN_DATA, 1, false, "ab");
	guard_sends(x, PORT_IN_DATA, 1, true, "cd");
	xferport_poll(x->xp);
	CHECK(memcmp(v->ram + RXBUF_AT, "ab", 2) == 0);
	CHECK_STR(guard_reads(x), "");          /* the end is not in yet: no buffer */
	vr_submit(v, RXQ(INBOX), (struct vr_seg[]){ { RXBUF_AT + 32, 32, true } }, 1);
	xferport_poll(x->xp);
	CHECK(memcmp(v->ram + RXBUF_AT + 32, "cd", 2) == 0);
	CHECK_STR(guard_reads(x), "6:1:");      /* taken */
	send_ctrl(&x->r, INBOX, VIRTIO_CONSOLE_PORT_OPEN, 0);
	CHECK_STR(guard_reads(x), "5:1:");
	send_ctrl(&x->r, INBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	CHECK_STR(guard_reads(x), "4:2:");      /* a new generation */
	xrig_free(x);
}

TEST(xferport_hostile_guard_and_guard_gone)
{
	struct xrig *x = xrig_new();
	struct vrig *v = &x->r.v;
	send_ctrl(&x->r, INBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	vr_submit(v, RXQ(INBOX), (struct vr_seg[]){ { RXBUF_AT, 32, true } }, 1);
	uint8_t junk[] = { 99, 1, 2 }, out_data[] = { PORT_OUT_DATA, 'x' }, bad_flag[] = {
		PORT_IN_DATA, 1, 0, 0, 0, 0x80, 'z' };
	CHECK_EQ(send(x->guard, junk, sizeof(junk), 0), 3);
	CHECK_EQ(send(x->guard, out_data, sizeof(out_data), 0), 2); /* the monitor's own type */
	CHECK_EQ(send(x->guard, bad_flag, sizeof(bad_flag), 0), 7);
	CHECK_EQ(send(x->guard, junk, 0, 0), 0);                     /* empty */
	xferport_poll(x->xp);
	CHECK_EQ(vr_used_idx(v, RXQ(INBOX)), 0);                     /* nothing got in */
	guard_sends(x, PORT_IN_DATA, 1, true, "ok");
	xferport_poll(x->xp);
	CHECK(memcmp(v->ram + RXBUF_AT, "ok", 2) == 0);
	/* The guard goes away: the outbox takes and drops everything. */
	close(x->guard);
	x->guard = -1;
	send_ctrl(&x->r, OUTBOX, VIRTIO_CONSOLE_PORT_OPEN, 1);
	for (int i = 0; i < 40; i++)
		write_port(&x->r, OUTBOX, DATA_AT, "into the void");
	CHECK_EQ(vr_used_idx(v, TXQ(OUTBOX)), 40);
	CHECK(!virtio_console_port_tx_waiting(x->r.con, OUTBOX));
	bool in, out;
	CHECK_EQ(xferport_wait_fd(x->xp, &in, &out), -1);
	xrig_free(x);
}
