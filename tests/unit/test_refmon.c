/*
 * The reference monitor: each rule with an allowed and a denied case, the
 * isolation default, a sweep over every label pair, mode and policy that
 * checks the BLP and Biba guarantees hold whatever else is enabled, and
 * refmon_check's audit records (one per audited decision, none for a
 * same-label allow, and a denial when the record cannot be written).
 */
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "sec/refmon.h"

static struct lattice site;

static void make_site(void)
{
	char err[LABEL_ERRLEN];
	lattice_init(&site);
	lattice_add_level(&site, "UNCLASSIFIED", err);
	lattice_add_level(&site, "CONFIDENTIAL", err);
	lattice_add_level(&site, "SECRET", err);
	lattice_add_level(&site, "TOP_SECRET", err);
	lattice_add_category(&site, "NATO", err);
	lattice_add_category(&site, "CRYPTO", err);
	lattice_add_category(&site, "NUCLEAR", err);
	lattice_add_integrity(&site, "LOW", err);
	lattice_add_integrity(&site, "HIGH", err);
}

static struct label L(const char *s)
{
	struct label l = { 0, 0, 0 };
	char err[LABEL_ERRLEN];
	if (label_parse(&site, s, &l, err) < 0)
		t_fail(__FILE__, __LINE__, "%s", err);
	return l;
}

/* Decides subj → obj in mode under pol; checks outcome and reason. */
static void expect(const struct refmon_policy *pol, const char *subj, const char *obj,
		   enum access_mode mode, bool allow, const char *reason, int line)
{
	struct label s = L(subj), o = L(obj);
	struct decision d = refmon_decide(&site, pol, "vm", &s, "obj", &o, mode);
	if (d.allow != allow || !d.reason || strcmp(d.reason, reason) != 0)
		t_fail(__FILE__, line, "%s %s %s: got %s \"%s\", expected %s \"%s\"", subj,
		       access_mode_name(mode), obj, d.allow ? "allow" : "deny",
		       d.reason ? d.reason : "(null)", allow ? "allow" : "deny", reason);
}
#define EXPECT(pol, s, o, mode, allow, reason) expect(pol, s, o, mode, allow, reason, __LINE__)

static const struct refmon_policy blp_only = { .blp = true };
static const struct refmon_policy blp_shares = { .blp = true, .read_down_shares = true,
						  .write_up_transfers = true };
static const struct refmon_policy biba_shares = { .biba = true, .read_down_shares = true,
						   .write_up_transfers = true };
static const struct refmon_policy both_shares = { .blp = true, .biba = true,
						   .read_down_shares = true,
						   .write_up_transfers = true };
static const struct refmon_policy nothing = { 0 };

TEST(refmon_same_label_allows_every_mode)
{
	make_site();
	for (int m = ACCESS_READ; m <= ACCESS_TRANSFER; m++) {
		EXPECT(&blp_only, "SECRET:NATO/HIGH", "SECRET:NATO/HIGH", m, true, REFMON_R_SAME_LABEL);
		EXPECT(&both_shares, "UNCLASSIFIED", "UNCLASSIFIED", m, true, REFMON_R_SAME_LABEL);
		EXPECT(&nothing, "SECRET", "SECRET", m, true, REFMON_R_SAME_LABEL);
	}
}

TEST(refmon_blp_read)
{
	make_site();
	/* read down: allowed by BLP, but only as a share the policy enables */
	EXPECT(&blp_shares, "SECRET", "UNCLASSIFIED", ACCESS_READ, true, REFMON_R_READ_DOWN_SHARE);
	EXPECT(&blp_shares, "SECRET:NATO,CRYPTO", "CONFIDENTIAL:NATO", ACCESS_READ, true,
	       REFMON_R_READ_DOWN_SHARE);
	EXPECT(&blp_only, "SECRET", "UNCLASSIFIED", ACCESS_READ, false, REFMON_R_NO_READ_SHARE);
	/* read up, by level or by a missing category */
	EXPECT(&blp_shares, "UNCLASSIFIED", "SECRET", ACCESS_READ, false, REFMON_R_BLP_READ_UP);
	EXPECT(&blp_shares, "SECRET:NATO", "SECRET:CRYPTO", ACCESS_READ, false,
	       REFMON_R_BLP_READ_UP);
	EXPECT(&blp_shares, "TOP_SECRET", "CONFIDENTIAL:NATO", ACCESS_READ, false,
	       REFMON_R_BLP_READ_UP);
	/* with BLP off a read up is only stopped by the isolation default */
	EXPECT(&biba_shares, "UNCLASSIFIED", "SECRET", ACCESS_READ, true, REFMON_R_READ_DOWN_SHARE);
}

