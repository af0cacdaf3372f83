#!/usr/bin/env bash
# The guest transfer tools (guest/cordon-send.c, guest/cordon-receive.c),
# the very i386 binaries the guest image ships, run here under qemu-i386
# with --port on a file instead of the virtio port.  The sender writes
# exactly the outbox stream docs/transfer.md describes; the receiver,
# given the inbox stream of the same files, keeps bytes, names and
# modes; it refuses an outbox stream, a name that would leave
# DIR, an existing symlink at the target name, a digest mismatch, a cut
# stream and a setuid mode, each with nothing partial left behind.  All
# three guest tools, cordon-udp too, answer --help.
source "$(dirname "$0")/../lib.sh"

SEND="$TOP/build/tests/cordon-send"
RECV="$TOP/build/tests/cordon-receive"
UDP="$TOP/build/tests/cordon-udp"
for f in "$SEND" "$RECV" "$UDP"; do
	if [ ! -x "$f" ]; then
		fail xfer-tools-prerequisites "$f is missing (make test builds it)"
		exit 0
	fi
done
if ! command -v qemu-i386 >/dev/null; then
	fail xfer-tools-prerequisites "qemu-i386 is missing (scripts/deps.sh installs qemu-user)"
	exit 0
fi
cd "$TMP" || exit 1
send() { qemu-i386 "$SEND" "$@"; }
recv() { qemu-i386 "$RECV" "$@"; }

