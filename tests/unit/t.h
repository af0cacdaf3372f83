/*
 * A very small unit-test harness.  Tests register themselves with TEST();
 * CHECK* records a failure and carries on, so one run reports every broken
 * assertion.  tests/unit/main.c runs them and prints a summary line that
 * tests/run.sh folds into the final "N passed, N failed".
 */
#ifndef CORDON_TESTS_T_H
#define CORDON_TESTS_T_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn, const char *file);
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)                                                          \
	static void name(void);                                             \
	__attribute__((constructor)) static void t_reg_##name(void)         \
	{                                                                   \
		t_register(#name, name, __FILE__);                          \
	}                                                                   \
	static void name(void)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond))                                                \
			t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);     \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		unsigned long long t_a_ = (unsigned long long)(a);          \
		unsigned long long t_b_ = (unsigned long long)(b);          \
		if (t_a_ != t_b_)                                           \
			t_fail(__FILE__, __LINE__, "%s == %#llx, expected %s == %#llx", \
			       #a, t_a_, #b, t_b_);                         \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *t_a_ = (a), *t_b_ = (b);                        \
		if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)              \
			t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
			       #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
	} while (0)

#endif