TEST(refmon_blp_write_and_transfer)
{
	const enum access_mode modes[] = { ACCESS_WRITE, ACCESS_TRANSFER };
	make_site();
	for (int i = 0; i < 2; i++) {
		enum access_mode m = modes[i];
		EXPECT(&blp_shares, "UNCLASSIFIED", "SECRET", m, true, REFMON_R_WRITE_UP_TRANSFER);
		EXPECT(&blp_shares, "SECRET:NATO", "TOP_SECRET:NATO,CRYPTO", m, true,
		       REFMON_R_WRITE_UP_TRANSFER);
		EXPECT(&blp_only, "UNCLASSIFIED", "SECRET", m, false, REFMON_R_NO_WRITE_TRANSFER);
		EXPECT(&blp_shares, "SECRET", "UNCLASSIFIED", m, false, REFMON_R_BLP_WRITE_DOWN);
		EXPECT(&blp_shares, "SECRET:NATO", "SECRET", m, false, REFMON_R_BLP_WRITE_DOWN);
		EXPECT(&blp_shares, "SECRET:NATO", "SECRET:CRYPTO", m, false,
		       REFMON_R_BLP_WRITE_DOWN);
	}
}

TEST(refmon_read_write_and_attach_need_one_label)
{
	make_site();
	for (int m = ACCESS_READ_WRITE; m <= ACCESS_ATTACH; m++) {
		EXPECT(&both_shares, "SECRET", "UNCLASSIFIED", m, false, REFMON_R_BLP_RW);
		EXPECT(&both_shares, "UNCLASSIFIED", "SECRET", m, false, REFMON_R_BLP_RW);
		EXPECT(&both_shares, "SECRET:NATO", "SECRET", m, false, REFMON_R_BLP_RW);
		EXPECT(&both_shares, "SECRET/HIGH", "SECRET/LOW", m, false, REFMON_R_BIBA_RW);
		EXPECT(&biba_shares, "SECRET/LOW", "SECRET/HIGH", m, false, REFMON_R_BIBA_RW);
		/* a difference no enabled rule looks at: still isolated */
		EXPECT(&blp_shares, "SECRET/HIGH", "SECRET/LOW", m, false, REFMON_R_RW_CROSS);
		EXPECT(&biba_shares, "SECRET/HIGH", "UNCLASSIFIED/HIGH", m, false,
		       REFMON_R_RW_CROSS);
		EXPECT(&blp_only, "SECRET:NATO/HIGH", "SECRET:NATO/HIGH", m, true,
		       REFMON_R_SAME_LABEL);
	}
}

TEST(refmon_biba)
{
	make_site();
	EXPECT(&biba_shares, "SECRET/HIGH", "SECRET/LOW", ACCESS_READ, false,
	       REFMON_R_BIBA_READ_DOWN);
	EXPECT(&biba_shares, "SECRET/LOW", "SECRET/HIGH", ACCESS_READ, true,
	       REFMON_R_READ_DOWN_SHARE);
	EXPECT(&biba_shares, "SECRET/LOW", "SECRET/HIGH", ACCESS_WRITE, false,
	       REFMON_R_BIBA_WRITE_UP);
	EXPECT(&biba_shares, "SECRET/LOW", "SECRET/HIGH", ACCESS_TRANSFER, false,
	       REFMON_R_BIBA_WRITE_UP);
	EXPECT(&biba_shares, "SECRET/HIGH", "SECRET/LOW", ACCESS_TRANSFER, true,
	       REFMON_R_WRITE_UP_TRANSFER);
	/* BLP alone ignores integrity: the read is a plain cross-label read */
	EXPECT(&blp_shares, "SECRET/HIGH", "SECRET/LOW", ACCESS_READ, true,
	       REFMON_R_READ_DOWN_SHARE);
}

TEST(refmon_both_rules_must_allow)
{
	make_site();
	/* BLP allows the read down, Biba forbids reading lower integrity */
	EXPECT(&both_shares, "SECRET/HIGH", "UNCLASSIFIED/LOW", ACCESS_READ, false,
	       REFMON_R_BIBA_READ_DOWN);
	EXPECT(&both_shares, "SECRET/LOW", "UNCLASSIFIED/HIGH", ACCESS_READ, true,
	       REFMON_R_READ_DOWN_SHARE);
	/* Biba allows the write down in integrity, BLP forbids it in secrecy */
	EXPECT(&both_shares, "SECRET/HIGH", "UNCLASSIFIED/LOW", ACCESS_WRITE, false,
	       REFMON_R_BLP_WRITE_DOWN);
	EXPECT(&both_shares, "UNCLASSIFIED/HIGH", "SECRET/LOW", ACCESS_WRITE, true,
	       REFMON_R_WRITE_UP_TRANSFER);
	EXPECT(&both_shares, "UNCLASSIFIED/LOW", "SECRET/HIGH", ACCESS_TRANSFER, false,
	       REFMON_R_BIBA_WRITE_UP);
}

