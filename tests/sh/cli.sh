#!/usr/bin/env bash
# The command-line front end: help, version, and that every bad option or
# value is refused with exit status 2 and a message naming it.
source "$(dirname "$0")/../lib.sh"

if [ ! -x "$CORDON" ]; then
	fail cli-binary "$CORDON was not built"
	exit 0
fi

# run_cordon ARGS...: sets $out (stdout), $err (stderr) and $rc.
run_cordon() {
	"$CORDON" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# expect_ok NAME WORD ARGS...: exit 0 and WORD on stdout.
expect_ok() {
	local name=$1 word=$2; shift 2
	run_cordon "$@"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc, expected 0 (stderr: $err)"
	elif ! grep -qF -- "$word" <<<"$out"; then
		fail "$name" "stdout lacks '$word'"
	else
		pass "$name"
	fi
}

# expect_usage_error NAME WORD ARGS...: exit 2, WORD on stderr, nothing on stdout.
expect_usage_error() {
	local name=$1 word=$2; shift 2
	run_cordon "$@"
	if [ "$rc" -ne 2 ]; then
		fail "$name" "exit $rc, expected 2 (stderr: $err)"
	elif ! grep -qF -- "$word" <<<"$err"; then
		fail "$name" "stderr lacks '$word': $err"
	elif [ -n "$out" ]; then
		fail "$name" "unexpected stdout: $out"
	else
		pass "$name"
	fi
}

expect_ok cli-help "cordon run" --help
expect_ok cli-help-short "--kernel" -h
expect_ok cli-help-word "Usage" help
expect_ok cli-run-help "--memory SIZE" run --help
expect_ok cli-run-help-flags "gets console=ttyS0" run -h
expect_ok cli-help-run "--serial" help run
expect_ok cli-help-disk "create" help disk
expect_ok cli-disk-help "passwd" disk --help
# cordon help COMMAND is that command's own --help, for every command a
# user runs (monitor, switch, relay and guard are started by cordon up).
for c in run disk audit up ps stop down media console transfer; do
	run_cordon "$c" --help
	own=$out own_rc=$rc
	run_cordon help "$c"
	if [ "$rc" -eq 0 ] && [ "$own_rc" -eq 0 ] && [ -n "$out" ] && [ "$out" = "$own" ]; then
		pass "cli-help-$c-is-its-own"
	else
		fail "cli-help-$c-is-its-own" "exit $rc (--help: $own_rc), or its text differs"
	fi
done

run_cordon --version
if [ "$rc" -eq 0 ] && [ "$out" = "cordon 0.1.0" ]; then
	pass cli-version
else
	fail cli-version "exit $rc, stdout '$out'"
fi

expect_usage_error cli-no-command "Usage"
expect_usage_error cli-unknown-command "'frobnicate'" frobnicate
expect_usage_error cli-unknown-command-hint "cordon --help" frobnicate
expect_usage_error cli-help-unknown-command "'frobnicate'" help frobnicate
expect_usage_error cli-missing-kernel "--kernel" run --initrd i
expect_usage_error cli-unknown-option "'--bogus'" run --kernel k --bogus
expect_usage_error cli-option-needs-value "--initrd" run --kernel k --initrd
expect_usage_error cli-memory-not-size "'lots'" run --kernel k --memory lots
expect_usage_error cli-memory-too-small "'8M'" run --kernel k --memory 8M
expect_usage_error cli-memory-too-small-range "16M .. 3G" run --kernel k --memory 8M
expect_usage_error cli-memory-too-big "'4G'" run --kernel k --memory=4G
expect_usage_error cli-serial-bad "'pty'" run --kernel k --serial pty
expect_usage_error cli-serial-empty-file "'file:'" run --kernel k --serial file:
expect_usage_error cli-engine-unknown "'warp'" run --kernel k --engine warp
expect_usage_error cli-stray-argument "'extra'" run --kernel k extra

# A kernel that is not there: refused before the guest starts, path named.
run_cordon run --kernel /nonexistent/vmlinuz --serial none
if [ "$rc" -eq 0 ]; then
	fail cli-kernel-missing "exit 0 for a missing kernel"
elif ! grep -qF /nonexistent/vmlinuz <<<"$err"; then
	fail cli-kernel-missing "stderr does not name the path: $err"
else
	pass cli-kernel-missing
fi

# Not a kernel at all: refused with a message, not a crash or a hang.
echo not-a-kernel >"$TMP/k"
run_cordon run --kernel "$TMP/k" --serial none
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -n "$err" ]; then
	pass cli-bad-kernel-fails
else
	fail cli-bad-kernel-fails "exit $rc, stderr '$err'"
fi

# On a terminal: Ctrl-A x quits with status 0, and the terminal settings
# (canonical mode, echo, signals) are back afterwards.  Needs a guest that
# runs long enough to be quit, and script(1) for the pseudo-terminal.
if ! have_guest || ! command -v script >/dev/null 2>&1; then
	echo "SKIP cli-tty-quit-restores: no build/guest or no script(1)"
else
	(sleep 2; printf '\001x'; sleep 5) |
		timeout 60 script -qec "'$CORDON' run --kernel '$GUEST/vmlinuz' --initrd '$GUEST/initrd.img' \
			--append 'console=ttyS0 noapic nolapic acpi=off' >/dev/null; echo \"rc=\$?\"; stty -a" \
			/dev/null >"$TMP/tty" 2>&1
	tr -d '\r' <"$TMP/tty" >"$TMP/tty.txt"
	if ! grep -q '^rc=0$' "$TMP/tty.txt"; then
		fail cli-tty-quit-restores "Ctrl-A x did not exit 0: $(tail -3 "$TMP/tty.txt")"
	elif ! grep -q 'cordon: quit' "$TMP/tty.txt"; then
		fail cli-tty-quit-restores "no 'cordon: quit' message"
	elif grep -qE -- '(^| )-(icanon|echo|isig)( |$)' "$TMP/tty.txt"; then
		fail cli-tty-quit-restores "terminal left in raw mode: $(grep -oE -- '-(icanon|echo|isig)' "$TMP/tty.txt" | tr '\n' ' ')"
	else
		pass cli-tty-quit-restores
	fi
fi
