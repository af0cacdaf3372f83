#!/usr/bin/env bash
# Labeled nets and one-way diodes under `cordon up` (docs/security-model.md,
# "Nets and diodes"), with the Debian guest's /bin/cordon-channels:
#
#   1. bad input: a system file with a channel error starts nothing.
#   2. one run, inside a network namespace this test makes (with a tap
#      device whose name carries our PID):
#      - high1 and high2 (SECRET) ping each other over secret-lan;
#      - low (UNCLASSIFIED) is on public-lan, whose uplink is the tap: it
#        pings the tap's host-side address, and its rx_packets there is
#        exactly what that net's switch gave it (nothing of secret-lan);
#      - two diodes carry UDP datagrams from low up to high1 and high2;
#        high2's monitor is killed with SIGKILL mid-way, and low's links
#        stay up with rx_packets 0 before, during and after;
#      - high1 sends datagrams back over its diode: its monitor drops and
#        counts them; nothing reaches low;
#      - /proc/PID/fd of low's and high1's monitors and of the relay shows
#        no descriptor on the receiving side that leads back to the sender;
#      - every channel decision and process is audited; the log verifies.
#   3. examples/channels-denied.sys: low on secret-lan and a diode from
#      high1 down to low are each refused with exactly one audit record,
#      and high2 starts anyway.
#   4. a net's switch process: its own uid, seccomp, an empty root, only
#      its port; killed by a signal, its VM runs on, the death is reported and
#      audited, and `cordon up` ends with status 1 (0 when the same net
#      ends cleanly); it dies with a supervisor killed outright.
source "$(dirname "$0")/../lib.sh"

if [ ! -x "$CORDON" ] || ! have_guest; then
	fail channels-prerequisites "$CORDON or the guest in $GUEST is missing (run 'make guest')"
	exit 0
fi
cd "$TMP" || exit 1

APPEND='console=ttyS0 noapic nolapic acpi=off quiet cordon.run=channels'
NS=cordon-ch$$
TAP=ctap$$

# --- 1. bad input ------------------------------------------------------------

cat >bad.sys <<EOF
levels UNCLASSIFIED < SECRET
diode d {
	from a
	to a
}
vm a {
	label SECRET
	kernel "$GUEST/vmlinuz"
	diode d
}
EOF
"$CORDON" up bad.sys --state-dir "$TMP/bad.state" >bad.out 2>bad.err
rc=$?
check channels-bad-file-exit-2 [ "$rc" = 2 ]
check channels-bad-file-message grep -qxF "cordon up: bad.sys:4: diode 'd' has vm 'a' at both ends (a diode links two vms)" bad.err
check channels-bad-file-starts-nothing [ ! -e "$TMP/bad.state" ]

# --- 2. the run --------------------------------------------------------------

cleanup_ns() { ip netns del "$NS" 2>/dev/null; }
trap 'cleanup_ns; rm -rf "$TMP"' EXIT
if ! ip netns add "$NS" || ! ip -n "$NS" tuntap add dev "$TAP" mode tap ||
	! ip -n "$NS" addr add 10.7.0.1/24 dev "$TAP" || ! ip -n "$NS" link set "$TAP" up ||
	! ip -n "$NS" link set lo up; then
	fail channels-netns "cannot make network namespace $NS with tap $TAP"
	exit 0
fi

