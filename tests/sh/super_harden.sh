#!/usr/bin/env bash
# The supervisor against a local attacker and a hostile guest (issue 18):
#
#   1. the control socket never stalls: a client dripping one byte every
#      half second is cut off after a second while another client's
#      `cordon ps` answers at once; a request whose error message would be
#      cut inside a UTF-8 character still gets a reply; refused
#      connections are audited at a bounded rate; SIGTERM during start-up
#      stops the start-up there.
#   2. host files: images, an initrd, a kernel, media and a key file in a
#      directory a test user owns, a symlink in a trusted one, a FIFO at
#      every path the supervisor opens, a hard-linked console log, and
#      sanitize on a symlink -- each refused (that VM only), audited, the
#      target untouched.
#   3. storage: a guest flooding its console stops at its quota while the
#      VM at another label runs on and the audit log keeps recording; the
#      monitors' RLIMIT_FSIZE and RLIMIT_AS; room for logs and for the
#      audit log checked at start; the audit log's reserve keeps records
#      going on a file system another program filled.
#   4. the audit log: a failed append stops everything and says so; a
#      corrupt middle is refused at start; each record's seq and hash
#      reach syslog, and that anchor catches a cut tail and an edited last
#      record.
source "$(dirname "$0")/../lib.sh"
[ -n "${KEEP_TMP:-}" ] && trap - EXIT && echo "tmp: $TMP"

SPIN="$TOP/build/tests/guest-spin.elf"
CLIENT="$TOP/tests/ctl_client.py"
PY=/usr/bin/python3 # Debian's (deps.sh), which other users can run too
for f in "$CORDON" "$SPIN"; do
	if [ ! -e "$f" ]; then
		fail harden-prerequisites "$f is missing (make test builds it)"
		exit 0
	fi
done
cd "$TMP" || exit 1
chmod 755 "$TMP"

HEADER='levels UNCLASSIFIED < CONFIDENTIAL < SECRET
policy blp on'
mksys() { { echo "$HEADER"; cat; } >"$1.sys"; }
# up_bg NAME: `cordon up NAME.sys --state-dir NAME.state` in the background.
up_bg() {
	"$CORDON" up "$1.sys" --state-dir "$TMP/$1.state" >"$1.out" 2>"$1.err" </dev/null &
	UP_PID=$!
}
# up_wait SECONDS: waits for the background supervisor; sets UP_RC.
up_wait() {
	local deadline=$((SECONDS + $1))
	while kill -0 "$UP_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	if kill -0 "$UP_PID" 2>/dev/null; then
		kill -9 "$UP_PID"
		wait "$UP_PID" 2>/dev/null
		UP_RC=timeout
		return
	fi
	wait "$UP_PID" 2>/dev/null
	UP_RC=$?
}
records() { # STATE SUBJECT OBJECT MODE DECISION
	grep -F "\"subject\":\"$2\",\"object\":\"$3\"," "$1/audit.log" 2>/dev/null |
		grep -cF "\"mode\":\"$4\",\"decision\":\"$5\","
}
wait_record() { # STATE SECONDS SUBJECT OBJECT MODE DECISION
	local st=$1 deadline=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		[ "$(records "$st" "$@")" -ge 1 ] && return 0
		sleep 0.2
	done
	return 1
}
ms_now() { date +%s%3N; }
monitor_pid() { # STATE VM: its monitor's pid, from cordon ps --json
	"$CORDON" ps --json --state-dir "$1" |
		grep -o "\"name\":\"$2\",\"label\":\"[^\"]*\",\"state\":\"running\",\"pid\":[0-9]*" |
		grep -o '[0-9]*$'
}

# --- 1. the control socket ---------------------------------------------------------

mksys ctl <<EOF
vm one {
	label UNCLASSIFIED
	kernel "$SPIN"
}
EOF
S="$TMP/ctl.state"
up_bg ctl
wait_record "$S" 30 one monitor start start || fail harden-ctl-started "$(cat ctl.out ctl.err)"
# A client that sends one byte every half second...
"$PY" "$CLIENT" "$S/control" drip '{"cmd":"ps"}\n' 0.5 >drip.out 2>&1 &
DRIP=$!
sleep 0.3
# ... does not hold up another client.
t0=$(ms_now)
"$CORDON" ps --state-dir "$S" >ps.out 2>&1
t1=$(ms_now)
if grep -qE '^one +UNCLASSIFIED +running' ps.out && [ $((t1 - t0)) -lt 1000 ]; then
	pass harden-ctl-slow-client-does-not-stall
