#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Writes into a block wait for the direct writes in flight.  A 512-byte
# direct write into a preallocated (unwritten) block has written its data
# (and zeroes for the rest of the block), but its IOMAP_IOEND, which
# converts the block, is still with the server: fusetd --defer-on answers
# it 5 s late and serves other requests meanwhile, as a multi-threaded
# server would, so the block still maps as unwritten.  Another 512 bytes
# written into the same block then, directly or through the page cache,
# must not start from zeroes around the new bytes by that mapping, which
# would wipe the first write's data: they wait until the first write has
# completed.  The block must hold both writes' bytes and zeroes between,
# now and after a remount.  Likewise a direct O_APPEND write while the
# IOEND of an extending write is held lands after that write.
. /tests/vm/lib.sh

umount_on_exit

# zeroes FILE SECTOR COUNT: COUNT 512-byte sectors from SECTOR are zero
zeroes() {
	[ "$(dd if="$1" bs=512 skip="$2" count="$3" 2>/dev/null | md5sum)" = \
	  "$(dd if=/dev/zero bs=512 count="$3" 2>/dev/null | md5sum)" ]
}

# block_ok FILE: the first block holds 512 bytes of seed 5 at 0, 512 of
# seed 6 at 1024 and zeroes elsewhere
block_ok() {
	fileverify check -d -o 0 "$1" 512 5 &&
		fileverify check -d -o 1024 "$1" 512 6 &&
		zeroes "$1" 1 1 && zeroes "$1" 3 5
}

t_mkfs

# defer_mount NAME FLAG WHAT: mount with the first direct IOEND that has
# FLAG answered 5 s late
defer_mount() {
	require "$1: mount, the first $3 direct IOEND answered 5 s late" \
		"$FUSETD" mount --iomap --stats "$STATS" \
		--defer-on "5000@IOMAP_IOEND:1:$2" "$T_DISK1" "$T_MNT"
}

# held_write NAME FILE SIZE: a direct write of SIZE bytes of seed 5 at 0
# into FILE, in the background ($w1), until the server holds its IOEND
held_write() {
	_ioends=$(op_count IOMAP_IOEND)
	fileverify write -d -o 0 "$2" "$3" 5 &
	w1=$!
	require "$1: the first write's IOEND reached the server" \
		wait_output $((_ioends + 1)) op_count IOMAP_IOEND
}

# second_write NAME [-d]: the first write's IOEND is held at the server
# while 512 bytes of seed 6 go to 1024 in $T_MNT/NAME, directly with -d
second_write() {
	_n=$1; shift
	_f=$T_MNT/$_n
	defer_mount "$_n" unwritten unwritten
	require "$_n: preallocate 64 KiB (unwritten)" fallocate -l 65536 "$_f"
	held_write "$_n" "$_f" 512
	check "$_n: 512 bytes into the same block, meanwhile" \
		fileverify write "$@" -o 1024 "$_f" 512 6
	wait $w1
	check_eq "$_n: the first write completed" 0 "$?"
	check "$_n: sync" sync
	check "$_n: the block holds both writes" block_ok "$_f"
	check "$_n: umount" umount "$T_MNT"
}

second_write direct -d
second_write buffered

# An extending direct write moves the size only once the server has
# answered its IOEND: a direct O_APPEND write meanwhile must land after
# it, not at the old end of the file (over its data).  fileverify -a
# writes the bytes meant for 4096 with O_APPEND.
a=$T_MNT/append
defer_mount append append appending
held_write append "$a" 4096
check "append: 4 KiB appended directly, meanwhile" \
	fileverify write -d -a -o 4096 "$a" 4096 6
wait $w1
check_eq "append: the first write completed" 0 "$?"
check_eq "append: the size of both writes" 8192 "$(stat -c %s "$a")"
check "append: the first write's data" fileverify check -d -o 0 "$a" 4096 5
check "append: the appended data after it" \
	fileverify check -d -o 4096 "$a" 4096 6
check "append: umount" umount "$T_MNT"

require "remount with a new daemon" iomap_mount
check "direct: the block after the restart" block_ok "$T_MNT/direct"
check "buffered: the block after the restart" block_ok "$T_MNT/buffered"
check "append: the file after the restart" sh -c "
	fileverify check -d -o 0 $a 4096 5 &&
	fileverify check -d -o 4096 $a 4096 6"
check "umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
