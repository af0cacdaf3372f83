/*
 * A REP string instruction counts each element against the run's
 * instruction budget.  Found by the CPU fuzz target (a REP STOSD with
 * ECX near 2^32 timed out) and the hostile-guest suite (Ctrl-A x took
 * 15 s to stop such a guest): counted as one instruction per 16384
 * elements, one slice of 100,000 "instructions" moved 1.6 billion
 * elements over memory that is not RAM.
 */
#include "cpu_fixture.h"
#include "t.h"

TEST(rep_stos_over_no_ram_counts_each_element)
{
	struct fx *f = fx_new(1u << 20);
	static const uint8_t code[] = {
		0xb9, 0xf0, 0xff, 0xff, 0xff, /* mov ecx, 0xfffffff0 */
		0xbf, 0x00, 0x00, 0x00, 0xd0, /* mov edi, 0xd0000000: neither RAM nor a device */
		0xfc,                         /* cld */
		0xf3, 0xab,                   /* rep stosd */
		0xf4,                         /* hlt */
	};
	fx_code(f, code, sizeof(code));
	uint64_t ran = fx_run(f, 100000);
	uint32_t done = 0xfffffff0u - f->c->r[R_ECX];
	CHECK(done > 0);
	CHECK(done <= 100000 + 16384); /* at most one REP slice past the budget */
	CHECK(ran >= done);
	CHECK_EQ(f->c->r[R_EDI], 0xd0000000u + 4 * done);
	CHECK_EQ(f->c->eip, FX_CODE + 11); /* still at the REP: it will resume */
	fx_free(f);
}

TEST(repe_cmps_that_stops_early_is_finished)
{
	struct fx *f = fx_new(1u << 20);
	static const uint8_t code[] = {
		0xb9, 0x00, 0x01, 0x00, 0x00, /* mov ecx, 256 */
		0xbe, 0x00, 0x00, 0x02, 0x00, /* mov esi, FX_DATA */
		0xbf, 0x00, 0x10, 0x02, 0x00, /* mov edi, FX_DATA + 0x1000 */
		0xfc,                         /* cld */
		0xf3, 0xa6,                   /* repe cmpsb */
		0xf4,                         /* hlt */
	};
	f->ram[FX_DATA + 5] = 1; /* the sixth bytes differ */
	fx_code(f, code, sizeof(code));
	fx_run(f, 1000);
	CHECK_EQ(f->c->r[R_ECX], 256 - 6);
	CHECK_EQ(f->c->eip, FX_CODE + sizeof(code)); /* past the HLT */
	fx_free(f);
}
