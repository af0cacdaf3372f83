/*
 * The soft CPU in a machine that is not struct vm: everything it asks of
 * the machine goes through engine/machine.h, so a fake machine sees each
 * request -- I/O, the interrupt line and its acknowledge, FERR#, the
 * clock, shutdown, and the local APIC's CPUID bit and IA32_APIC_BASE.
 */
#include "cpu_fixture.h"
#include "t.h"

#define APIC_BIT (1u << 9)
#define MSR_APIC_BASE 0x1b

struct fake {
	int stop;
	bool lapic;
	uint64_t apic_base;
	int apic_writes;
	int pending, acks, ferrs, shutdowns;
	char msg[80];
	uint16_t out_port;
	uint32_t out_val;
	uint64_t now;
};

static uint32_t f_io_in(void *ctx, uint16_t port, int size)
{
	(void)ctx;
	return port == 0x71 && size == 1 ? 0x5a : 0xffffffffu;
}

static void f_io_out(void *ctx, uint16_t port, int size, uint32_t v)
{
	struct fake *m = ctx;
	(void)size;
	m->out_port = port;
	m->out_val = v;
	if (port == 0xf4)
		m->stop = 1;
}

static bool f_pending(void *ctx)
{
	return ((struct fake *)ctx)->pending > 0;
}

static int f_ack(void *ctx)
{
	struct fake *m = ctx;
	m->pending--;
	m->acks++;
	return 0x40;
}

static void f_ferr(void *ctx)
{
	((struct fake *)ctx)->ferrs++;
}

