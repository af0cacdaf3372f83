/*
 * The soft engine's CPU: an IA-32 processor of the Pentium Pro / Pentium II
 * class: decoded blocks are translated to host code (jit.h) or interpreted.
 *
 * Speed comes from three caches, all in this struct (docs/engine.md):
 *   - decoded blocks: straight-line runs of decoded instructions keyed by the
 *     guest-physical address of their first byte (decode once, run often),
 *     chained to their successors; a per-page generation counter
 *     invalidates them when the page is written;
 *   - lazy flags: arithmetic records its operands and result and the
 *     flags are computed only when something reads them;
 *   - a software TLB mapping guest linear pages to host pointers, one set
 *     per privilege (supervisor / user) so permission checks are folded into
 *     the tag compare.
 *
 * Faults unwind with longjmp to the run loop, which delivers them; handlers
 * therefore do every access that can fault before they change any register.
 *
 * The source is split by concern:
 *   cpu.c       state, reset, EFLAGS, exceptions
 *   run.c       the run loop: exception and interrupt delivery, bursts
 *   machine.c   the paths out to the machine (engine/machine.h)
 *   block.c     decoded-block pool, hash table and chaining
 *   insn.def    the instruction table: one row per operation and form
 *   insn.c      the table as data, and the decoder's maps into it (insn.h)
 *   decode.c    prefixes, the opcode's row, ModRM/SIB, immediates
 *   fast.c      specialised handlers for the frequent 32-bit forms
 *   operand.c   r/m operand access, read-modify-write
 *   mem.c       segment checks, software TLB, guest memory slow paths
 *   paging.c    2-level page walk, 4 MiB pages, A/D bits, #PF
 *   flags.c     lazy flags and condition codes
 *   alu.c       integer arithmetic and logic, multiply/divide, BCD
 *   shift.c     shifts, rotates, double shifts, bit tests and scans
 *   ctl.c       moves, stack, near control flow, flag instructions, IN/OUT
 *   string.c    string instructions and REP
 *   sys.c       control and debug registers, MSRs, CPUID, TSC
 *   seg.c       segment loads and descriptor checks (pm.h)
 *   far.c       far JMP/CALL/RET, call gates
 *   sysdesc.c   SGDT..LMSW, SLDT..VERW, LAR, LSL, ARPL, SYSENTER/SYSEXIT
 *   intr.c      interrupt and exception delivery, INT n, IRET
 *   task.c      hardware task switch
 *   io.c        IOPL and the TSS I/O permission bitmap
 *   fpu*.c      x87 (fpu.h)
 *   jit*.c      translation of blocks to x86-64 host code (jit.h)
 *   soft.c      the engine_ops glue: fills in struct machine from struct
 *               vm (the only engine file that includes vm/)
 */
#ifndef CORDON_ENGINE_SOFT_CPU_H
#define CORDON_ENGINE_SOFT_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/machine.h"

/* General registers, in ModRM encoding order. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers, in ModRM encoding order; SR_NONE for "no override". */
enum { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS, SR_NONE = 7 };

/* Exception vectors. */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
	EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11,
	EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17,
	EXC_MC = 18,
};

/* EFLAGS bits. */
#define FL_CF 0x00000001u
#define FL_FIXED1 0x00000002u
#define FL_PF 0x00000004u
#define FL_AF 0x00000010u
#define FL_ZF 0x00000040u
#define FL_SF 0x00000080u
#define FL_TF 0x00000100u
#define FL_IF 0x00000200u
#define FL_DF 0x00000400u
#define FL_OF 0x00000800u
#define FL_IOPL 0x00003000u
#define FL_NT 0x00004000u
#define FL_RF 0x00010000u
#define FL_VM 0x00020000u
#define FL_AC 0x00040000u
#define FL_VIF 0x00080000u
#define FL_VIP 0x00100000u
#define FL_ID 0x00200000u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_IOPL_SHIFT 12

/* Control register bits. */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE 0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_MCE 0x0040u
#define CR4_PGE 0x0080u
#define CR4_PCE 0x0100u
#define CR4_OSFXSR 0x0200u

/*
 * Descriptor attribute word: bits 40..47 and 52..55 of a segment descriptor,
 * packed as in struct boot_seg (engine.h):
 *   bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 14 D/B, 15 G.
 */
#define SA_TYPE(a) ((a) & 0xfu)
#define SA_S 0x0010u
#define SA_DPL(a) (((a) >> 5) & 3u)
#define SA_P 0x0080u
#define SA_DB 0x4000u
#define SA_G 0x8000u
/* For S=1 segments: type bit 3 = code; code: bit 2 conforming, bit 1 readable;
 * data: bit 2 expand-down, bit 1 writable; bit 0 accessed. */
