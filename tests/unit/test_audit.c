/*
 * The hash-chained audit log: writing, reopening, and every kind of
 * tampering audit_verify must catch, each at the line it names.
 */
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sec/audit.h"

#define NREC 9 /* one-digit seqs, so tests can edit them in place */

static char *temp_path(void)
{
	static char path[64];
	int fd;
	snprintf(path, sizeof(path), "/tmp/cordon-audit-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	return path;
}

/* Appends records first..last to the log at path (opened and closed here). */
static void write_records(const char *path, int first, int last)
{
	char err[AUDIT_ERRLEN] = "", subj[32], reason[32];
	struct audit_log *log = audit_open(path, err);
	if (!log) {
		t_fail(__FILE__, __LINE__, "audit_open: %s", err);
		return;
	}
	for (int i = first; i <= last; i++) {
		snprintf(subj, sizeof(subj), "vm-%d", i);
		snprintf(reason, sizeof(reason), "reason %d", i);
		struct audit_event ev = { subj, "disk-a", "SECRET/HIGH", "UNCLASSIFIED/LOW",
					  "read", i % 2 ? "allow" : "deny", reason };
		if (audit_append(log, &ev, err) < 0)
			t_fail(__FILE__, __LINE__, "audit_append %d: %s", i, err);
	}
	audit_close(log);
}

/* The log as lines (newlines kept); returns how many. */
static int load_lines(const char *path, char lines[][1024], int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;
	if (!f)
		return -1;
	while (n < max && fgets(lines[n], 1024, f))
		n++;
	fclose(f);
	return n;
}

static void save_lines(const char *path, char lines[][1024], int n)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < n; i++)
		fputs(lines[i], f);
	fclose(f);
}

/* audit_verify finds a problem at line want_line, described with want. */
static void expect_problem(const char *path, uint64_t want_line, const char *want, int line)
{
	struct audit_verify_result r;
	char err[AUDIT_ERRLEN] = "";
	int rc = audit_verify(path, &r, err);
	if (rc != 1)
		t_fail(__FILE__, line, "audit_verify returned %d (%s), expected 1", rc, err);
	else if (r.bad_line != want_line || !strstr(r.problem, want))
		t_fail(__FILE__, line, "problem \"%s\" (line %llu), expected line %llu and \"%s\"",
		       r.problem, (unsigned long long)r.bad_line, (unsigned long long)want_line,
		       want);
	else if (r.records != want_line - 1)
		t_fail(__FILE__, line, "%llu intact records before line %llu",
		       (unsigned long long)r.records, (unsigned long long)want_line);
}
#define EXPECT_PROBLEM(path, l, want) expect_problem(path, l, want, __LINE__)

static void expect_intact(const char *path, uint64_t records, int line)
{
	struct audit_verify_result r;
	char err[AUDIT_ERRLEN] = "";
	int rc = audit_verify(path, &r, err);
	if (rc != 0 || r.records != records || r.bad_line != 0)
		t_fail(__FILE__, line, "audit_verify: rc %d, %llu records, \"%s%s\"; expected %llu",
		       rc, (unsigned long long)r.records, r.problem, err,
		       (unsigned long long)records);
}
#define EXPECT_INTACT(path, n) expect_intact(path, n, __LINE__)

