#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stock FUSE keeps working on our module: Debian's fuse2fs (a classic
# libfuse server) serves an ext4 image; data and namespace survive remount
# and the image stays consistent.
. /tests/vm/lib.sh

img=$T_DISK1
require "mke2fs" $MKE2FS -q -F -t ext4 "$img" 128M
require "fuse2fs mounts an ext4 image" fuse2fs "$img" "$T_MNT"
require "mount table shows a fuse mount" grep -q "$T_MNT fuse" /proc/mounts

for s in 0 1 4095 4096 4097 1048589 3145728; do
	dd if=/dev/urandom of="$T_TMP/s$s" bs=$s count=1 2>/dev/null ||
		: > "$T_TMP/s$s"
	cp "$T_TMP/s$s" "$T_MNT/s$s"
done
ok=1
for s in 0 1 4095 4096 4097 1048589 3145728; do
	cmp "$T_TMP/s$s" "$T_MNT/s$s" || ok=0
done
check_eq "files of 7 sizes read back identical" 1 "$ok"

dd if=/dev/urandom of="$T_TMP/patch" bs=1000 count=3 2>/dev/null
dd if="$T_TMP/patch" of="$T_TMP/s1048589" bs=1000 seek=77 conv=notrunc 2>/dev/null
dd if="$T_TMP/patch" of="$T_MNT/s1048589" bs=1000 seek=77 conv=notrunc 2>/dev/null
check "overwrite in the middle" cmp "$T_TMP/s1048589" "$T_MNT/s1048589"

mkdir -p "$T_MNT/a/b/c" && mv "$T_MNT/s4096" "$T_MNT/a/b/c/moved" &&
	ln -s a/b/c/moved "$T_MNT/link" && rm "$T_MNT/s1"
check "namespace operations" cmp "$T_TMP/s4096" "$T_MNT/link"

check "umount" umount "$T_MNT"
wait_gone fuse2fs
check "image is consistent (e2fsck -fn)" $E2FSCK -fn "$img"

fuse2fs "$img" "$T_MNT"
ok=1
for s in 0 4095 4097 1048589 3145728; do
	cmp "$T_TMP/s$s" "$T_MNT/s$s" || ok=0
done
cmp -s "$T_TMP/s4096" "$T_MNT/a/b/c/moved" || ok=0
[ ! -e "$T_MNT/s1" ] || ok=0
check_eq "data and namespace identical after remount" 1 "$ok"
umount "$T_MNT"
t_done
