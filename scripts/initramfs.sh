#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs as two concatenated cpio archives:
#   $CACHE/initramfs-base-<hash>.cpio  busybox, fio, fuse2fs, e2fsprogs and
#                                     their shared libraries (from Debian)
#   $BUILD/vm/initramfs-ours.cpio      our modules, daemon, tools, tests
# and, with --bench, a third one:
#   $CACHE/initramfs-perf-<hash>.cpio  perf and its libraries, if installed
# Usage: initramfs.sh [--bench] OUT.cpio
. "$(dirname "$0")/lib.sh"

bench=
[ "${1:-}" = --bench ] && { bench=1; shift; }
out=$1
base_bins="/bin/busybox /usr/bin/fio /usr/bin/fuse2fs /usr/sbin/mke2fs /usr/bin/chattr /usr/bin/lsattr
	/usr/sbin/e2fsck /usr/sbin/debugfs"

copy_with_libs() { # ROOT BINARY DEST
	local root=$1 bin=$2 dest=$3 lib
	install -D -m 755 "$bin" "$root/$dest"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
	done
}

base=$CACHE/initramfs-base-$(cfg_hash "$0" <(for b in $base_bins; do
	dpkg -S "$b" 2>/dev/null; done | sort)).cpio
if [ ! -e "$base" ]; then
	log "building $base"
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,mnt,lib/modules,root}
	install -m 755 /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	for b in $base_bins; do
		[ "$b" = /bin/busybox ] && continue
		rm -f "$root$b"
		copy_with_libs "$root" "$b" "$b"
	done
	ln -s /proc/self/mounts "$root/etc/mtab"
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$root"
fi

root=$BUILD/vm/root
rm -rf "$root"
mkdir -p "$root/lib/modules" "$root/usr/bin" "$root/tests/vm" "$root/tests/bench" \
	"$root/tests/share"
install -m 755 "$TOP/tests/vm/init" "$root/init"
install -m 644 "$BUILD"/tree/fs/fuse/fuse.ko "$BUILD"/tree/fs/fuse/cuse.ko \
	"$root/lib/modules/"
cp "$TOP"/tests/vm/*.sh "$root/tests/vm/"
cp "$TOP"/tests/bench/*.sh "$root/tests/bench/"
cp "$TOP"/tests/share/*.sh "$root/tests/share/"
for b in "$BUILD"/tests/bin/*; do
	[ -x "$b" ] && install -m 755 "$b" "$root/usr/bin/"
done
# the helper mount(8) runs for "mount -t fuse.fusetd"
ln -s fusetd "$root/usr/bin/mount.fuse.fusetd"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$BUILD/vm/initramfs-ours.cpio"

# perf for the bench's profiles (Debian's /usr/bin/perf is the binary).
perf=
if [ -n "$bench" ] && [ -x /usr/bin/perf ]; then
	perf=$CACHE/initramfs-perf-$(cfg_hash "$0" <(dpkg -S /usr/bin/perf 2>/dev/null;
		dpkg-query -W linux-perf 2>/dev/null)).cpio
	if [ ! -e "$perf" ]; then
		log "building $perf"
		proot=$(mktemp -d)
		copy_with_libs "$proot" /usr/bin/perf /usr/bin/perf
		(cd "$proot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$perf.tmp"
		mv "$perf.tmp" "$perf"
		rm -rf "$proot"
	fi
elif [ -n "$bench" ]; then
	log "no /usr/bin/perf (Debian package linux-perf): no profiles"
fi
cat "$base" "$BUILD/vm/initramfs-ours.cpio" ${perf:+"$perf"} > "$out"