vm() { # NAME LABEL APPEND-EXTRA STATEMENTS...
	local name=$1 label=$2 extra=$3
	shift 3
	printf 'vm %s {\n\tlabel %s\n\tmemory 128M\n\tkernel "%s"\n\tinitrd "%s"\n\tappend "%s %s"\n' \
		"$name" "$label" "$GUEST/vmlinuz" "$GUEST/initrd.img" "$APPEND" "$extra"
	printf '\t%s\n' "$@"
	printf '}\n'
}
{
	echo 'levels UNCLASSIFIED < SECRET'
	printf 'net secret-lan {\n\tlabel SECRET\n}\n'
	printf 'net public-lan {\n\tlabel UNCLASSIFIED\n\tuplink tap %s\n}\n' "$TAP"
	printf 'diode low-to-high1 {\n\tfrom low\n\tto high1\n}\n'
	printf 'diode low-to-high2 {\n\tfrom low\n\tto high2\n}\n'
	vm low UNCLASSIFIED 'cordon.role=low cordon.diodes=2 cordon.lan=10.7.0.2/24 cordon.ping=10.7.0.1 cordon.secs=70' \
		'diode low-to-high1' 'diode low-to-high2' 'net public-lan'
	vm high1 SECRET 'cordon.role=high1 cordon.secs=40' \
		'net secret-lan' 'diode low-to-high1' 'mac secret-lan 02:00:00:00:00:11'
	vm high2 SECRET 'cordon.role=high2 cordon.diode=1 cordon.secs=200' \
		'net secret-lan' 'diode low-to-high2'
} >ch.sys

ip netns exec "$NS" "$CORDON" up ch.sys --state-dir "$TMP/ch.state" >ch.out 2>&1 </dev/null &
up=$!
LOGS="$TMP/ch.state/logs"
low_log="$LOGS/UNCLASSIFIED/low.console"
h1_log="$LOGS/SECRET/high1.console"
h2_log="$LOGS/SECRET/high2.console"
has() { [ -f "$1" ] && tr -d '\r' <"$1" | grep -q -- "$2"; }
# waitfor SECONDS FILE PATTERN
waitfor() {
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt $deadline ] && kill -0 "$up" 2>/dev/null; do
		has "$2" "$3" && return 0
		sleep 1
	done
	has "$2" "$3"
}
pid_of() { sed -n "s/^cordon: $1 .*started, monitor pid \([0-9]*\) .*/\1/p" ch.out | head -1; }
relay_pid() { sed -n "s/^cordon: diode $1 .*relay started, pid \([0-9]*\)$/\1/p" ch.out | head -1; }

# While all three run: the descriptors of low, high1 and high1's relay.
waitfor 400 "$h1_log" 'cordon-udp: got cordon-udp'
low_pid=$(pid_of "vm low") h1_pid=$(pid_of "vm high1") r1_pid=$(relay_pid low-to-high1)
# fds PID: "FD TYPE INODE ACCESS" per descriptor (ACCESS r, w or rw).
fds() {
	local fd link flags
	for fd in $(ls /proc/"$1"/fd 2>/dev/null); do
		link=$(readlink /proc/"$1"/fd/"$fd") || continue
		flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/"$1"/fdinfo/"$fd")
		case $((0$flags & 3)) in 0) acc=r ;; 1) acc=w ;; *) acc=rw ;; esac
		case $link in
		pipe:*) echo "$fd pipe ${link//[^0-9]/} $acc" ;;
		socket:*) echo "$fd socket ${link//[^0-9]/} rw" ;;
		*) echo "$fd file $link $acc" ;;
		esac
	done
}
fds "$low_pid" >low.fds
fds "$h1_pid" >h1.fds
fds "$r1_pid" >r1.fds
# Unix sockets' peers, both ways: "INODE PEER".
ss -xa -n 2>/dev/null | awk 'NR > 1 { print $6, $8; print $8, $6 }' >peers
inodes() { awk -v t="$2" -v a="$3" '$2 == t && (a == "" || $4 == a) { print $3 }' "$1" | sort -u; }
# Every object high1's monitor can write to: the pipes it holds for
# writing, and the peers of its sockets.
{ inodes h1.fds pipe w; inodes h1.fds socket | while read -r i; do awk -v i="$i" '$1 == i { print $2 }' peers; done; } |
	sort -u >h1.writes
