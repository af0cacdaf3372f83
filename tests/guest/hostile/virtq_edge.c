/*
 * virtio-rng's queue, laid out every way a driver must not: sizes of 0, 1,
 * 3 and 32768, rings at the last bytes of RAM, straddling its end, past
 * it and above 4 GiB, descriptors pointing past RAM or across its end,
 * each followed by a kick and a check of the device status; then a storm
 * of notifies on every queue number with every value.  Last, after a
 * reset, a proper request must still get 16 random bytes.  Exit 0x20
 * (status 65) when it does; "forever" on the command line keeps the storm
 * going for the tests that stop it from outside.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const uint32_t *mbi);

#define COMMON 0x0000
#define NOTIFY 0x3000
#define STATUS_ACK 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40

static uintptr_t bar;
static uint32_t ram_end;
static uint8_t rings[3 * 4096] __attribute__((aligned(4096)));
static uint8_t buffer[64];

static void w8(unsigned off, uint8_t v) { *(volatile uint8_t *)(bar + off) = v; }
static void w16(unsigned off, uint16_t v) { *(volatile uint16_t *)(bar + off) = v; }
static void w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }
static uint8_t r8(unsigned off) { return *(volatile uint8_t *)(bar + off); }

static void start(void)
{
	w8(COMMON + 0x14, 0);
	w8(COMMON + 0x14, STATUS_ACK | STATUS_DRIVER);
	w32(COMMON + 0x08, 1);          /* driver_feature_select: high word */
	w32(COMMON + 0x0c, 1);          /* VERSION_1 */
	w32(COMMON + 0x08, 0);
	w32(COMMON + 0x0c, 0);
	w8(COMMON + 0x14, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
}

static void w64(unsigned off, uint64_t v)
{
	w32(off, (uint32_t)v);
	w32(off + 4, (uint32_t)(v >> 32));
}

/* Programs queue 0, enables it, kicks it; true when the device took it. */
static bool try_layout(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	start();
	w16(COMMON + 0x16, 0);
	w16(COMMON + 0x18, size);
	w64(COMMON + 0x20, desc);
	w64(COMMON + 0x28, avail);
	w64(COMMON + 0x30, used);
	w16(COMMON + 0x1c, 1);
	w8(COMMON + 0x14, r8(COMMON + 0x14) | STATUS_DRIVER_OK);
	w16(NOTIFY, 0);
	return !(r8(COMMON + 0x14) & STATUS_NEEDS_RESET);
}

static void put_desc(int i, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *d = rings + 16 * i;
	__builtin_memcpy(d, &addr, 8);
	__builtin_memcpy(d + 8, &len, 4);
	__builtin_memcpy(d + 12, &flags, 2);
	__builtin_memset(d + 14, 0, 2);
}

/* One chain of one writable buffer, published and kicked on a queue of 4
 * in the guest's own pages. */
static void request(uint64_t addr, uint32_t len)
{
	__builtin_memset(rings, 0, sizeof(rings));
	try_layout(4, (uint32_t)(uintptr_t)rings, (uint32_t)(uintptr_t)rings + 4096,
		   (uint32_t)(uintptr_t)rings + 8192);
	put_desc(0, addr, len, 2);
	uint16_t *avail = (uint16_t *)(rings + 4096);
	avail[2] = 0;       /* ring[0] = head 0 */
	avail[1] = 1;       /* idx */
	w16(NOTIFY, 0);
}

static uint16_t used_idx(void)
{
	return *(volatile uint16_t *)(rings + 8192 + 2);
}

static void storm(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = hrt_rand();
		unsigned q = r % 16;
		if (r & 0x10000)
			w16(NOTIFY + 4 * q, (uint16_t)(r >> 17));
		else
			w32(NOTIFY + 4 * q, r);
	}
}

void guest_main(uint32_t magic, const uint32_t *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	ram_end = (1u << 20) + mbi[2] * 1024u;
	for (int slot = 0; slot < 32 && !bar; slot++)
		if (pci_read(slot, 0, 0) == 0x10441af4u)
			bar = pci_read(slot, 0, 0x10) & ~0xfu;
	if (!bar)
		hrt_finish("virtq_edge", false, "no virtio-rng");
	serial_puts("virtq_edge: start\n");
	uint32_t e = ram_end;
	bool refused = !try_layout(0, 0x10000, 0x20000, 0x30000);          /* size 0 */
	refused &= !try_layout(3, 0x10000, 0x20000, 0x30000);              /* odd */
	refused &= !try_layout(32768, 0x10000, 0x20000, 0x30000);          /* too big */
	refused &= !try_layout(1, e, e + 16, e + 32);                      /* past RAM */
	refused &= !try_layout(1, e - 8, 0x20000, 0x30000);                /* across the end */
	refused &= !try_layout(1, 0x100000000ull, 0x20000, 0x30000);       /* above 4 GiB */
	refused &= !try_layout(1, 0x10000, 0x20000, (uint64_t)e - 12);     /* used ring one short */
	bool last = try_layout(1, e - 48, e - 24, e - 16); /* the last aligned bytes */
	/* Buffers past RAM, across its end, of length 0: each must break the
	 * device or be skipped, never touch memory. */
	request(e, 16);
	request(e - 8, 16);
	request(0xfffffff0u, 32);
	request((uint32_t)(uintptr_t)buffer, 0);
	hrt_srand(0xab5ea);
	storm(200000);
	if (hrt_forever(mbi)) {
		serial_puts("virtq_edge: forever\n");
		for (;;)
			storm(100000);
	}
	__builtin_memset(buffer, 0, sizeof(buffer));
	request((uint32_t)(uintptr_t)buffer, 16);
	bool got = used_idx() == 1;
	for (int spin = 0; spin < 1000000 && !got; spin++)
		got = used_idx() == 1;
	bool nonzero = false;
	for (int i = 0; i < 16; i++)
		nonzero |= buffer[i] != 0;
	serial_puts(refused ? "virtq_edge: every bad layout refused\n" : "virtq_edge: a bad layout was taken\n");
	serial_puts(last ? "virtq_edge: rings at the last bytes taken\n" : "virtq_edge: rings at the last bytes refused\n");
	hrt_finish("virtq_edge", refused && last && got && nonzero,
		   "a bad layout was taken, a good one refused, or no entropy came back");
}
