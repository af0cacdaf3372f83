#!/usr/bin/env bash
# scripts/demo-labels.sh -- the second half of `make demo`: the security
# kernel.  The supervisor runs examples/two-labels.sys: an UNCLASSIFIED VM
# and a SECRET:NATO VM, each in its own sandboxed monitor process, each
# writing a note on its own disk; the SECRET one also reads an UNCLASSIFIED
# disk read-only (a read-down share the policy enables) and writes on a
# removable-media image, whose label floats up to SECRET:NATO.  Then this
# script shows the VMs' console logs, the media's label record, the audit
# log, and `cordon audit verify` on it.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

CORDON=build/cordon
SYSTEM=examples/two-labels.sys
STATE=build/demo/state
for f in "$CORDON" build/guest/vmlinuz build/guest/initrd.img; do
	[ -e "$f" ] || { echo "demo: $f is missing; run 'make demo'" >&2; exit 1; }
done

rule() { printf '%.0s-' {1..72}; echo; }

scripts/mkexample.sh build/demo || exit 1
rm -rf "$STATE"

rule
cat <<EOF
cordon demo, part 2: the security kernel.

  $CORDON up $SYSTEM --state-dir $STATE

The supervisor reads the system file, asks the reference monitor about
every disk and media image each VM attaches, opens what is allowed, and
starts one sandboxed monitor process per VM (seccomp, no capabilities,
a uid of its own, an empty root), handing it only those descriptors.  Each VM's
serial console goes to a mode-0600 log under a directory per label.
EOF
rule
"$CORDON" up "$SYSTEM" --state-dir "$STATE" </dev/null
rc=$?
rule
echo "cordon up exited with status $rc (0: every VM ended cleanly)."
echo
for log in "$STATE"/logs/*/*.console; do
	[ -e "$log" ] || continue
	label=$(cat "$(dirname "$log")/label")
	echo "$(basename "$log" .console) at $label, console log $log (mode $(stat -c %a "$log")):"
	tr -d '\r' <"$log" | grep '^cordon-guest:' | sed 's/^/  /'
	echo
done
if [ -e build/demo/floppy.img.label ]; then
	echo "The floppy was declared UNCLASSIFIED/LOW; its label record now says: $(cat build/demo/floppy.img.label)"
	echo "(attaching it to the UNCLASSIFIED VM is refused until 'cordon media sanitize')."
	echo
fi
echo "The audit log, $STATE/audit.log (one JSON record per line, hash-chained):"
sed 's/^/  /' "$STATE/audit.log"
echo
echo "$CORDON audit verify $STATE/audit.log:"
"$CORDON" audit verify "$STATE/audit.log" | sed 's/^/  /'
rule
exit "$rc"
