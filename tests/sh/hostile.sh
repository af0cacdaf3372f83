#!/usr/bin/env bash
# The hostile-guest suite (tests/guest/hostile/, docs/testing.md): small
# Multiboot kernels that attack the VMM.  Each runs under build/cordon and
# under build/cordon-asan (ASan and UBSan): it must end with its own
# verdict "NAME: ok" and status 65, never a signal, a sanitizer report or
# a hang; the triple fault must end with status 3 and its message.  The
# guests that can run forever (the PIT storm, the notify storm) must stop
# within a second of SIGTERM, of Ctrl-A x on the console and of `cordon
# stop` under the supervisor, without their memory growing meanwhile.
source "$(dirname "$0")/../lib.sh"

G="$TOP/build/tests"
ASAN="$TOP/build/cordon-asan"
GUESTS="cr_msr smc io_storm pit_storm gates pci_bars virtq_edge rep_storm"
for f in "$CORDON" "$ASAN" "$G/hostile-gates.elf" "$G/guest-triple.elf"; do
	if [ ! -e "$f" ]; then
		fail hostile-prerequisites "$f is missing (make test builds it)"
		exit 0
	fi
done
cd "$TMP" || exit 1

# The guest and the supervisor this script has running in the background
# (one of each at most; empty once waited for, so a PID the kernel has
# handed on is never killed), stopped if the script ends early
# (interrupted, or killed by the suite's timeout): a "forever" guest left
# behind would spin on a core until someone noticed.  The supervisor is
# taken down first, so its monitors end as they should.
live= live_up=
cleanup() {
	[ -n "$live_up" ] && timeout 20 "$CORDON" down --state-dir "$S" >/dev/null 2>&1
	# shellcheck disable=SC2086 # each is one PID or nothing
	kill -9 $live $live_up 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run BIN NAME ELF [APPEND]: one guest to its end; sets rc, out, err files.
run() {
	local bin=$1 name=$2 elf=$3 append=${4:-}
	timeout 120 "$bin" run --kernel "$elf" --memory 32M --serial stdio \
		${append:+--append "$append"} </dev/null >"$name.out" 2>"$name.err"
	rc=$?
	tr -d '\r' <"$name.out" >"$name.txt"
}

clean_stderr() {
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Aborted' "$1.err"
}

expect() {
	local t=$1 name=$2
	shift 2
	if "$@"; then pass "$t"; else
		fail "$t" "$* (exit $rc)"
		show_tail "$name.txt"
		show_tail "$name.err"
	fi
}

for build in plain asan; do
	bin=$CORDON
	[ $build = asan ] && bin=$ASAN
	for g in $GUESTS; do
		name=$g-$build
		run "$bin" "$name" "$G/hostile-$g.elf"
		expect "hostile-$g-$build-status-65" "$name" [ "$rc" = 65 ]
		expect "hostile-$g-$build-verdict" "$name" grep -qx "$g: ok" "$name.txt"
		expect "hostile-$g-$build-clean-stderr" "$name" clean_stderr "$name"
	done
	name=triple-$build
	run "$bin" "$name" "$G/guest-triple.elf"
	expect "hostile-triple-$build-status-3" "$name" [ "$rc" = 3 ]
	expect "hostile-triple-$build-message" "$name" grep -q '^cordon: guest triple-faulted' "$name.err"
	expect "hostile-triple-$build-clean-stderr" "$name" clean_stderr "$name"
done

# --- stopping a guest that never ends ------------------------------------------

# wait_line FILE LINE SECONDS: until FILE holds LINE (CRs ignored).
wait_line() {
	local deadline=$((SECONDS + $3))
	until { tr -d '\r' <"$1" | grep -qxF "$2"; } 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

# Guest RAM is madvise(MADV_HUGEPAGE)d, so khugepaged may collapse it into
# huge pages at a moment of its own choosing, and RSS then jumps at once by
# up to the RAM's size (seen: +52 MiB some seconds into rep_storm's storm,
# flat after).  That is the kernel filling memory cordon mapped at start,
# not growth, so the guests whose memory is watched run with transparent
# huge pages off (PR_SET_THP_DISABLE, 41, kept across exec).  `exec`: the
# caller runs this in the background and takes $! as cordon's PID, so the
# subshell `&` makes must become python3, which becomes cordon (without it
# $! was the subshell: SIGTERM and the RSS reads reached bash, and cordon
# was left running).
without_thp() {
	exec python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(41, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_THP_DISABLE): " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# stopped_within PID SECONDS: waits for PID to end; sets stop_rc.
stopped_within() {
	local pid=$1 limit=$2 t0
	t0=$(date +%s%N)
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt $((limit * 1000)) ]; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	wait "$pid"
	stop_rc=$?
	return 0
}

# SIGTERM, and memory over 4 s of storm after 4 s of it, for each forever
# guest and build.
for build in plain asan; do
	bin=$CORDON
	[ $build = asan ] && bin=$ASAN
	for g in pit_storm virtq_edge rep_storm; do
		name=$g-forever-$build
		without_thp "$bin" run --kernel "$G/hostile-$g.elf" --memory 32M --serial stdio --append forever \
			</dev/null >"$name.out" 2>"$name.err" &
		pid=$!
		live=$pid
		if ! wait_line "$name.out" "$g: forever" 60; then
			fail "hostile-$g-$build-sigterm" "never reached its endless phase"
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			live=
			continue
		fi
		# The storm's first seconds touch guest RAM and fill the code
		# cache (rep_storm: 6 -> 28 MiB in about 3 s, then flat), which
		# is bounded by the machine; growth after that is not.  On a
		# busy host that warm-up takes longer than 4 s, so a window that
		# grew is followed by a second one: growth without bound grows
		# in both.
		sleep 4
		r1=$(rss_kib "$pid")
		sleep 4
		r2=$(rss_kib "$pid")
		if [ $((r2 - r1)) -ge 16384 ]; then
			r1=$r2
			sleep 4
			r2=$(rss_kib "$pid")
		fi
		check "hostile-$g-$build-memory-flat" [ $((r2 - r1)) -lt 16384 ]
		kill -TERM "$pid"
		if stopped_within "$pid" 1; then
			# SIGTERM ends cordon run as the signal's default: status 128+15.
			check "hostile-$g-$build-sigterm-within-1s" [ "$stop_rc" = 143 ]
		else
			fail "hostile-$g-$build-sigterm-within-1s" "still running 1 s after SIGTERM"
		fi
		live= # waited for by stopped_within, either way
		check "hostile-$g-$build-forever-clean-stderr" clean_stderr "$name"
	done
done

# Ctrl-A x on the console: the escape filter quits with status 0, however
# busy the guest keeps the run loop.
for build in plain asan; do
	bin=$CORDON
	[ $build = asan ] && bin=$ASAN
	for g in virtq_edge rep_storm; do
		name=quit-$g-$build
		mkfifo "$name.in"
		without_thp "$bin" run --kernel "$G/hostile-$g.elf" --memory 32M --serial stdio --append forever \
			<"$name.in" >"$name.out" 2>"$name.err" &
		pid=$!
		live=$pid
		exec 3>"$name.in"
		if wait_line "$name.out" "$g: forever" 60; then
			sleep 1
			printf '\001x' >&3
			if stopped_within "$pid" 1; then
				check "hostile-ctrl-a-x-$g-$build-status-0" [ "$stop_rc" = 0 ]
			else
				fail "hostile-ctrl-a-x-$g-$build-within-1s" "still running 1 s after Ctrl-A x"
			fi
		else
			fail "hostile-ctrl-a-x-$g-$build" "never reached its endless phase"
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
		live=
		exec 3>&-
		check "hostile-ctrl-a-x-$g-$build-clean-stderr" clean_stderr "$name"
	done
done

# cordon stop under the supervisor (build/cordon: the monitors run sandboxed).
cat >storm.sys <<EOF
levels LOW
vm storm {
	label LOW
	memory 32M
	kernel "$G/hostile-pit_storm.elf"
	append "forever"
}
EOF
S="$TMP/storm.state"
"$CORDON" up storm.sys --state-dir "$S" >up.out 2>up.err </dev/null &
up=$!
live_up=$up
log="$S/logs/LOW/storm.console"
if wait_line "$log" "pit_storm: forever" 60; then
	mon=$("$CORDON" ps --json --state-dir "$S" 2>/dev/null | grep -o '"pid":[0-9]*' | head -n 1 | cut -d: -f2)
	"$CORDON" stop storm --state-dir "$S" >stop.out 2>stop.err
	t0=$(date +%s%N)
	while [ -n "$mon" ] && kill -0 "$mon" 2>/dev/null && [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ]; do
		sleep 0.05
	done
	check hostile-cordon-stop-within-1s bash -c "[ -n '$mon' ] && ! kill -0 '$mon' 2>/dev/null"
else
	fail hostile-cordon-stop "the supervised guest never reached its endless phase: $(tail -3 up.out up.err)"
fi
"$CORDON" down --state-dir "$S" >/dev/null 2>&1
stopped_within "$up" 10 || fail hostile-supervisor-down "cordon up did not end"
live_up=
verify_log() { "$CORDON" audit verify "$S/audit.log" >/dev/null 2>&1; }
check hostile-supervisor-log-verifies verify_log
