# Shared helpers for the shell tests under tests/sh/.  Each test prints
# "ok   NAME" or "FAIL NAME: why"; tests/run.sh counts those lines.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORDON="$TOP/build/cordon"
GUEST="$TOP/build/guest"
TMP=$(mktemp -d /tmp/cordon-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1: $2"; }
# check NAME CONDITION-COMMAND...: pass when the command succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "$*"; fi; }
# skip_unless_guest: the boot tests need build/guest (made by `make guest`).
have_guest() { [ -f "$GUEST/vmlinuz" ] && [ -f "$GUEST/initrd.img" ]; }
