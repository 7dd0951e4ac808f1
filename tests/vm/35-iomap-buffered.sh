#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iomap buffered I/O end to end: the page cache of iomap files is filled
# and written back by the kernel through the server's mappings, and the
# server hears of completed writeback only through IOMAP_IOEND (WRITEBACK
# flag).  Data is verified against its deterministic pattern from the page
# cache, with direct reads (which must see written-back data), after
# dropping the caches, and after a daemon restart.  The daemon must see no
# READ or WRITE at all.  Upcalls per GiB of streaming writes are printed.
. /tests/vm/lib.sh

umount_on_exit
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

t_mkfs
require "mount with --iomap" iomap_mount
f=$T_MNT/f

check "buffered write of 3 MiB + 5 bytes" fileverify write "$f" 3145733 1
check "reads back from the page cache" fileverify check "$f" 3145733 1
check "direct read sees the buffered data" \
	fileverify check -d -o 0 "$f" 3145728 1
check "and after dropping the caches" \
	sh -c "echo 3 > /proc/sys/vm/drop_caches && fileverify check $f 3145733 1"
check_eq "size of the buffered file" 3145733 "$(stat -c %s "$f")"

# Writes that start past EOF zero the rest of the old EOF block.
check "buffered write past EOF (at 4 MiB + 100)" \
	fileverify write -o 4194404 "$f" 8192 2
check_eq "size after the extending write" 4202596 "$(stat -c %s "$f")"
dd if=/dev/zero of="$T_TMP/zero" bs=1048576 count=2 2>/dev/null
check "the gap after the old EOF reads as zeros" \
	sh -c "dd if=$f bs=1 skip=3145733 count=1048671 2>/dev/null |
	       cmp - $T_TMP/zero -n 1048671"
check "data before the gap kept" fileverify check -o 0 "$f" 3145733 1

# Direct and buffered I/O on one file stay coherent.
check "direct write over cached data" fileverify write -d -o 1048576 "$f" 1048576 3
check "buffered read sees the direct write" \
	fileverify check -o 1048576 "$f" 1048576 3
check "buffered overwrite" fileverify write -o 1048576 "$f" 65536 4
check "direct read sees the buffered overwrite" \
	fileverify check -d -o 1048576 "$f" 65536 4

# Sub-page writes into holes and existing blocks, then the truth on disk.
check "sub-page buffered writes" sh -c "
	fileverify write -o 10000000 $T_MNT/g 100 5 &&
	fileverify write -o 10000100 $T_MNT/g 3000 6 &&
	fileverify write -o 5000 $T_MNT/g 10 7"
drop_caches
check "sub-page writes read back after writeback" sh -c "
	fileverify check -o 10000000 $T_MNT/g 100 5 &&
	fileverify check -o 10000100 $T_MNT/g 3000 6 &&
	fileverify check -o 5000 $T_MNT/g 10 7"

# Truncate: down to a partial block, then up again: the tail reads zeros.
check "truncate to a partial block" truncate -s 1000 "$T_MNT/g"
check "truncate up again" truncate -s 8192 "$T_MNT/g"
dd if=/dev/zero of="$T_TMP/z8k" bs=8192 count=1 2>/dev/null
check "bytes past the old EOF read as zeros (cached)" \
	sh -c "dd if=$T_MNT/g bs=1 skip=1000 count=7192 2>/dev/null |
	       cmp - $T_TMP/z8k -n 7192"
drop_caches
check "bytes past the old EOF read as zeros (from disk)" \
	sh -c "dd if=$T_MNT/g bs=1 skip=1000 count=7192 2>/dev/null |
	       cmp - $T_TMP/z8k -n 7192"

# O_TRUNC goes through SETATTR after writeback.
check "O_TRUNC rewrite" sh -c "fileverify write $T_MNT/g 50000 8 &&
	fileverify write $T_MNT/g 20000 9"
check "O_TRUNC'd file has the new data only" fileverify check "$T_MNT/g" 20000 9