#define ST_CODE 0x8u
#define ST_CONFORMING 0x4u
#define ST_EXPDOWN 0x4u
#define ST_READABLE 0x2u
#define ST_WRITABLE 0x2u
#define ST_ACCESSED 0x1u

/* A segment register with its hidden (descriptor cache) part. */
struct seg {
	uint16_t sel;
	uint16_t attr;
	uint32_t base;
	uint32_t limit; /* byte granular, already scaled by G */
	/*
	 * Derived by seg_refresh() from attr/limit so every access makes one
	 * range compare: an access of n bytes at offset o is inside the
	 * segment iff lo <= o && o + n - 1 <= hi (no wrap).  An unusable
	 * segment (null selector in protected mode) has lo > hi.
	 */
	uint32_t lo, hi;
	bool readable, writable;
	/* Base 0, lo 0, hi 4 GiB - 1, readable and writable: translated code
	 * skips the segment checks (see xl_access in jit_mem.c). */
	bool flat;
};

/* Lazy-flag operations; the operand size is kept in lf_size. */
enum lf_op {
	LF_NONE, /* flags are in cpu->eflags */
	LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC,
	LF_SZPCO, /* SF ZF PF from the result; CF = lf_b bit 0, OF = lf_b bit 1; AF = 0 */
	LF_HOST,  /* the arithmetic bits of lf_res, an EFLAGS image translated code took from the host */
};

struct cpu;
struct insn;
typedef void (*insn_fn)(struct cpu *c, const struct insn *i);

/*
 * One decoded instruction, 32 bytes (two to a cache line).  Operand and
 * address size are resolved at decode time (prefixes + CS.D), so handlers
 * never look at prefixes again; `iop` names its row in the instruction
 * table (insn.h), so nothing looks at opcode bits again either.  `fn` is
 * the row's handler, or its specialised form for a 32-bit operand.
 */
struct insn {
	insn_fn fn;
	uint32_t disp;   /* ModRM displacement (or moffs for A0-A3) */
	uint32_t imm;    /* first immediate, sign/zero-extended as the opcode defines */
	uint16_t imm2;   /* second immediate: ENTER level, far pointer selector */
	uint16_t iop;    /* the operation: its row in the instruction table (insn.h) */
	uint8_t len;     /* total length in bytes */
	uint8_t op32;    /* operand size is 32 bits (else 16; byte ops ignore it) */
	uint8_t a32;     /* address size is 32 bits */
	uint8_t seg;     /* segment of the memory operand (override applied) */
	uint8_t mod;     /* ModRM mod; 3 = register operand */
	uint8_t reg;     /* ModRM reg field (or opcode extension) */
	uint8_t rm;      /* ModRM rm field: the register when mod == 3 */
	uint8_t base;    /* memory operand base register, 8 = none */
	uint8_t index;   /* memory operand index register, 8 = none */
	uint8_t scale;   /* index shift count 0-3 */
	uint8_t rep;     /* 0, 0xF3 (REP/REPE) or 0xF2 (REPNE) */
	uint8_t flags;   /* INSN_* */
};
_Static_assert(sizeof(struct insn) == 32 || sizeof(void *) != 8, "struct insn: two to a cache line");
#define INSN_ENDS_BLOCK 0x01 /* control transfer or state change: stop the block after it */
#define INSN_LOCK 0x04       /* LOCK prefix present */

#define REG_NONE 8

/* Decoded-block cache geometry. */
#define BLOCK_MAX_INSNS 32
#define BLOCK_TABLE_SIZE 65536          /* hash slots, power of two */
#define BLOCK_POOL_SIZE (24u << 20)     /* most bytes of decoded blocks before a flush */
#define BLOCK_POOL_MIN (2u << 20)       /* the first budget: it grows with demand (block.c) */

/*
 * A decoded block, allocated from a bump pool so that blocks decoded one
 * after the other sit next to each other in host memory.  A block also
 * remembers the blocks that followed it (link[]), so hot paths go from
 * block to block without translating EIP or probing the hash table; a link
 * is followed only if its epoch still matches (no TLB flush or pool flush
 * since) and the target still describes CS:EIP.
 */