TEST(refmon_default_deny)
{
	make_site();
	struct label s = L("SECRET"), bad = { .level = 9 }, badcat = { .cats = 1ull << 5 };
	struct decision d;

	EXPECT(&nothing, "SECRET", "UNCLASSIFIED", ACCESS_READ, false, REFMON_R_DEFAULT_DENY);
	EXPECT(&nothing, "UNCLASSIFIED", "SECRET", ACCESS_WRITE, false, REFMON_R_DEFAULT_DENY);
	struct refmon_policy shares_no_rules = { .read_down_shares = true,
						 .write_up_transfers = true };
	EXPECT(&shares_no_rules, "SECRET", "UNCLASSIFIED", ACCESS_READ, false,
	       REFMON_R_DEFAULT_DENY);
	d = refmon_decide(&site, &both_shares, "vm", &s, "obj", &s, (enum access_mode)99);
	CHECK(!d.allow);
	CHECK_STR(d.reason, REFMON_R_DEFAULT_DENY);
	d = refmon_decide(&site, &both_shares, "vm", &bad, "obj", &bad, ACCESS_READ);
	CHECK(!d.allow);
	CHECK_STR(d.reason, REFMON_R_INVALID_LABEL);
	d = refmon_decide(&site, &both_shares, "vm", &s, "obj", &badcat, ACCESS_READ);
	CHECK(!d.allow);
	CHECK_STR(d.reason, REFMON_R_INVALID_LABEL);
	CHECK_STR(access_mode_name((enum access_mode)99), "unknown");
	CHECK_STR(access_mode_name(ACCESS_READ_WRITE), "read-write");
}

/* Every label pair, mode and policy: the guarantees, stated independently. */
TEST(refmon_sweep_guarantees)
{
	make_site();
	int allowed_cross = 0;
	for (int p = 0; p < 16; p++) {
		struct refmon_policy pol = { p & 1, p >> 1 & 1, p >> 2 & 1, p >> 3 & 1 };
		for (int i = 0; i < 64; i++)
			for (int j = 0; j < 64; j++)
				for (int m = ACCESS_READ; m <= ACCESS_TRANSFER; m++) {
					struct label s = { i & 3, (i >> 2) & 7, i >> 5 };
					struct label o = { j & 3, (j >> 2) & 7, j >> 5 };
					struct decision d = refmon_decide(&site, &pol, "s", &s, "o", &o, m);
					bool reads = m != ACCESS_WRITE && m != ACCESS_TRANSFER;
					bool writes = m != ACCESS_READ;
					if (!d.allow || label_equal(&s, &o))
						continue;
					allowed_cross++;
					CHECK(pol.blp || pol.biba);
					CHECK(m == ACCESS_READ || m == ACCESS_WRITE || m == ACCESS_TRANSFER);
					if (pol.blp && reads)
						CHECK(label_secrecy_dominates(&s, &o));
					if (pol.blp && writes)
						CHECK(label_secrecy_dominates(&o, &s));
					if (pol.biba && reads)
						CHECK(label_integrity_dominates(&o, &s));
					if (pol.biba && writes)
						CHECK(label_integrity_dominates(&s, &o));
					if (reads)
						CHECK(pol.read_down_shares);
					if (writes)
						CHECK(pol.write_up_transfers);
				}
	}
	CHECK(allowed_cross > 0);
}

/* --- refmon_check and the audit log ---------------------------------------- */

static char *temp_log(void)
{
	static char path[64];
	int fd;
	snprintf(path, sizeof(path), "/tmp/cordon-refmon-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	return path;
}

/* Lines in the file, and the last one parsed (caller decrefs). */
static int count_records(const char *path, json_t **last)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	if (last)
		*last = NULL;
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		n++;
		if (last) {
			json_decref(*last);
			*last = json_loads(line, 0, NULL);
		}
	}
	free(line);
	fclose(f);
	return n;
}

static const char *field(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "(missing)";
}

