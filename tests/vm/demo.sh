#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo of "make run": fusetd serves a disk, we do some I/O through our
# fuse.ko and print which requests the daemon saw.
. /tests/vm/lib.sh

stats=$T_TMP/fusetd.stats
require "fusetd mkfs $T_DISK1" fusetd mkfs "$T_DISK1"
require "fusetd mounts $T_DISK1 on $T_MNT" \
	fusetd mount --stats "$stats" "$T_DISK1" "$T_MNT"
grep " $T_MNT " /proc/mounts

diag "writing 8 MiB, a directory tree and a symlink"
fileverify write "$T_MNT/data" 8388608 42
mkdir -p "$T_MNT/dir/sub" && echo hello > "$T_MNT/dir/sub/hello"
ln -s dir/sub/hello "$T_MNT/link"
ls -lR "$T_MNT"
check "8 MiB read back and verified" fileverify check "$T_MNT/data" 8388608 42
check "umount" umount "$T_MNT"
wait_gone fusetd

require "remount the same disk" fusetd mount --stats "$stats.2" "$T_DISK1" "$T_MNT"
check "data verified after daemon restart" \
	fileverify check "$T_MNT/data" 8388608 42
check_eq "symlink survives" hello "$(cat "$T_MNT/link")"
umount "$T_MNT"
wait_gone fusetd

diag "requests seen by the daemon in the first mount:"
fusetd stats "$stats" | sed 's/^/#   /'
t_done
