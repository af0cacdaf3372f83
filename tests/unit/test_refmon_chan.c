/*
 * The reference monitor's decisions about channels between VMs: a net join
 * is a read-write access at one label (refmon_decide), a diode has its own
 * rule (refmon_decide_diode), and refmon_record audits every channel
 * decision, same-label allows included.
 */
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "sec/refmon.h"

static struct lattice chan_site;

/* UNCLASSIFIED < SECRET, categories A B, integrity LOW < HIGH. */
static void chan_make_site(void)
{
	char err[LABEL_ERRLEN];
	lattice_init(&chan_site);
	lattice_add_level(&chan_site, "UNCLASSIFIED", err);
	lattice_add_level(&chan_site, "SECRET", err);
	lattice_add_category(&chan_site, "A", err);
	lattice_add_category(&chan_site, "B", err);
	lattice_add_integrity(&chan_site, "LOW", err);
	lattice_add_integrity(&chan_site, "HIGH", err);
}

static struct label lab(const char *text)
{
	struct label l = { 0, 0, 0 };
	char err[LABEL_ERRLEN];
	if (label_parse(&chan_site, text, &l, err) < 0)
		t_fail(__FILE__, __LINE__, "%s", err);
	return l;
}

static void expect_diode(const struct refmon_policy *pol, const char *from, const char *to,
			 bool allow, const char *reason, int line)
{
	struct label f = lab(from), t = lab(to);
	struct decision d = refmon_decide_diode(&chan_site, pol, &f, &t);
	if (d.allow != allow || strcmp(d.reason, reason) != 0)
		t_fail(__FILE__, line, "diode %s -> %s: got %s \"%s\", expected %s \"%s\"", from, to,
		       d.allow ? "allow" : "deny", d.reason, allow ? "allow" : "deny", reason);
}
#define DIODE(pol, from, to, allow, reason) expect_diode(pol, from, to, allow, reason, __LINE__)

static const struct refmon_policy blp = { .blp = true };
static const struct refmon_policy blp_biba = { .blp = true, .biba = true };
static const struct refmon_policy none = { 0 };

TEST(refmon_diode_up_allowed_down_denied)
{
	chan_make_site();
	DIODE(&blp, "UNCLASSIFIED", "SECRET", true, REFMON_R_DIODE_UP);
	DIODE(&blp, "UNCLASSIFIED", "SECRET:A,B", true, REFMON_R_DIODE_UP);
	DIODE(&blp, "SECRET:A", "SECRET:A,B", true, REFMON_R_DIODE_UP);
	DIODE(&blp, "SECRET", "UNCLASSIFIED", false, REFMON_R_BLP_WRITE_DOWN);
	DIODE(&blp, "SECRET:A", "SECRET:B", false, REFMON_R_BLP_WRITE_DOWN); /* incomparable */
	DIODE(&blp, "SECRET:A,B", "SECRET:A", false, REFMON_R_BLP_WRITE_DOWN);
	/* Equal labels: always, even with no rule on. */
	DIODE(&blp, "SECRET:A", "SECRET:A", true, REFMON_R_SAME_LABEL);
	DIODE(&none, "SECRET", "SECRET", true, REFMON_R_SAME_LABEL);
	DIODE(&none, "UNCLASSIFIED", "SECRET", false, REFMON_R_DEFAULT_DENY);
}

TEST(refmon_diode_needs_no_write_up_switch)
{
	chan_make_site();
	struct label u = lab("UNCLASSIFIED"), s = lab("SECRET");
	/* A transfer access at another label needs write_up_transfers ... */
	CHECK(!refmon_decide(&chan_site, &blp, "u", &u, "s", &s, ACCESS_TRANSFER).allow);
	/* ... a declared diode is that enabling, for its one link. */
	CHECK(refmon_decide_diode(&chan_site, &blp, &u, &s).allow);
}

TEST(refmon_diode_biba)
{
	chan_make_site();
	/* With Biba on, the sender's integrity must dominate the receiver's. */
	DIODE(&blp_biba, "UNCLASSIFIED/HIGH", "SECRET/LOW", true, REFMON_R_DIODE_UP);
	DIODE(&blp_biba, "UNCLASSIFIED/HIGH", "SECRET/HIGH", true, REFMON_R_DIODE_UP);
	DIODE(&blp_biba, "UNCLASSIFIED/LOW", "SECRET/HIGH", false, REFMON_R_BIBA_WRITE_UP);
	DIODE(&blp_biba, "SECRET/HIGH", "UNCLASSIFIED/LOW", false, REFMON_R_BLP_WRITE_DOWN);
	/* With Biba off, integrity is not looked at. */
	DIODE(&blp, "UNCLASSIFIED/LOW", "SECRET/HIGH", true, REFMON_R_DIODE_UP);
	DIODE(&blp, "SECRET/LOW", "SECRET/HIGH", true, REFMON_R_DIODE_UP);
}

