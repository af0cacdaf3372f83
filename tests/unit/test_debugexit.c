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
	CHECK_EQ(debugexit_register(io, record_exit, &log), 0);
	CHECK_EQ(debugexit_register(io, record_exit, &log), -1); /* port taken */
	CHECK_EQ(log.calls, 0);
	iobus_write(io, 0xf4, 1, 0x31);
	CHECK_EQ(log.calls, 1);
	CHECK_EQ(log.code, 0x31);
	iobus_write(io, 0xf4, 4, 0x12345600); /* only the low byte is the code */
	CHECK_EQ(log.calls, 2);
	CHECK_EQ(log.code, 0);
	CHECK_EQ(iobus_read(io, 0xf4, 1), 0xff);
	free(io);
}

TEST(debugexit_two_buses_keep_their_callbacks)
{
	struct iobus *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct exit_log la = { 0, -1 }, lb = { 0, -1 };
	iobus_init(a);
	iobus_init(b);
	CHECK_EQ(debugexit_register(a, record_exit, &la), 0);
	CHECK_EQ(debugexit_register(b, record_exit, &lb), 0);
	iobus_write(a, 0xf4, 1, 7);
	iobus_write(b, 0xf4, 1, 9);
	CHECK_EQ(la.code, 7);
	CHECK_EQ(lb.code, 9);
	CHECK_EQ(la.calls + lb.calls, 2);
	free(a);
	free(b);
}

TEST(port80_remembers_last_code)
{
	struct iobus *io = calloc(1, sizeof(*io));
	iobus_init(io);
	CHECK_EQ(port80_register(io), 0);
	CHECK_EQ(port80_register(io), -1);
	CHECK_EQ(iobus_read(io, 0x80, 1), 0);
	iobus_write(io, 0x80, 1, 0x42);
	iobus_write(io, 0x80, 1, 0x43);
	CHECK_EQ(iobus_read(io, 0x80, 1), 0x43);
	free(io);
}
