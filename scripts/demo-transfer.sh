#!/usr/bin/env bash
# scripts/demo-transfer.sh -- the fourth part of `make demo`: files between
# labels.  The supervisor runs examples/transfer.sys: the UNCLASSIFIED VM
# sends a report up (delivered: write-up is on), the SECRET VM sends a
# summary down (held for review); this script plays the reviewer with
# `cordon transfer list`, `show` and `approve`, the UNCLASSIFIED VM then
# receives the summary, and the script shows both consoles, the audit
# log's transfer records and `cordon audit verify`.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=build/cordon
SYSTEM=examples/transfer.sys
STATE=build/demo/transfer-state
for f in "$CORDON" build/guest/vmlinuz build/guest/initrd.img; do
	[ -e "$f" ] || { echo "demo: $f is missing; run 'make demo'" >&2; exit 1; }
done
rule() { printf '%.0s-' {1..72}; echo; }
mkdir -p build/demo
rm -rf "$STATE"

rule
echo "cordon demo, part 4: files between labels."
echo
echo "  $CORDON up $SYSTEM --state-dir $STATE"
echo
echo "Each VM has an outbox and an inbox and a sandboxed guard that checks"
echo "every byte it sends.  Up (UNCLASSIFIED to SECRET) is allowed by the"
echo "policy; down is held until a person approves it."
rule
"$CORDON" up "$SYSTEM" --state-dir "$STATE" </dev/null &
up=$!
# Wait for the hold in the audit log: every `cordon transfer list` is an
# audited review step, so polling with it would fill the log.
for _ in $(seq 1 300); do
	grep -q '"mode":"transfer","decision":"hold"' "$STATE/audit.log" 2>/dev/null && break
	kill -0 "$up" 2>/dev/null || break
	sleep 1
done
held=$("$CORDON" transfer list --state-dir "$STATE" 2>/dev/null | awk '$2 == "held" { print $1; exit }')
if [ -z "$held" ]; then
	echo "demo: no transfer was held for review" >&2
	"$CORDON" down --state-dir "$STATE" >/dev/null 2>&1
	wait "$up"
	exit 1
fi
rule
echo "The SECRET VM sent a file down.  It is held:"
echo
echo "\$ $CORDON transfer list --state-dir $STATE"
"$CORDON" transfer list --state-dir "$STATE"
echo
echo "\$ $CORDON transfer show $held --state-dir $STATE"
"$CORDON" transfer show "$held" --state-dir "$STATE"
echo
echo "A person reads it and lets it go down:"
echo
echo "\$ $CORDON transfer approve $held --state-dir $STATE"
"$CORDON" transfer approve "$held" --state-dir "$STATE"
rule
wait "$up"
rc=$?
rule
echo "cordon up exited with status $rc (0: every VM ended cleanly)."
echo
for log in "$STATE"/logs/*/*.console; do
	[ -e "$log" ] || continue
	echo "$(basename "$log" .console) at $(cat "$(dirname "$log")/label"):"
	tr -d '\r' <"$log" | grep '^cordon-\(guest\|send\|receive\)' | grep -v 'init ready' | sed 's/^/  /'
	echo
done
echo "The audit log's transfer and review records ($STATE/audit.log):"
grep '"mode":"\(transfer\|review\)"' "$STATE/audit.log" | sed 's/^/  /'
echo
echo "$CORDON audit verify $STATE/audit.log:"
"$CORDON" audit verify "$STATE/audit.log" | sed 's/^/  /'
rule
exit "$rc"
