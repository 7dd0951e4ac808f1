#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# insmod / mount / umount / rmmod cycles of our modules, with a stock
# libfuse server (fuse2fs), and no kmemleak report afterwards.
. /tests/vm/lib.sh

img=$T_DISK2
require "mke2fs" $MKE2FS -q -F -t ext4 "$img" 64M
dd if=/dev/urandom of="$T_TMP/cyc" bs=64k count=4 2>/dev/null

for i in 1 2 3 4 5; do
	rmmod cuse 2>/dev/null
	if ! rmmod fuse; then fail "cycle $i: rmmod fuse"; break; fi
	grep -qw fuse /proc/filesystems && fail "cycle $i: fuse still registered"
	insmod /lib/modules/fuse.ko $T_FUSE_PARAMS || { fail "cycle $i: insmod fuse"; break; }
	insmod /lib/modules/cuse.ko || { fail "cycle $i: insmod cuse"; break; }
	[ -c /dev/fuse ] && [ -c /dev/cuse ] || fail "cycle $i: /dev/fuse or /dev/cuse missing"
	fuse2fs "$img" "$T_MNT" >/dev/null 2>&1 || { fail "cycle $i: fuse2fs mount"; break; }
	cp "$T_TMP/cyc" "$T_MNT/f$i" && cmp "$T_TMP/cyc" "$T_MNT/f$i" ||
		fail "cycle $i: data through fuse2fs"
	umount "$T_MNT" || fail "cycle $i: umount"
	# fuse2fs exits once the connection is gone
	wait_gone fuse2fs
done
pass "5 insmod/mount/umount/rmmod cycles"

fuse2fs "$img" "$T_MNT" >/dev/null 2>&1
ok=1
for i in 1 2 3 4 5; do cmp -s "$T_TMP/cyc" "$T_MNT/f$i" || ok=0; done
umount "$T_MNT"
check_eq "files of every cycle intact after the cycles" 1 "$ok"

if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 2
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(grep -c unreferenced /sys/kernel/debug/kmemleak)
	check_eq "no kmemleak report after the cycles" 0 "$leaks"
else
	fail "kmemleak is not available"
fi
t_done