TEST(audit_append_and_verify)
{
	char *path = temp_path(), lines[NREC][1024];
	struct stat st;

	write_records(path, 1, NREC);
	EXPECT_INTACT(path, NREC);
	CHECK_EQ(load_lines(path, lines, NREC), NREC);
	CHECK(strncmp(lines[0], "{\"seq\":1,\"time\":\"", 17) == 0);
	CHECK(strstr(lines[0], "\"prev\":\"00000000000000000000000000000000"
			       "00000000000000000000000000000000\"}\n"));
	/* keys in the documented order; time is UTC with milliseconds */
	const char *t = lines[1] + strlen("{\"seq\":2,\"time\":\"");
	CHECK(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z' && t[24] == '"');
	CHECK(strstr(lines[1], "\",\"subject\":\"vm-2\",\"object\":\"disk-a\",\"subject_label\":"
			       "\"SECRET/HIGH\",\"object_label\":\"UNCLASSIFIED/LOW\",\"mode\":"
			       "\"read\",\"decision\":\"deny\",\"reason\":\"reason 2\",\"prev\":\""));
	CHECK_EQ(stat(path, &st), 0);
	unlink(path);

	/* created by audit_open itself: mode 0600 */
	write_records(path, 1, 1);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	EXPECT_INTACT(path, 1);
	unlink(path);
}

TEST(audit_reopen_continues_chain)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "", hash[AUDIT_HASH_HEX];
	struct audit_verify_result r;
	uint64_t seq = 99;

	write_records(path, 1, 3);
	struct audit_log *log = audit_open(path, err);
	CHECK(log != NULL);
	if (!log)
		return;
	audit_head(log, &seq, hash);
	CHECK_EQ(seq, 3);
	CHECK_EQ(audit_verify(path, &r, err), 0);
	CHECK_STR(hash, r.last_hash);
	/* the supervisor is the only writer */
	CHECK(audit_open(path, err) == NULL);
	CHECK(strstr(err, "already open") != NULL);
	audit_close(log);
	write_records(path, 4, 7);
	EXPECT_INTACT(path, 7);
	unlink(path);
}

TEST(audit_empty_and_missing)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "";
	struct audit_verify_result r;

	EXPECT_INTACT(path, 0); /* mkstemp made it empty */
	CHECK_EQ(audit_verify(path, &r, err), 0);
	CHECK_STR(r.last_hash, "00000000000000000000000000000000"
			       "00000000000000000000000000000000");
	unlink(path);
	CHECK_EQ(audit_verify(path, &r, err), -1);
	CHECK(strstr(err, path) != NULL);
}

TEST(audit_edited_byte_detected)
{
	char *path = temp_path(), lines[NREC][1024], *p;

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	/* "vm-5" -> "vm-X": still valid JSON, so the next record's prev catches it */
	p = strstr(lines[4], "vm-5");
	CHECK(p != NULL);
	if (!p)
		return;
	p[3] = 'X';
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, 6,
		       "line 6: prev does not match line 5 (edited, deleted or reordered record)");

	/* an edited seq is caught on its own line */
	load_lines(path, lines, NREC);
	p[3] = '5';
	lines[4][7] = '6';
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, 5, "line 5: seq 6, expected 5");

	/* a byte that breaks the JSON */
	lines[4][7] = '5';
	lines[4][0] = '[';
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, 5, "line 5: not JSON");

	/* and put right, the chain is whole again */
	lines[4][0] = '{';
	save_lines(path, lines, NREC);
	EXPECT_INTACT(path, NREC);
	unlink(path);
}

TEST(audit_deleted_line_detected)
{
	char *path = temp_path(), lines[NREC][1024];

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	save_lines(path, lines + 1, NREC - 1); /* the first record */
	EXPECT_PROBLEM(path, 1, "line 1: seq 2, expected 1");

	memmove(lines[3], lines[4], sizeof(lines[0]) * (NREC - 4)); /* the fourth */
	save_lines(path, lines, NREC - 1);
	EXPECT_PROBLEM(path, 4, "line 4: seq 5, expected 4");

	/* renumbering the records after the gap does not hide it */
	for (int i = 3; i < NREC - 1; i++) {
		char *digit = lines[i] + 7;
		CHECK(*digit >= '5' && *digit <= '9');
		(*digit)--;
	}
	save_lines(path, lines, NREC - 1);
	EXPECT_PROBLEM(path, 4, "line 4: prev does not match line 3");
	unlink(path);
}

