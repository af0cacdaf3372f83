/*
 * The control socket's transfer replies (src/super/control_transfer.c):
 * list and show round trips, and the client's refusal of replies a
 * confused or hostile peer could send -- a missing field, a name that
 * would act on the operator's terminal, a preview that is not hex.
 */
#include "t.h"

#include "super/control_proto.h"
#include "super/control_transfer.h"

static struct control_xfer sample(void)
{
	struct control_xfer x = { .id = 42, .nfiles = 2, .bytes = 1234, .created = 1700000000 };
	strcpy(x.state, "held");
	strcpy(x.source, "high");
	strcpy(x.target, "low");
	strcpy(x.source_label, "SECRET:NATO");
	strcpy(x.target_label, "UNCLASSIFIED");
	strcpy(x.reason, "held for review: BLP: no write down");
	memset(x.manifest, 'a', 64);
	x.nshown = 2;
	x.more = 0;
	strcpy(x.shown[0].name, "r\xc3\xa9sum\xc3\xa9.txt");
	x.shown[0].mode = 0644;
	x.shown[0].size = 5;
	memset(x.shown[0].sha256, 'b', 64);
	memcpy(x.shown[0].preview, "hello", 5);
	x.shown[0].preview_len = 5;
	strcpy(x.shown[1].name, "run.sh");
	x.shown[1].mode = 0755;
	x.shown[1].size = 1229;
	memset(x.shown[1].sha256, 'c', 64);
	x.shown[1].preview_len = 0;
	return x;
}

/* The reply as the client sees it, after one trip through JSON text. */
static json_t *trip(json_t *fields)
{
	static char line[CONTROL_REPLY_MAX];
	char err[CONTROL_ERRLEN];
	json_t *reply = NULL;
	long n = control_reply_ok(line, sizeof(line), fields);
	CHECK(n > 0);
	CHECK_EQ(control_reply_decode(line, (size_t)n - 1, &reply, err), 0);
	return reply;
}

TEST(control_transfer_show_round_trip)
{
	struct control_xfer x = sample(), got;
	char err[CONTROL_ERRLEN];
	json_t *reply = trip(json_pack("{s:o}", "transfer", control_xfer_fields(&x, true)));
	CHECK_EQ(control_xfer_show_decode(reply, &got, err), 0);
	CHECK_EQ(got.id, 42);
	CHECK_STR(got.state, "held");
	CHECK_STR(got.source_label, "SECRET:NATO");
	CHECK_STR(got.reason, x.reason);
	CHECK_EQ(got.nshown, 2);
	CHECK_STR(got.shown[0].name, x.shown[0].name);
	CHECK_EQ(got.shown[0].preview_len, 5);
	CHECK(memcmp(got.shown[0].preview, "hello", 5) == 0);
	CHECK_EQ(got.shown[1].mode, 0755);
	CHECK_EQ(got.shown[1].size, 1229);
	CHECK_STR(got.manifest, x.manifest);
	json_decref(reply);
}

TEST(control_transfer_list_round_trip)
{
	static struct control_xfer_list l;
	struct control_xfer x = sample();
	char err[CONTROL_ERRLEN];
	json_t *a = json_array();
	for (int i = 0; i < 3; i++) {
		x.id = 10 + (uint64_t)i;
		json_array_append_new(a, control_xfer_fields(&x, false));
	}
	json_t *reply = trip(json_pack("{s:o, s:i}", "transfers", a, "more", 7));
	CHECK_EQ(control_xfer_list_decode(reply, &l, err), 0);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.more, 7);
	CHECK_EQ(l.items[2].id, 12);
	CHECK_STR(l.items[1].target, "low");
	json_decref(reply);
}

static void expect_show_refused(json_t *t, const char *why)
{
	struct control_xfer got;
	char err[CONTROL_ERRLEN] = "";
	json_t *reply = trip(json_pack("{s:o}", "transfer", t));
	CHECK_EQ(control_xfer_show_decode(reply, &got, err), -1);
	if (!strstr(err, why))
		t_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", err, why);
	json_decref(reply);
}

TEST(control_transfer_hostile_replies_refused)
{
	struct control_xfer x = sample();
	json_t *t = control_xfer_fields(&x, true);
	json_object_del(t, "target");
	expect_show_refused(t, "\"target\"");

	t = control_xfer_fields(&x, true);
	json_object_set_new(t, "id", json_integer(-1));
	expect_show_refused(t, "\"id\"");

	/* A name that would rewrite the operator's terminal, and one with '/'. */
	const char *names[] = { "a\x1b[2Jb", "../x", "evil\xe2\x80\xaetxt" };
	for (int i = 0; i < 3; i++) {
		t = control_xfer_fields(&x, true);
		json_t *f = json_array_get(json_object_get(t, "shown"), 0);
		json_object_set_new(f, "name", json_string(names[i]));
		expect_show_refused(t, "file name");
	}
	t = control_xfer_fields(&x, true);
	json_object_set_new(json_array_get(json_object_get(t, "shown"), 0), "preview", json_string("zz"));
	expect_show_refused(t, "\"preview\"");
	t = control_xfer_fields(&x, true);
	json_object_set_new(json_array_get(json_object_get(t, "shown"), 0), "sha256", json_string("ab"));
	expect_show_refused(t, "\"sha256\"");
	t = control_xfer_fields(&x, true);
	json_t *shown = json_object_get(t, "shown");
	for (int i = 0; i < CONTROL_XFER_SHOW_FILES; i++)
		json_array_append(shown, json_array_get(shown, 0));
	expect_show_refused(t, "malformed");
	/* Control characters in a plain text field are replaced, not refused. */
	struct control_xfer got;
	char err[CONTROL_ERRLEN];
	t = control_xfer_fields(&x, true);
	json_object_set_new(t, "reason", json_string("a\x1b[31mb"));
	json_t *reply = trip(json_pack("{s:o}", "transfer", t));
	CHECK_EQ(control_xfer_show_decode(reply, &got, err), 0);
	CHECK_STR(got.reason, "a?[31mb");
	json_decref(reply);
}

TEST(control_transfer_ids)
{
	uint64_t id;
	CHECK_EQ(control_xfer_parse_id("1", &id), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(control_xfer_parse_id("9007199254740992", &id), 0);
	const char *bad[] = { "", "0", "01", "-1", "1x", " 1", "9007199254740993", "99999999999999999999" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(control_xfer_parse_id(bad[i], &id), -1);
}
