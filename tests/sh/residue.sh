#!/usr/bin/env bash
# Residual information: guest RAM is fresh zeroed memory for every VM.  VM A
# (guest-residue.elf "fill SEED") covers all its free RAM with a pattern and
# exits; VM B started right afterwards ("scan SEED") must find no trace of
# it, nor any non-zero word at all.  "fill-then-scan" does both in one VM to
# show that the scan does see a pattern when one is there.
source "$(dirname "$0")/../lib.sh"

ELF="$TOP/build/tests/guest-residue.elf"
if [ ! -x "$CORDON" ]; then
	fail residue-binary "$CORDON was not built"
	exit 0
fi
if [ ! -f "$ELF" ]; then
	fail residue-guest "$ELF missing (make -C tests/guest BUILD=$TOP/build/tests)"
	exit 0
fi

PAGE_WORDS=512 # 64-bit words in a 4 KiB page
MAGIC_WORDS=2  # of them holding the page's magic, the rest the pattern

# residue MEMORY CMDLINE: boots the guest; sets $rc and $out (no CRs).
residue() {
	timeout 60 "$CORDON" run --kernel "$ELF" --memory "$1" --serial stdio --append "$2" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	out=$(tr -d '\r' <"$TMP/out")
}

# why: what the last run printed, for a FAIL line.
why() { echo "exit $rc, stdout: $(head -c 300 <<<"$out" | tr '\n' '|') stderr: $(head -c 200 "$TMP/err")"; }

random_seed() { od -An -N4 -tu4 /dev/urandom | tr -d ' \n'; }

# The guest uses RAM from the end of its image (a few pages past 1 MiB) to
# the top; anything less than all but its first 2 MiB means it missed RAM.
pages_ok() {
	local mib=${1%M} n=$2
	[ "$n" -le $(((mib - 1) * 256)) ] && [ "$n" -ge $(((mib - 2) * 256)) ]
}

# fill_then_scan_elsewhere NAME FILL-MEMORY SCAN-MEMORY: one VM fills, the next scans.
fill_then_scan_elsewhere() {
	local name=$1 seed filled
	seed=$(random_seed)
	residue "$2" "fill $seed"
	filled=$(sed -n 's/^filled \([0-9][0-9]*\) pages$/\1/p' <<<"$out")
	if [ "$rc" -eq 3 ] && [ -n "$filled" ] && pages_ok "$2" "$filled"; then
		pass "$name-fill"
	else
		fail "$name-fill" "$(why)"
		return
	fi
	residue "$3" "scan $seed"
	local expect="scan: magic-pages=0 pattern-words=0 nonzero-words=0 pages="
	local scanned
	scanned=$(sed -n "s/^${expect}\([0-9][0-9]*\)$/\1/p" <<<"$out")
	if [ "$rc" -eq 5 ] && [ -n "$scanned" ] && pages_ok "$3" "$scanned" &&
		{ [ "$2" != "$3" ] || [ "$scanned" -eq "$filled" ]; }; then
		pass "$name-scan-clean"
	else
		fail "$name-scan-clean" "seed $seed: $(why)"
	fi
}

for mem in 32M 128M; do
	fill_then_scan_elsewhere "residue-$mem-first" "$mem" "$mem"
	fill_then_scan_elsewhere "residue-$mem-again" "$mem" "$mem"
done
# A big VM's pattern must not show up in a smaller VM either.
fill_then_scan_elsewhere residue-128M-then-64M 128M 64M

# The scan can fail: in one VM, after its own fill, it must count every page
# and every pattern word.
seed=$(random_seed)
residue 64M "fill-then-scan $seed"
n=$(sed -n 's/^filled \([0-9][0-9]*\) pages$/\1/p' <<<"$out")
if [ "$rc" -eq 7 ] && [ -n "$n" ] && pages_ok 64M "$n" &&
	grep -qxF "scan: magic-pages=$n pattern-words=$((n * (PAGE_WORDS - MAGIC_WORDS))) nonzero-words=$((n * PAGE_WORDS)) pages=$n" <<<"$out"; then
	pass residue-self-scan-sees-pattern
else
	fail residue-self-scan-sees-pattern "seed $seed: $(why)"
fi

# A malformed command line is refused (guest exit 4, status 9), not run.
residue 32M "fill-then-scan notanumber"
if [ "$rc" -eq 9 ] && grep -qxF "residue: SEED is not a decimal number" <<<"$out"; then
	pass residue-bad-cmdline-rejected
else
	fail residue-bad-cmdline-rejected "$(why)"
fi
