#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd in classic mode on an 8 MiB image: running out of blocks and of
# inodes gives ENOSPC; a file of hundreds of extents is fine; deleting
# gives the space back, and the filesystem stays usable and consistent
# across a restart (fusetd fsck).  A write(2) that fails with ENOSPC on a
# page that is also mmapped leaves the mapping showing the file's data, and
# a store through the mapping afterwards is fine (no WARN); writing that
# page back at close(2) reports ENOSPC.
. "$(dirname "$0")/lib.sh"

M=$T_MNT

umount_on_exit "$T_TMP/$T_NAME.*"

free_blocks() { stat -f -c %f "$M"; }
free_inodes() { stat -f -c %d "$M"; }

# wait_for WANT CMD: wait up to 5 s for CMD to print WANT.  Space comes back
# when the kernel forgets the deleted inodes, which it does asynchronously.
wait_for() {
	_n=0
	while [ "$($2)" != "$1" ] && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ "$($2)" = "$1" ]
}

require "mkfs of 8 MiB" "$FUSETD" mkfs -s 8M "$T_DISK1"
require "mount" fs_mount
echo keep > "$M/keep"
mkdir "$M/many"
dd if=/dev/zero of="$M/holey" bs=4096 count=0 seek=2 2>/dev/null
blocks0=$(free_blocks)

check_fails "filling the filesystem ends in ENOSPC" "No space left on device" \
	dd if=/dev/zero of="$M/fill" bs=65536
check_eq "no free blocks left" 0 "$(free_blocks)"
size=$(stat -c %s "$M/fill")
check "the fill file got all the free space ($size bytes)" \
	[ "$size" = $((blocks0 * 4096)) ]
# (dd writes; cp and cat may share the block with copy_file_range)
check_fails "a new file cannot get data either" "No space left on device" \
	dd if="$M/keep" of="$M/more"
# the page at 4096 is a hole, so writing it needs a block
reads=$(op_count READ)
writes=$(op_count WRITE)
# The store through the mapping after the failed write dirties the hole
# again: writing it back at close(2) must report ENOSPC, not lose it.
check_eq "a failed write of an mmapped page leaves the file's data in the mapping" \
	"pwrite: No space left on device
close: No space left on device
exit 0" "$(fsop mapfail "$M/holey" 4096; echo "exit $?")"
check "the failed write reached the server" [ "$(op_count WRITE)" -gt "$writes" ]
# one READ to map the page, one to read it back after the failed write
check "the mapping read the page back from the server" \
	[ "$(op_count READ)" -ge $((reads + 2)) ]
check_eq "the mmapped file reads as zeroes" \
	"$(dd if=/dev/zero bs=8192 count=1 2>/dev/null | md5sum)" \
	"$(dd if="$M/holey" bs=8192 count=1 2>/dev/null | md5sum)"
check "delete the fill file" rm "$M/fill" "$M/more" "$M/holey"
check "deleting gives the blocks back" wait_for "$blocks0" free_blocks

dd if=/dev/urandom of="$T_TMP/$T_NAME.data" bs=1048576 count=2 2>/dev/null
check "write a new file" cp "$T_TMP/$T_NAME.data" "$M/data"
check "the new file reads back" cmp "$T_TMP/$T_NAME.data" "$M/data"

inodes0=$(free_inodes)
n=0
while [ $n -lt 100000 ] && touch "$M/many/f$n" 2>"$T_TMP/$T_NAME.err"; do
	n=$((n + 1))
done
check "running out of inodes gives ENOSPC" \
	grep -q "No space left on device" "$T_TMP/$T_NAME.err"
check_eq "as many files as there were free inodes" "$inodes0" "$n"
check "delete the files" rm -r "$M/many"
check "deleting gives the inodes back" wait_for $((inodes0 + 1)) free_inodes

# every other block of a file: one extent each, far more than the 56 an
# inode holds, spread over several extent leaves
n=0
while [ $n -lt 400 ] && dd if=/dev/zero of="$M/frag" bs=4096 count=1 \
		seek=$((n * 2)) conv=notrunc 2>"$T_TMP/$T_NAME.err"; do
	n=$((n + 1))
done
check_eq "400 one-block extents fit in a file" 400 "$n"
check_eq "the fragmented file has its size" $((799 * 4096)) \
	"$(stat -c %s "$M/frag")"
check "delete the fragmented file" rm "$M/frag"

blocks=$(free_blocks)
inodes=$(free_inodes)
check "umount" umount "$T_MNT"
require "mount with a new daemon" fs_mount
check "data intact after restarting the daemon" cmp "$T_TMP/$T_NAME.data" "$M/data"
check_eq "free blocks unchanged by the restart" "$blocks" "$(free_blocks)"
check_eq "free inodes unchanged by the restart" "$inodes" "$(free_inodes)"
check "final umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
