/*
 * The reference monitor: the one function that decides every access a
 * subject (a VM) makes to an object (a disk, a media image, a log, another
 * VM's channel), from their labels and the access mode alone.
 *
 * Rules, for a subject label S and an object label O that differ
 * (equal labels: every mode is allowed, "same label"):
 *
 *   mode                 BLP (secrecy)          Biba (integrity)
 *   read                 S dominates O          O dominates S
 *   write, transfer      O dominates S          S dominates O
 *   read-write, attach   equal secrecy          equal integrity
 *
 * and each enabled rule must allow.  Then, because the system's default is
 * complete isolation between labels, a cross-label access the rules allow
 * still needs the policy to enable sharing in its direction:
 *   - a read of an object at another label (a "read-down" share, e.g. a
 *     SECRET VM reading an UNCLASSIFIED disk read-only) only with
 *     read_down_shares;
 *   - a write or transfer to an object at another label (a "write-up",
 *     e.g. moving a file from an UNCLASSIFIED VM into a SECRET one) only
 *     with write_up_transfers;
 *   - a read-write or attach at another label never (the rules above only
 *     allow it when the labels differ in a part no enabled rule looks at,
 *     e.g. integrity with Biba off; isolation denies it anyway).
 * With neither BLP nor Biba enabled, nothing orders the labels, so every
 * cross-label access is denied.  Invalid labels and unknown modes: denied.
 *
 * Pure code apart from refmon_check, which writes the audit log.
 */
#ifndef CORDON_SEC_REFMON_H
#define CORDON_SEC_REFMON_H

#include <stdbool.h>

#include "sec/audit.h"
#include "sec/label.h"

enum access_mode {
	ACCESS_READ,
	ACCESS_WRITE,
	ACCESS_READ_WRITE,
	ACCESS_ATTACH,   /* a read-write attach of a device such as a disk */
	ACCESS_TRANSFER, /* moving data from the subject to the object */
};

/* Which rules and sharing directions the site's policy enables. */
struct refmon_policy {
	bool blp;                /* Bell-LaPadula: no read up, no write down */
	bool biba;               /* Biba: no read down, no write up */
	bool read_down_shares;   /* cross-label reads the rules allow */
	bool write_up_transfers; /* cross-label writes/transfers the rules allow */
};

struct decision {
	bool allow;
	const char *reason; /* one of the REFMON_R_* strings below */
};

/* The reasons, as they appear in the audit log. */
#define REFMON_R_SAME_LABEL "same label"
#define REFMON_R_READ_DOWN_SHARE "read-down share enabled"
#define REFMON_R_WRITE_UP_TRANSFER "write-up transfer enabled"
#define REFMON_R_BLP_READ_UP "BLP: no read up"
#define REFMON_R_BLP_WRITE_DOWN "BLP: no write down"
#define REFMON_R_BLP_RW "BLP: read-write needs the same secrecy"
#define REFMON_R_BIBA_READ_DOWN "Biba: no read down"
#define REFMON_R_BIBA_WRITE_UP "Biba: no write up"
#define REFMON_R_BIBA_RW "Biba: read-write needs the same integrity"
#define REFMON_R_NO_READ_SHARE "isolation: read-down shares not enabled"
#define REFMON_R_NO_WRITE_TRANSFER "isolation: write-up transfers not enabled"
#define REFMON_R_RW_CROSS "isolation: read-write needs the same label"
#define REFMON_R_INVALID_LABEL "invalid label"
#define REFMON_R_DEFAULT_DENY "default deny"
#define REFMON_R_AUDIT_FAILED "audit log write failed"
#define REFMON_R_MEDIA_ABOVE "media is above the VM: sanitize it first"
#define REFMON_R_MEDIA_FLOATS "media label floats up to the VM's"
#define REFMON_R_MEDIA_READ_DOWN "read-only media at a lower label"
#define REFMON_R_DIODE_UP "one-way diode to a label that may receive it"
#define REFMON_R_HOLD_BLP "held for review: BLP: no write down"
#define REFMON_R_HOLD_BIBA "held for review: Biba: no write up"
#define REFMON_R_HOLD_UNORDERED "held for review: no enabled rule orders the labels"

/* "read", "write", "read-write", "attach", "transfer" ("unknown" otherwise). */
const char *access_mode_name(enum access_mode mode);

