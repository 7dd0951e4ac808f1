#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that is not permitted iomap (the administrator left
# enable_iomap off, or the server lacks CAP_SYS_RAWIO) is not offered
# FUSE_IOMAP and keeps working with classic FUSE I/O: the same direct I/O
# then goes through READ/WRITE and no mapping is ever asked for.  A device
# registered read-only only backs reads.
. /tests/vm/lib.sh

param=$FUSE_PARAMS/enable_iomap
old=$(cat "$param")
cleanup() { mounted && umount "$T_MNT"; echo "$old" > "$param"; }
trap cleanup EXIT

t_mkfs
echo 0 > "$param"
"$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT" 2>"$T_TMP/fb.err"
require "mount with --iomap while iomap is not permitted" mounted
check "the daemon reports the classic fallback" \
	grep -q "did not offer FUSE_IOMAP" "$T_TMP/fb.err"
check "direct write + read through classic FUSE" \
	sh -c "fileverify write -d $T_MNT/f 1048576 5 && fileverify check -d $T_MNT/f 1048576 5"
check_eq "no mapping was asked for" 0 "$(op_count IOMAP_BEGIN)"
check "the data went through WRITE" test "$(op_count WRITE)" -gt 0
check "umount" umount "$T_MNT"

echo 1 > "$param"
"$FUSETD" mount --iomap --drop-rawio --stats "$STATS" "$T_DISK1" "$T_MNT" \
	2>"$T_TMP/fb.err"
require "mount with --iomap without CAP_SYS_RAWIO" mounted
check "no CAP_SYS_RAWIO: the daemon reports the classic fallback" \
	grep -q "did not offer FUSE_IOMAP" "$T_TMP/fb.err"
check "no CAP_SYS_RAWIO: data written before reads back" \
	fileverify check -d "$T_MNT/f" 1048576 5
check_eq "no CAP_SYS_RAWIO: no mapping was asked for" 0 \
	"$(op_count IOMAP_BEGIN)"
check "umount" umount "$T_MNT"

require "mount with the device registered read-only" \
	"$FUSETD" mount --iomap --ro-dev --stats "$STATS" "$T_DISK1" "$T_MNT"
check "read-only device: direct read works" \
	fileverify check -d "$T_MNT/f" 1048576 5
check_fails "read-only device: direct write is refused" \
	"Structure needs cleaning" fileverify write -d -o 0 "$T_MNT/f" 4096 6
check "read-only device: the data is unchanged" \
	fileverify check -d "$T_MNT/f" 1048576 5
check "umount" umount "$T_MNT"
t_done
