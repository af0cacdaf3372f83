/*
 * A child's stderr as the supervisor shows it (errstream_forward in
 * src/super/super_spawn.c): each line after its prefix, with whatever
 * could act on the operator's terminal made '?'.
 */
#include "t.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scratch.h"
#include "super/super_internal.h"

/* What errstream_forward writes to our stderr for the bytes in (a child
 * that then hangs up), into out (cap bytes, NUL-terminated). */
static void forward(const char *in, size_t len, char *out, size_t cap)
{
	int p[2], saved = dup(STDERR_FILENO);
	char path[128];
	out[0] = 0;
	if (!scratch_make("cordon-errstream") || pipe(p) < 0 || saved < 0)
		return;
	scratch_path(path, sizeof(path), "stderr");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(write(p[1], in, len) == (ssize_t)len);
	close(p[1]);
	struct errstream e = { .fd = p[0] };
	snprintf(e.prefix, sizeof(e.prefix), "vm t");
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	errstream_forward(&e);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK_EQ(e.fd, -1); /* read to its end and closed */
	ssize_t n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	scratch_remove();
}

/* C0 controls were always replaced; C1 controls -- U+009B is CSI, U+009D
 * OSC (a window title) to a terminal that honours them, in UTF-8 as
 * C2 9B and C2 9D, or a raw 0x9B to an 8-bit one -- must be too, while
 * printable UTF-8 (é, an emoji) and tabs pass unchanged. */
TEST(super_errstream_replaces_c0_and_c1_controls)
{
	static const char in[] = "a\x1b[31mb\tc\n"
				 "d\xc2\x9b" "31me\xc2\x9d" "0;x\x07\n"
				 "f\x9b" "31mg\xff\n"
				 "r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x94\x92\n";
	char out[512];
	forward(in, sizeof(in) - 1, out, sizeof(out));
	CHECK_STR(out, "vm t: a?[31mb\tc\n"
		       "vm t: d??31me??0;x?\n"
		       "vm t: f?31mg?\n"
		       "vm t: r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x94\x92\n");
}
