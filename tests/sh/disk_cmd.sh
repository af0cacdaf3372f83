#!/usr/bin/env bash
# `cordon disk create|info|passwd`, checked against cryptsetup and qemu-img:
#   1. raw images: sparse, exact size, an existing file never overwritten,
#      every bad argument refused with exit 2 before anything is written;
#   2. LUKS2 images made with --key-file/--key-fd that cryptsetup reads and
#      opens with the same passphrase (a key file is used byte for byte);
#      LUKS1 images (--type luks1) that cryptsetup opens and qemu-img 7
#      decrypts;
#   3. info on raw, LUKS2 and qemu-img's LUKS1 images, never showing a secret;
#   4. passwd: change (same slot), --add, a wrong old passphrase (exit 1,
#      image unchanged);
#   5. the terminal prompt (under script(1)): no echo, typed twice, echo
#      restored when a signal ends the prompt, and no terminal at all.
# CORDON_DISK_CMD replaces "$CORDON disk" (e.g. a test driver).
source "$(dirname "$0")/../lib.sh"

if [ -n "${CORDON_DISK_CMD:-}" ]; then
	read -r -a DISK <<<"$CORDON_DISK_CMD"
else
	DISK=("$CORDON" disk)
fi
if ! "${DISK[@]}" --help >/dev/null 2>&1; then
	fail disk-cmd "'${DISK[*]} --help' does not work (is 'cordon disk' built in?)"
	exit 0
fi
for tool in cryptsetup qemu-img script setsid; do
	if ! command -v "$tool" >/dev/null; then
		fail disk-cmd-tools "$tool is not installed (scripts/deps.sh)"
		exit 0
	fi
done

cd "$TMP" || exit 1
ITER=(--iter-time 50) # keep the key derivation short

# run_disk ARGS...: runs the command; rc, out ($TMP/out) and err ($TMP/err).
run_disk() {
	timeout 120 "${DISK[@]}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
}

# expect NAME RC MESSAGE ARGS...: exit status RC and MESSAGE in stderr.
expect() {
	local name=$1 want=$2 msg=$3; shift 3
	run_disk "$@"
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, expected $want: $(head -2 "$TMP/err")"
	elif ! grep -qF -- "$msg" "$TMP/err"; then
		fail "$name" "expected '$msg' in: $(head -2 "$TMP/err")"
	else
		pass "$name"
	fi
}

# accepts IMAGE KEYFILE: cryptsetup opens a key slot with that passphrase.
accepts() { cryptsetup open --test-passphrase --key-file "$2" "$1" >/dev/null 2>&1; }
field() { grep "^$1:" "$TMP/out" | sed "s/^$1: *//"; }

# --- 1. raw images ----------------------------------------------------------

