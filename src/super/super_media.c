/*
 * Sanitizing removable media (the paper's §4.4.1, the floppy): the one
 * way a media image whose label floated up may go back down.  Used by the
 * supervisor's control socket while it runs and by `cordon media
 * sanitize` directly when no supervisor does; both write the same record.
 *
 * The record comes before the first byte is written: a sanitize that
 * cannot be audited does not happen (and a label reset is never left
 * unrecorded).  The image is opened through safe_open, so a symlink, a
 * hard link or another user's file planted at its path is refused, not
 * wiped.
 */
#include "super/super.h"

#include <stdio.h>
#include <unistd.h>

#include "sec/media.h"

static int record(struct audit_log *log, const char *who, const char *object,
		  const struct sysdef_image *im, const char *decision, const char *reason,
		  char *err)
{
	char aerr[AUDIT_ERRLEN];
	struct audit_event ev = {
		.subject = who, .subject_label = "", .object = object,
		.object_label = im->label_text, .mode = "sanitize",
		.decision = decision, .reason = reason,
	};
	if (audit_append(log, &ev, aerr) == 0)
		return 0;
	snprintf(err, SUPER_ERRLEN, "%s", aerr); /* "audit log: ..." */
	return SUPER_SANITIZE_AUDIT_FAILED;
}

int super_sanitize_media(const struct sysdef *sys, struct audit_log *log, const char *who,
			 const char *name, char *err)
{
	const struct sysdef_image *im = sysdef_image_by_name(sys, name);
	if (!im || im->kind != SYSDEF_MEDIA) {
		snprintf(err, SUPER_ERRLEN, "no media named '%s' in the system file", name);
		return -1;
	}
	char why[SUPER_ERRLEN], reason[SUPER_ERRLEN + 64], object[SYSDEF_NAME_MAX + 16];
	snprintf(object, sizeof(object), "media:%s", name);
	int fd = media_open_for_sanitize(im->file, why);
	if (fd < 0) {
		snprintf(reason, sizeof(reason), "sanitize refused: %s", why);
		if (record(log, who, object, im, "deny", reason, err) < 0)
			return SUPER_SANITIZE_AUDIT_FAILED;
		snprintf(err, SUPER_ERRLEN, "%s", why);
		return -1;
	}
	snprintf(reason, sizeof(reason), "zero-filled %s; label reset to %s", im->file,
		 im->label_text);
	if (record(log, who, object, im, "allow", reason, err) < 0) {
		close(fd);
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, SUPER_ERRLEN, "%.400s (nothing was written)", why);
		return SUPER_SANITIZE_AUDIT_FAILED;
	}
	int rc = media_zero_fill(fd, im->file, why);
	close(fd);
	if (rc == 0)
		rc = media_label_store(sysdef_lattice(sys), im->file, &im->label, why);
	if (rc == 0)
		return 0;
	/* The record above promised more than happened: say so in the log. */
	snprintf(reason, sizeof(reason), "sanitize failed after it began: %s", why);
	if (record(log, who, object, im, "failed", reason, err) < 0)
		return SUPER_SANITIZE_AUDIT_FAILED;
	snprintf(err, SUPER_ERRLEN, "%s", why);
	return -1;
}
