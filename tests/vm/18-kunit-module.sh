#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites as a module of the dev kernel (FUSE_FS=m): loading
# fuse_iomap_kunit.ko beside our fuse.ko, with the kernel's kunit.ko, runs
# every suite against the helpers fuse.ko exports to the KUnit namespace
# only.  Each suite's results in debugfs (KUNIT_DEBUGFS) must end in "ok"
# with no case "not ok"; the module goes again, and fuse.ko keeps working.
# The slow case (KUNIT_CASE_SLOW: famfs's random layouts against a
# brute-force model, minutes under TCG) runs in UML only: kunit.ko gets
# the filter "speed>slow".
. /tests/vm/lib.sh

SUITES="fuse_iomap_abi fuse_iomap_init fuse_iomap_validate fuse_iomap_config
	fuse_iomap_ioend fuse_iomap_cache fuse_iomap_notify fuse_iomap_inline
	fuse_famfs_fmap"
K=/sys/kernel/debug/kunit

if [ ! -e /lib/modules/fuse_iomap_kunit.ko ]; then
	skip "KUnit as a module" "no fuse_iomap_kunit.ko (a kernel without KUnit)"
	exit 0
fi
require "insmod kunit.ko" insmod /lib/modules/kunit.ko 'filter=speed>slow'
require "insmod fuse_iomap_kunit.ko: the suites run" \
	insmod /lib/modules/fuse_iomap_kunit.ko
for s in $SUITES; do
	r=$K/$s/results
	if ! check "$s ran" test -r "$r"; then
		continue
	fi
	n=$(grep -c '^ *ok ' "$r")
	check "$s: no case failed ($n ok)" sh -c "! grep -q '^ *not ok ' '$r'"
	check_eq "$s: the suite passed" "ok 1 $s" "$(tail -1 "$r")"
	grep '^ *not ok ' "$r" | head -5 | while read -r l; do diag "$s: $l"; done
done
check "rmmod fuse_iomap_kunit" rmmod fuse_iomap_kunit
check "rmmod kunit" rmmod kunit
t_mkfs
mount_and_list() { fs_mount && ls "$T_MNT" > /dev/null; }
check "fuse.ko still mounts and reads" mount_and_list
mounted && umount "$T_MNT"
wait_gone fusetd
t_done
