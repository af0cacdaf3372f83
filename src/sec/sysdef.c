/*
 * System definition: loading, ownership and the read-only views.  The
 * statements themselves are in sysdef_parse.c, the lexer in sysdef_lex.c.
 */
#include "sec/sysdef_internal.h"

#include "host/host.h"
#include "xfer/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sysdef *sysdef_parse(const char *text, size_t len, const char *name_for_errors,
			    const char *base_dir, char *err)
{
	struct sysdef *s;
	struct lexer lx;
	char *scratch;

	if (!name_for_errors)
		name_for_errors = "(system definition)";
	s = calloc(1, sizeof(*s));
	scratch = malloc(len + LINE_MAX_TOKENS + 1);
	if (!s || !scratch) {
		free(s);
		free(scratch);
		sysdef_fail(err, name_for_errors, 0, "out of memory");
		return NULL;
	}
	lattice_init(&s->lattice);
	s->policy.blp = true; /* the secrecy policy is on unless switched off */
	s->transfer = (struct sysdef_transfer){ XFER_DEFAULT_MAX_BYTES, XFER_DEFAULT_MAX_FILES,
						SYSDEF_XFER_EXPIRE_DEFAULT };
	lex_init(&lx, text, len, name_for_errors, scratch, err);
	if (sysdef_parse_into(s, &lx, base_dir) < 0) {
		free(scratch);
		sysdef_free(s);
		return NULL;
	}
	free(scratch);
	return s;
}

/* "dir/sys.conf" -> "dir"; "sys.conf" -> NULL (relative to the cwd, as
 * the file itself was); "/sys.conf" -> "/". */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return NULL;
	n = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

struct sysdef *sysdef_load(const char *path, char *err)
{
	char herr[HOST_ERRLEN];
	uint8_t *buf;
	size_t len;
	char *dir;
	struct sysdef *s;

	if (host_read_file(path, SYSDEF_MAX_FILE, &buf, &len, herr) < 0) {
		snprintf(err, SYSDEF_ERRLEN, "%s", herr);
		return NULL;
	}
	dir = dir_of(path);
	if (strchr(path, '/') && !dir) {
		free(buf);
		snprintf(err, SYSDEF_ERRLEN, "%s: out of memory", path);
		return NULL;
	}
	s = sysdef_parse((const char *)buf, len, path, dir, err);
	free(dir);
	free(buf);
	return s;
}

void sysdef_free(struct sysdef *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nvms; i++) {
		struct sysdef_vm *vm = &s->vms[i];
		free((char *)vm->label_text);
		free((char *)vm->kernel);
		free((char *)vm->initrd);
		free((char *)vm->append);
	}
	for (unsigned i = 0; i < s->nimages; i++) {
		struct sysdef_image *img = &s->images[i];
		free((char *)img->file);
		free((char *)img->label_text);
		free((char *)img->luks_key_file);
	}
	for (unsigned i = 0; i < s->nnets; i++)
		free((char *)s->nets[i].label_text);
	free(s);
}

const struct lattice *sysdef_lattice(const struct sysdef *s)
{
	return &s->lattice;
}

struct sysdef_policy sysdef_policy(const struct sysdef *s)
{
	return s->policy;
}

struct sysdef_transfer sysdef_transfer(const struct sysdef *s)
{
	return s->transfer;
}

unsigned sysdef_vm_count(const struct sysdef *s)
{
	return s->nvms;
}

const struct sysdef_vm *sysdef_vm(const struct sysdef *s, unsigned i)
{
	return i < s->nvms ? &s->vms[i] : NULL;
}

const struct sysdef_vm *sysdef_vm_by_name(const struct sysdef *s, const char *name)
{
	for (unsigned i = 0; i < s->nvms; i++)
		if (!strcmp(s->vms[i].name, name))
			return &s->vms[i];
	return NULL;
}

unsigned sysdef_image_count(const struct sysdef *s)
{
	return s->nimages;
}

const struct sysdef_image *sysdef_image(const struct sysdef *s, unsigned i)
{
	return i < s->nimages ? &s->images[i] : NULL;
}

const struct sysdef_image *sysdef_image_by_name(const struct sysdef *s, const char *name)
{
	for (unsigned i = 0; i < s->nimages; i++)
		if (!strcmp(s->images[i].name, name))
			return &s->images[i];
	return NULL;
}

unsigned sysdef_net_count(const struct sysdef *s)
{
	return s->nnets;
}

const struct sysdef_net *sysdef_net(const struct sysdef *s, unsigned i)
{
	return i < s->nnets ? &s->nets[i] : NULL;
}

unsigned sysdef_diode_count(const struct sysdef *s)
{
	return s->ndiodes;
}

const struct sysdef_diode *sysdef_diode(const struct sysdef *s, unsigned i)
{
	return i < s->ndiodes ? &s->diodes[i] : NULL;
}

bool sysdef_is_name(const char *s)
{
	size_t n = strnlen(s, SYSDEF_NAME_MAX);
	if (n == 0 || n == SYSDEF_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}
