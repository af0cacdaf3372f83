/*
 * A few Linux i386 system calls for the benchmark programs, which run in
 * the busybox guest with no C library: each is a few kilobytes, so the
 * initramfs they are added to hardly grows.
 */
#ifndef CORDON_BENCH_SYS_H
#define CORDON_BENCH_SYS_H

typedef unsigned int u32;
typedef int i32;

enum { SYS_exit = 1, SYS_fork = 2, SYS_read = 3, SYS_write = 4, SYS_close = 6,
       SYS_waitpid = 7, SYS_execve = 11, SYS_pipe = 42 };

static inline i32 sys3(u32 n, u32 a, u32 b, u32 c)
{
	i32 r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		sys3(SYS_exit, (u32)code, 0, 0);
}

/* Writes all of buf (retrying short writes); -1 on error. */
static inline int write_all(int fd, const void *buf, u32 n)
{
	const char *p = buf;
	while (n) {
		i32 r = sys3(SYS_write, (u32)fd, (u32)p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (u32)r;
	}
	return 0;
}

static inline u32 str_len(const char *s)
{
	u32 n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void put_str(int fd, const char *s)
{
	write_all(fd, s, str_len(s));
}

/* Decimal digits of s, or ~0u if s is not a number. */
static inline u32 parse_u32(const char *s)
{
	u32 v = 0;
	if (!*s)
		return ~0u;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return ~0u;
		v = v * 10 + (u32)(*s - '0');
	}
	return v;
}

static inline void put_u32(int fd, u32 v)
{
	char b[12];
	int k = 11;
	b[k] = 0;
	do {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(fd, b + k);
}

static inline __attribute__((noreturn)) void fail(const char *prog, const char *what)
{
	put_str(2, prog);
	put_str(2, ": ");
	put_str(2, what);
	put_str(2, "\n");
	sys_exit(1);
}

/* Each program defines main(argc, argv); start.S calls it. */
int main(int argc, char **argv);

#endif
