#!/usr/bin/env bash
# The security kernel end to end: `cordon up` (the supervisor), one
# sandboxed monitor per VM, the reference monitor's decisions and the audit
# log, `cordon ps / stop / down / media sanitize`.  docs/security-model.md
# maps each channel to the cases here.
#
#   1. bad input: malformed system files start nothing; a state directory
#      others can enter, a missing supervisor, a missing --state-dir.
#   2. denials (tiny multiboot guests): read up, read-down with the policy
#      off, read-write across labels, a world-readable image -- each VM
#      refused with exactly one audit record, while an allowed VM runs
#      sandboxed (its own uid, only its own descriptors) until `cordon stop`.
#   3. examples/two-labels.sys with the Debian guest: each VM writes its own
#      disk; the SECRET one reads an UNCLASSIFIED disk read-only (read-down
#      allowed, one audit record) and cannot write it; its media floats up
#      (one record); console logs are 0600 in per-label 0700 directories
#      and the UNCLASSIFIED monitor holds no descriptor of SECRET files.
#      Then the floated media is refused to an UNCLASSIFIED VM (one record)
#      until `cordon media sanitize` zero-fills it (one record).
#   4. fault isolation: one VM triple-faults, one is killed by the sandbox
#      (SIGSYS, test hook), one is stopped by the operator, and the Debian
#      guest beside them writes a LUKS disk the supervisor unlocked (read
#      back with qemu-img); media sanitize through the running supervisor.
#   5. a monitor killed with SIGKILL is reported and audited while the
#      other VM runs on; `cordon down` stops it and the supervisor.
source "$(dirname "$0")/../lib.sh"

SPIN="$TOP/build/tests/guest-spin.elf"
TRIPLE="$TOP/build/tests/guest-triple.elf"
HELLO="$TOP/build/tests/guest-hello.elf"
for f in "$CORDON" "$CORDON_TEST" "$SPIN" "$TRIPLE" "$HELLO"; do
	if [ ! -e "$f" ]; then
		fail supervisor-prerequisites "$f is missing (make test builds it)"
		exit 0
	fi
done
cd "$TMP" || exit 1

HEADER='levels UNCLASSIFIED < CONFIDENTIAL < SECRET
categories NATO
policy blp on'

# mksys NAME: the system file NAME.sys from HEADER and stdin.
mksys() { { echo "$HEADER"; cat; } >"$1.sys"; }

# up_bg NAME [env...]: starts `cordon up NAME.sys --state-dir NAME.state`
# (with $BIN, default build/cordon) in the background; its pid in UP_PID,
# output in NAME.out / NAME.err.
up_bg() {
	local name=$1
	shift
	env "$@" "${BIN:-$CORDON}" up "$name.sys" --state-dir "$TMP/$name.state" \
		>"$name.out" 2>"$name.err" </dev/null &
	UP_PID=$!
}
# up_wait NAME SECONDS: waits for the background supervisor; sets UP_RC.
up_wait() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$UP_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
	if kill -0 "$UP_PID" 2>/dev/null; then
		kill -9 "$UP_PID"
		UP_RC=timeout
	else
		wait "$UP_PID"
		UP_RC=$?
	fi
}

# records STATE SUBJECT OBJECT MODE DECISION: how many audit records match.
records() {
	grep -F "\"subject\":\"$2\",\"object\":\"$3\"," "$1/audit.log" 2>/dev/null |
		grep -cF "\"mode\":\"$4\",\"decision\":\"$5\","
}
# one_record NAME STATE SUBJECT OBJECT MODE DECISION: exactly one.
one_record() {
	local t=$1 n
	shift
	n=$(records "$@")
	if [ "$n" = 1 ]; then pass "$t"; else fail "$t" "$n records $* in $1/audit.log"; fi
}
# wait_record STATE SECONDS SUBJECT OBJECT MODE DECISION
wait_record() {
	local st=$1 deadline=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		[ "$(records "$st" "$@")" -ge 1 ] && return 0
		sleep 0.5
	done
	return 1
}
# monitor_pid STATE VM: the monitor's pid from `cordon ps --json`.
monitor_pid() {
	"$CORDON" ps --json --state-dir "$1" |
		grep -o "\"name\":\"$2\",\"label\":\"[^\"]*\",\"state\":\"running\",\"pid\":[0-9]*" |
		grep -o '[0-9]*$'
}
verify_log() { "$CORDON" audit verify "$1/audit.log" >/dev/null 2>&1; }
raw_image() { truncate -s 1M "$1" && chmod 600 "$1"; }

