#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The coexisting fuseiomap.ko through DKMS (dkms/dkms.conf).
#
#   dkms.sh install [KVER...]  as root: put the assembled sources in
#                              /usr/src/fuse-iomap-<version>, then dkms add,
#                              build and install for each KVER (default: the
#                              running kernel); "modprobe fuseiomap" follows
#   dkms.sh remove             dkms remove every version of fuse-iomap
#   dkms.sh build [KVER]       build only, in a scratch DKMS tree under
#                              $BUILD/dkms (nothing installed; KVER defaults
#                              to Debian's stock kernel of our source version)
. "$(dirname "$0")/lib.sh"

command -v dkms >/dev/null || die "no dkms (apt-get install dkms)"
"$TOP/scripts/coexist.sh" tree
ver=$("$TOP/scripts/coexist.sh" version)
name=fuse-iomap

case "${1:-}" in
build)
	kver=${2:-$(stock_kver)}
	d=$BUILD/dkms
	rm -rf "$d"
	mkdir -p "$d/src" "$d/tree" "$d/install"
	cp -a "$BUILD/coexist" "$d/src/$name-$ver"
	opts=(--sourcetree "$d/src" --dkmstree "$d/tree" --installtree "$d/install")
	dkms add -m "$name" -v "$ver" "${opts[@]}"
	dkms build -m "$name" -v "$ver" -k "$kver" "${opts[@]}" ||
		{ cat "$d/tree/$name/$ver/build/make.log" >&2; exit 1; }
	ko=$(find "$d/tree/$name/$ver/$kver" -name 'fuseiomap.ko*' | head -1)
	[ -n "$ko" ] || die "dkms built no fuseiomap.ko"
	log "built $ko"
	;;
install)
	shift
	[ $# -gt 0 ] || set -- "$(uname -r)"
	src=/usr/src/$name-$ver
	rm -rf "$src"
	cp -a "$BUILD/coexist" "$src"
	dkms add -m "$name" -v "$ver" 2>/dev/null ||
		dkms status -m "$name" -v "$ver" | grep -q . ||
		die "dkms add failed"
	for k in "$@"; do
		dkms build -m "$name" -v "$ver" -k "$k"
		dkms install -m "$name" -v "$ver" -k "$k" --force
	done
	;;
remove)
	# dkms 3.0 wants a version: every one it knows, from all kernels
	for v in $(dkms status -m "$name" 2>/dev/null |
		   sed -n "s|^$name/\([^,:]*\)[,:].*|\1|p" | sort -u); do
		dkms remove -m "$name" -v "$v" --all
	done
	rm -rf /usr/src/"$name"-*
	;;
*) die "usage: dkms.sh build [KVER] | install [KVER...] | remove" ;;
esac
