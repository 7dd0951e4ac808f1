#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs as two concatenated cpio archives:
#   $CACHE/initramfs-base-<hash>.cpio  busybox, fio, fuse2fs, e2fsprogs and
#                                     their shared libraries (from Debian)
#   $BUILD/vm/initramfs-ours.cpio      our modules, daemon, tools, tests
# and, with --bench, two more:
#   $CACHE/initramfs-perf-<hash>.cpio  perf and its libraries, if installed
#   $CACHE/initramfs-apps-<hash>.cpio  the application workloads' files
#                                     (tests/bench/apps.sh): sqlite3 and
#                                     its libraries, /bench/src.tar (the
#                                     kernel source's $APP_TREE) and
#                                     /bench/src.sum, its tree's checksum
# With --stock KVER the guest is Debian's stock kernel KVER: ours carries
# the coexisting fuseiomap.ko ($BUILD/coexist) instead of fuse.ko and
# cuse.ko, and a third archive the kernel's own modules the tests need:
#   $CACHE/initramfs-stock-<kver>-<hash>.cpio  /lib/modules/stock/*.ko and
#                                     "order", the insmod order
# Usage: initramfs.sh [--bench] [--stock KVER] OUT.cpio
. "$(dirname "$0")/lib.sh"

bench= stock=
[ "${1:-}" = --bench ] && { bench=1; shift; }
[ "${1:-}" = --stock ] && { stock=$2; shift 2; }
out=$1
# the source trees the bench's untar workload extracts (from kernel_src):
# 542 files, 12.6 MB (all of fs/, 2,485 files and 50 MB, took 4 minutes
# per repetition of the five targets under TCG)
APP_TREE="fs/btrfs fs/ext4 fs/fuse fs/iomap fs/xfs"
# Debian's modules for virtio disks, legacy pmem and devdax, ext4
stock_mods="virtio_blk nd_e820 nd_pmem dax_pmem device_dax crc32c_generic ext4"
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
if [ -n "$stock" ]; then
	# COEXIST_KO: another build of it, e.g. what DKMS built (.ko.xz)
	ko=${COEXIST_KO:-$BUILD/coexist/fs/fuse/fuseiomap.ko}
	case "$ko" in
	*.xz) xz -dc "$ko" > "$root/lib/modules/fuseiomap.ko" ;;
	*) install -m 644 "$ko" "$root/lib/modules/fuseiomap.ko" ;;
	esac
else
	# FUSE_KO_DIR: another build of them (make coverage's, with gcov)
	kodir=${FUSE_KO_DIR:-$BUILD/tree/fs/fuse}
	install -m 644 "$kodir/fuse.ko" "$kodir/cuse.ko" "$root/lib/modules/"
	# built against our fuse.ko where the dev kernel has VIRTIO_FS=m
	if [ -e "$kodir/virtiofs.ko" ]; then
		install -m 644 "$kodir/virtiofs.ko" "$root/lib/modules/"
	fi
	# the KUnit module, and the dev kernel's kunit.ko (KUNIT=m) it needs
	kunit_ko=$(devkernel_dir)/lib/kunit/kunit.ko
	if [ -e "$kodir/fuse_iomap_kunit.ko" ] && [ -e "$kunit_ko" ]; then
		install -m 644 "$kodir/fuse_iomap_kunit.ko" "$kunit_ko" \
			"$root/lib/modules/"
	fi
fi
cp "$TOP"/tests/vm/*.sh "$root/tests/vm/"
cp "$TOP"/tests/bench/*.sh "$root/tests/bench/"
cp "$TOP"/tests/share/*.sh "$root/tests/share/"
for b in "$BUILD"/tests/bin/*; do
	[ -x "$b" ] && install -m 755 "$b" "$root/usr/bin/"
done
# their i386 builds (tests/Makefile bin32) as NAME32: fusetd32, ...
for b in "$BUILD"/tests/bin32/*; do
	[ -f "$b" ] && [ -x "$b" ] && install -m 755 "$b" "$root/usr/bin/${b##*/}32"
done
# unchanged FUSE servers on the coexisting module (tools/coexist)
install -D -m 644 "$BUILD/tests/lib/fuseiomap-preload.so" \
	"$root/usr/lib/fuse-iomap/fuseiomap-preload.so"
install -m 755 "$TOP/tools/coexist/fuseiomap-run" "$root/usr/bin/"
# the helper mount(8) runs for "mount -t fuse.fusetd"
ln -s fusetd "$root/usr/bin/mount.fuse.fusetd"
ln -s fusetd "$root/usr/bin/mount.fuseiomap.fusetd"
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
# app_src DIR: DIR/src.tar, $APP_TREE of the kernel source as a
# deterministic tar, and DIR/src.sum, the checksum of its tree as
# tests/bench/apps.sh computes it after extracting it.
app_src() {
	local src t
	src=$(kernel_src)
	t=$(mktemp -d)
	mkdir -p "$1"
	# shellcheck disable=SC2086 # APP_TREE: one or more paths
	tar -cf "$1/src.tar" -C "$src" --sort=name --mtime=@0 --owner=0 \
		--group=0 --numeric-owner $APP_TREE
	tar -xf "$1/src.tar" -C "$t"
	(cd "$t" && find . -type f | LC_ALL=C sort | xargs md5sum | md5sum |
		cut -d' ' -f1) > "$1/src.sum"
	rm -rf "$t"
}
apps=
if [ -n "$bench" ]; then
	apps=$CACHE/initramfs-apps-$(cfg_hash "$0" <(dpkg-query -W sqlite3;
		src_version; echo "$APP_TREE")).cpio
	if [ ! -e "$apps" ]; then
		log "building $apps"
		aroot=$(mktemp -d)
		copy_with_libs "$aroot" /usr/bin/sqlite3 /usr/bin/sqlite3
		app_src "$aroot/bench"
		(cd "$aroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$apps.tmp"
		mv "$apps.tmp" "$apps"
		rm -rf "$aroot"
	fi
fi
# The stock kernel's modules, uncompressed, in the order modprobe would
# load them (the guest has no kmod).
smods=
if [ -n "$stock" ]; then
	smods=$CACHE/initramfs-stock-$stock-$(cfg_hash "$0" <(echo "$stock_mods")).cpio
	if [ ! -e "$smods" ]; then
		log "building $smods"
		sroot=$(mktemp -d)
		mkdir -p "$sroot/lib/modules/stock"
		for m in $stock_mods; do
			modprobe -S "$stock" --show-depends "$m" ||
				die "no module $m in /lib/modules/$stock"
		done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=$(basename "$ko"); name=${name%.xz}
			case "$ko" in
			*.xz) xz -dc "$ko" > "$sroot/lib/modules/stock/$name" ;;
			*) cp "$ko" "$sroot/lib/modules/stock/$name" ;;
			esac
			echo "$name" >> "$sroot/lib/modules/stock/order"
		done
		(cd "$sroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$smods.tmp"
		mv "$smods.tmp" "$smods"
		rm -rf "$sroot"
	fi
fi
cat "$base" "$BUILD/vm/initramfs-ours.cpio" ${perf:+"$perf"} ${apps:+"$apps"} \
	${smods:+"$smods"} > "$out"
