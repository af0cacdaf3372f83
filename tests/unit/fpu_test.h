/*
 * Helpers shared by the x87 tests (test_fpu.c, test_fpu_ctl.c): guest code
 * (assembled with `as --32`, bytes pasted with the source line beside
 * them) runs on the fixture CPU and leaves its results in memory at
 * FX_DATA.
 */
#ifndef CORDON_TESTS_FPU_TEST_H
#define CORDON_TESTS_FPU_TEST_H

#include <stdbool.h>
#include <string.h>

#include "cpu_fixture.h"

#define D FX_DATA

static inline struct fx *fpu_fx(const uint8_t *code, size_t n)
{
	struct fx *f = fx_new(1u << 20);
	fx_code(f, code, n);
	return f;
}

static inline void put(struct fx *f, uint32_t pa, const void *p, size_t n)
{
	memcpy(f->ram + pa, p, n);
}

static inline void put16(struct fx *f, uint32_t pa, uint16_t v)
{
	put(f, pa, &v, 2);
}

static inline void put_f64(struct fx *f, uint32_t pa, double v)
{
	put(f, pa, &v, 8);
}

static inline void put_ld(struct fx *f, uint32_t pa, long double v)
{
	put(f, pa, &v, 10);
}

static inline long double get_ld(struct fx *f, uint32_t pa)
{
	long double v = 0;
	memcpy(&v, f->ram + pa, 10);
	return v;
}

static inline uint16_t get16(struct fx *f, uint32_t pa)
{
	uint16_t v;
	memcpy(&v, f->ram + pa, 2);
	return v;
}

static inline uint64_t get64(struct fx *f, uint32_t pa)
{
	uint64_t v;
	memcpy(&v, f->ram + pa, 8);
	return v;
}

/* An 80-bit value from its sign/exponent and significand fields. */
static inline long double ext80(uint16_t se, uint64_t mant)
{
	long double v = 0;
	memcpy(&v, &mant, 8);
	memcpy((uint8_t *)&v + 8, &se, 2);
	return v;
}

static inline bool within_ulps(long double a, long double b, long double ulp, int n)
{
	long double d = a > b ? a - b : b - a;
	return d <= ulp * n;
}

/* Status word bits used below. */
#define IE 0x0001
#define ZE 0x0004
#define PE 0x0020
#define SF 0x0040
#define ES 0x0080
#define C0 0x0100
#define C1 0x0200
#define C2 0x0400
#define C3 0x4000
#define FSW_TOP_BITS 0x3800
#define TOP(sw) (((sw) >> 11) & 7)

#endif
