#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that is not permitted iomap (here: enable_iomap=0) is not
# offered FUSE_IOMAP and keeps working with classic FUSE I/O: the same
# direct I/O then goes through READ/WRITE and no mapping is ever asked for.
. /tests/vm/lib.sh

param=/sys/module/fuse/parameters/enable_iomap
op_count() { "$FUSETD" stats "$STATS" | awk -v op="$1" '$1 == op { n = $2 } END { print n + 0 }'; }
old=$(cat "$param")
cleanup() { mounted && umount "$T_MNT"; echo "$old" > "$param"; }
trap cleanup EXIT

require "mkfs" "$FUSETD" mkfs "$T_DISK1"
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
t_done
