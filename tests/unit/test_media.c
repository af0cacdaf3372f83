/*
 * Removable media: refmon_decide_media (allowed, floating, read-only,
 * denied above, incomparable, Biba, no rules, invalid labels), the label
 * record next to the image (round trip, lub with the declared label,
 * malformed records fail closed, no temporary left behind) and
 * media_sanitize (zeros, size kept, refused while locked, bad paths).
 */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sec/media.h"
#include "sec/refmon.h"

static struct lattice site;

static void make_site(void)
{
	char err[LABEL_ERRLEN];
	lattice_init(&site);
	lattice_add_level(&site, "UNCLASSIFIED", err);
	lattice_add_level(&site, "SECRET", err);
	lattice_add_category(&site, "NATO", err);
	lattice_add_category(&site, "CRYPTO", err);
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

static const struct refmon_policy blp = { .blp = true };
static const struct refmon_policy blp_biba = { .blp = true, .biba = true };
static const struct refmon_policy biba_only = { .biba = true };
/* Every sharing switch on: media must not care. */
static const struct refmon_policy blp_shares = { .blp = true, .read_down_shares = true,
						 .write_up_transfers = true };
static const struct refmon_policy none = { 0 };

/* Decides media -> vm; checks the outcome, the reason and the float. */
static void expect(const struct refmon_policy *pol, const char *vm, const char *media, bool ro,
		   bool allow, const char *reason, const char *floats_to, int line)
{
	struct label v = L(vm), m = L(media), out;
	bool floats = true;
	struct decision d = refmon_decide_media(&site, pol, &v, &m, ro, &out, &floats);
	char have[LABEL_TEXT_MAX] = "";
	label_format(&site, &out, have, sizeof(have));
	if (d.allow != allow || strcmp(d.reason, reason) != 0 || floats != (floats_to != NULL) ||
	    (floats_to && strcmp(have, floats_to) != 0) || (!floats && !label_equal(&out, &m)))
		t_fail(__FILE__, line, "%s <- %s%s: got %s \"%s\" floats=%d (%s)", vm, media,
		       ro ? " ro" : "", d.allow ? "allow" : "deny", d.reason, floats, have);
}
#define EXPECT(pol, vm, media, ro, allow, reason, to) \
	expect(pol, vm, media, ro, allow, reason, to, __LINE__)

TEST(media_decision_floats_up_on_read_write)
{
	make_site();
	EXPECT(&blp, "SECRET/LOW", "SECRET/LOW", false, true, REFMON_R_SAME_LABEL, NULL);
	EXPECT(&blp, "SECRET:NATO/LOW", "UNCLASSIFIED/LOW", false, true, REFMON_R_MEDIA_FLOATS,
	       "SECRET:NATO/LOW");
	EXPECT(&blp, "SECRET:NATO/LOW", "SECRET/LOW", false, true, REFMON_R_MEDIA_FLOATS,
	       "SECRET:NATO/LOW");
	/* Read-only: nothing can be written, so the label stays. */
	EXPECT(&blp, "SECRET/LOW", "UNCLASSIFIED/LOW", true, true, REFMON_R_MEDIA_READ_DOWN, NULL);
}

TEST(media_decision_denies_media_above_the_vm)
{
	make_site();
	EXPECT(&blp, "UNCLASSIFIED/LOW", "SECRET/LOW", false, false, REFMON_R_MEDIA_ABOVE, NULL);
	EXPECT(&blp, "UNCLASSIFIED/LOW", "SECRET/LOW", true, false, REFMON_R_MEDIA_ABOVE, NULL);
	/* Incomparable categories: neither way. */
	EXPECT(&blp, "SECRET:CRYPTO/LOW", "SECRET:NATO/LOW", false, false, REFMON_R_MEDIA_ABOVE, NULL);
	EXPECT(&blp, "SECRET:NATO/LOW", "SECRET:CRYPTO/LOW", true, false, REFMON_R_MEDIA_ABOVE, NULL);
	/* Biba off: integrity is not ordered, so it must match (no laundering). */
	EXPECT(&blp, "SECRET/HIGH", "UNCLASSIFIED/LOW", false, false, REFMON_R_MEDIA_ABOVE, NULL);
}

TEST(media_decision_biba_floats_integrity_down)
{
	make_site();
	/* LOW media into a HIGH VM would be a read down. */
	EXPECT(&blp_biba, "SECRET/HIGH", "UNCLASSIFIED/LOW", false, false, REFMON_R_MEDIA_ABOVE, NULL);
	/* HIGH media into a LOW VM: allowed, and it is LOW from then on. */
	EXPECT(&blp_biba, "SECRET/LOW", "UNCLASSIFIED/HIGH", false, true, REFMON_R_MEDIA_FLOATS,
	       "SECRET/LOW");
	EXPECT(&blp_biba, "SECRET/LOW", "UNCLASSIFIED/HIGH", true, true, REFMON_R_MEDIA_READ_DOWN,
	       NULL);
	/* Biba alone: integrity floats down, secrecy (unordered) must match. */
	EXPECT(&biba_only, "SECRET/LOW", "SECRET/HIGH", false, true, REFMON_R_MEDIA_FLOATS,
	       "SECRET/LOW");
	EXPECT(&biba_only, "SECRET/LOW", "UNCLASSIFIED/HIGH", false, false, REFMON_R_MEDIA_ABOVE,
	       NULL);
}

TEST(media_decision_ignores_sharing_switches)
{
	make_site();
	/* read_down_shares does not gate media (floating takes its place)... */
	EXPECT(&blp_shares, "SECRET/LOW", "UNCLASSIFIED/LOW", false, true, REFMON_R_MEDIA_FLOATS,
	       "SECRET/LOW");
	/* ...and no switch lets media above the VM in. */
	EXPECT(&blp_shares, "UNCLASSIFIED/LOW", "SECRET/LOW", true, false, REFMON_R_MEDIA_ABOVE,
	       NULL);
}

TEST(media_decision_no_rules_and_invalid_labels)
{
	make_site();
	EXPECT(&none, "SECRET/LOW", "SECRET/LOW", false, true, REFMON_R_SAME_LABEL, NULL);
	EXPECT(&none, "SECRET/LOW", "UNCLASSIFIED/LOW", true, false, REFMON_R_MEDIA_ABOVE, NULL);
	EXPECT(&none, "SECRET/LOW", "UNCLASSIFIED/LOW", false, false, REFMON_R_MEDIA_ABOVE, NULL);
	EXPECT(&none, "SECRET/LOW", "SECRET/HIGH", false, false, REFMON_R_MEDIA_ABOVE, NULL);
	struct label v = L("SECRET/LOW"), bad = { .level = 9 }, out;
	bool floats;
	struct decision d = refmon_decide_media(&site, &blp, &v, &bad, false, &out, &floats);
	CHECK(!d.allow && !floats);
	CHECK_STR(d.reason, REFMON_R_INVALID_LABEL);
	d = refmon_decide_media(&site, &blp, &bad, &v, false, &out, &floats);
	CHECK(!d.allow && !floats);
	CHECK_STR(d.reason, REFMON_R_INVALID_LABEL);
	struct label bad_cat = { .level = 1, .cats = 1ull << 5 };
	d = refmon_decide_media(&site, &blp, &v, &bad_cat, false, &out, &floats);
	CHECK(!d.allow && !floats);
}

/* --- the label record ------------------------------------------------------- */

static char image[64];

static void make_image(const void *data, size_t len)
{
	strcpy(image, "/tmp/cordon-media.XXXXXX");
	int fd = mkstemp(image);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		t_fail(__FILE__, __LINE__, "cannot make %s", image);
	close(fd);
}

static void write_record(const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s.label", image);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0)
		t_fail(__FILE__, __LINE__, "cannot write %s", path);
	if (f)
		fclose(f);
}

static void remove_image(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s.label", image);
	unlink(path);
	unlink(image);
}

TEST(media_record_round_trip_and_lub)
{
	char err[MEDIA_ERRLEN] = "", text[LABEL_TEXT_MAX];
	struct label declared, cur;
	bool had = true;
	make_site();
	make_image("x", 1);
	declared = L("UNCLASSIFIED/LOW");
	CHECK(media_label_load(&site, image, &declared, &cur, &had, err) == 0);
	CHECK(!had && label_equal(&cur, &declared));
	struct label high = L("SECRET:NATO/LOW");
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s.label.tmp", image);
	FILE *stale = fopen(tmp, "w"); /* left by a crash mid-store */
	CHECK(stale != NULL);
	if (stale)
		fclose(stale);
	CHECK(media_label_store(&site, image, &high, err) == 0);
	CHECK(media_label_load(&site, image, &declared, &cur, &had, err) == 0);
	label_format(&site, &cur, text, sizeof(text));
	CHECK(had);
	CHECK_STR(text, "SECRET:NATO/LOW");
	/* The record is the canonical line, and no temporary is left behind. */
	char rec[128], line[64] = "";
	snprintf(rec, sizeof(rec), "%s.label", image);
	int fd = open(rec, O_RDONLY);
	CHECK(fd >= 0 && read(fd, line, sizeof(line) - 1) > 0);
	close(fd);
	CHECK_STR(line, "SECRET:NATO/LOW\n");
	struct stat st;
	CHECK(stat(rec, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(access(tmp, F_OK) != 0);
	/* A record below the declared label cannot lower it. */
	write_record("UNCLASSIFIED/LOW\n");
	declared = L("SECRET/LOW");
	CHECK(media_label_load(&site, image, &declared, &cur, &had, err) == 0);
	CHECK(label_equal(&cur, &declared));
	/* Categories combine: the lub. */
	write_record("SECRET:CRYPTO/LOW\n");
	declared = L("SECRET:NATO/LOW");
	CHECK(media_label_load(&site, image, &declared, &cur, &had, err) == 0);
	label_format(&site, &cur, text, sizeof(text));
	CHECK_STR(text, "SECRET:NATO,CRYPTO/LOW");
	remove_image();
}

TEST(media_record_malformed_fails_closed)
{
	static char too_long[LABEL_TEXT_MAX + 16];
	memset(too_long, 'A', sizeof(too_long) - 2);
	too_long[sizeof(too_long) - 2] = '\n';
	const char *const bad[] = { "", "\n", "SECRT/LOW\n", "SECRET/LOW",
				    "SECRET/LOW\nSECRET/LOW\n", "SECRET:COSMIC/LOW\n",
				    "SECRET/MEDIUM\n", "\x01\xff\xfe garbage\n", " SECRET/LOW\n",
				    too_long };
	char err[MEDIA_ERRLEN];
	struct label declared, cur;
	bool had;
	make_site();
	make_image("x", 1);
	declared = L("UNCLASSIFIED/LOW");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_record(bad[i]);
		err[0] = '\0';
		if (media_label_load(&site, image, &declared, &cur, &had, err) != -1 ||
		    !strstr(err, ".label"))
			t_fail(__FILE__, __LINE__, "record \"%.40s\" accepted (err \"%s\")", bad[i],
			       err);
	}
	/* A record that is not a file at all. */
	char rec[128];
	snprintf(rec, sizeof(rec), "%s.label", image);
	unlink(rec);
	CHECK(mkdir(rec, 0700) == 0);
	CHECK(media_label_load(&site, image, &declared, &cur, &had, err) == -1);
	CHECK(strstr(err, ".label") != NULL);
	rmdir(rec);
	remove_image();
}

TEST(media_record_rejects_invalid_labels)
{
	char err[MEDIA_ERRLEN] = "";
	struct label bad = { .level = 7 }, cur;
	bool had;
	make_site();
	make_image("x", 1);
	CHECK(media_label_load(&site, image, &bad, &cur, &had, err) == -1);
	CHECK(media_label_store(&site, image, &bad, err) == -1);
	CHECK(strstr(err, image) != NULL);
	char rec[128];
	snprintf(rec, sizeof(rec), "%s.label", image);
	CHECK(access(rec, F_OK) != 0); /* nothing written */
	/* A record in a directory that does not exist: the error names it. */
	struct label ok = L("SECRET/LOW");
	CHECK(media_label_store(&site, "/nonexistent/floppy.img", &ok, err) == -1);
	CHECK(strstr(err, "/nonexistent/floppy.img.label") != NULL);
	remove_image();
}

/* --- sanitizing ---------------------------------------------------------------- */

TEST(media_sanitize_zero_fills_in_place)
{
	static uint8_t data[3 << 20];
	char err[MEDIA_ERRLEN] = "";
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	make_image(data, sizeof(data) - 5); /* not a whole number of chunks */
	CHECK(media_sanitize(image, err) == 0);
	CHECK_STR(err, "");
	struct stat st;
	CHECK(stat(image, &st) == 0 && st.st_size == (off_t)sizeof(data) - 5);
	int fd = open(image, O_RDONLY);
	ssize_t n = read(fd, data, sizeof(data));
	close(fd);
	CHECK_EQ(n, sizeof(data) - 5);
	size_t nonzero = 0;
	for (ssize_t i = 0; i < n; i++)
		nonzero += data[i] != 0;
	CHECK_EQ(nonzero, 0);
	remove_image();
}

TEST(media_sanitize_refuses_locked_missing_and_directories)
{
	char err[MEDIA_ERRLEN] = "";
	make_image("secret", 6);
	/* A VM's read-write attach: host_disk_open's exclusive lock, held by
	 * another open file description of the same image. */
	int fd = open(image, O_RDWR);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(media_sanitize(image, err) == -1);
	CHECK(strstr(err, "in use by a running VM") != NULL);
	CHECK(strstr(err, image) != NULL);
	close(fd);
	/* A shared lock refuses it too. */
	fd = open(image, O_RDONLY);
	CHECK(flock(fd, LOCK_SH) == 0);
	CHECK(media_sanitize(image, err) == -1);
	CHECK(strstr(err, "in use by a running VM") != NULL);
	close(fd);
	char buf[8] = "";
	fd = open(image, O_RDONLY);
	CHECK(read(fd, buf, 6) == 6 && memcmp(buf, "secret", 6) == 0); /* untouched */
	close(fd);
	remove_image();
	CHECK(media_sanitize("/nonexistent/floppy.img", err) == -1);
	CHECK(strstr(err, "/nonexistent/floppy.img") != NULL);
	CHECK(media_sanitize("/tmp", err) == -1);
	CHECK(strstr(err, "/tmp") != NULL);
	/* Sanitizing never creates the image. */
	CHECK(media_sanitize("/tmp/cordon-media-absent.img", err) == -1);
	CHECK(access("/tmp/cordon-media-absent.img", F_OK) != 0);
}
