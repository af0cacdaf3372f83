#!/usr/bin/env bash
# scripts/demo-channels.sh -- the third part of `make demo`: labeled nets
# and a one-way diode.  The supervisor runs examples/channels.sys: high1
# and high2 (SECRET) share the net secret-lan and ping each other; a diode
# carries UDP datagrams from low (UNCLASSIFIED) up to high1, whose attempt
# to send back over it reaches nobody.  Then the refusals of
# examples/channels-denied.sys (a cross-label join, a diode down), the
# audit logs and `cordon audit verify`.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=build/cordon
STATE=build/demo/channels
DENIED=build/demo/channels-denied
for f in "$CORDON" build/guest/vmlinuz build/guest/initrd.img; do
	[ -e "$f" ] || { echo "demo: $f is missing; run 'make demo'" >&2; exit 1; }
done

rule() { printf '%.0s-' {1..72}; echo; }
rm -rf "$STATE" "$DENIED"
mkdir -p build/demo

rule
echo "cordon demo, part 3: labeled nets and a one-way diode.

  $CORDON up examples/channels.sys --state-dir $STATE

A switch process serves the net secret-lan, which only VMs at its label
(SECRET) may join: high1 and high2 ping each other over it.  A relay
process carries a diode from low (UNCLASSIFIED) up to high1: low's monitor
holds only a pipe's write end, high1's only another pipe's read end.  low
sends datagrams and watches its own link: carrier up, nothing received.
high1 sends datagrams back over the diode: its monitor drops them."
rule
"$CORDON" up examples/channels.sys --state-dir "$STATE" </dev/null
rc=$?
rule
echo "cordon up exited with status $rc (0: every VM ended cleanly)."
echo
for vm in low high1 high2; do
	log=$(ls "$STATE"/logs/*/"$vm".console 2>/dev/null | head -1)
	[ -n "$log" ] || continue
	echo "$vm at $(cat "$(dirname "$log")/label"), from its console log:"
	tr -d '\r' <"$log" | grep '^cordon-guest:' | grep -v 'cordon-udp: got cordon-udp [2-9]' |
		awk 'NR <= 12 { print; next } { last = $0 } END { if (last != "") print last }' | sed 's/^/  /'
	echo
done
rule
echo "What the reference monitor refuses (examples/channels-denied.sys):"
echo
"$CORDON" up examples/channels-denied.sys --state-dir "$DENIED" </dev/null 2>&1 |
	grep -E 'not started|\): started' | sed 's/^/  /'
echo
echo "The audit log of the first run, $STATE/audit.log:"
sed 's/^/  /' "$STATE/audit.log"
echo
echo "The refusals in $DENIED/audit.log:"
grep '"decision":"deny"' "$DENIED/audit.log" | sed 's/^/  /'
echo
for log in "$STATE/audit.log" "$DENIED/audit.log"; do
	echo "$CORDON audit verify $log:"
	"$CORDON" audit verify "$log" | sed 's/^/  /'
done
rule
exit "$rc"
