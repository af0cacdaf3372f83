#!/usr/bin/env bash
# Runs cordon's libFuzzer targets (built by `make fuzz` into build/fuzz/),
# one after another, each on one core, and prints per target the
# executions, coverage (edges and features), corpus size and findings.
#
#   tests/fuzz/run.sh --seconds N [--runs N] [--slice] [TARGET...]
#
# --runs N stops a target after N executions (a campaign of a number of
# executions); --seconds stays its limit in time, whichever comes first.
#
# Campaign (default): new inputs accumulate in build/fuzz/corpus/NAME, so
# successive runs go deeper; the committed seeds tests/fuzz/corpus/NAME
# are read too but never written.  --slice (what `make test` runs): new
# inputs go to a temporary directory, the committed seeds are the start,
# and each target prints "ok fuzz-NAME" or "FAIL fuzz-NAME: ..." for
# tests/run.sh.  Either way a crash, leak, timeout (10 s per input) or
# out-of-memory stops that target, its input is saved under
# build/fuzz/findings/NAME/ and the script exits non-zero.
#
# Per-target settings live in the target's own file (tests/fuzz/NAME.c):
# a comment line " * fuzz-options: -max_len=4096" adds libFuzzer options;
# tests/fuzz/dict/NAME.dict, if present, is its dictionary.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=$TOP/build/fuzz
SECONDS_EACH=20 SLICE=0 RUNS=
TARGETS=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_EACH=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--slice) SLICE=1; shift ;;
	-h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) TARGETS+=("$1"); shift ;;
	esac
done
case $SECONDS_EACH in
''|*[!0-9]*|0) echo "run.sh: --seconds wants a positive whole number, not '$SECONDS_EACH'" >&2; exit 2 ;;
esac
case $RUNS in
*[!0-9]*|0*) echo "run.sh: --runs wants a positive whole number, not '$RUNS'" >&2; exit 2 ;;
esac
if [ ${#TARGETS[@]} -eq 0 ]; then
	for f in tests/fuzz/*.c; do TARGETS+=("$(basename "$f" .c)"); done
fi

# The value of "fuzz-KEY:" in a target's header comment ("" if none).
target_key() {
	sed -n "s/^ \* fuzz-$2: //p" "tests/fuzz/$1.c" | head -n 1
}

# Fields of libFuzzer's last status line ("#N DONE cov: C ft: F corp: K/...").
status_field() {
	grep -E '^#[0-9]+' "$1" | tail -n 1 | grep -oE "$2: [0-9]+" | grep -oE '[0-9]+$' || echo 0
}

count_files() {
	find "$@" -maxdepth 1 -type f 2>/dev/null | wc -l
}

failed=0
printf '%-16s %12s %7s %8s %8s %8s %9s  %s\n' target execs seconds edges features corpus findings result
for name in "${TARGETS[@]}"; do
	bin=$BIN/$name
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz-$name: $bin not built (make fuzz)"
		failed=1
		continue
	fi
	seeds=tests/fuzz/corpus/$name
	findings=$BIN/findings/$name
	mkdir -p "$findings"
	if [ "$SLICE" = 1 ]; then
		corpus=$(mktemp -d "/tmp/cordon-fuzz-$name.$$.XXXXXX")
	else
		corpus=$BIN/corpus/$name
		mkdir -p "$corpus"
	fi
	dirs=("$corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	opts=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$findings/")
	[ -n "$RUNS" ] && opts+=(-runs="$RUNS")
	[ -f "tests/fuzz/dict/$name.dict" ] && opts+=(-dict="tests/fuzz/dict/$name.dict")
	# shellcheck disable=SC2207
	opts+=($(target_key "$name" options))
	log=$BIN/$name.log
	before=$(count_files "$findings")
	# Targets that print (device logs) would slow the run: their stdout goes.
	start=$(date +%s)
	nice -n 5 "$bin" "${opts[@]}" -close_fd_mask=1 "${dirs[@]}" >"$log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	edges=$(status_field "$log" cov)
	features=$(status_field "$log" ft)
	ncorpus=$(count_files "${dirs[@]}")
	new=$(( $(count_files "$findings") - before ))
	result=ok
	if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
		result="FINDING (exit $rc)"
		failed=1
	fi
	printf '%-16s %12s %7s %8s %8s %8s %9s  %s\n' "$name" "${execs:-0}" "$took" "$edges" "$features" \
		"$ncorpus" "$new" "$result"
	if [ "$result" != ok ]; then
		grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|FUZZ_CHECK|Test unit written' "$log" | sed 's/^/  /'
		grep -m1 'Test unit written' "$log" | sed 's/^/  /'
		echo "  full log: $log; replay: $bin <input>"
	fi
	if [ "$SLICE" = 1 ]; then
		if [ "$result" = ok ]; then
			echo "ok   fuzz-$name (${SECONDS_EACH}s: ${execs:-0} execs, $edges edges)"
		else
			echo "FAIL fuzz-$name: $result, input in $findings/"
		fi
		rm -rf "$corpus"
	fi
done
exit "$failed"
