# Shared helpers for the shell tests under tests/sh/.  Each test prints
# "ok   NAME" or "FAIL NAME: why"; tests/run.sh counts those lines.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORDON="$TOP/build/cordon"
CORDON_TEST="$TOP/build/cordon-test" # with the test-only hooks (src/sec/test_hooks.h)
GUEST="$TOP/build/guest"
TMP=$(mktemp -d /tmp/cordon-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1: $2"; }
# check NAME CONDITION-COMMAND...: pass when the command succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "$*"; fi; }
# skip_unless_guest: the boot tests need build/guest (made by `make guest`).
have_guest() { [ -f "$GUEST/vmlinuz" ] && [ -f "$GUEST/initrd.img" ]; }
# show_tail FILE: the end of a console log or stderr, indented so that
# tests/run.sh shows it under the FAIL line.
show_tail() {
	echo "  --- last lines of $(basename "$1"):"
	tr -d '\r' <"$1" | tail -n 15 | sed 's/^/  | /'
}

# shell_session NAME COMMAND EXPECT OPTIONS...: boots build/guest with
# `cordon run OPTIONS` (give --append without cordon.run/cmd: /init then
# starts its interactive shell on the console) and stdin a fifo the test
# holds open, so cordon sees a pipe, not a terminal.  Once /init says the
# shell is starting, types COMMAND, waits up to 120 s for the whole line
# EXPECT on stdout, then types 'reboot -f'.  Sets session_rc (cordon's exit
# status) and session_got (0 EXPECT seen, 1 not seen, 2 no shell); stdout
# is in $TMP/NAME.txt (CRs removed), stderr in $TMP/NAME.err.
shell_session() {
	local name=$1 command=$2 expect=$3 fifo="$TMP/$1.in" pid
	shift 3
	mkfifo "$fifo"
	: >"$TMP/$name.out" # exists before cordon's redirection (which waits for the fifo)
	timeout "${BOOT_TIMEOUT:-600}" "$CORDON" run --kernel "$GUEST/vmlinuz" \
		--initrd "$GUEST/initrd.img" "$@" <"$fifo" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	exec 3>"$fifo" # opening for writing unblocks cordon's open of stdin
	session_got=2
	if session_wait "$name" "$pid" 'cordon-guest: interactive shell; exit it to reboot' \
		"${BOOT_TIMEOUT:-600}"; then
		sleep 3 # let the shell reach its prompt: input before that may be lost
		echo "$command" >&3
		session_got=1
		session_wait "$name" "$pid" "$expect" 120 && session_got=0
		echo 'reboot -f' >&3
	fi
	wait "$pid"
	session_rc=$?
	exec 3>&-
	tr -d '\r' <"$TMP/$name.out" >"$TMP/$name.txt"
}

# session_wait NAME PID LINE SECONDS: polls NAME's stdout for a whole line
# while PID runs.
session_wait() {
	local deadline=$((SECONDS + $4))
	while [ $SECONDS -lt $deadline ]; do
		tr -d '\r' <"$TMP/$1.out" | grep -qx -- "$3" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

# expect_refusal NAME WORD ARGS...: `cordon run --serial none ARGS` fails
# cleanly (non-zero, below 124) with one error line naming WORD.
expect_refusal() {
	local name=$1 word=$2; shift 2
	timeout 60 "$CORDON" run --serial none "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	local rc=$?
	# A usage hint ("Try 'cordon run --help'.") may follow the error line.
	local lines
	lines=$(grep -cv "^Try 'cordon" "$TMP/err")
	if [ "$rc" -eq 0 ]; then
		fail "$name" "exit 0, expected an error"
	elif [ "$rc" -eq 124 ]; then
		fail "$name" "timed out instead of refusing"
	elif [ "$rc" -ge 128 ]; then
		fail "$name" "crashed (exit $rc): $(head -3 "$TMP/err")"
	elif ! grep -qF -- "$word" "$TMP/err"; then
		fail "$name" "stderr does not name '$word': $(head -3 "$TMP/err")"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "expected one error line, got $lines: $(head -3 "$TMP/err")"
	else
		pass "$name"
	fi
}
