#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The whole filesystem of an iomap server, as the posted series has it:
# syncfs(2) reaches the server (FUSE_SYNCFS), fsfreeze sends FREEZE_FS and
# UNFREEZE_FS and blocks writers in between, FS_IOC_SHUTDOWN sends
# SHUTDOWN_FS and fails I/O with EIO afterwards, and chattr's +i, +a and +S
# (fuse_attr.flags SYNC/IMMUTABLE/APPEND) are enforced by the VFS.  Then
# the /dev/fuse ioctls of fuse4fs's service mode: a mount helper's
# FUSE_DEV_IOC_ADD_IOMAP lets a server without CAP_SYS_RAWIO have iomap,
# and IOMAP_SET_BLOCKSIZE sets the device's block size.  Last, a clone of
# more than 4 GiB, which a 32-bit answer cannot count in one request.
. /tests/vm/lib.sh

umount_on_exit
EPERM="Operation not permitted"
EIO="Input/output error"

t_mkfs
require "mount with --iomap" iomap_mount
check "write a file" fileverify write "$T_MNT/a" 1048576 1

# syncfs
"$FUSETD" stats --reset "$STATS"
check "sync -f (syncfs)" sync -f "$T_MNT"
check_eq "FUSE_SYNCFS reached the server" 1 "$(op_count SYNCFS)"

# freeze: writers wait until the thaw
check "fsfreeze --freeze" fsfreeze --freeze "$T_MNT"
check_eq "FUSE_FREEZE_FS reached the server" 1 "$(op_count freeze)"
fileverify write "$T_MNT/b" 65536 2 &
writer=$!
sleep 2
check "a writer waits while frozen" kill -0 $writer
check "fsfreeze --unfreeze" fsfreeze --unfreeze "$T_MNT"
check "the writer finishes after the thaw" wait $writer
check_eq "FUSE_UNFREEZE_FS reached the server" 1 "$(op_count unfreeze)"
check "its data is right" fileverify check "$T_MNT/b" 65536 2

# chattr: the server keeps the flags, the kernel enforces them
check "chattr +i" chattr +i "$T_MNT/a"
check_eq "the server got FS_IOC_SETFLAGS" 1 "$(op_count setflags)"
sleep 1.1	# fusetd's attributes live for a second
check_eq "lsattr shows i" i "$(lsattr "$T_MNT/a" | cut -c5)"
check_fails "an immutable file refuses writes" "$EPERM" \
	fileverify write -o 0 "$T_MNT/a" 4096 9
check_fails "and unlink" "$EPERM" rm -f "$T_MNT/a"
check_fails "and truncate" "$EPERM" truncate -s 0 "$T_MNT/a"
check "chattr -i" chattr -i "$T_MNT/a"
sleep 1.1
check "then it is writable again" fileverify write -o 0 "$T_MNT/a" 4096 9
check "chattr +a" chattr +a "$T_MNT/b"
sleep 1.1
check_fails "an append-only file refuses overwrites" "$EPERM" \
	fileverify write -o 0 "$T_MNT/b" 4096 9
check "but takes appends" sh -c "echo tail >> $T_MNT/b"
check_eq "that landed at the end" 65541 "$(stat -c %s "$T_MNT/b")"
check "chattr -a" chattr -a "$T_MNT/b"
check "chattr +S" chattr +S "$T_MNT/a"
sleep 1.1
"$FUSETD" stats --reset "$STATS"
check "a write to a synchronous file" fileverify write -o 0 "$T_MNT/a" 8192 3
check "is made durable before it returns (FSYNC)" \
	test "$(op_count FSYNC)" -ge 1
check "chattr -S" chattr -S "$T_MNT/a"

