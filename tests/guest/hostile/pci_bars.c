/*
 * Programs the BARs of every PCI function to overlap RAM (at 2 MiB and at
 * the guest's own code), each other, the local APIC (0xfee00000), the I/O
 * APIC (0xfec00000), the BIOS (0xfffc0000), the legacy ROM area (0xe0000),
 * address 0 and port 0 / the PIC's and the serial port's ports, with
 * memory and I/O decode on; reads and writes through each placement; and
 * finally puts every BAR back where it was.  RAM must read back what the
 * guest wrote (a BAR never shadows RAM), the serial port must keep
 * working, and virtio-rng, back in place, must still answer.  Exit 0x20
 * (status 65) when all of that holds.
 */
#include "hrt.h"

void guest_main(uint32_t magic, const void *mbi);

#define MAX_FNS 48
#define RAM_PROBE 0x200000u

struct fn {
	int slot, func;
	uint32_t bar[6], command;
};

static struct fn fns[MAX_FNS];
static int nfns;
static uint8_t code_page[4096] __attribute__((aligned(4096)));

static void find_functions(void)
{
	for (int slot = 0; slot < 32; slot++) {
		for (int func = 0; func < 8; func++) {
			uint32_t id = pci_read(slot, func, 0);
			if ((id & 0xffff) == 0xffff || nfns == MAX_FNS)
				continue;
			struct fn *f = &fns[nfns++];
			f->slot = slot, f->func = func;
			f->command = pci_read(slot, func, 4) & 0xffff;
			for (int b = 0; b < 6; b++)
				f->bar[b] = pci_read(slot, func, 0x10 + 4 * (unsigned)b);
		}
	}
}

static void place_all(uint32_t mem, uint16_t io)
{
	for (int i = 0; i < nfns; i++) {
		struct fn *f = &fns[i];
		if (f->slot == 0)
			continue; /* the host bridge has no BARs to move */
		for (int b = 0; b < 6; b++)
			pci_write(f->slot, f->func, 0x10 + 4 * (unsigned)b, f->bar[b] & 1 ? io : mem);
		pci_write(f->slot, f->func, 4, f->command | 0x7);
	}
}

static void restore_all(void)
{
	for (int i = 0; i < nfns; i++) {
		struct fn *f = &fns[i];
		if (f->slot == 0)
			continue;
		pci_write(f->slot, f->func, 4, f->command & ~0x3u);
		for (int b = 0; b < 6; b++)
			pci_write(f->slot, f->func, 0x10 + 4 * (unsigned)b, f->bar[b]);
		pci_write(f->slot, f->func, 4, f->command);
	}
}

/* Reads and writes a few dwords at addr (memory) and port, unless the
 * port belongs to a platform device this guest still needs (the serial
 * port, PCI configuration, the i8042's reset): a BAR placed there is
 * simply not decoded, so the device itself would get the writes. */
static void poke(uint32_t addr, uint16_t port)
{
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)addr;
	for (int i = 0; i < 64; i++) {
		uint32_t v = p[i];
		p[i] = v ^ hrt_rand();
	}
	if (port == 0x3f8 || port == 0xcf8 || port == 0x60)
		return;
	for (int i = 0; i < 8; i++)
		outl((uint16_t)(port + 4 * i), inl((uint16_t)(port + 4 * i)) ^ hrt_rand());
}

static bool ram_intact(const uint32_t *a, uint32_t seed)
{
	for (int i = 0; i < 1024; i++)
		if (a[i] != seed * (uint32_t)(i + 1))
			return false;
	return true;
}

static void fill(uint32_t *a, uint32_t seed)
{
	for (int i = 0; i < 1024; i++)
		a[i] = seed * (uint32_t)(i + 1);
}

void guest_main(uint32_t magic, const void *mbi)
{
	(void)mbi;
	if (magic != MB_BOOT_MAGIC)
		debug_exit(0x11);
	hrt_init();
	find_functions();
	serial_puts("pci_bars: functions ");
	serial_putu((uint32_t)nfns);
	serial_puts("\n");
	uint32_t *probe = (uint32_t *)(uintptr_t)RAM_PROBE, *own = (uint32_t *)code_page;
	fill(probe, 0x1234567), fill(own, 0x7654321);
	static const uint32_t mem[] = { RAM_PROBE, (uint32_t)(uintptr_t)code_page, 0xfee00000u,
					0xfec00000u, 0xfffc0000u, 0xe0000u, 0, 0xfe000000u };
	static const uint16_t io[] = { 0, 0x20, 0x3f8, 0x60, 0xcf8, 0xc000, 0xfff0, 0x80 };
	bool ok = true;
	for (unsigned k = 0; k < sizeof(mem) / sizeof(mem[0]); k++) {
		place_all(mem[k], io[k]);
		poke(mem[k] == RAM_PROBE || mem[k] == (uint32_t)(uintptr_t)code_page ? 0xfe000000u : mem[k],
		     io[k] ? io[k] : 0xc000);
		serial_puts("pci_bars: placed at ");
		put_hex(mem[k]);
		serial_puts("\n");
		ok &= ram_intact(probe, 0x1234567) && ram_intact(own, 0x7654321);
	}
	restore_all();
	/* virtio-rng (1af4:1044) answers at its own BAR again. */
	bool rng = false;
	for (int i = 0; i < nfns; i++) {
		if (pci_read(fns[i].slot, fns[i].func, 0) != 0x10441af4u)
			continue;
		uintptr_t bar = fns[i].bar[0] & ~0xfu;
		rng = *(volatile uint16_t *)(bar + 0x12) == 1; /* num_queues */
	}
	hrt_finish("pci_bars", ok && rng, ok ? "virtio-rng does not answer after the BARs came back"
					    : "RAM changed under a BAR placed over it");
}