TEST(refmon_check_audits_cross_label_and_denials)
{
	make_site();
	char *path = temp_log(), err[AUDIT_ERRLEN] = "";
	struct audit_log *log = audit_open(path, err);
	struct label s = L("SECRET:NATO/HIGH"), u = L("UNCLASSIFIED/HIGH");
	struct decision d;
	json_t *rec;

	CHECK(log != NULL);
	if (!log)
		return;
	/* same-label allow: not audited */
	d = refmon_check(log, &site, &blp_shares, "vm-s", &s, "disk-s", &s, ACCESS_ATTACH, err);
	CHECK(d.allow);
	CHECK_EQ(count_records(path, NULL), 0);

	/* cross-label allow: one record */
	d = refmon_check(log, &site, &blp_shares, "vm-s", &s, "disk-u", &u, ACCESS_READ, err);
	CHECK(d.allow);
	CHECK_EQ(count_records(path, &rec), 1);
	CHECK_STR(field(rec, "subject"), "vm-s");
	CHECK_STR(field(rec, "object"), "disk-u");
	CHECK_STR(field(rec, "subject_label"), "SECRET:NATO/HIGH");
	CHECK_STR(field(rec, "object_label"), "UNCLASSIFIED/HIGH");
	CHECK_STR(field(rec, "mode"), "read");
	CHECK_STR(field(rec, "decision"), "allow");
	CHECK_STR(field(rec, "reason"), REFMON_R_READ_DOWN_SHARE);
	json_decref(rec);

	/* denial: one more record */
	d = refmon_check(log, &site, &blp_shares, "vm-s", &s, "disk-u", &u, ACCESS_ATTACH, err);
	CHECK(!d.allow);
	CHECK_EQ(count_records(path, &rec), 2);
	CHECK_STR(field(rec, "mode"), "attach");
	CHECK_STR(field(rec, "decision"), "deny");
	CHECK_STR(field(rec, "reason"), REFMON_R_BLP_RW);
	json_decref(rec);

	/* a denial at the same label (invalid mode) is audited too */
	d = refmon_check(log, &site, &blp_shares, "vm-s", &s, "disk-s", &s, (enum access_mode)42,
			 err);
	CHECK(!d.allow);
	CHECK_EQ(count_records(path, &rec), 3);
	CHECK_STR(field(rec, "mode"), "unknown");
	CHECK_STR(field(rec, "reason"), REFMON_R_DEFAULT_DENY);
	json_decref(rec);

	/* and the chain is intact */
	struct audit_verify_result r;
	CHECK_EQ(audit_verify(path, &r, err), 0);
	CHECK_EQ(r.records, 3);
	audit_close(log);
	unlink(path);
}

TEST(refmon_check_fails_closed)
{
	make_site();
	char *path = temp_log(), err[AUDIT_ERRLEN] = "";
	struct audit_log *log = audit_open(path, err);
	struct label s = L("SECRET"), u = L("UNCLASSIFIED");
	struct decision d;

	CHECK(log != NULL);
	if (!log)
		return;
	/* no log: cross-label accesses are denied, same-label ones go on */
	d = refmon_check(NULL, &site, &blp_shares, "vm", &s, "disk", &u, ACCESS_READ, err);
	CHECK(!d.allow);
	CHECK_STR(d.reason, REFMON_R_AUDIT_FAILED);
	CHECK(strstr(err, "no audit log") != NULL);
	d = refmon_check(NULL, &site, &blp_shares, "vm", &s, "disk", &s, ACCESS_READ, err);
	CHECK(d.allow);
	/* a record that cannot be written (a name that is not UTF-8) */
	d = refmon_check(log, &site, &blp_shares, "vm\xff", &s, "disk", &u, ACCESS_READ, err);
	CHECK(!d.allow);
	CHECK_STR(d.reason, REFMON_R_AUDIT_FAILED);
	CHECK(strstr(err, "subject") != NULL);
	CHECK_EQ(count_records(path, NULL), 0);
	audit_close(log);
	unlink(path);
}

/* --- file transfers (refmon_decide_transfer): up with write-up on is
 * delivered, up with it off refused, down and across held for review. */

static void expect_transfer(const struct refmon_policy *pol, const char *src, const char *dst,
		   enum transfer_verdict v, const char *reason, int line)
{
	struct label a = L(src), b = L(dst);
	struct transfer_decision d = refmon_decide_transfer(&site, pol, &a, &b);
	if (d.verdict != v || strcmp(d.reason, reason) != 0)
		t_fail(__FILE__, line, "%s -> %s: %s \"%s\", expected %s \"%s\"", src, dst,
		       transfer_verdict_name(d.verdict), d.reason, transfer_verdict_name(v), reason);
}
#define EXPECT_T(pol, a, b, v, r) expect_transfer(pol, a, b, v, r, __LINE__)

