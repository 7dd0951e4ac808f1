#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Buffered writes are tried without waiting (FOP_BUFFER_WASYNC): io_uring
# issues them with IOCB_NOWAIT first and hands them to an io-wq worker
# thread only when that fails with -EAGAIN.  An overwrite of blocks whose
# mappings are cached needs no upcall and succeeds.  What would wait fails
# with EAGAIN before anything is written, and never sends an upcall: a
# partial block not in the page cache (it must be read first), a write
# that grows the file (FUSE_IOMAP_END reports the size), an O_DSYNC write
# (FUSE_FSYNC), a range never mapped, and a mapping whose end the server
# wants to hear of (fusetd --want-end; NOWAIT reads of it too).  The same
# writes without RWF_NOWAIT then succeed.  An io_uring run of buffered 4 KiB
# overwrites at queue depth 1 goes to a worker for almost none of them
# (tracepoint io_uring:io_uring_queue_async_work; without WASYNC every
# write does) and verifies its data (fio --verify).  Data is checked after
# writeback and a drop of the page cache, and the image with fsck.
. /tests/vm/lib.sh

umount_and_trace_on_exit

MIB=1048576
EAGAIN="Resource temporarily unavailable"
f=$T_MNT/f
g=$T_MNT/g
# upcalls: the counts of the upcalls a NOWAIT write must never send
upcalls() {
	echo "$(op_count IOMAP_BEGIN) $(op_count IOMAP_END) $(op_count FSYNC)"
}

t_mkfs
require "mount" iomap_mount
require "a 1 MiB file of seed 1, written directly" \
	fileverify write -d "$f" $MIB 1
require "an 8000-byte file of seed 5, through the page cache" \
	fileverify write "$g" 8000 5
require "its mappings are cached: a RWF_NOWAIT read of it" \
	fileverify check -d -n "$f" $MIB 1

# f was written and read directly: none of its folios is cached.
u0=$(upcalls)
check_fails "RWF_NOWAIT write of part of a block not in the page cache: EAGAIN" \
	"$EAGAIN" fileverify write -n -F -o 100 "$f" 200 2
check "RWF_NOWAIT overwrite of two whole cached blocks" \
	fileverify write -n -F -o 4096 "$f" 8192 3
check_fails "RWF_NOWAIT O_DSYNC overwrite: EAGAIN" \
	"$EAGAIN" fileverify write -n -s -F -o 12288 "$f" 4096 4
# g's EOF folio is cached and up to date, and its mappings were pushed on
# open: only the size change would need the server.
check_fails "RWF_NOWAIT write from EOF into the EOF block: EAGAIN" \
	"$EAGAIN" fileverify write -n -F -o 8000 "$g" 100 6
check_fails "RWF_NOWAIT O_APPEND write: EAGAIN" \
	"$EAGAIN" fileverify write -n -a -F -o 8000 "$g" 100 6
check_eq "none of them sent an upcall (BEGIN END FSYNC)" "$u0" "$(upcalls)"
check_eq "g kept its size" 8000 "$(stat -c %s "$g")"
check "g is as it was" fileverify check "$g" 8000 5

check "the partial write without RWF_NOWAIT" \
	fileverify write -F -o 100 "$f" 200 2
check "the O_DSYNC write without RWF_NOWAIT" \
	fileverify write -s -F -o 12288 "$f" 4096 4
check "the extending write without RWF_NOWAIT" \
	fileverify write -F -o 8000 "$g" 100 6
check_eq "g grew" 8100 "$(stat -c %s "$g")"
check "sync" sync
# Page cache only: the mapping cache's shrinker runs for 2 and 3.
check "drop the page cache" sh -c "echo 1 > /proc/sys/vm/drop_caches"
check "every write reads back from the disk" \
	sh -c "fileverify check -o 0 $f 100 1 &&
	       fileverify check -o 100 $f 200 2 &&
	       fileverify check -o 300 $f $((4096 - 300)) 1 &&
	       fileverify check -o 4096 $f 8192 3 &&
	       fileverify check -o 12288 $f 4096 4 &&
	       fileverify check -d -o 16384 $f $((MIB - 16384)) 1"
check "and g" sh -c "fileverify check -o 0 $g 8000 5 &&
	fileverify check -o 8000 $g 100 6"
check "umount" umount "$T_MNT"

# A server that wants to hear of every mapping's end (and pushes none on
# open): a blocking read sends END; a NOWAIT one must not use the mapping.
require "mount with --want-end" "$FUSETD" mount --iomap --want-end \
	--upsert-on-open 0 --stats "$STATS" "$T_DISK1" "$T_MNT"
ends=$(op_count IOMAP_END)
check "a direct read of 64 KiB" fileverify check -d -o 16384 "$f" 65536 1
check "it sent FUSE_IOMAP_END" test "$(op_count IOMAP_END)" -gt "$ends"
u0=$(upcalls)
check_fails "RWF_NOWAIT direct read of that mapping: EAGAIN" \
	"$EAGAIN" fileverify check -d -n -o 16384 "$f" 4096 1
check_fails "RWF_NOWAIT buffered write into it: EAGAIN" \
	"$EAGAIN" fileverify write -n -F -o 20480 "$f" 4096 7
check_eq "neither sent an upcall" "$u0" "$(upcalls)"
check "the write without RWF_NOWAIT" fileverify write -o 20480 "$f" 4096 7
check "umount" umount "$T_MNT"

require "mount" iomap_mount
check "the write under --want-end reads back" \
	fileverify check -d -o 20480 "$f" 4096 7
if ! uring_trace_have; then
	skip "io_uring buffered writes stay inline" "no io_uring tracepoints"
	t_done
	exit
fi

# 2,048 random 4 KiB buffered overwrites through io_uring at depth 1, then
# fio's own read-back of every block it wrote.
uring_trace_start
t0=$(t_now)
check "fio: io_uring buffered random overwrites at depth 1, verified" \
	fio --name=wasync --filename="$f" --size=$MIB --rw=randwrite --bs=4k \
	--ioengine=io_uring --iodepth=1 --loops=8 \
	--verify=crc32c --verify_fatal=1 --randrepeat=0 \
	--output="$T_TMP/fio.out"
t1=$(t_now)
punts=$(uring_trace_stop)
diag "2,048 writes in $(t_secs $((t1 - t0))) s, $punts of the writes and" \
	"reads handed to io-wq"
check "at most 32 of 2,048 writes went to a worker ($punts)" \
	test "$punts" -le 32
check "sync" sync
check "umount" umount "$T_MNT"
check "fsck" "$FUSETD" fsck "$T_DISK1"
t_done