/* Decides one access; subject and object are names for messages only. */
struct decision refmon_decide(const struct lattice *lat, const struct refmon_policy *pol,
			      const char *subject, const struct label *subj,
			      const char *object, const struct label *obj,
			      enum access_mode mode);

/*
 * refmon_decide, then one audit record when the labels differ or the
 * access is denied (same-label allows are the normal case and are not
 * logged).  Fails closed: if that record cannot be written (or log is
 * NULL), the access is denied with REFMON_R_AUDIT_FAILED and err
 * (AUDIT_ERRLEN bytes) says why.
 */
struct decision refmon_check(struct audit_log *log, const struct lattice *lat,
			     const struct refmon_policy *pol,
			     const char *subject, const struct label *subj,
			     const char *object, const struct label *obj,
			     enum access_mode mode, char *err);

/*
 * One audit record for decision d about subject -> object, whatever it
 * was (refmon_check writes one only when the labels differ or the access
 * is denied; channels between VMs are audited every time).  0, or -1
 * with err (AUDIT_ERRLEN bytes): the caller must then deny the access.
 * detail, when not NULL, is appended to the reason after ": ".
 */
int refmon_record(struct audit_log *log, const struct lattice *lat, const char *subject,
		  const struct label *subj, const char *object, const struct label *obj,
		  enum access_mode mode, struct decision d, const char *detail, char *err);

/*
 * A diode: a one-way link that carries data from a VM at label from to a
 * VM at label to, and nothing back.  Declaring a diode in the system file
 * is the site enabling that one transfer, so unlike a `transfer` access
 * it does not need write_up_transfers; the rules must still allow it: BLP
 * (if on) needs to's secrecy to dominate from's (no write down), Biba (if
 * on) needs from's integrity to dominate to's (no write up).  Equal labels
 * are allowed (REFMON_R_SAME_LABEL); with neither rule on, only those.
 * Allowed otherwise with REFMON_R_DIODE_UP.  Pure, like refmon_decide.
 */
struct decision refmon_decide_diode(const struct lattice *lat, const struct refmon_policy *pol,
				    const struct label *from, const struct label *to);

/*
 * Attaching a removable-media image whose current label is media to a VM
 * (label vm).  Allowed when the media's data may flow into the VM under
 * the enabled rules (BLP: the VM's secrecy dominates; Biba: the media's
 * integrity dominates the VM's; a part no enabled rule orders must be
 * equal; with neither rule on, only equal labels).  A read-write attach
 * to a VM at another label then FLOATS the media's label to the VM's
 * (*floats = true, *new_label = vm): from then on the media is at the
 * VM's label, and a lower VM is refused it until it is sanitized.  A
 * read-only attach never floats (nothing can be written to it).  Denied
 * otherwise: REFMON_R_MEDIA_ABOVE, or REFMON_R_INVALID_LABEL.
 *
 * The read_down_shares switch does not gate media: floating takes its
 * place.  Pure, like refmon_decide; the supervisor writes the record.
 */
struct decision refmon_decide_media(const struct lattice *lat, const struct refmon_policy *pol,
				    const struct label *vm, const struct label *media, bool read_only,
				    struct label *new_label, bool *floats);

/*
 * A file transfer from a VM at label src to a VM at label dst (issue #14,
 * docs/transfer.md).  Three outcomes:
 *   - DELIVER: every enabled rule lets the data flow (BLP: dst's secrecy
 *     dominates src's; Biba: src's integrity dominates dst's) and the
 *     policy enables write-up transfers ("policy write-up on").  The same
 *     label counts as dominating, so it needs the switch too: a site
 *     without it has no VM-to-VM transfers at all but reviewed ones.
 *   - REFUSE: the rules would let it flow but write-up is off
 *     (REFMON_R_NO_WRITE_TRANSFER), or a label is invalid.
 *   - HOLD: down or across (a rule forbids the flow, or with neither rule
 *     enabled nothing orders two different labels).  Never automatic: the
 *     transfer waits for a person to approve or deny it.
 * Pure; the supervisor writes the record, with the transfer's files.
 */
enum transfer_verdict { TRANSFER_DELIVER, TRANSFER_HOLD, TRANSFER_REFUSE };

struct transfer_decision {
	enum transfer_verdict verdict;
	const char *reason;
};

struct transfer_decision refmon_decide_transfer(const struct lattice *lat,
						const struct refmon_policy *pol,
						const struct label *src, const struct label *dst);
/* "deliver", "hold", "refuse". */
const char *transfer_verdict_name(enum transfer_verdict v);

#endif
