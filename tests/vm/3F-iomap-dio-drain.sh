#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A sub-block direct write waits for the direct writes in flight.  An
# aligned direct write into a preallocated (unwritten) block has written
# its data, but its IOMAP_IOEND, which converts the block, is still with
# the server (fusetd --defer-on answers it 5 s late and serves other
# requests meanwhile, as a multi-threaded server would).  A 512-byte
# direct write into the same block then must not zero the rest of the
# block around it by the mapping the server still gives (unwritten),
# which would wipe the first write's data: it waits until the first write
# has completed, and the block ends up with both writes' bytes.
. /tests/vm/lib.sh

cleanup() { mounted && umount "$T_MNT"; }
trap cleanup EXIT
f=$T_MNT/f

# wait_for WANT CMD...: up to 30 s for CMD's output to become WANT
wait_for() {
	_w=$1; shift
	_n=0
	while [ "$("$@")" != "$_w" ] && [ $_n -lt 300 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ "$("$@")" = "$_w" ]
}

require "mkfs" "$FUSETD" mkfs "$T_DISK1"
require "mount, the first unwritten direct IOEND answered 5 s late" \
	"$FUSETD" mount --iomap --stats "$STATS" \
	--defer-on 5000@IOMAP_IOEND:1:unwritten "$T_DISK1" "$T_MNT"
require "preallocate 64 KiB (unwritten)" fallocate -l 65536 "$f"
ioends=$(op_count IOMAP_IOEND)

fileverify write -d -o 0 "$f" 4096 5 &
w1=$!
require "the aligned write's IOEND reached the server" \
	wait_for $((ioends + 1)) op_count IOMAP_IOEND
check "a 512-byte direct write into the same block, meanwhile" \
	fileverify write -d -o 1024 "$f" 512 6
wait $w1
check_eq "the aligned write completed" 0 "$?"
check "the aligned write's bytes before the small write" \
	fileverify check -d -o 0 "$f" 1024 5
check "the aligned write's bytes after it" \
	fileverify check -d -o 1536 "$f" 2560 5
check "the small write's bytes" fileverify check -d -o 1024 "$f" 512 6
dd if=/dev/zero of="$T_TMP/zero" bs=4096 count=15 2>/dev/null
check "the rest of the preallocation reads as zeros" \
	sh -c "dd if=$f bs=4096 skip=1 count=15 2>/dev/null | cmp - $T_TMP/zero"

check "umount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "the block after the restart" sh -c "
	fileverify check -d -o 0 $f 1024 5 &&
	fileverify check -d -o 1024 $f 512 6 &&
	fileverify check -d -o 1536 $f 2560 5"
check "umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
