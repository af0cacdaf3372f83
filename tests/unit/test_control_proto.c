/*
 * The control-socket protocol (src/super/control_proto.c): every command
 * survives encode/decode, requests that break the schema are refused
 * with a message naming the fault, an error reply is produced for any
 * message (cut on a UTF-8 boundary, invalid bytes replaced, escaped), and
 * the ps reply round-trips and is checked field by field on the client.
 */
#include "t.h"

#include <stdlib.h>

#include "super/control_proto.h"

TEST(control_proto_requests_round_trip)
{
	char buf[CONTROL_REQUEST_MAX + 1], err[CONTROL_ERRLEN] = "";
	struct control_request req;
	const char *vm[] = { "secret-vm", "30", NULL };
	for (unsigned c = 0; c < CONTROL_NCMDS; c++) {
		const struct control_cmd_spec *spec = control_cmd_spec((enum control_cmd)c);
		CHECK(spec && spec->name);
		long n = control_request_encode((enum control_cmd)c, vm, buf, sizeof(buf), err);
		CHECK(n > 0 && buf[n - 1] == '\n' && buf[n] == '\0');
		if (n <= 0)
			continue;
		CHECK(control_request_decode(buf, (size_t)n - 1, &req, err) == 0);
		CHECK_EQ(req.cmd, c);
		if (spec->args[0])
			CHECK_STR(req.args[0], "secret-vm");
	}
	long n = control_request_encode(CONTROL_STOP, vm, buf, sizeof(buf), err);
	CHECK(n > 0 && strcmp(buf, "{\"cmd\":\"stop\",\"vm\":\"secret-vm\",\"timeout\":\"30\"}\n") == 0);
	CHECK(control_cmd_spec(CONTROL_NCMDS) == NULL);
	CHECK_STR(control_cmd_list(), "ps, stop, down, sanitize, transfer-list, transfer-show, transfer-approve, transfer-deny, console");
}

TEST(control_proto_encoder_refuses_bad_arguments)
{
	char buf[CONTROL_REQUEST_MAX + 1], err[CONTROL_ERRLEN] = "";
	const char *none[] = { NULL };
	CHECK(control_request_encode(CONTROL_STOP, none, buf, sizeof(buf), err) < 0);
	CHECK_STR(err, "stop: missing vm");
	char long_arg[CONTROL_ARG_MAX + 1];
	memset(long_arg, 'v', CONTROL_ARG_MAX);
	long_arg[CONTROL_ARG_MAX] = '\0';
	const char *args[] = { long_arg, NULL };
	CHECK(control_request_encode(CONTROL_STOP, args, buf, sizeof(buf), err) < 0);
	CHECK_STR(err, "stop: vm is longer than 255 bytes");
	const char *bad_utf8[] = { "a\xff", NULL };
	CHECK(control_request_encode(CONTROL_SANITIZE, bad_utf8, buf, sizeof(buf), err) < 0);
	CHECK_STR(err, "sanitize: media is not valid UTF-8");
}

static void refused(const char *line, const char *why, int at)
{
	struct control_request req;
	char err[CONTROL_ERRLEN] = "";
	if (control_request_decode(line, strlen(line), &req, err) == 0)
		t_fail(__FILE__, at, "accepted: %s", line);
	else if (strcmp(err, why) != 0)
		t_fail(__FILE__, at, "error '%s', expected '%s'", err, why);
}
#define REFUSED(line, why) refused(line, why, __LINE__)

TEST(control_proto_decoder_refuses_bad_requests)
{
	REFUSED("", "a request is a JSON object with a \"cmd\" string");
	REFUSED("[\"ps\"]", "a request is a JSON object with a \"cmd\" string");
	REFUSED("{\"cmd\":1}", "a request is a JSON object with a \"cmd\" string");
	REFUSED("{\"cmd\":\"ps\"", "a request is a JSON object with a \"cmd\" string");
	REFUSED("{\"cmd\":\"ps\",\"cmd\":\"down\"}", "a request is a JSON object with a \"cmd\" string");
	REFUSED("{\"cmd\":\"reboot\"}", "unknown command 'reboot' (ps, stop, down, sanitize, transfer-list, transfer-show, transfer-approve, transfer-deny, console)");
	REFUSED("{\"cmd\":\"ps\",\"vm\":\"a\"}", "ps: unknown argument \"vm\"");
	REFUSED("{\"cmd\":\"stop\"}", "stop: missing \"vm\" (a string)");
	REFUSED("{\"cmd\":\"stop\",\"vm\":7}", "stop: missing \"vm\" (a string)");
	REFUSED("{\"cmd\":\"stop\",\"vm\":\"a\"}", "stop: missing \"timeout\" (a string)");
	REFUSED("{\"cmd\":\"stop\",\"vm\":\"a\\u0000b\"}",
		"a request is a JSON object with a \"cmd\" string");
	/* The lost-reply request of issue 18: 300 two-byte characters. */
	char line[1024] = "{\"cmd\":\"stop\",\"vm\":\"x";
	for (int i = 0; i < 300; i++)
		strcat(line, "\xc3\xa9");
	strcat(line, "\"}");
	REFUSED(line, "stop: \"vm\" is longer than 255 bytes");
	char *huge = malloc(CONTROL_REQUEST_MAX + 1);
	memset(huge, ' ', CONTROL_REQUEST_MAX);
	huge[CONTROL_REQUEST_MAX] = '\0';
	REFUSED(huge, "request longer than 4095 bytes");
	free(huge);
}

