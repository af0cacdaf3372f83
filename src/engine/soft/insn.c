/*
 * The instruction-definition table (insn.def) as data: the rows, and the
 * two maps the decoder reads them through (opcode -> row or group, group
 * and ModRM.reg -> row).  Everything here is const and built by the
 * compiler from the one list.
 */
#include "engine/soft/insn.h"
#include "engine/soft/jit_internal.h"
#include "engine/soft/ops.h"

const struct insn_def insn_defs[IOP_COUNT] = {
#define I(name, mn, form, opc, fmt, imm, attr, arg, sens, fin, fout, fund, fn, fr, fm, em) \
	[IOP_##name] = { mn, form, opc, -1, GRP_NONE, fmt, imm, attr, arg, sens, fin, fout, fund, fn, fr, fm, em },
#define G(name, mn, form, opc, grp, ext, fmt, imm, attr, arg, sens, fin, fout, fund, fn, fr, fm, em) \
	[IOP_##name] = { mn, form, opc, ext, grp, fmt, imm, attr, arg, sens, fin, fout, fund, fn, fr, fm, em },
#define GROUP(...)
#define ALIAS(...)
#include "engine/soft/insn.def"
#undef I
#undef G
#undef GROUP
#undef ALIAS
};

/* by_opcode[op]: the row, or MAP_GROUP | group. */
#define MAP_GROUP 0x8000u
static const uint16_t by_opcode[512] = {
#define I(name, mn, form, opc, fmt, imm, attr, ...) \
	[(opc)...(((attr) & (D_REGOP | D_RANGE8)) ? ((opc) | 7) : (opc))] = IOP_##name,
#define G(...)
#define GROUP(grp, opc) [opc] = MAP_GROUP | (grp),
#define ALIAS(...)
#include "engine/soft/insn.def"
#undef I
#undef G
#undef GROUP
#undef ALIAS
};

static const uint16_t by_group[GRP_COUNT][8] = {
#define I(...)
#define G(name, mn, form, opc, grp, ext, ...) [grp][ext] = IOP_##name,
#define GROUP(...)
#define ALIAS(grp, ext, name) [grp][ext] = IOP_##name,
#include "engine/soft/insn.def"
#undef I
#undef G
#undef GROUP
#undef ALIAS
};

_Static_assert(IOP_UD == 0, "unlisted opcodes and group slots must be #UD");
_Static_assert(IOP_COUNT < MAP_GROUP, "rows and group references share by_opcode");

enum igroup insn_group_of(unsigned op)
{
	if (op >= 512 || !(by_opcode[op] & MAP_GROUP))
		return GRP_NONE;
	return (enum igroup)(by_opcode[op] & ~MAP_GROUP);
}

enum iop insn_lookup(unsigned op, int ext)
{
	if (op >= 512)
		return IOP_UD;
	enum igroup g = insn_group_of(op);
	if (g == GRP_NONE)
		return (enum iop)by_opcode[op];
	return ext >= 0 && ext < 8 ? (enum iop)by_group[g][ext] : IOP_UD;
}