# Every object low's monitor or the relay can read from.
{ inodes low.fds pipe r; inodes low.fds socket; inodes r1.fds pipe r; inodes r1.fds socket; } | sort -u >sender.reads
check channels-fds-listed bash -c "[ -s h1.fds ] && [ -s low.fds ] && [ -s r1.fds ]"
check channels-no-path-from-receiver-to-sender bash -c "[ -s h1.writes ] && [ -z \"\$(comm -12 h1.writes sender.reads)\" ]"
# The relay holds one pipe read end shared with low (which writes it), one
# write end shared with high1 (which reads it), and no socket at all.
r_in=$(inodes r1.fds pipe r | grep -Fxf <(inodes low.fds pipe w))
r_out=$(inodes r1.fds pipe w | grep -Fxf <(inodes h1.fds pipe r))
check channels-relay-reads-the-sender [ -n "$r_in" ]
check channels-relay-writes-the-receiver [ -n "$r_out" ]
check channels-relay-has-no-socket bash -c "! grep -q ' socket ' r1.fds"
check channels-receiver-holds-its-diode-read-only bash -c "grep -q ' pipe $r_out r$' h1.fds && ! grep -q ' pipe $r_out w' h1.fds"
check channels-sender-holds-its-diode-write-only bash -c "grep -q ' pipe $r_in w$' low.fds && ! grep -q ' pipe $r_in r' low.fds"

# Kill the second diode's receiver once it has pinged and received.
waitfor 200 "$h2_log" 'cordon-udp: got cordon-udp'
waitfor 100 "$h2_log" 'ping 10.9.0.1 ok'
lines_before=$(tr -d '\r' <"$low_log" | grep -c '^cordon-guest: t=')
h2_pid=$(pid_of "vm high2")
kill -KILL "$h2_pid"
waitfor 60 ch.out 'vm high2: killed by signal 9'
want=$((lines_before + 4))
deadline=$((SECONDS + 120))
while [ "$(tr -d '\r' <"$low_log" | grep -c '^cordon-guest: t=')" -lt $want ] && [ $SECONDS -lt $deadline ]; do
	sleep 1
done

wait "$up"
up_rc=$?
for f in "$low_log" "$h1_log" "$h2_log"; do tr -d '\r' <"$f" >"$(basename "$f" .console).txt"; done
ok=1
c() { if "${@:2}"; then pass "$1"; else fail "$1" "${*:2}"; ok=0; fi; }
c channels-supervisor-exit-1-for-the-killed-vm [ "$up_rc" = 1 ]
c channels-switches-started grep -q '^cordon: net secret-lan (SECRET): switch started' ch.out
c channels-uplink-switch-started grep -q '^cordon: net public-lan (UNCLASSIFIED): switch started' ch.out
c channels-high1-pings-high2 grep -qxF 'cordon-guest: ping 10.9.0.2 ok' high1.txt
c channels-high2-pings-high1 grep -qxF 'cordon-guest: ping 10.9.0.1 ok' high2.txt
c channels-low-pings-the-uplink grep -qxF 'cordon-guest: ping 10.7.0.1 ok' low.txt
c channels-high1-received grep -qE '^cordon-guest: cordon-udp: received [1-9][0-9]*$' high1.txt
c channels-high2-received-before-its-end grep -q '^cordon-guest: cordon-udp: got cordon-udp' high2.txt
# The sender: every report, before, during and after high2's end: both
# diode links up, nothing ever received; and it went on after the kill.
total=$(grep -c '^cordon-guest: t=' low.txt)
good=$(grep -cE '^cordon-guest: t=[0-9]+; diode eth0 carrier 1 rx_packets 0 tx_packets [0-9]+; diode eth1 carrier 1 rx_packets 0 tx_packets [0-9]+; own net' low.txt)
c channels-sender-reports-after-the-kill [ "$total" -ge "$want" ]
c channels-sender-link-up-rx-0-throughout bash -c "[ '$total' -gt 0 ] && [ '$good' = '$total' ]"
c channels-sender-done grep -qxF 'cordon-guest: low done' low.txt
# What high1 sent back over its diode was dropped by its own monitor.
c channels-receiver-sends-dropped grep -qE '^vm high1: cordon: eth1 \(diode low-to-high1\): ([1-9][0-9]+) frames the guest sent were dropped' ch.out
c channels-relay-dropped-after-the-receiver-died grep -qE '^diode low-to-high2: relayed [1-9][0-9]*; dropped: [0-9]+ the receiver had no room for, [1-9][0-9]* after it was gone' ch.out
# low's own net carried only what its switch gave it: its last rx_packets
# there equals the frames public-lan's switch sent to low's port.
rx_own=$(sed -n 's/^cordon-guest: t=.*own net eth2 rx_packets \([0-9]*\)$/\1/p' low.txt | tail -1)
out_own=$(sed -n 's/^net public-lan: port low: in [0-9]*, out \([0-9]*\);.*/\1/p' ch.out)
c channels-other-label-sees-only-its-own-net bash -c "[ -n '$rx_own' ] && [ '$rx_own' -gt 0 ] && [ '$rx_own' -le '$out_own' ]"
c channels-secret-lan-frames-stay-there bash -c "! grep -q 'secret-lan: port low' ch.out"
# The audit log: every join and diode, allowed; the channel processes.
A="$TMP/ch.state/audit.log"
rec() { grep -F "\"subject\":\"$1\",\"object\":\"$2\"," "$A" | grep -cF "\"mode\":\"$3\",\"decision\":\"$4\","; }
c channels-joins-audited bash -c "[ \$(grep -cF '\"object\":\"net:secret-lan\",\"subject_label\":\"SECRET\",\"object_label\":\"SECRET\",\"mode\":\"read-write\",\"decision\":\"allow\"' '$A') = 2 ]"
c channels-uplink-join-audited [ "$(rec low net:public-lan read-write allow)" = 1 ]
c channels-diodes-audited bash -c "[ '$(rec low diode:low-to-high1 transfer allow)' = 1 ] && [ '$(rec low diode:low-to-high2 transfer allow)' = 1 ]"
c channels-processes-audited bash -c "[ '$(rec net:secret-lan switch start start)' = 1 ] && [ '$(rec diode:low-to-high1 relay start start)' = 1 ] && [ '$(rec net:public-lan switch exit exit)' = 1 ]"
c channels-audit-verifies "$CORDON" audit verify "$A"
if [ "$ok" = 0 ]; then show_tail ch.out; show_tail low.txt; show_tail high1.txt; show_tail high2.txt; fi

