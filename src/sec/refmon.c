/*
 * The reference monitor's decision function and its audited wrapper.
 * The rules are in refmon.h; the code follows them in the same order:
 * validity, same label, the enabled rules, then the isolation default.
 */
#include "sec/refmon.h"

#include <stdio.h>

const char *access_mode_name(enum access_mode mode)
{
	switch (mode) {
	case ACCESS_READ: return "read";
	case ACCESS_WRITE: return "write";
	case ACCESS_READ_WRITE: return "read-write";
	case ACCESS_ATTACH: return "attach";
	case ACCESS_TRANSFER: return "transfer";
	}
	return "unknown";
}

static struct decision allow(const char *reason)
{
	return (struct decision){ .allow = true, .reason = reason };
}

static struct decision deny(const char *reason)
{
	return (struct decision){ .allow = false, .reason = reason };
}

/* Information flows from the object into the subject. */
static struct decision decide_read(const struct refmon_policy *pol, const struct label *s,
				   const struct label *o)
{
	if (pol->blp && !label_secrecy_dominates(s, o))
		return deny(REFMON_R_BLP_READ_UP);
	if (pol->biba && !label_integrity_dominates(o, s))
		return deny(REFMON_R_BIBA_READ_DOWN);
	if (!pol->read_down_shares)
		return deny(REFMON_R_NO_READ_SHARE);
	return allow(REFMON_R_READ_DOWN_SHARE);
}

/* Information flows from the subject into the object. */
static struct decision decide_write(const struct refmon_policy *pol, const struct label *s,
				    const struct label *o)
{
	if (pol->blp && !label_secrecy_dominates(o, s))
		return deny(REFMON_R_BLP_WRITE_DOWN);
	if (pol->biba && !label_integrity_dominates(s, o))
		return deny(REFMON_R_BIBA_WRITE_UP);
	if (!pol->write_up_transfers)
		return deny(REFMON_R_NO_WRITE_TRANSFER);
	return allow(REFMON_R_WRITE_UP_TRANSFER);
}

/* Both directions at once: only ever at one label. */
static struct decision decide_read_write(const struct refmon_policy *pol,
					 const struct label *s, const struct label *o)
{
	if (pol->blp && !label_secrecy_equal(s, o))
		return deny(REFMON_R_BLP_RW);
	if (pol->biba && s->integrity != o->integrity)
		return deny(REFMON_R_BIBA_RW);
	return deny(REFMON_R_RW_CROSS);
}

struct decision refmon_decide(const struct lattice *lat, const struct refmon_policy *pol,
			      const char *subject, const struct label *subj,
			      const char *object, const struct label *obj,
			      enum access_mode mode)
{
	(void)subject; /* names are for the audit record, never for the decision */
	(void)object;
	if (!label_valid(lat, subj) || !label_valid(lat, obj))
		return deny(REFMON_R_INVALID_LABEL);
	if ((unsigned)mode > ACCESS_TRANSFER) /* a corrupted or future mode */
		return deny(REFMON_R_DEFAULT_DENY);
	if (label_equal(subj, obj))
		return allow(REFMON_R_SAME_LABEL);
	if (!pol->blp && !pol->biba)
		return deny(REFMON_R_DEFAULT_DENY);
	switch (mode) {
	case ACCESS_READ:
		return decide_read(pol, subj, obj);
	case ACCESS_WRITE:
	case ACCESS_TRANSFER:
		return decide_write(pol, subj, obj);
	case ACCESS_READ_WRITE:
	case ACCESS_ATTACH:
		return decide_read_write(pol, subj, obj);
	}
	return deny(REFMON_R_DEFAULT_DENY);
}

/* A label's text for the log; "(invalid)" when it has none. */
static void label_text(const struct lattice *lat, const struct label *l, char *buf,
		       size_t len)
{
	if (label_format(lat, l, buf, len) < 0)
		snprintf(buf, len, "(invalid)");
}

int refmon_record(struct audit_log *log, const struct lattice *lat, const char *subject,
		  const struct label *subj, const char *object, const struct label *obj,
		  enum access_mode mode, struct decision d, const char *detail, char *err)
{
	char subj_text[LABEL_TEXT_MAX], obj_text[LABEL_TEXT_MAX], reason[AUDIT_FIELD_MAX];
	struct audit_event ev;

	if (!log) {
		snprintf(err, AUDIT_ERRLEN, "no audit log to record %s %s %s", subject,
			 access_mode_name(mode), object);
		return -1;
	}
	label_text(lat, subj, subj_text, sizeof(subj_text));
	label_text(lat, obj, obj_text, sizeof(obj_text));
	snprintf(reason, sizeof(reason), "%s%s%s", d.reason, detail ? ": " : "", detail ? detail : "");
	ev = (struct audit_event){
		.subject = subject, .object = object,
		.subject_label = subj_text, .object_label = obj_text,
		.mode = access_mode_name(mode),
		.decision = d.allow ? "allow" : "deny",
		.reason = reason,
	};
	return audit_append(log, &ev, err);
}

