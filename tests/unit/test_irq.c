/*
 * External interrupts through a real 8259A pair (dev/pic.c) wired to the
 * soft CPU: programmed by guest OUTs the way Linux's init_8259A() does
 * (vector bases 0x30 and 0x38), then IRQs raised from the test.
 *
 * SDM facts checked: INTR is taken only with IF=1; STI and MOV SS / POP SS
 * hold interrupts off until the next instruction has run (and no longer);
 * HLT resumes on an interrupt with the return address after the HLT.
 *
 * The shadow tests run the shadowing instruction with a budget of one
 * instruction, raise the IRQ while the CPU is stopped just after it, and
 * then let it run: the next instruction must complete before the
 * interrupt, and nothing after it.
 *
 * Code bytes assembled with `as --32` (Intel syntax).
 */
#include <stdlib.h>

#include "cpu_fixture.h"
#include "dev/devices.h"
#include "t.h"

static const uint8_t pic_init[] = {
	0xb0, 0xff, /* 00: mov al,0xff   mask everything while programming */
	0xe6, 0x21, /* 02: out 0x21,al */
	0xe6, 0xa1, /* 04: out 0xa1,al */
	0xb0, 0x11, /* 06: mov al,0x11   ICW1: edge, cascade, ICW4 */
	0xe6, 0x20, /* 08: out 0x20,al */
	0xb0, 0x30, /* 0a: mov al,0x30   ICW2: master vectors 0x30-0x37 */
	0xe6, 0x21, /* 0c: out 0x21,al */
	0xb0, 0x04, /* 0e: mov al,0x4    ICW3: slave on IRQ2 */
	0xe6, 0x21, /* 10: out 0x21,al */
	0xb0, 0x01, /* 12: mov al,0x1    ICW4: 8086 mode */
	0xe6, 0x21, /* 14: out 0x21,al */
	0xb0, 0x11, /* 16: mov al,0x11 */
	0xe6, 0xa0, /* 18: out 0xa0,al */
	0xb0, 0x38, /* 1a: mov al,0x38   slave vectors 0x38-0x3f */
	0xe6, 0xa1, /* 1c: out 0xa1,al */
	0xb0, 0x02, /* 1e: mov al,0x2    slave id 2 */
	0xe6, 0xa1, /* 20: out 0xa1,al */
	0xb0, 0x01, /* 22: mov al,0x1 */
	0xe6, 0xa1, /* 24: out 0xa1,al */
	0xb0, 0x00, /* 26: mov al,0x0    unmask all */
	0xe6, 0x21, /* 28: out 0x21,al */
	0xe6, 0xa1, /* 2a: out 0xa1,al */
	0xf4,       /* 2c: hlt */
};

static struct fx *irq_new(void)
{
	struct fx *f = fx_new(0x100000);
	f->vm.pic = pic_create(&f->vm.io);
	CHECK(f->vm.pic != NULL);
	fx_code(f, pic_init, sizeof(pic_init));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK(!pic_intr_pending(f->vm.pic));
	return f;
}

static void irq_free(struct fx *f)
{
	pic_destroy(f->vm.pic);
	f->vm.pic = NULL;
	fx_free(f);
}

/* The interrupt frame at CPL 0: EIP, CS, EFLAGS on the current stack. */
static uint32_t frame(struct fx *f, int slot)
{
	return fx_read32(f, f->c->r[R_ESP] + 4u * (uint32_t)slot);
}

TEST(irq_held_off_while_if_clear)
{
	static const uint8_t code[] = {
		0x40, /* inc eax */
		0x40, /* inc eax */
		0x40, /* inc eax */
		0xf4, /* hlt */
	};
	struct fx *f = irq_new();
	f->c->r[R_EAX] = 0;
	pic_set_irq(f->vm.pic, 3, 1);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(f->c->r[R_EAX], 3);
	CHECK_EQ(f->c->eip, FX_CODE + 4);
	CHECK(pic_intr_pending(f->vm.pic)); /* still waiting for IF */
	/* HLT with IF=0 cannot be woken. */
	CHECK_EQ(cpu_run(f->c, 100), RUN_HALTED_DEAD);
	CHECK_EQ(fx_exception(f), -1);
	irq_free(f);
}

TEST(irq_sti_shadow_then_delivery)
{
	static const uint8_t code[] = {
		0xfb, /* 00: sti */
		0x43, /* 01: inc ebx   (runs in the shadow) */
		0x43, /* 02: inc ebx   (the interrupt comes before this) */
		0xf4, /* 03: hlt */
	};
	struct fx *f = irq_new();
	f->c->r[R_EBX] = 0;
	pic_set_irq(f->vm.pic, 3, 1);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), 0x33);
	CHECK_EQ(f->c->r[R_EBX], 1);
	CHECK_EQ(frame(f, 0), FX_CODE + 2);
	CHECK_EQ(frame(f, 1), 0x08);
	CHECK(frame(f, 2) & FL_IF);
	CHECK(!(f->c->eflags & FL_IF)); /* interrupt gate */
	CHECK_EQ(f->c->r[R_ESP], FX_STACK - 12);
	irq_free(f);
}