TEST(audit_swapped_lines_detected)
{
	char *path = temp_path(), lines[NREC][1024], tmp[1024];

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	memcpy(tmp, lines[2], sizeof(tmp));
	memcpy(lines[2], lines[3], sizeof(tmp));
	memcpy(lines[3], tmp, sizeof(tmp));
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, 3, "line 3: seq 4, expected 3");

	/* swapping their seqs back does not hide it either */
	lines[2][7] = '3';
	lines[3][7] = '4';
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, 3, "line 3: prev does not match line 2");
	unlink(path);
}

TEST(audit_truncated_tail)
{
	char *path = temp_path(), lines[NREC][1024], err[AUDIT_ERRLEN] = "";

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	lines[NREC - 1][40] = '\0'; /* cut mid-record, no newline */
	save_lines(path, lines, NREC);
	EXPECT_PROBLEM(path, NREC, "incomplete record");
	CHECK(audit_open(path, err) == NULL);
	CHECK(strstr(err, "no newline") != NULL);

	/* a whole last record removed: the chain itself cannot tell ... */
	save_lines(path, lines, NREC - 1);
	EXPECT_INTACT(path, NREC - 1);
	unlink(path);
}

TEST(audit_foreign_lines_detected)
{
	char *path = temp_path(), lines[NREC + 1][1024], err[AUDIT_ERRLEN] = "";

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	memmove(lines[2], lines[1], sizeof(lines[0]) * (NREC - 1));
	snprintf(lines[1], sizeof(lines[1]), "hello world\n");
	save_lines(path, lines, NREC + 1);
	EXPECT_PROBLEM(path, 2, "line 2: not JSON");

	snprintf(lines[1], sizeof(lines[1]), "\n");
	save_lines(path, lines, NREC + 1);
	EXPECT_PROBLEM(path, 2, "line 2: not JSON");

	snprintf(lines[1], sizeof(lines[1]), "{\"seq\":2}\n");
	save_lines(path, lines, NREC + 1);
	EXPECT_PROBLEM(path, 2, "line 2: field 'time' missing");

	/* a corrupt last line: audit_open refuses to chain onto it */
	snprintf(lines[0], sizeof(lines[0]), "{\"seq\":1,\"oops\":true}\n");
	save_lines(path, lines, 1);
	CHECK(audit_open(path, err) == NULL);
	CHECK(strstr(err, "line 1: field 'time' missing") != NULL);
	CHECK(strstr(err, "the log is damaged") != NULL);
	unlink(path);
}

/* Issue 18: a log whose middle is corrupt used to be appended to, since
 * only its last line was read. */
TEST(audit_open_refuses_a_corrupt_middle)
{
	char *path = temp_path(), lines[NREC][1024], err[AUDIT_ERRLEN] = "";

	write_records(path, 1, NREC);
	load_lines(path, lines, NREC);
	lines[4][20] ^= 1; /* a byte of record 5 */
	save_lines(path, lines, NREC);
	struct stat before, after;
	CHECK(stat(path, &before) == 0);
	CHECK(audit_open(path, err) == NULL);
	CHECK(strstr(err, "line 6: prev does not match line 5") != NULL);
	CHECK(stat(path, &after) == 0 && after.st_size == before.st_size);
	unlink(path);
}

TEST(audit_open_reserves_room_ahead)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "";
	struct stat st;

	unlink(path);
	struct audit_log *log = audit_open(path, err);
	CHECK(log != NULL);
	if (!log)
		return;
	CHECK(stat(path, &st) == 0);
	CHECK_EQ(st.st_size, 0);
	CHECK((uint64_t)st.st_blocks * 512 >= AUDIT_RESERVE);
	audit_close(log);
	unlink(path);
}

