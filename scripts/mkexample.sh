#!/usr/bin/env bash
# scripts/mkexample.sh DIR -- makes the images examples/two-labels.sys uses
# (the example expects DIR = build/demo; tests pass their own directory):
#
#   public.img    ext4, 16 MiB: the UNCLASSIFIED VM's own disk
#   bulletin.img  ext4, 16 MiB: an UNCLASSIFIED note the SECRET VM reads
#   secret.img    ext4, 16 MiB: the SECRET VM's own disk
#   floppy.img    1 MiB of zeros: removable media, declared UNCLASSIFIED
#
# Each is mode 0600 (the supervisor refuses images other users could
# read), and any label record floppy.img.label from an earlier run is
# removed, so the floppy starts at its declared label.
set -euo pipefail
[ $# -eq 1 ] || { echo "Usage: scripts/mkexample.sh DIR" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
mkdir -p "$dir"
files=$(mktemp -d /tmp/cordon-example.XXXXXX)
trap 'rm -rf "$files"' EXIT

disk() { # disk NAME NOTE
	rm -rf "${files:?}/$1"
	mkdir -p "$files/$1"
	if [ -n "$2" ]; then printf '%s\n' "$2" >"$files/$1/note.txt"; fi
	"$TOP/scripts/mkext4.sh" --size 16M "$files/$1" "$dir/$1.img" >/dev/null
	chmod 600 "$dir/$1.img"
}

disk public ""
disk bulletin "UNCLASSIFIED bulletin from the host: the canteen opens at noon"
disk secret ""
rm -f "$dir/floppy.img" "$dir/floppy.img.label"
truncate -s 1M "$dir/floppy.img"
chmod 600 "$dir/floppy.img"
