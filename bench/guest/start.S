/* Entry of the benchmark programs: main(argc, argv), then exit. */
	.text
	.globl _start
_start:
	xorl %ebp, %ebp
	movl (%esp), %eax        /* argc */
	leal 4(%esp), %ecx       /* argv */
	andl $-16, %esp
	subl $8, %esp
	pushl %ecx
	pushl %eax
	call main
	movl %eax, %ebx
	movl $1, %eax            /* exit */
	int $0x80
	hlt
	.section .note.GNU-stack, "", @progbits
