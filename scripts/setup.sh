#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the project needs (idempotent).
#
# Then the Debian kernel built from the same source version as our
# linux-source-6.12 (e.g. linux-headers-6.12.118+deb12-amd64, which pulls
# in its linux-image): the coexisting fuseiomap.ko builds against those
# headers, DKMS builds through them, and "vm.sh --stock" boots that image.
#
# gcc-multilib gives gcc -m32, for the i386 test server (tests/Makefile
# bin32) and the ABI check (tests/abi); it would remove Debian's cross
# compilers, which the project does not use.
set -euo pipefail
pkgs=(linux-source-6.12 build-essential bc flex bison libelf-dev libssl-dev
	dwarves cpio kmod xz-utils python3 qemu-system-x86 busybox-static
	fio fuse2fs e2fsprogs sparse coccinelle ocaml-nox libaio-dev
	liburing-dev gnuplot-nox dkms gcc-multilib lcov sqlite3 python3-docutils)
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
updated=
install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "[setup] installing: ${missing[*]}" >&2
	[ -n "$updated" ] || { $sudo apt-get update -q >/dev/null; updated=1; }
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null
}
install "${pkgs[@]}"

. "$(dirname "$0")/lib.sh"
if ! kver=$(stock_kver 2>/dev/null); then
	[ -n "$updated" ] || { $sudo apt-get update -q >/dev/null; updated=1; }
	kver=$(stock_kver)
fi
install "linux-headers-$kver"
