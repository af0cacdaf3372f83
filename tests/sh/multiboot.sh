#!/usr/bin/env bash
# Boots the tiny Multiboot guests from tests/guest/ (built into build/tests/
# by `make test`): the loader's handover (command line, module, memory),
# the debug-exit port, a triple fault and an i8042 reset.
source "$(dirname "$0")/../lib.sh"

GUESTS="$TOP/build/tests"
if [ ! -x "$CORDON" ]; then
	fail multiboot-binary "$CORDON was not built"
	exit 0
fi
if [ ! -f "$GUESTS/guest-hello.elf" ]; then
	fail multiboot-guests "$GUESTS/guest-hello.elf missing (make -C tests/guest BUILD=$GUESTS)"
	exit 0
fi

# boot NAME.elf ARGS...: sets $rc, $out (serial output without CRs), $err.
boot() {
	local elf=$1; shift
	timeout 60 "$CORDON" run --kernel "$GUESTS/guest-$elf.elf" --memory 32M --serial stdio "$@" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	out=$(tr -d '\r' <"$TMP/out")
	err=$(cat "$TMP/err")
}

has_line() { grep -qxF -- "$1" <<<"$out"; }

# hello: command line and module reach the guest; port 0xf4 sets the status.
head -c 12345 /dev/urandom >"$TMP/module.bin"
boot hello --append "multiboot test 42" --initrd "$TMP/module.bin"
check multiboot-hello-exit-33 [ "$rc" -eq 33 ]
check multiboot-hello-cmdline has_line "hello from multiboot: multiboot test 42"
check multiboot-hello-modules has_line "modules: 1"
check multiboot-hello-module-size has_line "module 0: $TMP/module.bin (12345 bytes)"
check multiboot-hello-memory has_line "memory: 639 KiB low, 31744 KiB upper"
[ "$rc" -eq 33 ] || echo "  stdout: $(head -c 300 <<<"$out")  stderr: $(head -c 300 <<<"$err")"

boot hello
check multiboot-hello-no-initrd has_line "modules: 0"
check multiboot-hello-empty-cmdline has_line "hello from multiboot: "

# --no-jit: the same guest, interpreted only, prints and exits the same.
boot hello --append "interpreted 7" --no-jit --stats
check multiboot-no-jit-exit-33 [ "$rc" -eq 33 ]
check multiboot-no-jit-cmdline has_line "hello from multiboot: interpreted 7"
check multiboot-no-jit-ran grep -qE "instructions [1-9][0-9]*" <<<"$err"
check multiboot-no-jit-says-interpreting grep -q "(soft engine, interpreting)" <<<"$err"
boot hello --append "translated 7" --stats
check multiboot-jit-says-translating grep -q "(soft engine, translating)" <<<"$err"

# Serial output to a file instead of stdout.
"$CORDON" run --kernel "$GUESTS/guest-hello.elf" --memory 32M --append file-test \
	--serial "file:$TMP/serial.log" >/dev/null 2>&1 </dev/null
rc=$?
if [ "$rc" -eq 33 ] && tr -d '\r' <"$TMP/serial.log" | grep -qxF "hello from multiboot: file-test"; then
	pass multiboot-serial-file
else
	fail multiboot-serial-file "exit $rc, log: $(head -c 200 "$TMP/serial.log" 2>/dev/null)"
fi

# triple: an empty IDT and int3 end the VM with an error naming the fault.
boot triple
check multiboot-triple-ran grep -qF "triple: raising int3" <<<"$out"
check multiboot-triple-stopped bash -c "! grep -qF 'still running' \"\$1\"" _ "$TMP/out"
if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -qi 'triple' <<<"$err"; then
	pass multiboot-triple-fault
else
	fail multiboot-triple-fault "exit $rc, stderr: $err"
fi

# reset: 0xFE to the i8042 command port resets the machine: cordon exits 0.
boot reset
check multiboot-reset-ran grep -qF "reset: pulsing" <<<"$out"
if [ "$rc" -eq 0 ] && ! grep -qF "no reset happened" <<<"$out"; then
	pass multiboot-reset-exit-0
else
	fail multiboot-reset-exit-0 "exit $rc, stdout: $out, stderr: $err"
fi