struct decision refmon_check(struct audit_log *log, const struct lattice *lat,
			     const struct refmon_policy *pol,
			     const char *subject, const struct label *subj,
			     const char *object, const struct label *obj,
			     enum access_mode mode, char *err)
{
	struct decision d = refmon_decide(lat, pol, subject, subj, object, obj, mode);

	if (d.allow && label_equal(subj, obj))
		return d;
	if (refmon_record(log, lat, subject, subj, object, obj, mode, d, NULL, err) < 0)
		return deny(REFMON_R_AUDIT_FAILED);
	return d;
}

/* --- diodes ------------------------------------------------------------------ */

struct decision refmon_decide_diode(const struct lattice *lat, const struct refmon_policy *pol,
				    const struct label *from, const struct label *to)
{
	if (!label_valid(lat, from) || !label_valid(lat, to))
		return deny(REFMON_R_INVALID_LABEL);
	if (label_equal(from, to))
		return allow(REFMON_R_SAME_LABEL);
	if (!pol->blp && !pol->biba)
		return deny(REFMON_R_DEFAULT_DENY);
	if (pol->blp && !label_secrecy_dominates(to, from))
		return deny(REFMON_R_BLP_WRITE_DOWN);
	if (pol->biba && !label_integrity_dominates(from, to))
		return deny(REFMON_R_BIBA_WRITE_UP);
	return allow(REFMON_R_DIODE_UP);
}

/* --- removable media --------------------------------------------------------- */

/* The media's data may flow into the VM under the enabled rules. */
static bool media_flows_to_vm(const struct refmon_policy *pol, const struct label *vm,
			      const struct label *media)
{
	if (!pol->blp && !pol->biba)
		return label_equal(vm, media);
	if (pol->blp && !label_secrecy_dominates(vm, media))
		return false;
	if (pol->biba && !label_integrity_dominates(media, vm))
		return false;
	/* Parts no enabled rule orders must match: with Biba off, a media
	 * image keeps its integrity only if the VM's is the same. */
	if (!pol->blp && !label_secrecy_equal(vm, media))
		return false;
	if (!pol->biba && vm->integrity != media->integrity)
		return false;
	return true;
}

struct decision refmon_decide_media(const struct lattice *lat, const struct refmon_policy *pol,
				    const struct label *vm, const struct label *media, bool read_only,
				    struct label *new_label, bool *floats)
{
	*floats = false;
	*new_label = *media;
	if (!label_valid(lat, vm) || !label_valid(lat, media))
		return deny(REFMON_R_INVALID_LABEL);
	if (label_equal(vm, media))
		return allow(REFMON_R_SAME_LABEL);
	if (!media_flows_to_vm(pol, vm, media))
		return deny(REFMON_R_MEDIA_ABOVE);
	if (read_only)
		return allow(REFMON_R_MEDIA_READ_DOWN);
	*floats = true;
	*new_label = *vm;
	return allow(REFMON_R_MEDIA_FLOATS);
}

/* --- file transfers ----------------------------------------------------------- */

static struct transfer_decision verdict(enum transfer_verdict v, const char *reason)
{
	return (struct transfer_decision){ v, reason };
}

struct transfer_decision refmon_decide_transfer(const struct lattice *lat,
						const struct refmon_policy *pol,
						const struct label *src, const struct label *dst)
{
	if (!label_valid(lat, src) || !label_valid(lat, dst))
		return verdict(TRANSFER_REFUSE, REFMON_R_INVALID_LABEL);
	bool same = label_equal(src, dst);
	if (!same && !pol->blp && !pol->biba)
		return verdict(TRANSFER_HOLD, REFMON_R_HOLD_UNORDERED);
	if (pol->blp && !label_secrecy_dominates(dst, src))
		return verdict(TRANSFER_HOLD, REFMON_R_HOLD_BLP);
	if (pol->biba && !label_integrity_dominates(src, dst))
		return verdict(TRANSFER_HOLD, REFMON_R_HOLD_BIBA);
	if (!pol->write_up_transfers)
		return verdict(TRANSFER_REFUSE, REFMON_R_NO_WRITE_TRANSFER);
	return verdict(TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
}

const char *transfer_verdict_name(enum transfer_verdict v)
{
	switch (v) {
	case TRANSFER_DELIVER: return "deliver";
	case TRANSFER_HOLD: return "hold";
	case TRANSFER_REFUSE: return "refuse";
	}
	return "refuse";
}
