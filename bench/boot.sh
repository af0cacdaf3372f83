#!/usr/bin/env bash
# bench/boot.sh -- `make bench`: boots the same Debian 686 kernel and
# initramfs (build/guest/) in cordon, in QEMU's TCG (no KVM) and in Bochs,
# one after the other, and prints side by side:
#
#   init     wall time from starting the emulator to the console line
#            "cordon-guest: init ready" (/init has started)
#   work     wall time between the console lines BENCH-START and BENCH-END
#            around a CPU-bound guest command (dd 64 MiB of zeros | md5sum)
#
# Times are taken on the host as the console lines arrive (cordon flushes
# its console at least every 100,000 guest instructions).
#
# QEMU and Bochs boot through their BIOS (QEMU with -kernel, Bochs from a
# FAT disk with SYSLINUX, since Bochs has no direct Linux loader); cordon
# loads the kernel itself.  That is part of "init" for them.
#
# Missing emulators are installed with apt-get when run as root; otherwise
# the script says what to install and leaves that column out.
#   BENCH_ENGINES="cordon qemu bochs"   which to run (default: all three)
#   BENCH_MIB=64                        megabytes for dd | md5sum
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=build/cordon
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
ENGINES=${BENCH_ENGINES:-cordon qemu bochs}
MIB=${BENCH_MIB:-64}
TIMEOUT=300 # per emulator, seconds
INIT_MARKER='cordon-guest: init ready'

case $MIB in '' | *[!0-9]*) echo "bench: BENCH_MIB='$MIB' is not a number" >&2; exit 2 ;; esac
source bench/lib.sh
present_files bench "$CORDON" "$KERNEL" "$INITRD" || exit 1

WORKLOAD="dd if=/dev/zero bs=1M count=$MIB 2>/dev/null | md5sum"
GUEST_CMD="echo BENCH-START; $WORKLOAD; echo BENCH-END; reboot -f"
APPEND="console=ttyS0 noapic nolapic acpi=off cordon.cmd=\"$GUEST_CMD\""
EXPECT_MD5=$(head -c $((MIB * 1048576)) /dev/zero | md5sum | cut -d' ' -f1)

