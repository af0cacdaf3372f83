#!/usr/bin/env bash
# bench/net.sh -- `make bench-net`: issue #13's benchmark.
#
# 1. A bulk TCP copy of a 64 MiB file between two guests (busybox nc, the
#    `make guest` image), three ways, in interleaved rounds:
#
#      direct  two `cordon run` guests on one `--net socket:PATH` link; the
#              receiver starts first, so it listens and the sender connects
#      back    the same link with the ends swapped: the sender listens, so
#              the data leaves through the socket the listener accepted
#              (not in the default list; its figure is direct's)
#      switch  two VMs of one labeled net under `cordon up`: each frame goes
#              monitor -> the net's switch process -> monitor
#      qemu    two qemu-system-i386 TCG guests (virtio-net-pci) joined by
#              QEMU's `-netdev socket` (listen / connect)
#
#    Each round times, on the host, from the sender's console line
#    BENCH-SEND (right before the copy; the file was made beforehand and the
#    receiver has been waiting) to the receiver's line BENCH-RECEIVED (after
#    the copy).  The received file's SHA-256 must match the sent one's.
#    MiB/s and the ratios switch/direct and direct/qemu, from the medians.
#
# 2. The diode: under `cordon up`, an UNCLASSIFIED VM sends UDP datagrams
#    at a fixed rate to a SECRET VM over a diode (cordon-udp); the receiver
#    counts what arrives.  Reported: the rate offered, the rate the sender
#    achieved, and the loss.
#
#   BENCH_MIB=64       size of the file
#   BENCH_RUNS=3       (or BENCH_ROUNDS) rounds of part 1; medians
#   BENCH_WAYS="direct switch qemu"   any of direct, back, switch, qemu
#   BENCH_UDP_RATE=1000 BENCH_UDP_SECS=10   part 2 (BENCH_UDP_SECS=0 skips it)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
source bench/lib.sh

copy_bench_setup bench-net net
WAYS=${BENCH_WAYS:-direct switch qemu}
for way in $WAYS; do
	case $way in direct | back | switch | qemu) ;;
	*) echo "bench: BENCH_WAYS: '$way' is none of direct, back, switch, qemu" >&2; exit 2 ;;
	esac
done
positive_setting RATE 1000 BENCH_UDP_RATE || exit 2
USECS=${BENCH_UDP_SECS:-10}
case $USECS in '' | *[!0-9]*) echo "bench: BENCH_UDP_SECS='$USECS' is not a number" >&2; exit 2 ;; esac

SETTLE=20 # after its file is made and the peer answers, the sender waits this long
RECV="ip link set eth0 up; ip addr add 10.0.0.2/24 dev eth0; echo BENCH-READY; nc -l -p 5000 >/tmp/f; echo BENCH-RECEIVED; echo BENCH-SUM \$(sha256sum /tmp/f | cut -d' ' -f1); sleep 1; reboot -f"
SEND="ip link set eth0 up; ip addr add 10.0.0.1/24 dev eth0; $MAKE_FILE; until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do sleep 1; done; sleep $SETTLE; echo BENCH-SEND; nc 10.0.0.2 5000 </tmp/f; echo BENCH-SENT; sleep 2; reboot -f"

# --- the three ways -----------------------------------------------------------------

# link_end ROLE LOGPREFIX: one `cordon run` guest on the direct link, ROLE
# recv or send, its console stamped into LOGPREFIX.ROLE.
link_end() {
	local cmd=$RECV
	[ "$1" = send ] && cmd=$SEND
	timeout "$TIMEOUT" "$CORDON" run --memory 384M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "$BASE cordon.cmd=\"$cmd\"" --net "socket:$WORK/link.sock" </dev/null \
		2>"$2.${1:0:1}err" | stamp >"$2.$1"
}

# direct_link FIRST SECOND LOGPREFIX: FIRST starts, takes the socket path
# and listens; SECOND connects 2 s later.
direct_link() {
	rm -f "$WORK/link.sock"
	link_end "$1" "$3" &
	local first=$!
	sleep 2
	link_end "$2" "$3"
	wait $first
}