TEST(control_proto_utf8_cut)
{
	CHECK_EQ(control_utf8_cut("abc", 2), 2);
	CHECK_EQ(control_utf8_cut("a\xc3\xa9", 2), 1);          /* not inside the é */
	CHECK_EQ(control_utf8_cut("a\xc3\xa9", 3), 3);
	CHECK_EQ(control_utf8_cut("\xe2\x82\xac\xe2\x82\xac", 5), 3); /* € € */
	CHECK_EQ(control_utf8_cut("\xf0\x9f\x98\x80z", 3), 0);   /* a 4-byte character */
	CHECK_EQ(control_utf8_cut("\xff\xfe" "a", 2), 2);        /* invalid bytes stand alone */
	CHECK_EQ(control_utf8_cut("\xc3", 1), 1);                /* a lone lead byte */
	CHECK_EQ(control_utf8_cut("", 10), 0);
}

/* The message of an error reply, as a client reads it back. */
static void error_round_trip(const char *msg, const char *expect, int at)
{
	char buf[CONTROL_ERROR_REPLY_MAX], err[CONTROL_ERRLEN] = "";
	json_t *reply;
	size_t n = control_reply_error(buf, msg);
	if (n == 0 || n >= sizeof(buf) || buf[n - 1] != '\n') {
		t_fail(__FILE__, at, "no reply line");
		return;
	}
	json_t *o = json_loadb(buf, n - 1, 0, NULL);
	if (!json_is_object(o) || !json_is_false(json_object_get(o, "ok")))
		t_fail(__FILE__, at, "not a JSON error reply: %.*s", (int)n, buf);
	else if (strcmp(json_string_value(json_object_get(o, "error")), expect) != 0)
		t_fail(__FILE__, at, "error '%s', expected '%s'",
		       json_string_value(json_object_get(o, "error")), expect);
	json_decref(o);
	if (control_reply_decode(buf, n - 1, &reply, err) != 1)
		t_fail(__FILE__, at, "the client does not see a refusal");
}

TEST(control_proto_error_reply_always_produced)
{
	error_round_trip("no vm named 'a'", "no vm named 'a'", __LINE__);
	error_round_trip("quote \" backslash \\ tab \t bell \a", "quote \" backslash \\ tab \t bell \a",
			 __LINE__);
	error_round_trip("bad \xff\xc3 bytes", "bad ?? bytes", __LINE__);
	/* 300 é: 600 bytes, cut to 400 -- 200 whole characters. */
	char msg[700] = "", want[700] = "";
	for (int i = 0; i < 300; i++)
		strcat(msg, "\xc3\xa9");
	for (int i = 0; i < 200; i++)
		strcat(want, "\xc3\xa9");
	error_round_trip(msg, want, __LINE__);
	/* With one ASCII byte in front, the cut falls inside a character. */
	char msg2[702] = "x", want2[702] = "x";
	strcat(msg2, msg);
	for (int i = 0; i < 199; i++)
		strcat(want2, "\xc3\xa9");
	error_round_trip(msg2, want2, __LINE__);
	/* The worst case for escaping: every byte a control character. */
	char ctl[CONTROL_ERROR_MAX + 50];
	memset(ctl, 1, sizeof(ctl) - 1);
	ctl[sizeof(ctl) - 1] = '\0';
	char buf[CONTROL_ERROR_REPLY_MAX];
	CHECK(control_reply_error(buf, ctl) < sizeof(buf));
}

