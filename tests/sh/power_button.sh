#!/usr/bin/env bash
# `cordon stop VM` presses the guest's ACPI power button: a supervised
# Debian guest (the test initramfs, whose /init powers off on a press as a
# full userland's logind would) shuts down cleanly within the --timeout,
# and the supervisor records a clean end.  A guest started with acpi=off
# cannot hear the button and is stopped at once.
source "$(dirname "$0")/../lib.sh"

if [ ! -x "$CORDON" ]; then
	fail power-button-binary "$CORDON was not built"
	exit 0
fi
if ! have_guest; then
	fail power-button-guest "$GUEST/vmlinuz or initrd.img missing (run 'make guest')"
	exit 0
fi
cd "$TMP" || exit 1

cat >pb.sys <<EOF
levels UNCLASSIFIED < SECRET
vm listener {
	label UNCLASSIFIED
	memory 128M
	kernel "$GUEST/vmlinuz"
	initrd "$GUEST/initrd.img"
	append "console=ttyS0 cordon.cmd=\\"sleep 600\\""
}
vm deaf {
	label SECRET
	memory 64M
	kernel "$GUEST/vmlinuz"
	initrd "$GUEST/initrd.img"
	append "console=ttyS0 acpi=off cordon.cmd=\\"sleep 600\\""
}
EOF
S="$TMP/pb.state"
"$CORDON" up pb.sys --state-dir "$S" >pb.out 2>pb.err </dev/null &
UP_PID=$!

# wait_line FILE PATTERN SECONDS: FILE (a console log) gets a line matching
# the extended regular expression PATTERN.
wait_line() {
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		{ tr -d '\r' <"$1"; } 2>/dev/null | grep -qE -- "$2" && return 0
		kill -0 "$UP_PID" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

LISTENER="$S/logs/UNCLASSIFIED/listener.console"
DEAF="$S/logs/SECRET/deaf.console"
if wait_line "$LISTENER" '^cordon-guest: init ready$' 600 && wait_line "$DEAF" '^cordon-guest: init ready$' 600; then
	sleep 3 # /init's power-button watcher starts just before the marker
	"$CORDON" stop listener --state-dir "$S" --timeout 99999 >out 2>err
	if [ $? -ne 0 ] && grep -qF "timeout '99999' is not 0..3600 seconds" err; then
		pass power-button-timeout-checked
	else
		fail power-button-timeout-checked "$(cat err)"
	fi
	start=$SECONDS
	"$CORDON" stop listener --state-dir "$S" --timeout 120 >stop.out 2>stop.err
	check power-button-stop-accepted [ $? -eq 0 ]
	if wait_line "$LISTENER" '^cordon-guest: power button pressed, powering off$' 120; then
		pass power-button-guest-heard-it
	else
		fail power-button-guest-heard-it "$(tr -d '\r' <"$LISTENER" | tail -5)"
	fi
	check power-button-guest-powered-down wait_line "$LISTENER" 'reboot: Power down$' 60
	deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ] && ! grep -q "vm listener: guest powered off or reset" pb.out; do sleep 1; done
	check power-button-clean-end grep -q "vm listener: guest powered off or reset" pb.out
	check power-button-before-timeout [ $((SECONDS - start)) -lt 100 ]
	# The deaf guest: stopped at once, with the reason on its monitor's stderr.
	"$CORDON" stop deaf --state-dir "$S" --timeout 120 >/dev/null 2>&1
	deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ] && kill -0 "$UP_PID" 2>/dev/null; do sleep 1; done
	check power-button-deaf-stopped-at-once [ $SECONDS -lt "$deadline" ]
	check power-button-deaf-reason grep -rq "does not listen to the ACPI power button" pb.out pb.err "$S/logs"
else
	fail power-button-boot "the guests never reached their init marker: $(tail -3 pb.out)"
fi
"$CORDON" down --state-dir "$S" >/dev/null 2>&1
wait "$UP_PID" 2>/dev/null

"$CORDON" stop x --state-dir "$S" --timeout >out 2>err
check power-button-timeout-needs-value grep -qF -- "--timeout needs a value" err
