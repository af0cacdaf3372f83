#!/usr/bin/env bash
# scripts/mkext4.sh -- builds an ext4 disk image from a host directory, for
# `cordon run --disk IMAGE` (the guest mounts /dev/vdX).
#
#   scripts/mkext4.sh [--size SIZE] DIR IMAGE
#
# SIZE takes mke2fs's suffixes (K, M, G); the default is 64M.  The image is
# written to IMAGE.tmp and renamed into place only when mkfs.ext4 succeeded,
# so a failure never leaves a half-made IMAGE nor destroys an old one.
# Files keep their modes and owners; the root directory is owned by root.
set -euo pipefail

usage() {
	cat <<-'USAGE'
	Usage: scripts/mkext4.sh [--size SIZE] DIR IMAGE
	Builds IMAGE, an ext4 file system holding a copy of DIR's contents
	(mkfs.ext4 -d, from e2fsprogs), for `cordon run --disk IMAGE`.
	  --size SIZE   image size with a K/M/G suffix (default 64M)
	  -h, --help    show this help
	USAGE
}

die() { echo "mkext4: $*" >&2; exit 1; }

size=64M
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--size) [ $# -ge 2 ] || die "--size needs a value"; size=$2; shift 2 ;;
	--size=*) size=${1#--size=}; shift ;;
	--) shift; break ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
dir=$1 image=$2

[[ $size =~ ^[0-9]+[KMG]$ ]] || die "--size: '$size' is not a size like 64M"
[ -d "$dir" ] || die "$dir: not a directory"
[ ! -d "$image" ] || die "$image: is a directory"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is missing (apt-get install e2fsprogs)"

tmp="$image.tmp"
rm -f "$tmp"
trap 'rm -f "$tmp"' EXIT
# -E root_owner: files created by root in the guest must be writable;
# no journal resize or lazy init: the image is complete when this returns.
if ! out=$(mkfs.ext4 -q -F -L cordon -E root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0 \
	-d "$dir" "$tmp" "$size" 2>&1); then
	die "mkfs.ext4 failed for $dir: ${out:-no message}"
fi
mv -f "$tmp" "$image"
trap - EXIT
echo "mkext4: $image ($size) holds $(find "$dir" -mindepth 1 | wc -l) entries from $dir"
