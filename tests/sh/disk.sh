#!/usr/bin/env bash
# virtio-blk over raw images (--disk FILE[,ro]):
#   1. images cordon must refuse before the guest starts: each a non-zero
#      exit below 128, one error line naming the file, the image unchanged;
#   2. one Debian boot with two disks: the guest reads a marker the host put
#      at a known sector of vda, writes its own marker at another sector with
#      conv=fsync (checked in the image afterwards), and fails to write to
#      the read-only vdb, whose image stays byte-identical; it also mounts
#      an ext4 image (made by scripts/mkext4.sh) as vdc, reads a file the
#      host put there and writes one the host then finds with debugfs.
#      The same boot has a fourth virtio disk and four IDE disks, eight in
#      all (the two kinds are counted apart, as in QEMU): the guest lists
#      the size of each of vda..vdd, which must be its image's, and of
#      sda..sdd, which must be the four IDE images' (Linux probes the two
#      IDE channels in parallel, so which is sda varies from boot to boot;
#      tests/unit/test_vm_disks.c checks each position's image).
source "$(dirname "$0")/../lib.sh"

BOOT_TIMEOUT=600
APPEND='console=ttyS0 noapic nolapic acpi=off quiet'

if [ ! -x "$CORDON" ]; then
	fail disk-binary "$CORDON was not built"
	exit 0
fi
if ! have_guest; then
	fail disk-guest "$GUEST/vmlinuz or initrd.img missing (run 'make guest')"
	exit 0
fi

# expect_refusal NAME MESSAGE IMAGE ARGS...: cordon run ARGS exits 1 with
# exactly the one line "cordon: MESSAGE", and IMAGE (if a file) is unchanged.
expect_refusal() {
	local name=$1 msg=$2 image=$3 before="" after=""; shift 3
	[ -f "$image" ] && before=$(md5sum <"$image")
	timeout 60 "$CORDON" run --kernel "$GUEST/vmlinuz" --serial none "$@" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	local rc=$?
	[ -f "$image" ] && after=$(md5sum <"$image")
	if [ "$rc" -ne 1 ]; then
		fail "$name" "exit $rc, expected 1: $(head -3 "$TMP/err")"
	elif [ "$(cat "$TMP/err")" != "cordon: $msg" ]; then
		fail "$name" "expected 'cordon: $msg', got: $(head -3 "$TMP/err")"
	elif [ "$before" != "$after" ]; then
		fail "$name" "the image $image changed"
	else
		pass "$name"
	fi
}

# --- 1. refused images ------------------------------------------------------

cd "$TMP" || exit 1
truncate -s 64K good.img
printf 'untouched' | dd of=good.img conv=notrunc status=none
head -c 1000 /dev/urandom >odd.img
mkdir adir

expect_refusal disk-missing "missing.img: no such file" missing.img --disk missing.img
expect_refusal disk-directory "adir: is a directory, not a disk image" adir --disk adir
expect_refusal disk-directory-ro "adir: is a directory, not a disk image" adir --disk adir,ro
expect_refusal disk-not-regular "/dev/null: not a regular file" /dev/null --disk /dev/null
expect_refusal disk-odd-size "odd.img: size 1000 bytes is not a multiple of 512" odd.img \
	--disk odd.img
expect_refusal disk-twice-rw "good.img: already in use read-write" good.img \
	--disk good.img --disk good.img
expect_refusal disk-rw-and-ro "$TMP/good.img: same image as --disk good.img, which is read-write" \
	good.img --disk good.img --disk "$TMP/good.img,ro"
# Another process (as another cordon would) holds the read-write lock.
flock -x good.img sleep 30 &
holder=$!
sleep 0.3
expect_refusal disk-locked-elsewhere "good.img: already in use read-write" good.img --disk good.img
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Too many disks of a kind is a usage error (exit 2), named on the command line.
too_many() { # NAME MESSAGE ARGS...
	local name=$1 msg=$2
	shift 2
	"$CORDON" run --kernel x "$@" >/dev/null 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -qF "$msg" "$TMP/err"; then pass "$name"; else
		fail "$name" "exit $rc: $(head -2 "$TMP/err")"
	fi
}
too_many disk-too-many-virtio "is one too many (at most 4 virtio disks" --disk good.img,ro \
	--disk good.img,ro --disk good.img,ro --disk good.img,ro --disk good.img,ro
too_many disk-too-many-ide "no IDE position left" --disk good.img,ro,if=ide \
	--disk good.img,ro,if=ide --disk good.img,ro,if=ide --disk good.img,ro,if=ide --disk good.img,ro,if=ide

# --- 2. one boot: vda read-write, vdb read-only ------------------------------

