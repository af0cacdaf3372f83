#!/usr/bin/env bash
# Firmware boot the PC way: SeaBIOS, then GRUB (an image made by
# scripts/mkbootiso.sh from the `make guest` kernel and initramfs), then
# Debian's kernel to the init marker and its work (a cordon.cmd with
# spaces, which GRUB quotes its own way), from each of an ATAPI CD-ROM, a
# virtio-blk disk and an IDE disk.  The kernel uses SeaBIOS's ACPI tables
# and the I/O APIC, and each run ends with a plain `poweroff` in the guest
# and cordon's exit 0.  GRUB's menu is on the serial console.  Then the refusals: --boot cdrom without a CD-ROM,
# --cdrom of a directory or an empty file, two devices on one IDE position.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
if [ ! -x "$CORDON" ]; then
	fail firmware-grub-binary "$CORDON was not built"
	exit 0
fi
if ! have_guest; then
	fail firmware-grub-guest "$GUEST/vmlinuz or initrd.img missing (run 'make guest')"
	exit 0
fi
if ! "$TOP/scripts/mkbootiso.sh" --timeout 0 "$TMP/boot.iso" "$GUEST/vmlinuz" "$GUEST/initrd.img" \
	'cordon.cmd="echo cordon-guest: hello; poweroff; sleep 60"' >"$TMP/mkbootiso.log" 2>&1; then
	fail firmware-grub-image "scripts/mkbootiso.sh failed: $(tail -2 "$TMP/mkbootiso.log")"
	exit 0
fi

# grub_boot NAME OPTIONS...: firmware boot; checks the BIOS, GRUB, the
# kernel, init's work and the exit status.
grub_boot() {
	local name=$1 rc
	shift
	timeout "$BOOT_TIMEOUT" "$CORDON" run "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	rc=$?
	tr -d '\r' <"$TMP/$name.out" >"$TMP/$name.txt"
	check "firmware-grub-$name-seabios" grep -q 'SeaBIOS (version' "$TMP/$name.txt"
	check "firmware-grub-$name-menu" grep -q 'Debian GNU/Linux (cordon test image)' "$TMP/$name.txt"
	check "firmware-grub-$name-kernel" grep -q 'Kernel command line: BOOT_IMAGE=/boot/vmlinuz' "$TMP/$name.txt"
	check "firmware-grub-$name-init" grep -qx 'cordon-guest: init ready' "$TMP/$name.txt"
	check "firmware-grub-$name-work" grep -qx 'cordon-guest: hello' "$TMP/$name.txt"
	# SeaBIOS's own ACPI tables (OEM "BOCHS") and the I/O APIC, then a
	# plain `poweroff` through them.
	check "firmware-grub-$name-acpi" grep -q 'ACPI: RSDP .*BOCHS' "$TMP/$name.txt"
	check "firmware-grub-$name-acpi-s5" grep -q 'ACPI: PM: (supports S0 S5)' "$TMP/$name.txt"
	check "firmware-grub-$name-ioapic" grep -q 'ACPI: Using IOAPIC for interrupt routing' "$TMP/$name.txt"
	check "firmware-grub-$name-power-down" grep -q 'reboot: Power down' "$TMP/$name.txt"
	if [ "$rc" -eq 0 ]; then pass "firmware-grub-$name-exit-0"; else
		fail "firmware-grub-$name-exit-0" "cordon exited $rc"
		show_tail "$TMP/$name.txt"; show_tail "$TMP/$name.err"
	fi
}

grub_boot cdrom --cdrom "$TMP/boot.iso"
check firmware-grub-cdrom-from-cd grep -q 'Booting from DVD/CD' "$TMP/cdrom.txt"
grub_boot virtio-disk --disk "$TMP/boot.iso,ro"
grub_boot ide-disk --disk "$TMP/boot.iso,ro,if=ide" --cdrom "$TMP/boot.iso" --boot disk
check firmware-grub-ide-disk-from-disk grep -q 'Booting from Hard Disk' "$TMP/ide-disk.txt"

# --- refusals ----------------------------------------------------------------
expect_refusal firmware-boot-cdrom-without-cdrom "--boot cdrom" --boot cdrom
expect_refusal firmware-cdrom-directory "$TMP" --cdrom "$TMP"
: >"$TMP/empty.iso"
expect_refusal firmware-cdrom-empty "empty.iso" --cdrom "$TMP/empty.iso"
head -c 3000 /dev/zero >"$TMP/odd.iso"
expect_refusal firmware-cdrom-partial-sector "odd.iso" --cdrom "$TMP/odd.iso"
truncate -s 1M "$TMP/a.img" "$TMP/b.img"
expect_refusal firmware-ide-position-twice "two devices on one IDE position" \
	--disk "$TMP/a.img,if=ide,index=1" --disk "$TMP/b.img,if=ide,index=1"
expect_refusal firmware-ide-position-of-cdrom "two devices on one IDE position" \
	--disk "$TMP/a.img,if=ide,index=2" --cdrom "$TMP/boot.iso"
expect_refusal firmware-iso-as-kernel "--cdrom" --kernel "$TMP/boot.iso"
