/* Multiboot v1 header and entry: set up a stack, call guest_main(magic, info). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x3 /* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	movl $stack_top, %esp
	pushl %ebx              /* Multiboot information */
	pushl %eax              /* 0x2badb002 */
	call guest_main
	.globl guest_halt
guest_halt:
	cli
	hlt
	jmp guest_halt

	.bss
	.balign 16
	.skip 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