TEST(irq_slave_vector)
{
	static const uint8_t code[] = {
		0x90, /* nop */
		0xf4, /* hlt */
	};
	struct fx *f = irq_new();
	cpu_set_eflags(f->c, FL_IF, FL_IF);
	pic_set_irq(f->vm.pic, 10, 1);
	fx_code(f, code, sizeof(code));
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), 0x3a); /* 0x38 + (10 - 8) */
	CHECK_EQ(frame(f, 0), FX_CODE); /* taken before the first instruction */
	irq_free(f);
}

/* Runs code whose first instruction sets the interrupt shadow; raises
 * IRQ 4 right after it and checks that exactly one more instruction ran. */
static void check_shadow(const uint8_t *code, size_t n, uint32_t first_len)
{
	struct fx *f = irq_new();
	f->c->r[R_EAX] = 0x10;
	f->c->r[R_EBX] = 0;
	f->c->r[R_ESP] = FX_STACK - 4; /* for POP SS: the selector to pop */
	fx_write32(f, FX_STACK - 4, 0x10);
	cpu_set_eflags(f->c, FL_IF, FL_IF);
	fx_code(f, code, n);
	f->c->halted = false; /* from the HLT that ended pic_init */
	CHECK_EQ(cpu_run(f->c, 1), RUN_BUDGET);
	CHECK_EQ(f->c->eip, FX_CODE + first_len); /* precondition: stopped after it */
	pic_set_irq(f->vm.pic, 4, 1);
	fx_run(f, 100);
	CHECK_EQ(fx_exception(f), 0x34);
	CHECK_EQ(f->c->r[R_EBX], 1);
	CHECK_EQ(frame(f, 0), FX_CODE + first_len + 1);
	CHECK_EQ(f->c->seg[SR_SS].sel, 0x10);
	irq_free(f);
}

TEST(irq_mov_ss_shadow)
{
	static const uint8_t code[] = {
		0x8e, 0xd0, /* 00: mov ss,eax  (EAX = 0x10) */
		0x43,       /* 02: inc ebx     (runs in the shadow) */
		0x43,       /* 03: inc ebx */
		0xf4,       /* 04: hlt */
	};
	check_shadow(code, sizeof(code), 2);
}

TEST(irq_pop_ss_shadow)
{
	static const uint8_t code[] = {
		0x17, /* 00: pop ss        (pops the 0x10 check_shadow put there) */
		0x43, /* 01: inc ebx       (runs in the shadow) */
		0x43, /* 02: inc ebx */
		0xf4, /* 03: hlt */
	};
	check_shadow(code, sizeof(code), 1);
}

TEST(irq_hlt_wakes_on_interrupt)
{
	static const uint8_t code[] = {
		0xfb, /* 00: sti */
		0xf4, /* 01: hlt */
		0x43, /* 02: inc ebx */
		0xf4, /* 03: hlt */
	};
	struct fx *f = irq_new();
	f->c->r[R_EBX] = 0;
	fx_code(f, code, sizeof(code));
	f->c->halted = false; /* from the HLT that ended pic_init */
	CHECK_EQ(cpu_run(f->c, 100), RUN_HALTED);
	CHECK_EQ(f->c->eip, FX_CODE + 2);
	uint64_t n = f->c->icount;
	CHECK_EQ(cpu_run(f->c, 100), RUN_HALTED); /* nothing pending: stays put */
	CHECK_EQ(f->c->icount, n);
	pic_set_irq(f->vm.pic, 1, 1);
	cpu_run(f->c, 100);
	CHECK_EQ(fx_exception(f), 0x31);
	CHECK_EQ(frame(f, 0), FX_CODE + 2); /* returns past the HLT */
	CHECK_EQ(f->c->r[R_EBX], 0);
	irq_free(f);
}

TEST(irq_handler_iret_resumes_after_hlt)
{
	static const uint8_t code[] = {
		0xfb, /* 00: sti */
		0xf4, /* 01: hlt */
		0x43, /* 02: inc ebx */
		0xf4, /* 03: hlt */
	};
	static const uint8_t handler[] = {
		0x41,       /* 00: inc ecx */
		0xb0, 0x20, /* 01: mov al,0x20 */
		0xe6, 0x20, /* 03: out 0x20,al  (non-specific EOI) */
		0xcf,       /* 05: iretd */
	};
	struct fx *f = irq_new();
	uint32_t h = 0x12000;
	phys_write(f->c, h, handler, sizeof(handler));
	fx_write32(f, FX_IDT + 0x35 * 8, (h & 0xffff) | (0x08u << 16));
	fx_write32(f, FX_IDT + 0x35 * 8 + 4, (h & 0xffff0000u) | 0x8e00u);
	f->c->r[R_EBX] = 0;
	f->c->r[R_ECX] = 0;
	fx_code(f, code, sizeof(code));
	f->c->halted = false;
	CHECK_EQ(cpu_run(f->c, 100), RUN_HALTED);
	pic_set_irq(f->vm.pic, 5, 1);
	pic_set_irq(f->vm.pic, 5, 0);
	CHECK_EQ(cpu_run(f->c, 100), RUN_HALTED); /* handler, IRET, inc, HLT */
	CHECK_EQ(f->c->r[R_ECX], 1);
	CHECK_EQ(f->c->r[R_EBX], 1);
	CHECK_EQ(f->c->eip, FX_CODE + 4);
	CHECK_EQ(f->c->r[R_ESP], FX_STACK);
	CHECK(f->c->eflags & FL_IF);
	CHECK(!pic_intr_pending(f->vm.pic));
	CHECK_EQ(fx_exception(f), -1);
	irq_free(f);
}
