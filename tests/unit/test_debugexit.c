/* isa-debug-exit and the port 0x80 POST-code sink. */
#include "t.h"

#include <stdlib.h>

#include "dev/devices.h"

struct exit_log {
	int calls, code;
};

static void record_exit(void *opaque, int code)
{
	struct exit_log *log = opaque;
	log->calls++;
	log->code = code;
}

TEST(debugexit_reports_written_value)
{
	struct iobus *io = calloc(1, sizeof(*io));
	struct exit_log log = { 0, -1 };
	iobus_init(io);
	struct debugexit *d = debugexit_create(io, record_exit, &log);
	CHECK(d != NULL);
	CHECK(debugexit_create(io, record_exit, &log) == NULL); /* port taken */
	CHECK_EQ(log.calls, 0);
	iobus_write(io, 0xf4, 1, 0x31);
	CHECK_EQ(log.calls, 1);
	CHECK_EQ(log.code, 0x31);
	iobus_write(io, 0xf4, 4, 0x12345600); /* only the low byte is the code */
	CHECK_EQ(log.calls, 2);
	CHECK_EQ(log.code, 0);
	CHECK_EQ(iobus_read(io, 0xf4, 1), 0xff);
	debugexit_destroy(d);
	free(io);
}

TEST(debugexit_two_buses_keep_their_callbacks)
{
	struct iobus *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct exit_log la = { 0, -1 }, lb = { 0, -1 };
	iobus_init(a);
	iobus_init(b);
	struct debugexit *da = debugexit_create(a, record_exit, &la);
	struct debugexit *db = debugexit_create(b, record_exit, &lb);
	CHECK(da && db);
	iobus_write(a, 0xf4, 1, 7);
	iobus_write(b, 0xf4, 1, 9);
	CHECK_EQ(la.code, 7);
	CHECK_EQ(lb.code, 9);
	CHECK_EQ(la.calls + lb.calls, 2);
	debugexit_destroy(da);
	debugexit_destroy(db);
	free(a);
	free(b);
}

TEST(port80_remembers_last_code)
{
	struct iobus *io = calloc(1, sizeof(*io));
	iobus_init(io);
	struct port80 *p = port80_create(io);
	CHECK(p != NULL);
	CHECK(port80_create(io) == NULL);
	CHECK_EQ(iobus_read(io, 0x80, 1), 0);
	iobus_write(io, 0x80, 1, 0x42);
	iobus_write(io, 0x80, 1, 0x43);
	CHECK_EQ(iobus_read(io, 0x80, 1), 0x43);
	port80_destroy(p);
	free(io);
}
