#!/usr/bin/env bash
# memtest86+ (Debian's memtest86+ package, /boot/memtest86+ia32.bin, a
# bzImage whose header rounds its size past the file's end) started with
# --kernel: it must load, find the soft CPU and the RAM, and run its
# first tests (address, moving inversions) with no error on the serial
# console.  It never ends by itself; the test stops it by pid.
source "$(dirname "$0")/../lib.sh"

MEMTEST=/boot/memtest86+ia32.bin
if [ ! -x "$CORDON" ]; then
	fail memtest-binary "$CORDON was not built"
	exit 0
fi
if [ ! -f "$MEMTEST" ]; then
	fail memtest-image "$MEMTEST missing (scripts/deps.sh installs memtest86+)"
	exit 0
fi

"$CORDON" run --kernel "$MEMTEST" --append "console=ttyS0,115200" --memory 32M \
	>"$TMP/mt.out" 2>"$TMP/mt.err" </dev/null &
pid=$!
# Screen text without the escape sequences, one line per update.
screen() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]/\n/g' "$TMP/mt.out" | tr -d '\r'; }
screen_has() { screen | grep -qE -- "$1"; }
# memtest redraws only the characters of its screen that changed, at
# its own pace: a fast CPU can finish test #5 between two redraws, so
# its full title may never reach the console.  Any test from #5 on
# means the moving-inversion tests before it ran.
PAST_5='#([5-9]|1[0-9]) +\[[A-Z]'
deadline=$((SECONDS + 180))
while [ $SECONDS -lt $deadline ] && kill -0 "$pid" 2>/dev/null; do
	screen | grep -qE "$PAST_5" && break
	sleep 1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check memtest-started screen_has 'Memtest86\+ v6'
check memtest-found-cpu screen_has 'cordon soft CPU'
check memtest-found-memory screen_has 'Memory +: +32MB'
check memtest-address-test screen_has '#0 +\[Address test, walking ones'
check memtest-moving-inversions screen_has 'Moving inversions'
check memtest-past-test-5 screen_has "$PAST_5"
check memtest-no-errors screen_has 'Errors: 0'
if screen | grep -qE 'Errors: +[1-9]'; then
	fail memtest-errors-stay-0 "$(screen | grep -E 'Errors: +[1-9]' | head -1)"
else
	pass memtest-errors-stay-0
fi
check memtest-no-cordon-error [ ! -s "$TMP/mt.err" ]
