#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that stops answering (SIGSTOP) while tasks wait on it: a task
# waiting for a mapping dies at SIGKILL; a writer of a new file, and sync
# waiting on iomap writeback of dirty data that an open file still holds,
# wait until writing to the connection's abort file under
# /sys/fs/fuse/connections/ releases both with an error; umount works,
# and a new daemon finds a consistent image with the data that was
# fsynced before the hang.
. /tests/vm/lib.sh

umount_on_exit

t_mkfs
require "mount with --iomap" iomap_mount
check "fsynced data" fileverify write "$T_MNT/safe" 1048576 1
fusectl_mount
conn=$(ls "$FUSE_SYSFS/connections" | tail -1)
require "the connection is in sysfs ($conn)" \
	test -e "$FUSE_SYSFS/connections/$conn/abort"

# Dirty data held by an open file (closing would write it back): a holder
# keeps the file open, so that no other task here inherits it.
( exec 3> "$T_MNT/dirty"
  dd if=/dev/urandom bs=1048576 count=8 >&3 2>/dev/null
  : > "$T_TMP/dirty.ready"
  exec sleep 1000 ) &
holder=$!
require "8 MiB of dirty data in an open file" \
	wait_for_file "$T_TMP/dirty.ready"

# A sparse file held open, so that writing into it needs only mappings
# (no open or lookup) from the server once it is stopped.
: > "$T_MNT/hole"
truncate -s 8388608 "$T_MNT/hole"
fsop hold "$T_MNT/hole" 0 8388608 "$T_TMP/hole.ready" "$T_TMP/hole.go" \
	> "$T_TMP/hole.out" 2>&1 &
victim=$!
require "a sparse file held open" wait_for_file "$T_TMP/hole.ready"

killall -STOP fusetd

# The writer into the hole waits for a mapping the stopped server has
# not read.  SIGKILL takes it out of that wait at once; its exit then
# closes the file, and stock FUSE's flush at close (the inode's times,
# then a forced FLUSH) waits for the server or the abort below.
stack() { tr '\n' ' ' < "/proc/$1/stack" 2>/dev/null | head -c 400; }
: > "$T_TMP/hole.go"
n=0
while ! stack $victim | grep -q fuse_iomap && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
diag "the writer into the hole waits in: $(stack $victim)"
check "it waits for an iomap request" \
	sh -c "cat /proc/$victim/stack | grep -q request_wait_answer &&
	       cat /proc/$victim/stack | grep -q fuse_iomap"
kill -9 $victim
n=0
while stack $victim | grep -q fuse_iomap && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
diag "after SIGKILL: $(stack $victim)"
check "SIGKILL ends its iomap request while the server is still stopped" \
	sh -c "! cat /proc/$victim/stack 2>/dev/null | grep -q fuse_iomap"

# New blocks: the writer needs a mapping from the stopped server, and
# sync needs mappings and ioends for the dirty file.
fileverify write "$T_MNT/stuck" 8388608 2 > "$T_TMP/stuck.out" 2>&1 &
writer=$!
sync &
syncer=$!
sleep 2
check "the writer waits for the stopped server" kill -0 $writer
kill -0 $syncer 2>/dev/null && diag "sync waits for the stopped server"
echo 1 > "$FUSE_SYSFS/connections/$conn/abort"
n=0
while { kill -0 $writer || kill -0 $syncer; } 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1; n=$((n + 1))
done
check "abort releases the writer" sh -c "! kill -0 $writer 2>/dev/null"
check "sync has returned" sh -c "! kill -0 $syncer 2>/dev/null"
n=0
while kill -0 $victim 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
check "and the killed writer is gone" sh -c "! kill -0 $victim 2>/dev/null"
wait $victim 2>/dev/null
wait $writer
check "the writer's write or fsync failed" test $? != 0
kill $holder
wait $holder 2>/dev/null
killall -CONT fusetd
killall -9 fusetd
wait_gone fusetd
check "umount of the aborted mount" umount "$T_MNT"

require "remount with a new daemon" iomap_mount
check "fsynced data survived" fileverify check "$T_MNT/safe" 1048576 1
check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
t_done
