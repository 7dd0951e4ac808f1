#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A sub-block direct write into unwritten blocks must not leave a stale
# mapping of its last block in the mapping cache.  Found by fsx (seed 2 of
# a make soak run): the ioend's range ended inside a block, the kernel
# dropped the cached unwritten mapping only up to that byte, and a later
# buffered write into the rest of the block took the remnant for an
# unwritten block and zeroed the direct write's bytes there; writeback
# then put the block where the remnant said, 512 bytes before it.
#
# The file gets 40 one-block unwritten extents, each one apart from the
# next on the disk (two files preallocated in turns), so that the pushes
# fusetd sends after an ioend (16 extents) do not reach the last block;
# fusetd pushes nothing at open (fsx keeps its file open: each fileverify
# below opens it again).
# Then: a direct write of 39 blocks and 512 bytes, a buffered O_DSYNC
# write further into the last block, and every byte of both files read
# back, direct and buffered, now and after a remount.
. /tests/vm/lib.sh

umount_on_exit

BS=4096
N=40
DIO=$(((N - 1) * BS + 512))		# ends 512 bytes into block N-1
TAIL=$(((N - 1) * BS + 1887))		# a buffered write after it
f=$T_MNT/f
g=$T_MNT/g

t_mkfs
mount_it() {
	"$FUSETD" mount --iomap --upsert-on-open 0 --stats "$STATS" \
		"$T_DISK1" "$T_MNT"
}
require "mount with --iomap, no pushes at open" mount_it

: > "$f"
: > "$g"
i=0
ok=1
while [ $i -lt $N ]; do
	fsop falloc - "$f" $((i * BS)) $BS || ok=0
	fsop falloc - "$g" $((i * BS)) $BS || ok=0
	i=$((i + 1))
done
check "two files preallocated in turns, one block at a time" test $ok = 1
check "g written with its own pattern" \
	fileverify write -s -o 0 "$g" $((N * BS)) 2
"$FUSETD" stats --reset "$STATS"

check "direct write of $DIO bytes into f" \
	fileverify write -d -o 0 "$f" $DIO 1
check_eq "one IOMAP_IOEND for it" 1 "$(op_count IOMAP_IOEND)"
check "buffered O_DSYNC write of 16 bytes at $TAIL" \
	fileverify write -s -o $TAIL "$f" 16 3
check "the direct write's bytes read back (direct)" \
	fileverify check -d -o 0 "$f" $DIO 1
check "and buffered" fileverify check -o 0 "$f" $DIO 1
check "the buffered write's bytes" fileverify check -o $TAIL "$f" 16 3
check_eq "zeros between them" 0 \
	"$(dd if="$f" bs=1 skip=$DIO count=$((TAIL - DIO)) 2>/dev/null |
	   tr -d '\0' | wc -c)"
check "g is untouched (direct)" fileverify check -d "$g" $((N * BS)) 2
check_eq "no READ or WRITE upcall" "0 0" \
	"$(op_count READ) $(op_count WRITE)"

check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount" mount_it
check "f after a remount" fileverify check -d -o 0 "$f" $DIO 1
check "its buffered bytes" fileverify check -o $TAIL "$f" 16 3
check "g after a remount" fileverify check "$g" $((N * BS)) 2
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
