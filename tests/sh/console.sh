#!/usr/bin/env bash
# `cordon console VM --state-dir DIR`: the operator's terminal on a
# supervised VM's serial console, through the supervisor.  One `cordon up`
# with a Debian guest that gives a shell on its console (ops) and a tiny
# Multiboot guest with `serial none` (mute):
#
#   - refusals: an unknown VM, a VM with serial none, a caller of another
#     uid (the supervisor's own check, with the state directory opened for
#     the test), and, at the end, a VM that has stopped;
#   - a scripted attach (stdin a pipe) runs a command in the guest and
#     reads its output, which also reaches the console log; cordon's own
#     lines name the VM and its label before and after;
#   - a second attach while one is attached is refused; Ctrl-A d detaches
#     the first and the VM keeps running; a new attach works;
#   - on a terminal (under script(1)) the title is set to "VM (LABEL)" and
#     the terminal's settings are the same after a detach and after a
#     SIGTERM as before;
#   - Ctrl-A x stops the VM (as `cordon stop` does) and detaches;
#   - every attach, refusal and detach is one audit record with the
#     caller's uid and pid; the log verifies.
source "$(dirname "$0")/../lib.sh"

SPIN="$TOP/build/tests/guest-spin.elf"
if [ ! -x "$CORDON" ] || ! have_guest || [ ! -e "$SPIN" ]; then
	fail console-prerequisites "$CORDON, $SPIN or the guest in $GUEST is missing"
	exit 0
fi
cd "$TMP" || exit 1
S="$TMP/st"
cat >con.sys <<EOF
levels UNCLASSIFIED < SECRET
vm ops {
	label SECRET
	memory 128M
	kernel "$GUEST/vmlinuz"
	initrd "$GUEST/initrd.img"
	append "console=ttyS0 noapic nolapic acpi=off quiet"
	serial log
}
vm mute {
	label UNCLASSIFIED
	memory 16M
	kernel "$SPIN"
	serial none
}
EOF
"$CORDON" up con.sys --state-dir "$S" >up.out 2>&1 </dev/null &
up=$!
LOG="$S/logs/SECRET/ops.console"
deadline=$((SECONDS + 300))
until [ -f "$LOG" ] && tr -d '\r' <"$LOG" | grep -q 'interactive shell'; do
	if [ $SECONDS -ge $deadline ] || ! kill -0 $up 2>/dev/null; then
		fail console-guest-shell "no shell on the guest's console"
		show_tail up.out
		kill $up 2>/dev/null
		exit 0
	fi
	sleep 1
done
sleep 3 # let the shell reach its prompt

con() { "$CORDON" console "$@" --state-dir "$S"; }
# records SUBJECT MODE DECISION: audit records about console:ops
records() { grep -F "\"subject\":\"$1\",\"object\":\"console:ops\"," "$S/audit.log" | grep -cF "\"mode\":\"$2\",\"decision\":\"$3\","; }
UID_=$(id -u)

# --- refusals -------------------------------------------------------------------

con nosuch </dev/null >o 2>e
check console-unknown-vm-exit-1 [ $? = 1 ]
check console-unknown-vm-message grep -qxF "cordon console: no vm named 'nosuch'" e
con mute </dev/null >o 2>e
check console-serial-none-exit-1 [ $? = 1 ]
check console-serial-none-message grep -qxF "cordon console: vm 'mute' has no serial console (serial none)" e

# --- a scripted attach --------------------------------------------------------------

printf 'echo CON$((6*7))\n' >cmds
"$CORDON" console ops --state-dir "$S" <cmds >out1 2>err1 &
c1=$! # cordon's own pid: the audit records name it
wait $c1
rc=$?
tr -d '\r' <out1 >out1.txt
check console-scripted-exit-0 [ "$rc" = 0 ]
check console-scripted-output grep -qx 'CON42' out1.txt
check console-output-also-in-log bash -c "tr -d '\r' <'$LOG' | grep -qx CON42"
check console-banner-before bash -c "head -1 err1 | grep -qxF 'cordon: attached to vm ops (SECRET)'"
check console-banner-after bash -c "tail -1 err1 | grep -qxF 'cordon: detached from vm ops (SECRET)'"
check console-attach-audited [ "$(records "operator uid $UID_ pid $c1" attach allow)" = 1 ]
check console-detach-audited [ "$(records "operator uid $UID_ pid $c1" detach allow)" = 1 ]

# --- one operator at a time; Ctrl-A d ------------------------------------------------

