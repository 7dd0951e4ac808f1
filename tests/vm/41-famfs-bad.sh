#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs and bad input: every class of bad GET_FMAP reply and of bad
# GET_DAXDEV reply (fusetd famfs --bad) is refused at open with its errno
# and a kernel message naming the rule, and the connection keeps serving
# good files; an fmap one over a cap (33 extents, 33 strips, a buffer of
# FUSE_FAMFS_MAX_FMAP_SIZE + 1) is refused, one at the caps (32 extents
# of 32 strips; a buffer of exactly FUSE_FAMFS_MAX_FMAP_SIZE) is not;
# a device node on a nodev mount is refused too;
# poisoned pmem (the device's badblocks) makes read() fail with EIO and a
# fault there SIGBUS, and a full-page write clears it; without
# enable_famfs the server is not offered FUSE_DAX_FMAP.  The VM
# verdict fails the run on any splat.
. /tests/vm/lib.sh

famfs_begin

require "a pmem device" test -b /dev/pmem0
SPECS="-F good:4M:simple:2M -F poison:4M:simple:4M"

# baddev-nodev's path: pmem0's node on a nodev mount
mkdir -p /run/famfs-nodev
require "a nodev tmpfs" mount -t tmpfs -o nodev famfs-nodev /run/famfs-nodev
require "holding pmem0's node" mknod /run/famfs-nodev/pmem0 b \
	$((0x$(stat -L -c %t /dev/pmem0))) $((0x$(stat -L -c %T /dev/pmem0)))
nodev_cleanup() { umount /run/famfs-nodev; famfs_cleanup; }
trap nodev_cleanup EXIT

famfs_on
require "mount fusetd famfs --bad" famfs_mount --bad
check "a good file reads back" fileverify check "$T_MNT/good" 4194304 1

EUCLEAN="Structure needs cleaning"
# file, error, kernel message
BAD="bad-version|$EUCLEAN|unknown fmap version
bad-file-type|$EUCLEAN|unknown file type
bad-ext-type|$EUCLEAN|unknown extent type
bad-reserved|$EUCLEAN|reserved header field not zero
bad-nextents|$EUCLEAN|too many extents
bad-short-header|$EUCLEAN|truncated header
bad-short-extent|$EUCLEAN|truncated extent
bad-trailing|$EUCLEAN|bytes after the last extent
bad-zero-length|$EUCLEAN|zero extent length
bad-misaligned-offset|$EUCLEAN|extent offset not 2 MiB aligned
bad-misaligned-length|$EUCLEAN|extent length not 2 MiB aligned
bad-device-index|$EUCLEAN|device index out of range
bad-overflow|$EUCLEAN|extent end overflows
bad-short-cover|$EUCLEAN|extents do not cover the file size
bad-past-device-end|$EUCLEAN|past the end of device 0
bad-zero-strips|$EUCLEAN|interleaved extent without strips
bad-too-many-strips|$EUCLEAN|too many strips
bad-misaligned-chunk|$EUCLEAN|chunk size not a multiple of the page size
bad-short-strip|$EUCLEAN|strip too short for its chunks
bad-short-iext|$EUCLEAN|truncated interleaved extent
bad-retry-twice|$EUCLEAN|asked for a bigger buffer twice
bad-retry-huge|$EUCLEAN|asked for a buffer size out of range
bad-retry-fits|$EUCLEAN|asked for a buffer size out of range
bad-enosys|Operation not supported|GET_FMAP failed: -38
bad-33-extents|$EUCLEAN|too many extents
bad-33-strips|$EUCLEAN|too many strips
bad-retry-over-cap|$EUCLEAN|asked for a buffer size out of range
baddev-enoent|No such file or directory|cannot find /dev/famfs-no-such-device
baddev-notdevdax|No such device|/dev/null: it is not a device-dax instance
baddev-notdev|No such device|/usr/bin/fusetd is not a device
baddev-notdax|Operation not supported|is not a DAX-capable block device
baddev-index|$EUCLEAN|reply names another device index
baddev-unterminated|$EUCLEAN|device name not NUL-terminated
baddev-relative|$EUCLEAN|device name not an absolute path
baddev-error|No such device|GET_DAXDEV 26 failed: -19
baddev-busy|Device or resource busy|held under another index already
baddev-nodev|Permission denied|/run/famfs-nodev/pmem0 is on a nodev mount"