# --- crafting streams (docs/transfer.md) ---------------------------------
le() { # VALUE BYTES: little-endian
	local v=$1 i out=
	for ((i = 0; i < $2; i++)); do out+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255))); done
	printf "$out"
}
hexbin() { local h=$1 i out=; for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done; printf "$out"; }
# hdr VM NFILES [FLAGS]: a transfer header, of an inbox stream unless FLAGS is 0.
hdr() { printf 'CORDONXF'; le 1 2; le "${3:-1}" 2; le "$2" 4; le ${#1} 1; printf '%s' "$1"; }
# rec NAME MODE FILE [DIGEST]: a file record whose data is FILE, with the
# inbox stream's trailer (DIGEST, else FILE's SHA-256) unless DIGEST is -.
rec() {
	local size; size=$(stat -c %s "$3")
	printf 'FILE'; le "$2" 2; le "$(printf '%s' "$1" | wc -c)" 2; le "$size" 8; printf '%s' "$1"
	cat "$3"
	[ "${4:-}" = - ] || { printf 'SHA2'; hexbin "${4:-$(sha256sum <"$3" | cut -d' ' -f1)}"; }
}
endrec() { printf 'END.'; le "$1" 4; }
# all 'CMD' 'CMD'...: every shell command succeeds (for check).
all() { local c; for c in "$@"; do eval "$c" || return 1; done; }
# nothing_partial DIR: no temporary file of cordon-receive is left in DIR.
nothing_partial() { [ -z "$(find "$1" -name '.cordon-receive.*')" ]; }

# --- help: --help is usage on stdout and status 0; a bad command line is
# usage on stderr and status 2 -------------------------------------------------
for tool in "$SEND" "$RECV" "$UDP"; do
	t=$(basename "$tool")
	qemu-i386 "$tool" --help >help.out 2>help.err
	rc=$?
	check "xfer-tools-$t-help" all "[ $rc -eq 0 ]" "grep -q '^usage: $t ' help.out" '[ ! -s help.err ]'
	qemu-i386 "$tool" >usage.out 2>usage.err
	rc=$?
	check "xfer-tools-$t-usage" all "[ $rc -eq 2 ]" "grep -q '^usage: $t ' usage.err" '[ ! -s usage.out ]'
done

# --- a round trip ----------------------------------------------------------
mkdir -p src dst
head -c 200000 /dev/urandom >src/data.bin
printf 'report\n' >src/report.txt
printf '#!/bin/sh\necho hi\n' >src/run.sh
chmod 4755 src/run.sh # setuid at the source: must arrive as plain 0755
send --port sent.stream high src/data.bin src/report.txt src/run.sh >send.out 2>send.err
check xfer-tools-send-says-queued grep -qx 'cordon-send: queued 3 files (200025 bytes) for high' send.out
{ hdr high 3 0; rec data.bin 420 src/data.bin -; rec report.txt 420 src/report.txt -
  rec run.sh 493 src/run.sh -; endrec 3; } >want.stream # 420 = 0644, 493 = 0755
check xfer-tools-send-writes-the-outbox-stream cmp -s want.stream sent.stream
# What the guard makes of it for the target: the inbox stream.
{ hdr low 3; rec data.bin 420 src/data.bin; rec report.txt 420 src/report.txt
  rec run.sh 493 src/run.sh; endrec 3; } >rt.stream
recv --port sent.stream dst >/dev/null 2>outbox.err
rc=$?
check xfer-tools-receive-refuses-an-outbox-stream \
	all '[ $rc -eq 1 ]' "grep -q 'an inbox stream has 0x1' outbox.err" '[ -z "$(ls -A dst)" ]'
recv --port rt.stream dst >recv.out 2>recv.err
check xfer-tools-receive-exit-0 [ $? -eq 0 ]
check xfer-tools-roundtrip-bytes cmp -s src/data.bin dst/data.bin
check xfer-tools-roundtrip-digest-printed \
	grep -qx "data.bin: sha256 $(sha256sum <src/data.bin | cut -d' ' -f1)" recv.out
check xfer-tools-modes [ "$(stat -c %a dst/data.bin dst/report.txt dst/run.sh | tr '\n' ' ')" = "644 644 755 " ]
check xfer-tools-nothing-partial-after-success nothing_partial dst
# A second receive of the same stream: every name exists, nothing replaced.
printf 'mine\n' >dst/report.txt
recv --port rt.stream dst >again.out 2>again.err
rc=$?
check xfer-tools-existing-not-replaced all '[ $rc -eq 2 ]' 'grep -qx mine dst/report.txt'
check xfer-tools-existing-reported grep -q 'report.txt: already exists in dst: not replaced' again.err

# --- the sender's own checks -------------------------------------------------
printf x >"src/bad
name"
send --port bad.stream high "src/bad
name" >/dev/null 2>bad.err
rc=$?
check xfer-tools-send-refuses-control-name all '[ $rc -ne 0 ]' "grep -q 'holds a control character' bad.err"
send --port bad.stream 'high/../x' src/report.txt >/dev/null 2>bad.err
check xfer-tools-send-refuses-bad-vm [ $? -eq 2 ]

# --- hostile streams at the receiver ----------------------------------------
mkdir -p outside box
# A name that would leave DIR (the guard never lets one through; the
# receiver checks again with the same code).
{ hdr high 1; rec '../escaped' 420 src/report.txt; endrec 1; } >escape.stream
recv --port escape.stream box >/dev/null 2>escape.err
rc=$?
check xfer-tools-escape-refused all '[ $rc -eq 1 ]' "grep -qF \"holds '/'\" escape.err"
check xfer-tools-escape-nothing-written all '[ ! -e escaped ]' '[ -z "$(ls -A box)" ]'

# An existing symlink at the target name, pointing outside DIR.
printf 'untouched\n' >outside/target
ln -s ../outside/target box/link
{ hdr high 1; rec link 420 src/data.bin; endrec 1; } >link.stream
recv --port link.stream box >/dev/null 2>link.err
rc=$?
check xfer-tools-symlink-refused all '[ $rc -eq 2 ]' "grep -q 'link: already exists' link.err"
check xfer-tools-symlink-target-untouched grep -qx untouched outside/target
check xfer-tools-symlink-kept [ "$(readlink box/link)" = ../outside/target ]
check xfer-tools-symlink-nothing-partial nothing_partial box

# A digest that does not match 200000 bytes of data (written, then dropped).
{ hdr high 1; rec big.bin 420 src/data.bin "$(printf '%064d' 0)"; endrec 1; } >digest.stream
recv --port digest.stream box >/dev/null 2>digest.err
rc=$?
check xfer-tools-digest-mismatch-refused all '[ $rc -eq 1 ]' "grep -q 'SHA-256 of the data does not match' digest.err"
check xfer-tools-digest-mismatch-nothing-left all '[ ! -e box/big.bin ]' 'nothing_partial box'

# A stream cut in the middle of a file.
{ hdr high 1; rec cut.bin 420 src/data.bin; endrec 1; } | head -c 100000 >cut.stream
recv --port cut.stream box >/dev/null 2>cut.err
rc=$?
check xfer-tools-cut-refused all '[ $rc -eq 1 ]' "grep -q 'in the middle of a transfer' cut.err"
check xfer-tools-cut-nothing-left all '[ ! -e box/cut.bin ]' 'nothing_partial box'

# A setuid mode in the stream.
{ hdr high 1; rec suid 2541 src/run.sh; endrec 1; } >suid.stream # 2541 = 04755
recv --port suid.stream box >/dev/null 2>suid.err
rc=$?
check xfer-tools-setuid-refused all '[ $rc -eq 1 ]' "grep -q 'only 0644 and 0755' suid.err"
check xfer-tools-setuid-nothing-left all '[ ! -e box/suid ]' 'nothing_partial box'
check xfer-tools-box-holds-only-the-link [ "$(ls -A box)" = link ]
