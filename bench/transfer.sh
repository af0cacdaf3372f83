#!/usr/bin/env bash
# bench/transfer.sh -- `make bench-transfer`: a 64 MiB file from one VM to
# another (issue #14's benchmark), two ways, in interleaved rounds:
#
#   guard   under `cordon up` (examples like examples/transfer.sys, write-up
#           on): the UNCLASSIFIED VM runs `cordon-send high FILE`, its guard
#           checks and spools the stream, the supervisor decides, the SECRET
#           VM's guard checks the copy and delivers it, and the SECRET VM's
#           `cordon-receive DIR` writes it and checks its SHA-256;
#   net     under `cordon up` too: two VMs at one label on a labeled net
#           (a `net` block, its switch process): busybox
#           `nc 10.0.0.2 5000 <FILE` into `nc -l -p 5000 >FILE`.
#
# Each round times, on the host, from the sender's console line BENCH-SEND
# (printed right before the copy starts; the file was made beforehand and
# the receiver has been waiting for a while) to the receiver's console
# line BENCH-RECEIVED (after the copy, and for the guard after its digest
# check).  The received file's SHA-256 is compared with the sent one's.
#   BENCH_MIB=64        size of the file
#   BENCH_RUNS=3        (or BENCH_ROUNDS) rounds, each running both ways in turn; medians, and
#                       the median of the rounds' ratios
#   BENCH_CORDON=build/cordon
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
source bench/lib.sh

copy_bench_setup bench-transfer xfer

# The sender waits this long after making its file, so the receiver is
# surely waiting too (checked: its BENCH-READY must come first).
SETTLE=25

# --- the guard ------------------------------------------------------------------

guard_sys() {
	cat >"$WORK/g.sys" <<EOF
levels UNCLASSIFIED < SECRET
policy write-up on
transfer-limit $((MIB + 1))M 10
vm low {
	label UNCLASSIFIED
	memory 384M
	kernel "$KERNEL"
	initrd "$INITRD"
	append "$BASE cordon.cmd=\"$MAKE_FILE; sleep $SETTLE; echo BENCH-SEND; cordon-send high /tmp/f; echo BENCH-SENT\""
	transfer on
}
vm high {
	label SECRET
	memory 384M
	kernel "$KERNEL"
	initrd "$INITRD"
	append "$BASE cordon.cmd=\"mkdir /tmp/in; echo BENCH-READY; cordon-receive /tmp/in; echo BENCH-RECEIVED; echo BENCH-SUM \$(sha256sum /tmp/in/f | cut -d' ' -f1)\""
	transfer on
}
EOF
}

# run_up SYS LOGPREFIX SENDER RECEIVER: one `cordon up`, the two VMs'
# console logs (LABEL/NAME) copied with host timestamps.
run_up() {
	local st=$WORK/state
	rm -rf "$st"
	# tail -F waits for the console logs the supervisor is about to make.
	tail -s 0.1 -n +1 -F "$st/logs/$3.console" 2>/dev/null | stamp >"$2.send" &
	local t1=$!
	tail -s 0.1 -n +1 -F "$st/logs/$4.console" 2>/dev/null | stamp >"$2.recv" &
	local t2=$!
	timeout "$TIMEOUT" "$CORDON" up "$1" --state-dir "$st" >"$2.up" 2>&1 </dev/null
	sleep 1
	kill $t1 $t2 2>/dev/null
	wait $t1 $t2 2>/dev/null
}

run_guard() { # LOGPREFIX
	run_up "$WORK/g.sys" "$1" UNCLASSIFIED/low SECRET/high
}

# --- the network -------------------------------------------------------------------