# shutdown: the server is told, and nothing maps any more
"$FUSETD" stats --reset "$STATS"
check "FS_IOC_SHUTDOWN (sync first)" fsop shutdown "$T_MNT" 0
check_eq "FUSE_SHUTDOWN_FS reached the server" 1 "$(op_count shutdown)"
check_fails "direct reads fail" "$EIO" fileverify check -d -o 0 "$T_MNT/b" 65536 2
check_fails "writes fail" "$EIO" fileverify write -d -o 0 "$T_MNT/b" 4096 5
check "a second shutdown is no error" fsop shutdown "$T_MNT" 2
check_eq "and is not sent again" 1 "$(op_count shutdown)"
check "umount after a shutdown" umount "$T_MNT"
wait_gone fusetd
check "fsck clean: the sync came before the shutdown" "$FUSETD" fsck "$T_DISK1"
require "mount again" iomap_mount
check "the data written before the shutdown is there" \
	fileverify check -o 0 "$T_MNT/a" 8192 3
umount "$T_MNT"
wait_gone fusetd

# a mount helper's grant: iomap for a server without CAP_SYS_RAWIO
check_fails "a helper without CAP_SYS_RAWIO cannot grant iomap" "$EPERM" \
	fuseioctl grant --drop-rawio 3 true
out=$(fuseioctl grant 3 "$FUSETD" mount --iomap --drop-rawio --fuse-fd 3 \
	--stats "$STATS" "$T_DISK1" "$T_MNT")
check_eq "the helper's file reports iomap file I/O" "granted, support 0x1" \
	"$out"
check "a direct read" fileverify check -d -o 0 "$T_MNT/b" 65536 2
check "the server without CAP_SYS_RAWIO has iomap" \
	test "$(op_count IOMAP_CONFIG)" = 1 -a "$(op_count READ)" = 0
umount "$T_MNT"
wait_gone fusetd
"$FUSETD" mount --iomap --drop-rawio --stats "$STATS" "$T_DISK1" "$T_MNT"
check "without the grant: a direct read" \
	fileverify check -d -o 0 "$T_MNT/b" 65536 2
check "goes by FUSE_READ: no iomap" \
	test "$(op_count IOMAP_CONFIG)" = 0 -a "$(op_count READ)" -ge 1
umount "$T_MNT"
wait_gone fusetd
check_eq "a grant after the mount comes too late" \
	"probe-grant: Device or resource busy" \
	"$("$FUSETD" mount --iomap --probe-grant --stats "$STATS" "$T_DISK1" "$T_MNT")"
umount "$T_MNT"
wait_gone fusetd

# the device's block size
check_eq "the device's block size before" 4096 "$(blockdev --getbsz "$T_DISK1")"
require "mount with --set-blocksize 1024" "$FUSETD" mount --iomap \
	--set-blocksize 1024 --stats "$STATS" "$T_DISK1" "$T_MNT"
# the daemon registers its device when it answers INIT, after the mount
check "I/O goes on" fileverify check -d -o 0 "$T_MNT/b" 65536 2
check_eq "IOMAP_SET_BLOCKSIZE set it" 1024 "$(blockdev --getbsz "$T_DISK1")"
umount "$T_MNT"
wait_gone fusetd

# a clone of more than 4 GiB: asked for in pieces
BIG=$((4 * 1024 * 1024 * 1024 + 65536))
require "mkfs of the large disk" "$FUSETD" mkfs "$T_DISK3"
require "mount it" "$FUSETD" mount --iomap --stats "$STATS" "$T_DISK3" "$T_MNT"
: > "$T_MNT/big"
check "a preallocated file of 4 GiB + 64 KiB" fsop falloc - "$T_MNT/big" 0 $BIG
check "data at its start" fileverify write -o 0 "$T_MNT/big" 65536 11
check "and past 4 GiB" \
	fileverify write -o $((BIG - 65536)) "$T_MNT/big" 65536 12
"$FUSETD" stats --reset "$STATS"
check "FICLONE of all of it" fsop clone "$T_MNT/big" 0 "$T_MNT/big2" 0 0
check "in five requests (1 GiB each at most)" \
	test "$(op_count COPY_FILE_RANGE)" = 5
check_eq "the clone's size" $BIG "$(stat -c %s "$T_MNT/big2")"
check "the clone's start" fileverify check -o 0 "$T_MNT/big2" 65536 11
check "and its end" fileverify check -o $((BIG - 65536)) "$T_MNT/big2" \
	65536 12
umount "$T_MNT"
wait_gone fusetd
check "fsck clean after the clone" "$FUSETD" fsck "$T_DISK3"
t_done