# --- 1. bad input ---------------------------------------------------------------

bad_system() { # NAME EXPECTED-MESSAGE: NAME.sys must be refused, nothing started
	local t=$1 msg=$2 rc
	"$CORDON" up "$t.sys" --state-dir "$TMP/$t.state" >"$t.out" 2>"$t.err" </dev/null
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$t.sys:" "$t.err" && grep -qF -- "$msg" "$t.err" &&
		[ ! -e "$TMP/$t.state" ]; then
		pass "supervisor-$t"
	else
		fail "supervisor-$t" "exit $rc, stderr: $(cat "$t.err"), state dir: $(ls -d "$TMP/$t.state" 2>&1)"
	fi
}
mksys bad-level <<EOF
vm a {
	label SECRT
	kernel "$SPIN"
}
EOF
bad_system bad-level "unknown level 'SECRT'"
mksys bad-category <<EOF
vm a {
	label SECRET:COSMIC
	kernel "$SPIN"
}
EOF
bad_system bad-category "category 'COSMIC' is not declared"
mksys bad-duplicate-vm <<EOF
vm a {
	label SECRET
	kernel "$SPIN"
}
vm a {
	label UNCLASSIFIED
	kernel "$SPIN"
}
EOF
bad_system bad-duplicate-vm "duplicate vm 'a'"
mksys bad-disk-two-labels <<EOF
disk d {
	file "d.img"
	label SECRET
}
disk d {
	file "d.img"
	label UNCLASSIFIED
}
vm a {
	label SECRET
	kernel "$SPIN"
}
EOF
bad_system bad-disk-two-labels "disk 'd' is declared twice"

mkdir -m 0755 open.state
mksys fine <<EOF
vm a {
	label SECRET
	kernel "$SPIN"
}
EOF
"$CORDON" up fine.sys --state-dir "$TMP/open.state" >/dev/null 2>open.err
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "mode 0755" open.err && [ ! -e open.state/audit.log ]; then
	pass supervisor-state-dir-mode
else
	fail supervisor-state-dir-mode "exit $rc, stderr: $(cat open.err)"
fi
"$CORDON" ps --state-dir "$TMP/nowhere" >/dev/null 2>ps.err
rc=$?
check supervisor-ps-without-supervisor [ "$rc" -eq 1 ] && grep -qF "no supervisor is running" ps.err
"$CORDON" up fine.sys >/dev/null 2>nodir.err
rc=$?
check supervisor-needs-state-dir [ "$rc" -eq 2 ] && grep -qF -- "--state-dir DIR is required" nodir.err

# --- 2. denials, and an allowed VM in its sandbox --------------------------------

raw_image u.img
raw_image s.img
raw_image open.img
chmod 644 open.img
mksys deny <<EOF
policy read-down off
disk udisk {
	file "u.img"
	label UNCLASSIFIED
}
disk sdisk {
	file "s.img"
	label SECRET
}
disk openimg {
	file "open.img"
	label UNCLASSIFIED
}
vm low {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk sdisk readonly
}
vm high {
	label SECRET
	kernel "$SPIN"
	disk udisk readonly
}
vm writer {
	label SECRET
	kernel "$SPIN"
	disk udisk
}
vm loose {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk openimg
}
vm ok {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk udisk
}
EOF
S="$TMP/deny.state"
up_bg deny
if wait_record "$S" 30 ok monitor start start; then
	pass supervisor-allowed-vm-starts
else
	fail supervisor-allowed-vm-starts "no start record; $(cat deny.out deny.err)"
