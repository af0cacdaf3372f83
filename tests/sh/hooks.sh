#!/usr/bin/env bash
# Test hooks stay out of production (src/sec/test_hooks.h): build/cordon
# holds no trace of them, while build/cordon-test, built from the same
# sources with -DCORDON_TEST_HOOKS, does (so the check can fail); the
# production binary ignores the hooks' variables; and the supervisor
# builds no string with strcpy or strcat.
source "$(dirname "$0")/../lib.sh"

for f in "$CORDON" "$CORDON_TEST" "$TOP/build/tests/guest-hello.elf"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		fail hooks-prerequisites "$f is missing (make test builds it)"
		exit 0
	fi
done

check hooks-none-in-cordon bash -c "! strings '$CORDON' | grep -q CORDON_TEST_"
check hooks-in-cordon-test bash -c "strings '$CORDON_TEST' | grep -q CORDON_TEST_SANDBOX_ESCAPE"
check hooks-monitor-hook-in-cordon-test bash -c "strings '$CORDON_TEST' | grep -q CORDON_TEST_MONITOR_ESCAPE"

# With the variable set, the test build's hook fires and production's does not.
run_hello() {
	CORDON_TEST_SANDBOX_ESCAPE=1 timeout 60 "$1" run --kernel "$TOP/build/tests/guest-hello.elf" \
		--memory 32M --serial none </dev/null >/dev/null 2>"$TMP/$2.err"
	echo $? >"$TMP/$2.rc"
}
run_hello "$CORDON_TEST" test
run_hello "$CORDON" prod
check hooks-fire-in-cordon-test grep -q 'sandbox test hook: open(/etc/passwd) succeeded' "$TMP/test.err"
check hooks-silent-in-cordon bash -c "! grep -q 'sandbox test hook' '$TMP/prod.err'"
check hooks-same-exit [ "$(cat "$TMP/prod.rc")" = "$(cat "$TMP/test.rc")" ]

check hooks-no-strcpy-in-supervisor bash -c "! grep -nE '\\<(strcpy|strcat)\\>' '$TOP'/src/super/*.c"
