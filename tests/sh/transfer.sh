#!/usr/bin/env bash
# File transfer between labeled VMs (issue #14, docs/transfer.md) with the
# Debian guest, in three runs of `cordon up` on one state directory:
#
#   1. write-up off, only "low" (UNCLASSIFIED) can start: its report up to
#      "high" (SECRET) is refused and audited; low sees only "queued".
#   2. write-up on, still only low: a transfer of 11 files (over
#      transfer-limit ... 10) and garbage on the outbox are dropped, one
#      audit record each; the report sent after them waits for high (not
#      running); low sees "queued" for everything.
#   2b. on a copy of the state directory, under transfer-expire 1s: that
#      waiting report expires, one audit record, nothing left stored.
#   3. both VMs: high gets run 2's report at its start and low's new one
#      (byte-exact, the digests compared in high); cordon-receive leaves a
#      symlink at a target name alone; high sends two files down: both are
#      held, listed, shown, one approved (delivered to low) and one denied
#      (never delivered), each step one audit record; names are escaped in
#      the audit log, and `cordon audit verify` passes after every run.
source "$(dirname "$0")/../lib.sh"

if ! have_guest; then
	fail transfer-prerequisites "build/guest is missing (make guest)"
	exit 0
fi
cd "$TMP" || exit 1
ST="$TMP/state"
KERNEL="$GUEST/vmlinuz"
APPEND="console=ttyS0 noapic nolapic acpi=off quiet cordon.run=transfer"

# mksys NAME WRITE-UP HIGH-KERNEL LOW-EXTRA: the system file NAME.sys.
mksys() {
	cat >"$1.sys" <<EOF
levels UNCLASSIFIED < SECRET
policy write-up $2
transfer-limit 1M 10
vm low {
	label UNCLASSIFIED
	memory 128M
	kernel "$KERNEL"
	initrd "$GUEST/initrd.img"
	append "$APPEND $4"
	transfer on
}
vm high {
	label SECRET
	memory 128M
	kernel "$3"
	initrd "$GUEST/initrd.img"
	append "$APPEND cordon.role=high"
	transfer on
}
EOF
}

up_bg() { # NAME
	"$CORDON" up "$1.sys" --state-dir "$ST" >"$1.out" 2>"$1.err" </dev/null &
	UP_PID=$!
}
up_wait() { # SECONDS: sets UP_RC
	local deadline=$((SECONDS + $1))
	UP_RC=
	while kill -0 "$UP_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
	if kill -0 "$UP_PID" 2>/dev/null; then
		kill -9 "$UP_PID"
		UP_RC=timeout
	fi
	wait "$UP_PID"
	local rc=$?
	[ "$UP_RC" = timeout ] || UP_RC=$rc
}
# all 'CMD' 'CMD'...: every shell command succeeds (for check).
all() { local c; for c in "$@"; do eval "$c" || return 1; done; }
# decisions DECISION [MODE]: audit records with that decision (and mode).
decisions() { grep -c "\"mode\":\"${2:-transfer}\",\"decision\":\"$1\"" "$ST/audit.log"; }
verify_log() { "$CORDON" audit verify "$ST/audit.log" >/dev/null 2>&1; }
console() { tr -d '\r' <"$ST/logs/$1/$2.console"; }
# sent_lines LOGFILE: what cordon-send said in the guest, whatever happened.
sent_lines() { grep -c '^cordon-send: queued ' "$1"; }
report_sha() { seq 1 20000 | sed "s/^/$1 line /" | sha256sum | cut -d' ' -f1; }
stored() { find "$ST/transfers" -name '*.data' -o -name '*.meta' -o -name '*.part'; }

