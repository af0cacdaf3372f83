/*
 * The machine's device list (src/vm/devlist.c): teardown newest first,
 * each device's bus regions gone before its destroy hook runs, and a
 * failed create reported by name.
 */
#include <stdlib.h>

#include "host/host.h"
#include "t.h"
#include "vm/vm_internal.h"

struct fake_dev {
	struct vm *vm;
	int id;
	int *order;      /* destroy appends id here */
	int *ndestroyed;
	bool regions_gone_at_destroy;
};

static uint32_t fake_read(void *opaque, uint32_t addr, int size)
{
	(void)addr, (void)size;
	return (uint32_t)((struct fake_dev *)opaque)->id;
}

static void fake_destroy(void *state)
{
	struct fake_dev *d = state;
	uint32_t v;
	d->regions_gone_at_destroy = iobus_read(&d->vm->io, (uint16_t)(0x100 * d->id), 1) == 0xff &&
				     !mmiobus_read(&d->vm->mmio, 0xe0000000u + 0x1000u * (uint32_t)d->id, 4, &v);
	d->order[(*d->ndestroyed)++] = d->id;
}

static struct vm *bare_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	vm->priv = calloc(1, sizeof(struct vm_private));
	iobus_init(&vm->io);
	mmiobus_init(&vm->mmio);
	return vm;
}

TEST(devlist_tears_down_newest_first_after_unregistering)
{
	struct vm *vm = bare_vm();
	char err[HOST_ERRLEN];
	int order[3] = { 0 }, n = 0;
	struct fake_dev dev[3];
	for (int i = 0; i < 3; i++) {
		dev[i] = (struct fake_dev){ vm, i + 1, order, &n, false };
		CHECK_EQ(iobus_register(&vm->io, "fake", (uint16_t)(0x100 * dev[i].id), 4, fake_read,
					NULL, &dev[i]), 0);
		CHECK_EQ(mmiobus_register(&vm->mmio, "fake", 0xe0000000u + 0x1000u * (uint32_t)dev[i].id,
					  0x100, fake_read, NULL, &dev[i]), 0);
		CHECK_EQ(vm_add_device(vm, "fake", &dev[i], fake_destroy, err), 0);
	}
	CHECK_EQ(iobus_read(&vm->io, 0x201, 1), 2);
	vm_remove_devices(vm);
	CHECK_EQ(n, 3);
	CHECK_EQ(order[0], 3);
	CHECK_EQ(order[1], 2);
	CHECK_EQ(order[2], 1);
	for (int i = 0; i < 3; i++)
		CHECK(dev[i].regions_gone_at_destroy);
	CHECK_EQ(vm->io.nregions, 0);
	CHECK_EQ(vm->mmio.nregions, 0);
	vm_remove_devices(vm); /* nothing left: a no-op */
	CHECK_EQ(n, 3);
	free(vm->priv);
	free(vm);
}

TEST(devlist_failed_create_is_named)
{
	struct vm *vm = bare_vm();
	char err[HOST_ERRLEN] = "";
	CHECK_EQ(vm_add_device(vm, "the 8254 PIT", NULL, fake_destroy, err), -1);
	CHECK_STR(err, "cannot create the 8254 PIT");
	vm_remove_devices(vm);
	free(vm->priv);
	free(vm);
}