WORK=$(mktemp -d /tmp/cordon-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# results NAME LOG START: checks the run's console log and records its times in
# INIT[NAME] and SPAN[NAME] (empty when missing), with a note in NOTE[NAME].
declare -A INIT SPAN NOTE
results() {
	local name=$1 log=$2 start=$3 s e
	INIT[$name]=$(time_of "$log" "$INIT_MARKER" "$start")
	s=$(time_of "$log" BENCH-START "$start")
	e=$(time_of "$log" BENCH-END "$start")
	SPAN[$name]=
	[ -n "$s" ] && [ -n "$e" ] && SPAN[$name]=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", b - a }')
	if ! grep -qxF "$EXPECT_MD5  -" <(cut -d' ' -f2- "$log"); then
		NOTE[$name]="md5sum line missing or wrong"
	fi
	if [ -z "${INIT[$name]}" ] || [ -z "${SPAN[$name]}" ]; then
		NOTE[$name]="did not reach the markers; last console lines:"
		echo "bench: $name did not reach the markers; its console ended with:" >&2
		tail -5 "$log" | sed 's/^/  /' >&2
	fi
}

# --- the three emulators --------------------------------------------------

# --stats (when this cordon has it) ends the run with "cordon: stats:
# instructions N, wall S s, R million instructions/s" on stderr.
CORDON_STATS=
run_cordon() {
	local start=$EPOCHREALTIME stats=()
	"$CORDON" run --help 2>&1 | grep -q -- --stats && stats=(--stats)
	echo "bench: cordon: $CORDON run --kernel $KERNEL --initrd $INITRD --append '$APPEND' ${stats[*]}" >&2
	timeout "$TIMEOUT" "$CORDON" run --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" "${stats[@]}" \
		</dev/null 2>"$WORK/cordon.err" | stamp >"$WORK/cordon.log"
	local rc=${PIPESTATUS[0]}
	results cordon "$WORK/cordon.log" "$start"
	CORDON_STATS=$(grep -m1 '^cordon: stats:' "$WORK/cordon.err" | sed 's/^cordon: stats: //')
	[ "$rc" -eq 0 ] || NOTE[cordon]="exit status $rc ${NOTE[cordon]:-}"
}

QEMU_ARGS=(-M isapc -cpu pentium2 -m 256 -nographic -no-reboot)
run_qemu() {
	need_qemu qemu || { NOTE[qemu]="not installed"; return; }
	local start=$EPOCHREALTIME
	echo "bench: qemu: qemu-system-i386 ${QEMU_ARGS[*]} -kernel $KERNEL -initrd $INITRD -append '$APPEND'" >&2
	timeout "$TIMEOUT" qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "$APPEND" </dev/null 2>"$WORK/qemu.err" | stamp >"$WORK/qemu.log"
	local rc=${PIPESTATUS[0]}
	results qemu "$WORK/qemu.log" "$start"
	[ "$rc" -eq 0 ] || NOTE[qemu]="exit status $rc ${NOTE[qemu]:-}"
}

# A FAT16 hard-disk image (no partition table) holding the kernel, the
# initramfs and SYSLINUX set to boot them with our command line.  The size
# is a whole number of 16-head, 63-sector cylinders so Bochs can guess the
# geometry of the flat image.
make_bochs_disk() {
	local img=$1
	truncate -s $((64 * 16 * 63 * 512)) "$img"
	mkfs.fat -F 16 -n CORDON "$img" >/dev/null || return 1
	printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND %s\n' \
		"$APPEND" >"$WORK/syslinux.cfg"
	MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$KERNEL" ::vmlinuz &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$INITRD" ::initrd.img &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$WORK/syslinux.cfg" ::syslinux.cfg &&
		syslinux --install "$img"
}

run_bochs() {
	# bochs-term only satisfies Bochs's need for some GUI package (the
	# alternative apt picks by itself is the much larger bochs-wx).
	need_packages bochs bochs bochs-term bochsbios vgabios syslinux syslinux-common mtools dosfstools ||
		{ NOTE[bochs]="not installed"; return; }
	make_bochs_disk "$WORK/disk.img" || { NOTE[bochs]="could not build the SYSLINUX disk"; return; }
	# The rfb display (a VNC server that waits for nobody) is the only one
	# that needs no terminal or X; Debian's Bochs has its debugger built in,
	# which stops at the first instruction unless told to continue.
	cat >"$WORK/bochsrc" <<-EOF
		megs: 256
		cpu: model=p2_klamath, ips=50000000
		romimage: file=/usr/share/bochs/BIOS-bochs-latest
		vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
		ata0-master: type=disk, path=$WORK/disk.img, mode=flat
		boot: disk
		display_library: rfb, options="timeout=0"
		com1: enabled=1, mode=file, dev=$WORK/bochs.serial
		clock: sync=realtime, time0=local
		log: $WORK/bochs.out
		panic: action=fatal
		error: action=ignore
		info: action=ignore
		debug: action=ignore
	EOF
	echo c >"$WORK/bochs.rc"
	mkfifo "$WORK/bochs.serial"
	local start=$EPOCHREALTIME
	echo "bench: bochs: bochs -q -f bochsrc -rc (continue), cpu p2_klamath, 256 MiB, SYSLINUX disk" >&2
	timeout "$TIMEOUT" bochs -q -f "$WORK/bochsrc" -rc "$WORK/bochs.rc" </dev/null >"$WORK/bochs.stdout" 2>&1 &
	local pid=$!
	# Opened read-write so this never blocks if Bochs dies before opening it.
	exec 4<>"$WORK/bochs.serial"
	stamp "$pid" <&4 >"$WORK/bochs.log"
	exec 4<&-
	wait "$pid" 2>/dev/null
	results bochs "$WORK/bochs.log" "$start"
	[ -s "$WORK/bochs.log" ] || { NOTE[bochs]="no console output"; tail -5 "$WORK/bochs.stdout" >&2; }
}

# --- the report -----------------------------------------------------------

bench_start=$SECONDS
echo "bench: guest command: $GUEST_CMD" >&2
echo "bench: expected md5sum: $EXPECT_MD5" >&2
for e in $ENGINES; do
	case $e in
	cordon) run_cordon ;;
	qemu) run_qemu ;;
	bochs) run_bochs ;;
	*) echo "bench: unknown engine '$e' in BENCH_ENGINES" >&2; exit 2 ;;
	esac
done

ratio() { # A B: A/B with one decimal, or "-"
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }' || echo -
}
fmt() { [ -n "$1" ] && printf '%.1f s' "$1" || echo -; }

echo
host_line
echo "kernel $(sha256sum "$KERNEL" | cut -c1-12) ($(du -h "$KERNEL" | cut -f1)), initrd $(du -h "$INITRD" | cut -f1), workload: $WORKLOAD"
echo
printf '%-34s %12s %12s   %s\n' emulator "init" "work" note
for e in $ENGINES; do
	case $e in
	cordon) label="cordon (soft engine)" ;;
	qemu) label="qemu-system-i386 $(qemu_version) TCG" ;;
	bochs) label="bochs $(dpkg-query -W -f='${Version}' bochs 2>/dev/null | cut -d+ -f1)" ;;
	esac
	printf '%-34s %12s %12s   %s\n' "$label" "$(fmt "${INIT[$e]:-}")" "$(fmt "${SPAN[$e]:-}")" "${NOTE[$e]:-}"
done
printf '%-34s %12s %12s\n' "ratio cordon/qemu" "$(ratio "${INIT[cordon]:-}" "${INIT[qemu]:-}")" \
	"$(ratio "${SPAN[cordon]:-}" "${SPAN[qemu]:-}")"
printf '%-34s %12s %12s\n' "ratio cordon/bochs" "$(ratio "${INIT[cordon]:-}" "${INIT[bochs]:-}")" \
	"$(ratio "${SPAN[cordon]:-}" "${SPAN[bochs]:-}")"
if [ -n "$CORDON_STATS" ]; then
	echo "cordon --stats, whole run (boot, workload, idle and reboot): $CORDON_STATS"
else
	echo "cordon instructions per second: unavailable (this cordon has no --stats)"
fi
echo "(bench took $((SECONDS - bench_start)) s)"
