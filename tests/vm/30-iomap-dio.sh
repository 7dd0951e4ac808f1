#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iomap direct I/O end to end: fusetd --iomap maps files onto /dev/vda and
# the kernel moves the data itself.  Aligned, sub-block, extending,
# sparse and preallocated ranges are verified against their deterministic
# pattern; the daemon must see mappings (IOMAP_BEGIN, IOMAP_IOEND) and no
# READ or WRITE at all; data survives a daemon restart.
. /tests/vm/lib.sh

umount_on_exit

t_mkfs
require "mount with --iomap" iomap_mount
f=$T_MNT/f

check "aligned 1 MiB direct write + read" \
	sh -c "fileverify write -d $f 1048576 1 && fileverify check -d $f 1048576 1"
check "sub-block direct write (512 bytes at 4608)" \
	fileverify write -d -o 4608 "$f" 512 2
check "the sub-block write reads back" fileverify check -d -o 4608 "$f" 512 2
check "the rest of that block kept its data" \
	sh -c "fileverify check -d -o 4096 $f 512 1 && fileverify check -d -o 5120 $f 3072 1"
check "extending direct write past a hole (at 8 MiB)" \
	fileverify write -d -o 8388608 "$f" 65536 3
check_eq "size after the extending write" 8454144 "$(stat -c %s "$f")"
check "extended data reads back" fileverify check -d -o 8388608 "$f" 65536 3
check "data before the hole unchanged" fileverify check -d -o 8192 "$f" 1040384 1

check "preallocate 1 MiB" fallocate -l 1048576 "$T_MNT/p"
check "direct write into the middle of the preallocation" \
	fileverify write -d -o 262144 "$T_MNT/p" 131072 4
check "written part of the preallocation reads back" \
	fileverify check -d -o 262144 "$T_MNT/p" 131072 4

for e in psync libaio io_uring; do
	# A written file of the full size keeps fio from laying it out with
	# buffered writes.
	fileverify write -d "$T_MNT/fio-$e" 8388608 9
	# Random direct writes, then every block read back and verified.
	check "fio random direct writes, $e, crc32c verified" \
		fio --name=v --filename="$T_MNT/fio-$e" --size=8M --bs=4k \
		--rw=randwrite --direct=1 --ioengine=$e --iodepth=8 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output="$T_TMP/fio-$e.log" ||
		cat "$T_TMP/fio-$e.log"
done

begins=$(op_count IOMAP_BEGIN)
ioends=$(op_count IOMAP_IOEND)
check "the daemon answered mappings ($begins IOMAP_BEGIN)" test "$begins" -gt 0
check "unwritten and extending writes were reported ($ioends IOMAP_IOEND)" \
	test "$ioends" -gt 0
check_eq "no READ request for direct I/O" 0 "$(op_count READ)"
check_eq "no WRITE request for direct I/O" 0 "$(op_count WRITE)"

# Holes and unwritten blocks read as zeros (buffered reads from here on).
dd if=/dev/zero of="$T_TMP/zero" bs=4096 count=16 2>/dev/null
check "the hole reads as zeros" \
	sh -c "dd if=$f bs=4096 skip=512 count=16 2>/dev/null | cmp - $T_TMP/zero"
check "unwritten preallocation reads as zeros" \
	sh -c "dd if=$T_MNT/p bs=4096 count=16 2>/dev/null | cmp - $T_TMP/zero"

check "umount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "data after the restart" \
	sh -c "fileverify check -d -o 8192 $f 1040384 1 && fileverify check -d -o 8388608 $f 65536 3 && fileverify check -d -o 4608 $f 512 2"
check "preallocation data after the restart" \
	fileverify check -d -o 262144 "$T_MNT/p" 131072 4
check_eq "no READ request after the restart either" 0 "$(op_count READ)"
check "umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