fi
one_record supervisor-deny-read-up "$S" low disk:sdisk read deny
one_record supervisor-deny-read-down-policy-off "$S" high disk:udisk read deny
one_record supervisor-deny-rw-cross-label "$S" writer disk:udisk read-write deny
check supervisor-denied-vms-refused grep -q "vm low: not started: disk sdisk (SECRET) read: denied: BLP: no read up" deny.out
check supervisor-world-readable-image-refused grep -q "vm loose: not started: disk openimg: .*mode 0644.*chmod 600" deny.out
sleep 1
pid=$(monitor_pid "$S" ok)
if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
	seccomp=$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")
	fds=$(ls -l "/proc/$pid/fd" | awk 'NR > 1 { print $NF }' | sort | tr '\n' ' ')
	# Its own uid: MONITOR_UID_BASE + its place in the system file (5th).
	check supervisor-monitor-own-uid [ "$uid" = 2000000004 ]
	check supervisor-monitor-seccomp [ "$seccomp" = 2 ]
	# Its name travels in the start-up message, not on its command line.
	check supervisor-monitor-argv-without-vm-name [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "cordon monitor " ]
	# /dev/null twice, the stderr pipe, its disk, its console log and the
	# operator console's socket (to the supervisor): nothing else.
	if [ "$(ls "/proc/$pid/fd" | wc -l)" -eq 6 ] && grep -qF "$TMP/u.img" <<<"$fds" &&
		grep -qF "UNCLASSIFIED/ok.console" <<<"$fds" && [ "$(grep -o 'socket:' <<<"$fds" | wc -l)" = 1 ] &&
		! grep -qF s.img <<<"$fds"; then
		pass supervisor-monitor-fds-only-granted
	else
		fail supervisor-monitor-fds-only-granted "fds: $fds"
	fi
else
	fail supervisor-monitor-running "no pid for vm ok: $("$CORDON" ps --state-dir "$S" 2>&1)"
fi
ps_out=$("$CORDON" ps --state-dir "$S" 2>&1)
check supervisor-ps-lists-states grep -qE '^ok +UNCLASSIFIED +running' <<<"$ps_out"
check supervisor-ps-lists-refused grep -qE '^writer +SECRET +refused' <<<"$ps_out"
"$CORDON" stop nosuch --state-dir "$S" >/dev/null 2>stop.err
check supervisor-stop-unknown-vm grep -qF "no vm named 'nosuch'" stop.err
"$CORDON" stop ok --state-dir "$S" >/dev/null 2>stop.err
up_wait deny 20
if [ "$UP_RC" = 1 ] && grep -q "vm ok: stopped by the operator" deny.out; then
	pass supervisor-stop-ends-vm-and-supervisor
else
	fail supervisor-stop-ends-vm-and-supervisor "up exit $UP_RC; $(tail -3 deny.out) $(cat stop.err)"
fi
one_record supervisor-stop-audited "$S" "operator uid $(id -u)" ok stop allow
check supervisor-deny-log-verifies verify_log "$S"

# --- 3. the example with the Debian guest -------------------------------------------

if ! have_guest; then
	fail supervisor-guest "the guest in $GUEST is missing (run 'make guest')"
	exit 0
fi
EX="$TMP/ex"
"$TOP/scripts/mkexample.sh" "$EX" || fail supervisor-example-images "mkexample.sh failed"
# The example names ../build/...: point it at the guest and at our images.
sed -e "s|\"../build/demo/|\"$EX/|" -e "s|\"../build/guest/|\"$GUEST/|" \
	"$TOP/examples/two-labels.sys" >example.sys
S="$TMP/example.state"
up_bg example
SECRET_LOG="$S/logs/SECRET.NATO@LOW/secret.console"
PUBLIC_LOG="$S/logs/UNCLASSIFIED@LOW/public.console"
if wait_record "$S" 30 secret monitor start start && wait_record "$S" 30 public monitor start start; then
	sleep 1
	pid=$(monitor_pid "$S" public)
	spid=$(monitor_pid "$S" secret)
	check supervisor-monitors-distinct-uids [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 2000000000 ] && \
		[ "$(awk '/^Uid:/ { print $2 }' "/proc/$spid/status")" = 2000000001 ]
	fds=$(ls -l "/proc/$pid/fd" 2>/dev/null | awk 'NR > 1 { print $NF }' | tr '\n' ' ')
	if [ -n "$pid" ] && grep -qF "$PUBLIC_LOG" <<<"$fds" && ! grep -qF "SECRET" <<<"$fds" &&
		! grep -qF "$EX/secret.img" <<<"$fds" && ! grep -qF floppy <<<"$fds"; then
		pass supervisor-lower-monitor-has-no-higher-descriptor
	else
		fail supervisor-lower-monitor-has-no-higher-descriptor "public monitor $pid fds: $fds"
	fi
