/*
 * Sanitizing removable media (the paper's §4.4.1, the floppy): the one
 * way a media image whose label floated up may go back down.  Used by the
 * supervisor's control socket while it runs and by `cordon media
 * sanitize` directly when no supervisor does; both write the same record.
 */
#include "super/super.h"

#include <stdio.h>

#include "sec/media.h"

int super_sanitize_media(const struct sysdef *sys, struct audit_log *log, const char *who,
			 const char *name, char *err)
{
	const struct sysdef_image *im = sysdef_image_by_name(sys, name);
	if (!im || im->kind != SYSDEF_MEDIA) {
		snprintf(err, SUPER_ERRLEN, "no media named '%s' in the system file", name);
		return -1;
	}
	char why[SUPER_ERRLEN], reason[SUPER_ERRLEN + 64], object[SYSDEF_NAME_MAX + 16];
	char aerr[AUDIT_ERRLEN];
	snprintf(object, sizeof(object), "media:%s", name);
	int rc = media_sanitize(im->file, why);
	if (rc == 0)
		rc = media_label_store(sysdef_lattice(sys), im->file, &im->label, why);
	if (rc == 0)
		snprintf(reason, sizeof(reason), "zero-filled %s; label reset to %s", im->file,
			 im->label_text);
	else
		snprintf(reason, sizeof(reason), "sanitize failed: %s", why);
	struct audit_event ev = {
		.subject = who, .subject_label = "", .object = object,
		.object_label = im->label_text, .mode = "sanitize",
		.decision = rc == 0 ? "allow" : "deny", .reason = reason,
	};
	if (audit_append(log, &ev, aerr) < 0) {
		snprintf(err, SUPER_ERRLEN, "audit log: %s", aerr);
		return -1;
	}
	if (rc < 0)
		snprintf(err, SUPER_ERRLEN, "%s", why);
	return rc;
}
