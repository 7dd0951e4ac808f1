#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The coexisting variant: fuseiomap.ko, the same sources as fuse.ko with the
# names of fs/fuse/coexist.h, for a kernel that builds FUSE in.
#
#   coexist.sh tree          assemble $BUILD/coexist (what DKMS gets)
#   coexist.sh build [KDIR]  tree, then build it against KDIR (default: the
#                            headers of Debian's stock kernel of our source
#                            version, linux-headers-<kver>)
. "$(dirname "$0")/lib.sh"

out=$BUILD/coexist

tree() {
	local f
	"$TOP/scripts/assemble.sh"
	mkdir -p "$out/fs/fuse" "$out/include/uapi/linux"
	for f in "$BUILD"/tree/fs/fuse/* "$TOP/fs/fuse/Kbuild.coexist" \
		 "$BUILD"/tree/include/uapi/linux/*.h "$TOP"/dkms/Kbuild; do
		case "$f" in
		*.mod.c) continue ;;
		*/Kbuild.coexist) d=$out/fs/fuse/Kbuild ;;
		*/dkms/Kbuild) d=$out/Kbuild ;;
		*/include/uapi/*) d=$out/include/uapi/linux/$(basename "$f") ;;
		*.[ch]|*/Makefile*) d=$out/fs/fuse/$(basename "$f") ;;
		*) continue ;;
		esac
		cmp -s "$f" "$d" || cp "$f" "$d"
	done
	for f in "$out"/fs/fuse/*.[ch]; do
		case "$f" in *.mod.c) continue ;; esac
		[ -e "$BUILD/tree/fs/fuse/$(basename "$f")" ] || rm -f "$f"
	done
	sed "s/@VERSION@/$(version)/" "$TOP/dkms/dkms.conf" > "$out/dkms.conf"
}

# The DKMS package version: the kernel version of the sources, then ours.
version() {
	local v
	v=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
	echo "6.12-$v"
}

case "${1:-build}" in
tree) tree ;;
version) version ;;
build)
	kdir=${2:-$(stock_kdir)}
	tree
	make -C "$kdir" M="$out" W="${W:-}" C="${C:-}" modules
	# A fuse_* symbol this module needs but does not define would bind
	# to the built-in FUSE's export: two FUSEs sharing state.
	if nm -u "$out/fs/fuse/fuseiomap.ko" | grep -E ' (fuse|cuse)_'; then
		die "fuseiomap.ko uses fuse symbols of the kernel's own FUSE"
	fi
	;;
*) die "usage: coexist.sh tree|build [KDIR]|version" ;;
esac