/* Every allowed diode between different labels keeps each enabled rule,
 * over every label pair and rule combination. */
TEST(refmon_diode_sweep)
{
	chan_make_site();
	int allowed = 0;
	for (int p = 0; p < 4; p++) {
		struct refmon_policy pol = { .blp = p & 1, .biba = p >> 1 };
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 16; j++) {
				struct label f = { i & 1, (i >> 1) & 3, i >> 3 };
				struct label t = { j & 1, (j >> 1) & 3, j >> 3 };
				struct decision d = refmon_decide_diode(&chan_site, &pol, &f, &t);
				if (!d.allow || label_equal(&f, &t))
					continue;
				allowed++;
				CHECK(pol.blp || pol.biba);
				if (pol.blp)
					CHECK(label_secrecy_dominates(&t, &f));
				if (pol.biba)
					CHECK(label_integrity_dominates(&f, &t));
			}
	}
	CHECK(allowed > 0);
}

TEST(refmon_diode_invalid_label_denied)
{
	chan_make_site();
	struct label ok = lab("SECRET"), bad = { 7, 0, 0 };
	CHECK_STR(refmon_decide_diode(&chan_site, &blp, &ok, &bad).reason, REFMON_R_INVALID_LABEL);
	CHECK_STR(refmon_decide_diode(&chan_site, &blp, &bad, &ok).reason, REFMON_R_INVALID_LABEL);
	CHECK(!refmon_decide_diode(&chan_site, &blp, &bad, &bad).allow);
}

/* A net join is read-write at one label: only the net's own. */
TEST(refmon_net_join_needs_the_nets_label)
{
	chan_make_site();
	struct label s = lab("SECRET:A"), s2 = lab("SECRET:A,B"), u = lab("UNCLASSIFIED");
	struct refmon_policy shares = { .blp = true, .biba = true, .read_down_shares = true,
					.write_up_transfers = true };
	CHECK(refmon_decide(&chan_site, &shares, "vm", &s, "net", &s, ACCESS_READ_WRITE).allow);
	CHECK(!refmon_decide(&chan_site, &shares, "vm", &u, "net", &s, ACCESS_READ_WRITE).allow);
	CHECK(!refmon_decide(&chan_site, &shares, "vm", &s2, "net", &s, ACCESS_READ_WRITE).allow);
	CHECK(!refmon_decide(&chan_site, &shares, "vm", &s, "net", &s2, ACCESS_READ_WRITE).allow);
}

static int read_records(const char *path, json_t **recs, int max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0 && n < max)
		recs[n++] = json_loads(line, 0, NULL);
	free(line);
	fclose(f);
	return n;
}

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "(missing)";
}

TEST(refmon_record_audits_every_decision)
{
	chan_make_site();
	char path[] = "/tmp/cordon-refmon-chan-XXXXXX", err[AUDIT_ERRLEN] = "";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	struct audit_log *log = audit_open(path, err);
	struct label s = lab("SECRET"), u = lab("UNCLASSIFIED");
	CHECK(log != NULL);
	if (!log)
		return;
	struct decision same = refmon_decide(&chan_site, &blp, "a", &s, "net:lan", &s, ACCESS_READ_WRITE);
	struct decision down = refmon_decide_diode(&chan_site, &blp, &s, &u);
	CHECK_EQ(refmon_record(log, &chan_site, "a", &s, "net:lan", &s, ACCESS_READ_WRITE, same, NULL, err), 0);
	CHECK_EQ(refmon_record(log, &chan_site, "a", &s, "diode:d", &u, ACCESS_TRANSFER, down, "to vm b", err), 0);
	/* No log: the caller is told, and must deny. */
	CHECK_EQ(refmon_record(NULL, &chan_site, "a", &s, "net:lan", &s, ACCESS_READ_WRITE, same, NULL, err), -1);
	CHECK(strstr(err, "no audit log") != NULL);
	audit_close(log);

	json_t *recs[4] = { 0 };
	CHECK_EQ(read_records(path, recs, 4), 2);
	CHECK_STR(str(recs[0], "object"), "net:lan");
	CHECK_STR(str(recs[0], "mode"), "read-write");
	CHECK_STR(str(recs[0], "decision"), "allow");
	CHECK_STR(str(recs[0], "reason"), REFMON_R_SAME_LABEL);
	CHECK_STR(str(recs[1], "subject_label"), "SECRET/LOW");
	CHECK_STR(str(recs[1], "object_label"), "UNCLASSIFIED/LOW");
	CHECK_STR(str(recs[1], "mode"), "transfer");
	CHECK_STR(str(recs[1], "decision"), "deny");
	CHECK_STR(str(recs[1], "reason"), REFMON_R_BLP_WRITE_DOWN ": to vm b");
	for (int i = 0; i < 4; i++)
		json_decref(recs[i]);
	struct audit_verify_result r;
	CHECK_EQ(audit_verify(path, &r, err), 0);
	CHECK_EQ(r.records, 2);
	unlink(path);
}
