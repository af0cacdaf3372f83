#!/usr/bin/env bash
# bench/supervisor.sh -- `make bench-supervisor`: issue #18's limits, measured.
#
# 1. A guest flooding its serial console (tests/guest/flood.c prints
#    numbered lines without end) for BENCH_SECS seconds, three ways, in
#    interleaved rounds:
#
#      qemu  qemu-system-i386 TCG, -serial file:LOG (no limit)
#      run   cordon run --serial file:LOG (one VM, no supervisor, no limit)
#      up    cordon up, `serial log 16M` (the default quota)
#
#    Reported: the log's size after BENCH_SECS, the guest's lines per
#    second (from the last line's counter; for `up` until the quota), and
#    for `up` how long the log took to reach its quota.  Medians.
#
# 2. The control socket under slow clients: the time `cordon ps` takes
#    with no other client, and with 15 clients (one fewer than the
#    connection cap) each sending one byte every 0.2 s of a request it
#    never finishes, reconnecting when cut off at the one-second deadline.  BENCH_PS calls each way
#    per round, alternating; median and maximum.
#
#   BENCH_SECS=5 BENCH_RUNS=3 BENCH_PS=20
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
source bench/lib.sh

CORDON=$TOP/${BENCH_CORDON:-build/cordon}
FLOOD=$TOP/build/tests/guest-flood.elf
SPIN=$TOP/build/tests/guest-spin.elf
CLIENT=$TOP/tests/ctl_client.py
SECS=${BENCH_SECS:-5}
RUNS=${BENCH_RUNS:-3}
NPS=${BENCH_PS:-20}
positive_settings SECS RUNS NPS || exit 2
present_files bench-supervisor "$CORDON" "$FLOOD" "$SPIN" || exit 1
WORK=$(mktemp -d /tmp/cordon-bench-super.XXXXXX)
chmod 755 "$WORK"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
[ -n "${KEEP_WORK:-}" ] && trap - EXIT && echo "work: $WORK" >&2
need_packages "the QEMU runs" qemu-system-x86 || exit 1

# The last complete line's counter (a killed guest may leave half a line).
last_counter() { tail -c 4096 "$1" | grep -ao 'flood line [0-9]*:' | tail -1 | tr -dc 0-9; }

# --- 1. the flood ---------------------------------------------------------------------

flood_qemu() { # LOG
	timeout "$SECS" qemu-system-i386 -display none -nodefaults -m 32 -serial "file:$1" \
		-kernel "$FLOOD" >/dev/null 2>&1
}
flood_run() { # LOG
	timeout "$SECS" "$CORDON" run --memory 32M --serial "file:$1" --kernel "$FLOOD" >/dev/null 2>&1
}
# Prints the seconds the log took to reach its quota ("-" if it did not).
flood_up() { # LOG
	local st=$WORK/up.state t0 t_full=- pid
	rm -rf "$st"
	printf 'levels LOW\nvm flood {\n\tlabel LOW\n\tmemory 32M\n\tkernel "%s"\n}\n' "$FLOOD" >"$WORK/flood.sys"
	t0=$EPOCHREALTIME
	"$CORDON" up "$WORK/flood.sys" --state-dir "$st" >"$WORK/up.out" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	local log=$st/logs/LOW/flood.console end=$((SECONDS + SECS))
	while [ $SECONDS -lt $end ]; do
		if [ "$t_full" = - ] && grep -qF "reached its quota" "$log" 2>/dev/null; then
			t_full=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
		fi
		sleep 0.05
	done
	"$CORDON" down --state-dir "$st" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
	cp "$log" "$1"
	echo "$t_full"
}

declare -A SIZE RATE
FULL=()
for r in $(seq "$RUNS"); do
	for way in qemu run up; do
		log=$WORK/$way.$r.log
		rm -f "$log"
		t=$("flood_$way" "$log")
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		n=$(last_counter "$log")
		if [ "$way" = up ]; then
			FULL+=("$t")
			secs=$t
			[ "$t" = - ] && secs=$SECS
		else
			secs=$SECS
		fi
		SIZE[$way]+="$size "
		RATE[$way]+="$(awk -v n="${n:-0}" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') "
		echo "round $r $way: $size bytes, last line ${n:--}${t:+, quota reached after $t s}" >&2
	done
done

echo "## Console flood, ${SECS} s per run, $RUNS interleaved rounds (medians)"
echo
echo "| way | log after ${SECS} s | guest lines/s | quota reached after |"
echo "|---|---|---|---|"
for way in qemu run up; do
	s=$(tr ' ' '\n' <<<"${SIZE[$way]}" | grep . | median)
	l=$(tr ' ' '\n' <<<"${RATE[$way]}" | grep . | median)
	q="--"
	if [ "$way" = up ]; then
		q=$(printf '%s\n' "${FULL[@]}" | grep -v '^-$' | median)
		q="${q:-not within $SECS} s (runs: ${FULL[*]})"
	fi
	echo "| $way | $(awk -v b="$s" 'BEGIN { printf "%.1f MiB (%d bytes)", b / 1048576, b }') | $l | $q |"
done
echo

# --- 2. cordon ps beside slow clients ---------------------------------------------------

st=$WORK/ps.state
printf 'levels LOW\nvm spin {\n\tlabel LOW\n\tkernel "%s"\n}\n' "$SPIN" >"$WORK/ps.sys"
"$CORDON" up "$WORK/ps.sys" --state-dir "$st" >"$WORK/ps-up.out" 2>&1 </dev/null &
UP=$!
PIDS+=("$UP")
for _ in $(seq 100); do [ -S "$st/control" ] && break; sleep 0.1; done
ps_ms() {
	local t0=$EPOCHREALTIME
	"$CORDON" ps --state-dir "$st" >/dev/null 2>&1 || echo "bench: cordon ps failed" >&2
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}
# One process holding N connections, each sending a ps request one byte
# every 0.2 s and reconnecting when the supervisor cuts it off (one
# process, so the clients' own start-up costs no CPU during the timing).
drippers() { # N
	python3 - "$st/control" "$1" <<'PY' &
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
req = b'{"cmd":"ps"}\n'
def new():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    return [s, 0]
conns = [new() for _ in range(n)]
while True:
    for c in conns:
        try:
            c[0].send(req[c[1]:c[1] + 1])
            c[1] = (c[1] + 1) % (len(req) - 1)  # never the newline: never complete
        except OSError:
            c[0].close()
            c[:] = new()
    time.sleep(0.2)
PY
	DRIP=$!
	PIDS+=("$DRIP")
}
IDLE=() LOADED=()
for r in $(seq "$RUNS"); do
	for _ in $(seq "$NPS"); do IDLE+=("$(ps_ms)"); done
	drippers 15
	sleep 1.5
	for _ in $(seq "$NPS"); do LOADED+=("$(ps_ms)"); done
	kill "$DRIP" 2>/dev/null
	wait "$DRIP" 2>/dev/null
	sleep 1.2 # their connections time out
done
"$CORDON" down --state-dir "$st" >/dev/null 2>&1
wait "$UP" 2>/dev/null

echo "## cordon ps beside 15 slow control clients ($RUNS rounds x $NPS calls each way)"
echo
echo "| clients | median | max |"
echo "|---|---|---|"
echo "| none | $(printf '%s\n' "${IDLE[@]}" | median) ms | $(printf '%s\n' "${IDLE[@]}" | sort -g | tail -1) ms |"
echo "| 15 dripping 1 byte / 0.2 s | $(printf '%s\n' "${LOADED[@]}" | median) ms | $(printf '%s\n' "${LOADED[@]}" | sort -g | tail -1) ms |"
