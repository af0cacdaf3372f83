/*
 * System instructions: control and debug registers, MSRs, CPUID, the time
 * stamp counter, cache control.
 *
 * CPUID advertises exactly what this engine implements: FPU, PSE, TSC, MSR,
 * CX8, PGE, CMOV, and APIC when the machine has a local APIC (the APIC is
 * the machine's: IA32_APIC_BASE is routed to it).  No PAE, MTRR, PAT, VME,
 * MMX, FXSR or SSE, so a guest never takes a code path the engine cannot
 * follow.
 */
#include <string.h>

#include "engine/soft/ops.h"

#define CPUID_FPU (1u << 0)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_FEATURES (CPUID_FPU | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_PGE | CPUID_CMOV)
#define CPUID_SIGNATURE 0x0633u /* family 6 model 3 stepping 3 */

static void require_cpl0(struct cpu *c)
{
	if (cpu_pmode(c) && c->cpl != 0)
		cpu_gp(c, 0);
}

/* --- control registers ---------------------------------------------------- */

void cpu_set_cr0(struct cpu *c, uint32_t v)
{
	if ((v & CR0_PG) && !(v & CR0_PE))
		cpu_gp(c, 0);
	if ((v & CR0_NW) && !(v & CR0_CD))
		cpu_gp(c, 0);
	uint32_t old = c->cr0;
	c->cr0 = (v & 0xe005003fu) | CR0_ET;
	if ((old ^ c->cr0) & (CR0_PG | CR0_WP | CR0_PE))
		tlb_flush_all(c);
	if ((old ^ c->cr0) & CR0_PE) {
		if (!(c->cr0 & CR0_PE))
			c->cpl = 0;
		for (int s = 0; s < 6; s++)
			seg_refresh(&c->seg[s], cpu_pmode(c));
	}
	c->block_abort = true;
}

void cpu_set_cr3(struct cpu *c, uint32_t v)
{
	c->cr3 = v & 0xfffff018u;
	tlb_flush_nonglobal(c);
}

void cpu_set_cr4(struct cpu *c, uint32_t v)
{
	const uint32_t supported = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE;
	if (v & ~supported)
		cpu_gp(c, 0);
	uint32_t old = c->cr4;
	c->cr4 = v;
	if ((old ^ v) & (CR4_PSE | CR4_PGE))
		tlb_flush_all(c);
}

OP(op_mov_r_cr)
{
	require_cpl0(c);
	uint32_t v;
	switch (i->reg) {
	case 0: v = c->cr0; break;
	case 2: v = c->cr2; break;
	case 3: v = c->cr3; break;
	case 4: v = c->cr4; break;
	default: cpu_ud(c);
	}
	c->r[i->rm] = v;
}

OP(op_mov_cr_r)
{
	require_cpl0(c);
	uint32_t v = c->r[i->rm];
	switch (i->reg) {
	case 0: cpu_set_cr0(c, v); break;
	case 2: c->cr2 = v; break;
	case 3: cpu_set_cr3(c, v); break;
	case 4: cpu_set_cr4(c, v); break;
	default: cpu_ud(c);
	}
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE.  Breakpoints are stored, not armed. */
static int dr_index(struct cpu *c, int n)
{
	if (n == 4 || n == 5) {
		if (c->cr4 & CR4_DE)
			cpu_ud(c);
		return n + 2;
	}
	return n;
}

OP(op_mov_r_dr)
{
	require_cpl0(c);
	c->r[i->rm] = c->dr[dr_index(c, i->reg)];
}

OP(op_mov_dr_r)
{
	require_cpl0(c);
	int n = dr_index(c, i->reg);
	uint32_t v = c->r[i->rm];
	if (n == 6)
		v = (v & 0x0000e00fu) | 0xffff0ff0u;
	else if (n == 7)
		v = (v & 0xffff2fffu) | 0x400u;
	c->dr[n] = v;
}

OP(op_clts)
{
	(void)i;
	require_cpl0(c);
	c->cr0 &= ~CR0_TS;
}

OP(op_invd) { (void)i; require_cpl0(c); }
OP(op_wbinvd) { (void)i; require_cpl0(c); }
OP(op_ud2) { (void)i; cpu_ud(c); }
OP(op_nop_modrm) { (void)c, (void)i; }

/* --- time stamp counter --------------------------------------------------- */

uint64_t cpu_tsc(struct cpu *c)
{
	return cpu_clock_ns(c) * SOFT_TSC_PER_NS + c->tsc_offset;
}

OP(op_rdtsc)
{
	(void)i;
	if ((c->cr4 & CR4_TSD) && cpu_pmode(c) && c->cpl != 0)
		cpu_gp(c, 0);
	uint64_t t = cpu_tsc(c);
	c->r[R_EAX] = (uint32_t)t;
	c->r[R_EDX] = (uint32_t)(t >> 32);
}

OP(op_rdpmc)
{
	(void)i;
	cpu_gp(c, 0); /* no performance counters are modelled */
}

/* --- MSRs ----------------------------------------------------------------- */

enum {
	MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_EBL_CR_POWERON = 0x2a,
	MSR_BIOS_UPDT_TRIG = 0x79, MSR_BIOS_SIGN_ID = 0x8b,
	MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
	MSR_MISC_ENABLE = 0x1a0, MSR_DEBUGCTL = 0x1d9,
};

/* Returns false for an MSR the engine does not model (the guest gets #GP). */
static bool msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
	switch (msr) {
	case MSR_TSC: *v = cpu_tsc(c); return true;
	case MSR_APIC_BASE: return cpu_apic_base_read(c, v);
	case MSR_PLATFORM_ID:
	case MSR_EBL_CR_POWERON:
	case MSR_BIOS_SIGN_ID:
	case MSR_DEBUGCTL:
		*v = 0;
		return true;
	case MSR_SYSENTER_CS: *v = c->sysenter_cs; return true;
	case MSR_SYSENTER_ESP: *v = c->sysenter_esp; return true;
	case MSR_SYSENTER_EIP: *v = c->sysenter_eip; return true;
	case MSR_MISC_ENABLE: *v = c->misc_enable; return true;
	default: return false;
	}
}

