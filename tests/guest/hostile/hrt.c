/* The hostile guests' runtime; see hrt.h. */
#include "hrt.h"

#define STACK_SIZE 8192

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint32_t base;
};

struct __attribute__((packed)) tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
};

static uint64_t gdt[GDT_SLOTS] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss tss_main, tss_task;
static uint8_t stacks[6][STACK_SIZE] __attribute__((aligned(16)));
enum { STACK_TRAP, STACK_R1, STACK_R2, STACK_R3, STACK_TASK, STACK_CALL };

extern char isr_table_start[];
void hrt_ring_exit(void);
int hrt_setjmp(uint32_t ctx[6]);
void hrt_longjmp(uint32_t ctx[6]) __attribute__((noreturn));
void hrt_enter_ring(uint32_t cs, uint32_t ss, uint32_t esp, void (*fn)(void));
void hrt_trap(struct trap_frame *f);

volatile uint32_t trap_count[256];
volatile uint32_t trap_total;
volatile uint32_t last_vector, last_error;
volatile uint32_t hrt_landing;
void (*volatile hrt_irq_hook)(uint32_t vector);
static uint32_t ring0_ctx[6];

static uint32_t top(int which)
{
	return (uint32_t)(uintptr_t)&stacks[which][STACK_SIZE - 16];
}

