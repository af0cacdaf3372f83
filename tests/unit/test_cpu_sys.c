/*
 * System instructions at CPL 0: CPUID (vendor, exactly the advertised
 * feature bits, brand string), RDTSC, RDMSR/WRMSR (unknown MSRs and CPL 3
 * fault with #GP(0), SYSENTER MSRs round-trip), what a reset clears, and
 * the MOV to CR0/CR4 combinations the SDM makes #GP(0).
 *
 * Code bytes assembled with `as --32` (Intel syntax).
 */
#include "engine/soft/ops.h"
#include "pm_fixture.h"
#include "t.h"

static uint32_t frame(struct fx *f, int slot)
{
	return fx_read32(f, f->c->seg[SR_SS].base + f->c->r[R_ESP] + 4u * (uint32_t)slot);
}

/* Runs CPUID with EAX = leaf; out = EAX EBX ECX EDX. */
static void cpuid(uint32_t leaf, uint32_t out[4])
{
	static const uint8_t code[] = {
		0x0f, 0xa2, /* cpuid */
		0xf4,       /* hlt */
	};
	struct fx *f = fx_new(0x100000);
	f->c->r[R_EAX] = leaf;
	f->c->r[R_ECX] = 0xdeadbeef;
	fx_code(f, code, sizeof(code));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), -1);
	out[0] = f->c->r[R_EAX];
	out[1] = f->c->r[R_EBX];
	out[2] = f->c->r[R_ECX];
	out[3] = f->c->r[R_EDX];
	fx_free(f);
}

TEST(cpuid_vendor)
{
	uint32_t r[4];
	char vendor[13];
	cpuid(0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	/* Linux applies its P6 (family 6) Intel paths to this vendor. */
	CHECK_STR(vendor, "GenuineIntel");
	CHECK(r[0] >= 1);
}

TEST(cpuid_features_exactly_what_is_implemented)
{
	const uint32_t fpu = 1u << 0, pse = 1u << 3, tsc = 1u << 4, msr = 1u << 5;
	const uint32_t cx8 = 1u << 8, pge = 1u << 13, cmov = 1u << 15;
	uint32_t r[4];
	cpuid(1, r);
	CHECK_EQ(r[3], fpu | pse | tsc | msr | cx8 | pge | cmov);
	CHECK_EQ(r[2], 0); /* no SSE3 and friends */
	CHECK_EQ((r[0] >> 8) & 0xf, 6); /* family 6 */
}

TEST(cpuid_brand_string)
{
	uint32_t r[4];
	char brand[49];
	cpuid(0x80000000u, r);
	CHECK(r[0] >= 0x80000004u);
	for (uint32_t k = 0; k < 3; k++) {
		cpuid(0x80000002u + k, r);
		memcpy(brand + 16 * k, r, 16);
	}
	brand[48] = 0;
	CHECK(strstr(brand, "cordon") != NULL);
}

static uint64_t fake_ns;

static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return fake_ns += 1000;
}

TEST(rdtsc_monotonic_and_wrmsr_tsc)
{
	static const uint8_t twice[] = {
		0x0f, 0x31, /* 00: rdtsc */
		0x89, 0xc6, /* 02: mov esi,eax */
		0x89, 0xd7, /* 04: mov edi,edx */
		0x0f, 0x31, /* 06: rdtsc */
		0xf4,       /* 08: hlt */
	};
	static const uint8_t set_tsc[] = {
		0xb9, 0x10, 0x00, 0x00, 0x00, /* 00: mov ecx,0x10 */
		0xba, 0x01, 0x00, 0x00, 0x00, /* 05: mov edx,0x1 */
		0xb8, 0x20, 0x00, 0x00, 0x00, /* 0a: mov eax,0x20 */
		0x0f, 0x30,                   /* 0f: wrmsr */
		0x0f, 0x31,                   /* 11: rdtsc */
		0xf4,                         /* 13: hlt */
	};
	struct fx *f = fx_new(0x100000);
	f->vm.clock.now_ns = fake_clock;
	fake_ns = 5u << 20;
	fx_code(f, twice, sizeof(twice));
	fx_run(f, 10);
	uint64_t t0 = ((uint64_t)f->c->r[R_EDI] << 32) | f->c->r[R_ESI];
	uint64_t t1 = ((uint64_t)f->c->r[R_EDX] << 32) | f->c->r[R_EAX];
	CHECK(t0 >= 5u << 20);
	CHECK(t1 > t0);

	fx_code(f, set_tsc, sizeof(set_tsc));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), -1);
	uint64_t t2 = ((uint64_t)f->c->r[R_EDX] << 32) | f->c->r[R_EAX];
	CHECK(t2 > 0x100000020ull);
	CHECK(t2 < 0x100000020ull + 1000000); /* WRMSR set it; it did not jump */
	fx_free(f);
}

