/*
 * bench/guest/spawn N PROGRAM: fork, exec PROGRAM and wait for it, N times
 * (page tables built and torn down, CR3 switches, TLB flushes, page
 * faults); prints "spawn: N" when every child exited 0.
 */
#include "sys.h"

int main(int argc, char **argv)
{
	if (argc != 3 || parse_u32(argv[1]) == ~0u)
		fail("spawn", "usage: spawn N PROGRAM");
	u32 n = parse_u32(argv[1]);
	char *child_argv[] = { argv[2], 0 };
	char *child_env[] = { 0 };
	for (u32 k = 0; k < n; k++) {
		i32 pid = sys3(SYS_fork, 0, 0, 0);
		if (pid < 0)
			fail("spawn", "fork failed");
		if (pid == 0) {
			sys3(SYS_execve, (u32)argv[2], (u32)child_argv, (u32)child_env);
			sys_exit(127);
		}
		i32 status = -1;
		if (sys3(SYS_waitpid, (u32)pid, (u32)&status, 0) != pid || status != 0)
			fail("spawn", "a child failed");
	}
	put_str(1, "spawn: ");
	put_u32(1, n);
	put_str(1, "\n");
	return 0;
}
