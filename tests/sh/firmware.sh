#!/usr/bin/env bash
# Firmware boot: Debian's SeaBIOS (the seabios package) on cordon's
# i440FX, with fw_cfg and the serial console (sercon).  A one-sector boot
# program on a virtio disk prints through the BIOS (INT 10h, which sercon
# sends to the serial port) and ends the VM through the debug-exit port,
# so the test sees the BIOS find the disk, load the sector and run it.
# Then the firmware files and options cordon must refuse.
source "$(dirname "$0")/../lib.sh"

BIOS=/usr/share/seabios/bios.bin
if [ ! -x "$CORDON" ]; then
	fail firmware-binary "$CORDON was not built"
	exit 0
fi
if [ ! -f "$BIOS" ]; then
	fail firmware-seabios "$BIOS missing (scripts/deps.sh installs seabios)"
	exit 0
fi

# bootsector FILE CHARS...: a 1 MiB disk whose MBR prints CHARS with
# INT 10h AH=0Eh, waits four timer ticks (sercon sends its text out from
# the timer interrupt), then writes 0x2a to port 0xf4 (cordon exits 85).
bootsector() {
	local file=$1 hex="" c
	shift
	for c in "$@"; do hex+="\\xb4\\x0e\\xb0\\x$(printf %02x "'$c")\\xcd\\x10"; done
	hex+="\\xfb\\xb9\\x04\\x00\\xf4\\xe2\\xfd" # sti; mov cx,4; 1: hlt; loop 1b
	hex+="\\xb0\\x2a\\xe6\\xf4\\xf4"
	printf "$hex" >"$file"
	truncate -s 510 "$file"
	printf '\x55\xaa' >>"$file"
	truncate -s 1M "$file"
}

bootsector "$TMP/boot.img" B o o t e d '!' $'\r' $'\n'
timeout 60 "$CORDON" run --memory 64M --disk "$TMP/boot.img" >"$TMP/fw.out" 2>"$TMP/fw.err" </dev/null
rc=$?
tr -d '\r' <"$TMP/fw.out" >"$TMP/fw.txt"
check firmware-seabios-banner grep -q 'SeaBIOS (version' "$TMP/fw.txt"
check firmware-boots-virtio-disk grep -q 'Booting from Hard Disk' "$TMP/fw.txt"
check firmware-boot-sector-prints grep -q 'Booted!' "$TMP/fw.txt"
if [ "$rc" -eq 85 ]; then pass firmware-boot-sector-exit; else
	fail firmware-boot-sector-exit "cordon exited $rc, expected 85 (debug exit 0x2a)"
	show_tail "$TMP/fw.txt"; show_tail "$TMP/fw.err"
fi

# --firmware FILE picks the image: the same BIOS through the option.
timeout 60 "$CORDON" run --memory 64M --firmware "$BIOS" --disk "$TMP/boot.img" \
	>"$TMP/fw2.out" 2>&1 </dev/null
check firmware-option-exit [ $? -eq 85 ]

# --- what must be refused ---------------------------------------------------

head -c 100000 "$BIOS" >"$TMP/odd.bin"
expect_refusal firmware-wrong-size "$TMP/odd.bin" --firmware "$TMP/odd.bin"
head -c 32768 "$BIOS" >"$TMP/small.bin"
expect_refusal firmware-too-small "$TMP/small.bin" --firmware "$TMP/small.bin"
expect_refusal firmware-directory "$TMP" --firmware "$TMP"
expect_refusal firmware-missing "$TMP/nope.bin" --firmware "$TMP/nope.bin"
cp "$BIOS" "$TMP/noread.bin"
chmod 000 "$TMP/noread.bin"
if [ "$(id -u)" -ne 0 ]; then
	expect_refusal firmware-unreadable "$TMP/noread.bin" --firmware "$TMP/noread.bin"
fi
expect_refusal firmware-initrd-without-kernel "--initrd" --initrd "$TMP/boot.img"
expect_refusal firmware-append-without-kernel "--append" --append "console=ttyS0"
expect_refusal firmware-and-kernel "--firmware" --firmware "$BIOS" --kernel "$TMP/boot.img"
