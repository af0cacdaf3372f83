#!/usr/bin/env bash
# bench/lib.sh, which every benchmark's figures go through: the one median
# and the checks of BENCH_* settings.  The benchmarks themselves run under
# `make bench`, not here (they need a quiet machine and minutes each).
source "$(dirname "$0")/../lib.sh"
WORK=$TMP
source "$TOP/bench/lib.sh"

# expect_median NAME WANT INPUT: median of INPUT (fed on stdin) prints WANT.
expect_median() {
	local got
	got=$(printf '%b' "$3" | median)
	if [ "$got" = "$2" ]; then pass "$1"; else fail "$1" "median of '$3' gave '$got', want '$2'"; fi
}

expect_median bench-median-odd-is-middle 2.5 '9.1 2.5 1.75'
expect_median bench-median-odd-keeps-digits 0.0005 '0.0009\n0.0001\n0.0005'
expect_median bench-median-even-is-mean 11.61 '11.44 11.78'
expect_median bench-median-even-unsorted 3 '5 1 4 2'
expect_median bench-median-large-no-exponent 1234567.5 '1234567 1234568'
expect_median bench-median-skips-failed-rounds 7 '- 7 -\n\n'
expect_median bench-median-sorts-numerically 10 '9 10 100'
expect_median bench-median-none-is-empty '' '- \n'

# positive_setting: a bad BENCH_ value gets one line naming it and a failure.
err=$( (BENCH_RUNS=3x positive_setting RUNS 5 BENCH_RUNS BENCH_ROUNDS) 2>&1 >/dev/null); rc=$?
if [ "$rc" -ne 0 ] && grep -q "BENCH_RUNS='3x'" <<<"$err"; then
	pass bench-setting-refuses-non-number
else
	fail bench-setting-refuses-non-number "rc $rc, stderr '$err'"
fi
got=$(BENCH_ROUNDS=7 positive_setting RUNS 5 BENCH_RUNS BENCH_ROUNDS && echo "$RUNS")
check bench-setting-takes-second-name test "$got" = 7
got=$(positive_setting RUNS 5 BENCH_RUNS && echo "$RUNS")
check bench-setting-default test "$got" = 5