reads=$(op_count READ)
writes=$(op_count WRITE)
check_eq "no READ request for buffered I/O" 0 "$reads"
check_eq "no WRITE request for buffered I/O" 0 "$writes"
check "writeback ended in IOMAP_IOEND ($(op_count IOMAP_IOEND))" \
	test "$(op_count IOMAP_IOEND)" -gt 0

# Upcalls per GiB of streaming buffered writes (in 1 MiB writes).
"$FUSETD" stats --reset "$STATS" >/dev/null
check "streaming buffered write of 64 MiB" fileverify write "$T_MNT/s" 67108864 10
total=$("$FUSETD" stats "$STATS" | awk '{ n += $2 } END { print n + 0 }')
diag "upcalls per GiB of streaming buffered writes: $((total * 16))" \
	"(IOMAP_BEGIN $(( $(op_count IOMAP_BEGIN) * 16 ))," \
	"IOMAP_END $(( $(op_count IOMAP_END) * 16 ))," \
	"IOMAP_IOEND $(( $(op_count IOMAP_IOEND) * 16 )))"
"$FUSETD" stats --reset "$STATS" >/dev/null
drop_caches
check "streaming buffered read of 64 MiB" fileverify check "$T_MNT/s" 67108864 10
total=$("$FUSETD" stats "$STATS" | awk '{ n += $2 } END { print n + 0 }')
diag "upcalls per GiB of streaming buffered reads: $((total * 16))"

# io_uring buffered reads that miss the page cache, 16 at a time: each
# waits for its folio with a callback (FOP_BUFFER_RASYNC), not in an
# io-wq worker.  fio writes 8 MiB in random order with a crc32c header
# per block, directly; after the caches are dropped it reads the blocks
# back through the page cache in the same order and checks each one.
u="--name=u --filename=$T_MNT/u --size=8M --bs=4k --rw=randwrite"
u="$u --verify=crc32c --verify_fatal=1 --output-format=terse"
check "fio: random direct writes of 8 MiB with checksums" \
	fio $u --direct=1 --ioengine=psync --do_verify=0 \
	--output="$T_TMP/uring-write.log"
drop_caches
check "fio: io_uring buffered random reads from a cold page cache" \
	fio $u --direct=0 --ioengine=io_uring --iodepth=16 --verify_only=1 \
	--output="$T_TMP/uring-read.log"
# terse fields: 5 error, 6 KiB read
check_eq "every block was read back and verified" "0 8192" \
	"$(awk -F';' '$1 == 3 { print $5, $6 }' "$T_TMP/uring-read.log")"

check "umount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "data after the restart" sh -c "
	fileverify check -o 0 $f 1048576 1 &&
	fileverify check -o 1048576 $f 65536 4 &&
	fileverify check -o 1114112 $f 983040 3 &&
	fileverify check -o 2097152 $f 1048581 1 &&
	fileverify check -o 4194404 $f 8192 2 &&
	fileverify check $T_MNT/g 20000 9 &&
	fileverify check $T_MNT/s 67108864 10"
check_eq "no READ or WRITE after the restart either" 0 \
	"$(( $(op_count READ) + $(op_count WRITE) ))"
check "umount" umount "$T_MNT"

# A truncate keeps the page cache below the new size: only the kernel
# writes an iomap file's data.  Without the mapping cache, every read of
# a page not in the page cache asks the server for its mapping.
require "mount without a mapping cache" "$FUSETD" mount --iomap --no-cache \
	--stats "$STATS" "$T_DISK1" "$T_MNT"
t=$T_MNT/trunc
check "1 MiB written through the page cache" fileverify write "$t" 1048576 11
check "and written back" sync
check "truncated to 512 KiB" truncate -s 524288 "$t"
b0=$(op_count IOMAP_BEGIN)
check "the first 512 KiB read back" fileverify check -o 0 "$t" 524288 11
check_eq "from the page cache: no mapping asked for" "$b0" \
	"$(op_count IOMAP_BEGIN)"
drop_caches
check "read again from the disk" fileverify check -o 0 "$t" 524288 11
check "which needs mappings" test "$(op_count IOMAP_BEGIN)" -gt "$b0"
check_eq "the size" 524288 "$(stat -c %s "$t")"
check "umount" umount "$T_MNT"
t_done
