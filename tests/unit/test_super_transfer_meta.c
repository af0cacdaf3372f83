/*
 * A transfer's .meta record (src/super/super_transfer_meta.c): what
 * xfer_save writes, xfer_load_meta reads back exactly at the next start
 * of cordon up, and a record that is damaged or edited comes back as
 * nothing rather than as half a transfer.
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "scratch.h"
#include "super/super_internal.h"

/* A held transfer of two files, in the scratch directory. */
static struct xfer *two_files(void)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x || !(x->files = calloc(2, sizeof(*x->files))))
		return free(x), NULL;
	x->id = 42;
	x->state = XFER_HELD;
	x->nfiles = 2;
	snprintf(x->source, sizeof(x->source), "high");
	snprintf(x->target, sizeof(x->target), "low");
	snprintf(x->source_label, sizeof(x->source_label), "SECRET");
	snprintf(x->target_label, sizeof(x->target_label), "UNCLASSIFIED");
	snprintf(x->reason, sizeof(x->reason), "held: downgrade");
	snprintf(x->dir, sizeof(x->dir), "%s", scratch_dir);
	x->created = 1765000000;
	x->total = 10;
	x->data_len = 300;
	x->files[0] = (struct xfer_file){ strdup("report.txt"), XFER_MODE_FILE, 7, 0, { 1, 2, 3 } };
	x->files[1] = (struct xfer_file){ strdup("run.sh"), XFER_MODE_EXEC, 3, 160, { 9 } };
	memset(x->manifest, 0xab, sizeof(x->manifest));
	return x;
}

static bool same_transfer(const struct xfer *a, const struct xfer *b)
{
	bool same = a->id == b->id && a->state == b->state && a->nfiles == b->nfiles &&
		    !strcmp(a->source, b->source) && !strcmp(a->target, b->target) &&
		    !strcmp(a->source_label, b->source_label) &&
		    !strcmp(a->target_label, b->target_label) && !strcmp(a->reason, b->reason) &&
		    a->created == b->created && a->total == b->total && a->data_len == b->data_len &&
		    !memcmp(a->manifest, b->manifest, sizeof(a->manifest));
	for (uint32_t i = 0; same && i < a->nfiles; i++)
		same = !strcmp(a->files[i].name, b->files[i].name) &&
		       a->files[i].mode == b->files[i].mode && a->files[i].size == b->files[i].size &&
		       a->files[i].offset == b->files[i].offset &&
		       !memcmp(a->files[i].digest, b->files[i].digest, sizeof(a->files[i].digest));
	return same;
}

TEST(super_transfer_meta_round_trip)
{
	char err[SUPER_ERRLEN] = "", path[256];
	CHECK(scratch_make("cordon-meta"));
	struct xfer *x = two_files();
	CHECK(x != NULL);
	if (!x)
		return scratch_remove();
	CHECK_EQ(xfer_save(x, err), 0);
	xfer_path(x, "meta", path, sizeof(path));
	struct xfer *back = xfer_load_meta(scratch_dir, path);
	CHECK(back != NULL);
	if (back)
		CHECK(same_transfer(x, back));
	xfer_free(back);
	xfer_free(x);
	scratch_remove();
}

/* The saved record with one change made to its text, loaded: 1 if it
 * came back as a transfer, 0 if refused, -1 if the change could not be
 * made (so a refusal is never for a test's own typo). */
static int load_edited(const char *from, const char *to)
{
	char err[SUPER_ERRLEN], path[256], text[4096], edited[4096];
	struct xfer *x = two_files();
	int rc = -1;
	if (!x || xfer_save(x, err) < 0 || xfer_path(x, "meta", path, sizeof(path)) < 0)
		goto out;
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	char *at = strstr(text, from);
	if (!at)
		goto out;
	snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	if (!scratch_write(path, edited, strlen(edited)))
		goto out;
	struct xfer *back = xfer_load_meta(scratch_dir, path);
	rc = back != NULL;
	xfer_free(back);
out:
	xfer_free(x);
	return rc;
}

TEST(super_transfer_meta_refuses_damaged_records)
{
	CHECK(scratch_make("cordon-meta"));
	/* The unchanged text loads: the edits below are what is refused. */
	CHECK_EQ(load_edited("\"state\"", "\"state\""), 1);
	CHECK_EQ(load_edited("\"report.txt\"", "\"../report.txt\""), 0);
	CHECK_EQ(load_edited("\"state\":\"held\"", "\"state\":\"delivered\""), 0);
	CHECK_EQ(load_edited("\"id\":42", "\"id\":\"42\""), 0);
	CHECK_EQ(load_edited("\"id\":42", "\"id\":0"), 0);
	CHECK_EQ(load_edited("\"size\":7", "\"size\":-7"), 0);
	CHECK_EQ(load_edited("\"mode\":", "\"mode\":1,\"x\":"), 0); /* mode 1 is neither kind */
	CHECK_EQ(load_edited("abababab", "abab"), 0);               /* a short manifest digest */
	CHECK_EQ(load_edited("\"files\":[", "\"files\":[],\"y\":["), 0); /* a transfer of no files */
	CHECK_EQ(load_edited("}]}", "}"), 0);                       /* cut short */
	scratch_remove();
}
