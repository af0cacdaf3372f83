#!/usr/bin/env bash
# bench/workloads.sh -- `make bench-workloads`: the guest workload suite.
#
# Boots the `make guest` guest (Debian's 686 kernel, the busybox
# initramfs, 256 MiB) in cordon and in QEMU's TCG (qemu-system-i386 -cpu
# pentium2, no KVM), in turn, for BENCH_ROUNDS rounds (default 5; the
# order of the two alternates from round to round, so both see the same
# load), and times on the host, from the console lines, in each boot:
#
#   boot     starting the emulator -> "cordon-guest: init ready"
#   md5      dd if=/dev/zero bs=1M count=64 | md5sum
#   sha256   dd if=/dev/zero bs=1M count=64 | sha256sum
#   gzip     busybox gzip -9 of 16 MiB of generated text
#   spawn    1000 fork + exec + wait of a small static program
#   pipe     100,000 writes of 64 bytes through a pipe to a reader
#   awk      a busybox awk floating-point loop (x87), 150,000 iterations
#   sort     busybox sort of 200,000 lines
#
# Each workload runs between "BENCH-START name" and "BENCH-END name"; its
# output (checksums, counts) must equal the expected one (gzip's and
# awk's, which the host cannot reproduce, the same in every run of
# either emulator), else the run is reported and left out.  The programs the workloads need (bench/guest/)
# go into a second cpio archive appended to build/guest/initrd.img, with
# the script /bin/cordon-bench that runs them (cordon.run=bench).
#
# Printed: each round's times, then per workload the median of each
# emulator, cordon/QEMU, the geometric mean of those ratios, the peak RSS
# of each emulator's whole run (median), and cordon's instruction rate
# (cordon run --stats: instructions over the whole run / wall time).
#   BENCH_ROUNDS=5      rounds
#   BENCH_ONLY=cordon   run one emulator (for profiling); no ratios
#   BENCH_WORKLOADS="md5 awk"   run only these workloads (boot always)
#   BENCH_CORDON=path   the cordon binary (default build/cordon)
#   BENCH_WRAP="perf record -o f"  a command cordon runs under (profiling)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=${BENCH_CORDON:-build/cordon}
WRAP=(${BENCH_WRAP:-})
KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
ROUNDS=${BENCH_ROUNDS:-5}
ONLY=${BENCH_ONLY:-}
TIMEOUT=900 # per boot, seconds
INIT_MARKER='cordon-guest: init ready'
ALL_WORKLOADS="md5 sha256 gzip spawn pipe awk sort"
WORKLOADS=${BENCH_WORKLOADS:-$ALL_WORKLOADS}
APPEND="console=ttyS0 noapic nolapic acpi=off cordon.run=bench"
QEMU_ARGS=(-M isapc -cpu pentium2 -m 256 -nographic -no-reboot)

case $ROUNDS in '' | *[!0-9]* | 0) echo "bench: BENCH_ROUNDS='$ROUNDS' is not a positive number" >&2; exit 2 ;; esac
case $ONLY in '' | cordon | qemu) ;; *) echo "bench: BENCH_ONLY='$ONLY': cordon or qemu" >&2; exit 2 ;; esac
for w in $WORKLOADS; do
	case " $ALL_WORKLOADS " in *" $w "*) ;; *) echo "bench: unknown workload '$w' (known: $ALL_WORKLOADS)" >&2; exit 2 ;; esac
done
for f in "$CORDON" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run 'make bench-workloads' (it builds them)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/cordon-workloads.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source bench/lib.sh
need_packages "the workload suite" time || exit 1
if [ "$ONLY" != cordon ]; then
	need_qemu "the workload suite" || exit 1
fi

# --- the guest side ----------------------------------------------------------

# Debian's busybox awk has no math library: divisions and products only.
AWK_PROG='BEGIN { s = 0; for (i = 1; i <= 150000; i++) { x = i * 0.5; s += x / (x + 1.25) - x * 0.0001 } printf "awk: %.6f\n", s }'

