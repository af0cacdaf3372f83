#!/usr/bin/env bash
# bench/disk.sh -- `make bench-disk`: sequential write and read of 256 MiB
# on a virtio-blk disk, inside the same Debian 686 guest (build/guest/), in
# cordon and in QEMU's TCG (no KVM) side by side, on a raw image and on a
# LUKS1 image (aes-xts-plain64; LUKS1 because QEMU 7.2 reads no LUKS2):
#
#   write   dd if=/dev/zero of=/dev/vda bs=1M count=256 conv=fsync
#   read    dd if=/dev/vda of=/dev/null bs=1M count=256   (page cache dropped first)
#
# Each phase is timed on the host, between console lines the guest prints
# around it (as bench/boot.sh does), and reported as MiB/s; busybox dd's own
# report is shown too.  A raw image is filled with 0xff bytes beforehand, a
# LUKS image starts as random-looking plaintext; afterwards each must hold
# 256 MiB of zeros (a LUKS image decrypted with qemu-img): proof the writes
# reached the file.
#
# QEMU runs a "pc" machine (it needs PCI for virtio) with the drive as
# -drive if=virtio,format=raw and its default cache mode; both VMMs turn the
# guest's flush into fdatasync on the image.
#   BENCH_ENGINES="cordon qemu cordon-luks qemu-luks"   which to run (default: all)
#   BENCH_MIB=256                 megabytes to write and read
#   BENCH_RUNS=3                  rounds; each runs every engine once, in turn,
#                                 and the table shows each phase's median time
#                                 (the hosts we share vary by 30% run to run)
#   BENCH_CORDON=build/cordon     the cordon binary to measure
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=${BENCH_CORDON:-build/cordon}
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
ENGINES=${BENCH_ENGINES:-cordon qemu cordon-luks qemu-luks}
MIB=${BENCH_MIB:-256}
TIMEOUT=900 # per emulator, seconds

case $MIB in '' | *[!0-9]*) echo "bench: BENCH_MIB='$MIB' is not a number" >&2; exit 2 ;; esac
source bench/lib.sh
positive_setting RUNS 3 BENCH_RUNS BENCH_ROUNDS || exit 2
present_files bench-disk "$CORDON" "$KERNEL" "$INITRD" || exit 1

DROP="sync; echo 3 >/proc/sys/vm/drop_caches"
WRITE="dd if=/dev/zero of=/dev/vda bs=1M count=$MIB conv=fsync"
READ="dd if=/dev/vda of=/dev/null bs=1M count=$MIB"
GUEST_CMD="$DROP; echo W-START; $WRITE; echo W-END; $DROP; echo R-START; $READ; echo R-END; reboot -f"
APPEND="console=ttyS0 noapic nolapic acpi=off cordon.cmd=\"$GUEST_CMD\""

WORK=$(mktemp -d /tmp/cordon-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

PASS=$WORK/pass
printf 'cordon bench passphrase' >"$PASS"

# fresh_image raw|luks: $WORK/disk.img, MIB MiB for the guest: 0xff bytes,
# or a new LUKS1 image (PBKDF kept short: unlocking is not what we time).
fresh_image() {
	rm -f "$WORK/disk.img"
	if [ "$1" = luks ]; then
		"$CORDON" disk create --type luks1 --iter-time 100 --key-file "$PASS" \
			"$WORK/disk.img" "${MIB}M" >/dev/null
	else
		head -c $((MIB * 1048576)) /dev/zero | tr '\0' '\377' >"$WORK/disk.img"
	fi
}

# image_is_zero raw|luks: the guest's writes all reached the image.
image_is_zero() {
	local img=$WORK/disk.img
	if [ "$1" = luks ]; then
		qemu-img convert --object "secret,id=s0,file=$PASS" \
			--image-opts "driver=luks,key-secret=s0,file.filename=$img" -O raw "$WORK/plain.img" ||
			return 1
		img=$WORK/plain.img
	fi
	cmp -s -n $((MIB * 1048576)) "$img" /dev/zero
	local rc=$?
	rm -f "$WORK/plain.img"
	return $rc
}

declare -A WRITE_S READ_S NOTE DDLINES WRITE_ALL READ_ALL
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
	elif ! image_is_zero "${name#*-}"; then
		NOTE[$name]="the image does not hold the written zeros"
	fi
}

run_cordon() { # NAME raw|luks
	local name=$1 disk=$WORK/disk.img
	fresh_image "$2" || { NOTE[$name]="could not make the image"; return; }
	[ "$2" = luks ] && disk="$disk,luks,key-file=$PASS"
	local start=$EPOCHREALTIME
	echo "bench: $name: $CORDON run --kernel $KERNEL --initrd $INITRD --append '$APPEND' --disk ${disk#$WORK/}" >&2
	timeout "$TIMEOUT" "$CORDON" run --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" \
		--disk "$disk" </dev/null 2>"$WORK/$name.err" | stamp >"$WORK/$name.log"
	local rc=${PIPESTATUS[0]}
	results "$name" "$WORK/$name.log" "$start"
	[ "$rc" -eq 0 ] || NOTE[$name]="exit status $rc ${NOTE[$name]:-}"
}

