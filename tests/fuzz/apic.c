/*
 * Fuzz target: the local APIC and the I/O APIC (src/dev/lapic.c,
 * src/dev/ioapic.c), wired as the machine wires them (I/O APIC messages
 * to the local APIC, its EOIs back), under a hostile guest: any register
 * access of any width at any offset, the base MSR, input pins toggled,
 * time moving, interrupts taken and ended.  A taken vector must be one
 * the guest could have programmed (16..255) or the spurious vector.
 *
 * fuzz-plant: src/dev/ioapic.c
 * fuzz-plant-from: 	if (pin < 0 || pin >= IOAPIC_PINS)
 * fuzz-plant-to: 	if (pin < 0 || pin > IOAPIC_PINS)
 */
#include "fuzz.h"

#include "dev/ioapic.h"
#include "dev/lapic.h"

#define MAX_OPS 512

static struct lapic *la;
static struct ioapic *ia;
static uint64_t now;

static uint64_t clock_now(void *o)
{
	(void)o;
	return now;
}

static void deliver(void *o, const struct ioapic_msg *m)
{
	(void)o;
	if (m->mode <= 1)
		lapic_deliver(la, m->vector, m->level);
}

static void eoi(void *o, int vector)
{
	(void)o;
	ioapic_eoi(ia, vector);
}

static void take(void)
{
	bool pic = false;
	if (!lapic_intr_pending(la, pic))
		return;
	int v = lapic_intr_ack(la, pic);
	int spurious = (int)(lapic_read(la, 0xf0, 4) & 0xff);
	if ((v < 16 || v > 255) && v != spurious) {
		fprintf(stderr, "took vector %d\n", v);
		abort();
	}
}

static void op(struct fuzz_in *in)
{
	uint8_t k = fin_u8(in);
	int size = 1 << (k >> 4 & 3) % 3;
	switch (k & 7) {
	case 0: lapic_write(la, fin_u16(in), size, fin_u32(in)); break;
	case 1: (void)lapic_read(la, fin_u16(in), size); break;
	case 2: ioapic_write(ia, fin_u8(in) % 0x20, size, fin_u32(in)); break;
	case 3: (void)ioapic_read(ia, fin_u8(in) % 0x20, size); break;
	case 4: ioapic_set_irq(ia, fin_u8(in) % 26 - 1, fin_u8(in) & 1); break;
	case 5: (void)lapic_set_base(la, fin_u64(in)); break;
	case 6:
		now += fin_u32(in);
		lapic_update(la);
		break;
	default: take(); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct vclock clock = { clock_now, NULL };
	now = 0;
	la = lapic_create(&(struct lapic_config){ .id = 0, .bsp = true, .clock = &clock, .eoi = eoi });
	ia = ioapic_create(&(struct ioapic_config){ .id = 0, .deliver = deliver });
	if (!la || !ia)
		abort();
	for (int i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		op(&in);
	lapic_destroy(la);
	ioapic_destroy(ia);
	return 0;
}
