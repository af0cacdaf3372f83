/*
 * bench/guest/pipe N SIZE: a child writes N writes of SIZE bytes into a
 * pipe, one system call each; the parent reads them all and prints
 * "pipe: BYTES" (N * SIZE when nothing was lost).
 */
#include "sys.h"

static char buf[65536];

int main(int argc, char **argv)
{
	u32 n = argc == 3 ? parse_u32(argv[1]) : ~0u;
	u32 size = argc == 3 ? parse_u32(argv[2]) : ~0u;
	if (n == ~0u || size == ~0u || size == 0 || size > sizeof(buf))
		fail("pipe", "usage: pipe N SIZE (SIZE 1-65536)");
	i32 fds[2];
	if (sys3(SYS_pipe, (u32)fds, 0, 0) != 0)
		fail("pipe", "pipe failed");
	i32 pid = sys3(SYS_fork, 0, 0, 0);
	if (pid < 0)
		fail("pipe", "fork failed");
	if (pid == 0) {
		sys3(SYS_close, (u32)fds[0], 0, 0);
		for (u32 k = 0; k < n; k++)
			if (write_all(fds[1], buf, size) < 0)
				sys_exit(1);
		sys_exit(0);
	}
	sys3(SYS_close, (u32)fds[1], 0, 0);
	u32 total = 0;
	for (;;) {
		i32 r = sys3(SYS_read, (u32)fds[0], (u32)buf, sizeof(buf));
		if (r < 0)
			fail("pipe", "read failed");
		if (r == 0)
			break;
		total += (u32)r;
	}
	i32 status = -1;
	sys3(SYS_waitpid, (u32)pid, (u32)&status, 0);
	if (status != 0)
		fail("pipe", "the writer failed");
	put_str(1, "pipe: ");
	put_u32(1, total);
	put_str(1, "\n");
	return 0;
}