/*
 * A block's mode: the state its decoding and translation assumed, part of
 * its key.  The stack and flat-segment bits let translated code skip the
 * stack-size test and the segment checks of SS, DS and ES.  They cannot
 * change inside a block: every load of those registers ends it
 * (load_seg and seg_load_real set block_abort; far transfers, interrupts,
 * task switches and CR0 writes end blocks anyway).
 */
#define MODE_CODE32 0x01  /* 32-bit code (CS.D) */
#define MODE_CPL3 0x02    /* decoded at CPL 3 */
#define MODE_STACK32 0x04 /* 32-bit stack (SS.B): ESP, not SP */
#define MODE_FLAT_SS 0x08 /* seg[].flat of SS, DS and ES */
#define MODE_FLAT_DS 0x10
#define MODE_FLAT_ES 0x20

struct jit_cell;

struct block {
	uint32_t phys;  /* guest-physical address of the first instruction */
	uint32_t gen;   /* page_gen[] of that page when decoded */
	uint32_t eip, cs_base, cs_limit;
	uint8_t mode;   /* MODE_*: what the code was decoded and translated for */
	uint8_t n;      /* instructions in the block */
	/* A block of one instruction that runs into the next page: that
	 * page's physical address and generation (else NO_PAGE2). */
	uint32_t phys2, gen2;
	struct block *link[2];
	uint32_t link_epoch[2];
	/* Host code for the block (jit.c, run by jit_run), or NULL to
	 * interpret it. */
	const void *code;
	/* Its exits to a constant EIP that can jump straight to the next
	 * block's code (jit_chain): where to patch (write view), the EIP, and
	 * whether the EIP lies in the block's own linear page (the short
	 * form of the exit, see xl_end_const). */
	uint8_t *chain_at[2];
	uint32_t chain_eip[2];
	bool chain_same_page[2];
	struct insn insns[];
};

#define NO_PAGE2 0xffffffffu

/* Software TLB geometry. */
#define TLB_SIZE 4096 /* entries per privilege set, power of two */

/*
 * A TLB entry caches one linear page.  tag_r / tag_w hold the linear page
 * address (low 12 bits clear) when reads / writes may use the fast path, or
 * TLB_INVALID.  Writes are not cached for pages holding decoded code, so
 * every write to such a page takes the slow path that invalidates blocks.
 */
#define TLB_INVALID 1u
struct tlb_entry {
	uint32_t tag_r, tag_w;
	uintptr_t addend;   /* host address of linear address a in the page: a + addend */
};
static inline uint8_t *tlb_host(const struct tlb_entry *e, uint32_t lin)
{
	return (uint8_t *)(e->addend + lin);
}
/* The parts of an entry the fast path never reads, kept apart so the hot
 * array stays at 16 bytes an entry. */
struct tlb_aux {
	uint32_t phys;      /* physical page address */
	uint8_t global;     /* from a PTE with G set and CR4.PGE */
};
/*
 * The instruction TLB: translations of pages code was fetched from, kept
 * apart from the data TLB (as on the CPU) because the guest's data, spread
 * over all of RAM by its page cache, kept evicting its kernel text from
 * the direct-mapped data TLB, and every such miss sent a chained block
 * back to the dispatcher.  Flushed with the data TLB (CR3, INVLPG...).
 */
struct itlb_entry {
	uint32_t tag;       /* linear page, or TLB_INVALID */
	uint32_t phys;      /* physical page address */
};

/* x87 state (see fpu.c). */
struct fpu {
	long double st[8]; /* physical registers R0-R7 */
	uint16_t cw, sw, tw; /* tw: 2 bits per physical register, 3 = empty */
	uint16_t fop;
	uint32_t fip, fdp;
	uint16_t fcs, fds;
};

struct cpu {
	uint32_t r[8];
	uint32_t eip;
	uint32_t next_eip;  /* set before each handler: eip + length; branches overwrite */

	/* EFLAGS: the arithmetic bits are valid only while lf_op == LF_NONE. */
	uint32_t eflags;
	uint8_t lf_op, lf_size; /* size in bytes: 1, 2 or 4 */
	uint8_t lf_cin;         /* carry in for ADC/SBB */
	uint32_t lf_res, lf_a, lf_b;

	struct seg seg[6];
	struct seg ldtr, tr; /* tr.attr type distinguishes 16/32-bit TSS */
	uint32_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;

	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	int cpl;

	/* MSRs Linux touches. */
	uint64_t tsc_offset;
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t misc_enable;

	struct fpu fpu;
	/* The memory operand of the x87 instruction translated code is
	 * running (jit_fpu.c): host address and offset in its segment. */
	uint8_t *fpu_op_host;
	uint32_t fpu_op_ea;