run_direct() { direct_link recv send "$1"; }
run_back() { direct_link send recv "$1"; }

# up SYS LOGPREFIX SENDER-LOG RECEIVER-LOG: runs `cordon up` with the two
# console logs stamped as they grow.
up() {
	local st=$WORK/state
	rm -rf "$st"
	tail -n +1 -F -s 0.05 "$st/logs/$3.console" 2>/dev/null | stamp >"$2.send" &
	local t1=$!
	tail -n +1 -F -s 0.05 "$st/logs/$4.console" 2>/dev/null | stamp >"$2.recv" &
	local t2=$!
	timeout "$TIMEOUT" "$CORDON" up "$1" --state-dir "$st" >"$2.up" 2>&1 </dev/null
	sleep 1
	kill $t1 $t2 2>/dev/null
	wait $t1 $t2 2>/dev/null
}

vm() { # NAME LABEL CMD STATEMENT...: a vm block whose guest runs CMD
	local name=$1 label=$2 cmd=$3
	shift 3
	printf 'vm %s {\n\tlabel %s\n\tmemory 384M\n\tkernel "%s"\n\tinitrd "%s"\n\tappend "%s cordon.cmd=\\"%s\\""\n' \
		"$name" "$label" "$KERNEL" "$INITRD" "$BASE" "$cmd"
	printf '\t%s\n' "$@"
	printf '}\n'
}

switch_sys() {
	{
		printf 'levels UNCLASSIFIED < SECRET\nnet lan {\n\tlabel SECRET\n}\n'
		vm sender SECRET "$SEND" 'net lan'
		vm receiver SECRET "$RECV" 'net lan'
	} >"$WORK/switch.sys"
}

run_switch() { up "$WORK/switch.sys" "$1" SECRET/sender SECRET/receiver; }

QEMU_ARGS=(-M pc -cpu pentium2 -m 384 -nographic -no-reboot -nic none)
run_qemu() { # LOGPREFIX
	local port=$((20000 + $$ % 20000))
	timeout "$TIMEOUT" qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "$BASE cordon.cmd=\"$RECV\"" -netdev "socket,id=n0,listen=127.0.0.1:$port" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02 </dev/null 2>"$1.rerr" | stamp >"$1.recv" &
	local r=$!
	sleep 2
	timeout "$TIMEOUT" qemu-system-i386 "${QEMU_ARGS[@]}" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "$BASE cordon.cmd=\"$SEND\"" -netdev "socket,id=n0,connect=127.0.0.1:$port" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01 </dev/null 2>"$1.serr" | stamp >"$1.send"
	wait $r
}

# --- results -----------------------------------------------------------------------------

at() { awk -v w="$2" '{ t = $1; sub(/^[^ ]* /, "") } $0 == w { print t; exit }' "$1"; }
sum_of() { awk '{ sub(/^[^ ]* /, "") } /^BENCH-SUM / { print $2; exit }' "$1"; }

declare -A TIMES NOTE
measure() { # WAY LOGPREFIX: one round's seconds into TIMES[WAY]
	local way=$1 p=$2 ready send recv s
	ready=$(at "$p.recv" BENCH-READY)
	send=$(at "$p.send" BENCH-SEND)
	recv=$(at "$p.recv" BENCH-RECEIVED)
	if [ -z "$ready" ] || [ -z "$send" ] || [ -z "$recv" ]; then
		echo "bench: $way: markers missing (ready '$ready', send '$send', received '$recv')" >&2
		tail -3 "$p.send" "$p.recv" >&2
		return
	fi
	if [ "$(sum_of "$p.send")" != "$(sum_of "$p.recv")" ] || [ -z "$(sum_of "$p.recv")" ]; then
		echo "bench: $way: the received file differs from the sent one" >&2
		return
	fi
	s=$(awk -v a="$send" -v b="$recv" 'BEGIN { printf "%.2f", b - a }')
	TIMES[$way]+=" $s"
	echo "bench: $way: $s s ($(awk -v m="$MIB" -v s="$s" 'BEGIN { printf "%.2f", m / s }') MiB/s)" >&2
}

