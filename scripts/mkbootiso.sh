#!/usr/bin/env bash
# scripts/mkbootiso.sh [--timeout SECONDS] OUT.iso KERNEL INITRD [APPEND]
#
# Builds a BIOS-bootable image of a Linux kernel and initramfs (by default
# the `make guest` ones) with GRUB (grub-mkrescue from grub-pc-bin, and
# xorriso: Debian packages that scripts/deps.sh installs).  GRUB's menu and
# the kernel's console are on the first serial port, which is where
# cordon's firmware boot shows the BIOS and the boot loader.
#
# The image is an ISO 9660 CD-ROM image whose first sector is also a
# GRUB MBR (grub-mkrescue makes hybrids), so the same file boots as
# `--cdrom FILE` and as a hard disk (`--disk FILE`, virtio or IDE).
# APPEND is the kernel command line after console=ttyS0 (default: none).
set -euo pipefail

usage() { echo "usage: $0 [--timeout SECONDS] OUT.iso KERNEL INITRD [APPEND]" >&2; exit 2; }
die() { echo "mkbootiso: $*" >&2; exit 1; }

TIMEOUT=3
if [ "${1:-}" = "--timeout" ]; then
	[ $# -ge 2 ] || usage
	TIMEOUT=$2
	shift 2
fi
[ $# -ge 3 ] && [ $# -le 4 ] || usage
OUT=$1 KERNEL=$2 INITRD=$3 APPEND=${4:-}
case $TIMEOUT in '' | *[!0-9]*) die "--timeout: '$TIMEOUT' is not a number of seconds" ;; esac

for tool in grub-mkrescue xorriso; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (run scripts/deps.sh: grub-pc-bin, xorriso)"
done
[ -d /usr/lib/grub/i386-pc ] || die "/usr/lib/grub/i386-pc is missing (the grub-pc-bin package)"
[ -f "$KERNEL" ] || die "$KERNEL: no such kernel"
[ -f "$INITRD" ] || die "$INITRD: no such initramfs"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkbootiso.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/root/boot/grub"
cp "$KERNEL" "$WORK/root/boot/vmlinuz"
cp "$INITRD" "$WORK/root/boot/initrd.img"

# GRUB's own console is the serial port (COM1, the speed is the UART's
# business in a VM); the kernel's is ttyS0.  A single entry, booted after
# TIMEOUT seconds unless someone presses a key on the console.
cat >"$WORK/root/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=$TIMEOUT
set default=0
menuentry "Debian GNU/Linux (cordon test image)" {
	echo "Loading the kernel..."
	linux /boot/vmlinuz console=ttyS0 $APPEND
	echo "Loading the initramfs..."
	initrd /boot/initrd.img
}
CFG

grub-mkrescue --directory=/usr/lib/grub/i386-pc --compress=no -o "$WORK/out.iso" "$WORK/root" \
	>"$WORK/log" 2>&1 || { tail -5 "$WORK/log" >&2; die "grub-mkrescue failed"; }
mv "$WORK/out.iso" "$OUT"
