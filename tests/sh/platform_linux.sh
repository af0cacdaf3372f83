#!/usr/bin/env bash
# Debian's 686 kernel on cordon's PC platform with its default command
# line (no acpi=off): ACPI from cordon's own tables for a kernel started
# directly, the PIIX4-style power management, and a guest that powers off
# (`poweroff -f` in the test initramfs) ending cordon with status 0.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
INIT_MARKER='cordon-guest: init ready'

if [ ! -x "$CORDON" ]; then
	fail platform-linux-binary "$CORDON was not built"
	exit 0
fi
if ! have_guest; then
	fail platform-linux-guest "$GUEST/vmlinuz or initrd.img missing (run 'make guest')"
	exit 0
fi

# boot NAME APPEND [options...]: sets $rc, console in $TMP/NAME.txt.
boot() {
	local name=$1 append=$2
	shift 2
	timeout "$BOOT_TIMEOUT" "$CORDON" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" \
		--append "$append" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	rc=$?
	tr -d '\r' <"$TMP/$name.out" >"$TMP/$name.txt"
}

has() { grep -q -- "$2" "$TMP/$1.txt"; }

# --- direct boot, ACPI on, powered off from inside -------------------------
cmd="ls /sys/bus/pci/devices; cat /sys/firmware/acpi/interrupts/sci; poweroff -f"
boot acpi "console=ttyS0 cordon.cmd=\"$cmd\""
check platform-linux-init has acpi "$INIT_MARKER"
check platform-linux-acpi-tables has acpi 'ACPI: RSDP 0x00000000000F0000'
check platform-linux-acpi-interpreter has acpi 'ACPI: Interpreter enabled'
check platform-linux-acpi-s5 has acpi 'ACPI: PM: (supports S0 S5)'
check platform-linux-acpi-root-bridge has acpi 'ACPI: PCI Root Bridge \[PCI0\]'
check platform-linux-acpi-irq-routing has acpi 'PCI: Using ACPI for IRQ routing'
check platform-linux-piix4-pm has acpi '0000:00:01.3'
check platform-linux-power-down has acpi 'reboot: Power down'
if [ "$rc" -eq 0 ]; then pass platform-linux-poweroff-exit-0; else
	fail platform-linux-poweroff-exit-0 "cordon exited $rc after the guest powered off"
	show_tail "$TMP/acpi.txt"; show_tail "$TMP/acpi.err"
fi