TEST(msr_unknown_is_gp0)
{
	static const uint8_t rd[] = {
		0xb9, 0x34, 0x12, 0x00, 0x00, /* 00: mov ecx,0x1234 */
		0x0f, 0x32,                   /* 05: rdmsr */
		0xf4,                         /* 07: hlt */
	};
	static const uint8_t wr[] = {
		0xb9, 0x34, 0x12, 0x00, 0x00, /* 00: mov ecx,0x1234 */
		0xb8, 0x01, 0x00, 0x00, 0x00, /* 05: mov eax,0x1 */
		0x0f, 0x30,                   /* 0a: wrmsr */
		0xf4,                         /* 0c: hlt */
	};
	struct fx *f = fx_new(0x100000);
	f->c->r[R_EAX] = 0x1111;
	f->c->r[R_EDX] = 0x2222;
	fx_code(f, rd, sizeof(rd));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(frame(f, 1), FX_CODE + 5);
	CHECK_EQ(f->c->r[R_EAX], 0x1111);
	CHECK_EQ(f->c->r[R_EDX], 0x2222);
	fx_free(f);

	f = fx_new(0x100000);
	fx_code(f, wr, sizeof(wr));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(frame(f, 1), FX_CODE + 0xa);
	fx_free(f);
}

TEST(msr_known_at_cpl3_is_gp0)
{
	static const uint8_t body[] = {
		0xb9, 0x74, 0x01, 0x00, 0x00, /* 00: mov ecx,0x174 */
		0x0f, 0x32,                   /* 05: rdmsr */
		0xcd, 0x80,                   /* 07: int 0x80 */
	};
	struct fx *f = pm_new();
	pm_run_at(f, 3, body, sizeof(body), 0x2);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(pm_err(f), 0);
	CHECK_EQ(frame(f, 1), PM_USER_BODY + 5);
	fx_free(f);
}

