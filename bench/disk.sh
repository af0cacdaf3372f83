#!/usr/bin/env bash
# bench/disk.sh -- `make bench-disk`: sequential write and read of 256 MiB
# on a virtio-blk raw image, inside the same Debian 686 guest (build/guest/),
# in cordon and in QEMU's TCG (no KVM) side by side:
#
#   write   dd if=/dev/zero of=/dev/vda bs=1M count=256 conv=fsync
#   read    dd if=/dev/vda of=/dev/null bs=1M count=256   (page cache dropped first)
#
# Each phase is timed on the host, between console lines the guest prints
# around it (as bench/boot.sh does), and reported as MiB/s; busybox dd's own
# report is shown too.  The image is filled with 0xff bytes beforehand, and
# afterwards must hold 256 MiB of zeros: proof the writes reached the file.
#
# QEMU runs a "pc" machine (it needs PCI for virtio) with the drive as
# -drive if=virtio,format=raw and its default cache mode; both VMMs turn the
# guest's flush into fdatasync on the image.
#   BENCH_ENGINES="cordon qemu"   which to run (default: both)
#   BENCH_MIB=256                 megabytes to write and read
#   BENCH_CORDON=build/cordon     the cordon binary to measure
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=${BENCH_CORDON:-build/cordon}
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
ENGINES=${BENCH_ENGINES:-cordon qemu}
MIB=${BENCH_MIB:-256}
TIMEOUT=900 # per emulator, seconds

case $MIB in '' | *[!0-9]*) echo "bench: BENCH_MIB='$MIB' is not a number" >&2; exit 2 ;; esac
for f in "$CORDON" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run 'make bench-disk' (it builds them)" >&2; exit 1; }
done

DROP="sync; echo 3 >/proc/sys/vm/drop_caches"
WRITE="dd if=/dev/zero of=/dev/vda bs=1M count=$MIB conv=fsync"
READ="dd if=/dev/vda of=/dev/null bs=1M count=$MIB"
GUEST_CMD="$DROP; echo W-START; $WRITE; echo W-END; $DROP; echo R-START; $READ; echo R-END; reboot -f"
APPEND="console=ttyS0 noapic nolapic acpi=off cordon.cmd=\"$GUEST_CMD\""

WORK=$(mktemp -d /tmp/cordon-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source bench/lib.sh

# fresh_image: $WORK/disk.img, MIB MiB of 0xff bytes.
fresh_image() {
	head -c $((MIB * 1048576)) /dev/zero | tr '\0' '\377' >"$WORK/disk.img"
}

# image_is_zero: the guest's writes all reached the image.
image_is_zero() {
	cmp -s -n $((MIB * 1048576)) "$WORK/disk.img" /dev/zero
}

declare -A WRITE_S READ_S NOTE DDLINES
# results NAME LOG START: phase times from the console log.
results() {
	local name=$1 log=$2 start=$3 ws we rs re
	ws=$(time_of "$log" W-START "$start")
	we=$(time_of "$log" W-END "$start")
	rs=$(time_of "$log" R-START "$start")
	re=$(time_of "$log" R-END "$start")
	WRITE_S[$name]= READ_S[$name]=
	[ -n "$ws" ] && [ -n "$we" ] && WRITE_S[$name]=$(awk -v a="$ws" -v b="$we" 'BEGIN { printf "%.3f", b - a }')
	[ -n "$rs" ] && [ -n "$re" ] && READ_S[$name]=$(awk -v a="$rs" -v b="$re" 'BEGIN { printf "%.3f", b - a }')
	DDLINES[$name]=$(cut -d' ' -f2- "$log" | grep -E 'bytes .* copied' | tr '\n' ';')
	if [ -z "${WRITE_S[$name]}" ] || [ -z "${READ_S[$name]}" ]; then
		NOTE[$name]="did not reach the markers"
		echo "bench: $name did not reach the markers; its console ended with:" >&2
		tail -5 "$log" | sed 's/^/  /' >&2
	elif ! image_is_zero; then
		NOTE[$name]="the image does not hold the written zeros"
	fi
}

run_cordon() {
	fresh_image
	local start=$EPOCHREALTIME
	echo "bench: cordon: $CORDON run --kernel $KERNEL --initrd $INITRD --append '$APPEND' --disk disk.img" >&2
	timeout "$TIMEOUT" "$CORDON" run --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" \
		--disk "$WORK/disk.img" </dev/null 2>"$WORK/cordon.err" | stamp >"$WORK/cordon.log"
	local rc=${PIPESTATUS[0]}
	results cordon "$WORK/cordon.log" "$start"
	[ "$rc" -eq 0 ] || NOTE[cordon]="exit status $rc ${NOTE[cordon]:-}"
}

QEMU_ARGS=(-M pc -cpu pentium2 -m 256 -nographic -no-reboot -nic none)
run_qemu() {
	need_packages qemu qemu-system-x86 || { NOTE[qemu]="not installed"; return; }
	fresh_image
	local start=$EPOCHREALTIME
	echo "bench: qemu: qemu-system-i386 ${QEMU_ARGS[*]} -kernel $KERNEL -initrd $INITRD -append '$APPEND' -drive file=disk.img,if=virtio,format=raw" >&2
	timeout "$TIMEOUT" qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "$APPEND" -drive "file=$WORK/disk.img,if=virtio,format=raw" \
		</dev/null 2>"$WORK/qemu.err" | stamp >"$WORK/qemu.log"
	local rc=${PIPESTATUS[0]}
	results qemu "$WORK/qemu.log" "$start"
	[ "$rc" -eq 0 ] || NOTE[qemu]="exit status $rc ${NOTE[qemu]:-}"
}

bench_start=$SECONDS
echo "bench: guest command: $GUEST_CMD" >&2
for e in $ENGINES; do
	case $e in
	cordon) run_cordon ;;
	qemu) run_qemu ;;
	*) echo "bench: unknown engine '$e' in BENCH_ENGINES" >&2; exit 2 ;;
	esac
done

rate() { # SECONDS -> MiB/s, or "-"
	[ -n "$1" ] && awk -v s="$1" -v m="$MIB" 'BEGIN { if (s > 0) printf "%.1f MiB/s", m / s; else print "-" }' || echo -
}
ratio() { # A B: B/A (throughput ratio from times), or "-"
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }' || echo -
}

echo
echo "Debian $(cat /etc/debian_version 2>/dev/null) host, $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')"
echo "guest: kernel $(sha256sum "$KERNEL" | cut -c1-12), 256 MiB RAM; $MIB MiB raw image on $(df --output=fstype "$WORK" | tail -1)"
echo
printf '%-30s %14s %14s   %s\n' emulator "write" "read" note
for e in $ENGINES; do
	case $e in
	cordon) label="cordon (soft engine)" ;;
	qemu) label="qemu-system-i386 $(qemu-system-i386 --version 2>/dev/null | awk 'NR==1 { print $4 }') TCG" ;;
	esac
	printf '%-30s %14s %14s   %s\n' "$label" "$(rate "${WRITE_S[$e]:-}")" "$(rate "${READ_S[$e]:-}")" "${NOTE[$e]:-}"
done
printf '%-30s %14s %14s\n' "throughput cordon/qemu" "$(ratio "${WRITE_S[cordon]:-}" "${WRITE_S[qemu]:-}")" \
	"$(ratio "${READ_S[cordon]:-}" "${READ_S[qemu]:-}")"
for e in $ENGINES; do
	[ -n "${DDLINES[$e]:-}" ] && echo "$e, busybox dd says: ${DDLINES[$e]}"
done
echo "(bench took $((SECONDS - bench_start)) s)"