# --- 1. write-up off ---------------------------------------------------------------
mksys run1 off /nonexistent/vmlinuz "cordon.role=send-up"
up_bg run1
up_wait 300
console UNCLASSIFIED low >low1.txt
check transfer-up-refused-write-up-off [ "$(decisions refuse)" = 1 ]
check transfer-refusal-reason grep -q '"decision":"refuse","reason":"isolation: write-up transfers not enabled; transfer 1 from low (UNCLASSIFIED) to high (SECRET)' "$ST/audit.log"
check transfer-refused-source-sees-queued grep -q '^cordon-send: queued 1 file (.*) for high$' low1.txt
check transfer-nothing-stored-after-refusal [ -z "$(stored)" ]
check transfer-audit-verifies-run1 verify_log

# --- 2. write-up on, high not running: pending; drops --------------------------------
mksys run2 on /nonexistent/vmlinuz "cordon.role=send-up cordon.junk=1"
up_bg run2
up_wait 300
console UNCLASSIFIED low >low2.txt
check transfer-pending-decided-deliver [ "$(decisions deliver)" = 1 ]
check transfer-pending-kept-in-state-dir [ -n "$(find "$ST/transfers/UNCLASSIFIED" -name '*.data')" ]
check transfer-pending-files-0600 [ -z "$(find "$ST/transfers" -type f ! -perm 600)" ]
check transfer-state-dirs-0700 [ -z "$(find "$ST/transfers" -type d ! -perm 700)" ]
check transfer-malformed-dropped-one-record-each [ "$(decisions drop)" = 2 ]
check transfer-drop-too-many-files grep -q '"decision":"drop","reason":"malformed stream dropped by the guard: 11 files: more than the limit of 10' "$ST/audit.log"
check transfer-drop-garbage grep -q '"decision":"drop","reason":"malformed stream dropped by the guard: not a transfer stream (bad magic)' "$ST/audit.log"
# (A console log is appended to across runs: run 1's line is in it too.)
check transfer-source-sees-only-queued all '[ "$(sent_lines low2.txt)" = 3 ]' \
	'grep -q "^cordon-send: queued 11 files (24 bytes) for high$" low2.txt' \
	'! grep -q "^cordon-send: .*\(refus\|drop\|held\|denied\)" low2.txt'
check transfer-audit-verifies-run2 verify_log

# --- 2b. expiry, on a copy of the state directory ---------------------------------
# Run 2's report still waits for high.  Under transfer-expire 1s, with no
# VM able to start, the supervisor drops it at once: one audit record,
# nothing left in the store.  Run 3 goes on with the original directory.
cp -a "$ST" "$TMP/state-exp"
sed -e 's/^transfer-limit .*/&\ntransfer-expire 1s/' -e "s|kernel \"$KERNEL\"|kernel \"/nonexistent/vmlinuz\"|" \
	run2.sys >exp.sys
sleep 1 # the transfer is at least a second old
"$CORDON" up exp.sys --state-dir "$TMP/state-exp" >exp.out 2>exp.err </dev/null &
UP_PID=$!
up_wait 60
expired=$(grep -c '"subject":"supervisor",.*"mode":"transfer","decision":"expire","reason":"expired: waiting for its target for 1 s without being delivered; transfer [0-9]* from low (UNCLASSIFIED) to high (SECRET)' "$TMP/state-exp/audit.log")
check transfer-pending-expires-audited all '[ "$expired" = 1 ]' \
	'[ -z "$(find "$TMP/state-exp/transfers" -name "*.data" -o -name "*.meta")" ]' \
	'"$CORDON" audit verify "$TMP/state-exp/audit.log" >/dev/null 2>&1'
[ "$expired" = 1 ] || show_tail exp.err

# --- 3. both VMs --------------------------------------------------------------------
mksys run3 on "$KERNEL" "cordon.role=low"
up_bg run3
# Two transfers come down from high and are held; review them.
deadline=$((SECONDS + 400))
until [ "$(decisions hold)" = 2 ] || [ $SECONDS -ge $deadline ] || ! kill -0 "$UP_PID" 2>/dev/null; do
	sleep 1
