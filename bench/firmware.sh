#!/usr/bin/env bash
# bench/firmware.sh -- `make bench-firmware`: the PC platform side by side
# with QEMU TCG (qemu-system-i386 -M pc -cpu pentium2, no KVM), both
# booting the same GRUB image (scripts/mkbootiso.sh of build/guest) through
# SeaBIOS, in interleaved rounds:
#
#   boot-virtio   wall time from start to "cordon-guest: init ready", the
#                 image as a virtio-blk disk
#   boot-cdrom    the same, the image as an ATAPI CD-ROM
#   read-ide      in the guest, dd of 256 MiB from an IDE disk (sda)
#   read-cdrom    in the guest, dd of 256 MiB from an ATAPI CD-ROM (sr0)
#
# The reads are timed in the guest between console markers (host time as
# the lines arrive).  Prints every round and the median ratio cordon/QEMU
# per measure (time: lower is better for cordon; the reads are reported as
# MiB/s ratios, higher is better).
#   BENCH_ROUNDS=3   (or BENCH_RUNS) rounds (each runs cordon then QEMU, or QEMU then cordon)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
source bench/lib.sh
CORDON=build/cordon
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
MIB=256
TIMEOUT=600
INIT_MARKER='cordon-guest: init ready'
positive_setting ROUNDS 3 BENCH_ROUNDS BENCH_RUNS || exit 2
present_files bench-firmware "$CORDON" "$KERNEL" "$INITRD" || exit 1
WORK=$(mktemp -d /tmp/cordon-bench-fw.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
need_qemu qemu || exit 1

READ_CMD="echo BENCH-START; dd if=/dev/sda of=/dev/null bs=1M count=$MIB; echo BENCH-MID;"
READ_CMD="$READ_CMD dd if=/dev/sr0 of=/dev/null bs=1M count=$MIB; echo BENCH-END; poweroff -f"
scripts/mkbootiso.sh --timeout 0 "$WORK/boot.iso" "$KERNEL" "$INITRD" 'cordon.cmd="poweroff -f"' ||
	exit 1
scripts/mkbootiso.sh --timeout 0 "$WORK/read.iso" "$KERNEL" "$INITRD" "cordon.cmd=\"$READ_CMD\"" || exit 1
head -c $((MIB << 20)) /dev/urandom >"$WORK/data.img"
cp "$WORK/data.img" "$WORK/data.iso"

Q=(qemu-system-i386 -M pc -cpu pentium2 -m 256 -nographic -no-reboot)
# run NAME COMMAND...: the console, time-stamped, in WORK/NAME.log
run() {
	local name=$1 start=$EPOCHREALTIME
	shift
	timeout "$TIMEOUT" "$@" </dev/null 2>"$WORK/$name.err" | stamp >"$WORK/$name.log"
	echo "$start" >"$WORK/$name.start"
}
# t NAME LINE: seconds from start to LINE
t() { time_of "$WORK/$1.log" "$2" "$(cat "$WORK/$1.start")"; }
span() { # NAME A B: seconds between lines A and B
	local a b
	a=$(t "$1" "$2") b=$(t "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}

declare -A V # V[measure,engine,round]
one_round() {
	local r=$1 e
	for e in $2; do
		case $e in
		cordon)
			run c-virtio "$CORDON" run --disk "$WORK/boot.iso,ro"
			run c-cdrom "$CORDON" run --cdrom "$WORK/boot.iso"
			run c-read "$CORDON" run --disk "$WORK/read.iso,ro" --disk "$WORK/data.img,ro,if=ide,index=0" \
				--cdrom "$WORK/data.iso" --boot disk ;;
		qemu)
			run q-virtio "${Q[@]}" -drive "file=$WORK/boot.iso,format=raw,if=virtio,readonly=on"
			run q-cdrom "${Q[@]}" -cdrom "$WORK/boot.iso" -boot d
			run q-read "${Q[@]}" -drive "file=$WORK/read.iso,format=raw,if=none,id=b,readonly=on" \
				-device virtio-blk-pci,drive=b,bootindex=0 \
				-drive "file=$WORK/data.img,format=raw,if=ide,index=0" \
				-drive "file=$WORK/data.iso,format=raw,media=cdrom,index=2" ;;
		esac
		local p=${e:0:1}
		V[boot-virtio,$e,$r]=$(t "$p-virtio" "$INIT_MARKER")
		V[boot-cdrom,$e,$r]=$(t "$p-cdrom" "$INIT_MARKER")
		V[read-ide,$e,$r]=$(span "$p-read" BENCH-START BENCH-MID)
		V[read-cdrom,$e,$r]=$(span "$p-read" BENCH-MID BENCH-END)
		for m in boot-virtio boot-cdrom read-ide read-cdrom; do
			local run=${m#*-}
			[ "${m%%-*}" = read ] && run=read
			[ -n "${V[$m,$e,$r]}" ] || { echo "bench: round $r: $e $m missing; its console ended:" >&2
				tail -3 "$WORK/$p-$run.log" >&2; }
		done
	done
}

for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then order="cordon qemu"; else order="qemu cordon"; fi
	echo "bench: round $r of $ROUNDS ($order)" >&2
	one_round "$r" "$order"
done

echo
host_line
echo "QEMU emulator version $(qemu_version); SeaBIOS $(dpkg-query -W -f='${Version}' seabios); GRUB $(dpkg-query -W -f='${Version}' grub-pc-bin)"
printf '%-12s %-7s %s\n' measure engine "per round (s)"
for m in boot-virtio boot-cdrom read-ide read-cdrom; do
	for e in cordon qemu; do
		line=""
		for r in $(seq 1 "$ROUNDS"); do line+="${V[$m,$e,$r]:--} "; done
		printf '%-12s %-7s %s\n' "$m" "$e" "$line"
	done
done
echo
printf '%-12s %10s %10s %s\n' measure cordon qemu "ratio (median of per-round cordon/qemu)"
for m in boot-virtio boot-cdrom read-ide read-cdrom; do
	ratios=() cs=() qs=()
	for r in $(seq 1 "$ROUNDS"); do
		c=${V[$m,cordon,$r]} q=${V[$m,qemu,$r]}
		[ -n "$c" ] && cs+=("$c")
		[ -n "$q" ] && qs+=("$q")
		[ -n "$c" ] && [ -n "$q" ] && ratios+=("$(awk -v a="$c" -v b="$q" 'BEGIN { printf "%.3f", a / b }')")
	done
	cm=$(printf '%s\n' "${cs[@]}" | median) qm=$(printf '%s\n' "${qs[@]}" | median)
	rm_=$(printf '%s\n' "${ratios[@]}" | median)
	case $m in
	read-*) # as throughput: MiB/s, and the ratio inverted (higher is better)
		cm=$(awk -v s="$cm" -v n=$MIB 'BEGIN { if (s > 0) printf "%.1f MiB/s", n / s }')
		qm=$(awk -v s="$qm" -v n=$MIB 'BEGIN { if (s > 0) printf "%.1f MiB/s", n / s }')
		rm_=$(awk -v x="$rm_" 'BEGIN { if (x > 0) printf "%.2fx throughput", 1 / x }') ;;
	*)
		cm="$cm s" qm="$qm s" rm_="${rm_}x time" ;;
	esac
	printf '%-12s %10s %10s %s\n' "$m" "$cm" "$qm" "$rm_"
done