# The expected output of each workload, from the same programs on the host.
expected() {
	local bin=$WORK/bin
	EXPECT[md5]="$(head -c 67108864 /dev/zero | md5sum | cut -d' ' -f1)  -"
	EXPECT[sha256]="$(head -c 67108864 /dev/zero | sha256sum | cut -d' ' -f1)  -"
	EXPECT[gzip]= # busybox's own deflate: checked to be the same in every run
	EXPECT[spawn]="spawn: 1000"
	EXPECT[pipe]="pipe: 6400000"
	EXPECT[awk]= # x87 arithmetic (the host's awk uses SSE): the same in every run
	EXPECT[sort]="$("$bin/gentext" lines 200000 | LC_ALL=C sort | md5sum | cut -d' ' -f1)  -"
}

build_initrd() {
	local root=$WORK/root
	make --no-print-directory -s -C bench/guest OUT="$WORK/bin" || return 1
	mkdir -p "$root/bench" "$root/bin"
	cp "$WORK"/bin/{nop,spawn,pipe,gentext} "$root/bench/"
	cat >"$root/bin/cordon-bench" <<-EOF
		#!/bin/sh
		# The workloads of bench/workloads.sh (generated there).
		B=/bench
		\$B/gentext bytes 16777216 >/tmp/text
		\$B/gentext lines 200000 >/tmp/lines
		run() {
			case " $WORKLOADS " in *" \$1 "*) ;; *) return ;; esac
			name=\$1; shift; echo "BENCH-START \$name"; "\$@"; echo "BENCH-END \$name"
		}
		run md5 sh -c 'dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum'
		run sha256 sh -c 'dd if=/dev/zero bs=1M count=64 2>/dev/null | sha256sum'
		run gzip sh -c 'gzip -9 -c /tmp/text | md5sum'
		run spawn \$B/spawn 1000 \$B/nop
		run pipe \$B/pipe 100000 64
		run awk awk '$AWK_PROG'
		run sort sh -c 'sort /tmp/lines | md5sum'
	EOF
	chmod 0755 "$root/bin/cordon-bench"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$WORK/extra.cpio.gz" &&
		cat "$INITRD" "$WORK/extra.cpio.gz" >"$WORK/initrd.img"
}

# --- one boot ----------------------------------------------------------------

