/*
 * Fuzz target: the system-definition parser (src/sec/sysdef*.c, with the
 * label lattice of src/sec/label.c), on any bytes.
 *
 * A file is either refused with one message "fuzz.sys:LINE: ..." whose
 * line exists in the input, or parsed into a definition whose every VM
 * and image keeps the limits sysdef.h promises and can be found again by
 * name.
 *
 * fuzz-plant: src/sec/sysdef_lex.c
 * fuzz-plant-from: while (lx->p < lx->end && *lx->p != '\n')
 * fuzz-plant-to: while (lx->p <= lx->end && *lx->p != '\n')
 */
#include "fuzz.h"

#include "sec/sysdef.h"

static void check_error(const char *text, size_t len, const char *err)
{
	unsigned long lines = 1, line;
	char *end;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	FUZZ_CHECK(memchr(err, '\0', SYSDEF_ERRLEN) && strncmp(err, "fuzz.sys:", 9) == 0,
		   "error without the file name: %.80s", err);
	line = strtoul(err + 9, &end, 10);
	FUZZ_CHECK(end != err + 9 && end[0] == ':' && end[1] == ' ' && line >= 1 && line <= lines,
		   "error with a bad line number (input has %lu lines): %.100s", lines, err);
}

/* Nets, diodes and NICs: every reference resolved, the ends of each diode
 * two different VMs that both name it, MACs unicast and distinct per net. */
static void check_channels(const struct sysdef *s)
{
	unsigned nnet = sysdef_net_count(s), ndio = sysdef_diode_count(s);
	FUZZ_CHECK(nnet <= SYSDEF_MAX_NETS && ndio <= SYSDEF_MAX_DIODES, "%u nets, %u diodes", nnet, ndio);
	for (unsigned i = 0; i < nnet; i++)
		FUZZ_CHECK(sysdef_net(s, i)->label_text && memchr(sysdef_net(s, i)->uplink, '\0', SYSDEF_IFNAME_MAX),
			   "net %u incomplete", i);
	for (unsigned i = 0; i < ndio; i++) {
		const struct sysdef_diode *d = sysdef_diode(s, i);
		FUZZ_CHECK(d->from && d->to && d->from != d->to, "diode '%s' ends", d->name);
	}
	for (unsigned v = 0; v < sysdef_vm_count(s); v++) {
		const struct sysdef_vm *vm = sysdef_vm(s, v);
		FUZZ_CHECK(vm->nnics <= SYSDEF_MAX_NICS, "vm '%s' has %u NICs", vm->name, vm->nnics);
		for (unsigned i = 0; i < vm->nnics; i++) {
			const struct sysdef_nic *n = &vm->nic[i];
			FUZZ_CHECK((n->kind == SYSDEF_NIC_NET) == (n->net != NULL) &&
				   (n->kind == SYSDEF_NIC_DIODE) == (n->diode != NULL), "vm '%s' NIC %u", vm->name, i);
			FUZZ_CHECK(!n->diode || n->diode->from == vm || n->diode->to == vm,
				   "vm '%s' names a diode it is not an end of", vm->name);
			FUZZ_CHECK(!(n->mac[0] & 1), "vm '%s' NIC %u has a multicast MAC", vm->name, i);
		}
	}
}

static void check_definition(const struct sysdef *s)
{
	unsigned nvm = sysdef_vm_count(s), nimg = sysdef_image_count(s);
	FUZZ_CHECK(nvm <= SYSDEF_MAX_VMS && nimg <= SYSDEF_MAX_IMAGES, "%u vms, %u images", nvm, nimg);
	for (unsigned i = 0; i < nimg; i++) {
		const struct sysdef_image *img = sysdef_image(s, i);
		FUZZ_CHECK(memchr(img->name, '\0', SYSDEF_NAME_MAX) && img->file && img->label_text,
			   "image %u incomplete", i);
		FUZZ_CHECK(sysdef_image_by_name(s, img->name) == img, "image '%s' not found", img->name);
	}
	for (unsigned i = 0; i < nvm; i++) {
		const struct sysdef_vm *vm = sysdef_vm(s, i);
		FUZZ_CHECK(memchr(vm->name, '\0', SYSDEF_NAME_MAX) && vm->kernel && vm->append &&
			   vm->label_text, "vm %u incomplete", i);
		FUZZ_CHECK(vm->memory >= SYSDEF_MEM_MIN && vm->memory <= SYSDEF_MEM_MAX &&
			   vm->memory % 4096 == 0, "vm '%s' memory %llu", vm->name,
			   (unsigned long long)vm->memory);
		FUZZ_CHECK(vm->nattach <= SYSDEF_MAX_ATTACH, "vm '%s' has %u attachments", vm->name,
			   vm->nattach);
		for (unsigned a = 0; a < vm->nattach; a++)
			FUZZ_CHECK(sysdef_image_by_name(s, vm->attach[a].image->name) == vm->attach[a].image,
				   "vm '%s' attaches an image that is not declared", vm->name);
		FUZZ_CHECK(sysdef_vm_by_name(s, vm->name) == vm, "vm '%s' not found", vm->name);
	}
	check_channels(s);
	(void)sysdef_lattice(s);
	(void)sysdef_policy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SYSDEF_ERRLEN];
	char *text = malloc(size ? size : 1); /* exact size: not NUL-terminated */
	if (!text)
		abort();
	memcpy(text, data, size);
	memset(err, 'X', sizeof(err));
	struct sysdef *s = sysdef_parse(text, size, "fuzz.sys", "base", err);
	if (s)
		check_definition(s);
	else
		check_error(text, size, err);
	sysdef_free(s);
	free(text);
	return 0;
}
