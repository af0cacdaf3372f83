#!/usr/bin/env bash
# `cordon audit verify LOG` against logs written here by the shell, record
# by record, with sha256sum computing each prev: this checks the on-disk
# format as docs/security-model.md defines it, independently of the C
# writer (the unit tests cover that one).  Then every kind of tampering
# (edit, delete, swap, insert, truncate) must exit 1 and name the line;
# usage errors exit 2.
# CORDON_AUDIT_CMD replaces "$CORDON audit" (e.g. a test driver).
source "$(dirname "$0")/../lib.sh"

if [ -n "${CORDON_AUDIT_CMD:-}" ]; then
	read -r -a AUDIT <<<"$CORDON_AUDIT_CMD"
else
	AUDIT=("$CORDON" audit)
fi
if ! "${AUDIT[@]}" --help >/dev/null 2>&1; then
	fail audit-cmd "'${AUDIT[*]} --help' does not work (is 'cordon audit' built in?)"
	exit 0
fi

ZEROS=0000000000000000000000000000000000000000000000000000000000000000

# mklog FILE N: N chained records, as the supervisor writes them.
mklog() {
	local file=$1 n=$2 prev=$ZEROS line i
	: >"$file"
	for ((i = 1; i <= n; i++)); do
		line=$(printf '{"seq":%d,"time":"2026-11-23T19:12:%02d.123Z","subject":"vm-%d","object":"disk-a","subject_label":"SECRET:NATO/HIGH","object_label":"UNCLASSIFIED/HIGH","mode":"read","decision":"deny","reason":"BLP: no read up","prev":"%s"}' \
			"$i" "$i" "$i" "$prev")
		printf '%s\n' "$line" >>"$file"
		prev=$(printf '%s' "$line" | sha256sum | cut -d' ' -f1)
	done
}

# verify NAME FILE WANT_RC WANT_TEXT: runs verify, checks the exit status
# and that stdout+stderr contain WANT_TEXT.
verify() {
	local name=$1 file=$2 want_rc=$3 want=$4 rc
	timeout 60 "${AUDIT[@]}" verify "$file" >"$TMP/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name" "exit $rc, expected $want_rc: $(head -3 "$TMP/out")"
	elif ! grep -qF -- "$want" "$TMP/out"; then
		fail "$name" "output does not say '$want': $(head -3 "$TMP/out")"
	else
		pass "$name"
	fi
}

mklog "$TMP/good.log" 8
verify audit-verify-intact "$TMP/good.log" 0 "$TMP/good.log: 8 records, chain intact"

: >"$TMP/empty.log"
verify audit-verify-empty "$TMP/empty.log" 0 "0 records, chain intact"

# One byte changed in record 5: still JSON, so record 6's prev gives it away.
sed '5s/"vm-5"/"vm-X"/' "$TMP/good.log" >"$TMP/edited.log"
verify audit-verify-edited "$TMP/edited.log" 1 "line 6: prev does not match line 5"

sed '4d' "$TMP/good.log" >"$TMP/deleted.log"
verify audit-verify-deleted "$TMP/deleted.log" 1 "line 4: seq 5, expected 4"

sed '1d' "$TMP/good.log" >"$TMP/deleted-first.log"
verify audit-verify-deleted-first "$TMP/deleted-first.log" 1 "line 1: seq 2, expected 1"

# Deleted and renumbered: the chain still breaks at the gap.
sed -e '4d' -e '5,$s/"seq":\([0-9]*\)/"seq":X\1/' "$TMP/good.log" |
	awk '{ if (match($0, /"seq":X[0-9]+/)) { n = substr($0, RSTART + 7, RLENGTH - 7) - 1;
	       $0 = substr($0, 1, RSTART - 1) "\"seq\":" n substr($0, RSTART + RLENGTH) } print }' \
	>"$TMP/renumbered.log"
verify audit-verify-renumbered "$TMP/renumbered.log" 1 "line 4: prev does not match line 3"

awk 'NR == 3 { held = $0; next } NR == 4 { print; print held; next } { print }' \
	"$TMP/good.log" >"$TMP/swapped.log"
verify audit-verify-swapped "$TMP/swapped.log" 1 "line 3: seq 4, expected 3"

sed '2i this is not a record' "$TMP/good.log" >"$TMP/inserted.log"
verify audit-verify-not-json "$TMP/inserted.log" 1 "line 2: not JSON"

size=$(stat -c %s "$TMP/good.log")
head -c $((size - 30)) "$TMP/good.log" >"$TMP/truncated.log"
verify audit-verify-truncated "$TMP/truncated.log" 1 "line 8: incomplete record"

verify audit-verify-missing "$TMP/no-such.log" 1 "$TMP/no-such.log"

# usage_error NAME ARGS...: exit 2 and a hint.
usage_error() {
	local name=$1 rc
	shift
	timeout 60 "${AUDIT[@]}" "$@" >"$TMP/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "cordon audit --help" "$TMP/out"; then
		pass "$name"
	else
		fail "$name" "exit $rc, expected 2 and a usage hint: $(head -2 "$TMP/out")"
	fi
}
usage_error audit-usage-no-command
usage_error audit-usage-unknown-command frobnicate "$TMP/good.log"
usage_error audit-usage-no-log verify
usage_error audit-usage-two-logs verify "$TMP/good.log" "$TMP/good.log"
usage_error audit-usage-bad-option verify --fast
usage_error audit-usage-bad-anchor verify "$TMP/good.log" --expect 8:xyz

# --- the anchor: what an intact chain cannot show --------------------------------

# expect NAME FILE ANCHOR WANT_RC WANT_TEXT: verify --expect ANCHOR.
expect() {
	local name=$1 file=$2 anchor=$3 want_rc=$4 want=$5 rc
	timeout 60 "${AUDIT[@]}" verify "$file" --expect "$anchor" >"$TMP/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name" "exit $rc, expected $want_rc: $(head -3 "$TMP/out")"
	elif ! grep -qF -- "$want" "$TMP/out"; then
		fail "$name" "output does not say '$want': $(head -3 "$TMP/out")"
	else
		pass "$name"
	fi
}
last_hash() { tail -1 "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1; }
H8=$(last_hash "$TMP/good.log")
verify audit-verify-prints-last-hash "$TMP/good.log" 0 "8 records, chain intact, last hash $H8"
expect audit-expect-matches "$TMP/good.log" "8:$H8" 0 "(matches the anchor)"
# A cut tail: records 7 and 8 gone, what is left is a valid chain.
head -6 "$TMP/good.log" >"$TMP/cut.log"
verify audit-cut-tail-chain-intact "$TMP/cut.log" 0 "6 records, chain intact"
expect audit-expect-catches-cut-tail "$TMP/cut.log" "8:$H8" 1 "ends at record 6 with hash"
# The last record edited: nothing after it to notice.
sed '8s/"deny"/"allow"/' "$TMP/good.log" >"$TMP/edited-last.log"
verify audit-edited-last-chain-intact "$TMP/edited-last.log" 0 "8 records, chain intact"
expect audit-expect-catches-edited-last "$TMP/edited-last.log" "8:$H8" 1 "does not end at the anchor"
# A record removed and the whole chain recomputed from there.
mklog "$TMP/recomputed.log" 7
expect audit-expect-catches-recomputed-chain "$TMP/recomputed.log" "8:$H8" 1 "ends at record 7"
