#!/usr/bin/env bash
# Debian's 686 kernel on cordon's PC platform with its default command
# line (no noapic, nolapic or acpi=off), one boot: ACPI from cordon's own
# tables for a kernel started directly, the local APIC timer and the I/O
# APIC routing device interrupts (IO-APIC lines in /proc/interrupts, LOC
# rising), a virtio disk, an IDE disk (ata_piix, sda) and an ATAPI CD-ROM
# (sr0) read back against the host's checksums, virtio-net answering
# pings (tests/ping_peer.py is the host's end of the link), and a guest
# that powers off (a plain `poweroff`, through busybox's init as PID 1)
# ending cordon with status 0.
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

# --- direct boot, ACPI and APICs on, disks, powered off from inside ---------
head -c 4M /dev/urandom >"$TMP/vd.img"
head -c 8M /dev/urandom >"$TMP/hd.img"
head -c 2M /dev/urandom >"$TMP/cd.iso"
vd_md5=$(md5sum <"$TMP/vd.img" | cut -c1-32)
hd_md5=$(md5sum <"$TMP/hd.img" | cut -c1-32)
cd_md5=$(md5sum <"$TMP/cd.iso" | cut -c1-32)
cmd="ls /sys/bus/pci/devices; cat /proc/interrupts; sleep 1; echo loc2 \$(grep LOC: /proc/interrupts)"
cmd="$cmd; echo vda=\$(md5sum </dev/vda | cut -c1-32); echo sda=\$(md5sum </dev/sda | cut -c1-32)"
# The network: three pings to the peer on the host's end of the link.
net="ip link set eth0 up && ip addr add 10.0.2.1/24 dev eth0"
cmd="$cmd; $net && ping -c 3 -W 5 10.0.2.2 | grep -o '[0-9]* packets received'"
# A plain `poweroff`, as a user types it: it asks init (PID 1) to stop
# everything and power off; the sleep keeps the work from ending first.
cmd="$cmd; echo sr0=\$(md5sum </dev/sr0 | cut -c1-32); poweroff; sleep 60"
python3 "$TOP/tests/ping_peer.py" "$TMP/link" 52:54:00:12:34:02 10.0.2.2 "$BOOT_TIMEOUT" &
peer=$!
for _ in $(seq 50); do [ -S "$TMP/link" ] && break; sleep 0.1; done
boot acpi "console=ttyS0 cordon.cmd=\"$cmd\"" --disk "$TMP/vd.img" --disk "$TMP/hd.img,if=ide" \
	--cdrom "$TMP/cd.iso" --net "socket:$TMP/link"
kill "$peer" 2>/dev/null
wait "$peer" 2>/dev/null
check platform-linux-init has acpi "$INIT_MARKER"
check platform-linux-acpi-tables has acpi 'ACPI: RSDP 0x00000000000F0000'
check platform-linux-acpi-interpreter has acpi 'ACPI: Interpreter enabled'
check platform-linux-acpi-s5 has acpi 'ACPI: PM: (supports S0 S5)'
check platform-linux-acpi-root-bridge has acpi 'ACPI: PCI Root Bridge \[PCI0\]'
check platform-linux-piix4-pm has acpi '0000:00:01.3'
check platform-linux-ioapic-found has acpi 'IOAPIC\[0\]: apic_id 0, version 17, address 0xfec00000, GSI 0-23'
check platform-linux-ioapic-routing has acpi 'ACPI: Using IOAPIC for interrupt routing'
check platform-linux-timer-ioapic grep -qE '^ +0: +[0-9]+ +IO-APIC +2-edge +timer' "$TMP/acpi.txt"
check platform-linux-virtio-ioapic grep -qE 'IO-APIC +[0-9]+-fasteoi .*virtio' "$TMP/acpi.txt"
check platform-linux-ide-ioapic grep -qE 'IO-APIC +14-edge +ata_piix' "$TMP/acpi.txt"
# LOC: the local APIC timer's count, before and after a second of sleep.
loc1=$(grep -m1 -E '^LOC:' "$TMP/acpi.txt" | awk '{print $2}')
loc2=$(grep -m1 '^loc2 LOC:' "$TMP/acpi.txt" | awk '{print $3}')
if [ -n "$loc1" ] && [ -n "$loc2" ] && [ "$loc1" -gt 0 ] && [ "$loc2" -gt "$loc1" ]; then
	pass platform-linux-lapic-timer-rising
else
	fail platform-linux-lapic-timer-rising "LOC counts '$loc1' then '$loc2'"
fi
check platform-linux-ata-disk has acpi 'ata1.00: ATA-7: CORDON HARDDISK'
check platform-linux-atapi-cdrom has acpi 'ata2.00: ATAPI: CORDON CD-ROM'
check platform-linux-virtio-disk-data has acpi "vda=$vd_md5"
check platform-linux-ide-disk-data has acpi "sda=$hd_md5"
check platform-linux-cdrom-data has acpi "sr0=$cd_md5"
check platform-linux-net-ping has acpi '^3 packets received'
check platform-linux-init-powers-off has acpi 'Requesting system poweroff'
check platform-linux-power-down has acpi 'reboot: Power down'
if [ "$rc" -eq 0 ]; then pass platform-linux-poweroff-exit-0; else
	fail platform-linux-poweroff-exit-0 "cordon exited $rc after the guest powered off"
	show_tail "$TMP/acpi.txt"; show_tail "$TMP/acpi.err"
fi
