/*
 * Helpers shared by the system-file tests (test_sysdef.c and
 * test_sysdef_chan.c): parsing a text as "sys.conf", expecting one exact
 * error, and fuzzing the parser from a valid example -- every input must
 * either parse or fail with one line "fuzz.sys:LINE: ..." naming a line
 * of the input, under ASan/UBSan.
 */
#ifndef CORDON_TESTS_SYSDEF_TEST_H
#define CORDON_TESTS_SYSDEF_TEST_H

#include <stdint.h>

#include "sec/sysdef.h"

/* text parsed as a file called "sys.conf", relative paths left alone. */
struct sysdef *parse(const char *text, char *err);
/* text must fail with exactly want (a test failure otherwise). */
void expect_error(const char *text, const char *want);

/* Every prefix of example.  Returns the number of bad results (each also
 * reported with t_fail); *parsed counts the prefixes that parsed. */
int sysdef_fuzz_each_prefix(const char *example, int *parsed);
/* rounds mutated copies of example (byte flips, deletions, duplicated
 * lines) from a fixed seed.  Same results as above. */
int sysdef_fuzz_mutated(const char *example, int rounds, uint64_t seed, int *parsed);

#endif
