/*
 * Protected-mode internals shared by seg.c, intr.c and task.c: raw
 * descriptors, descriptor-table access, segment-cache loads with the SDM's
 * checks, and a "pending stack" that lets a far transfer write its frame
 * to memory before any register changes (handlers fault by longjmp, so a
 * fault half-way must leave the architectural state untouched).
 *
 * Error codes: selector errors are (sel & 0xfffc) | ext, where ext is 1 when
 * the fault happens while delivering an external interrupt or an exception
 * (the EXT bit of the error code).
 */
#ifndef CORDON_ENGINE_SOFT_PM_H
#define CORDON_ENGINE_SOFT_PM_H

#include "engine/soft/cpu.h"

/* A raw 8-byte descriptor. */
struct desc {
	uint32_t lo, hi;
};

#define SEL_RPL(s) ((s) & 3u)
#define SEL_TI 4u
#define SEL_ERR(s) ((uint32_t)(s) & 0xfffcu)
#define SEL_IS_NULL(s) (((s) & 0xfffcu) == 0)

/* System descriptor types (S = 0). */
enum {
	SYS_TSS16 = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4,
	SYS_TASK_GATE = 5, SYS_INT16 = 6, SYS_TRAP16 = 7, SYS_TSS32 = 9,
	SYS_TSS32_BUSY = 11, SYS_CALL32 = 12, SYS_INT32 = 14, SYS_TRAP32 = 15,
};
#define TSS_BUSY_BIT 0x2u /* type bit that turns an available TSS busy */

static inline uint16_t desc_attr(struct desc d)
{
	return (uint16_t)(((d.hi >> 8) & 0x00ffu) | ((d.hi >> 8) & 0xf000u));
}
static inline uint32_t desc_base(struct desc d)
{
	return (d.lo >> 16) | ((d.hi & 0xffu) << 16) | (d.hi & 0xff000000u);
}
/* Byte-granular limit (scaled by G). */
static inline uint32_t desc_limit(struct desc d)
{
	uint32_t l = (d.lo & 0xffffu) | (d.hi & 0xf0000u);
	return (d.hi & (1u << 23)) ? (l << 12) | 0xfffu : l;
}
static inline unsigned desc_type(struct desc d) { return (d.hi >> 8) & 0xfu; }
static inline bool desc_is_sys(struct desc d) { return !(d.hi & (1u << 12)); }
static inline int desc_dpl(struct desc d) { return (d.hi >> 13) & 3; }
static inline bool desc_present(struct desc d) { return d.hi & (1u << 15); }
static inline bool desc_is_code(struct desc d)
{
	return !desc_is_sys(d) && (desc_type(d) & ST_CODE);
}
static inline bool desc_is_conforming_code(struct desc d)
{
	return desc_is_code(d) && (desc_type(d) & ST_CONFORMING);
}
/* Data segment or readable code segment: may be loaded into DS/ES/FS/GS. */
static inline bool desc_is_readable(struct desc d)
{
	return !desc_is_sys(d) && (!(desc_type(d) & ST_CODE) || (desc_type(d) & ST_READABLE));
}
static inline bool desc_is_writable_data(struct desc d)
{
	return !desc_is_sys(d) && !(desc_type(d) & ST_CODE) && (desc_type(d) & ST_WRITABLE);
}
/* Gate fields (call, interrupt, trap, task gates). */
static inline uint16_t gate_sel(struct desc d) { return (uint16_t)(d.lo >> 16); }
static inline uint32_t gate_offset(struct desc d)
{
	return (d.lo & 0xffffu) | (d.hi & 0xffff0000u);
}
static inline unsigned gate_params(struct desc d) { return d.hi & 0x1fu; }
static inline bool tss_is_32(unsigned type) { return type == SYS_TSS32 || type == SYS_TSS32_BUSY; }

/* --- seg.c ------------------------------------------------------------------ */

/* Reads the descriptor of sel from the GDT or LDT; false when the selector
 * is beyond the table limit (or the LDT is unusable). */
bool desc_read(struct cpu *c, uint16_t sel, struct desc *d);
/* Same, but raises vec((sel & 0xfffc) | ext) when beyond the limit. */
struct desc desc_fetch(struct cpu *c, uint16_t sel, int vec, uint32_t ext);
/* Rewrites the type byte of the descriptor of sel (accessed/busy bits). */
void desc_write_type(struct cpu *c, uint16_t sel, struct desc *d, unsigned type);
/* Sets the accessed bit of a code/data descriptor in memory if clear. */
void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d);

/* Fills a segment cache from a descriptor (or makes it null/unusable). */
void seg_from_desc(struct seg *s, uint16_t sel, struct desc d);
void seg_make_null(struct seg *s, uint16_t sel);
/* Commits CS (RPL forced to cpl) and the CPL. */
void seg_commit_cs(struct cpu *c, uint16_t sel, struct desc d, int cpl);

/*
 * Validation as the SDM's MOV/POP/task switch/RET pseudo-code does it.
 * The checks raise vec(sel|ext) for a bad selector, and #NP(sel|ext) /
 * #SS(sel|ext) for a not-present segment.  They return the descriptor with
 * the accessed bit already set in memory.
 */
/* SS at privilege cpl; a null selector raises vec(ext). */
struct desc check_stack_seg(struct cpu *c, uint16_t sel, int cpl, int vec, uint32_t ext);
/* DS/ES/FS/GS at privilege cpl; returns false (nothing read) for null. */
bool check_data_seg(struct cpu *c, uint16_t sel, int cpl, int vec, uint32_t ext, struct desc *out);
/* After a return to an outer level: nulls DS/ES/FS/GS the new CPL may not use. */
void seg_null_invalid(struct cpu *c);

/*
 * Pending stack: pushes go to memory at once with limit checks against
 * a copy of the stack segment; stk_commit() then installs SS:ESP.
 */
struct stk {
	struct seg ss;
	uint32_t esp;      /* full ESP value */
	bool big;          /* SS.B: 32-bit stack pointer */
	bool super;        /* supervisor accesses (a stack of an inner ring) */
	uint32_t err;      /* #SS error code on a limit violation */
};
void stk_current(struct cpu *c, struct stk *s);
void stk_push(struct cpu *c, struct stk *s, int size, uint32_t v);
void stk_commit(struct cpu *c, const struct stk *s);
/* Reads ring n's SS:ESP from the current TSS; #TS(tr|ext) beyond its limit. */
void tss_inner_stack(struct cpu *c, int n, uint32_t ext, uint16_t *ss, uint32_t *esp);

/* --- far.c ------------------------------------------------------------------ */

/* The CS checks of far RET and IRET (RPL >= CPL, DPL rules, present). */
struct desc check_return_cs(struct cpu *c, uint16_t sel);

/* --- intr.c ----------------------------------------------------------------- */

/* EFLAGS bits IRET/POPF may write at the current CPL and IOPL (op32 or not). */
uint32_t eflags_pop_mask(struct cpu *c, bool op32, bool iret);

/* --- task.c ----------------------------------------------------------------- */

/* task_switch with the EXT bit for its error codes and the EIP saved in
 * the outgoing TSS given explicitly. */
void task_switch_ext(struct cpu *c, uint16_t tss_sel, enum task_reason why,
		     bool has_err, uint32_t err, uint32_t ext, uint32_t save_eip);

#endif
