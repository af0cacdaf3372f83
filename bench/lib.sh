# bench/lib.sh -- shared by the benchmarks under bench/ (sourced; they set
# WORK, a scratch directory, first).

# --- installing what is missing -------------------------------------------

# need_packages LABEL PACKAGE...: succeeds when every package is installed,
# installing the missing ones as root; otherwise says what to run.
need_packages() {
	local label=$1 p missing=()
	shift
	for p in "$@"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: skipping $label: install as root: apt-get install --no-install-recommends ${missing[*]}" >&2
		return 1
	fi
	echo "bench: installing ${missing[*]} for $label" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1; } ||
		{ echo "bench: skipping $label: apt-get install ${missing[*]} failed:" >&2; tail -3 "$WORK/apt.log" >&2; return 1; }
}

# --- checking the settings -------------------------------------------------

# positive_settings NAME...: each variable NAME (set from BENCH_NAME) holds
# a positive whole number; otherwise says which does not and fails.
positive_settings() {
	local v
	for v in "$@"; do
		case ${!v} in '' | *[!0-9]* | 0)
			echo "bench: BENCH_$v='${!v}' is not a positive number" >&2
			return 1 ;;
		esac
	done
}

# positive_setting VAR DEFAULT BENCH_NAME...: VAR from the first of the
# BENCH_NAMEs that is set, else DEFAULT.  Rounds are BENCH_RUNS in some
# scripts and BENCH_ROUNDS in others, so those give both and either
# works.  A value that is not a positive whole number gets one line
# naming the setting, and a failure.
positive_setting() {
	local var=$1 val=$2 from="" n
	shift 2
	for n in "$@"; do
		[ -n "${!n+set}" ] && { val=${!n} from=$n; break; }
	done
	case $val in '' | *[!0-9]* | 0)
		echo "bench: ${from:-the default of $var}='$val' is not a positive number" >&2
		return 1 ;;
	esac
	printf -v "$var" '%s' "$val"
}

# present_files TARGET FILE...: every FILE exists; otherwise names the
# missing one and the make target that builds it, and fails.
present_files() {
	local target=$1 f
	shift
	for f in "$@"; do
		[ -e "$f" ] || { echo "bench: $f is missing; run 'make $target' (it builds it)" >&2; return 1; }
	done
}

# --- the benchmarks that copy a file between two `make guest` VMs ------------

# copy_bench_setup TARGET NAME: what bench/net.sh and bench/transfer.sh
# share.  Sets CORDON (BENCH_CORDON, default build/cordon), KERNEL and
# INITRD (build/guest/), MIB (BENCH_MIB, 64: the file's size), RUNS
# (BENCH_RUNS or BENCH_ROUNDS, 3), TIMEOUT, BASE (the guests' kernel
# command line) and MAKE_FILE (the guest command that makes /tmp/f and
# prints "BENCH-SUM DIGEST"), and WORK (/tmp/cordon-bench-NAME.*, removed
# on exit).  Exits 2 on a bad setting, 1 when a file is missing (naming
# `make TARGET`, which builds it).
copy_bench_setup() {
	CORDON=${BENCH_CORDON:-build/cordon}
	KERNEL=$TOP/build/guest/vmlinuz
	INITRD=$TOP/build/guest/initrd.img
	TIMEOUT=1200
	positive_setting MIB 64 BENCH_MIB || exit 2
	positive_setting RUNS 3 BENCH_RUNS BENCH_ROUNDS || exit 2
	present_files "$1" "$CORDON" "$KERNEL" "$INITRD" || exit 1
	WORK=$(mktemp -d "/tmp/cordon-bench-$2.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	BASE="console=ttyS0 noapic nolapic acpi=off quiet"
	MAKE_FILE="dd if=/dev/urandom of=/tmp/f bs=1M count=$MIB 2>/dev/null; echo BENCH-SUM \$(sha256sum /tmp/f | cut -d' ' -f1)"
}

# --- QEMU and the host, for the reports ------------------------------------

# need_qemu LABEL: Debian's qemu-system-i386 is installed (see need_packages).
need_qemu() {
	need_packages "$1" qemu-system-x86
}

# qemu_version: the installed qemu-system-i386's version number, e.g. 7.2.15.
qemu_version() {
	qemu-system-i386 --version 2>/dev/null | awk 'NR == 1 { print $4 }'
}

# host_line: "Debian V host, N CPUs, MODEL", the first line of a report.
host_line() {
	echo "Debian $(cat /etc/debian_version 2>/dev/null) host, $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')"
}

# --- summarizing rounds ----------------------------------------------------

# median: the median of the numbers on stdin (separated by spaces or
# newlines), or nothing when there are none.  Anything else, such as the
# "-" of a round that failed, is left out.  With an even count it is the
# mean of the middle two (every benchmark's figures use this one median).
# An odd count prints the middle number as it was given; a mean keeps six
# decimals, trailing zeros dropped, and never turns into an exponent (an
# RSS in KiB has seven digits, which awk's default format would mangle).
median() {
	tr -s ' \t' '\n\n' | grep -E '^-?([0-9]+\.?[0-9]*|\.[0-9]+)$' | sort -g |
		awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			if (NR % 2) { print v[(NR + 1) / 2]; exit }
			m = sprintf("%.6f", (v[NR / 2] + v[NR / 2 + 1]) / 2)
			sub(/0+$/, "", m); sub(/\.$/, "", m)
			print m
		}'
}

# --- timing the console ---------------------------------------------------

# stamp [PID]: copies stdin to stdout, each line prefixed with the host time
# ($EPOCHREALTIME) at which it arrived, CRs removed.  No forks per line, so
# the reader keeps up with a fast boot.
# With PID, reads with a timeout, stops once PID is gone, and kills PID
# after BENCH-END (for Bochs, which restarts the guest rather than exiting).
stamp() {
	local pid=${1:-} line= part
	while :; do
		if [ -z "$pid" ]; then
			IFS= read -r line || break
		else
			part=
			if ! IFS= read -r -t 2 part; then
				line+=$part
				kill -0 "$pid" 2>/dev/null || break
				continue
			fi
			line+=$part
		fi
		line=${line//$'\r'/}
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
		[ -n "$pid" ] && [ "$line" = BENCH-END ] && kill "$pid" 2>/dev/null
		line=
	done
}

# time_of LOG LINE START: when the first console line equal to LINE arrived,
# in seconds since START.
time_of() {
	awk -v want="$2" -v t0="$3" '{ t = $1; sub(/^[^ ]* /, "") } $0 == want { printf "%.3f\n", t - t0; exit }' "$1"
}