# run_one EMULATOR ROUND: boots it once; T[emu,round,workload] = seconds,
# RSS[emu,round] = peak KiB, STATS[round] = cordon's --stats line.
declare -A T RSS STATS EXPECT
run_one() {
	local emu=$1 r=$2 log=$WORK/$1.$2.log start cmd
	if [ "$emu" = cordon ]; then
		cmd=("${WRAP[@]}" "$CORDON" run --kernel "$KERNEL" --initrd "$WORK/initrd.img" --append "$APPEND" --stats)
	else
		cmd=(qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$WORK/initrd.img" -append "$APPEND")
	fi
	[ "$r" = 1 ] && echo "bench: $emu: ${cmd[*]}" >&2
	start=$EPOCHREALTIME
	timeout "$TIMEOUT" /usr/bin/time -f '%M' -o "$WORK/$emu.$r.rss" "${cmd[@]}" \
		</dev/null 2>"$WORK/$emu.$r.err" | stamp >"$log"
	RSS[$emu,$r]=$(tail -1 "$WORK/$emu.$r.rss" 2>/dev/null)
	[ "$emu" = cordon ] && STATS[$r]=$(grep -m1 '^cordon: stats:' "$WORK/$emu.$r.err" | sed 's/^cordon: stats: //')
	T[$emu,$r,boot]=$(time_of "$log" "$INIT_MARKER" "$start")
	local w s e out
	for w in $WORKLOADS; do
		s=$(time_of "$log" "BENCH-START $w" "$start")
		e=$(time_of "$log" "BENCH-END $w" "$start")
		out=$(awk -v w="$w" '{ sub(/^[^ ]* /, "") } $0 == "BENCH-START " w { on = 1; next }
			$0 == "BENCH-END " w { exit } on { print }' "$log")
		T[$emu,$r,$w]=
		if [ -z "$s" ] || [ -z "$e" ]; then
			echo "bench: $emu round $r: $w did not finish; console ended with:" >&2
			tail -3 "$log" | sed 's/^/  /' >&2
		elif [ -n "${EXPECT[$w]}" ] && [ "$out" != "${EXPECT[$w]}" ]; then
			echo "bench: $emu round $r: $w printed '$out', expected '${EXPECT[$w]}'" >&2
		elif [ -z "${EXPECT[$w]}" ] && [ -n "${GOT[$w]:-}" ] && [ "$out" != "${GOT[$w]}" ]; then
			echo "bench: $emu round $r: $w printed '$out', another run '${GOT[$w]}'" >&2
		else
			GOT[$w]=$out
			T[$emu,$r,$w]=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", b - a }')
		fi
	done
}
declare -A GOT

# --- statistics --------------------------------------------------------------

values() { # EMU KEY: the non-empty T[EMU,round,KEY] values, one a line
	local r
	for r in $(seq 1 "$ROUNDS"); do
		[ -n "${T[$1,$r,$2]:-}" ] && echo "${T[$1,$r,$2]}"
	done
}

# --- main --------------------------------------------------------------------

bench_start=$SECONDS
build_initrd || { echo "bench: could not build the benchmark initramfs" >&2; exit 1; }
expected
EMUS="cordon qemu"
[ -n "$ONLY" ] && EMUS=$ONLY
for r in $(seq 1 "$ROUNDS"); do
	order=$EMUS
	[ -z "$ONLY" ] && [ $((r % 2)) = 0 ] && order="qemu cordon"
	for emu in $order; do
		run_one "$emu" "$r"
	done
	line="round $r:"
	for emu in $EMUS; do
		line+=" $emu"
		for w in boot $WORKLOADS; do line+=" $w=${T[$emu,$r,$w]:--}"; done
		line+=" rss=${RSS[$emu,$r]:--}KiB;"
	done
	echo "$line"
done

echo
echo "host: Debian $(cat /etc/debian_version 2>/dev/null), $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "guest: kernel $(sha256sum "$KERNEL" | cut -c1-12), initrd $(du -h "$WORK/initrd.img" | cut -f1), 256 MiB; $ROUNDS rounds, medians"
qver=$(qemu_version)
printf '\n%-8s %10s %10s %9s\n' workload cordon "qemu $qver" cordon/qemu
logsum=0 n=0 worst= worst_ratio=0
for w in boot $WORKLOADS; do
	c=$(values cordon "$w" | median)
	q=$(values qemu "$w" | median)
	ratio=-
	if [ -n "$c" ] && [ -n "$q" ]; then
		ratio=$(awk -v a="$c" -v b="$q" 'BEGIN { printf "%.2f", a / b }')
		logsum=$(awk -v s="$logsum" -v x="$ratio" 'BEGIN { printf "%.6f", s + log(x) }')
		n=$((n + 1))
		if awk -v a="$ratio" -v b="$worst_ratio" 'BEGIN { exit !(a > b) }'; then worst=$w worst_ratio=$ratio; fi
	fi
	printf '%-8s %9s%s %9s%s %9sx\n' "$w" "${c:--}" "${c:+s}" "${q:--}" "${q:+s}" "$ratio"
done
if [ "$n" -gt 0 ]; then
	printf '%-8s %21s %9sx   (worst: %s %sx)\n' geomean "" "$(awk -v s="$logsum" -v n="$n" 'BEGIN { printf "%.2f", exp(s / n) }')" "$worst" "$worst_ratio"
fi
rss_of() { local r; for r in $(seq 1 "$ROUNDS"); do [ -n "${RSS[$1,$r]:-}" ] && echo "${RSS[$1,$r]}"; done | median; }
printf '%-8s %9s %10s\n' "peak RSS" "$(rss_of cordon | awk '{ printf "%.0fM", $1 / 1024 }')" "$(rss_of qemu | awk '{ printf "%.0fM", $1 / 1024 }')"
for r in $(seq 1 "$ROUNDS"); do
	[ -n "${STATS[$r]:-}" ] && echo "cordon --stats, round $r: ${STATS[$r]}"
done
echo "(bench took $((SECONDS - bench_start)) s)"
