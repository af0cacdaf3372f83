#!/bin/sh
# run.sh GEN: runs the oracle generator and prints its vectors.  On the host
# CPU when this kernel runs 32-bit programs; otherwise (a kernel built or
# booted without IA-32 emulation: exec fails with "Exec format error") under
# qemu-i386, QEMU's user-mode emulator, with --emulated, which leaves out the
# few snippets QEMU is known to run differently from a CPU.
set -u
gen=$1
if "$gen" no-snippet-has-this-name >/dev/null 2>&1; then
	exec "$gen"
fi
if ! command -v qemu-i386 >/dev/null 2>&1; then
	echo "oracle: this host cannot run the 32-bit $gen and qemu-i386" \
		"(Debian package qemu-user) is missing; run scripts/deps.sh" >&2
	exit 1
fi
echo "oracle: this host runs no 32-bit programs; the oracle is qemu-i386" >&2
exec qemu-i386 "$gen" --emulated
