#!/usr/bin/env bash
# Boots Debian 12's stock 686 kernel with the initramfs from scripts/mkguest.sh
# (build/guest/, made by `make guest` and `make test`), three times:
#
#   1. cordon.cmd= runs a command whose output the host checks: arithmetic
#      and an md5sum of generated data, plus the guest's /proc/cpuinfo,
#      the PCI devices Linux found (the host bridge at 00:00.0, the PIIX3
#      at 00:01.0, virtio-rng at 00:02.0) and 16 bytes read from /dev/hwrng through virtio-rng.
#   2. --audit-sensitive: the table on stderr must list every sensitive
#      instruction, with the counts a Linux guest cannot avoid.
#   3. the interactive shell, driven through a pipe on stdin.
#
# Each boot takes about a minute with the soft engine today, so the tests
# share boots rather than booting once per check.
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
BASE_APPEND='console=ttyS0 noapic nolapic acpi=off'
INIT_MARKER='cordon-guest: init ready'

if [ ! -x "$CORDON" ]; then
	fail boot-linux-binary "$CORDON was not built"
	exit 0
fi
if ! have_guest; then
	fail boot-linux-guest "$GUEST/vmlinuz or initrd.img missing (run 'make guest')"
	exit 0
fi

# boot NAME APPEND [cordon options...]: boots the guest non-interactively;
# sets $rc and leaves the console in $TMP/NAME.out, stderr in $TMP/NAME.err.
boot() {
	local name=$1 append=$2
	shift 2
	timeout "$BOOT_TIMEOUT" "$CORDON" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" \
		--append "$BASE_APPEND $append" --serial stdio "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	rc=$?
	tr -d '\r' <"$TMP/$name.out" >"$TMP/$name.txt"
}

# has_line NAME LINE: the console of boot NAME has exactly this line.
has_line() { grep -qxF -- "$2" "$TMP/$1.txt"; }

# expect_clean_boot NAME: the checks every boot shares; on failure, the tail
# of the console and of stderr.
expect_clean_boot() {
	local name=$1 ok=1
	if has_line "$name" "$INIT_MARKER"; then pass "boot-linux-$name-init"; else
		fail "boot-linux-$name-init" "no '$INIT_MARKER' line on the console"; ok=0
	fi
	if grep -q 'reboot: Restarting system' "$TMP/$name.txt"; then pass "boot-linux-$name-reboot"; else
		fail "boot-linux-$name-reboot" "the guest never said 'reboot: Restarting system'"; ok=0
	fi
	if [ "$rc" -eq 0 ]; then pass "boot-linux-$name-exit-0"; else
		fail "boot-linux-$name-exit-0" "cordon exited $rc$([ "$rc" -eq 124 ] && echo " (timeout ${BOOT_TIMEOUT}s)")"; ok=0
	fi
	if [ "$ok" -eq 0 ]; then
		show_tail "$TMP/$name.txt"
		show_tail "$TMP/$name.err"
	fi
}

# --- 1. a command computed in the guest -----------------------------------
# The command line may hold no double quote: /init's cordon.cmd="..." ends at
# the first one.  The expected values are computed here, on the host.
SEQ_N=5000
expect_product=$((1234 * 5678))
expect_md5=$(seq 1 "$SEQ_N" | md5sum | cut -d' ' -f1)
cmd="echo product=\$((1234*5678)); echo md5=\$(seq 1 $SEQ_N | md5sum | cut -c1-32); grep -m1 '^model name' /proc/cpuinfo; ls /sys/bus/pci/devices; echo rng=\$(cat /sys/class/misc/hw_random/rng_current); echo hwrng=\$(head -c 16 /dev/hwrng | od -An -tx1)"
boot cmd "cordon.cmd=\"$cmd\""
expect_clean_boot cmd
check boot-linux-cmd-arithmetic has_line cmd "product=$expect_product"
check boot-linux-cmd-md5 has_line cmd "md5=$expect_md5"
check boot-linux-cmd-status has_line cmd "cordon-guest: command exited with status 0"
check boot-linux-cmd-pci-host-bridge grep -qE '(^|[[:space:]])0000:00:00\.0([[:space:]]|$)' "$TMP/cmd.txt"
check boot-linux-cmd-pci-piix3 grep -qE '(^|[[:space:]])0000:00:01\.0([[:space:]]|$)' "$TMP/cmd.txt"
check boot-linux-cmd-pci-virtio-rng grep -qE '(^|[[:space:]])0000:00:02\.0([[:space:]]|$)' "$TMP/cmd.txt"
# The guest's hwrng core picked virtio-rng, and reading /dev/hwrng gave 16
# bytes (od prints them as 16 hex pairs), not all zero.
check boot-linux-cmd-rng-current grep -qE '^rng=virtio_rng(\.[0-9]+)?$' "$TMP/cmd.txt"
hwrng=$(sed -n 's/^hwrng= *//p' "$TMP/cmd.txt" | head -1)
if grep -qE '^([0-9a-f]{2} ){15}[0-9a-f]{2}$' <<<"$hwrng" && [ "$hwrng" != "$(printf '00 %.0s' {1..15})00" ]; then
	pass boot-linux-cmd-hwrng-bytes