TEST(control_proto_ok_reply_and_ps_round_trip)
{
	static struct control_ps ps, back;
	static char buf[CONTROL_REPLY_MAX];
	char err[CONTROL_ERRLEN] = "";
	json_t *reply;
	memset(&ps, 0, sizeof(ps));
	ps.supervisor = 4242;
	ps.nvms = 2;
	snprintf(ps.vms[0].name, sizeof(ps.vms[0].name), "public");
	snprintf(ps.vms[0].label, sizeof(ps.vms[0].label), "UNCLASSIFIED/LOW");
	snprintf(ps.vms[0].state, sizeof(ps.vms[0].state), "running");
	ps.vms[0].pid = 77;
	snprintf(ps.vms[1].name, sizeof(ps.vms[1].name), "secret");
	snprintf(ps.vms[1].label, sizeof(ps.vms[1].label), "SECRET:NATO/LOW");
	snprintf(ps.vms[1].state, sizeof(ps.vms[1].state), "exited");
	snprintf(ps.vms[1].outcome, sizeof(ps.vms[1].outcome), "guest triple-faulted");
	long n = control_reply_ok(buf, sizeof(buf), control_ps_fields(&ps));
	CHECK(n > 0 && buf[n - 1] == '\n');
	CHECK(control_reply_decode(buf, (size_t)n - 1, &reply, err) == 0);
	CHECK(control_ps_decode(reply, &back, err) == 0);
	json_decref(reply);
	CHECK_EQ(back.supervisor, 4242);
	CHECK_EQ(back.nvms, 2);
	CHECK_STR(back.vms[0].name, "public");
	CHECK_STR(back.vms[0].state, "running");
	CHECK_EQ(back.vms[0].pid, 77);
	CHECK_STR(back.vms[1].label, "SECRET:NATO/LOW");
	CHECK_STR(back.vms[1].outcome, "guest triple-faulted");
	CHECK_EQ(back.vms[1].pid, 0);
	/* Too small a buffer: no reply, so the caller sends an error instead. */
	CHECK(control_reply_ok(buf, 8, NULL) < 0);
	CHECK(control_reply_ok(buf, sizeof(buf), NULL) == 12 && strcmp(buf, "{\"ok\":true}\n") == 0);
}

/* A refused VM's outcome quotes its refusal, which may end in half a
 * character (a long path cut to a length): ps must still answer, with
 * '?' for the bytes that are not UTF-8, not fail as a whole. */
TEST(control_proto_ps_outcome_cut_mid_character)
{
	static struct control_ps ps, back;
	static char buf[CONTROL_REPLY_MAX];
	char err[CONTROL_ERRLEN] = "";
	json_t *reply = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.nvms = 1;
	snprintf(ps.vms[0].name, sizeof(ps.vms[0].name), "public");
	snprintf(ps.vms[0].label, sizeof(ps.vms[0].label), "UNCLASSIFIED");
	snprintf(ps.vms[0].state, sizeof(ps.vms[0].state), "refused");
	snprintf(ps.vms[0].outcome, sizeof(ps.vms[0].outcome),
		 "not started: kernel /srv/caf\xc3: no such \xff\xc3\xa9");
	long n = control_reply_ok(buf, sizeof(buf), control_ps_fields(&ps));
	CHECK(n > 0);
	CHECK(n > 0 && control_reply_decode(buf, (size_t)n - 1, &reply, err) == 0);
	CHECK(reply && control_ps_decode(reply, &back, err) == 0);
	json_decref(reply);
	CHECK_STR(back.vms[0].outcome, "not started: kernel /srv/caf?: no such ?\xc3\xa9");
}

static void ps_refused(const char *line, const char *why, int at)
{
	static struct control_ps ps;
	char err[CONTROL_ERRLEN] = "";
	json_t *reply;
	int rc = control_reply_decode(line, strlen(line), &reply, err);
	if (rc == 0 && control_ps_decode(reply, &ps, err) == 0)
		t_fail(__FILE__, at, "accepted: %s", line);
	else if (!strstr(err, why))
		t_fail(__FILE__, at, "error '%s', expected '%s'", err, why);
	json_decref(reply);
}
#define PS_REFUSED(line, why) ps_refused(line, why, __LINE__)

TEST(control_proto_client_checks_replies)
{
	PS_REFUSED("{}", "malformed reply from the supervisor");
	PS_REFUSED("{\"ok\":1}", "malformed reply from the supervisor");
	PS_REFUSED("{\"ok\":false,\"error\":\"esc \\u001b[2J\"}", "esc ?[2J");
	PS_REFUSED("{\"ok\":true,\"vms\":[]}", "malformed ps reply");
	PS_REFUSED("{\"ok\":true,\"supervisor\":1,\"vms\":[{\"name\":\"a\"}]}", "vm 0: bad \"label\"");
	PS_REFUSED("{\"ok\":true,\"supervisor\":1,\"vms\":[{\"name\":\"a\",\"label\":\"U\","
		   "\"state\":\"running\",\"outcome\":\"\",\"pid\":-5}]}", "vm 0: bad \"pid\"");
	PS_REFUSED("{\"ok\":true,\"supervisor\":1,\"vms\":[{\"name\":\"a\",\"label\":\"U\","
		   "\"state\":\"a very long state name\",\"outcome\":\"\",\"pid\":5}]}",
		   "vm 0: bad \"state\"");
}
