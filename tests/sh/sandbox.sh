#!/usr/bin/env bash
# `cordon run --sandbox` (src/sec/sandbox.c, docs/sandbox.md):
#   1. two sandboxed guests on one --net link: the first also has a disk
#      and an hvc log; it prints a computed line, writes the disk with a
#      flush, writes hvc0, and both ping each other (the first accepts its
#      peer while sandboxed).  Both exit 0.
#   2. CORDON_TEST_SANDBOX_ESCAPE=20 makes the run loop of the test build
#      (build/cordon-test) call open() after 20 slices: under --sandbox it
#      dies of SIGSYS (status 159) before the guest prints anything and the
#      hook never reports an open.
#   3. the same variable without --sandbox: the open succeeds (the hook says
#      so) and the guest runs to the end; and a sandboxed boot of the same
#      command by build/cordon, which has no hook, with the variable set,
#      ends with the same status and the same guest lines.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
BASE_APPEND='console=ttyS0 noapic nolapic acpi=off'
CMD_APPEND="$BASE_APPEND cordon.cmd=\"echo sandboxed-\$((6*7))\""

if [ ! -x "$CORDON" ] || [ ! -x "$CORDON_TEST" ] || ! have_guest; then
	fail sandbox-prerequisites "$CORDON, $CORDON_TEST or the guest in $GUEST is missing (run 'make guest')"
	exit 0
fi
cd "$TMP" || exit 1

# boot NAME APPEND [cordon options...]: runs one guest with $BIN (default
# build/cordon); its exit status goes to NAME.rc, the console (CRs
# removed) to NAME.txt, stderr to NAME.err.  The subshell keeps bash's
# "Bad system call" notice out of the output.
boot() {
	local name=$1 append=$2
	shift 2
	(timeout "$BOOT_TIMEOUT" "${BIN:-$CORDON}" run --kernel "$GUEST/vmlinuz" \
		--initrd "$GUEST/initrd.img" --append "$append" "$@" \
		>"$name.out" 2>"$name.err" </dev/null
	 echo $? >"$name.rc") 2>/dev/null
	tr -d '\r' <"$name.out" >"$name.txt"
}
has_line() { grep -qxF -- "$2" "$1.txt"; }
# expect NAME TEST-NAME CONDITION...: like check, plus the logs on failure.
expect() {
	local name=$1 t=$2
	shift 2
	if "$@"; then pass "$t"; else
		fail "$t" "$* (exit $(cat "$name.rc"))"
		show_tail "$name.txt"
		show_tail "$name.err"
	fi
}
# Under root every layer applies; elsewhere the skipped ones are listed.
no_skips() { [ "$(id -u)" != 0 ] || ! grep -q 'sandbox: not applied' "$1.err"; }

# --- 1. two sandboxed guests: disk, hvc, and a network peer -------------------

truncate -s 16M disk.img
: >hvc.log
a_cmd="echo sandboxed-\$((6*7)); echo disk-ok | dd of=/dev/vda conv=fsync 2>/dev/null; echo hvc-ok >/dev/hvc0; CORDON_PING_LINGER=5 cordon-ping"
boot a "$BASE_APPEND quiet cordon.ip=10.0.3.1/24 cordon.peer=10.0.3.2 cordon.cmd=\"$a_cmd\"" \
	--sandbox --disk disk.img --hvc file:hvc.log --net "socket:$TMP/link" &
pa=$!
sleep 5 # a is sandboxed and listening: b's connection is accepted under the filter
boot b "$BASE_APPEND quiet cordon.ip=10.0.3.2/24 cordon.peer=10.0.3.1 cordon.run=ping" \
	--sandbox --net "socket:$TMP/link" &
pb=$!
wait "$pa" "$pb"
expect a sandbox-exit-0 [ "$(cat a.rc)" = 0 ]
expect a sandbox-computed-line has_line a sandboxed-42
expect a sandbox-disk-written-and-flushed [ "$(head -c 7 disk.img)" = disk-ok ]
expect a sandbox-hvc-log grep -q '^hvc-ok' hvc.log
expect a sandbox-net-accepts-peer has_line a 'cordon-guest: ping 10.0.3.2 ok'
expect b sandbox-net-peer-exit-0 [ "$(cat b.rc)" = 0 ]
expect b sandbox-net-connects has_line b 'cordon-guest: ping 10.0.3.1 ok'
expect a sandbox-all-layers-as-root no_skips a

# --- 2. the escape hook under the sandbox -----------------------------------

BIN=$CORDON_TEST CORDON_TEST_SANDBOX_ESCAPE=20 boot escape "$CMD_APPEND" --sandbox
expect escape sandbox-escape-killed-by-sigsys [ "$(cat escape.rc)" = 159 ]
expect escape sandbox-escape-guest-stopped eval '! has_line escape sandboxed-42'
expect escape sandbox-escape-no-open eval '! grep -q "open(/etc/passwd) succeeded" escape.err'

# --- 3. the same without the sandbox, and a sandboxed twin --------------------

BIN=$CORDON_TEST CORDON_TEST_SANDBOX_ESCAPE=20 boot plain "$CMD_APPEND" &
pp=$!
CORDON_TEST_SANDBOX_ESCAPE=20 boot twin "$CMD_APPEND" --sandbox & # no hook in build/cordon
pt=$!
wait "$pp" "$pt"
expect plain sandbox-hook-open-works-unsandboxed grep -q 'open(/etc/passwd) succeeded' plain.err
expect plain sandbox-hook-harmless-unsandboxed [ "$(cat plain.rc)" = 0 ]
expect plain sandbox-hook-guest-finishes has_line plain sandboxed-42
# Guest lines (not the kernel's timing-dependent log) and the status match.
guest_lines() { grep -E '^(cordon-guest: |sandboxed-)' "$1.txt"; }
expect twin sandbox-same-status [ "$(cat twin.rc)" = "$(cat plain.rc)" ]
expect twin sandbox-same-guest-output [ "$(guest_lines twin)" = "$(guest_lines plain)" ]
expect twin sandbox-twin-ran has_line twin sandboxed-42
