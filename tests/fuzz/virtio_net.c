/*
 * Fuzz target: virtio-net through the virtio-pci transport, from a
 * hostile driver (tests/fuzz/lib/vdrv.h): transmit chains of any shape
 * and size, receive buffers that are too small, readable or outside RAM,
 * and from the host side frames of any length (the device op) and link
 * changes.
 *
 * Every frame the device hands the backend must be an Ethernet frame of
 * VIRTIO_NET_MIN_FRAME..VIRTIO_NET_MAX_FRAME bytes; virtio_net_receive
 * answers 1, 0 or -1 and never takes a frame of a bad size.
 *
 * fuzz-plant: src/dev/virtio_net.c
 * fuzz-plant-from: return len >= VIRTIO_NET_MIN_FRAME && len <= VIRTIO_NET_MAX_FRAME;
 * fuzz-plant-to: return len >= VIRTIO_NET_MIN_FRAME;
 */
#include "vdrv.h"

#include "dev/virtio_net.h"

struct host {
	struct virtio_net *net;
	bool backend_fails;
};

static int send_frame(void *opaque, const uint8_t *frame, size_t len)
{
	struct host *h = opaque;
	FUZZ_CHECK(frame && len >= VIRTIO_NET_MIN_FRAME && len <= VIRTIO_NET_MAX_FRAME,
		   "the device sent a frame of %zu bytes", len);
	FUZZ_SAY("sent a frame of %zu bytes\n", len);
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < len; i++) /* ASan: all of it readable */
		sum = (uint8_t)(sum + frame[i]);
	return h->backend_fails ? -1 : 0;
}

/* The host side: a frame of any length, a link change, a failing backend. */
static void host_op(void *opaque, struct fuzz_in *in)
{
	struct host *h = opaque;
	uint8_t what = fin_u8(in);
	if (what % 4 == 1) {
		virtio_net_set_link(h->net, what & 0x10);
		return;
	}
	if (what % 4 == 2) {
		h->backend_fails = what & 0x10;
		return;
	}
	size_t len = fin_u16(in) % 2048;
	uint8_t *frame = malloc(len ? len : 1); /* exact size */
	if (!frame)
		abort();
	fin_bytes(in, frame, len);
	int rc = virtio_net_receive(h->net, frame, len);
	FUZZ_SAY("received a frame of %zu bytes: %d\n", len, rc);
	FUZZ_CHECK(rc >= -1 && rc <= 1, "virtio_net_receive returned %d", rc);
	FUZZ_CHECK(rc != 1 || (len >= VIRTIO_NET_MIN_FRAME && len <= VIRTIO_NET_MAX_FRAME),
		   "a frame of %zu bytes was delivered", len);
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct host h = { 0 };
	struct vdrv *v = vdrv_new(2);
	struct virtio_net_config cfg = {
		.ram = v->rig.ram, .ram_size = v->rig.ram_size,
		.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		.link_up = true,
		.backend = { send_frame, &h },
		.log = vdrv_log, .log_opaque = v,
		.ram_written = vdrv_ram_written, .ram_opaque = v,
	};
	h.net = virtio_net_create(v->rig.pci, VD_SLOT, &cfg);
	FUZZ_CHECK(h.net, "cannot create the device");
	v->device_op = host_op;
	v->device_opaque = &h;
	vdrv_enable(v);
	vdrv_run(v, &in, 64);
	struct virtio_net_stats st = virtio_net_stats(h.net);
	(void)st;
	virtio_net_destroy(h.net);
	vdrv_free(v);
	return 0;
}
