/*
 * Fuzz target: virtio-console with MULTIPORT (src/dev/virtio_console*.c),
 * driven by a hostile driver's script through the virtio-pci transport:
 * control messages of any id, event, value and length, control receive
 * buffers of any size, data on every port's queues, raw descriptors,
 * resets, and the host side's receives, open toggles and back-pressure.
 *
 * Contracts, besides ASan and UBSan on an exact-size RAM block:
 *   - a named port's opens and closes alternate, open first (a reset
 *     closes an open port);
 *   - a named port's output is called only while the guest has it open;
 *   - a receive never takes more than it was offered;
 *   - the replies the device holds for the driver stay bounded by
 *     construction: one DEVICE_ADD per port, one CONSOLE_PORT, one
 *     PORT_NAME per named port and one PORT_OPEN per port, however often
 *     the driver asks (virtio_console_ctl.c).
 *
 * fuzz-options: -max_len=4096
 * fuzz-plant: src/dev/virtio_console_ctl.c
 * fuzz-plant-from: if (c->device_ready || m->value != 1) {
 * fuzz-plant-to: if (m->value != 1) {
 */
#include "fuzz.h"

#include "dev/le.h"
#include "dev/virtio_console.h"
#include "dev/virtio_console_internal.h"
#include "virtio_rig.h"

#define RAM_SIZE (256u * 1024)
#define SLOT 7
#define QSIZE 8u
#define NQ 8u
#define BUF_AT 0x20000u
#define MAX_OPS 256
#define REPLIES_MAX (3 + 1 + 2 + 3) /* adds, console, names, opens */

struct port_state {
	bool open;
	unsigned long opens;
};

static struct vrig rig;
/* Guest RAM, allocated once and zeroed for each input: a fresh 256 KiB
 * block per input is a fresh mapping, and its page faults cost more than
 * the input itself. */
static uint8_t *ram;
static struct virtio_console *con;
static struct port_state ports[VIRTIO_CONSOLE_MAX_PORTS];
static size_t budget; /* bytes a named port's output takes before it pushes back */
static uint8_t scratch[0x2000];

static size_t port_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct port_state *p = opaque;
	(void)buf;
	FUZZ_CHECK(p->open, "output on a port the guest has not opened");
	size_t n = len < budget ? len : budget;
	budget -= n;
	return n;
}

static void port_open(void *opaque, bool open)
{
	struct port_state *p = opaque;
	FUZZ_CHECK(p->open != open, "port %s twice in a row", open ? "opened" : "closed");
	p->open = open;
	p->opens += open;
}

static void console_output(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque, (void)buf, (void)len;
}

static void setup(struct fuzz_in *in)
{
	uint8_t flags = fin_u8(in);
	if (!ram)
		FUZZ_CHECK((ram = malloc(RAM_SIZE)) != NULL, "malloc");
	memset(ram, 0, RAM_SIZE);
	vr_init_on(&rig, SLOT, ram, RAM_SIZE);
	memset(ports, 0, sizeof(ports));
	struct virtio_console_config cfg = {
		.ram = rig.ram, .ram_size = RAM_SIZE,
		.log = vr_log, .log_opaque = &rig,
		.ram_written = vr_ram_written, .ram_opaque = &rig,
	};
	if (flags & 1)
		cfg.output = console_output;
	const char *names[] = { NULL, "org.cordon.outbox", "org.cordon.inbox" };
	for (unsigned p = 1; p < VIRTIO_CONSOLE_MAX_PORTS; p++)
		cfg.ports[p] = (struct virtio_console_port_config){
			.name = names[p], .output = port_output, .guest_open = port_open,
			.opaque = &ports[p], .host_open = flags & 2,
		};
	con = virtio_console_create(rig.pci, SLOT, &cfg);
	FUZZ_CHECK(con != NULL, "device not created");
	vr_enable(&rig);
	uint64_t features = 1ull << VIRTIO_F_VERSION_1;
	if (!(flags & 4))
		features |= 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
	vr_start(&rig, features, NQ, QSIZE, !(flags & 8));
}

/* A chain of one buffer at a fuzz-chosen place, readable or writable. */
static void submit(struct fuzz_in *in, unsigned q, bool writable)
{
	uint16_t len = fin_u16(in) % 0x1800;
	uint32_t at = BUF_AT + (fin_u16(in) % 0x800) * 16;
	if (!writable) { /* what the driver sends: its bytes come from the input */
		size_t n = len < sizeof(scratch) ? len : sizeof(scratch);
		fin_bytes(in, scratch, n);
		if (at + len <= RAM_SIZE)
			memcpy(rig.ram + at, scratch, n);
	}
	vr_submit(&rig, q, (struct vr_seg[]){ { at, len, writable } }, 1);
}

static void control_message(struct fuzz_in *in)
{
	uint32_t id = fin_u8(in) & 0x80 ? fin_u32(in) : fin_u8(in) % 4;
	uint16_t event = fin_u8(in) % 10, value = fin_u8(in) % 3;
	uint32_t len = 4 + fin_u8(in) % 16;
	uint32_t at = BUF_AT + 0x18000 + (fin_u8(in) % 64) * 32;
	put_le32(rig.ram + at, id);
	put_le16(rig.ram + at + 4, event);
	put_le16(rig.ram + at + 6, value);
	vr_submit(&rig, VIRTIO_CONSOLE_CTRL_TXQ, (struct vr_seg[]){ { at, len, false } }, 1);
}

static void raw_descriptor(struct fuzz_in *in)
{
	unsigned q = fin_u8(in) % NQ;
	uint16_t i = fin_u8(in) % QSIZE;
	vr_put_desc(&rig, q, i, fin_u32(in), fin_u32(in) % 0x3000, fin_u16(in) & 7, fin_u16(in));
	vr_make_avail(&rig, q, fin_u8(in) % 16);
	vr_kick(&rig, q);
}

static void step(struct fuzz_in *in)
{
	unsigned p = 1 + fin_u8(in) % 2;
	switch (fin_u8(in) % 11) {
	case 0: control_message(in); break;
	case 1: submit(in, VIRTIO_CONSOLE_CTRL_RXQ, true); break;
	case 2: submit(in, 2 * p + 3, false); break;
	case 3: submit(in, 2 * p + 2, true); break;
	case 4: {
		size_t len = fin_u16(in) % sizeof(scratch);
		size_t took = virtio_console_port_receive(con, p, scratch, len);
		FUZZ_CHECK(took <= len, "took %zu of %zu", took, len);
		break;
	}
	case 5: virtio_console_port_set_host_open(con, fin_u8(in) % 4, fin_u8(in) & 1); break;
	case 6: budget = fin_u16(in); break;
	case 7: virtio_console_poll(con); break;
	case 8:
		vr_reset(&rig);
		vr_start(&rig, fin_u8(in) & 1 ? 1ull << VIRTIO_F_VERSION_1
					      : 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT,
			 NQ, QSIZE, true);
		break;
	case 9: vr_kick(&rig, fin_u8(in) % (NQ + 2)); break;
	default: raw_descriptor(in); break;
	}
	FUZZ_CHECK(con->nout <= REPLIES_MAX, "%u replies held for the driver", con->nout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	budget = SIZE_MAX;
	setup(&in);
	for (int i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(&in);
	pci_destroy(rig.pci);
	virtio_console_destroy(con);
	return 0;
}