static uint64_t f_clock(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void f_shutdown(void *ctx, const char *msg)
{
	struct fake *m = ctx;
	m->shutdowns++;
	m->stop = 1;
	snprintf(m->msg, sizeof(m->msg), "%s", msg);
}

static bool f_lapic(void *ctx)
{
	return ((struct fake *)ctx)->lapic;
}

static bool f_base_read(void *ctx, uint64_t *v)
{
	*v = ((struct fake *)ctx)->apic_base;
	return true;
}

/* The machine refuses a base outside 4 GiB (reserved bits): #GP. */
static bool f_base_write(void *ctx, uint64_t v)
{
	struct fake *m = ctx;
	if (v >> 32)
		return false;
	m->apic_base = v;
	m->apic_writes++;
	return true;
}

static struct fx *in_fake(struct fake *m)
{
	struct machine mach = {
		.ctx = m, .stop = &m->stop, .io_in = f_io_in, .io_out = f_io_out,
		.intr_pending = f_pending, .intr_ack = f_ack, .ferr = f_ferr,
		.clock_ns = f_clock, .shutdown = f_shutdown, .lapic_present = f_lapic,
		.apic_base_read = f_base_read, .apic_base_write = f_base_write,
	};
	return fx_new_in(0x100000, &mach);
}

static const uint8_t cpuid1[] = {
	0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
	0x0f, 0xa2,                   /* cpuid */
	0xf4,                         /* hlt */
};

TEST(machine_lapic_sets_cpuid_apic_bit)
{
	struct fake m = { .lapic = true };
	struct fx *f = in_fake(&m);
	fx_code(f, cpuid1, sizeof(cpuid1));
	fx_run(f, 10);
	CHECK(f->c->r[R_EDX] & APIC_BIT);
	fx_free(f);

	struct fake none = { .lapic = false };
	f = in_fake(&none);
	fx_code(f, cpuid1, sizeof(cpuid1));
	fx_run(f, 10);
	CHECK_EQ(f->c->r[R_EDX] & APIC_BIT, 0);
	CHECK(f->c->r[R_EDX] & 1); /* the FPU bit: CPUID did run */
	fx_free(f);
}

TEST(machine_apic_base_msr_goes_to_the_machine)
{
	static const uint8_t code[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b */
		0xb8, 0x00, 0x09, 0xe0, 0xfe, /* mov eax, 0xfee00900 */
		0x31, 0xd2,                   /* xor edx, edx */
		0x0f, 0x30,                   /* wrmsr */
		0x31, 0xc0,                   /* xor eax, eax */
		0x0f, 0x32,                   /* rdmsr */
		0xf4,                         /* hlt */
	};
	struct fake m = { .lapic = true, .apic_base = 0xfee00900u };
	struct fx *f = in_fake(&m);
	m.apic_base = 0x12345800u;
	fx_code(f, code, sizeof(code));
	fx_run(f, 20);
	CHECK_EQ(fx_exception(f), -1);
	CHECK_EQ(m.apic_writes, 1);
	CHECK_EQ(m.apic_base, 0xfee00900u);
	CHECK_EQ(f->c->r[R_EAX], 0xfee00900u); /* read back from the machine */
	CHECK_EQ(f->c->r[R_EDX], 0);
	fx_free(f);
}

TEST(machine_apic_base_refused_or_absent_is_gp)
{
	static const uint8_t wr_high[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b */
		0xba, 0x01, 0x00, 0x00, 0x00, /* mov edx, 1: a base past 4 GiB */
		0x0f, 0x30,                   /* wrmsr */
		0xf4,
	};
	static const uint8_t rd[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b */
		0x0f, 0x32,                   /* rdmsr */
		0xf4,
	};
	struct fake m = { .lapic = true };
	struct fx *f = in_fake(&m);
	fx_code(f, wr_high, sizeof(wr_high));
	fx_run(f, 20);
	CHECK_EQ(fx_exception(f), EXC_GP);
	CHECK_EQ(m.apic_writes, 0);
	fx_free(f);

	struct fake none = { .lapic = false, .apic_base = 0xfee00900u };
	f = in_fake(&none);
	fx_code(f, rd, sizeof(rd));
	fx_run(f, 20);
	CHECK_EQ(fx_exception(f), EXC_GP);
	fx_free(f);
}

TEST(machine_interrupt_is_asked_of_the_machine)
{
	static const uint8_t code[] = {
		0xfb,       /* sti */
		0x90,       /* nop (the STI shadow) */
		0xeb, 0xfe, /* jmp $ */
	};
	struct fake m = { .pending = 1 };
	struct fx *f = in_fake(&m);
	fx_code(f, code, sizeof(code));
	fx_run(f, 5000);
	CHECK_EQ(m.acks, 1);
	CHECK_EQ(fx_exception(f), 0x40); /* the vector the machine answered */
	fx_free(f);
}

TEST(machine_ferr_and_io_and_stop)
{
	static const uint8_t code[] = {
		0xdb, 0xe3,                         /* fninit */
		0xd9, 0x2d, 0x00, 0x00, 0x02, 0x00, /* fldcw [0x20000]: ZM clear */
		0xd9, 0xe8,                         /* fld1 */
		0xd9, 0xee,                         /* fldz */
		0xde, 0xf9,                         /* fdivp: ZE, pending */
		0x9b,                               /* fwait: FERR# */
		0xe4, 0x71,                         /* in al, 0x71 */
		0xe6, 0xf4,                         /* out 0xf4, al: the machine stops */
		0x90, 0xf4,
	};
	struct fake m = { 0 };
	struct fx *f = in_fake(&m);
	f->c->cr0 = (f->c->cr0 & ~CR0_NE) | CR0_MP;
	uint16_t cw = 0x037b;
	memcpy(f->ram + 0x20000, &cw, 2);
	fx_code(f, code, sizeof(code));
	CHECK_EQ(cpu_run(f->c, 100), RUN_STOP);
	CHECK_EQ(m.ferrs, 1);
	CHECK_EQ(m.out_port, 0xf4);
	CHECK_EQ(m.out_val & 0xff, 0x5a); /* IN read what the machine answered */
	CHECK_EQ(f->c->eip, FX_CODE + 19);  /* the OUT ended the run */
	fx_free(f);
}

TEST(machine_triple_fault_shuts_down_through_the_machine)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b, 0xf4 };
	struct fake m = { 0 };
	struct fx *f = in_fake(&m);
	f->c->idt_limit = 0;
	fx_code(f, ud2, sizeof(ud2));
	CHECK_EQ(cpu_run(f->c, 100), RUN_STOP);
	CHECK_EQ(m.shutdowns, 1);
	CHECK(strstr(m.msg, "triple fault at CS:EIP 0008:00010000") != NULL);
	fx_free(f);
}

TEST(machine_clock_drives_the_tsc)
{
	static const uint8_t code[] = { 0x0f, 0x31, 0xf4 }; /* rdtsc; hlt */
	struct fake m = { .now = 0x123456789ull };
	struct fx *f = in_fake(&m);
	fx_code(f, code, sizeof(code));
	fx_run(f, 10);
	CHECK_EQ(((uint64_t)f->c->r[R_EDX] << 32) | f->c->r[R_EAX], 0x123456789ull);
	fx_free(f);
}