else
	fail supervisor-example-started "$(cat example.out example.err)"
fi
up_wait example 600
check supervisor-example-clean-exit [ "$UP_RC" = 0 ]
pub=$(tr -d '\r' <"$PUBLIC_LOG" 2>/dev/null)
sec=$(tr -d '\r' <"$SECRET_LOG" 2>/dev/null)
check supervisor-example-public-worked grep -qx "cordon-guest: wrote a note at UNCLASSIFIED on its own disk" <<<"$pub"
check supervisor-example-secret-worked grep -qx "cordon-guest: wrote a note at SECRET:NATO on its own disk" <<<"$sec"
check supervisor-read-down-allowed-in-guest grep -qx "cordon-guest: read-down share says: UNCLASSIFIED bulletin from the host: the canteen opens at noon" <<<"$sec"
check supervisor-read-down-share-not-writable grep -qx "cordon-guest: the read-only share refused a write, as it must" <<<"$sec"
one_record supervisor-read-down-audited "$S" secret disk:bulletin read allow
check supervisor-secret-note-on-disk bash -c "debugfs -R 'cat /note.txt' '$EX/secret.img' 2>/dev/null | grep -q '^SECRET:NATO note'"
check supervisor-public-note-on-disk bash -c "debugfs -R 'cat /note.txt' '$EX/public.img' 2>/dev/null | grep -q '^UNCLASSIFIED note'"
# Media: written by the SECRET VM, so now SECRET:NATO.
check supervisor-media-written bash -c "head -c 64 '$EX/floppy.img' | grep -qa 'SECRET:NATO data on the floppy'"
check supervisor-media-label-floated [ "$(cat "$EX/floppy.img.label" 2>/dev/null)" = "SECRET:NATO/LOW" ]
one_record supervisor-media-float-audited "$S" secret media:floppy attach allow
check supervisor-media-float-reason grep -qF '"reason":"media label floats up to the VM'"'"'s: UNCLASSIFIED/LOW -> SECRET:NATO/LOW"' "$S/audit.log"
# Console logs (the serial/printer channel): 0600 files in 0700 per-label
# directories whose label file names the label; one record per log.
check supervisor-console-log-modes [ "$(stat -c %a "$S/logs" "$S/logs/SECRET.NATO@LOW" "$SECRET_LOG" | tr '\n' ' ')" = "700 700 600 " ]
check supervisor-console-label-recorded [ "$(cat "$S/logs/SECRET.NATO@LOW/label")" = "SECRET:NATO/LOW" ]
one_record supervisor-console-log-audited "$S" secret console:secret write allow
check supervisor-console-log-granted-to-no-other [ "$(grep -cF '"object":"console:secret"' "$S/audit.log")" = 1 ]
# The UNCLASSIFIED monitor's uid, or any other user, cannot read it.
if setpriv --reuid=2000000000 --regid=2000000000 --clear-groups cat "$SECRET_LOG" >/dev/null 2>&1 ||
	setpriv --reuid=2000000000 --regid=2000000000 --clear-groups ls "$S/logs/SECRET.NATO@LOW" >/dev/null 2>&1; then
	fail supervisor-console-log-closed-to-others "uid 2000000000 could read $SECRET_LOG"
else
	pass supervisor-console-log-closed-to-others
fi
check supervisor-example-log-verifies verify_log "$S"

