#!/usr/bin/env bash
# scripts/mkguest.sh DIR -- builds the Debian guest cordon boots:
#   DIR/vmlinuz     Debian 12's stock i386 kernel (what linux-image-686 depends on)
#   DIR/initrd.img  a gzip'ed newc initramfs: busybox-static:i386, the
#                   /init and /bin/cordon-* scripts from scripts/guest/, the
#                   transfer tools cordon-send and cordon-receive and the
#                   UDP tool cordon-udp (static i386 programs built from
#                   guest/), and the kernel's
#                   modules for virtio-rng and virtio-blk over PCI and for
#                   ext4, in /lib/modules
#
# Packages come from Debian's archive through a private apt state under
# build/apt-i386 (own sources list, lists, cache and an empty dpkg status),
# so the host's apt configuration and package database are never touched.
# A stamp file makes reruns instant; delete DIR to fetch a newer kernel.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=$1
STATE="${MKGUEST_APT_STATE:-$TOP/build/apt-i386}" # override for testing
GUEST_SRC="$TOP/scripts/guest"
KERNEL_META=linux-image-686
BUSYBOX=busybox-static

die() { echo "mkguest: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio gzip sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (run scripts/deps.sh)"
done

# Everything that goes into the image besides the two packages: a change to
# any of it rebuilds the initramfs even when the package versions are known.
inputs_hash() {
	(cd "$TOP" && find scripts/guest guest src/xfer -type f | sort | xargs sha256sum &&
		sha256sum scripts/mkguest.sh) |
		sha256sum | cut -d' ' -f1
}

STAMP="$DIR/.stamp"
INPUTS=$(inputs_hash)
if [ -f "$STAMP" ] && [ -f "$DIR/vmlinuz" ] && [ -f "$DIR/initrd.img" ] &&
	grep -qx "inputs $INPUTS" "$STAMP"; then
	exit 0
fi

# --- the private apt ------------------------------------------------------

setup_apt_state() {
	mkdir -p "$STATE"/etc/sources.list.d "$STATE"/etc/preferences.d "$STATE"/etc/apt.conf.d \
		"$STATE"/lists/partial "$STATE"/cache/archives/partial "$STATE"/debs
	: >"$STATE/status"
	rm -f "$STATE"/etc/sources.list.d/* "$STATE"/etc/apt.conf.d/*
	: >"$STATE/etc/sources.list"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$STATE/etc/sources.list.d/"
	fi
	if [ -f /etc/apt/sources.list ]; then
		cp /etc/apt/sources.list "$STATE/etc/sources.list"
	fi
	grep -qsE '^[[:space:]]*(deb|URIs:)' "$STATE/etc/sources.list" "$STATE"/etc/sources.list.d/* ||
		die "no Debian archive found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

	# Keep the host's general settings (proxies, index options) but none of
	# its hooks: they act on the host's own cache and services.
	cp /etc/apt/apt.conf.d/* "$STATE/etc/apt.conf.d/" 2>/dev/null || true
	cat >"$STATE/etc/apt.conf.d/zz-cordon-private" <<-'CONF'
		#clear APT::Update::Pre-Invoke;
		#clear APT::Update::Post-Invoke;
		#clear APT::Update::Post-Invoke-Success;
		#clear DPkg::Pre-Invoke;
		#clear DPkg::Post-Invoke;
		#clear DPkg::Pre-Install-Pkgs;
		Acquire::Languages "none";
	CONF
	printf 'Dir::Etc::Parts "%s/etc/apt.conf.d";\nDir::Etc::Main "/dev/null";\n' "$STATE" \
		>"$STATE/etc/apt.conf"
}

APT_OPTS=(
	-o APT::Architecture=i386 -o APT::Architectures=i386
	-o Dir::State="$STATE" -o Dir::State::Lists="$STATE/lists"
	-o Dir::State::status="$STATE/status"
	-o Dir::Cache="$STATE/cache" -o Dir::Cache::archives="$STATE/cache/archives"
	-o Dir::Etc::SourceList="$STATE/etc/sources.list"
	-o Dir::Etc::SourceParts="$STATE/etc/sources.list.d"
	-o Dir::Etc::Preferences="$STATE/etc/preferences"
	-o Dir::Etc::PreferencesParts="$STATE/etc/preferences.d"
	-o Dir::Etc::Trusted=/etc/apt/trusted.gpg -o Dir::Etc::TrustedParts=/etc/apt/trusted.gpg.d
)
# As root, apt drops to _apt, which cannot write into our build tree.
[ "$(id -u)" -eq 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root)
apt_private() { APT_CONFIG="$STATE/etc/apt.conf" "$@" "${APT_OPTS[@]}"; }

have_lists() { ls "$STATE"/lists/*_Packages* >/dev/null 2>&1; }

update_lists() {
	echo "mkguest: updating the private i386 package lists in $STATE"
	if apt_private apt-get -q update >"$STATE/update.log" 2>&1 && have_lists; then
		return 0
	fi
	if have_lists; then
		echo "mkguest: warning: apt-get update failed in part (mirror syncing?); carrying on with the lists it has" >&2
		return 0
	fi
	tail -5 "$STATE/update.log" >&2
	die "apt-get update failed and there are no package lists yet; see $STATE/update.log"
}

# Prints the candidate version of a package, or nothing.
candidate() {
	apt_private apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# The versioned kernel package the linux-image-686 metapackage depends on.
kernel_package() {
	apt_private apt-cache depends --important "$KERNEL_META" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# Downloads PKG=VERSION into $STATE/debs unless it is already there; prints the path.
fetch_deb() {
	local pkg=$1 ver=$2 deb
	deb=$(ls "$STATE/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		echo "mkguest: downloading $pkg $ver (i386)" >&2
		(cd "$STATE/debs" && apt_private apt-get -q download "$pkg=$ver" >&2) ||
			die "apt-get download $pkg=$ver failed"
		deb=$(ls "$STATE/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
		[ -n "$deb" ] || die "apt-get download $pkg=$ver produced no .deb"
		# Older versions of the package are dead weight now.
		find "$STATE/debs" -name "${pkg}_*.deb" ! -path "$deb" -delete
	fi
	echo "$deb"
}

# --- the image ------------------------------------------------------------

# The kernel modules the guest loads (Debian builds them as modules; rng-core
# is built in): virtio-rng and virtio-blk over PCI, then ext4 (about 1.2 MB of
# modules, ~2-3 s of boot) so tests can mount an image; the PIIX IDE driver
# with disks (sd) and the CD-ROM (sr, isofs); the ACPI power button and
# evdev, so /init can hear `cordon stop` press it.  crc32c_generic has no
# depends= link to ext4 but provides the "crc32c" crypto hash ext4 and jbd2
# ask for when metadata_csum is on (the mke2fs default), and busybox insmod
# cannot autoload it.  The load order is not this list's: add_modules derives
# it from each module's depends= line, because it changes between kernel
# updates (in 6.1.192 virtio needs virtio_ring; before, the other way round).
GUEST_MODULES=(virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio-rng virtio_blk
	virtio_console failover net_failover virtio_net crc16 mbcache jbd2 crc32c_generic ext4
	scsi_common scsi_mod libata ata_piix crc64 crc64_rocksoft_generic crc64-rocksoft crct10dif_common
	crct10dif_generic crc-t10dif t10-pi sd_mod cdrom sr_mod
	isofs button evdev)

# modinfo_field KO FIELD: a field of the module's .modinfo section.
modinfo_field() {
	tr '\0' '\n' <"$1" | grep -a -m1 "^$2=" | cut -d= -f2- || true
}

# add_modules KERNEL_TREE ROOT: copies GUEST_MODULES (decompressed) into
# ROOT/lib/modules and writes ROOT/lib/modules/order, the order /init insmods
# them in: each module after everything its depends= line names.  A
# dependency outside GUEST_MODULES, or a cycle, stops the build.
add_modules() {
	local tree=$1 root=$2 mod src dep name mdir
	local -A deps_of=() file_of=() name_of=()
	mdir=$(ls -d "$tree"/lib/modules/*/kernel 2>/dev/null | head -1 || true)
	[ -n "$mdir" ] || die "the kernel package holds no lib/modules/*/kernel"
	mkdir -p "$root/lib/modules"
	for mod in "${GUEST_MODULES[@]}"; do
		src=$(find "$mdir" \( -name "$mod.ko" -o -name "$mod.ko.xz" \) | head -1)
		[ -n "$src" ] || die "the kernel package has no module $mod"
		case $src in
		*.xz) command -v xz >/dev/null || die "'xz' is missing, needed for $src"
			xz -dc "$src" >"$root/lib/modules/$mod.ko" ;;
		*) cp "$src" "$root/lib/modules/$mod.ko" ;;
		esac
		# depends= names modules by their name= (virtio_rng), files may
		# use dashes (virtio-rng.ko), and some depends= lines do too
		# (t10-pi): compare with dashes as underscores, as modprobe does.
		name=$(modinfo_field "$root/lib/modules/$mod.ko" name | tr - _)
		name_of[$mod]=$name
		file_of[$name]=$mod
		deps_of[$name]=$(modinfo_field "$root/lib/modules/$mod.ko" depends | tr ',-' ' _')
	done
	for name in "${!deps_of[@]}"; do
		for dep in ${deps_of[$name]}; do
			[ -n "${file_of[$dep]:-}" ] ||
				die "module ${file_of[$name]} needs $dep, which is not in GUEST_MODULES"
		done
	done
	# Repeated passes in list order: each places every module whose
	# dependencies are all placed; a pass that places nothing is a cycle.
	local placed="," progress left=${#GUEST_MODULES[@]} ready
	: >"$root/lib/modules/order"
	while [ "$left" -gt 0 ]; do
		progress=0
		for mod in "${GUEST_MODULES[@]}"; do
			name=${name_of[$mod]}
			case $placed in *",$name,"*) continue ;; esac
			ready=1
			for dep in ${deps_of[$name]}; do
				case $placed in *",$dep,"*) ;; *) ready=0 ;; esac
			done
			[ "$ready" = 1 ] || continue
			placed="$placed$name,"
			echo "$mod" >>"$root/lib/modules/order"
			progress=1
			left=$((left - 1))
		done
		[ "$progress" = 1 ] || die "the guest modules' depends= lines form a cycle"
	done
}

