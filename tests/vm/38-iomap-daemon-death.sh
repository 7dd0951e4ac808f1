#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that dies with dirty iomap data in the page cache and writeback
# in flight: fsync, sync and new I/O fail promptly instead of hanging on
# mapping or ioend upcalls that will never be answered, reclaim (dropping
# the page cache) does not wait for it either, umount works, and
# a new daemon on the same image finds a consistent filesystem with every
# byte that was fsynced before the death.
. /tests/vm/lib.sh

umount_on_exit

t_mkfs
require "mount with --iomap" iomap_mount
check "fsynced data" fileverify write "$T_MNT/safe" 4194304 1

# Dirty data without fsync: dd leaves it to writeback.
dd if=/dev/urandom of="$T_TMP/blob" bs=1048576 count=32 2>/dev/null
check "32 MiB of dirty page cache" \
	dd if="$T_TMP/blob" of="$T_MNT/dirty" bs=1048576 conv=notrunc 2>/dev/null
# Start writeback in the background, then kill the server under it.
sync &
syncpid=$!
sleep 0.2
killall -9 fusetd
wait_gone fusetd
check_fails "I/O on the dead mount fails" "" \
	dd if="$T_MNT/safe" of=/dev/null bs=4096 count=1 iflag=direct
# Anything still waiting must come back; give it a generous bound.
n=0
while kill -0 $syncpid 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1; n=$((n + 1))
done
check "sync returned after the server died" sh -c "! kill -0 $syncpid 2>/dev/null"
# Reclaim of the dead mount's page cache must not wait for the server.
diag "after the death: $(grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' \n' ' ')"
sh -c "echo 3 > /proc/sys/vm/drop_caches" &
droppid=$!
n=0
while kill -0 $droppid 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1; n=$((n + 1))
done
rc=hung
if ! kill -0 $droppid 2>/dev/null; then
	wait $droppid
	rc=$?
fi
check_eq "dropping the page cache returns, with success" 0 "$rc"
check "umount of the dead mount" umount "$T_MNT"

require "remount with a new daemon" iomap_mount
check "fsynced data survived" fileverify check "$T_MNT/safe" 4194304 1
size=$(stat -c %s "$T_MNT/dirty" 2>/dev/null || echo missing)
diag "the unsynced file's size after the death: $size"
check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
t_done
