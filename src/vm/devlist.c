/*
 * The machine's device list: every device it creates, and every host
 * resource a device works on (disk images, the network link), from the
 * moment it exists until the machine goes.  Teardown happens here and
 * only here, newest first, so a device always goes before what it was
 * built on (a PCI function before the PCI bus, a virtio-blk before its
 * image): the device's regions leave both buses, then its destroy hook
 * frees it.  kvmtool's device_header plays the same part.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vm/vm_internal.h"

struct vm_device {
	const char *name;
	void *state;
	vm_device_destroy_fn destroy;
	struct vm_device *next; /* the one added before */
};

int vm_add_device(struct vm *vm, const char *name, void *state, vm_device_destroy_fn destroy,
		  char *err)
{
	struct vm_device *d = state ? malloc(sizeof(*d)) : NULL;
	if (!d) {
		if (state) {
			iobus_unregister_owner(&vm->io, state);
			mmiobus_unregister_owner(&vm->mmio, state);
			destroy(state);
		}
		snprintf(err, HOST_ERRLEN, "cannot create %s", name);
		return -1;
	}
	*d = (struct vm_device){ name, state, destroy, priv(vm)->devices };
	priv(vm)->devices = d;
	return 0;
}

void vm_remove_devices(struct vm *vm)
{
	struct vm_device *d = priv(vm)->devices;
	while (d) {
		struct vm_device *before = d->next;
		iobus_unregister_owner(&vm->io, d->state);
		mmiobus_unregister_owner(&vm->mmio, d->state);
		d->destroy(d->state);
		free(d);
		d = before;
	}
	priv(vm)->devices = NULL;
}
