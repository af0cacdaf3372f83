/*
 * What every fuzz target shares: a reader that turns libFuzzer's byte
 * string into the values a target needs, and checks that abort with a
 * message (libFuzzer then saves the input as a crash).
 *
 * A target is one file, tests/fuzz/NAME.c, defining LLVMFuzzerTestOneInput
 * (see docs/testing.md, "Fuzzing").  Its reads past the end of the input
 * return zeros, so every byte string is a valid input: the fuzzer never
 * wastes executions on inputs a target rejects for being short.
 */
#ifndef CORDON_TESTS_FUZZ_H
#define CORDON_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target; libFuzzer calls it once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline struct fuzz_in fuzz_in(const uint8_t *data, size_t size)
{
	return (struct fuzz_in){ data, size };
}

static inline bool fin_empty(const struct fuzz_in *in)
{
	return in->n == 0;
}

static inline uint8_t fin_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fin_u16(struct fuzz_in *in)
{
	uint16_t lo = fin_u8(in);
	return (uint16_t)(lo | fin_u8(in) << 8);
}

static inline uint32_t fin_u32(struct fuzz_in *in)
{
	uint32_t lo = fin_u16(in);
	return lo | (uint32_t)fin_u16(in) << 16;
}

static inline uint64_t fin_u64(struct fuzz_in *in)
{
	uint64_t lo = fin_u32(in);
	return lo | (uint64_t)fin_u32(in) << 32;
}

/* Copies up to len bytes into out (zero-filling the rest); returns how
 * many came from the input. */
static inline size_t fin_bytes(struct fuzz_in *in, void *out, size_t len)
{
	size_t n = len < in->n ? len : in->n;
	memcpy(out, in->p, n);
	memset((uint8_t *)out + n, 0, len - n);
	in->p += n;
	in->n -= n;
	return n;
}

/* A copy of the rest of the input in a heap block of exactly its size
 * (ASan then sees a read one byte past it); *len gets the size. */
static inline uint8_t *fin_rest(struct fuzz_in *in, size_t *len)
{
	uint8_t *buf = malloc(in->n ? in->n : 1);
	if (!buf)
		abort();
	memcpy(buf, in->p, in->n);
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return buf;
}

/* FUZZ_VERBOSE=1 in the environment: targets say what they do (for
 * writing seeds and replaying findings), on stderr. */
static inline bool fuzz_verbose(void)
{
	static int v = -1;
	if (v < 0)
		v = getenv("FUZZ_VERBOSE") != NULL;
	return v;
}

#define FUZZ_SAY(...)                                                           \
	do {                                                                    \
		if (fuzz_verbose())                                             \
			fprintf(stderr, __VA_ARGS__);                           \
	} while (0)

/* A broken contract: libFuzzer records the input that got here. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ",       \
				__FILE__, __LINE__, #cond);                     \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* An error message a function wrote into err[0..cap): NUL-terminated
 * inside the buffer and not empty. */
static inline bool fuzz_message_ok(const char *err, size_t cap)
{
	return memchr(err, '\0', cap) && err[0] != '\0';
}

#endif
