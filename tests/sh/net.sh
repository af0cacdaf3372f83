#!/usr/bin/env bash
# virtio-net over --net socket:PATH:
#   1. socket paths cordon must refuse before the guest starts;
#   2. two Debian guests on one link, the second started a few seconds after
#      the first (whose link is down until then), ping each other with
#      static addresses; each must get its three replies, and their MACs
#      (random by default) must differ.  The listener removes the socket
#      when it exits.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
APPEND='console=ttyS0 noapic nolapic acpi=off quiet cordon.run=ping'

if [ ! -x "$CORDON" ] || ! have_guest; then
	fail net-prerequisites "$CORDON or the guest in $GUEST is missing (run 'make guest')"
	exit 0
fi
cd "$TMP" || exit 1

# --- 1. refused links -----------------------------------------------------

refuse() { # NAME MESSAGE ARGS...
	local name=$1 msg=$2; shift 2
	timeout 60 "$CORDON" run --kernel "$GUEST/vmlinuz" --serial none "$@" >out 2>err </dev/null
	local rc=$?
	if [ "$rc" -eq 1 ] && [ "$(cat err)" = "cordon: $msg" ]; then pass "$name"
	else fail "$name" "exit $rc, stderr: $(head -2 err)"; fi
}
echo keep >plain.txt
refuse net-path-not-a-socket "plain.txt: exists and is not a socket" --net socket:plain.txt
check net-regular-file-kept grep -qx keep plain.txt
refuse net-path-no-directory "nodir/link: No such file or directory" --net socket:nodir/link
"$CORDON" run --kernel x --net socket:l,mac=01:00:5e:00:00:01 >out 2>err
rc=$?
check net-multicast-mac-is-usage-error [ "$rc" -eq 2 ]
check net-multicast-mac-message grep -q "unicast MAC" err

# --- 2. two guests ping each other -------------------------------------------

run_guest() { # NAME IP/NN PEER
	timeout "$BOOT_TIMEOUT" "$CORDON" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" \
		--append "$APPEND cordon.ip=$2 cordon.peer=$3" --net "socket:$TMP/link" \
		>"$1.out" 2>"$1.err" </dev/null
	echo $? >"$1.rc"
}
run_guest a 10.0.2.1/24 10.0.2.2 &
pa=$!
sleep 5
check net-listener-made-socket [ -S link ]
run_guest b 10.0.2.2/24 10.0.2.1 &
pb=$!
wait "$pa" "$pb"
for g in a b; do tr -d '\r' <"$g.out" >"$g.txt"; done
ok=1
c() { if "${@:2}"; then pass "$1"; else fail "$1" "${*:2}"; ok=0; fi; }
c net-a-exit-0 [ "$(cat a.rc)" = 0 ]
c net-b-exit-0 [ "$(cat b.rc)" = 0 ]
c net-a-pings-b grep -qxF 'cordon-guest: ping 10.0.2.2 ok' a.txt
c net-b-pings-a grep -qxF 'cordon-guest: ping 10.0.2.1 ok' b.txt
mac_a=$(sed -n 's/^cordon-guest: eth0 \([0-9a-f:]*\) is .*/\1/p' a.txt)
mac_b=$(sed -n 's/^cordon-guest: eth0 \([0-9a-f:]*\) is .*/\1/p' b.txt)
c net-macs-random-and-distinct bash -c "[[ '$mac_a' == 52:54:00:* && '$mac_b' == 52:54:00:* && '$mac_a' != '$mac_b' ]]"
c net-no-device-errors bash -c '[ ! -s a.err ] && [ ! -s b.err ]'
c net-listener-removed-socket [ ! -e link ]
if [ "$ok" -eq 0 ]; then show_tail a.txt; show_tail a.err; show_tail b.txt; show_tail b.err; fi