	/* Execution state. */
	bool halted;
	bool shadow;        /* STI / MOV SS interrupt shadow: run one instruction first */
	bool block_abort;   /* leave the current block after this instruction */
	uint64_t icount;    /* instructions retired (updated when a block ends) */

	/* Exception in flight (set by cpu_exception, read by the run loop). */
	jmp_buf jb;
	int exc_vec;
	uint32_t exc_err;
	bool exc_has_err;
	int delivering;     /* vector being delivered, -1 when none (double-fault logic) */

	/* Memory. */
	uint8_t *ram;
	uint32_t ram_size;
	uint32_t npages;
	uint32_t *page_gen;  /* per physical page: bumped when code on it is overwritten */
	uint8_t *page_code;  /* per physical page: 1 if blocks were decoded from it */
	/* Per physical page: 1 if a TLB entry may map it for fast writes since
	 * the last tlb_protect_code_page of it.  Never cleared by a flush
	 * (a stale 1 costs one needless scan), so marking a page as code scans
	 * the 8192 TLB entries only when one may really point at it. */
	uint8_t *page_fastw;
	struct tlb_entry tlb[2][TLB_SIZE]; /* [0] supervisor, [1] user (CPL 3) */
	struct tlb_aux tlb_aux[2][TLB_SIZE];
	struct itlb_entry itlb[2][TLB_SIZE];
	uint8_t itlb_global[2][TLB_SIZE];
	struct block **block_table;
	uint8_t *block_pool;
	uint32_t block_pool_used;
	uint32_t block_pool_limit; /* the pool's budget now, BLOCK_POOL_MIN..BLOCK_POOL_SIZE */
	uint64_t flush_icount;     /* icount at the last flush for want of room */
	uint32_t cache_flushes;    /* flushes for want of room (statistics, tests) */
	uint32_t link_epoch;     /* bumped by TLB and pool flushes: old links die */
	uint32_t cur_block_page; /* physical page of the block running now */
	/* The translated block that returned to block_run(): after chained
	 * jumps, not necessarily the one block_run() called. */
	struct block *exit_block;
	uint64_t run_until;      /* block_run's icount limit (read by chained host code) */

	/* Translation of blocks to host code (jit.c); NULL when off. */
	struct jit *jit;
	/* The return-address stack (jit_exit.c): translated near CALLs push
	 * the cell of their return address, RET pops one and jumps through it
	 * if it still holds a valid block for the popped EIP.  Only a hint:
	 * overflow wraps, and any entry may be stale or NULL.  Emptied with
	 * the block pool, which holds the cells. */
#define RAS_SIZE 16
	const struct jit_cell *ras[RAS_SIZE];
	uint32_t ras_top;
	uint64_t jit_lookups; /* indirect exits that had to look the block up */

	/* Audit of sensitive instructions (--audit-sensitive). */
	bool audit;
	uint8_t sens_idx;
	uint64_t sens_at; /* icount and EIP of the last sensitive instruction: */
	uint32_t sens_eip; /* (icount advances per block, EIP per instruction) */
	struct sens_count sens[SENS_COUNT];

	/* Everything outside the processor: I/O, interrupts, time. */
	struct machine mach;
};

/* --- cpu.c ---------------------------------------------------------------- */

/* A CPU on ram[0, ram_size) in the machine m (copied; m->ctx must
 * outlive the CPU).  NULL when out of memory. */
struct cpu *cpu_new(const struct machine *m, uint8_t *ram, uint32_t ram_size);
void cpu_free(struct cpu *c);
/* Power-on state: real mode, CS:IP = F000:FFF0. */
void cpu_reset(struct cpu *c);
void cpu_load_boot_state(struct cpu *c, const struct boot_state *bs);
/* Turns translation to host code on or off (on by default where the host
 * is x86-64); drops every cached block.  False if it cannot be turned on. */
bool cpu_set_jit(struct cpu *c, bool on);

/* --- run.c ---------------------------------------------------------------- */

/* Runs about `budget` instructions; see enum run_status. */
enum run_status cpu_run(struct cpu *c, uint64_t budget);

/* --- cpu.c (continued) ---------------------------------------------------- */

/* Raises an exception: unwinds to the run loop, which delivers it.  The
 * error code is pushed for the vectors that have one (8, 10-14, 17). */
_Noreturn void cpu_exception(struct cpu *c, int vec, uint32_t err);
#define cpu_gp(c, err) cpu_exception((c), EXC_GP, (err))
#define cpu_ud(c) cpu_exception((c), EXC_UD, 0)

