#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A write's times do not make it wait.  io_uring first issues a write with
# IOCB_NOWAIT and hands it to an io-wq worker thread when that fails with
# -EAGAIN; an iomap overwrite of cached blocks needs no upcall, and the
# times of FUSE files only mark the inode dirty, so such a write must
# succeed without blocking even when its times have to move, which they do
# at every tick of the coarse clock (kiocb_modified() would fail it).
# RWF_NOWAIT direct overwrites succeed after the clock moved and move the
# mtime; an io_uring run of direct 4 KiB overwrites at queue depth 1 goes
# to a worker only for the rare write that misses the mapping cache
# (tracepoint io_uring:io_uring_queue_async_work), asks the server for no
# mapping, verifies its data (fio --verify) and moves the mtime.
. /tests/vm/lib.sh

umount_and_trace_on_exit

MIB=1048576
f=$T_MNT/f
mtime() { stat -c %y "$1"; }

t_mkfs
require "mount" iomap_mount
require "a 1 MiB file of seed 1, written directly" \
	fileverify write -d "$f" $MIB 1
require "its mappings are cached: a RWF_NOWAIT read of it" \
	fileverify check -d -n "$f" $MIB 1

# The coarse clock moves every tick (at most 10 ms): after 0.1 s every
# write has new times to store.
m0=$(mtime "$f")
sleep 0.1
begins=$(op_count IOMAP_BEGIN)
check "RWF_NOWAIT direct overwrite after the clock moved" \
	fileverify write -d -n -o 4096 "$f" 4096 2
m1=$(mtime "$f")
check "it moved the mtime ($m0 -> $m1)" test "$m1" != "$m0"
sleep 0.1
check "and another after it moved again" \
	fileverify write -d -n -o 8192 "$f" 4096 3
# An attribute load clears S_NOSEC (attributes are valid for 1 s): the
# next write checks privileges under the exclusive lock, NOWAIT too.
sleep 1.1
getattrs=$(op_count GETATTR)
stat "$f" >/dev/null
check "the attributes were loaded again" \
	test "$(op_count GETATTR)" -gt "$getattrs"
m0=$(mtime "$f")
check "RWF_NOWAIT direct overwrite under the exclusive lock" \
	fileverify write -d -n -o 8192 "$f" 4096 4
check "it moved the mtime too" test "$(mtime "$f")" != "$m0"
check "none of them asked for a mapping" \
	test "$(op_count IOMAP_BEGIN)" = "$begins"
check "the overwrites read back" \
	sh -c "fileverify check -d -o 4096 $f 4096 2 &&
	       fileverify check -d -o 8192 $f 4096 4"
check "the rest of the file is untouched" \
	sh -c "fileverify check -d -o 0 $f 4096 1 &&
	       fileverify check -d -o 12288 $f $((MIB - 12288)) 1"

if ! uring_trace_have; then
	skip "io_uring writes go to a worker only on a miss" "no io_uring tracepoints"
	t_done
	exit
fi

# 2,048 random 4 KiB overwrites through io_uring at depth 1, then fio's
# own read-back of every block it wrote.
uring_trace_start
m0=$(mtime "$f")
begins=$(op_count IOMAP_BEGIN)
t0=$(t_now)
check "fio: io_uring direct random overwrites at depth 1, verified" \
	fio --name=nowait --filename="$f" --size=$MIB --rw=randwrite --bs=4k \
	--direct=1 --ioengine=io_uring --iodepth=1 --loops=8 \
	--verify=crc32c --verify_fatal=1 --randrepeat=0 \
	--output="$T_TMP/fio.out"
t1=$(t_now)
punts=$(uring_trace_stop)
m1=$(mtime "$f")
diag "2,048 writes in $(t_secs $((t1 - t0))) s, $punts of the writes and" \
	"reads handed to io-wq"
# A worker per miss of the mapping cache at most: fio asked for none.
check_eq "no mapping was asked for" "$begins" "$(op_count IOMAP_BEGIN)"
check "at most 8 of 2,048 writes went to a worker ($punts)" \
	test "$punts" -le 8
check "the mtime moved ($m0 -> $m1)" test "$m1" != "$m0"
check "umount" umount "$T_MNT"
check "fsck" "$FUSETD" fsck "$T_DISK1"
t_done