TEST(msr_sysenter_round_trip)
{
	static const uint8_t code[] = {
		0xb9, 0x74, 0x01, 0x00, 0x00,       /* 00: mov ecx,0x174 */
		0xb8, 0x08, 0x00, 0x00, 0x00,       /* 05: mov eax,0x8 */
		0x31, 0xd2,                         /* 0a: xor edx,edx */
		0x0f, 0x30,                         /* 0c: wrmsr */
		0xb9, 0x75, 0x01, 0x00, 0x00,       /* 0e: mov ecx,0x175 */
		0xb8, 0x78, 0x56, 0x34, 0x12,       /* 13: mov eax,0x12345678 */
		0x0f, 0x30,                         /* 18: wrmsr */
		0xb9, 0x76, 0x01, 0x00, 0x00,       /* 1a: mov ecx,0x176 */
		0xb8, 0x21, 0x43, 0x65, 0x87,       /* 1f: mov eax,0x87654321 */
		0x0f, 0x30,                         /* 24: wrmsr */
		0xb9, 0x74, 0x01, 0x00, 0x00,       /* 26: mov ecx,0x174 */
		0x0f, 0x32,                         /* 2b: rdmsr */
		0xa3, 0x00, 0x00, 0x02, 0x00,       /* 2d: mov ds:0x20000,eax */
		0x89, 0x15, 0x04, 0x00, 0x02, 0x00, /* 32: mov DWORD PTR ds:0x20004,edx */
		0xb9, 0x75, 0x01, 0x00, 0x00,       /* 38: mov ecx,0x175 */
		0x0f, 0x32,                         /* 3d: rdmsr */
		0xa3, 0x08, 0x00, 0x02, 0x00,       /* 3f: mov ds:0x20008,eax */
		0xb9, 0x76, 0x01, 0x00, 0x00,       /* 44: mov ecx,0x176 */
		0x0f, 0x32,                         /* 49: rdmsr */
		0xa3, 0x0c, 0x00, 0x02, 0x00,       /* 4b: mov ds:0x2000c,eax */
		0xf4,                               /* 50: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_write32(f, FX_DATA + 4, 0xffffffffu);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(fx_read32(f, FX_DATA), 0x08);
	CHECK_EQ(fx_read32(f, FX_DATA + 4), 0);
	CHECK_EQ(fx_read32(f, FX_DATA + 8), 0x12345678u);
	CHECK_EQ(fx_read32(f, FX_DATA + 12), 0x87654321u);
	CHECK_EQ(f->c->sysenter_cs, 0x08);
	CHECK_EQ(f->c->sysenter_esp, 0x12345678u);
	CHECK_EQ(f->c->sysenter_eip, 0x87654321u);
	fx_free(f);
}

/*
 * cpu_reset is a RESET: the x87 data registers are +0.0 and the MSRs a
 * guest wrote are back to a new CPU's values.  (The cpu fuzz target resets
 * its two CPUs between inputs: FNSAVE of registers an earlier input left
 * behind, different in each, was a false divergence.)
 */
TEST(cpu_reset_clears_x87_registers_and_msrs)
{
	static const uint8_t dirty[] = {
		0xd9, 0xe8,                   /* 00: fld1 */
		0xd9, 0xeb,                   /* 02: fldpi */
		0xb9, 0x74, 0x01, 0x00, 0x00, /* 04: mov ecx,0x174 */
		0xb8, 0x08, 0x00, 0x00, 0x00, /* 09: mov eax,0x8 */
		0x31, 0xd2,                   /* 0e: xor edx,edx */
		0x0f, 0x30,                   /* 10: wrmsr */
		0xb9, 0xa0, 0x01, 0x00, 0x00, /* 12: mov ecx,0x1a0 */
		0x0f, 0x30,                   /* 17: wrmsr */
		0xb9, 0x10, 0x00, 0x00, 0x00, /* 19: mov ecx,0x10 */
		0xba, 0x07, 0x00, 0x00, 0x00, /* 1e: mov edx,0x7 */
		0x0f, 0x30,                   /* 23: wrmsr */
		0xf4,                         /* 25: hlt */
	};
	static const uint8_t look[] = {
		0xdd, 0x35, 0x00, 0x00, 0x02, 0x00, /* 00: fnsave [0x20000] */
		0xb9, 0x74, 0x01, 0x00, 0x00,       /* 06: mov ecx,0x174 */
		0x0f, 0x32,                         /* 0b: rdmsr */
		0xa3, 0x70, 0x00, 0x02, 0x00,       /* 0d: mov ds:0x20070,eax */
		0xf4,                               /* 12: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, dirty, sizeof(dirty));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->sysenter_cs, 0x08);
	CHECK_EQ(f->c->misc_enable, 0x08);
	CHECK(f->c->tsc_offset != 0);

	fx_reset(f);
	for (uint32_t at = 28; at < 108; at += 4) /* the eight registers' images */
		fx_write32(f, FX_DATA + at, 0xffffffffu);
	fx_write32(f, FX_DATA + 0x70, 0xffffffffu);
	fx_code(f, look, sizeof(look));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	for (uint32_t at = 28; at < 108; at += 4)
		CHECK_EQ(fx_read32(f, FX_DATA + at), 0);
	CHECK_EQ(fx_read32(f, FX_DATA + 0x70), 0); /* SYSENTER_CS */
	CHECK_EQ(f->c->misc_enable, 0);
	CHECK_EQ(f->c->tsc_offset, 0);
	fx_free(f);
}

/* mov eax,imm32 ; mov crN,eax ; hlt -- expecting #GP(0) and no change. */
static void check_bad_cr_write(uint8_t modrm, uint32_t value)
{
	uint8_t code[] = {
		0xb8, 0, 0, 0, 0, /* 00: mov eax,value */
		0x0f, 0x22, 0,    /* 05: mov crN,eax */
		0xf4,             /* 08: hlt */
	};
	memcpy(code + 1, &value, 4);
	code[7] = modrm;
	struct fx *f = fx_new(0x100000);
	uint32_t cr0 = f->c->cr0, cr4 = f->c->cr4;
	fx_code(f, code, sizeof(code));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(frame(f, 0), 0);
	CHECK_EQ(frame(f, 1), FX_CODE + 5);
	CHECK_EQ(f->c->cr0, cr0);
	CHECK_EQ(f->c->cr4, cr4);
	fx_free(f);
}

TEST(cr4_pae_is_gp0)
{
	check_bad_cr_write(0xe0, CR4_PAE);          /* mov cr4,eax */
	check_bad_cr_write(0xe0, CR4_PAE | CR4_PSE);
}

TEST(cr0_pg_without_pe_is_gp0)
{
	check_bad_cr_write(0xc0, CR0_PG | CR0_ET);  /* mov cr0,eax */
	check_bad_cr_write(0xc0, CR0_NW | CR0_PE | CR0_ET); /* NW without CD */
}

TEST(cr4_supported_bits_are_accepted)
{
	static const uint8_t code[] = {
		0xb8, 0x90, 0x00, 0x00, 0x00, /* 00: mov eax,0x90  (PSE | PGE) */
		0x0f, 0x22, 0xe0,             /* 05: mov cr4,eax */
		0x0f, 0x20, 0xe3,             /* 08: mov ebx,cr4 */
		0xf4,                         /* 0b: hlt */
	};
	struct fx *f = fx_new(0x100000);
	fx_code(f, code, sizeof(code));
	fx_run(f, 10);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EBX], CR4_PSE | CR4_PGE);
	fx_free(f);
}