static bool msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
	switch (msr) {
	case MSR_TSC:
		c->tsc_offset = v - cpu_clock_ns(c) * SOFT_TSC_PER_NS;
		return true;
	case MSR_APIC_BASE: return cpu_apic_base_write(c, v);
	case MSR_BIOS_UPDT_TRIG:
	case MSR_BIOS_SIGN_ID:
	case MSR_DEBUGCTL:
		return true;
	case MSR_SYSENTER_CS: c->sysenter_cs = (uint32_t)v; return true;
	case MSR_SYSENTER_ESP: c->sysenter_esp = (uint32_t)v; return true;
	case MSR_SYSENTER_EIP: c->sysenter_eip = (uint32_t)v; return true;
	case MSR_MISC_ENABLE: c->misc_enable = v; return true;
	default: return false;
	}
}

OP(op_rdmsr)
{
	(void)i;
	require_cpl0(c);
	uint64_t v;
	if (!msr_read(c, c->r[R_ECX], &v))
		cpu_gp(c, 0);
	c->r[R_EAX] = (uint32_t)v;
	c->r[R_EDX] = (uint32_t)(v >> 32);
}

OP(op_wrmsr)
{
	(void)i;
	require_cpl0(c);
	if (!msr_write(c, c->r[R_ECX], ((uint64_t)c->r[R_EDX] << 32) | c->r[R_EAX]))
		cpu_gp(c, 0);
}

/* --- CPUID ---------------------------------------------------------------- */

static uint32_t str4(const char *s)
{
	uint32_t v;
	memcpy(&v, s, 4);
	return v;
}

static const char brand[48] = "cordon soft CPU (Pentium II class)";

OP(op_cpuid)
{
	(void)i;
	uint32_t leaf = c->r[R_EAX], a = 0, b = 0, d = 0, cx = 0;
	if (leaf == 0) {
		a = 2;
		b = str4("Genu"), d = str4("ineI"), cx = str4("ntel");
	} else if (leaf == 1) {
		a = CPUID_SIGNATURE;
		d = CPUID_FEATURES | (cpu_has_lapic(c) ? CPUID_APIC : 0);
	} else if (leaf == 2) {
		a = 0x00000001; /* one iteration, no cache descriptors */
	} else if (leaf == 0x80000000u) {
		a = 0x80000004u;
	} else if (leaf >= 0x80000002u && leaf <= 0x80000004u) {
		const char *p = brand + (leaf - 0x80000002u) * 16;
		a = str4(p), b = str4(p + 4), cx = str4(p + 8), d = str4(p + 12);
	}
	c->r[R_EAX] = a, c->r[R_EBX] = b, c->r[R_ECX] = cx, c->r[R_EDX] = d;
}
