/*
 * run_native(): loads the register block at ORA_CTRL+CTRL_IN (EFLAGS first,
 * then every general register, ESP last) and jumps to the snippet at
 * ORA_CODE.  The epilogue that gen.c appends to the snippet stores the
 * registers at CTRL_OUT, switches back to the saved C stack, stores EFLAGS
 * and jumps to native_return, which restores the callee-saved registers and
 * returns to the C caller.  Absolute addresses only, so it works in PIE.
 */
	.text
	.globl run_native
	.type run_native, @function
run_native:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, 0x40080
	pushl 0x40020
	popfl
	mov 0x40000, %eax
	mov 0x40004, %ecx
	mov 0x40008, %edx
	mov 0x4000c, %ebx
	mov 0x40014, %ebp
	mov 0x40018, %esi
	mov 0x4001c, %edi
	mov 0x40010, %esp
	jmp *0x40084

	.globl native_return
	.type native_return, @function
native_return:
	cld
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.section .note.GNU-stack,"",@progbits
