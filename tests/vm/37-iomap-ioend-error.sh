#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that fails FUSE_IOMAP_IOEND (fusetd --inject ioend-error, at and
# beyond 64 MiB): buffered writes there surface the error from fsync,
# direct writes from the write itself, and the size does not move past
# what the server recorded; writes below 64 MiB are unaffected, nothing
# splats, and the data that was acknowledged survives a remount.
. /tests/vm/lib.sh

umount_on_exit
f=$T_MNT/f
far=67108864	# FT_INJECT_POS

t_mkfs
require "mount with --inject ioend-error" \
	"$FUSETD" mount --iomap --inject ioend-error --stats "$STATS" \
	"$T_DISK1" "$T_MNT"
check "buffered write below the injection point" \
	fileverify write -o 0 "$f" 1048576 1
# fileverify fsyncs after writing: writeback of new blocks needs an ioend.
check_fails "buffered write beyond it: fsync fails with EIO" \
	"Input/output error" fileverify write -o $far "$f" 65536 2
check_fails "direct write beyond it fails with EIO" \
	"Input/output error" fileverify write -d -o $((far + 1048576)) "$f" 65536 3
check "the failed writes were reported to the server" \
	test "$(op_count IOMAP_IOEND)" -gt 0
check "data below the injection point reads back" \
	fileverify check -o 0 "$f" 1048576 1
check "direct write below it still works" \
	fileverify write -d -o 1048576 "$f" 65536 4
check "umount" umount "$T_MNT"

require "mount without injection" \
	"$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT"
check "acknowledged data survived" sh -c "
	fileverify check -o 0 $f 1048576 1 &&
	fileverify check -d -o 1048576 $f 65536 4"
check "the failed direct write did not extend the file" \
	test "$(stat -c %s "$f")" -le $((far + 65536))
check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
t_done