uint32_t cpu_get_eflags(struct cpu *c);
/* Writes the EFLAGS bits in mask (the caller applies privilege rules). */
void cpu_set_eflags(struct cpu *c, uint32_t val, uint32_t mask);
static inline int cpu_iopl(const struct cpu *c)
{
	return (c->eflags >> FL_IOPL_SHIFT) & 3;
}
static inline bool cpu_pmode(const struct cpu *c)
{
	return c->cr0 & CR0_PE;
}
static inline bool cpu_v86(const struct cpu *c)
{
	return c->eflags & FL_VM;
}
static inline bool cpu_code32(const struct cpu *c)
{
	return c->seg[SR_CS].attr & SA_DB;
}
static inline bool cpu_stack32(const struct cpu *c)
{
	return c->seg[SR_SS].attr & SA_DB;
}

/* Counts a sensitive instruction for --audit-sensitive (call at handler entry). */
static inline void cpu_sensitive(struct cpu *c, enum sens_insn which)
{
	if (c->audit) {
		struct sens_count *s = &c->sens[which];
		if (c->cpl == 0)
			s->cpl0++;
		else if (c->cpl == 3)
			s->cpl3++;
		else
			s->cpl12++;
		c->sens_idx = (uint8_t)which;
		c->sens_at = c->icount;
		c->sens_eip = c->eip;
	}
}

/* --- flags.c -------------------------------------------------------------- */

bool flag_cf(struct cpu *c);
bool flag_zf(struct cpu *c);
bool flag_sf(struct cpu *c);
bool flag_of(struct cpu *c);
bool flag_pf(struct cpu *c);
bool flag_af(struct cpu *c);
/* Folds the lazy flags into c->eflags (lf_op becomes LF_NONE). */
void flags_materialize(struct cpu *c);
/* Evaluates condition code cc (0-15, as in Jcc/SETcc/CMOVcc). */
bool cond_true(struct cpu *c, int cc);
/* After a 32-bit CMP/SUB of a and b, most conditions follow from the
 * operands alone; *known is false for the others (O, NO, S, NS, P, NP). */
static inline bool cond_after_sub32(uint32_t a, uint32_t b, int cc, bool *known)
{
	*known = true;
	switch (cc) {
	case 0x2: return a < b;
	case 0x3: return a >= b;
	case 0x4: return a == b;
	case 0x5: return a != b;
	case 0x6: return a <= b;
	case 0x7: return a > b;
	case 0xc: return (int32_t)a < (int32_t)b;
	case 0xd: return (int32_t)a >= (int32_t)b;
	case 0xe: return (int32_t)a <= (int32_t)b;
	case 0xf: return (int32_t)a > (int32_t)b;
	default: *known = false; return false;
	}
}
static inline void lazy_set(struct cpu *c, enum lf_op op, int size, uint32_t a, uint32_t b, uint32_t res)
{
	c->lf_op = (uint8_t)op;
	c->lf_size = (uint8_t)size;
	c->lf_a = a;
	c->lf_b = b;
	c->lf_res = res;
}
/* Shifts and multiplies: SF ZF PF from res, the given CF and OF, AF clear. */
static inline void lazy_szp_co(struct cpu *c, int size, uint32_t res, bool cf, bool of)
{
	lazy_set(c, LF_SZPCO, size, 0, (uint32_t)cf | ((uint32_t)of << 1), res);
}
/* Sets the arithmetic flags explicitly (for shifts, rotates, multiplies...). */
void flags_set_arith(struct cpu *c, uint32_t flags);
/* SF, ZF, PF of a result of size bytes, as an FL_ mask. */
uint32_t flags_szp(uint32_t res, int size);

/* --- mem.c: guest memory -------------------------------------------------- */

/*
 * Segmented access at sreg:off with the current CPL: segment limit and
 * type checks (#GP, or #SS for SS), then linear access through the TLB
 * (#PF).  The common case (inside the segment, TLB hit, within one page)
 * is inline below; everything else goes to the out-of-line slow path.
 */
uint32_t mem_read_slow(struct cpu *c, int sreg, uint32_t off, int size);
void mem_write_slow(struct cpu *c, int sreg, uint32_t off, int size, uint32_t v);
uint32_t lin_read_slow(struct cpu *c, uint32_t lin, int size, int set);
void lin_write_slow(struct cpu *c, uint32_t lin, int size, uint32_t v, int set);

static inline int tlb_set_of(const struct cpu *c)
{
	return c->cpl == 3;
}