READ_SECTOR=100
WRITE_SECTOR=333
HOST_MARK="host-mark-$RANDOM$RANDOM"
GUEST_MARK="guest-mark-$RANDOM$RANDOM"
truncate -s 1M rw.img
head -c 65536 /dev/urandom >ro.img
printf '%s' "$HOST_MARK" | dd of=rw.img bs=512 seek=$READ_SECTOR conv=notrunc status=none
ro_md5=$(md5sum <ro.img)
rw_before=$(md5sum <rw.img)

# The guest prints what it read between colons, the status of its writes,
# the serials and the sizes.  No double quotes: cordon.cmd="..." is cut at
# the first one.
cmd="echo read=:\$(dd if=/dev/vda bs=512 skip=$READ_SECTOR count=1 2>/dev/null | head -c ${#HOST_MARK}):;"
cmd="$cmd printf $GUEST_MARK | dd of=/dev/vda bs=512 seek=$WRITE_SECTOR conv=fsync 2>/dev/null; echo rw-write=\$?;"
cmd="$cmd dd if=/dev/zero of=/dev/vdb bs=512 seek=1 count=1 conv=fsync 2>/dev/null; echo ro-write=\$?;"
cmd="$cmd echo serial=\$(cat /sys/block/vda/serial),\$(cat /sys/block/vdb/serial);"
cmd="$cmd echo size=\$(cat /sys/block/vda/size),\$(cat /sys/block/vdb/size)"
disks=(--disk rw.img --disk ro.img,ro)
# An ext4 image from a host directory, made by the helper users get.
mkdir fsroot
echo "$HOST_MARK" >fsroot/host.txt
if "$TOP/scripts/mkext4.sh" --size 8M fsroot fs.img >mkext4.out 2>&1; then
	pass disk-mkext4
else
	fail disk-mkext4 "$(cat mkext4.out)"
fi
disks+=(--disk fs.img)
cmd="$cmd; mkdir /mnt; mount -t ext4 /dev/vdc /mnt && echo ext4=\$(cat /mnt/host.txt);"
cmd="$cmd echo $GUEST_MARK >/mnt/guest.txt; umount /mnt; echo umount=\$?;"
# vdd and four IDE disks (sda..sdd: index=3 first, the others placed in
# order), each of a size of its own.
truncate -s 96K vd.img
disks+=(--disk vd.img --disk hd3.img,if=ide,index=3)
for n in 0 1 2 3; do
	truncate -s $((n + 2))M hd$n.img
	[ $n -lt 3 ] && disks+=(--disk hd$n.img,if=ide)
done
cmd="$cmd for d in vda vdb vdc vdd sda sdb sdc sdd; do echo size-\$d=\$(cat /sys/block/\$d/size); done"

timeout "$BOOT_TIMEOUT" "$CORDON" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" \
	--append "$APPEND cordon.cmd=\"$cmd\"" --serial stdio "${disks[@]}" \
	>boot.out 2>boot.err </dev/null
rc=$?
tr -d '\r' <boot.out >boot.txt
has_line() { grep -qxF -- "$1" boot.txt; }

ok=1
c() { if "${@:2}"; then pass "$1"; else fail "$1" "${*:2}"; ok=0; fi; }
c disk-boot-exit-0 [ "$rc" -eq 0 ]
c disk-guest-reads-host-marker has_line "read=:$HOST_MARK:"
c disk-guest-write-ok has_line "rw-write=0"
got=$(dd if=rw.img bs=512 skip=$WRITE_SECTOR count=1 status=none | head -c ${#GUEST_MARK} | tr -d '\0')
c disk-host-sees-guest-marker [ "$got" = "$GUEST_MARK" ]
# Nothing but that one sector changed.
dd if=/dev/zero of=rw.img bs=512 seek=$WRITE_SECTOR count=1 conv=notrunc status=none
c disk-rw-rest-unchanged [ "$(md5sum <rw.img)" = "$rw_before" ]
c disk-ro-write-fails has_line "ro-write=1"
c disk-ro-image-identical [ "$(md5sum <ro.img)" = "$ro_md5" ]
c disk-serial-and-size has_line "serial=rw.img,ro.img"
c disk-capacity has_line "size=2048,128"
c disk-no-device-errors [ ! -s boot.err ]
c disk-ext4-guest-reads has_line "ext4=$HOST_MARK"
c disk-ext4-umount has_line "umount=0"
c disk-ext4-host-reads [ "$(debugfs -R 'cat /guest.txt' fs.img 2>/dev/null)" = "$GUEST_MARK" ]
eight=1
for want in vda=2048 vdb=128 vdc=16384 vdd=192; do
	has_line "size-$want" || eight=0
done
ide_sizes=$(sed -n 's/^size-sd[a-d]=//p' boot.txt | sort -n | tr '\n' ' ')
[ "$ide_sizes" = "4096 6144 8192 10240 " ] || eight=0
c disk-eight-disks-four-of-each-kind [ "$eight" -eq 1 ]
if [ "$ok" -eq 0 ]; then
	show_tail boot.txt
	show_tail boot.err
fi