run_disk create raw.img 64M
size=$(stat -c %s raw.img 2>/dev/null)
blocks=$(stat -c %b raw.img 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$size" = 67108864 ] && [ "$blocks" -lt 128 ]; then
	pass disk-create-raw-sparse
else
	fail disk-create-raw-sparse "exit $rc, size '$size', $blocks blocks: $(head -2 "$TMP/err")"
fi
check disk-create-raw-private [ "$(stat -c %a raw.img)" = 600 ]

printf 'precious' >existing.img
before=$(md5sum <existing.img)
expect disk-create-refuses-existing 1 "existing.img: already exists" create existing.img 1M
check disk-create-existing-unchanged [ "$(md5sum <existing.img)" = "$before" ]
ln -s nowhere dangling.img
expect disk-create-refuses-dangling-link 1 "dangling.img: already exists" create dangling.img 1M
check disk-create-link-untouched [ ! -e nowhere ]

# Bad arguments: exit 2, the value named, and no file left behind.
refused() {
	local name=$1 msg=$2; shift 2
	rm -f new.img
	expect "$name" 2 "$msg" "$@"
	[ -e new.img ] && fail "$name-nothing-written" "new.img was created"
}
refused disk-create-size-not-sector-multiple "SIZE: '1000' is not a multiple of the 512-byte" \
	create new.img 1000
refused disk-create-size-not-4k-multiple "SIZE: '6K' is not a multiple of the 4096-byte" \
	create new.img 6K --sector-size 4096
refused disk-create-size-garbage "SIZE: '10x' is not a size" create new.img 10x
refused disk-create-size-zero "SIZE: '0' must be more than 0" create new.img 0
refused disk-create-bad-sector-size "--sector-size: '1024' must be 512 or 4096" \
	create new.img 1M --sector-size 1024
refused disk-create-missing-size "missing SIZE" create new.img
refused disk-create-extra-argument "unexpected argument 'more'" create new.img 1M more
refused disk-create-unknown-option "unknown option '--lux'" create new.img 1M --lux
refused disk-create-key-without-luks "--key-file is only for encrypted images" \
	create new.img 1M --key-file k.txt
refused disk-create-two-keys "give --key-file or --key-fd, not both" \
	create new.img 1M --luks --key-file k.txt --key-fd 0
refused disk-create-bad-fd "--key-fd: 'x' is not a file descriptor number" \
	create new.img 1M --luks --key-fd x
refused disk-create-bad-iter-time "--iter-time: '0' is not a time" \
	create new.img 1M --luks --iter-time 0
refused disk-create-luks1-4k-sectors "--sector-size 4096: LUKS1 has only 512-byte sectors" \
	create new.img 1M --type luks1 --sector-size 4096 --key-file k.txt
refused disk-create-bad-type "--type: 'luks3' must be luks1 or luks2" \
	create new.img 1M --type luks3
refused disk-unknown-command "unknown command 'craete'" craete new.img 1M

# --- 2. LUKS2 images --------------------------------------------------------

printf 'correct horse\n' >k.txt    # the newline is part of the passphrase
printf 'correct horse' >k-nonl.txt
run_disk create l.img 32M --luks --key-file k.txt "${ITER[@]}"
cryptsetup luksDump l.img >dump.txt 2>&1
if [ "$rc" -ne 0 ]; then
	fail disk-create-luks "exit $rc: $(head -2 "$TMP/err")"
elif ! grep -Eq '^Version:\s+2$' dump.txt || ! grep -Eq 'cipher:\s+aes-xts-plain64' dump.txt; then
	fail disk-create-luks "luksDump does not show LUKS2 aes-xts-plain64: $(head -3 dump.txt)"
else
	pass disk-create-luks
fi
check disk-create-luks-size [ "$(stat -c %s l.img)" = $(((16 + 32) << 20)) ]
check disk-create-luks-512-key [ "$(grep -cE 'Key:\s+512 bits' dump.txt)" = 1 ]
check disk-create-luks-passphrase-opens accepts l.img k.txt
check disk-create-luks-keyfile-byte-for-byte eval '! accepts l.img k-nonl.txt'

run_disk create l4.img 8M --luks --key-fd 3 --sector-size 4096 "${ITER[@]}" 3<k-nonl.txt
if [ "$rc" -eq 0 ] && cryptsetup luksDump l4.img | grep -Eq 'sector:\s+4096' &&
	accepts l4.img k-nonl.txt; then
	pass disk-create-luks-key-fd-4k
else
	fail disk-create-luks-key-fd-4k "exit $rc: $(head -2 "$TMP/err")"
fi

# LUKS1, for tools that read nothing newer (QEMU 7.2's qemu-img).
run_disk create l1.img 8M --type luks1 --key-file k.txt "${ITER[@]}"
cryptsetup luksDump l1.img >dump1.txt 2>&1
if [ "$rc" -ne 0 ]; then
	fail disk-create-luks1 "exit $rc: $(head -2 "$TMP/err")"
elif ! grep -Eq '^Version:\s+1$' dump1.txt || ! grep -Eq '^Cipher name:\s+aes$' dump1.txt ||
	! grep -Eq '^Cipher mode:\s+xts-plain64$' dump1.txt || ! grep -Eq '^Hash spec:\s+sha256$' dump1.txt ||
	! grep -Eq '^MK bits:\s+512$' dump1.txt; then
	fail disk-create-luks1 "luksDump does not show LUKS1 aes-xts-plain64 sha256: $(head -6 dump1.txt | tr '\n' ';')"
else
	pass disk-create-luks1
fi
check disk-create-luks1-passphrase-opens accepts l1.img k.txt
run_disk info l1.img
if [ "$rc" -eq 0 ] && [ "$(field format)" = LUKS1 ] && [ "$(field 'guest size')" = "8388608 bytes (8 MiB)" ] &&
	[ "$(field 'sector size')" = "512 bytes" ]; then
	pass disk-info-luks1
else
	fail disk-info-luks1 "exit $rc: $(cat "$TMP/out" "$TMP/err" | tr '\n' ';')"
fi
rm -f l1.raw
qemu-img convert --object secret,id=s0,file=k.txt --image-opts \
	driver=luks,key-secret=s0,file.filename=l1.img -O raw l1.raw >qemu1.log 2>&1
qrc=$?
if [ "$qrc" -eq 0 ] && [ "$(stat -c %s l1.raw 2>/dev/null)" = 8388608 ]; then
	pass disk-create-luks1-qemu-img-reads
else
	fail disk-create-luks1-qemu-img-reads "exit $qrc, size '$(stat -c %s l1.raw 2>/dev/null)': $(head -2 qemu1.log)"
fi
run_disk create l1b.img 1M --luks --type luks1 --key-fd 3 "${ITER[@]}" 3<k.txt
if [ "$rc" -eq 0 ] && cryptsetup luksDump l1b.img | grep -Eq '^Version:\s+1$'; then
	pass disk-create-type-overrides-luks
else
	fail disk-create-type-overrides-luks "exit $rc: $(head -2 "$TMP/err")"
fi

expect disk-create-luks-missing-key 1 "key file nokey.txt: No such file" \
	create nokey.img 8M --luks --key-file nokey.txt
check disk-create-luks-missing-key-no-file [ ! -e nokey.img ]
: >empty.txt
expect disk-create-luks-empty-key 1 "key file empty.txt: empty" \
	create nokey.img 8M --luks --key-file empty.txt
check disk-create-luks-empty-key-no-file [ ! -e nokey.img ]

# A create ended by a signal half way removes its file.
timeout 120 "${DISK[@]}" create slow.img 8M --luks --key-file k.txt --iter-time 8000 \
	>/dev/null 2>&1 </dev/null &
pid=$!
for _ in $(seq 50); do [ -e slow.img ] && break; sleep 0.1; done
sleep 0.5
seen=no; [ -e slow.img ] && seen=yes
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ "$seen" = yes ] && [ ! -e slow.img ]; then pass disk-create-interrupted-cleans-up; else
	fail disk-create-interrupted-cleans-up "file seen: $seen, still there: $([ -e slow.img ] && echo yes || echo no)"