else
	fail harden-ctl-slow-client-does-not-stall "ps took $((t1 - t0)) ms: $(cat ps.out)"
fi
wait "$DRIP"
secs=$(tail -1 drip.out)
if grep -qF '"ok":false,"error":"request timed out' drip.out && [ "${secs%.*}" -lt 3 ]; then
	pass harden-ctl-slow-client-cut-off
else
	fail harden-ctl-slow-client-cut-off "$(cat drip.out)"
fi
# An error message that must be cut inside a multibyte character.
req='{"cmd":"stop","vm":"x'$(printf 'é%.0s' $(seq 300))'"}\n'
"$PY" "$CLIENT" "$S/control" send "$req" >mb.out 2>&1
if grep -q '^{"ok":false,"error":"' mb.out; then
	pass harden-ctl-multibyte-error-replied
else
	fail harden-ctl-multibyte-error-replied "reply: $(head -c 300 mb.out)"
fi
# An over-long request is answered, not left hanging.
"$PY" "$CLIENT" "$S/control" send "$(head -c 5000 /dev/zero | tr '\0' ' ')" >long.out 2>&1
check harden-ctl-long-request-refused grep -qF '"error":"request longer than 4095 bytes"' long.out
# Connections from another user: refused, each of the first ten audited,
# the rest counted into one record (written at the latest when the
# supervisor ends).  The test opens the directory and socket to others
# for this, as a misconfigured site would.
chmod 711 "$S"
chmod 666 "$S/control"
for _ in $(seq 25); do
	setpriv --reuid=2000000099 --regid=2000000099 --clear-groups \
		"$PY" "$CLIENT" "$S/control" send '{"cmd":"down"}\n' >>other.out 2>&1
done
chmod 700 "$S"
check harden-ctl-other-user-refused [ "$(grep -c '"error":"permission denied"' other.out)" = 25 ]
check harden-ctl-still-running grep -qE '^one +UNCLASSIFIED +running' <("$CORDON" ps --state-dir "$S")
"$CORDON" down --state-dir "$S" >/dev/null 2>&1
up_wait 20
n=$(records "$S" "operator uid 2000000099" control connect deny)
if [ "$n" = 10 ] &&
	grep -qF '"reason":"15 more connections refused in 60 s (not recorded one by one)"' "$S/audit.log"; then
	pass harden-ctl-refusals-rate-limited
else
	fail harden-ctl-refusals-rate-limited "$n individual records; $(grep -c 'more connections refused' "$S/audit.log") summaries"
fi
check harden-ctl-log-verifies bash -c "\"$CORDON\" audit verify \"$S/audit.log\" >/dev/null"

# SIGTERM during start-up: three VMs, each unlocking a LUKS disk (slow on
# purpose); a SIGTERM once the first has started ends the start-up there.
printf 'slow passphrase' >slow.key
mksys slow </dev/null
for v in a b c; do
	"$CORDON" disk create --type luks1 --key-file slow.key --iter-time 1500 "$v.img" 4M >/dev/null 2>&1
	chmod 600 "$v.img"
	printf 'disk %s {\n\tfile "%s.img"\n\tlabel UNCLASSIFIED\n\tluks key-file "slow.key"\n}\n' "$v" "$v" >>slow.sys
	printf 'vm %s {\n\tlabel UNCLASSIFIED\n\tkernel "%s"\n\tdisk %s\n}\n' "$v" "$SPIN" "$v" >>slow.sys
done
S="$TMP/slow.state"
up_bg slow
wait_record "$S" 60 a monitor start start
kill -TERM "$UP_PID"
up_wait 20
if [ "$UP_RC" != timeout ] && [ "$(records "$S" c monitor start start)" = 0 ] &&
	grep -qF "shutting down (Terminated)" slow.out; then
	pass harden-sigterm-during-startup
else
	fail harden-sigterm-during-startup "exit $UP_RC; $(cat slow.out slow.err)"
fi

# --- 2. host files: symlinks, other users' directories, FIFOs, hard links -----------

HELLO="$TOP/build/tests/guest-hello.elf"
FLOOD="$TOP/build/tests/guest-flood.elf"
# A test user who owns a directory the system file names (and is removed).
TUSER="cordon-t$$"
useradd -M -N -r -s /usr/sbin/nologin "$TUSER" 2>/dev/null
trap 'userdel "$TUSER" 2>/dev/null; rm -rf "$TMP"' EXIT
TUID=$(id -u "$TUSER" 2>/dev/null)
[ -n "$TUID" ] || fail harden-test-user "useradd $TUSER failed"
raw_image() { truncate -s 1M "$1" && chmod 600 "$1"; }