n=0
echo "$BAD" > "$T_TMP/bad.list"
while IFS='|' read -r f err msg; do
	dmesg -c >/dev/null
	check_fails "$f is refused at open" "$err" cat "$T_MNT/$f"
	check "$f: the kernel names the rule" \
		sh -c "dmesg | grep 'fuse: famfs: ' | grep -q '$msg'"
	n=$((n + 1))
	# one message site serves many classes: stay under its rate limit
	sleep 0.6
done < "$T_TMP/bad.list"
diag "$n bad files"
check "every bad file was asked for its fmap" \
	test "$(op_count GET_FMAP)" -ge "$n"
check "good files still read back" fileverify check "$T_MNT/good" 4194304 1

# At the caps: 32 interleaved extents of 32 strips; extent i keeps its
# 2 MiB in its first strip, 2 MiB further into the device than extent
# i - 1 (no two strips may back the same data), the others hold nothing.
"$FUSETD" stats --reset "$STATS"
check "an fmap of 32 extents of 32 strips opens" \
	dd if="$T_MNT/cap-max-fmap" of=/dev/null bs=1M count=2
check_eq "after one size retry" 2 "$(op_count GET_FMAP)"
check "every extent maps: the file takes a pattern" \
	fileverify write -o 0 "$T_MNT/cap-max-fmap" 67108864 41
check "and gives it back, so no two extents share memory" \
	fileverify check "$T_MNT/cap-max-fmap" 67108864 41
check_eq "64 MiB" 67108864 "$(stat -c %s "$T_MNT/cap-max-fmap")"
check_eq "a size retry of FUSE_FAMFS_MAX_FMAP_SIZE is accepted" 2097152 \
	"$(cat "$T_MNT/cap-retry-max" | wc -c)"
check_eq "with two GET_FMAP" 4 "$(op_count GET_FMAP)"

# Poisoned memory: the poison file's one extent, at OFF on pmem0.
off=$("$FUSETD" famfs --dump poison -d /dev/pmem0 $SPECS |
	sed -n 's/.*strip 0: device 0 offset \([0-9]*\) .*/\1/p')
diag "poison file at pmem0 offset $off"
check "the poison file reads back" fileverify check "$T_MNT/poison" 4194304 2
require "mark one page 512 KiB in bad" \
	sh -c "echo $(( (off + 524288) / 512 )) 8 > /sys/block/pmem0/badblocks"
check_fails "read() of the poisoned page fails" "Input/output error" \
	dd if="$T_MNT/poison" of=/dev/null bs=4096 skip=128 count=1
check "read() before it works" fileverify check -o 0 "$T_MNT/poison" 524288 2
check "read() after it works" \
	fileverify check -o 528384 "$T_MNT/poison" 3665920 2
mmapverify check "$T_MNT/poison" 4194304 2 2> "$T_TMP/bus"
rc=$?
check_eq "a fault on the poisoned page is SIGBUS" 3 $rc
check_eq "at the poisoned offset" "mmapverify: SIGBUS at file offset 524288" \
	"$(cat "$T_TMP/bus")"
check "a full-page write over the poison recovers the page" \
	fileverify write -o 524288 "$T_MNT/poison" 4096 7
check "and reads back" fileverify check -o 524288 "$T_MNT/poison" 4096 7
check_eq "the device has no bad blocks left" "" \
	"$(cat /sys/block/pmem0/badblocks)"
check "umount" umount "$T_MNT"
wait_gone fusetd

# With FUSE_ATOMIC_O_TRUNC the kernel would zero the size after the open.
require "mount with FUSE_ATOMIC_O_TRUNC" famfs_mount --keep --atomic-o-trunc
check_fails "an O_TRUNC open is refused" "Operation not permitted" \
	sh -c ": > $T_MNT/good"
check_eq "the size did not change" 4194304 "$(stat -c %s "$T_MNT/good")"
check "the data did not change" fileverify check "$T_MNT/good" 4194304 1
check "umount" umount "$T_MNT"
wait_gone fusetd

# Without enable_famfs the server is not offered FUSE_DAX_FMAP.
echo 0 > $FAMFS_PARAM
require "mount without enable_famfs" famfs_mount --keep 2> "$T_TMP/famfsd.err"
check "the daemon was not offered FUSE_DAX_FMAP" \
	grep -q "did not offer FUSE_DAX_FMAP" "$T_TMP/famfsd.err"
check_fails "its files are classic FUSE files without data" \
	"Input/output error" cat "$T_MNT/good"
check_eq "no GET_FMAP" 0 "$(op_count GET_FMAP)"
check "the read went to the server" test "$(op_count READ)" -gt 0
check "umount" umount "$T_MNT"
t_done