done
"$CORDON" transfer list --state-dir "$ST" >list.txt 2>&1
ids=$(awk '$2 == "held" { print $1 }' list.txt)
first=$(echo "$ids" | head -1)
second=$(echo "$ids" | sed -n 2p)
check transfer-down-held-and-listed all '[ "$(echo $ids | wc -w)" = 2 ]' \
	"grep -q 'high (SECRET) .*low (UNCLASSIFIED)' list.txt"
"$CORDON" transfer show "$first" --state-dir "$ST" >show.txt 2>&1
check transfer-show-names-digest-preview all "grep -q 'file 1: approve-me.txt (mode 0644, 11 bytes)' show.txt" \
	"grep -q \"sha256 $(echo 'approve me' | sha256sum | cut -d' ' -f1)\" show.txt" \
	"grep -q '    | approve me' show.txt"
"$CORDON" transfer approve "$first" --state-dir "$ST" >approve.txt 2>&1
check transfer-approve-ok grep -q "transfer $first approved" approve.txt
"$CORDON" transfer deny "$second" --state-dir "$ST" >deny.txt 2>&1
check transfer-deny-ok grep -q "transfer $second denied" deny.txt
"$CORDON" transfer deny "$first" --state-dir "$ST" >again.txt 2>&1
rc=$?
check transfer-approved-cannot-be-denied all '[ $rc -eq 1 ]' "grep -q 'not held for review\|no transfer' again.txt"
up_wait 400
console SECRET high >high3.txt
console UNCLASSIFIED low >low3.txt
check transfer-run3-ended-cleanly [ "$UP_RC" = 0 ]
# Up: run 2's report delivered at high's start, and low's new one.
check transfer-pending-delivered-at-next-start grep -q "^cordon-guest: received $(report_sha up) 644 report.txt\$" high3.txt
check transfer-up-byte-exact grep -q "^cordon-guest: received $(report_sha low) 644 report2.txt\$" high3.txt
check transfer-up-odd-name-received grep -qF 'quote"back\slash.txt' high3.txt
check transfer-receive-leaves-symlink all "grep -q 'linked.txt: already exists in /tmp/in: not replaced' high3.txt" \
	"grep -q '^cordon-guest: outside.txt holds: untouched' high3.txt"
check transfer-up-source-sees-queued grep -q '^cordon-send: queued 3 files' low3.txt
# Down: the approved one arrives, the denied one never does.
check transfer-approved-down-delivered grep -q '^cordon-guest: down transfer received: approve me' low3.txt
check transfer-denied-never-delivered all "grep -q 'no second down transfer, as expected' low3.txt" \
	"! grep -q 'deny me' low3.txt"
check transfer-each-step-one-record all '[ "$(decisions hold)" = 2 ]' '[ "$(decisions list review)" = 1 ]' \
	'[ "$(decisions show review)" = 1 ]' '[ "$(decisions approve review)" = 1 ]' \
	'[ "$(decisions deny review)" = 1 ]' '[ "$(decisions delivered)" = 3 ]'
check transfer-review-by-uid grep -q "\"subject\":\"operator uid $(id -u)\",\"object\":\"low\",.*\"decision\":\"approve\",\"reason\":\"approved downgrade by operator uid $(id -u)" "$ST/audit.log"
check transfer-decision-record-has-labels-names-digests grep -q "\"subject\":\"low\",\"object\":\"high\",\"subject_label\":\"UNCLASSIFIED\",\"object_label\":\"SECRET\",\"mode\":\"transfer\",\"decision\":\"deliver\",.*\\\\\"report2.txt\\\\\" [0-9]* sha256:$(report_sha low)" "$ST/audit.log"
# A quote or backslash in a name is escaped inside the reason, and the
# record is still one well-formed line.
check transfer-audit-name-escaped grep -qF '\"quote\\\"back\\\\slash.txt\"' "$ST/audit.log"
check transfer-audit-verifies-run3 verify_log
check transfer-store-empty-after-delivery [ -z "$(stored)" ]
if [ "$UP_RC" != 0 ]; then
	show_tail run3.err
	show_tail high3.txt
	show_tail low3.txt
fi