fi

# --- 3. info ----------------------------------------------------------------

run_disk info raw.img
if [ "$rc" -eq 0 ] && [ "$(field format)" = raw ] && [ "$(field 'guest size')" = "67108864 bytes (64 MiB)" ]; then
	pass disk-info-raw
else
	fail disk-info-raw "exit $rc: $(cat "$TMP/out" "$TMP/err" | head -5)"
fi

run_disk info l.img
uuid=$(cryptsetup luksUUID l.img)
if [ "$rc" -ne 0 ]; then
	fail disk-info-luks2 "exit $rc: $(head -2 "$TMP/err")"
elif [ "$(field format)" != LUKS2 ] || [ "$(field cipher)" != aes ] ||
	[ "$(field mode)" != xts-plain64 ] || [ "$(field 'key size')" != "512 bits" ] ||
	[ "$(field 'sector size')" != "512 bytes" ] || [ "$(field 'key slots')" != 0 ] ||
	[ "$(field uuid)" != "$uuid" ] ||
	[ "$(field 'guest size')" != "33554432 bytes (32 MiB)" ] ||
	[ "$(field 'data offset')" != "16777216 bytes (32768 512-byte sectors)" ]; then
	fail disk-info-luks2 "fields differ: $(tr '\n' ';' <"$TMP/out")"
else
	pass disk-info-luks2
fi
check disk-info-shows-no-passphrase eval '! grep -q horse "$TMP/out" "$TMP/err"'

printf 'qemu pass' >q.txt
for _ in 1 2 3; do # qemu's PBKDF benchmark occasionally cannot time itself; retry
	rm -f q.img
	qemu-img create -f luks --object secret,id=s0,file=q.txt -o key-secret=s0,iter-time=10 \
		q.img 16M >qemu.log 2>&1 && break
done
run_disk info q.img
if [ "$rc" -eq 0 ] && [ "$(field format)" = LUKS1 ] && [ "$(field 'guest size')" = "16777216 bytes (16 MiB)" ]; then
	pass disk-info-qemu-luks1
else
	fail disk-info-qemu-luks1 "exit $rc: $(cat qemu.log "$TMP/out" "$TMP/err" | head -5)"
fi
expect disk-info-missing 1 "missing.img: no such file" info missing.img
expect disk-info-directory 1 "$TMP: is a directory" info "$TMP"

# --- 4. passwd --------------------------------------------------------------

printf 'battery staple' >new.txt
printf 'wrong' >wrong.txt
before=$(md5sum <l.img)
expect disk-passwd-wrong-old 1 "l.img: wrong passphrase or damaged key slot (no key slot opened)" \
	passwd l.img --key-file wrong.txt --new-key-file new.txt "${ITER[@]}"
check disk-passwd-wrong-old-unchanged [ "$(md5sum <l.img)" = "$before" ]

run_disk passwd l.img --key-file k.txt --new-key-file new.txt "${ITER[@]}"
if [ "$rc" -eq 0 ] && accepts l.img new.txt && ! accepts l.img k.txt; then
	pass disk-passwd-change
else
	fail disk-passwd-change "exit $rc: $(head -2 "$TMP/err")"
fi
run_disk info l.img
check disk-passwd-change-keeps-slot [ "$(field 'key slots')" = 0 ]

