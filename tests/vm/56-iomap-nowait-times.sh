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
# mapping, verifies its data (fio --verify) and moves the mtime.  Under a
# server with xattrs (--personality fuse4fs), a NOWAIT write whose
# privileges the server would have to be asked about gets EAGAIN instead
# of waiting for the GETXATTR.
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

if uring_trace_have; then
	# 2,048 random 4 KiB overwrites through io_uring at depth 1, then
	# fio's own read-back of every block it wrote.
	uring_trace_start
	m0=$(mtime "$f")
	begins=$(op_count IOMAP_BEGIN)
	t0=$(t_now)
	check "fio: io_uring direct random overwrites at depth 1, verified" \
		fio --name=nowait --filename="$f" --size=$MIB --rw=randwrite \
		--bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --loops=8 \
		--verify=crc32c --verify_fatal=1 --randrepeat=0 \
		--output="$T_TMP/fio.out"
	t1=$(t_now)
	punts=$(uring_trace_stop)
	m1=$(mtime "$f")
	diag "2,048 writes in $(t_secs $((t1 - t0))) s, $punts of the" \
		"writes and reads handed to io-wq"
	# A worker per miss of the mapping cache at most: fio asked for none.
	check_eq "no mapping was asked for" "$begins" "$(op_count IOMAP_BEGIN)"
	check "at most 8 of 2,048 writes went to a worker ($punts)" \
		test "$punts" -le 8
	check "the mtime moved ($m0 -> $m1)" test "$m1" != "$m0"
else
	skip "io_uring writes go to a worker only on a miss" "no io_uring tracepoints"
fi
check "umount" umount "$T_MNT"

# Whether a write must drop file capabilities is the server's to say:
# while S_NOSEC is clear the kernel asks for security.capability
# (GETXATTR) first.  fusetd has no xattrs (ENOSYS: the kernel stops
# asking, so the NOWAIT writes above did not wait); fuse4fs has them and
# answers ENODATA, so every attribute load means a question before the
# next write.  A NOWAIT write does not wait for it: EAGAIN, no upcall,
# until a write that may wait has asked.  Attributes stay valid here
# (--valid 3600); a chmod loads them (SETATTR's reply).
EAGAIN="Resource temporarily unavailable"
g=$T_MNT/g
require "mount --personality fuse4fs --valid 3600" \
	"$FUSETD" mount --personality fuse4fs --valid 3600 --stats "$STATS" \
	"$T_DISK1" "$T_MNT"
x0=$(op_count GETXATTR)
require "64 KiB of seed 8, written directly" \
	fileverify write -d -F "$g" 65536 8
check "that write asked for security.capability" \
	test "$(op_count GETXATTR)" -gt "$x0"
# fuse4fs pushes no mappings after an ioend: a direct read caches them
# (RETRY_CACHE); a write that may wait then sets S_NOSEC again, in case
# something loaded the attributes in between.
require "a direct read caches the mappings" \
	fileverify check -d -o 0 "$g" 65536 8
require "an overwrite that may wait" \
	fileverify write -d -F -o 12288 "$g" 4096 8
x0=$(op_count GETXATTR)
check "RWF_NOWAIT direct overwrite, nothing to drop (S_NOSEC)" \
	fileverify write -d -n -F -o 4096 "$g" 4096 9
check "a buffered read caches a block" \
	fileverify check -o 16384 "$g" 4096 8
check_eq "no question since" "$x0" "$(op_count GETXATTR)"
s0=$(op_count SETATTR)
require "chmod: the attributes loaded again" chmod 0644 "$g"
check "through a SETATTR" test "$(op_count SETATTR)" -gt "$s0"
b0=$(op_count IOMAP_BEGIN)
check_fails "RWF_NOWAIT direct overwrite after it: EAGAIN" \
	"$EAGAIN" fileverify write -d -n -F -o 8192 "$g" 4096 10
check_fails "RWF_NOWAIT buffered overwrite of the cached block: EAGAIN" \
	"$EAGAIN" fileverify write -n -F -o 16384 "$g" 4096 10
check_eq "neither asked the server (GETXATTR, IOMAP_BEGIN)" "$x0 $b0" \
	"$(op_count GETXATTR) $(op_count IOMAP_BEGIN)"
check "the direct overwrite without RWF_NOWAIT" \
	fileverify write -d -F -o 8192 "$g" 4096 10
check_eq "it asked once" $((x0 + 1)) "$(op_count GETXATTR)"
check "then RWF_NOWAIT buffered overwrite of the cached block" \
	fileverify write -n -F -o 16384 "$g" 4096 10
check_eq "without a question" $((x0 + 1)) "$(op_count GETXATTR)"
check "umount" umount "$T_MNT"
require "remount" iomap_mount
check "every write is on disk, and only those" sh -c "
	fileverify check -d -o 0 $g 4096 8 &&
	fileverify check -d -o 4096 $g 4096 9 &&
	fileverify check -d -o 8192 $g 4096 10 &&
	fileverify check -d -o 12288 $g 4096 8 &&
	fileverify check -d -o 16384 $g 4096 10 &&
	fileverify check -d -o 20480 $g 45056 8"
check "umount" umount "$T_MNT"
check "fsck" "$FUSETD" fsck "$T_DISK1"
t_done