QEMU_ARGS=(-M pc -cpu pentium2 -m 256 -nographic -no-reboot -nic none)
run_qemu() { # NAME raw|luks
	local name=$1 drive=(-drive "file=$WORK/disk.img,if=virtio,format=raw")
	need_qemu qemu || { NOTE[$name]="not installed"; return; }
	fresh_image "$2" || { NOTE[$name]="could not make the image"; return; }
	[ "$2" = luks ] && drive=(-object "secret,id=s0,file=$PASS"
		-drive "file=$WORK/disk.img,if=virtio,format=luks,key-secret=s0")
	local start=$EPOCHREALTIME
	echo "bench: $name: qemu-system-i386 ${QEMU_ARGS[*]} -kernel $KERNEL -initrd $INITRD -append '$APPEND' ${drive[*]#$WORK/}" >&2
	timeout "$TIMEOUT" qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "$APPEND" "${drive[@]}" </dev/null 2>"$WORK/$name.err" | stamp >"$WORK/$name.log"
	local rc=${PIPESTATUS[0]}
	results "$name" "$WORK/$name.log" "$start"
	[ "$rc" -eq 0 ] || NOTE[$name]="exit status $rc ${NOTE[$name]:-}"
}

bench_start=$SECONDS
echo "bench: guest command: $GUEST_CMD" >&2
for round in $(seq "$RUNS"); do
	echo "bench: round $round of $RUNS" >&2
	for e in $ENGINES; do
		case $e in
		cordon) run_cordon cordon raw ;;
		qemu) run_qemu qemu raw ;;
		cordon-luks) run_cordon cordon-luks luks ;;
		qemu-luks) run_qemu qemu-luks luks ;;
		*) echo "bench: unknown engine '$e' in BENCH_ENGINES" >&2; exit 2 ;;
		esac
	done
	for e in $ENGINES; do
		WRITE_ALL[$e]="${WRITE_ALL[$e]:-} ${WRITE_S[$e]:-}"
		READ_ALL[$e]="${READ_ALL[$e]:-} ${READ_S[$e]:-}"
	done
done

for e in $ENGINES; do
	# shellcheck disable=SC2086 # the lists are space-separated times
	WRITE_S[$e]=$(echo ${WRITE_ALL[$e]} | median)
	# shellcheck disable=SC2086
	READ_S[$e]=$(echo ${READ_ALL[$e]} | median)
done

rate() { # SECONDS -> MiB/s, or "-"
	[ -n "$1" ] && awk -v s="$1" -v m="$MIB" 'BEGIN { if (s > 0) printf "%.1f MiB/s", m / s; else print "-" }' || echo -
}
ratio() { # A B: B/A (throughput ratio from times), or "-"
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }' || echo -
}

echo
host_line
echo "guest: kernel $(sha256sum "$KERNEL" | cut -c1-12), 256 MiB RAM; $MIB MiB images on $(df --output=fstype "$WORK" | tail -1)"
echo
printf '%-30s %14s %14s   %s\n' emulator "write" "read" note
for e in $ENGINES; do
	case $e in
	cordon) label="cordon, raw" ;;
	qemu) label="qemu $(qemu_version) TCG, raw" ;;
	cordon-luks) label="cordon, LUKS1" ;;
	qemu-luks) label="qemu TCG, LUKS1" ;;
	esac
	printf '%-30s %14s %14s   %s\n' "$label" "$(rate "${WRITE_S[$e]:-}")" "$(rate "${READ_S[$e]:-}")" "${NOTE[$e]:-}"
done
ratio_row() { # LABEL A B: throughput of A over B
	printf '%-30s %14s %14s\n' "$1" "$(ratio "${WRITE_S[$2]:-}" "${WRITE_S[$3]:-}")" \
		"$(ratio "${READ_S[$2]:-}" "${READ_S[$3]:-}")"
}
ratio_row "cordon/qemu, raw" cordon qemu
ratio_row "cordon/qemu, LUKS1" cordon-luks qemu-luks
ratio_row "cordon LUKS1/raw" cordon-luks cordon
echo "medians of $RUNS rounds; each round's write and read in seconds:"
for e in $ENGINES; do
	echo "  $e: write${WRITE_ALL[$e]:-}; read${READ_ALL[$e]:-}"
done
for e in $ENGINES; do
	[ -n "${DDLINES[$e]:-}" ] && echo "$e, busybox dd says (last round): ${DDLINES[$e]}"
done
echo "(bench took $((SECONDS - bench_start)) s)"
