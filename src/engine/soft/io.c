/*
 * I/O permission: in protected mode, IN/OUT/INS/OUTS run freely at
 * CPL <= IOPL; otherwise every port the access touches must have a clear
 * bit in the I/O permission bitmap of the current 32-bit TSS (its offset
 * is the word at TSS+0x66).  Bits beyond the TSS limit count as set.
 */
#include "engine/soft/ops.h"
#include "engine/soft/pm.h"

void io_check(struct cpu *c, uint16_t port, int size)
{
	if (!cpu_pmode(c) || (!cpu_v86(c) && c->cpl <= cpu_iopl(c)))
		return;
	/* A 16-bit TSS has no bitmap: access denied. */
	if (!tss_is_32(SA_TYPE(c->tr.attr)) || c->tr.limit < 0x67)
		cpu_gp(c, 0);
	uint32_t map = sread16(c, c->tr.base + 0x66);
	uint32_t byte = map + port / 8u;
	/* The ports may straddle two bitmap bytes; both must be in the TSS. */
	if (byte + 1 > c->tr.limit)
		cpu_gp(c, 0);
	uint32_t bits = sread16(c, c->tr.base + byte);
	uint32_t want = ((1u << size) - 1u) << (port & 7u);
	if (bits & want)
		cpu_gp(c, 0);
}
