#!/usr/bin/env bash
# The short fuzzing slice of `make test`: every libFuzzer target under
# tests/fuzz/ (built by `make test` into build/fuzz/) runs for
# FUZZ_SLICE_SECONDS (default 20) on its committed seeds plus the inputs it
# finds; any crash, sanitizer report, leak or timeout fails it, and the
# input is kept in build/fuzz/findings/NAME/.  Long campaigns: make fuzz
# FUZZ_SECONDS=N (docs/testing.md).
source "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
tests/fuzz/run.sh --slice --seconds "${FUZZ_SLICE_SECONDS:-20}"
exit 0 # the FAIL lines carry the verdict
