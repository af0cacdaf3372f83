#!/usr/bin/env bash
# Shows that each fuzz target reaches the code it claims to test: plants a
# known bug in a scratch copy of the tree, builds the target there and
# requires libFuzzer to find it within RUNS executions (500000), starting
# from the committed seeds; the input it finds must then run clean on the
# real target (so it was the planted bug that fired).
#
#   tests/fuzz/plant.sh [--runs N] [--seconds N] [TARGET...]
#
# The outcome does not depend on how busy the machine is: libFuzzer runs
# with seed 1, no time limit of its own and no corpus reloads, so a plant
# is found at the same execution on any machine (the ok line names it).
# --seconds (1800) only stops a run that would never end; hitting it is a
# failure of its own kind, never a miss.
#
# The bug is declared in the target's header comment, as one exact
# replacement in one source file:
#
#    * fuzz-plant: src/dev/virtq.c
#    * fuzz-plant-from: if (!writable && c->nseg > c->nreadable)
#    * fuzz-plant-to: if (!writable && c->nseg > c->nreadable + 1)
#
# The "from" text must occur exactly once in that file: when the code
# changes under it, this test says so and the plant must be updated.
# Needs `make fuzz-build` first (the scratch build reuses its objects).
# Prints "ok fuzz-plant-NAME" or "FAIL fuzz-plant-NAME: why" per target.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
LIMIT=1800
RUNS=500000
TARGETS=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) LIMIT=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	-h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "plant.sh: unknown option $1" >&2; exit 2 ;;
	*) TARGETS+=("$1"); shift ;;
	esac
done
if [ ${#TARGETS[@]} -eq 0 ]; then
	for f in tests/fuzz/*.c; do TARGETS+=("$(basename "$f" .c)"); done
fi
# A path of one length whatever the PID, for the stack's layout (below).
SCRATCH=$(mktemp -d "/tmp/cordon-plant.$(printf %08d $$).XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

target_key() {
	sed -n "s/^ \* fuzz-$2: //p" "tests/fuzz/$1.c" | head -n 1
}

# plant FILE FROM TO: the one replacement, or a message and non-zero.
plant() {
	FROM=$2 TO=$3 perl -0777 -i -pe '
		my ($from, $to) = ($ENV{FROM}, $ENV{TO});
		my $n = () = /\Q$from\E/g;
		if ($n != 1) { print STDERR "the text occurs $n times, not once\n"; exit 3 }
		s/\Q$from\E/$to/;' "$1"
}

# A copy of the tree whose files are older than the copied objects, so the
# scratch build recompiles only the planted file and relinks.
make_scratch() {
	local dir=$1
	mkdir -p "$dir/build/fuzz"
	cp -a Makefile src tests scripts "$dir/"
	cp -a build/fuzz/obj build/fuzz/*.a "$dir/build/fuzz/"
}

failed=0
for name in "${TARGETS[@]}"; do
	test=fuzz-plant-$name
	file=$(target_key "$name" plant)
	from=$(target_key "$name" plant-from)
	to=$(target_key "$name" plant-to)
	if [ -z "$file" ] || [ -z "$from" ] || [ -z "$to" ]; then
		echo "FAIL $test: tests/fuzz/$name.c declares no fuzz-plant, fuzz-plant-from and fuzz-plant-to"
		failed=1; continue
	fi
	if [ ! -x "build/fuzz/$name" ]; then
		echo "FAIL $test: build/fuzz/$name not built (make fuzz)"
		failed=1; continue
	fi
	dir=$SCRATCH/$name
	make_scratch "$dir"
	if ! why=$(plant "$dir/$file" "$from" "$to" 2>&1); then
		echo "FAIL $test: cannot plant in $file: $why (update tests/fuzz/$name.c)"
		failed=1; continue
	fi
	if ! out=$(make -C "$dir" --no-print-directory "build/fuzz/$name" 2>&1); then
		echo "FAIL $test: the planted tree does not build:"; printf '%s\n' "$out" | tail -5 | sed 's/^/  /'
		failed=1; continue
	fi
	mkdir -p "$dir/new" "$dir/found"
	seeds=()
	[ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
	# A per-input timeout far above any input's real cost (milliseconds),
	# so load never turns a slow input into a "finding".
	opts=(-runs="$RUNS" -seed=1 -reload=0 -timeout=120 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$dir/found/")
	[ -f "tests/fuzz/dict/$name.dict" ] && opts+=(-dict="tests/fuzz/dict/$name.dict")
	# shellcheck disable=SC2207
	opts+=($(target_key "$name" options))
	start=$(date +%s)
	# libFuzzer feeds the values a target compares back into its
	# mutations, pointers among them: without address randomization and
	# with a fixed environment, the addresses, and so the run, are the
	# same every time.
	timeout -s KILL "$LIMIT" env -i PATH=/usr/bin:/bin \
		setarch "$(uname -m)" -R nice -n 5 "$dir/build/fuzz/$name" "${opts[@]}" -close_fd_mask=1 \
		"$dir/new" "${seeds[@]}" >"$dir/log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$dir/log" | tail -n 1)
	input=$(find "$dir/found" -type f | head -n 1)
	if [ "$rc" -eq 137 ] && [ -z "$input" ]; then
		echo "FAIL $test: stopped after ${LIMIT}s, before $RUNS runs (a hang, or a far too slow machine)"
		failed=1; continue
	fi
	if [ -z "$input" ]; then
		echo "FAIL $test: no finding in ${runs:-$RUNS} runs (${took}s) with '$to' planted in $file"
		failed=1; continue
	fi
	case $(basename "$input") in
	timeout-*|oom-*|slow-unit-*)
		echo "FAIL $test: $(basename "$input" | cut -d- -f1) after ${runs:-?} runs, not the planted bug"
		failed=1; continue ;;
	esac
	if ! "build/fuzz/$name" "$input" >/dev/null 2>&1; then
		echo "FAIL $test: the input found also fails the real target (a real bug?):"
		mkdir -p build/fuzz/findings && cp "$input" "build/fuzz/findings/" 2>/dev/null
		grep -m2 -E 'ERROR|runtime error|FUZZ_CHECK' "$dir/log" | sed 's/^/  /'
		failed=1; continue
	fi
	kind=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|runtime error: [^:]*|FUZZ_CHECK\([^)]*\)|deadly signal' \
		"$dir/log" || echo finding)
	echo "ok   $test (found at run ${runs:-?} of $RUNS, ${took}s: ${kind:0:70})"
	rm -rf "$dir"
done
exit "$failed"
