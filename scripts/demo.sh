#!/usr/bin/env bash
# scripts/demo.sh -- what `make demo` runs once cordon and build/guest/ exist:
# boots Debian's 686 kernel in cordon with the guest script cordon-demo
# (uname, /proc/cpuinfo, a few computations, then a reboot), shows the
# console as it comes, then cordon's exit status and its audit of the
# sensitive instructions the guest ran.  The guest also gets an ext4 disk
# (made by scripts/mkext4.sh) holding a note from the host; it reads that
# and writes one back, which this script then reads out of the image.
#
# Nothing here reads the terminal: cordon's stdin is /dev/null, so the demo
# never waits for input and runs the same under CI.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=build/cordon
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
APPEND='console=ttyS0 noapic nolapic acpi=off cordon.run=demo'

for f in "$CORDON" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "demo: $f is missing; run 'make demo' (it builds cordon and the guest)" >&2; exit 1; }
done

DISKDIR=build/demo
DISK=$DISKDIR/disk.img
CMD=("$CORDON" run --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" --disk "$DISK"
	--audit-sensitive)

# quote_args ARGS...: the arguments as one line a shell would read back.
quote_args() {
	local a out=
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./=:-]*) out+="'${a//\'/\'\\\'\'}' " ;;
		*) out+="$a " ;;
		esac
	done
	printf '%s' "${out% }"
}

rule() { printf '%.0s-' {1..72}; echo; }

ERR=$(mktemp /tmp/cordon-demo.XXXXXX)
trap 'rm -f "$ERR"' EXIT

# The disk: a fresh ext4 image from a directory holding the host's note.
rm -rf "$DISKDIR/files"
mkdir -p "$DISKDIR/files"
echo "hello from the host ($(uname -n)), $(date -u '+%Y-%m-%d %H:%M:%S') UTC" >"$DISKDIR/files/from-host.txt"
scripts/mkext4.sh --size 16M "$DISKDIR/files" "$DISK" >/dev/null || exit 1

# The kernel package and version, as scripts/mkguest.sh recorded them.
kernel_name=$(awk '$1 == "kernel" { print $2 " " $3 }' build/guest/.stamp 2>/dev/null)

rule
cat <<EOF
cordon demo: booting Debian 12's stock 686 kernel (${kernel_name:-$KERNEL})
with a busybox initramfs, on cordon's software IA-32 CPU.  The guest prints
uname -a and /proc/cpuinfo, does a few computations, mounts an ext4 disk
(/dev/vda, virtio-blk) to read the host's note and write one back, then
reboots, which ends cordon.  This takes some tens of seconds; the console follows as it
comes.

  $(quote_args "${CMD[@]}") </dev/null
EOF
rule

start=$SECONDS
"${CMD[@]}" </dev/null 2>"$ERR"
rc=$?
elapsed=$((SECONDS - start))

echo
rule
if [ "$rc" -eq 0 ]; then
	echo "cordon exited with status 0 after ${elapsed} s: the guest rebooted, as expected."
else
	echo "cordon exited with status $rc after ${elapsed} s (0 was expected; 'cordon run --help' lists the codes)."
fi
echo
if command -v debugfs >/dev/null; then
	echo "The host reads the guest's note out of $DISK (debugfs):"
	echo "  $(debugfs -R 'cat /from-guest.txt' "$DISK" 2>/dev/null || echo '(missing)')"
	echo
fi
echo "cordon's report on stderr (--audit-sensitive: each sensitive instruction"
echo "of Robin & Irvine that the guest executed, by privilege level):"
echo
sed 's/^/  /' "$ERR"
rule
exit "$rc"