# --- 3. refusals ----------------------------------------------------------------

"$CORDON" up "$TOP/examples/channels-denied.sys" --state-dir "$TMP/den.state" >den.out 2>&1 </dev/null
rc=$?
A="$TMP/den.state/audit.log"
check channels-denied-exit-1 [ "$rc" = 1 ]
check channels-cross-label-join-refused grep -qxF "cordon: vm low: not started: net secret-lan (SECRET) read-write: denied: BLP: read-write needs the same secrecy" den.out
check channels-down-diode-refused grep -qxF "cordon: vm high1: not started: diode high1-to-low (to low, UNCLASSIFIED) transfer: denied: BLP: no write down" den.out
check channels-cross-label-join-one-record [ "$(grep -cF '"object":"net:secret-lan","subject_label":"UNCLASSIFIED","object_label":"SECRET","mode":"read-write","decision":"deny"' "$A")" = 1 ]
check channels-down-diode-one-record [ "$(grep -cF '"object":"diode:high1-to-low","subject_label":"SECRET","object_label":"UNCLASSIFIED","mode":"transfer","decision":"deny"' "$A")" = 1 ]
check channels-others-start-anyway grep -q '^cordon: vm high2 (SECRET): started' den.out
check channels-denied-audit-verifies "$CORDON" audit verify "$A"

# --- 4. the switch process -------------------------------------------------------------

