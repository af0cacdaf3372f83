#!/usr/bin/env bash
# Kernels and settings the loader must refuse: each run has to fail cleanly
# (non-zero exit below 128, so no crash) with one error line that names the
# file or value at fault.
source "$(dirname "$0")/../lib.sh"

if [ ! -x "$CORDON" ]; then
	fail boot-errors-binary "$CORDON was not built"
	exit 0
fi

# Not a kernel at all.
cp /etc/passwd "$TMP/passwd"
expect_refusal boot-not-a-kernel "$TMP/passwd" --kernel "$TMP/passwd"
: >"$TMP/empty"
expect_refusal boot-empty-kernel "$TMP/empty" --kernel "$TMP/empty"

# Guest memory the CLI must refuse before loading anything.
expect_refusal boot-memory-tiny "1K" --kernel "$TMP/passwd" --memory 1K
expect_refusal boot-memory-huge "5000G" --kernel "$TMP/passwd" --memory 5000G
expect_refusal boot-memory-not-a-size "abc" --kernel "$TMP/passwd" --memory abc

if ! have_guest; then
	echo "SKIP boot-truncated-bzimage: no $GUEST/vmlinuz (run make guest)"
	echo "SKIP boot-initrd-too-large: no $GUEST/vmlinuz (run make guest)"
	exit 0
fi

# A bzImage cut off inside its setup code.
head -c 4000 "$GUEST/vmlinuz" >"$TMP/vmlinuz-cut"
expect_refusal boot-truncated-bzimage "$TMP/vmlinuz-cut" --kernel "$TMP/vmlinuz-cut"

# A bzImage missing only its last bytes.
size=$(stat -c %s "$GUEST/vmlinuz")
head -c $((size - 4096)) "$GUEST/vmlinuz" >"$TMP/vmlinuz-short"
expect_refusal boot-truncated-bzimage-tail "$TMP/vmlinuz-short" --kernel "$TMP/vmlinuz-short"

# An initrd larger than the whole guest.
truncate -s 64M "$TMP/huge.img"
expect_refusal boot-initrd-too-large "$TMP/huge.img" \
	--kernel "$GUEST/vmlinuz" --initrd "$TMP/huge.img" --memory 32M

# A command line longer than the kernel's cmdline_size (2047 for Debian's).
long=$(printf 'x%.0s' $(seq 1 3000))
expect_refusal boot-cmdline-too-long "command line" --kernel "$GUEST/vmlinuz" --append "$long"