else
	fail boot-linux-cmd-hwrng-bytes "expected 16 random bytes from /dev/hwrng, got '$hwrng'"
fi
model=$(grep -m1 '^model name' "$TMP/cmd.txt" | sed 's/^model name[[:space:]]*:[[:space:]]*//')
if grep -qi cordon <<<"$model"; then
	pass boot-linux-cpuinfo-model
else
	fail boot-linux-cpuinfo-model "/proc/cpuinfo model name is '$model', expected it to name cordon"
fi

# --- 2. the sensitive-instruction audit -----------------------------------
boot audit "cordon.run=hello" --audit-sensitive
expect_clean_boot audit
check boot-linux-audit-hello has_line audit "cordon-guest: hello"

# The rows of the table: "NAME CPL0 CPL1-2 CPL3 faulted", NAME may hold spaces.
# audit_field NAME COLUMN (1=CPL0 2=CPL1-2 3=CPL3 4=faulted): the number, or
# nothing when the row is missing.
audit_field() {
	awk -v want="$1" -v col="$2" '
		NF >= 5 && $(NF-3) ~ /^[0-9]+$/ && $NF ~ /^[0-9]+$/ {
			name = $1; for (i = 2; i <= NF - 4; i++) name = name " " $i
			if (name == want) { print $(NF - 4 + col); exit }
		}' "$TMP/audit.err"
}
MNEMONICS=("SGDT" "SIDT" "SLDT" "SMSW" "STR" "PUSHF" "POPF" "LAR" "LSL" "VERR" "VERW"
	"PUSH Sreg" "POP Sreg" "MOV r/m,Sreg" "MOV Sreg,r/m" "CALL far" "JMP far" "RET far"
	"IRET" "INT n")
missing=() cpl12=() cpl3_total=0 overfault=()
for m in "${MNEMONICS[@]}"; do
	c0=$(audit_field "$m" 1) c12=$(audit_field "$m" 2) c3=$(audit_field "$m" 3) f=$(audit_field "$m" 4)
	if [ -z "$c0" ]; then missing+=("$m"); continue; fi
	[ "$c12" -ne 0 ] && cpl12+=("$m=$c12")
	cpl3_total=$((cpl3_total + c3))
	[ "$f" -gt $((c0 + c12 + c3)) ] && overfault+=("$m")
done
if [ ${#missing[@]} -eq 0 ]; then pass boot-linux-audit-all-rows; else
	fail boot-linux-audit-all-rows "no row for: ${missing[*]}"
	show_tail "$TMP/audit.err"
fi
# Linux runs its kernel at CPL 0 and busybox at CPL 3, never at CPL 1 or 2.
if [ ${#cpl12[@]} -eq 0 ]; then pass boot-linux-audit-no-cpl12; else
	fail boot-linux-audit-no-cpl12 "Linux never runs at CPL 1-2, yet: ${cpl12[*]}"
fi
if [ "$cpl3_total" -gt 0 ]; then pass boot-linux-audit-user-at-cpl3; else
	fail boot-linux-audit-user-at-cpl3 "every CPL3 count is 0, though busybox ran in user mode"
fi
if [ ${#overfault[@]} -eq 0 ]; then pass boot-linux-audit-faults-le-runs; else
	fail boot-linux-audit-faults-le-runs "more faults than executions for: ${overfault[*]}"
fi
# What a 32-bit Linux kernel cannot boot without: saving/restoring EFLAGS
# around interrupt masking, loading segment registers, returning from
# interrupts and exceptions.
for m in PUSHF POPF "MOV Sreg,r/m" IRET; do
	n=$(audit_field "$m" 1)
	check "boot-linux-audit-cpl0-${m//[^A-Za-z]/}" [ "${n:-0}" -gt 0 ]
done

# --- 3. the interactive shell over a pipe ---------------------------------
shell_ok=1
shell_session shell 'echo marker-$((40+2))' marker-42 --append "$BASE_APPEND" --serial stdio
case $session_got in
0) pass boot-linux-shell-marker ;;
1) fail boot-linux-shell-marker "no 'marker-42' line within 120 s of sending the command"; shell_ok=0 ;;
*) fail boot-linux-shell-marker "the interactive shell never started"; shell_ok=0 ;;
esac
rc=$session_rc
if [ "$rc" -eq 0 ]; then pass boot-linux-shell-exit-0; else
	fail boot-linux-shell-exit-0 "cordon exited $rc$([ "$rc" -eq 124 ] && echo " (timeout ${BOOT_TIMEOUT}s)")"; shell_ok=0
fi
if [ "$shell_ok" -eq 0 ]; then
	show_tail "$TMP/shell.txt"
	show_tail "$TMP/shell.err"
fi