net_sys() {
	local recv="ip link set eth0 up; ip addr add 10.0.0.2/24 dev eth0; echo BENCH-READY; nc -l -p 5000 >/tmp/f; echo BENCH-RECEIVED; echo BENCH-SUM \$(sha256sum /tmp/f | cut -d' ' -f1)"
	local send="ip link set eth0 up; ip addr add 10.0.0.1/24 dev eth0; $MAKE_FILE; until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do sleep 1; done; sleep $SETTLE; echo BENCH-SEND; nc 10.0.0.2 5000 </tmp/f; echo BENCH-SENT"
	cat >"$WORK/n.sys" <<EOF
levels UNCLASSIFIED < SECRET
net lan {
	label SECRET
}
vm sender {
	label SECRET
	memory 384M
	kernel "$KERNEL"
	initrd "$INITRD"
	append "$BASE cordon.cmd=\"$send\""
	net lan
}
vm receiver {
	label SECRET
	memory 384M
	kernel "$KERNEL"
	initrd "$INITRD"
	append "$BASE cordon.cmd=\"$recv\""
	net lan
}
EOF
}

run_net() { # LOGPREFIX
	run_up "$WORK/n.sys" "$1" SECRET/sender SECRET/receiver
}

# --- results -------------------------------------------------------------------------

at() { awk -v w="$2" '{ t = $1; sub(/^[^ ]* /, "") } $0 == w { print t; exit }' "$1"; }
sum_of() { awk '{ sub(/^[^ ]* /, "") } /^BENCH-SUM / { print $2; exit }' "$1"; }

declare -A TIMES LAST
RATIOS=
# measure WAY LOGPREFIX: one round's seconds into TIMES[WAY], or a note.
measure() {
	local way=$1 p=$2 ready send recv
	LAST[$way]=
	ready=$(at "$p.recv" BENCH-READY)
	send=$(at "$p.send" BENCH-SEND)
	recv=$(at "$p.recv" BENCH-RECEIVED)
	if [ -z "$ready" ] || [ -z "$send" ] || [ -z "$recv" ]; then
		echo "bench: $way: markers missing (ready '$ready', send '$send', received '$recv')" >&2
		tail -5 "$p.send" "$p.recv" >&2
		return
	fi
	if awk -v a="$ready" -v b="$send" 'BEGIN { exit !(a > b) }'; then
		echo "bench: $way: the receiver was not ready before the send; round not counted" >&2
		return
	fi
	if [ "$(sum_of "$p.send")" != "$(sum_of "$p.recv")" ] || [ -z "$(sum_of "$p.recv")" ]; then
		echo "bench: $way: the received file differs from the sent one" >&2
		return
	fi
	local s
	s=$(awk -v a="$send" -v b="$recv" 'BEGIN { printf "%.2f", b - a }')
	TIMES[$way]+=" $s"
	LAST[$way]=$s
	echo "bench: $way: $s s" >&2
}

guard_sys
net_sys
echo "bench: $MIB MiB, $RUNS rounds; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$RUNS"); do
	echo "bench: round $round of $RUNS" >&2
	run_guard "$WORK/guard$round"
	measure guard "$WORK/guard$round"
	run_net "$WORK/net$round"
	measure net "$WORK/net$round"
	# This round's ratio, when both ways counted in it.
	if [ -n "${LAST[guard]}" ] && [ -n "${LAST[net]}" ]; then
		RATIOS+=" $(awk -v g="${LAST[guard]}" -v n="${LAST[net]}" 'BEGIN { printf "%.2f", g / n }')"
	fi
done

g=$(echo "${TIMES[guard]:-}" | median)
n=$(echo "${TIMES[net]:-}" | median)
echo
echo "$MIB MiB from one VM to another, seconds from the send to the file complete in the target"
printf '%-36s %10s   %s\n' "way" "median" "rounds"
printf '%-36s %10s  %s\n' "guard (cordon-send/receive, up)" "${g:--}" "${TIMES[guard]:-}"
printf '%-36s %10s  %s\n' "net (busybox nc, labeled net, up)" "${n:--}" "${TIMES[net]:-}"
if [ -n "$g" ] && [ -n "$n" ]; then
	awk -v g="$g" -v n="$n" 'BEGIN { printf "guard / net, of the medians: %.2fx (target: at most 1.5x)\n", g / n }'
fi
if [ -n "$RATIOS" ]; then
	echo "guard / net, per round: $RATIOS; median $(echo "$RATIOS" | median)x"
fi