void hrt_set_desc(uint32_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = (limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 |
		     (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
		     (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
	gdt[sel / 8] = d;
}

static uint64_t gate(uint16_t sel, uint32_t off, uint8_t type, int dpl, int params)
{
	return (off & 0xffffu) | (uint64_t)sel << 16 | (uint64_t)(params & 31) << 32 |
	       (uint64_t)(0x80u | (unsigned)dpl << 5 | type) << 40 | (uint64_t)(off >> 16) << 48;
}

void hrt_set_call_gate(uint32_t sel, uint16_t code_sel, uint32_t off, int dpl, int params)
{
	gdt[sel / 8] = gate(code_sel, off, 0xc, dpl, params);
}

void hrt_set_task_gate(uint32_t sel, uint16_t tss, int dpl)
{
	gdt[sel / 8] = gate(tss, 0, 0x5, dpl, 0);
}

void hrt_set_idt_dpl(int vec, int dpl)
{
	uint32_t h = (uint32_t)(uintptr_t)isr_table_start + 16u * (uint32_t)vec;
	idt[vec] = gate(SEL_CODE(0), h, 0xe, dpl, 0);
}

void hrt_set_idt_task_gate(int vec, uint16_t tss, int dpl)
{
	idt[vec] = gate(tss, 0, 0x5, dpl, 0);
}

static void task_body(void)
{
	serial_puts("hostile: in the second task\n");
	for (;;)
		__asm__ volatile("iret"); /* back through the task link */
}

static void init_tss(void)
{
	tss_main.ss0 = SEL_DATA(0), tss_main.esp0 = top(STACK_TRAP);
	tss_main.ss1 = SEL_DATA(1) | 1, tss_main.esp1 = top(STACK_R1);
	tss_main.ss2 = SEL_DATA(2) | 2, tss_main.esp2 = top(STACK_R2);
	tss_main.iomap = sizeof(struct tss); /* no I/O bitmap: IOPL decides */
	tss_task = tss_main;
	tss_task.eip = (uint32_t)(uintptr_t)task_body;
	tss_task.esp = top(STACK_TASK);
	tss_task.cs = SEL_CODE(0), tss_task.ss = tss_task.ds = tss_task.es = SEL_DATA(0);
	tss_task.fs = tss_task.gs = SEL_DATA(0);
	tss_task.eflags = 0x2;
	__asm__ volatile("movl %%cr3, %0" : "=r"(tss_task.cr3));
	hrt_set_desc(SEL_TSS, (uint32_t)(uintptr_t)&tss_main, sizeof(struct tss) - 1, 0x89, 0);
	hrt_set_desc(SEL_TSS2, (uint32_t)(uintptr_t)&tss_task, sizeof(struct tss) - 1, 0x89, 0);
}

void hrt_init(void)
{
	for (int ring = 0; ring < 4; ring++) {
		uint8_t dpl = (uint8_t)(ring << 5);
		hrt_set_desc(SEL_CODE(ring), 0, 0xfffff, (uint8_t)(0x9a | dpl), 0xc);
		hrt_set_desc(SEL_DATA(ring), 0, 0xfffff, (uint8_t)(0x92 | dpl), 0xc);
	}
	init_tss();
	struct dtr g = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n1:\n\t"
			 "movl $0x10, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\tmovl %%eax, %%fs\n\tmovl %%eax, %%gs"
			 : : "m"(g) : "eax", "memory");
	for (int v = 0; v < 256; v++)
		hrt_set_idt_dpl(v, v >= 0x80 ? 3 : 0);
	hrt_set_idt_dpl(VEC_RETURN, 3);
	struct dtr i = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0\n\tltr %w1" : : "m"(i), "r"(SEL_TSS) : "memory");
}

void hrt_trap(struct trap_frame *f)
{
	uint32_t v = f->vector & 0xff;
	trap_count[v]++;
	trap_total++;
	last_vector = v;
	last_error = f->error;
	if (v == VEC_RETURN)
		hrt_longjmp(ring0_ctx);
	if (v >= 32 && v < 48) {
		if (hrt_irq_hook)
			hrt_irq_hook(v);
		return;
	}
	if (hrt_landing) {
		f->eip = hrt_landing;
		hrt_landing = 0;
	}
}

void hrt_run_at(int ring, void (*fn)(void))
{
	static const int stack_of[4] = { STACK_TRAP, STACK_R1, STACK_R2, STACK_R3 };
	if (hrt_setjmp(ring0_ctx) == 0) {
		uint32_t *sp = (uint32_t *)(uintptr_t)(top(stack_of[ring]) - 64);
		*sp = (uint32_t)(uintptr_t)hrt_ring_exit; /* fn's return address */
		hrt_enter_ring(SEL_CODE(ring) | (uint32_t)ring, SEL_DATA(ring) | (uint32_t)ring,
			       (uint32_t)(uintptr_t)sp, fn);
	}
	/* Back at ring 0 on our own stack, with the segments to restore. */
	__asm__ volatile("movl $0x10, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t"
			 "movl %%eax, %%fs\n\tmovl %%eax, %%gs" : : : "eax", "memory");
}

static uint32_t seed = 0x12345678;

void hrt_srand(uint32_t s)
{
	seed = s ? s : 1;
}

uint32_t hrt_rand(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

void put_hex(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	serial_puts("0x");
	for (int s = 28; s >= 0; s -= 4)
		serial_putc(digits[(v >> s) & 15]);
}

void hrt_finish(const char *name, bool ok, const char *why)
{
	serial_puts(name);
	if (ok) {
		serial_puts(": ok\n");
		debug_exit(0x20);
	}
	serial_puts(": FAILED: ");
	serial_puts(why);
	serial_puts("\n");
	debug_exit(0x21);
}

uint32_t pci_read(int slot, int fn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc));
	return inl(0xcfc);
}

void pci_write(int slot, int fn, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc));
	outl(0xcfc, v);
}

/* The compiler may call these for block copies and clears. */
void *memset(void *d, int c, unsigned n);
void *memcpy(void *d, const void *s, unsigned n);

void *memset(void *d, int c, unsigned n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

bool hrt_forever(const uint32_t *mbi)
{
	const char *cmd = (mbi[0] & 4) ? (const char *)(uintptr_t)mbi[4] : "";
	for (const char *p = cmd; *p; p++)
		if (p[0] == 'f' && p[1] == 'o' && p[2] == 'r' && p[3] == 'e')
			return true;
	return false;
}
