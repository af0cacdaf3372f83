#!/usr/bin/env bash
# The native-CPU oracle and the sensitive-instruction tests once more with
# translation off (CORDON_TEST_INTERPRET=1, tests/unit/cpu_fixture.c):
# build/unit-tests runs them translating, the engine's default, and the
# interpreter they fall back to must pass them on its own.
source "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
for group in oracle sensitive; do
	out=$(CORDON_TEST_INTERPRET=1 ASAN_OPTIONS=detect_leaks=1 ./build/unit-tests "$group" 2>&1)
	sum=$(grep '^unit-summary ' <<<"$out")
	set -- $sum
	if [ -n "$sum" ] && [ "$2" -gt 0 ] && [ "$3" -eq 0 ]; then
		pass "interpreted-$group ($2 tests)"
	else
		fail "interpreted-$group" "${sum:-the unit tests did not finish}"
		grep -E '^(FAIL|    )' <<<"$out" | head -20 | sed 's/^/  /'
	fi
done
