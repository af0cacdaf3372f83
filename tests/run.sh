#!/usr/bin/env bash
# Runs the whole suite: unit tests (built with ASan+UBSan), then every
# tests/sh/*.sh script.  Ends with exactly one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0
log=$(mktemp)

echo "== unit tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	./build/unit-tests >"$log" 2>&1
rc=$?
grep -E '^(FAIL|    )' "$log"
if sum=$(grep '^unit-summary ' "$log"); then
	set -- $sum
	passed=$((passed + $2)); failed=$((failed + $3))
	echo "unit: $2 passed, $3 failed"
	[ "$rc" -ne 0 ] && [ "$3" -eq 0 ] && { echo "FAIL unit-tests exited $rc"; tail -20 "$log"; failed=$((failed + 1)); }
else
	echo "FAIL unit test binary did not finish (exit $rc):"; tail -30 "$log"
	failed=$((failed + 1))
fi

for t in tests/sh/*.sh; do
	[ -e "$t" ] || continue
	echo "== $t"
	out=$(timeout 1200 bash "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^(ok|FAIL|SKIP|  )'
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t exited $rc"; printf '%s\n' "$out" | tail -15; f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
