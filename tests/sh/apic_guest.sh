#!/usr/bin/env bash
# tests/guest/apic.c, a Multiboot kernel of our own, against the machine's
# APICs: CPUID's APIC bit and IA32_APIC_BASE, a self-IPI, the APIC timer
# one-shot (counting down, then 0) and periodic (five ticks, then masked),
# and the PIT's IRQ 0 arriving through I/O APIC pin 2 on its own vector;
# it reports through the debug-exit port: 0x21 is success (exit 0x43),
# anything else names the step that failed.
source "$(dirname "$0")/../lib.sh"

APIC="$TOP/build/tests/guest-apic.elf"
if [ ! -x "$CORDON" ] || [ ! -f "$APIC" ]; then
	fail apic-guest-prerequisites "$CORDON or $APIC is missing (make test builds them)"
	exit 0
fi
timeout 120 "$CORDON" run --kernel "$APIC" --serial stdio >"$TMP/apic.out" 2>"$TMP/apic.err" </dev/null
rc=$?
if [ "$rc" -eq 67 ]; then pass apic-guest-all-steps; else
	fail apic-guest-all-steps "exit $rc (step $(((rc - 1) / 2))): $(cat "$TMP/apic.out" "$TMP/apic.err")"
fi
check apic-guest-says-ok grep -qx 'apic: self-IPI, timer one-shot and periodic, I/O APIC: ok' <(tr -d '\r' <"$TMP/apic.out")
