#!/usr/bin/env bash
# virtio-console (--hvc), two Debian boots:
#   1. --serial file: and --hvc file: side by side: what the guest writes to
#      /dev/hvc0 lands in the hvc file and only there, what it writes to the
#      serial console only in the serial file.
#   2. console=hvc0 as the guest's only console, --hvc stdio: /init and the
#      interactive shell talk over hvc0; commands typed on stdin run and
#      their output comes back on stdout, while the serial file stays empty
#      of them.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
BASE='noapic nolapic acpi=off'

if [ ! -x "$CORDON" ] || ! have_guest; then
	fail hvc-prerequisites "$CORDON or the guest in $GUEST is missing (run 'make guest')"
	exit 0
fi
cd "$TMP" || exit 1

# --- 1. two consoles, two files --------------------------------------------

cmd='echo hvc-says-$((6*7)) >/dev/hvc0; echo serial-says-$((5*5))'
timeout "$BOOT_TIMEOUT" "$CORDON" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" \
	--append "console=ttyS0 $BASE cordon.cmd=\"$cmd\"" \
	--serial file:serial1.log --hvc file:hvc1.log >out1 2>err1 </dev/null
rc=$?
tr -d '\r' <serial1.log >serial1.txt 2>/dev/null
tr -d '\r' <hvc1.log >hvc1.txt 2>/dev/null
ok=1
c() { if "${@:2}"; then pass "$1"; else fail "$1" "${*:2}"; ok=0; fi; }
c hvc-file-exit-0 [ "$rc" -eq 0 ]
c hvc-file-gets-hvc0-output grep -qxF hvc-says-42 hvc1.txt
c hvc-file-not-on-serial bash -c '! grep -qx hvc-says-42 serial1.txt'
c hvc-serial-gets-its-output grep -qxF serial-says-25 serial1.txt
c hvc-serial-not-on-hvc bash -c '! grep -qx serial-says-25 hvc1.txt'
c hvc-stdout-empty [ ! -s out1 ]
c hvc-no-device-errors [ ! -s err1 ]
if [ "$ok" -eq 0 ]; then show_tail serial1.txt; show_tail err1; fi

# --- 2. console=hvc0, typed on stdin ------------------------------------------

shell_session hvc2 'echo typed-$((8*8))' typed-64 --append "console=hvc0 $BASE" \
	--serial file:serial2.log --hvc stdio
tr -d '\r' <serial2.log >serial2.txt 2>/dev/null
ok=1
c hvc-console-exit-0 [ "$session_rc" -eq 0 ]
c hvc-console-init-speaks grep -qxF 'cordon-guest: interactive shell; exit it to reboot' "$TMP/hvc2.txt"
c hvc-console-typed-command-ran [ "$session_got" -eq 0 ]
c hvc-console-serial-silent bash -c '! grep -q "typed-64\|interactive shell" serial2.txt'
if [ "$ok" -eq 0 ]; then show_tail "$TMP/hvc2.txt"; show_tail serial2.txt; show_tail "$TMP/hvc2.err"; fi