build_initramfs() { # BUSYBOX_DEB KERNEL_TREE OUTPUT
	local root="$WORK/root"
	mkdir -p "$root"
	dpkg-deb -x "$1" "$WORK/busybox"
	[ -x "$WORK/busybox/bin/busybox" ] || die "$1 holds no bin/busybox"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,run}
	cp "$WORK/busybox/bin/busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	install -m 0755 "$GUEST_SRC/init" "$root/init"
	for s in "$GUEST_SRC"/cordon-*; do
		install -m 0755 "$s" "$root/bin/$(basename "$s")"
	done
	make -s -C "$TOP/guest" BUILD="$WORK/tools" >&2 || die "building the guest tools (guest/) failed"
	install -m 0755 "$WORK/tools/cordon-send" "$WORK/tools/cordon-receive" "$WORK/tools/cordon-udp" "$root/bin/"
	add_modules "$2" "$root"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	# Fixed timestamps and owners: the same inputs give the same image.
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$3"
}

setup_apt_state
update_lists
kpkg=$(kernel_package)
[ -n "$kpkg" ] || die "cannot find the kernel package $KERNEL_META depends on (i386 lists incomplete?)"
kver=$(candidate "$kpkg")
bver=$(candidate "$BUSYBOX")
[ -n "$kver" ] || die "no candidate version of $kpkg for i386"
[ -n "$bver" ] || die "no candidate version of $BUSYBOX for i386"
kdeb=$(fetch_deb "$kpkg" "$kver")
bdeb=$(fetch_deb "$BUSYBOX" "$bver")

WORK=$(mktemp -d "$TOP/build/mkguest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DIR"
rm -f "$STAMP"

dpkg-deb -x "$kdeb" "$WORK/kernel"
vmlinuz=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -1 || true)
[ -n "$vmlinuz" ] || die "$kdeb holds no boot/vmlinuz-*"
cp "$vmlinuz" "$DIR/vmlinuz.tmp" && mv "$DIR/vmlinuz.tmp" "$DIR/vmlinuz"
build_initramfs "$bdeb" "$WORK/kernel" "$DIR/initrd.img.tmp"
mv "$DIR/initrd.img.tmp" "$DIR/initrd.img"

{
	echo "kernel $kpkg $kver"
	echo "busybox $BUSYBOX $bver"
	echo "inputs $INPUTS"
} >"$STAMP"
echo "mkguest: $DIR ready: $kpkg $kver, $BUSYBOX $bver ($(du -h "$DIR/vmlinuz" | cut -f1) kernel, $(du -h "$DIR/initrd.img" | cut -f1) initramfs)"