/* Host pointer for size bytes at sreg:off if the fast path applies. */
static inline uint8_t *fast_ptr(struct cpu *c, int sreg, uint32_t off, uint32_t size, bool write)
{
	const struct seg *s = &c->seg[sreg];
	uint32_t lin = s->base + off;
	const struct tlb_entry *e = &c->tlb[tlb_set_of(c)][(lin >> 12) & (TLB_SIZE - 1)];
	uint32_t tag = write ? e->tag_w : e->tag_r;
	bool ok_seg = write ? s->writable : s->readable;
	if (__builtin_expect(ok_seg && off >= s->lo && (uint64_t)off + size - 1 <= s->hi &&
			     tag == (lin & 0xfffff000u) && (lin & 0xfff) <= 0x1000 - size, 1))
		return tlb_host(e, lin);
	return 0;
}

static inline uint8_t vread8(struct cpu *c, int sreg, uint32_t off)
{
	uint8_t *p = fast_ptr(c, sreg, off, 1, false);
	return p ? *p : (uint8_t)mem_read_slow(c, sreg, off, 1);
}
static inline uint16_t vread16(struct cpu *c, int sreg, uint32_t off)
{
	uint8_t *p = fast_ptr(c, sreg, off, 2, false);
	uint16_t v;
	if (!p)
		return (uint16_t)mem_read_slow(c, sreg, off, 2);
	__builtin_memcpy(&v, p, 2);
	return v;
}
static inline uint32_t vread32(struct cpu *c, int sreg, uint32_t off)
{
	uint8_t *p = fast_ptr(c, sreg, off, 4, false);
	uint32_t v;
	if (!p)
		return mem_read_slow(c, sreg, off, 4);
	__builtin_memcpy(&v, p, 4);
	return v;
}
static inline void vwrite8(struct cpu *c, int sreg, uint32_t off, uint8_t v)
{
	uint8_t *p = fast_ptr(c, sreg, off, 1, true);
	if (p)
		*p = v;
	else
		mem_write_slow(c, sreg, off, 1, v);
}
static inline void vwrite16(struct cpu *c, int sreg, uint32_t off, uint16_t v)
{
	uint8_t *p = fast_ptr(c, sreg, off, 2, true);
	if (p)
		__builtin_memcpy(p, &v, 2);
	else
		mem_write_slow(c, sreg, off, 2, v);
}
static inline void vwrite32(struct cpu *c, int sreg, uint32_t off, uint32_t v)
{
	uint8_t *p = fast_ptr(c, sreg, off, 4, true);
	if (p)
		__builtin_memcpy(p, &v, 4);
	else
		mem_write_slow(c, sreg, off, 4, v);
}
uint64_t vread64(struct cpu *c, int sreg, uint32_t off);
void vwrite64(struct cpu *c, int sreg, uint32_t off, uint64_t v);
/* Checks that [off, off+len) may be written (or read) without touching
 * memory: used before multi-part stores so nothing is half-written. */
void vcheck_write(struct cpu *c, int sreg, uint32_t off, uint32_t len);
void vcheck_read(struct cpu *c, int sreg, uint32_t off, uint32_t len);

/* Linear access; set 0 = supervisor, 1 = user rights. */
static inline uint32_t lin_read(struct cpu *c, uint32_t lin, int size, int set)
{
	const struct tlb_entry *e = &c->tlb[set][(lin >> 12) & (TLB_SIZE - 1)];
	if (__builtin_expect(e->tag_r == (lin & 0xfffff000u) && (lin & 0xfff) <= 0x1000u - (uint32_t)size, 1)) {
		uint32_t v = 0;
		__builtin_memcpy(&v, tlb_host(e, lin), size == 1 ? 1 : size == 2 ? 2 : 4);
		return v;
	}
	return lin_read_slow(c, lin, size, set);
}
static inline void lin_write(struct cpu *c, uint32_t lin, int size, uint32_t v, int set)
{
	const struct tlb_entry *e = &c->tlb[set][(lin >> 12) & (TLB_SIZE - 1)];
	if (__builtin_expect(e->tag_w == (lin & 0xfffff000u) && (lin & 0xfff) <= 0x1000u - (uint32_t)size, 1))
		__builtin_memcpy(tlb_host(e, lin), &v, size == 1 ? 1 : size == 2 ? 2 : 4);
	else
		lin_write_slow(c, lin, size, v, set);
}

