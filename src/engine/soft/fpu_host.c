/*
 * Running guest x87 data instructions on the host's x87 (see fpu.h).
 *
 * The instruction bytes must be literal in the host's code, so every
 * encoding the guest can use has its own tiny inline-assembly block, made
 * by the macros below: the 512 register forms (ESC byte x ModRM C0-FF) and
 * the 64 memory forms with the operand at [rax] (ModRM 00-38, rm = 0).
 * The caller filters out reserved encodings and the control instructions
 * it does itself, so only genuine x87 data instructions are ever run.
 *
 * Each block: save the host's control word, FRSTOR the guest image, run
 * the instruction, FNSAVE the result (no wait, so a fresh unmasked
 * exception cannot trap the host; FNSAVE also empties the host unit) and
 * put the host's control word back.  The x87 is stateless between calls
 * as far as the rest of the program is concerned: the x86-64 ABI keeps no
 * values in it across a function call.
 */
#include <string.h>

#include "engine/soft/fpu.h"

#if !defined(__x86_64__) && !defined(__i386__)
#error "the soft engine's x87 runs guest instructions on the host x87"
#endif

static inline void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* Offsets in the 32-bit protected-mode FNSAVE image. */
#define IMG_CW 0
#define IMG_SW 4
#define IMG_TW 8
#define IMG_REGS 28

void fpu_to_image(const struct fpu *f, struct x87_image *img)
{
	memset(img->b, 0, sizeof(img->b));
	put16(img->b + IMG_CW, f->cw);
	put16(img->b + IMG_SW, (uint16_t)(f->sw & ~(FSW_STICKY | FSW_ES | FSW_B)));
	put16(img->b + IMG_TW, fpu_full_tags(f));
	for (int i = 0; i < 8; i++)
		fpu_reg_get(f, fpu_phys(f, i), img->b + IMG_REGS + EXT80 * i);
}

uint16_t fpu_from_image(struct fpu *f, const struct x87_image *img)
{
	uint16_t sw = get16(img->b + IMG_SW);
	uint16_t tw = get16(img->b + IMG_TW);
	const uint16_t keep = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3 | FSW_TOP;

	f->sw = (uint16_t)((f->sw & ~keep) | (sw & keep));
	for (int i = 0; i < 8; i++)
		fpu_reg_set(f, fpu_phys(f, i), img->b + IMG_REGS + EXT80 * i);
	f->tw = tw;
	return sw & FSW_STICKY;
}

/*
 * One block per encoding.  "a"(mem) puts the buffer in RAX for the memory
 * forms; the =@cc outputs capture what FCOMI & co. leave in EFLAGS.
 */
#define HOST_INSN(b0, m)                                                     \
	case ((b0) & 7) << 8 | (m):                                          \
		__asm__ volatile("fnstcw %[hcw]\n\t"                         \
				 "frstor %[img]\n\t"                         \
				 ".byte " #b0 ", " #m "\n\t"                  \
				 "fnsave %[img]\n\t"                         \
				 "fldcw %[hcw]"                              \
				 : [img] "+m"(*img), [hcw] "+m"(host_cw),    \
				   "=@ccz"(fl->zf), "=@ccp"(fl->pf),         \
				   "=@ccc"(fl->cf)                           \
				 : "a"(mem)                                  \
				 : "memory", "st", "st(1)", "st(2)", "st(3)", \
				   "st(4)", "st(5)", "st(6)", "st(7)");      \
		break;

#define HOST_REG8(b0, row)                                                  \
	HOST_INSN(b0, row + 0) HOST_INSN(b0, row + 1) HOST_INSN(b0, row + 2) \
	HOST_INSN(b0, row + 3) HOST_INSN(b0, row + 4) HOST_INSN(b0, row + 5) \
	HOST_INSN(b0, row + 6) HOST_INSN(b0, row + 7)

#define HOST_MEM8(b0)                                                      \
	HOST_INSN(b0, 0x00) HOST_INSN(b0, 0x08) HOST_INSN(b0, 0x10)        \
	HOST_INSN(b0, 0x18) HOST_INSN(b0, 0x20) HOST_INSN(b0, 0x28)        \
	HOST_INSN(b0, 0x30) HOST_INSN(b0, 0x38)

#define HOST_ESC(b0)                                                       \
	HOST_MEM8(b0)                                                      \
	HOST_REG8(b0, 0xc0) HOST_REG8(b0, 0xc8) HOST_REG8(b0, 0xd0)        \
	HOST_REG8(b0, 0xd8) HOST_REG8(b0, 0xe0) HOST_REG8(b0, 0xe8)        \
	HOST_REG8(b0, 0xf0) HOST_REG8(b0, 0xf8)

void fpu_host_exec(uint8_t opcode, uint8_t modrm, struct x87_image *img, void *mem,
		   struct host_flags *fl)
{
	uint16_t host_cw = 0;

	fl->zf = fl->pf = fl->cf = false;
	switch ((opcode & 7) << 8 | modrm) {
	HOST_ESC(0xd8)
	HOST_ESC(0xd9)
	HOST_ESC(0xda)
	HOST_ESC(0xdb)
	HOST_ESC(0xdc)
	HOST_ESC(0xdd)
	HOST_ESC(0xde)
	HOST_ESC(0xdf)
	default:
		break; /* a memory form with rm != 0: the caller never asks */
	}
}
