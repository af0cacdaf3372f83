/*
 * Fuzz target: the control-socket protocol (src/super/control_proto.c) on
 * any bytes, used three ways: as a request line the supervisor decodes,
 * as an error message it must turn into a reply, and as a reply line a
 * client decodes.
 *
 * A request is refused with a message, or decoded into a known command
 * whose re-encoding decodes to the same request.  Every error message,
 * whatever its bytes, yields a reply line that is valid JSON with "ok"
 * false and an "error" of at most CONTROL_ERROR_MAX bytes.  A reply line
 * is accepted, refused or called malformed -- never more.
 *
 * fuzz-plant: src/super/control_proto.c
 * fuzz-plant-from: } else if (c < 0x20 || c == 0x7f) {
 * fuzz-plant-to: } else if (c < 0x1f || c == 0x7f) {
 * fuzz-options: -max_len=8192
 */
#include "fuzz.h"

#include "super/control_proto.h"

static void request(const char *text, size_t len)
{
	struct control_request req, again;
	char err[CONTROL_ERRLEN], line[CONTROL_REQUEST_MAX + 1];
	memset(err, 'X', sizeof(err));
	if (control_request_decode(text, len, &req, err) < 0) {
		FUZZ_CHECK(fuzz_message_ok(err, sizeof(err)), "refusal without a message");
		return;
	}
	const struct control_cmd_spec *spec = control_cmd_spec(req.cmd);
	FUZZ_CHECK(spec != NULL, "decoded an unknown command %d", (int)req.cmd);
	const char *args[CONTROL_MAX_ARGS + 1] = { req.args[0], req.args[1], NULL };
	long n = control_request_encode(req.cmd, args, line, sizeof(line), err);
	FUZZ_CHECK(n > 0, "cannot re-encode a request it took: %.100s", err);
	FUZZ_CHECK(control_request_decode(line, (size_t)n - 1, &again, err) == 0 &&
		   again.cmd == req.cmd && memcmp(again.args, req.args, sizeof(req.args)) == 0,
		   "the re-encoded request differs");
}

static void error_reply(const uint8_t *data, size_t size)
{
	char *msg = malloc(size + 1), out[CONTROL_ERROR_REPLY_MAX];
	if (!msg)
		abort();
	memcpy(msg, data, size);
	msg[size] = '\0';
	size_t n = control_reply_error(out, msg);
	FUZZ_CHECK(n > 0 && n < sizeof(out) && out[n - 1] == '\n', "reply of %zu bytes", n);
	json_t *o = json_loadb(out, n - 1, 0, NULL);
	FUZZ_CHECK(json_is_object(o) && json_is_false(json_object_get(o, "ok")) &&
		   json_is_string(json_object_get(o, "error")) &&
		   json_string_length(json_object_get(o, "error")) <= CONTROL_ERROR_MAX,
		   "not a valid error reply: %.200s", out);
	json_decref(o);
	free(msg);
}

static void reply(const char *text, size_t len)
{
	static struct control_ps ps;
	char err[CONTROL_ERRLEN];
	json_t *r = NULL;
	int rc = control_reply_decode(text, len, &r, err);
	FUZZ_CHECK(rc >= -1 && rc <= 1 && (rc == 0) == (r != NULL), "reply decoded to %d", rc);
	if (rc == 0 && control_ps_decode(r, &ps, err) == 0)
		FUZZ_CHECK(ps.nvms <= SYSDEF_MAX_VMS, "%u vms", ps.nvms);
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	size_t len;
	uint8_t *text = fin_rest(&in, &len);
	request((const char *)text, len);
	error_reply(text, len);
	reply((const char *)text, len);
	free(text);
	return 0;
}