/* Linear access at the current CPL (user pages need CPL 3 rights). */
static inline uint8_t lread8(struct cpu *c, uint32_t lin) { return (uint8_t)lin_read(c, lin, 1, tlb_set_of(c)); }
static inline uint16_t lread16(struct cpu *c, uint32_t lin) { return (uint16_t)lin_read(c, lin, 2, tlb_set_of(c)); }
static inline uint32_t lread32(struct cpu *c, uint32_t lin) { return lin_read(c, lin, 4, tlb_set_of(c)); }
static inline void lwrite8(struct cpu *c, uint32_t lin, uint8_t v) { lin_write(c, lin, 1, v, tlb_set_of(c)); }
static inline void lwrite16(struct cpu *c, uint32_t lin, uint16_t v) { lin_write(c, lin, 2, v, tlb_set_of(c)); }
static inline void lwrite32(struct cpu *c, uint32_t lin, uint32_t v) { lin_write(c, lin, 4, v, tlb_set_of(c)); }
/* Supervisor ("system") linear access, whatever the CPL: descriptor
 * tables, the TSS, and the stacks pushed during privilege changes to
 * ring 0 use these (SDM 4.6: implicit supervisor-mode accesses). */
static inline uint8_t sread8(struct cpu *c, uint32_t lin) { return (uint8_t)lin_read(c, lin, 1, 0); }
static inline uint16_t sread16(struct cpu *c, uint32_t lin) { return (uint16_t)lin_read(c, lin, 2, 0); }
static inline uint32_t sread32(struct cpu *c, uint32_t lin) { return lin_read(c, lin, 4, 0); }
static inline void swrite8(struct cpu *c, uint32_t lin, uint8_t v) { lin_write(c, lin, 1, v, 0); }
static inline void swrite16(struct cpu *c, uint32_t lin, uint16_t v) { lin_write(c, lin, 2, v, 0); }
static inline void swrite32(struct cpu *c, uint32_t lin, uint32_t v) { lin_write(c, lin, 4, v, 0); }

/* Guest-physical access for device DMA or the loader (false if outside RAM). */
bool phys_read(struct cpu *c, uint32_t pa, void *buf, uint32_t len);
bool phys_write(struct cpu *c, uint32_t pa, const void *buf, uint32_t len);
/* Someone else (a device) wrote [pa, pa+len): retire blocks decoded there. */
void phys_written(struct cpu *c, uint32_t pa, uint32_t len);

void tlb_flush_all(struct cpu *c);
void tlb_flush_nonglobal(struct cpu *c);
void tlb_flush_page(struct cpu *c, uint32_t lin);
/* Recomputes lo/hi/readable/writable of a segment after attr/limit change. */
void seg_refresh(struct seg *s, bool pmode);
/* Real-mode style load: base = sel << 4, other hidden fields kept. */
void seg_load_real(struct cpu *c, int sreg, uint16_t sel);

/* --- paging.c ------------------------------------------------------------- */

/* Translates lin for an access; raises #PF on failure.  Sets A/D bits. */
#define ACC_WRITE 1
#define ACC_USER 2
#define ACC_FETCH 4
uint32_t paging_translate(struct cpu *c, uint32_t lin, int acc, bool *global);

/* --- stack helpers (ctl.c) ------------------------------------------------ */

/* Push/pop with the current SS and stack size (ESP or SP). */
void push16(struct cpu *c, uint16_t v);
void push32(struct cpu *c, uint32_t v);
uint16_t pop16(struct cpu *c);
uint32_t pop32(struct cpu *c);
/* Push of the operand size of the instruction. */
void push_op(struct cpu *c, const struct insn *i, uint32_t v);
uint32_t pop_op(struct cpu *c, const struct insn *i);
/* Reads a value at SS:[ESP + off] without popping (for far RET/IRET checks). */
uint32_t stack_peek(struct cpu *c, uint32_t off, int size);
static inline uint32_t sp_mask(const struct cpu *c)
{
	return cpu_stack32(c) ? 0xffffffffu : 0xffffu;
}
static inline uint32_t sp_get(const struct cpu *c)
{
	return c->r[R_ESP] & sp_mask(c);
}
static inline void sp_set(struct cpu *c, uint32_t v)
{
	uint32_t m = sp_mask(c);
	c->r[R_ESP] = (c->r[R_ESP] & ~m) | (v & m);
}

/* --- operand helpers (decode.c) ------------------------------------------- */

/* Effective address (offset within the segment) of the ModRM memory operand. */
static inline uint32_t insn_ea(const struct cpu *c, const struct insn *i)
{
	uint32_t a = i->disp;
	if (i->base != REG_NONE)
		a += c->r[i->base];
	if (i->index != REG_NONE)
		a += c->r[i->index] << i->scale;
	return i->a32 ? a : (a & 0xffff);
}

