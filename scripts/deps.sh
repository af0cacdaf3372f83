#!/usr/bin/env bash
# Installs the Debian packages cordon's build and test suite need, when any
# is missing.  Fast and silent when everything is already there, so `make
# test` can call it every time.  Add packages to DEPS_PACKAGES below.
set -u

DEPS_PACKAGES="gcc make gcc-multilib cpio gzip apt dpkg e2fsprogs libcryptsetup-dev libssl-dev
	cryptsetup-bin qemu-utils libseccomp-dev libjansson-dev qemu-user
	clang libclang-rt-dev
	seabios grub-pc-bin xorriso memtest86+
	python3 passwd"

# Prints the packages from the list that dpkg does not report as installed.
missing_packages() {
	local p status
	for p in $DEPS_PACKAGES; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ "$status" = installed ] || printf '%s ' "$p"
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: dpkg-query not found; cordon's scripts expect a Debian system" \
		"with: $DEPS_PACKAGES" >&2
	exit 1
fi

missing=$(missing_packages)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing% }" >&2
	echo "deps.sh: install them as root: apt-get install --no-install-recommends ${missing% }" >&2
	exit 1
fi

echo "deps.sh: installing ${missing% }"
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y --no-install-recommends $missing; }

# An empty package list means apt has never been updated here: the install
# cannot work, so update first.  Otherwise try the install first and only
# refresh the lists when it fails (stale lists point at vanished files).
if [ -z "$(ls -A /var/lib/apt/lists/ 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
	apt-get update || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
fi
if ! apt_install; then
	apt-get update || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
	apt_install || { echo "deps.sh: could not install: ${missing% }" >&2; exit 1; }
fi

missing=$(missing_packages)
if [ -n "$missing" ]; then
	echo "deps.sh: still missing after install: ${missing% }" >&2
	exit 1
fi
