/*
 * The hostile guests' trap entry points and context switches (hrt.h).
 *
 * Vectors 8, 10-14 and 17 push an error code when the CPU raises them;
 * the others do not, so their stubs push a 0 in its place.  (An INT n of
 * an error-code vector pushes none: the guests never do that at a ring
 * where the gate lets it through.)
 */
	.text

	.balign 16
	.globl isr_table_start
isr_table_start:
	.irp v, 0,1,2,3,4,5,6,7
	.balign 16
	pushl $0
	pushl $\v
	jmp isr_common
	.endr
	.balign 16          /* 8: #DF */
	pushl $8
	jmp isr_common
	.balign 16          /* 9 */
	pushl $0
	pushl $9
	jmp isr_common
	.irp v, 10,11,12,13,14
	.balign 16
	pushl $\v
	jmp isr_common
	.endr
	.irp v, 15,16
	.balign 16
	pushl $0
	pushl $\v
	jmp isr_common
	.endr
	.balign 16          /* 17: #AC */
	pushl $17
	jmp isr_common
	.set n, 18
	.rept 256 - 18
	.balign 16
	pushl $0
	pushl $n
	jmp isr_common
	.set n, n + 1
	.endr

isr_common:
	pushal
	pushl %ds
	pushl %es
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	leal 8(%esp), %eax      /* struct trap_frame, after ds/es */
	pushl %eax
	call hrt_trap
	addl $4, %esp
	popl %es
	popl %ds
	popal
	addl $8, %esp           /* vector, error code */
	iret

/* int hrt_setjmp(uint32_t ctx[6]): ebx esi edi ebp esp eip */
	.globl hrt_setjmp
hrt_setjmp:
	movl 4(%esp), %eax
	movl %ebx, 0(%eax)
	movl %esi, 4(%eax)
	movl %edi, 8(%eax)
	movl %ebp, 12(%eax)
	leal 4(%esp), %ecx      /* the caller's esp after return */
	movl %ecx, 16(%eax)
	movl (%esp), %ecx
	movl %ecx, 20(%eax)
	xorl %eax, %eax
	ret

/* void hrt_longjmp(uint32_t ctx[6]) (noreturn): hrt_setjmp returns 1 */
	.globl hrt_longjmp
hrt_longjmp:
	movl 4(%esp), %edx
	movl 0(%edx), %ebx
	movl 4(%edx), %esi
	movl 8(%edx), %edi
	movl 12(%edx), %ebp
	movl 16(%edx), %esp
	movl $1, %eax
	jmp *20(%edx)

/* void hrt_enter_ring(uint32_t cs, uint32_t ss, uint32_t esp, void (*fn)(void)):
 * loads DS/ES with ss and IRETs to cs:fn on ss:esp, interrupts as they are. */
	.globl hrt_enter_ring
hrt_enter_ring:
	movl 8(%esp), %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl 4(%esp), %ecx      /* cs */
	movl 12(%esp), %edx     /* esp */
	movl 16(%esp), %ebx     /* fn */
	pushl %eax              /* ss */
	pushl %edx              /* esp */
	pushfl
	pushl %ecx              /* cs */
	pushl %ebx              /* eip */
	iret

/* Where a ring's function returns to: the gate back to ring 0. */
	.globl hrt_ring_exit
hrt_ring_exit:
	int $0xfd
	jmp hrt_ring_exit

	.section .note.GNU-stack, "", @progbits