/* Byte registers: AL CL DL BL AH CH DH BH. */
static inline uint8_t reg8(const struct cpu *c, int r)
{
	return r < 4 ? (uint8_t)c->r[r] : (uint8_t)(c->r[r - 4] >> 8);
}
static inline void set_reg8(struct cpu *c, int r, uint8_t v)
{
	if (r < 4)
		c->r[r] = (c->r[r] & ~0xffu) | v;
	else
		c->r[r - 4] = (c->r[r - 4] & ~0xff00u) | ((uint32_t)v << 8);
}
static inline void set_reg16(struct cpu *c, int r, uint16_t v)
{
	c->r[r] = (c->r[r] & ~0xffffu) | v;
}
/* Writes a register of the instruction's operand size (16 or 32). */
static inline void set_reg_op(struct cpu *c, const struct insn *i, int r, uint32_t v)
{
	if (i->op32)
		c->r[r] = v;
	else
		set_reg16(c, r, (uint16_t)v);
}

/* ModRM r/m operand access (register when mod == 3, else memory). */
uint8_t rm_read8(struct cpu *c, const struct insn *i);
uint16_t rm_read16(struct cpu *c, const struct insn *i);
uint32_t rm_read32(struct cpu *c, const struct insn *i);
uint32_t rm_read_op(struct cpu *c, const struct insn *i); /* 16 or 32 per op32 */
void rm_write8(struct cpu *c, const struct insn *i, uint8_t v);
void rm_write16(struct cpu *c, const struct insn *i, uint16_t v);
void rm_write32(struct cpu *c, const struct insn *i, uint32_t v);
void rm_write_op(struct cpu *c, const struct insn *i, uint32_t v);

/* Decodes one instruction at CS:EIP (may raise #PF/#GP for the fetch). */
void decode_insn(struct cpu *c, uint32_t eip, struct insn *out);

/* --- seg.c / intr.c / task.c / io.c (protected mode) ---------------------- */

/* Loads a data/stack segment register with full protected-mode checks
 * (real mode: base = sel << 4).  sreg != SR_CS. */
void load_seg(struct cpu *c, int sreg, uint16_t sel);
/* Delivers an interrupt or exception through the IVT (real mode) or the
 * IDT (protected mode): gates, privilege checks, stack switch, task gates. */
enum intr_kind { INTR_EXTERNAL, INTR_EXCEPTION, INTR_SOFT /* INT n */, INTR_SOFT_ICEBP /* INT1 */ };
void cpu_deliver(struct cpu *c, int vec, enum intr_kind kind, bool has_err, uint32_t err);
/* Raises #GP(0) unless CPL <= IOPL or the TSS I/O bitmap allows the ports. */
void io_check(struct cpu *c, uint16_t port, int size);
/* Hardware task switch (JMP/CALL/IRET/interrupt through a task gate). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
void task_switch(struct cpu *c, uint16_t tss_sel, enum task_reason why, bool has_err, uint32_t err);

/* --- machine.c: the paths out to the machine (engine/machine.h) ---------- */

bool cpu_intr_pending(struct cpu *c);
int cpu_intr_ack(struct cpu *c);
uint32_t cpu_io_in(struct cpu *c, uint16_t port, int size);
/* An OUT that made the machine ask to stop ends the block after it. */
void cpu_io_out(struct cpu *c, uint16_t port, int size, uint32_t v);
/* Non-RAM physical accesses go to the MMIO bus. */
uint32_t cpu_mmio_read(struct cpu *c, uint32_t pa, int size);
void cpu_mmio_write(struct cpu *c, uint32_t pa, int size, uint32_t v);
void cpu_ferr(struct cpu *c);
uint64_t cpu_clock_ns(struct cpu *c);
/* The processor shuts down: the machine is told, the run loop returns. */
_Noreturn void cpu_shutdown(struct cpu *c, const char *msg);
bool cpu_has_lapic(struct cpu *c);
bool cpu_apic_base_read(struct cpu *c, uint64_t *v);
bool cpu_apic_base_write(struct cpu *c, uint64_t v);
static inline bool cpu_stop_requested(const struct cpu *c)
{
	return *c->mach.stop != 0;
}

/* The time stamp counter runs at a nominal 1 GHz of virtual time. */
#define SOFT_TSC_PER_NS 1
uint64_t cpu_tsc(struct cpu *c);

#endif