# The floated media cannot go down to an UNCLASSIFIED VM...
# (the example's lattice, so that the floppy's record parses)
{ sed -n '/^levels /p; /^categories /p; /^integrity /p' "$TOP/examples/two-labels.sys"
  cat <<EOF
policy blp on
media floppy {
	file "$EX/floppy.img"
	label UNCLASSIFIED/LOW
}
vm reader {
	label UNCLASSIFIED/LOW
	kernel "$HELLO"
	media floppy
}
EOF
} >media.sys
S="$TMP/media.state"
"$CORDON" up media.sys --state-dir "$S" >media.out 2>media.err </dev/null
rc=$?
one_record supervisor-media-down-denied "$S" reader media:floppy attach deny
check supervisor-media-down-refused grep -qF "vm reader: not started: media floppy (SECRET:NATO/LOW) read-write: denied: media is above the VM: sanitize it first" media.out
# ... until it is sanitized (no supervisor running: --system names the file).
"$CORDON" media sanitize floppy --state-dir "$S" --system media.sys >san.out 2>san.err
rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$EX/floppy.img" <(head -c 1048576 /dev/zero) &&
	[ "$(cat "$EX/floppy.img.label")" = "UNCLASSIFIED/LOW" ]; then
	pass supervisor-media-sanitized
else
	fail supervisor-media-sanitized "exit $rc: $(cat san.err); label $(cat "$EX/floppy.img.label")"
fi
one_record supervisor-media-sanitize-audited "$S" "operator (offline)" media:floppy sanitize allow
"$CORDON" up media.sys --state-dir "$S" >media2.out 2>media2.err </dev/null
check supervisor-media-after-sanitize-allowed grep -q "vm reader: guest exited with debug-exit value 16" media2.out
check supervisor-media-no-second-denial [ "$(records "$S" reader media:floppy attach deny)" = 1 ]
check supervisor-media-log-verifies verify_log "$S"

# Whatever byte a guest writes to port 0xf4 is its own end: with cordon
# run's exit codes, 0 and 1 would read as its monitor's failure and a
# triple fault (monitor_proto.h, enum monitor_exit).
mksys exits <<EOF
vm zero {
	label UNCLASSIFIED
	kernel "$HELLO"
	append "exit=0"
}
vm one {
	label UNCLASSIFIED
	kernel "$HELLO"
	append "exit=1"
}
EOF
"$CORDON" up exits.sys --state-dir "$TMP/exits.state" >exits.out 2>exits.err </dev/null
check supervisor-debug-exit-0-is-the-guests grep -q "vm zero: guest exited with debug-exit value 0" exits.out
check supervisor-debug-exit-1-is-the-guests grep -q "vm one: guest exited with debug-exit value 1" exits.out
check supervisor-debug-exit-audited grep -qF '"reason":"guest exited with debug-exit value 0"' \
	"$TMP/exits.state/audit.log"

# --- 4. fault isolation, the sandbox, stop, sanitize while running ----------------

raw_image m1.img
printf 'old data' | dd of=m1.img conv=notrunc 2>/dev/null
# The worker writes a canary on a LUKS1 disk the supervisor unlocks (the
# monitor gets only the volume key); qemu-img decrypts it afterwards.
printf 'vault passphrase' >vault.key
"$CORDON" disk create --type luks1 --key-file vault.key --iter-time 50 vault.img 4M >/dev/null 2>&1
chmod 600 vault.img
CANARY="luks-canary-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
mksys faults <<EOF
media m1 {
	file "m1.img"
	label CONFIDENTIAL
}
disk vault {
	file "vault.img"
	label UNCLASSIFIED
	luks key-file "vault.key"
}
vm worker {
	label UNCLASSIFIED
	memory 128M
	kernel "$GUEST/vmlinuz"
	initrd "$GUEST/initrd.img"
	append "console=ttyS0 noapic nolapic acpi=off cordon.cmd=\\"echo $CANARY | dd of=/dev/vda bs=512 conv=sync,fsync\\""
	disk vault
}
vm crash {
	label SECRET
	kernel "$TRIPLE"
}
vm escaper {
	label SECRET
	kernel "$SPIN"
}
vm sleeper {
	label CONFIDENTIAL
	kernel "$SPIN"
}
EOF
S="$TMP/faults.state"
BIN=$CORDON_TEST up_bg faults CORDON_TEST_MONITOR_ESCAPE=escaper:50 # the hook: test build only
if wait_record "$S" 60 escaper monitor exit killed; then
	pass supervisor-sandbox-kill-reported
else
	fail supervisor-sandbox-kill-reported "$(cat faults.out faults.err)"