mkfifo keys
"$CORDON" console ops --state-dir "$S" <keys >out2 2>err2 &
c2=$!
exec 3>keys
deadline=$((SECONDS + 20))
while [ "$(records "operator uid $UID_ pid $c2" attach allow)" != 1 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
"$CORDON" console ops --state-dir "$S" </dev/null >o 2>e &
c3=$!
wait $c3
rc=$?
check console-second-attach-refused [ "$rc" = 1 ]
check console-second-attach-message grep -qxF "cordon console: vm 'ops' already has an operator attached (operator uid $UID_ pid $c2)" e
check console-second-attach-audited [ "$(records "operator uid $UID_ pid $c3" attach deny)" = 1 ]
printf 'echo STILL$((1+1))\n' >&3
deadline=$((SECONDS + 30))
until tr -d '\r' <out2 | grep -qx STILL2 || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
printf '\001d' >&3
wait $c2
rc=$?
exec 3>&-
check console-ctrl-a-d-exit-0 [ "$rc" = 0 ]
check console-ctrl-a-d-output bash -c "tr -d '\r' <out2 | grep -qx STILL2"
check console-ctrl-a-d-detached bash -c "tail -1 err2 | grep -qxF 'cordon: detached from vm ops (SECRET)'"
check console-vm-runs-on bash -c "'$CORDON' ps --state-dir '$S' | grep -q '^ops .*running'"
printf 'echo AGAIN$((2+3))\n' | con ops >out4 2>/dev/null
check console-attach-again bash -c "tr -d '\r' <out4 | grep -qx AGAIN5"

# --- another uid -------------------------------------------------------------------

# The state directory is the first wall (0700); open it (and the test's
# directory above it) to reach the supervisor's own check on the uid.
chmod 0711 "$TMP" "$S" && chmod 0666 "$S/control"
setpriv --reuid=65534 --regid=65534 --clear-groups "$CORDON" console ops --state-dir "$S" </dev/null >o 2>e
rc=$?
chmod 0700 "$TMP" "$S" && chmod 0600 "$S/control"
check console-other-uid-refused [ "$rc" = 1 ]
check console-other-uid-message grep -qxF "cordon console: permission denied" e
check console-other-uid-audited bash -c "grep -F '\"subject\":\"operator uid 65534\",\"object\":\"control\"' '$S/audit.log' | grep -qF '\"decision\":\"deny\"'"

# --- on a terminal ---------------------------------------------------------------------

# script(1) gives cordon a pty: raw mode, the title, the settings restored.
(sleep 2; printf 'echo PTY$((3*3))\r'; sleep 3; printf '\001d') |
	script -qec "stty -g >tty.before; '$CORDON' console ops --state-dir '$S'; stty -g >tty.after" pty.log >/dev/null 2>&1
check console-tty-title grep -qF $'\033]0;ops (SECRET)\007' pty.log
check console-tty-output grep -q 'PTY9' pty.log
check console-tty-restored-after-detach bash -c "[ -s tty.before ] && cmp -s tty.before tty.after"
# script(1) types ^D into the pty at the end of its input, which would end
# the guest's shell: the input outlasts cordon.
sleep 5 | script -qec "stty -g >tty.before; timeout --foreground -s TERM 2 '$CORDON' console ops --state-dir '$S'; stty -g >tty.after" pty2.log >/dev/null 2>&1
check console-tty-restored-after-sigterm bash -c "[ -s tty.before ] && cmp -s tty.before tty.after"

# --- a stopped VM ----------------------------------------------------------------------

# Ctrl-A x stops the VM as `cordon stop` does (this guest has acpi=off and
# ignores the power button: killed after the grace period) and detaches.
printf '\001x' | con ops >o 2>e
check console-ctrl-a-x-exit-0 [ $? = 0 ]
check console-ctrl-a-x-detached bash -c "tail -1 e | grep -qxF 'cordon: detached from vm ops (SECRET)'"
deadline=$((SECONDS + 90))
until grep -q '^cordon: vm ops: ' up.out && ! "$CORDON" ps --state-dir "$S" | grep -q '^ops .*\(running\|stopping\)' || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
check console-ctrl-a-x-stopped bash -c "! '$CORDON' ps --state-dir '$S' | grep -q '^ops .*\(running\|stopping\)'"
con ops </dev/null >o 2>e
check console-stopped-vm-exit-1 [ $? = 1 ]
check console-stopped-vm-message grep -qxF "cordon console: vm 'ops' is not running" e

"$CORDON" down --state-dir "$S" >/dev/null 2>&1
wait $up
check console-audit-verifies "$CORDON" audit verify "$S/audit.log"
n_attach=$(grep -cF '"object":"console:ops","subject_label":"","object_label":"SECRET","mode":"attach","decision":"allow"' "$S/audit.log")
n_detach=$(grep -cF '"object":"console:ops","subject_label":"","object_label":"SECRET","mode":"detach","decision":"allow"' "$S/audit.log")
check console-every-attach-detached bash -c "[ '$n_attach' -ge 5 ] && [ '$n_attach' = '$n_detach' ]"