run_disk passwd l.img --add --key-fd 3 --new-key-file k.txt "${ITER[@]}" 3<new.txt
if [ "$rc" -eq 0 ] && accepts l.img new.txt && accepts l.img k.txt; then
	pass disk-passwd-add
else
	fail disk-passwd-add "exit $rc: $(head -2 "$TMP/err")"
fi
run_disk info l.img
check disk-passwd-add-new-slot [ "$(field 'key slots')" = "0, 1" ]

run_disk passwd q.img --key-file q.txt --new-key-file new.txt "${ITER[@]}"
if [ "$rc" -eq 0 ] && accepts q.img new.txt && ! accepts q.img q.txt; then
	pass disk-passwd-luks1
else
	fail disk-passwd-luks1 "exit $rc: $(head -2 "$TMP/err")"
fi
expect disk-passwd-raw 1 "raw.img: not a LUKS image" passwd raw.img --key-file k.txt
expect disk-passwd-same-fd 2 "both are 3" passwd l.img --key-fd 3 --new-key-fd 3

# --- 5. the terminal prompt -------------------------------------------------

# on_tty NAME COMMAND INPUT...: runs COMMAND on a fresh pseudo-terminal
# (script(1)), typing each INPUT line a moment apart; the terminal's output
# goes to $TMP/NAME.tty.  Sets rc.
on_tty() {
	local name=$1 cmd=$2; shift 2
	rm -f "$TMP/$name.done"
	{
		for line in "$@"; do sleep 1; printf '%s\n' "$line"; done
		for _ in $(seq 600); do [ -e "$TMP/$name.done" ] && break; sleep 0.1; done
	} | { timeout 60 script -qec "$cmd" /dev/null >"$TMP/$name.tty" 2>&1; echo $? >"$TMP/$name.rc"; : >"$TMP/$name.done"; }
	rc=$(cat "$TMP/$name.rc")
}
printf -v Q '%q ' "${DISK[@]}"
printf 'typed secret' >typed.txt

on_tty prompt "$Q create typed.img 8M --luks ${ITER[*]}" 'typed secret' 'typed secret'
if [ "$rc" -eq 0 ] && accepts typed.img typed.txt; then pass disk-prompt-create; else
	fail disk-prompt-create "exit $rc: $(tr -d '\r' <"$TMP/prompt.tty" | head -3)"
fi
check disk-prompt-no-echo eval '! grep -q "typed secret" "$TMP/prompt.tty"'

on_tty mismatch "$Q create other.img 8M --luks ${ITER[*]}" 'one thing' 'another'
if [ "$rc" -eq 1 ] && grep -q 'passphrases differ' "$TMP/mismatch.tty" && [ ! -e other.img ]; then
	pass disk-prompt-mismatch
else
	fail disk-prompt-mismatch "exit $rc: $(tr -d '\r' <"$TMP/mismatch.tty" | head -3)"
fi

on_tty passwd "$Q passwd typed.img ${ITER[*]}" 'typed secret' 'retyped' 'retyped'
printf 'retyped' >retyped.txt
if [ "$rc" -eq 0 ] && accepts typed.img retyped.txt && ! accepts typed.img typed.txt; then
	pass disk-prompt-passwd
else
	fail disk-prompt-passwd "exit $rc: $(tr -d '\r' <"$TMP/passwd.tty" | head -4)"
fi

# SIGTERM while the prompt waits: the terminal gets its echo back.
on_tty sigterm "$Q create sig.img 8M --luks & sleep 1; kill -TERM \$!; wait; stty -a"
if grep -qE '(^|[ ;])echo( |;|$)' "$TMP/sigterm.tty" && [ ! -e sig.img ]; then
	pass disk-prompt-signal-restores-echo
else
	fail disk-prompt-signal-restores-echo "$(tr -d '\r' <"$TMP/sigterm.tty" | grep -o -- '-\?echo ' | head -1)"
fi

setsid -w "${DISK[@]}" create notty.img 8M --luks </dev/null >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -qxF 'cordon disk: no terminal to ask for a passphrase (use --key-file or --key-fd)' "$TMP/err" && [ ! -e notty.img ]; then
	pass disk-prompt-no-terminal
else
	fail disk-prompt-no-terminal "exit $rc: $(head -2 "$TMP/err")"
fi

# --- help ---------------------------------------------------------------------

for sub in "" create info passwd; do
	run_disk $sub --help
	if [ "$rc" -eq 0 ] && grep -q "^Usage: cordon disk $sub" "$TMP/out"; then
		pass "disk-help${sub:+-$sub}"
	else
		fail "disk-help${sub:+-$sub}" "exit $rc: $(head -1 "$TMP/out")"
	fi
done