mibs() { [ -n "$1" ] && awk -v m="$MIB" -v s="$1" 'BEGIN { printf "%.2f", m / s }'; }

switch_sys
echo "bench: $MIB MiB, $RUNS rounds of: $WAYS; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
case " $WAYS " in *" qemu "*) need_qemu qemu || WAYS=${WAYS/qemu/} ;; esac
for round in $(seq "$RUNS"); do
	echo "bench: round $round of $RUNS" >&2
	for way in $WAYS; do
		"run_$way" "$WORK/$way$round"
		measure "$way" "$WORK/$way$round"
	done
done

echo
echo "$MIB MiB over TCP (busybox nc) from one guest to another; seconds from the send to the last byte received"
printf '%-44s %8s %8s   %s\n' "way" "median" "MiB/s" "rounds (s)"
declare -A MED
for way in direct back switch qemu; do
	case " $WAYS " in *" $way "*) ;; *) [ "$way" = back ] && continue ;; esac
	MED[$way]=$(echo "${TIMES[$way]:-}" | median)
	case $way in
	direct) label="cordon, --net socket: (direct link)" ;;
	back) label="cordon, direct link, sent by the listener" ;;
	switch) label="cordon up, one labeled net (the switch)" ;;
	qemu) label="qemu-system-i386 $(qemu_version) TCG, -netdev socket" ;;
	esac
	printf '%-44s %8s %8s  %s\n' "$label" "${MED[$way]:--}" "$(mibs "${MED[$way]}")" "${TIMES[$way]:-}"
done
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "switch / direct throughput: $(ratio "${MED[direct]}" "${MED[switch]}") (target: at least 0.8x)"
echo "direct / qemu throughput:   $(ratio "${MED[qemu]}" "${MED[direct]}") (target: at least 1x)"
[ -n "${MED[back]:-}" ] && echo "back / direct throughput:   $(ratio "${MED[direct]}" "${MED[back]}")"

# --- the diode ---------------------------------------------------------------------------

[ "$USECS" -gt 0 ] || exit 0
COUNT=$((RATE * USECS))
{
	printf 'levels UNCLASSIFIED < SECRET\ndiode up {\n\tfrom low\n\tto high\n}\n'
	vm low UNCLASSIFIED "ip link set eth0 up; ip addr add 10.8.0.1/24 dev eth0; sleep $SETTLE; echo BENCH-SEND; cordon-udp send 10.8.0.255 5000 $COUNT $RATE; echo BENCH-SENT; sleep 2; reboot -f" 'diode up'
	vm high SECRET "ip link set eth0 up; ip addr add 10.8.0.2/24 dev eth0; echo BENCH-READY; cordon-udp recv 5000 $((SETTLE + USECS * 3 + 30)); reboot -f" 'diode up'
} >"$WORK/diode.sys"
up "$WORK/diode.sys" "$WORK/diode" UNCLASSIFIED/low SECRET/high
sent=$(awk '{ sub(/^[^ ]* /, "") } /^cordon-udp: sent / { print $3, $5; exit }' "$WORK/diode.send")
got=$(awk '{ sub(/^[^ ]* /, "") } /^cordon-udp: received / { print $3; exit }' "$WORK/diode.recv")
relay=$(grep '^diode up: relayed' "$WORK/diode.up")
echo
echo "The diode: $COUNT UDP datagrams offered at $RATE/s from UNCLASSIFIED up to SECRET"
if [ -z "$sent" ] || [ -z "$got" ]; then
	echo "  no result (sender: '${sent:-}', receiver: '${got:-}')"
	tail -3 "$WORK/diode.send" "$WORK/diode.recv" "$WORK/diode.up" >&2
	exit 0
fi
set -- $sent
echo "  sent $1 in $2 s ($(awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }')/s achieved), received $got: loss $(awk -v n="$1" -v g="$got" 'BEGIN { printf "%.2f%%", 100 * (n - g) / n }')"
echo "  relay: ${relay#diode up: }"