# What an attacker points at: root-only files.
mkdir -m 700 private
printf 'ROOT-ONLY KEY 0123456789' >private/other.key
raw_image private/other.img
printf 'ROOT-ONLY IMAGE' | dd of=private/other.img conv=notrunc 2>/dev/null
printf 'root:*:19000:0:99999:7:::\n' >private/shadow
raw_image private/keep.img
printf 'KEEP THESE BYTES' | dd of=private/keep.img conv=notrunc 2>/dev/null
chmod 600 private/*
sha_keep=$(sha256sum <private/keep.img)
printf 'vault passphrase' >vault.key
"$CORDON" disk create --type luks1 --key-file vault.key --iter-time 50 vault.img 4M >/dev/null 2>&1
chmod 600 vault.img

# evil/: the test user's directory, with links planted to those files.
mkdir -m 755 evil
for l in low.img:private/other.img initrd.bin:private/shadow vmlinuz:"$SPIN" \
	floppy.img:private/keep.img vault.key:private/other.key; do
	ln -s "$(realpath "${l#*:}")" "evil/${l%%:*}"
done
raw_image evil/plain.img
chown -h "$TUID" evil evil/*
# trusted/: a root-owned directory with one planted link (a symlink alone is refused).
mkdir -m 755 trusted
ln -s "$TMP/private/other.img" trusted/link.img
ln -s "$TMP/private/keep.img" trusted/media-link.img
raw_image ok.img
printf 'an initrd' >ok.initrd

cat >files.sys <<EOF
$HEADER
disk low {
	file "$TMP/evil/low.img"
	label UNCLASSIFIED
}
disk plain {
	file "$TMP/evil/plain.img"
	label UNCLASSIFIED
}
disk linked {
	file "$TMP/trusted/link.img"
	label UNCLASSIFIED
}
media floppy {
	file "$TMP/evil/floppy.img"
	label UNCLASSIFIED
}
disk vault {
	file "$TMP/vault.img"
	label UNCLASSIFIED
	luks key-file "$TMP/evil/vault.key"
}
disk good {
	file "$TMP/ok.img"
	label UNCLASSIFIED
}
vm v-disk {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk low
}
vm v-plain {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk plain
}
vm v-linked {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk linked
}
vm v-initrd {
	label UNCLASSIFIED
	kernel "$SPIN"
	initrd "$TMP/evil/initrd.bin"
}
vm v-kernel {
	label UNCLASSIFIED
	kernel "$TMP/evil/vmlinuz"
}
vm v-media {
	label UNCLASSIFIED
	kernel "$SPIN"
	media floppy
}
vm v-key {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk vault
}
vm v-good {
	label UNCLASSIFIED
	kernel "$SPIN"
	initrd "$TMP/ok.initrd"
	disk good
}
EOF
S="$TMP/files.state"
up_bg files
wait_record "$S" 60 v-good monitor start start || fail harden-files-good-vm-starts "$(cat files.out files.err)"
for v in v-disk v-plain v-initrd v-kernel v-media v-key; do
	if grep -q "vm $v: not started: .*evil.*: directory $TMP/evil belongs to uid $TUID" files.out &&
		[ "$(records "$S" "$v" monitor start refused)" = 1 ]; then
		pass "harden-files-other-users-dir-$v"
	else
		fail "harden-files-other-users-dir-$v" "$(grep "vm $v" files.out)"
	fi
done
check harden-files-symlink-refused grep -q "vm v-linked: not started: disk linked: $TMP/trusted/link.img: link.img is a symbolic link" files.out
one_record() { local n; n=$(records "$2" "$3" "$4" "$5" "$6"); if [ "$n" = 1 ]; then pass "$1"; else fail "$1" "$n records"; fi; }
one_record harden-files-symlink-audited "$S" v-linked monitor start refused
one_record harden-files-kernel-audited "$S" v-good kernel read allow
one_record harden-files-initrd-audited "$S" v-good initrd read allow
check harden-files-good-vm-runs grep -qE '^v-good +UNCLASSIFIED +running' <("$CORDON" ps --state-dir "$S")
"$CORDON" down --state-dir "$S" >/dev/null 2>&1
up_wait 20
check harden-files-private-untouched [ "$(sha256sum <private/keep.img)" = "$sha_keep" ]

# Sanitize: a symlink at the media path is refused, its target unchanged,
# and the refusal audited.
cat >san.sys <<EOF
$HEADER
media sym {
	file "$TMP/trusted/media-link.img"
	label UNCLASSIFIED
}
media theirs {
	file "$TMP/evil/floppy.img"
	label UNCLASSIFIED
}
vm x {
	label UNCLASSIFIED
	kernel "$SPIN"
}
EOF
mkdir -m 700 san.state
"$CORDON" media sanitize sym --state-dir "$TMP/san.state" --system san.sys >san.out 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -qF "media-link.img is a symbolic link" san.out &&
	[ "$(sha256sum <private/keep.img)" = "$sha_keep" ]; then
	pass harden-sanitize-symlink-refused
else
	fail harden-sanitize-symlink-refused "exit $rc: $(cat san.out)"
fi
"$CORDON" media sanitize theirs --state-dir "$TMP/san.state" --system san.sys >san2.out 2>&1
check harden-sanitize-other-users-dir-refused grep -qF "directory $TMP/evil belongs to uid $TUID" san2.out
check harden-sanitize-target-unchanged [ "$(sha256sum <private/keep.img)" = "$sha_keep" ]
check harden-sanitize-refusals-audited [ "$(records "$TMP/san.state" "operator (offline)" media:sym sanitize deny)" = 1 ]
check harden-sanitize-no-label-record [ ! -e trusted/media-link.img.label ]

# FIFOs at every path the supervisor opens: each VM refused at once, the
# others start, and the whole start-up takes seconds, not forever.
mkdir -m 755 fifo
for f in kernel initrd disk media key media2.img.label; do mkfifo -m 600 "fifo/$f"; done
raw_image fifo/media2.img
printf 'fifo passphrase' >fifo/real.key
"$CORDON" disk create --type luks1 --key-file fifo/real.key --iter-time 50 fifo/luks.img 4M >/dev/null 2>&1
chmod 600 fifo/luks.img
S="$TMP/fifo.state"
mkdir -m 700 "$S" "$S/logs" "$S/logs/UNCLASSIFIED" "$S/logs/CONFIDENTIAL" "$S/logs/SECRET"
mkfifo -m 600 "$S/logs/UNCLASSIFIED/v-log.console" "$S/logs/CONFIDENTIAL/label"
cat >fifo.sys <<EOF
$HEADER
disk d {
	file "$TMP/fifo/disk"
	label UNCLASSIFIED
}
media m {
	file "$TMP/fifo/media"
	label UNCLASSIFIED
}
media m2 {
	file "$TMP/fifo/media2.img"
	label UNCLASSIFIED
}
disk l {
	file "$TMP/fifo/luks.img"
	label UNCLASSIFIED
	luks key-file "$TMP/fifo/key"
}
vm f-kernel {
	label UNCLASSIFIED
	kernel "$TMP/fifo/kernel"
}
vm f-initrd {
	label UNCLASSIFIED
	kernel "$SPIN"
	initrd "$TMP/fifo/initrd"
}
vm f-disk {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk d readonly
}
vm f-media {
	label UNCLASSIFIED
	kernel "$SPIN"
	media m
}
vm f-record {
	label UNCLASSIFIED
	kernel "$SPIN"
	media m2
}
vm f-key {
	label UNCLASSIFIED
	kernel "$SPIN"
	disk l
}
vm v-log {
	label UNCLASSIFIED
	kernel "$SPIN"
}
vm f-labeldir {
	label CONFIDENTIAL
	kernel "$SPIN"
}
vm f-good {
	label SECRET
	kernel "$HELLO"
}
EOF
t0=$(ms_now)
timeout 60 "$CORDON" up fifo.sys --state-dir "$S" >fifo.out 2>fifo.err </dev/null
rc=$?
t1=$(ms_now)
for v in f-kernel f-initrd f-disk f-media f-record f-key v-log f-labeldir; do
	if grep -q "vm $v: not started: .*a FIFO, not a regular file" fifo.out; then
		pass "harden-fifo-refused-$v"
	else
		fail "harden-fifo-refused-$v" "$(grep "vm $v" fifo.out || tail -3 fifo.out)"
	fi
done
if [ "$rc" = 1 ] && [ $((t1 - t0)) -lt 15000 ] && grep -q "vm f-good: guest exited with debug-exit value 16" fifo.out; then
	pass harden-fifo-no-hang
else
	fail harden-fifo-no-hang "exit $rc after $((t1 - t0)) ms: $(tail -3 fifo.out)"
fi
# ... and where the supervisor's own files are expected: the system file
# and the audit log (each refused at once, nothing started).
mkfifo -m 600 fifo/system.sys
t0=$(ms_now)
timeout 20 "$CORDON" up fifo/system.sys --state-dir "$TMP/fifo-sys.state" >fifo-sys.out 2>&1 </dev/null
rc=$?
t1=$(ms_now)
if [ "$rc" = 2 ] && [ $((t1 - t0)) -lt 2000 ] && grep -qF "fifo/system.sys: not a regular file" fifo-sys.out; then
	pass harden-fifo-refused-system-file
else
	fail harden-fifo-refused-system-file "exit $rc after $((t1 - t0)) ms: $(cat fifo-sys.out)"
fi
mkdir -m 700 fifo-audit.state
mkfifo -m 600 fifo-audit.state/audit.log
t0=$(ms_now)
timeout 20 "$CORDON" up fifo.sys --state-dir "$TMP/fifo-audit.state" >fifo-audit.out 2>&1 </dev/null
rc=$?
t1=$(ms_now)
if [ "$rc" = 1 ] && [ $((t1 - t0)) -lt 2000 ] && grep -qF "audit.log: not a regular file" fifo-audit.out &&
	! grep -q "started" fifo-audit.out; then
	pass harden-fifo-refused-audit-log
else
	fail harden-fifo-refused-audit-log "exit $rc after $((t1 - t0)) ms: $(cat fifo-audit.out)"
fi

# A hard link planted as a console log: refused, the linked file unchanged.
printf 'precious\n' >private/precious
chmod 600 private/precious
S="$TMP/hl.state"
mkdir -m 700 "$S" "$S/logs" "$S/logs/SECRET"
ln private/precious "$S/logs/SECRET/hl.console"
cat >hl.sys <<EOF
$HEADER
vm hl {
	label SECRET
	kernel "$HELLO"
}
EOF
"$CORDON" up hl.sys --state-dir "$S" >hl.out 2>&1 </dev/null
if grep -q "vm hl: not started: console log .*hl.console: has 2 hard links" hl.out &&
	[ "$(cat private/precious)" = precious ]; then
	pass harden-console-hard-link-refused
else
	fail harden-console-hard-link-refused "$(cat hl.out); precious: $(head -c 80 private/precious)"
fi

# --- 3. storage a guest fills, and what a monitor may use -----------------------------

# A guest printing without end, under a quota of 1 MiB, on a 24 MiB state
# file system: the log stops at the quota with one marker line, the VM at
# another label runs on, the audit log keeps recording.
mkdir small
if mount -t tmpfs -o size=24m,mode=0700 tmpfs small 2>/dev/null; then
	trap 'umount "$TMP/small" 2>/dev/null; userdel "$TUSER" 2>/dev/null; rm -rf "$TMP"' EXIT
	cat >flood.sys <<EOF
$HEADER
vm flood {
	label UNCLASSIFIED
	memory 32M
	kernel "$FLOOD"
	serial log 1M
}
vm calm {
	label SECRET
	kernel "$SPIN"
}
EOF
	S="$TMP/small/flood.state"
	UP_PID=
	"$CORDON" up flood.sys --state-dir "$S" >flood.out 2>flood.err </dev/null &
	UP_PID=$!
	LOG="$S/logs/UNCLASSIFIED/flood.console"
	for _ in $(seq 150); do
		grep -q "reached its quota" "$LOG" 2>/dev/null && break
		sleep 0.2
	done
	sleep 2
	size=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
	if [ "$size" -ge 1048576 ] && [ "$size" -le $((1048576 + 200)) ] &&
		[ "$(grep -c 'console log reached its quota of 1048576 bytes' "$LOG")" = 1 ]; then
		pass harden-flood-log-stops-at-quota
	else
		fail harden-flood-log-stops-at-quota "log is $size bytes; $(tail -c 200 "$LOG" 2>/dev/null)"
	fi
	ps_out=$("$CORDON" ps --state-dir "$S" 2>&1)
	check harden-flood-guest-runs-on grep -qE '^flood +UNCLASSIFIED +running' <<<"$ps_out"
	check harden-flood-other-label-runs grep -qE '^calm +SECRET +running' <<<"$ps_out"
	pid=$(monitor_pid "$S" flood)
	fsz=$(awk '/^Max file size/ { print $4 }' "/proc/$pid/limits" 2>/dev/null)
	asz=$(awk '/^Max address space/ { print $4 }' "/proc/$pid/limits" 2>/dev/null)
	# 1 MiB quota + 4 KiB for the marker; 32 MiB RAM + 256 MiB code cache + 192 MiB.
	check harden-monitor-fsize-limit [ "$fsz" = $((1048576 + 4096)) ]
	check harden-monitor-as-limit [ "$asz" = $(((32 + 256 + 192) * 1048576)) ]
	"$CORDON" stop calm --state-dir "$S" >/dev/null 2>&1
	if wait_record "$S" 10 calm monitor exit exit || wait_record "$S" 10 "operator uid 0" calm stop allow; then
		pass harden-flood-audit-keeps-recording
	else
		fail harden-flood-audit-keeps-recording "$(tail -2 "$S/audit.log")"
	fi
	"$CORDON" down --state-dir "$S" >/dev/null 2>&1
	up_wait 20
	check harden-flood-log-verifies bash -c "\"$CORDON\" audit verify \"$S/audit.log\" >/dev/null"
	# The next run rotates the full log once: at most two quotas per VM.
	"$CORDON" up flood.sys --state-dir "$S" >flood2.out 2>&1 </dev/null &
	UP_PID=$!
	wait_record "$S" 20 flood monitor start start
	sleep 1
	"$CORDON" down --state-dir "$S" >/dev/null 2>&1
	up_wait 20
	if [ -f "$LOG.1" ] && [ "$(stat -c %s "$LOG.1")" -le $((1048576 + 200)) ] &&
		grep -qF "the full log before it is now .1" "$S/audit.log"; then
		pass harden-flood-log-rotated-once
	else
		fail harden-flood-log-rotated-once "$(ls -l "$S/logs/UNCLASSIFIED")"
	fi
	rm -rf "$S"

	# Room for the logs is checked at start: a 16 MiB quota on what is
	# left of a small file system refuses that VM, not the others.
	umount small
	mount -t tmpfs -o size=6m,mode=0700 tmpfs small
	cat >room.sys <<EOF
$HEADER
vm big {
	label UNCLASSIFIED
	kernel "$HELLO"
}
vm modest {
	label SECRET
	kernel "$HELLO"
	serial log 1M
}
EOF
	"$CORDON" up room.sys --state-dir "$TMP/small/room.state" >room.out 2>&1 </dev/null
	check harden-log-room-refuses-vm grep -q "vm big: not started: console log: .* KiB free on its file system" room.out
	check harden-log-room-others-run grep -q "vm modest: guest exited with debug-exit value 16" room.out
	# ... and room for the audit log's reserve before anything starts.
	umount small
	mount -t tmpfs -o size=512k,mode=0700 tmpfs small
	"$CORDON" up room.sys --state-dir "$TMP/small/audit.state" >tiny.out 2>&1 </dev/null
	rc=$?
	if [ "$rc" = 1 ] && grep -q "no room for the audit log" tiny.out && ! grep -q "started" tiny.out; then
		pass harden-audit-room-checked-at-start
	else
		fail harden-audit-room-checked-at-start "exit $rc: $(cat tiny.out)"
	fi
	umount small
	# The reserve at work: another program fills the file system to the
	# last block while VMs run; the records of a stop and of the VM's
	# end still go into the log, and the other VM runs on.
	mount -t tmpfs -o size=8m,mode=0700 tmpfs small
	cat >full.sys <<EOF
$HEADER
vm a {
	label UNCLASSIFIED
	kernel "$SPIN"
	serial log 64K
}
vm b {
	label SECRET
	kernel "$SPIN"
	serial log 64K
}
EOF
	S="$TMP/small/full.state"
	"$CORDON" up full.sys --state-dir "$S" >full.out 2>full.err </dev/null &
	UP_PID=$!
	wait_record "$S" 30 b monitor start start
	dd if=/dev/zero of=small/filler bs=64k >/dev/null 2>&1
	free=$(df --output=avail -B1 small | tail -1)
	before=$(stat -c %s "$S/audit.log")
	# more records than the log's last page holds (each listing is one):
	# without the reserve they would need blocks the file system lacks
	for _ in $(seq 30); do "$CORDON" transfer list --state-dir "$S" >/dev/null 2>&1; done
	"$CORDON" stop a --state-dir "$S" --timeout 1 >/dev/null 2>&1
	if [ "$free" -lt 4096 ] && wait_record "$S" 10 a monitor exit exit &&
		[ $(($(stat -c %s "$S/audit.log") - before)) -gt 4096 ] &&
		grep -qE '^b +SECRET +running' <("$CORDON" ps --state-dir "$S"); then
		pass harden-audit-reserve-on-a-full-disk
	else
		fail harden-audit-reserve-on-a-full-disk "$free bytes free; $(tail -2 "$S/audit.log"); $(cat full.out full.err)"
	fi
	"$CORDON" down --state-dir "$S" >/dev/null 2>&1
	up_wait 20
	check harden-audit-reserve-log-verifies bash -c "\"$CORDON\" audit verify \"$S/audit.log\" >/dev/null"
	umount small
else
	fail harden-flood-tmpfs "cannot mount a tmpfs for the flood test"
fi

# --- 4. the audit log: failure, a corrupt middle, the anchor ------------------------------

# A record that cannot be written stops every VM and the supervisor, and
# the outcome says why (not "stopped by the operator").  RLIMIT_FSIZE on
# the supervisor, set once it runs, makes the next append fail.
cat >afail.sys <<EOF
$HEADER
vm a {
	label UNCLASSIFIED
	kernel "$SPIN"
}
vm b {
	label SECRET
	kernel "$SPIN"
}
EOF
S="$TMP/afail.state"
up_bg afail
wait_record "$S" 30 b monitor start start
sleep 0.5
prlimit --pid "$UP_PID" --fsize=$(($(stat -c %s "$S/audit.log") + 16))
"$CORDON" stop a --state-dir "$S" >/dev/null 2>&1
up_wait 20
if [ "$UP_RC" = 1 ] && grep -q "the audit log cannot be written" afail.err &&
	grep -q "vm b: stopped: the audit log cannot be written" afail.out &&
	! grep -q "stopped by the operator" afail.out &&
	grep -q "supervisor stopped: the audit log could not be written" afail.out; then
	pass harden-audit-failure-stops-and-says-so
else
	fail harden-audit-failure-stops-and-says-so "exit $UP_RC: $(cat afail.out afail.err)"
fi
check harden-audit-failure-log-intact bash -c "\"$CORDON\" audit verify \"$S/audit.log\" >/dev/null"

# A sanitize that cannot be audited wipes nothing and resets no label
# (finding 4: the media was zero-filled, its label reset, and then the
# record failed).  Offline, the command says so and exits 1; through a
# running supervisor, the supervisor stops and says why.
raw_image wipe.img
cat >wipe.sys <<EOF
$HEADER
media w {
	file "$TMP/wipe.img"
	label UNCLASSIFIED
}
vm a {
	label SECRET
	kernel "$SPIN"
}
EOF
S="$TMP/wipe.state"
mkdir -m 700 "$S"
"$CORDON" media sanitize w --state-dir "$S" --system wipe.sys >/dev/null 2>&1 # the log's first record
printf 'FLOATED-UP MEDIA CONTENT' | dd of=wipe.img conv=notrunc 2>/dev/null
printf 'SECRET\n' >wipe.img.label
sha_wipe=$(sha256sum <wipe.img)
# Offline, the state directory is checked as the supervisor checks it.
chmod 711 "$S"
"$CORDON" media sanitize w --state-dir "$S" --system wipe.sys >wipe0.out 2>&1
check harden-sanitize-offline-state-dir-checked grep -qF "state-dir $S: mode 0711 lets other users in" wipe0.out
chmod 700 "$S"
# (a limit at the log's end: the write gets SIGXFSZ as well as EFBIG; one
# just past it, as below for the supervisor, gets a short write)
just_past_log() { echo $(($(stat -c %s "$S/audit.log") + $1)); }
prlimit --fsize="$(just_past_log 0)" "$CORDON" media sanitize w --state-dir "$S" --system wipe.sys >wipe1.out 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "^cordon media: audit log: .*(nothing was written)$" wipe1.out &&
	[ "$(sha256sum <wipe.img)" = "$sha_wipe" ] && [ "$(cat wipe.img.label)" = SECRET ]; then
	pass harden-sanitize-unaudited-offline-wipes-nothing
else
	fail harden-sanitize-unaudited-offline-wipes-nothing "exit $rc: $(cat wipe1.out); label $(cat wipe.img.label)"
fi
up_bg wipe
wait_record "$S" 30 a monitor start start
prlimit --pid "$UP_PID" --fsize="$(just_past_log 16)"
"$CORDON" media sanitize w --state-dir "$S" >wipe2.out 2>&1
up_wait 20
if [ "$UP_RC" = 1 ] && grep -q "supervisor stopped: the audit log could not be written" wipe.out &&
	[ "$(sha256sum <wipe.img)" = "$sha_wipe" ] && [ "$(cat wipe.img.label)" = SECRET ]; then
	pass harden-sanitize-unaudited-online-stops-supervisor
else
	fail harden-sanitize-unaudited-online-stops-supervisor "exit $UP_RC: $(cat wipe.out wipe2.out); label $(cat wipe.img.label)"
fi
check harden-sanitize-unaudited-log-intact bash -c "\"$CORDON\" audit verify \"$S/audit.log\" >/dev/null"

# A corrupt middle: the supervisor refuses to append to that log.
S="$TMP/ctl.state"
cp "$S/audit.log" before.log
sed -i '3s/"mode":"/"mode":"X/' "$S/audit.log"
cp "$S/audit.log" corrupt.log
"$CORDON" up ctl.sys --state-dir "$S" >mid.out 2>&1 </dev/null
rc=$?
if [ "$rc" = 1 ] && grep -q "line 4: prev does not match line 3.*the log is damaged" mid.out &&
	cmp -s "$S/audit.log" corrupt.log && ! grep -q "started" mid.out; then
	pass harden-audit-corrupt-middle-refused
else
	fail harden-audit-corrupt-middle-refused "exit $rc: $(cat mid.out)"
fi

# The anchor outside the state directory: each record's seq and hash go
# to syslog.  With no system logger here, the test is one (on /dev/log,
# removed afterwards); with one, a private mount namespace binds ours over it.
SYSLOG="$TMP/syslog.sock"
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")
' "$SYSLOG" "$TMP/syslog.txt" &
LOGGER=$!
for _ in $(seq 50); do [ -S "$SYSLOG" ] && break; sleep 0.1; done
S="$TMP/anchor.state"
cat >anchor.sys <<EOF
$HEADER
vm h {
	label SECRET
	kernel "$HELLO"
}
EOF
if [ -e /dev/log ]; then
	unshare -m sh -c "mount --bind '$SYSLOG' /dev/log && exec '$CORDON' up anchor.sys --state-dir '$S'" \
		>anchor.out 2>&1 </dev/null
else
	ln -s "$SYSLOG" /dev/log
	"$CORDON" up anchor.sys --state-dir "$S" >anchor.out 2>&1 </dev/null
	rm -f /dev/log
fi
sleep 0.3
kill "$LOGGER" 2>/dev/null
wait "$LOGGER" 2>/dev/null
n=$(wc -l <"$S/audit.log")
good=0
for i in $(seq "$n"); do
	h=$(sed -n "${i}p" "$S/audit.log" | tr -d '\n' | sha256sum | cut -d' ' -f1)
	grep -qaF "$S/audit.log: record $i hash $h" syslog.txt && good=$((good + 1))
done
if [ "$n" -ge 4 ] && [ "$good" = "$n" ]; then
	pass harden-audit-anchor-in-syslog
else
	fail harden-audit-anchor-in-syslog "$good of $n records in syslog: $(head -3 syslog.txt)"
fi
# The anchor catches what the chain cannot: a cut tail, an edited last record.
# (other supervisors on this host may log there too: only ours counts)
last=$(grep -aF "$S/audit.log: record " syslog.txt | grep -o 'record [0-9]* hash [0-9a-f]*' |
	tail -1 | awk '{ print $2 ":" $4 }')
exit_anchor=$(grep -o 'audit log .*: [0-9]* records, last hash [0-9a-f]*' anchor.out | awk '{ print $(NF-4) ":" $NF }')
check harden-audit-exit-anchor-matches-syslog [ "$last" = "$exit_anchor" ]
check harden-audit-expect-intact bash -c "\"$CORDON\" audit verify \"$S/audit.log\" --expect '$last' >/dev/null"
head -n $((n - 1)) "$S/audit.log" >cut.log
check harden-audit-expect-catches-cut-tail bash -c "! \"$CORDON\" audit verify cut.log --expect '$last' 2>/dev/null"
sed "${n}s/\"decision\":\"[a-z]*\"/\"decision\":\"edited\"/" "$S/audit.log" >edited.log
if "$CORDON" audit verify edited.log >/dev/null 2>&1 &&
	! "$CORDON" audit verify edited.log --expect "$last" >/dev/null 2>&1; then
	pass harden-audit-expect-catches-edited-last
else
	fail harden-audit-expect-catches-edited-last "$(diff "$S/audit.log" edited.log | head -3)"
fi