# A tiny net of one VM, three times: ended by `cordon down` (exit 0: the
# switch ends with its last port), meanwhile the switch's sandbox as
# docs/sandbox.md says; its switch killed by SIGSEGV (the VM runs on; exit
# 1, the death reported and audited); its supervisor killed outright (the
# switch dies with it).
SPIN="$TOP/build/tests/guest-spin.elf"
cat >dead.sys <<EOF2
levels UNCLASSIFIED < SECRET
net lan {
	label SECRET
}
vm a {
	label SECRET
	memory 16M
	kernel "$SPIN"
	serial none
	net lan
}
EOF2
CHAN_UID=2000000016 # CHAN_UID_BASE: the first channel process (src/super/chan_proto.h)
# net_run NAME MODE: one run, MODE keep, kill (the switch) or orphan
# (SIGKILL to the supervisor); sets rc and sw (the switch's pid)
net_run() {
	local st="$TMP/$1.state" deadline
	"$CORDON" up dead.sys --state-dir "$st" >"$1.out" 2>&1 </dev/null &
	up=$!
	deadline=$((SECONDS + 30))
	until grep -q '^cordon: vm a (SECRET): started' "$1.out" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
	sw=$(sed -n 's/^cordon: net lan (SECRET): switch started, pid \([0-9]*\)$/\1/p' "$1.out")
	[ -n "$sw" ] || sw=0
	case $2 in
	keep)
		cp /proc/"$sw"/status "$1.status" 2>/dev/null
		ls -A /proc/"$sw"/root/ >"$1.root" 2>&1
		for fd in /proc/"$sw"/fd/*; do readlink "$fd"; done >"$1.fds" 2>/dev/null
		;;
	kill)
		kill -SEGV "$sw"
		deadline=$((SECONDS + 30))
		until grep -q '^cordon: net lan: switch killed by signal 11' "$1.out" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
		sleep 1
		"$CORDON" ps --state-dir "$st" >"$1.ps" 2>&1
		;;
	orphan)
		kill -KILL "$up"
		{ wait "$up"; } 2>/dev/null
		deadline=$((SECONDS + 10))
		while kill -0 "$sw" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
		return
		;;
	esac
	"$CORDON" down --state-dir "$st" >/dev/null 2>&1
	wait "$up"
	rc=$?
}
net_run clean keep
check channels-switch-own-uid grep -qP "^Uid:\t$CHAN_UID\t$CHAN_UID\t$CHAN_UID\t$CHAN_UID$" clean.status
check channels-switch-own-gid grep -qP "^Gid:\t$CHAN_UID\t$CHAN_UID\t$CHAN_UID\t$CHAN_UID$" clean.status
check channels-switch-seccomp-filter grep -qP '^Seccomp:\t2$' clean.status
check channels-switch-no-new-privs grep -qP '^NoNewPrivs:\t1$' clean.status
check channels-switch-empty-root bash -c "[ -e clean.status ] && [ ! -s clean.root ]"
# stdin and stdout on /dev/null, stderr a pipe to the supervisor, and the
# one port: nothing else.
check channels-switch-holds-only-its-port bash -c "[ \$(grep -c '^socket:' clean.fds) = 1 ] && ! grep -vqE '^(/dev/null|pipe:.*|socket:.*)$' clean.fds"
check channels-net-run-clean-exit-0 [ "$rc" = 0 ]
check channels-net-run-clean-switch-exit bash -c "grep -F '\"subject\":\"net:lan\",\"object\":\"switch\"' '$TMP/clean.state/audit.log' | grep -qF '\"mode\":\"exit\",\"decision\":\"exit\"'"
net_run dead kill
check channels-dead-switch-reported grep -q '^cordon: net lan: switch killed by signal 11' dead.out
check channels-dead-switch-vm-runs-on grep -q '^a .*running' dead.ps
check channels-dead-switch-exit-1 [ "$rc" = 1 ]
check channels-dead-switch-audited bash -c "grep -F '\"subject\":\"net:lan\",\"object\":\"switch\"' '$TMP/dead.state/audit.log' | grep -qF '\"mode\":\"exit\",\"decision\":\"killed\"'"
check channels-dead-switch-audit-verifies "$CORDON" audit verify "$TMP/dead.state/audit.log"
net_run orphan orphan
check channels-switch-dies-with-the-supervisor bash -c "[ '$sw' -gt 0 ] && ! kill -0 '$sw' 2>/dev/null"