TEST(refmon_transfer_up_down_across)
{
	make_site();
	struct refmon_policy up = { .blp = true, .write_up_transfers = true };
	struct refmon_policy off = { .blp = true };
	EXPECT_T(&up, "UNCLASSIFIED", "SECRET", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	EXPECT_T(&up, "SECRET", "SECRET:NATO", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	EXPECT_T(&up, "SECRET", "SECRET", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	EXPECT_T(&off, "UNCLASSIFIED", "SECRET", TRANSFER_REFUSE, REFMON_R_NO_WRITE_TRANSFER);
	EXPECT_T(&off, "SECRET", "SECRET", TRANSFER_REFUSE, REFMON_R_NO_WRITE_TRANSFER);
	/* Down and across are held whatever the write-up switch says. */
	EXPECT_T(&up, "SECRET", "UNCLASSIFIED", TRANSFER_HOLD, REFMON_R_HOLD_BLP);
	EXPECT_T(&off, "SECRET", "UNCLASSIFIED", TRANSFER_HOLD, REFMON_R_HOLD_BLP);
	EXPECT_T(&up, "SECRET:NATO", "SECRET:CRYPTO", TRANSFER_HOLD, REFMON_R_HOLD_BLP);
	EXPECT_T(&up, "SECRET:NATO", "TOP_SECRET", TRANSFER_HOLD, REFMON_R_HOLD_BLP);
	/* Biba: a LOW source may not write up into a HIGH target. */
	struct refmon_policy both = { .blp = true, .biba = true, .write_up_transfers = true };
	EXPECT_T(&both, "UNCLASSIFIED/LOW", "SECRET/HIGH", TRANSFER_HOLD, REFMON_R_HOLD_BIBA);
	EXPECT_T(&both, "UNCLASSIFIED/HIGH", "SECRET/LOW", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	EXPECT_T(&up, "UNCLASSIFIED/LOW", "SECRET/HIGH", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	/* Nothing orders two labels: held; one label: the switch decides. */
	struct refmon_policy none = { .write_up_transfers = true };
	EXPECT_T(&none, "UNCLASSIFIED", "SECRET", TRANSFER_HOLD, REFMON_R_HOLD_UNORDERED);
	EXPECT_T(&none, "SECRET", "SECRET", TRANSFER_DELIVER, REFMON_R_WRITE_UP_TRANSFER);
	/* An invalid label is refused. */
	struct label good = L("SECRET"), bad = good;
	bad.level = 9;
	CHECK_EQ(refmon_decide_transfer(&site, &up, &bad, &good).verdict, TRANSFER_REFUSE);
	CHECK_EQ(refmon_decide_transfer(&site, &up, &good, &bad).verdict, TRANSFER_REFUSE);
	CHECK_STR(refmon_decide_transfer(&site, &up, &good, &bad).reason, REFMON_R_INVALID_LABEL);
}

/* Every pair of the site's 4 x 8 x 2 = 64 labels under all 8 policies. */
TEST(refmon_transfer_sweep)
{
	make_site();
	struct label all[64];
	unsigned n = 0;
	for (unsigned lv = 0; lv < 4; lv++)
		for (uint64_t cats = 0; cats < 8; cats++)
			for (unsigned in = 0; in < 2; in++)
				all[n++] = (struct label){ .level = lv, .cats = cats, .integrity = in };
	for (unsigned p = 0; p < 8; p++) {
		struct refmon_policy pol = { .blp = p & 1, .biba = p & 2, .write_up_transfers = p & 4 };
		for (unsigned i = 0; i < n; i++) {
			for (unsigned j = 0; j < n; j++) {
				const struct label *a = &all[i], *b = &all[j];
				struct transfer_decision d = refmon_decide_transfer(&site, &pol, a, b);
				bool same = label_equal(a, b);
				if (d.verdict == TRANSFER_DELIVER) {
					CHECK(pol.write_up_transfers);
					CHECK(!pol.blp || label_secrecy_dominates(b, a));
					CHECK(!pol.biba || label_integrity_dominates(a, b));
					CHECK(same || pol.blp || pol.biba);
				}
				if (d.verdict == TRANSFER_REFUSE)
					CHECK(!pol.write_up_transfers);
				if (same)
					CHECK(d.verdict != TRANSFER_HOLD);
				/* Cross-label: deliver exactly when the transfer mode is allowed. */
				struct decision r = refmon_decide(&site, &pol, "a", a, "b", b, ACCESS_TRANSFER);
				if (!same)
					CHECK_EQ(d.verdict == TRANSFER_DELIVER, r.allow);
			}
		}
	}
}
