/*
 * Fuzz target: virtio-rng requests through the virtio-pci transport, from
 * a hostile driver (tests/fuzz/lib/vdrv.h): chains of any shape (readable
 * segments, writable ones of any size, at the end of RAM or past it),
 * queues of any layout, kicks, resets.  The host's random source is a
 * counter that the device op can make fail, as an exhausted host source
 * would.
 *
 * Besides ASan on RAM (an exact-size heap block) and on the device's fill
 * buffer, and vdrv's check that every store the device reports lies in
 * RAM: the source is asked for 1..VIRTIO_RNG_MAX_FILL bytes a call; once
 * it has failed, the device says DEVICE_NEEDS_RESET by the end of that
 * driver operation, and asks the source for nothing more until the
 * driver has reset it.
 *
 * fuzz-plant: src/dev/virtio_rng.c
 * fuzz-plant-from: uint32_t n = want - done < CHUNK ? want - done : CHUNK;
 * fuzz-plant-to: uint32_t n = want - done < CHUNK ? want - done : CHUNK + 1;
 */
#include "vdrv.h"

#include "dev/virtio_pci.h"
#include "dev/virtio_rng.h"

struct source {
	struct virtio_rng *rng;
	bool failing;     /* the next calls fail */
	bool failed;      /* a call failed during this driver operation */
	bool needs_reset; /* the device said so after a failure */
	uint8_t next;
};

static uint8_t device_status(const struct source *s)
{
	return virtio_pci_status(virtio_rng_transport(s->rng));
}

static int source_random(void *opaque, void *buf, size_t len)
{
	struct source *s = opaque;
	FUZZ_CHECK(len >= 1 && len <= VIRTIO_RNG_MAX_FILL, "asked for %zu random bytes", len);
	FUZZ_CHECK(!s->failed, "asked again in the operation where the source failed");
	/* A reset clears NEEDS_RESET: only then may the device fill again. */
	FUZZ_CHECK(!s->needs_reset || !(device_status(s) & VIRTIO_STATUS_NEEDS_RESET),
		   "asked for random bytes while the device needs a reset");
	s->needs_reset = false;
	FUZZ_SAY("random %zu%s\n", len, s->failing ? " (failing)" : "");
	if (s->failing) {
		s->failed = true;
		return -1;
	}
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = s->next++;
	return 0;
}

static void toggle_failure(void *opaque, struct fuzz_in *in)
{
	struct source *s = opaque;
	s->failing = fin_u8(in) & 1;
}

static void after_op(void *opaque)
{
	struct source *s = opaque;
	if (!s->failed)
		return;
	FUZZ_CHECK(device_status(s) & VIRTIO_STATUS_NEEDS_RESET,
		   "the source failed and the device does not need a reset (status %#x)",
		   device_status(s));
	s->failed = false;
	s->needs_reset = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct source src = { 0 };
	struct vdrv *v = vdrv_new(1);
	struct virtio_rng_config cfg = {
		.ram = v->rig.ram, .ram_size = v->rig.ram_size,
		.random = source_random, .random_opaque = &src,
		.log = vdrv_log, .log_opaque = v,
		.ram_written = vdrv_ram_written, .ram_opaque = v,
	};
	src.rng = virtio_rng_create(v->rig.pci, VD_SLOT, &cfg);
	FUZZ_CHECK(src.rng != NULL, "cannot create the device");
	v->device_op = toggle_failure;
	v->after_op = after_op;
	v->device_opaque = &src;
	vdrv_enable(v);
	vdrv_run(v, &in, 64);
	virtio_rng_destroy(src.rng);
	vdrv_free(v);
	return 0;
}