fi
check supervisor-sandbox-kill-says-sigsys grep -q "vm escaper: killed by SIGSYS: the sandbox stopped a forbidden system call" faults.out
check supervisor-triple-fault-reported wait_record "$S" 30 crash monitor exit exit
check supervisor-triple-fault-words grep -q "vm crash: guest triple-faulted" faults.out
"$CORDON" media sanitize m1 --state-dir "$S" >san.out 2>san.err
check supervisor-sanitize-through-supervisor cmp -s m1.img <(head -c 1048576 /dev/zero)
one_record supervisor-sanitize-online-audited "$S" "operator uid $(id -u)" media:m1 sanitize allow
check supervisor-others-still-running grep -qE '^sleeper +CONFIDENTIAL +running' <("$CORDON" ps --state-dir "$S")
if wait_record "$S" 600 worker monitor exit exit; then
	wlog="$S/logs/UNCLASSIFIED/worker.console"
	check supervisor-worker-finished-beside-faults grep -q "^cordon-guest: command exited with status 0" <(tr -d '\r' <"$wlog")
	check supervisor-worker-clean grep -q "vm worker: guest powered off or reset" faults.out
	check supervisor-luks-ciphertext-only bash -c "! grep -qa '$CANARY' vault.img"
	qemu-img convert --object secret,id=s0,file=vault.key \
		--image-opts "driver=luks,key-secret=s0,file.filename=vault.img" -O raw vault.raw >/dev/null 2>&1
	check supervisor-luks-written-through-volume-key grep -q "^$CANARY\$" <(head -c 512 vault.raw 2>/dev/null | tr -d '\0')
else
	fail supervisor-worker-finished-beside-faults "$(tail -5 faults.out)"
fi
"$CORDON" stop sleeper --state-dir "$S" >/dev/null 2>&1
up_wait faults 30
check supervisor-faults-exit-1 [ "$UP_RC" = 1 ]
check supervisor-faults-log-verifies verify_log "$S"

# --- 5. cordon down ------------------------------------------------------------------

mksys down <<EOF
vm one {
	label UNCLASSIFIED
	kernel "$SPIN"
}
vm two {
	label SECRET:NATO
	kernel "$SPIN"
}
EOF
S="$TMP/down.state"
up_bg down
wait_record "$S" 30 two monitor start start
sleep 1
# A monitor killed from outside is reported and audited; the other runs on.
kill -9 "$(monitor_pid "$S" one)"
check supervisor-kill-9-reported wait_record "$S" 10 one monitor exit killed
check supervisor-kill-9-words grep -q "vm one: killed by signal 9" down.out
check supervisor-kill-9-others-run grep -qE '^two +SECRET:NATO +running' <("$CORDON" ps --state-dir "$S")
"$CORDON" down --state-dir "$S" >/dev/null 2>down.err
up_wait down 20
if [ "$UP_RC" = 1 ] && [ "$(grep -c 'stopped by the operator' down.out)" = 1 ]; then
	pass supervisor-down-stops-all
else
	fail supervisor-down-stops-all "up exit $UP_RC: $(cat down.out down.err)"
fi
one_record supervisor-down-audited "$S" "operator uid $(id -u)" system down allow
check supervisor-down-removes-socket [ ! -e "$S/control" ]
check supervisor-down-log-verifies verify_log "$S"

# A supervisor killed outright takes its monitors with it (parent-death
# signal): no VM runs on unaudited.
mksys orphan <<EOF
vm lone {
	label SECRET
	kernel "$SPIN"
}
EOF
S="$TMP/orphan.state"
up_bg orphan
if wait_record "$S" 30 lone monitor start start && sleep 1 && pid=$(monitor_pid "$S" lone) &&
	[ -n "$pid" ]; then
	kill -9 "$UP_PID"
	wait "$UP_PID" 2>/dev/null
	for _ in $(seq 20); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
	if [ -d "/proc/$pid" ]; then
		fail supervisor-monitors-die-with-supervisor "monitor $pid still runs"
		kill -9 "$pid"
	else
		pass supervisor-monitors-die-with-supervisor
	fi
else
	fail supervisor-monitors-die-with-supervisor "$(cat orphan.out orphan.err)"
fi