TEST(audit_append_checks_fields)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "", *big = malloc(AUDIT_FIELD_MAX + 2);
	struct audit_log *log = audit_open(path, err);
	struct audit_event ev = { "vm", "disk", "A", "B", "read", "deny", "why" };

	CHECK(log != NULL && big != NULL);
	if (!log || !big) {
		free(big);
		return;
	}
	ev.object = NULL;
	CHECK_EQ(audit_append(log, &ev, err), -1);
	CHECK(strstr(err, "'object' is missing") != NULL);
	memset(big, 'a', AUDIT_FIELD_MAX + 1);
	big[AUDIT_FIELD_MAX + 1] = '\0';
	ev.object = big;
	CHECK_EQ(audit_append(log, &ev, err), -1);
	CHECK(strstr(err, "'object' is longer") != NULL);
	ev.object = "bad\xc3";
	CHECK_EQ(audit_append(log, &ev, err), -1);
	CHECK(strstr(err, "UTF-8") != NULL);
	/* control characters and non-ASCII are escaped: still one line each */
	ev.object = "two\nlines\x1b[2J caf\xc3\xa9";
	CHECK_EQ(audit_append(log, &ev, err), 0);
	big[AUDIT_FIELD_MAX] = '\0';
	ev.object = big;
	CHECK_EQ(audit_append(log, &ev, err), 0);
	audit_close(log);
	free(big);
	EXPECT_INTACT(path, 2);

	char lines[1][1024];
	CHECK_EQ(load_lines(path, lines, 1), 1);
	CHECK(strstr(lines[0], "\"object\":\"two\\nlines\\u001B[2J caf\\u00E9\"") != NULL);
	unlink(path);
}

/* A reason is text put together from messages, and a message cut to a
 * length can end in half a character (safe_open cuts a path at 300
 * bytes): the record is still written, with '?' for each byte that is not
 * UTF-8.  Failing it instead would stop every VM over a refusal's wording.
 * Names and labels get no such repair (audit_append_checks_fields). */
TEST(audit_reason_cut_mid_character_is_recorded)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "";
	struct audit_log *log = audit_open(path, err);
	struct audit_event ev = { "vm", "kernel", "", "", "start", "refused",
				  "kernel /srv/caf\xc3: no such file; \xff\xc3\xa9" };
	CHECK(log != NULL);
	if (!log)
		return;
	CHECK_EQ(audit_append(log, &ev, err), 0);
	ev.object = "bad\xc3";
	CHECK_EQ(audit_append(log, &ev, err), -1);
	audit_close(log);
	EXPECT_INTACT(path, 1);
	char lines[1][1024];
	CHECK_EQ(load_lines(path, lines, 1), 1);
	CHECK(strstr(lines[0], "\"reason\":\"kernel /srv/caf?: no such file; ?\\u00E9\"") != NULL);
	unlink(path);
}

TEST(audit_longest_record_reads_back)
{
	char *path = temp_path(), err[AUDIT_ERRLEN] = "", *worst = malloc(AUDIT_FIELD_MAX + 1);
	struct audit_log *log;
	uint64_t seq = 0;
	char hash[AUDIT_HASH_HEX];

	CHECK(worst != NULL);
	if (!worst)
		return;
	memset(worst, 0x01, AUDIT_FIELD_MAX); /* each byte becomes \u0001 */
	worst[AUDIT_FIELD_MAX] = '\0';
	struct audit_event ev = { worst, worst, worst, worst, worst, worst, worst };
	log = audit_open(path, err);
	CHECK(log != NULL);
	if (log) {
		CHECK_EQ(audit_append(log, &ev, err), 0);
		audit_close(log);
	}
	log = audit_open(path, err); /* reads the worst-case record back */
	CHECK(log != NULL);
	if (log) {
		audit_head(log, &seq, hash);
		CHECK_EQ(seq, 1);
		audit_close(log);
	}
	EXPECT_INTACT(path, 1);

	/* a line longer than any record is refused without parsing it */
	FILE *f = fopen(path, "a");
	CHECK(f != NULL);
	if (f) {
		for (int i = 0; i <= AUDIT_LINE_MAX; i++)
			fputc('x', f);
		fputc('\n', f);
		fclose(f);
	}
	EXPECT_PROBLEM(path, 2, "line 2: longer than");
	free(worst);
	unlink(path);
}
